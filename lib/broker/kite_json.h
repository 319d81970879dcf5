// Kite Connect v3 JSON: the response envelope, parsers for every payload the Broker port uses, and
// encoders producing the same JSON (sm-paper serves them; tests round-trip them).
//
// Numbers are read exactly: parse_json_exact keeps every JSON number that is not a plain integer
// as its source text, and money is converted from that text with parse_rupees (half-even past the
// paisa, see broker/types.h). Each parser fails with kParseError naming the payload, the element
// index and the field; unknown fields are ignored, absent optional fields keep their defaults.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "broker/types.h"
#include "core/status.h"

namespace sm::broker {

// Parses JSON text into a DOM in which every number with a fraction or exponent is a JSON string
// holding the number's original text ("109.4", "0.5999999999999659"); integers stay integers.
// Never throws; fails with kParseError on invalid JSON.
Result<nlohmann::json> parse_json_exact(std::string_view text);

// {"status":"success","data":...} or {"status":"error","message":...,"error_type":...}.
// Like the Python SDK, a body is an error when status is "error" or an error_type key is present,
// and a success when status is "success" or (no status at all) a data key is present.
struct KiteEnvelope {
  bool success = false;
  nlohmann::json data;     // success payload (may be null)
  std::string error_type;  // "GeneralException" when an error body names none
  std::string message;
};
// Fails with kParseError when the body is not JSON or is neither a success nor an error envelope.
Result<KiteEnvelope> parse_envelope(std::string_view body);

// Parsers of the envelope's `data` for each endpoint (docs/BROKER.md lists the fixtures).
Result<PlaceOrderResponse> parse_order_response(const nlohmann::json& data);  // place/modify/cancel
Result<Order> parse_order(const nlohmann::json& object);
Result<std::vector<Order>> parse_orders(const nlohmann::json& data);  // book and history
Result<std::vector<Trade>> parse_trades(const nlohmann::json& data);
Result<Positions> parse_positions(const nlohmann::json& data);
Result<std::vector<Holding>> parse_holdings(const nlohmann::json& data);
Result<std::map<std::string, Quote>> parse_quotes(const nlohmann::json& data);
Result<std::map<std::string, LtpQuote>> parse_ltp_quotes(const nlohmann::json& data);  // ltp, ohlc
// data.candles of GET /instruments/historical: arrays [timestamp, open, high, low, close, volume
// (, oi)] with timestamps like "2017-12-15T09:15:00+0530". kParseError naming the candle's index.
Result<std::vector<Candle>> parse_candles(const nlohmann::json& data);
Result<Session> parse_session(const nlohmann::json& data);
Result<Profile> parse_profile(const nlohmann::json& data);
Result<Margins> parse_margins(const nlohmann::json& data);                 // GET /user/margins
Result<SegmentMargins> parse_segment_margins(const nlohmann::json& data);  // /user/margins/equity
// A postback body (not enveloped): the order plus user_id, app_id, unfilled_quantity, checksum.
Result<Order> parse_postback(std::string_view body);
// Postback checksum (reference §1.8): lowercase hex SHA-256 of order_id + order_timestamp +
// api_secret, order_timestamp exactly as the body carries it ("2022-03-03 09:24:25").
std::string kite_postback_checksum(std::string_view order_id, std::string_view order_timestamp,
                                   std::string_view api_secret);
// parse_postback, and the checksum must match the one computed with api_secret: anyone can POST
// to a postback URL. Errors: kParseError (malformed), kAuthError (checksum missing or wrong).
Result<Order> parse_verified_postback(std::string_view body, std::string_view api_secret);

// Encoders: the Kite JSON of each type. Money is written as a JSON number in rupees
// (123450 -> 1234.5), timestamps as IST "yyyy-mm-dd hh:mm:ss" (0 -> null), "" -> null for the
// fields Kite sends as null.
nlohmann::json order_to_json(const Order& order);
// The postback Kite sends for order: the order plus user_id, app_id, unfilled_quantity and the
// checksum made with api_secret.
nlohmann::json postback_to_json(const Order& order, std::string_view user_id, std::int64_t app_id,
                                std::string_view api_secret);
nlohmann::json trade_to_json(const Trade& trade);
nlohmann::json position_to_json(const Position& position);
nlohmann::json holding_to_json(const Holding& holding);
nlohmann::json quote_to_json(const Quote& quote);
nlohmann::json ltp_quote_to_json(const LtpQuote& quote, bool with_ohlc);
// {"candles": [...]} as Kite sends it (oi as the 7th element when with_oi).
nlohmann::json candles_to_json(const std::vector<Candle>& candles, bool with_oi);
nlohmann::json session_to_json(const Session& session);
nlohmann::json profile_to_json(const Profile& profile);
nlohmann::json segment_margins_to_json(const SegmentMargins& margins);

// Envelope bodies as text.
std::string success_body(const nlohmann::json& data);
std::string error_body(std::string_view error_type, std::string_view message);

// IST wall-clock text "2021-05-31 09:18:57" <-> UTC ms.
Result<TimestampMs> parse_kite_timestamp(std::string_view text);
std::string format_kite_timestamp(TimestampMs ts);

}  // namespace sm::broker
