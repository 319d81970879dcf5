// libFuzzer target for the Kite Ticker codec: any binary message must decode to packets or an
// error, never crash, read out of bounds or trip a sanitizer; what decodes re-encodes to bytes that
// decode to the same packets (only the depth padding is not kept), and any text message parses or
// fails cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "broker/ticker_packets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sm::broker;
  const std::span<const std::uint8_t> message(data, size);
  sm::Result<TickerFrame> frame = decode_ticker_frame(message);
  if (frame.ok() && !frame->heartbeat) {
    const std::string encoded = encode_ticker_frame(frame->packets);
    if (encoded.size() != size) std::abort();
    sm::Result<TickerFrame> again = decode_ticker_frame(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()));
    if (!again.ok() || again->packets != frame->packets) std::abort();
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_ticker_request(text);
  sm::Result<TickerText> parsed = parse_ticker_text(text);
  if (parsed.ok()) (void)encode_ticker_text(*parsed);
  return 0;
}
