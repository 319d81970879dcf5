// libFuzzer target for the Kite instruments dump parser: any text must give instruments or an
// error, never crash, hang or trip a sanitizer. What parses must survive a round trip through
// instruments_to_csv (the dump sm-paper serves is read back by the same parser).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "broker/instruments.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  sm::Result<std::vector<sm::broker::Instrument>> parsed = sm::broker::parse_instruments_csv(text);
  if (!parsed.ok()) return 0;
  const std::string written = sm::broker::instruments_to_csv(*parsed);
  sm::Result<std::vector<sm::broker::Instrument>> again =
      sm::broker::parse_instruments_csv(written);
  if (!again.ok() || again->size() != parsed->size()) std::abort();
  if (sm::broker::instruments_to_csv(*again) != written) std::abort();
  return 0;
}
