// libFuzzer target for the NDJSON message decoder: any byte string must decode to a message or a
// parse error, never crash, hang or trip a sanitizer; and a decoded known message must re-encode to
// a line that decodes to the same encoding (the writer and reader agree).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sm::MessageDecoder decoder;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  sm::Result<sm::Message> decoded = decoder.decode(line);
  if (!decoded.ok() || std::holds_alternative<sm::UnknownMessage>(*decoded)) return 0;
  const std::string encoded = sm::to_json(*decoded);
  sm::Result<sm::Message> again = decoder.decode(encoded);
  if (!again.ok() || sm::to_json(*again) != encoded) std::abort();
  return 0;
}
