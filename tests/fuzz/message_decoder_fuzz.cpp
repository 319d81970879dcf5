// libFuzzer target for the NDJSON message decoder: any byte string must decode to a message or a
// parse error, never crash, hang or trip a sanitizer; and a decoded known message must re-encode to
// a line that decodes to the same encoding (the writer and reader agree); and a line the tick fast
// path takes must decode the same through the general path (a leading space makes it decline).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/messages.h"
#include "core/tick_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sm::MessageDecoder decoder;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  if (sm::Tick fast; sm::decode_written_tick(line, fast)) {
    sm::Result<sm::Message> general = decoder.decode(" " + std::string(line));
    if (!general.ok() || sm::to_json(*general) != sm::to_json(sm::Message(fast))) std::abort();
  }
  sm::Result<sm::Message> decoded = decoder.decode(line);
  if (!decoded.ok() || std::holds_alternative<sm::UnknownMessage>(*decoded)) return 0;
  const std::string encoded = sm::to_json(*decoded);
  sm::Result<sm::Message> again = decoder.decode(encoded);
  if (!again.ok() || sm::to_json(*again) != encoded) std::abort();
  return 0;
}
