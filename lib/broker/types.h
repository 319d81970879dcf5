// The broker's data, as Kite Connect v3 describes it (docs/BROKER.md, reference §1.4–1.6).
// Money is integer paise. Kite sends prices as JSON numbers; they are read from the number's text,
// so 1234.5 is exactly 123450 paise. Amounts the broker computed (average_price, pnl, margins)
// can carry more than two decimals or binary floating-point noise (801.78125, 99725.05000000002);
// those are rounded half-even to the paisa (Rounding::kHalfEven), which is the only rounding done.
// Broker timestamps are IST wall-clock text ("2021-05-31 09:18:57") converted to UTC ms; a JSON
// null timestamp is 0. Vocabulary the broker owns and may extend (status, product, variety,
// order_type, validity) is kept as the broker's text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"

namespace sm::broker {

// Order statuses as Kite spells them (reference §1.4 "Order statuses").
inline constexpr const char* kStatusComplete = "COMPLETE";
inline constexpr const char* kStatusCancelled = "CANCELLED";
inline constexpr const char* kStatusRejected = "REJECTED";
inline constexpr const char* kStatusOpen = "OPEN";
inline constexpr const char* kStatusTriggerPending = "TRIGGER PENDING";
inline constexpr const char* kStatusPutOrderReqReceived = "PUT ORDER REQ RECEIVED";
inline constexpr const char* kStatusValidationPending = "VALIDATION PENDING";
inline constexpr const char* kStatusOpenPending = "OPEN PENDING";
inline constexpr const char* kStatusModifyValidationPending = "MODIFY VALIDATION PENDING";
inline constexpr const char* kStatusModifyPending = "MODIFY PENDING";
inline constexpr const char* kStatusModified = "MODIFIED";
inline constexpr const char* kStatusCancelPending = "CANCEL PENDING";
inline constexpr const char* kStatusAmoReqReceived = "AMO REQ RECEIVED";

// COMPLETE, CANCELLED and REJECTED: nothing more will happen to the order.
bool is_terminal_status(std::string_view status);

// What we ask the broker to place. variety is Kite's lowercase path word ("regular", "amo", ...).
struct OrderRequest {
  std::string variety = "regular";
  std::string exchange = "NSE";
  std::string tradingsymbol;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kMarket;
  Product product = Product::kDelivery;
  Quantity quantity = 0;
  Paise price = 0;          // LIMIT and SL only
  Paise trigger_price = 0;  // SL and SL-M only
  Quantity disclosed_quantity = 0;
  std::string validity = "DAY";  // DAY, IOC, TTL
  int validity_ttl_minutes = 0;  // TTL only
  // MARKET and SL-M orders need a non-zero market protection since 2026-04-01 (reference §1.4):
  // unset means -1 (automatic) for those order types and "not sent" for the others.
  std::optional<int> market_protection;
  std::string tag;  // our client order id; see validate_tag
};

// A modification of an open order. Fields left unset are not sent (Kite keeps the old value).
struct ModifyRequest {
  std::string variety = "regular";
  std::string order_id;
  std::optional<OrderType> order_type;
  std::optional<Quantity> quantity;
  std::optional<Paise> price;
  std::optional<Paise> trigger_price;
  std::optional<Quantity> disclosed_quantity;
  std::optional<std::string> validity;
};

// One entry of the order book (GET /orders) or one state of an order's history
// (GET /orders/{order_id}), or a postback body.
struct Order {
  std::string order_id;
  std::string parent_order_id;    // "" when null
  std::string exchange_order_id;  // "" until the exchange accepted the order
  std::string placed_by;
  std::string variety;
  std::string status;
  std::string status_message;      // "" when null
  std::string status_message_raw;  // "" when null
  TimestampMs order_timestamp = 0;
  TimestampMs exchange_timestamp = 0;         // 0 when null
  TimestampMs exchange_update_timestamp = 0;  // 0 when null or absent
  bool modified = false;
  std::string exchange;
  std::string tradingsymbol;
  std::int64_t instrument_token = 0;
  std::string order_type;
  Side side = Side::kBuy;  // transaction_type
  std::string validity;
  std::int64_t validity_ttl = 0;
  std::string product;
  Quantity quantity = 0;
  Quantity disclosed_quantity = 0;
  Paise price = 0;
  Paise trigger_price = 0;
  Paise average_price = 0;
  Quantity filled_quantity = 0;
  Quantity pending_quantity = 0;
  Quantity cancelled_quantity = 0;
  std::int64_t market_protection = 0;
  std::string tag;  // "" when null
  std::vector<std::string> tags;
  std::string guid;  // "" when null
  // Postback-only fields (0 / "" elsewhere).
  Quantity unfilled_quantity = 0;
  std::string checksum;
};

// One execution. order_time is Kite's bare "hh:mm:ss" order_timestamp of trades, kept as text.
struct Trade {
  std::string trade_id;
  std::string order_id;
  std::string exchange_order_id;
  std::string exchange;
  std::string tradingsymbol;
  std::int64_t instrument_token = 0;
  std::string product;
  Paise average_price = 0;
  Quantity quantity = 0;
  Side side = Side::kBuy;
  TimestampMs fill_timestamp = 0;
  TimestampMs exchange_timestamp = 0;
  std::string order_time;
};

struct Position {
  std::string tradingsymbol;
  std::string exchange;
  std::int64_t instrument_token = 0;
  std::string product;
  Quantity quantity = 0;
  Quantity overnight_quantity = 0;
  std::int64_t multiplier = 1;
  Paise average_price = 0;
  Paise close_price = 0;
  Paise last_price = 0;
  Paise value = 0;
  Paise pnl = 0;
  Paise m2m = 0;
  Paise unrealised = 0;
  Paise realised = 0;
  Quantity buy_quantity = 0;
  Paise buy_price = 0;
  Paise buy_value = 0;
  Quantity sell_quantity = 0;
  Paise sell_price = 0;
  Paise sell_value = 0;
  Quantity day_buy_quantity = 0;
  Paise day_buy_price = 0;
  Paise day_buy_value = 0;
  Quantity day_sell_quantity = 0;
  Paise day_sell_price = 0;
  Paise day_sell_value = 0;
};

// GET /portfolio/positions: net (carried + today) and day (today only).
struct Positions {
  std::vector<Position> net;
  std::vector<Position> day;
};

struct Holding {
  std::string tradingsymbol;
  std::string exchange;
  std::int64_t instrument_token = 0;
  std::string isin;
  std::string product;
  Quantity quantity = 0;
  Quantity used_quantity = 0;
  Quantity t1_quantity = 0;
  Quantity realised_quantity = 0;
  Quantity opening_quantity = 0;
  Quantity collateral_quantity = 0;
  Quantity short_quantity = 0;
  Paise average_price = 0;
  Paise last_price = 0;
  Paise close_price = 0;
  Paise pnl = 0;
  Paise day_change = 0;
  double day_change_percentage = 0;  // a ratio for display, not money
};

struct Ohlc {
  Paise open = 0;
  Paise high = 0;
  Paise low = 0;
  Paise close = 0;  // the previous session's close in quotes
};

struct DepthLevel {
  Paise price = 0;
  Quantity quantity = 0;
  std::int64_t orders = 0;
};

// GET /quote. Keys of the map returned by Broker::quote are "EXCHANGE:SYMBOL" as requested;
// instruments with no data are absent.
struct Quote {
  std::int64_t instrument_token = 0;
  TimestampMs timestamp = 0;
  TimestampMs last_trade_time = 0;
  Paise last_price = 0;
  Quantity last_quantity = 0;
  Quantity buy_quantity = 0;
  Quantity sell_quantity = 0;
  Quantity volume = 0;
  Paise average_price = 0;
  std::int64_t oi = 0;
  Paise net_change = 0;
  Paise lower_circuit_limit = 0;
  Paise upper_circuit_limit = 0;
  Ohlc ohlc;
  std::vector<DepthLevel> depth_buy;
  std::vector<DepthLevel> depth_sell;
};

// GET /quote/ltp and GET /quote/ohlc (ohlc is zero for ltp).
struct LtpQuote {
  std::int64_t instrument_token = 0;
  Paise last_price = 0;
  Ohlc ohlc;
};

// One candle of GET /instruments/historical (reference §1.6): ts is the candle's start.
struct Candle {
  TimestampMs ts = 0;
  Paise open = 0;
  Paise high = 0;
  Paise low = 0;
  Paise close = 0;
  Quantity volume = 0;
  std::int64_t oi = 0;  // open interest; 0 unless asked for
};

// One row of the instruments CSV dump (GET /instruments[/EXCHANGE]).
struct Instrument {
  std::int64_t instrument_token = 0;
  std::int64_t exchange_token = 0;
  std::string tradingsymbol;
  std::string name;
  Paise last_price = 0;
  std::optional<Date> expiry;
  Paise strike = 0;
  // Paise per tick; 0 when the tick is finer than one paisa (currency derivatives, 0.0025).
  Paise tick_size = 0;
  std::int64_t lot_size = 0;
  std::string instrument_type;
  std::string segment;
  std::string exchange;
};

// GET /user/profile.
struct Profile {
  std::string user_id;
  std::string user_name;
  std::string user_shortname;
  std::string email;
  std::string user_type;
  std::string broker;
  std::vector<std::string> exchanges;
  std::vector<std::string> products;
  std::vector<std::string> order_types;
};

// POST /session/token: the user's profile and the session's tokens. login_time is UTC ms.
struct Session : Profile {
  std::string api_key;
  std::string access_token;
  std::string public_token;
  std::string refresh_token;
  TimestampMs login_time = 0;
};

// One segment of GET /user/margins.
struct SegmentMargins {
  bool enabled = false;
  Paise net = 0;  // what can be used now
  Paise available_cash = 0;
  Paise opening_balance = 0;
  Paise live_balance = 0;
  Paise collateral = 0;
  Paise intraday_payin = 0;
  Paise adhoc_margin = 0;
  Paise utilised_debits = 0;
  Paise utilised_exposure = 0;
  Paise utilised_span = 0;
  Paise utilised_option_premium = 0;
  Paise utilised_holding_sales = 0;
  Paise utilised_turnover = 0;
  Paise utilised_m2m_realised = 0;
  Paise utilised_m2m_unrealised = 0;
};

struct Margins {
  std::optional<SegmentMargins> equity;
  std::optional<SegmentMargins> commodity;
};

// POST /orders/{variety}. With autoslice, children carry an order_id or an error each.
struct PlaceOrderChild {
  std::string order_id;  // "" when the child failed
  std::string error_type;
  std::string message;
  int code = 0;
};
struct PlaceOrderResponse {
  std::string order_id;
  std::vector<PlaceOrderChild> children;
};

}  // namespace sm::broker
