// The messages StalkMarket programs exchange as NDJSON, one JSON object per line.
// docs/PROTOCOL.md shows one example line per type and every field with its unit. Every message
// carries `type` and `ts` (UTC, ISO 8601 with milliseconds and Z). Money fields are rupees with at
// most two decimals on the wire and integer paise in memory; they are parsed from the JSON text
// exactly. Readers ignore unknown fields; a line whose type is not one of these decodes as
// UnknownMessage so that filters can pass it through unchanged.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/money.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm {

// Bar length. Daily bars are 1440 minutes and written "1d"; others "5m", "1h".
struct Timeframe {
  int minutes = 1;
  auto operator<=>(const Timeframe&) const = default;
  static constexpr int kDailyMinutes = 1440;
  bool is_daily() const { return minutes == kDailyMinutes; }
};
Result<Timeframe> parse_timeframe(std::string_view text);  // "1m", "5m", "15m", "1h", "1d", ...
std::string format_timeframe(Timeframe timeframe);

enum class Side { kBuy, kSell };  // "BUY" / "SELL", Kite's spelling
std::string_view side_name(Side side);
Result<Side> parse_side(std::string_view text);

// What a strategy wants. Exits close the strategy's whole position in the symbol unless qty says
// less.
enum class SignalAction { kEnterLong, kExitLong };  // "enter_long" / "exit_long"
std::string_view signal_action_name(SignalAction action);
Result<SignalAction> parse_signal_action(std::string_view text);

enum class OrderType { kMarket, kLimit, kStopLoss, kStopLossMarket };  // MARKET LIMIT SL SL-M
std::string_view order_type_name(OrderType type);
Result<OrderType> parse_order_type(std::string_view text);

enum class Product { kDelivery, kIntraday };  // CNC / MIS
std::string_view product_name(Product product);
Result<Product> parse_product(std::string_view text);

// A trade print or last-traded-price update.
struct Tick {
  TimestampMs ts = 0;
  std::string symbol;
  Paise price = 0;
  Quantity qty = 0;     // size of the last trade; 0 when the source does not say (an index)
  Quantity volume = 0;  // cumulative volume for the day; 0 when unknown
};

// An OHLCV candle. ts labels the START of the bar (09:15 IST for the first bar of a session);
// the bar covers [ts, ts + timeframe). partial is true when minutes inside it are missing or the
// bar is still forming.
struct Bar {
  TimestampMs ts = 0;
  std::string symbol;
  Timeframe timeframe;
  Paise open = 0;
  Paise high = 0;
  Paise low = 0;
  Paise close = 0;
  Quantity volume = 0;
  bool partial = false;
};

// A strategy's decision. ts is the time of the market event it was decided on (the bar's close
// time for bars, see docs/PROTOCOL.md).
struct Signal {
  TimestampMs ts = 0;
  std::string strategy;  // the strategy instance name, e.g. "sma-cross-10-30"
  std::string symbol;
  SignalAction action = SignalAction::kEnterLong;
  Quantity qty = 0;
  Paise price = 0;  // reference price the decision was based on (last close / last trade)
  Paise stop = 0;   // protective stop price; 0 = none
  std::string reason;
};

// An approved order intent: a command to sm-order. client_order_id is deterministic (see risk) and
// is sent to the broker as the order tag, which is what makes placing idempotent.
struct OrderIntent {
  TimestampMs ts = 0;
  std::string client_order_id;
  std::string strategy;
  std::string symbol;
  std::string exchange = "NSE";
  Side side = Side::kBuy;
  Quantity qty = 0;
  OrderType order_type = OrderType::kMarket;
  Product product = Product::kDelivery;
  Paise price = 0;          // limit price; 0 for MARKET
  Paise trigger_price = 0;  // for SL / SL-M; 0 otherwise
  TimestampMs signal_ts = 0;
  std::string reason;
};

// A change of an order's state at the broker (past tense: something happened). Two clocks: ts is
// when the state arose, by the broker's time for it (its exchange or order timestamp; in a paper
// replay with sm-paper --clock market, the replayed market time), or by sm-order's clock when the
// broker gives none (an order recorded but not yet acknowledged); recorded_ts is when sm-order
// recorded it, always on its own (wall) clock. In a replay the two are years apart.
struct OrderUpdate {
  TimestampMs ts = 0;
  std::string client_order_id;
  std::string broker_order_id;
  std::string symbol;
  Side side = Side::kBuy;
  std::string status;  // the broker's status text: OPEN, COMPLETE, CANCELLED, REJECTED, ...
  Quantity qty = 0;
  Quantity filled_qty = 0;
  Quantity pending_qty = 0;
  Paise average_price = 0;
  std::string status_message;   // the broker's reason for a rejection or cancellation
  TimestampMs recorded_ts = 0;  // 0: not given (input from another writer)
};

// One execution (a trade). An order may fill in several.
struct Fill {
  TimestampMs ts = 0;
  std::string client_order_id;
  std::string broker_order_id;
  std::string trade_id;
  std::string strategy;
  std::string symbol;
  Side side = Side::kBuy;
  Quantity qty = 0;
  Paise price = 0;
  Paise charges = 0;  // taxes and fees attributed to this fill, when known
};

// The risk gateway's verdict on one signal. code is APPROVED or a machine-readable denial reason
// such as MAX_ORDER_VALUE_EXCEEDED; detail carries the numbers ("value=125000.00, max=100000.00").
struct RiskDecision {
  TimestampMs ts = 0;
  std::string strategy;
  std::string symbol;
  SignalAction action = SignalAction::kEnterLong;
  TimestampMs signal_ts = 0;
  bool approved = false;
  std::string code;
  std::string detail;
  std::string client_order_id;  // set when approved
};

enum class Severity { kInfo, kWarning, kCritical };
std::string_view severity_name(Severity severity);
Result<Severity> parse_severity(std::string_view text);

// Something a person should hear about; sm-alert routes it to Telegram, Discord, PagerDuty, ...
struct Alert {
  TimestampMs ts = 0;
  Severity severity = Severity::kInfo;
  std::string component;  // who raised it
  std::string event;      // machine-readable, e.g. kill_switch_daily_loss
  std::string text;       // one line for people
  std::string dedup_key;  // alerts with the same key are one incident; may be empty
};

// "I am alive", from each long-running component.
struct Heartbeat {
  TimestampMs ts = 0;
  std::string component;
  std::string status = "ok";  // ok, degraded, stopping
  std::int64_t pid = 0;
  std::string detail;
};

// A problem a program met and reported as data (also written to stderr as a log line).
struct ErrorRecord {
  TimestampMs ts = 0;
  std::string component;
  std::string code;  // an error_code_name
  std::string message;
  std::string input;      // file or stream name, when it concerns input
  std::int64_t line = 0;  // 1-based line number in input; 0 when not applicable
  std::string event;      // what failed, as the program's log line names it; "" = not given
};

// A kill switch state change. level: block_entries (exits still allowed), halt (nothing new),
// pause (halt that needs a person to resume). action: halt or resume.
struct Halt {
  TimestampMs ts = 0;
  std::string action = "halt";
  std::string level = "halt";
  std::string trigger;  // e.g. daily_loss_5pct, manual
  std::string reason;
  std::string by;         // component or person
  TimestampMs until = 0;  // automatic reset time; 0 = only by a person
};

// Any line whose type is not one of the above. Filters write the original line back unchanged.
struct UnknownMessage {
  std::string type;
};

using Message = std::variant<Tick, Bar, Signal, OrderIntent, OrderUpdate, Fill, RiskDecision, Alert,
                             Heartbeat, ErrorRecord, Halt, UnknownMessage>;

// The wire name of a message's type: "tick", "bar", "signal", "order", "order_update", "fill",
// "risk_decision", "alert", "heartbeat", "error", "halt", or the unknown type's own name.
std::string_view message_type(const Message& message);

// Appends one JSON object (no newline) for the message. UnknownMessage cannot be re-encoded
// (write the original line instead); it appends {"type":...} only.
void append_json(std::string& out, const Message& message);
// The same for the two market-data records, without copying them into a Message first.
void append_json(std::string& out, const Tick& tick);
void append_json(std::string& out, const Bar& bar);
std::string to_json(const Message& message);

// Decodes NDJSON lines. Holds parser buffers, so reuse one decoder per stream. Not thread-safe.
class MessageDecoder {
 public:
  MessageDecoder();
  ~MessageDecoder();
  MessageDecoder(const MessageDecoder&) = delete;
  MessageDecoder& operator=(const MessageDecoder&) = delete;

  // Fails with kParseError when the line is not a JSON object, has no string `type`, or a known
  // type lacks a required field or has one of the wrong type or range; the message names the field.
  Result<Message> decode(std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm
