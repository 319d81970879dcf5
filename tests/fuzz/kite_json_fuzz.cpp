// libFuzzer target for the Kite Connect JSON parsers: any response body or postback must give a
// value or an error, never crash, hang, throw or trip a sanitizer. The body goes through the
// envelope parser, and both the envelope's data and the whole document go through every typed
// parser, so a seed of a bare data object reaches them as well.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/kite_json.h"

namespace {

void parse_as_everything(const nlohmann::json& data) {
  using namespace sm::broker;
  (void)parse_order_response(data);
  (void)parse_order(data);
  (void)parse_orders(data);
  (void)parse_trades(data);
  (void)parse_positions(data);
  (void)parse_holdings(data);
  (void)parse_quotes(data);
  (void)parse_ltp_quotes(data);
  (void)parse_session(data);
  (void)parse_profile(data);
  (void)parse_margins(data);
  (void)parse_segment_margins(data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sm::broker;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  sm::Result<KiteEnvelope> envelope = parse_envelope(body);
  if (envelope.ok() && envelope->success) parse_as_everything(envelope->data);
  sm::Result<nlohmann::json> document = parse_json_exact(body);
  if (document.ok()) parse_as_everything(*document);
  (void)parse_postback(body);
  (void)parse_verified_postback(body, "fuzz-secret");
  (void)parse_kite_timestamp(body);
  return 0;
}
