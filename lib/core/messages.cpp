#include "core/messages.h"

#include <simdjson.h>

#include <fmt/format.h>
#include <array>
#include <vector>

#include "core/json_writer.h"
#include "core/tick_line.h"

namespace sm {
namespace {

template <typename Enum, size_t N>
Result<Enum> parse_enum(std::string_view text,
                        const std::array<std::pair<std::string_view, Enum>, N>& names,
                        std::string_view what) {
  for (const auto& [name, value] : names) {
    if (name == text) return value;
  }
  std::string allowed;
  for (const auto& entry : names) {
    if (!allowed.empty()) allowed += ", ";
    allowed += entry.first;
  }
  return error(ErrorCode::kParseError,
               fmt::format("'{}' is not a {} (one of {})", text, what, allowed));
}

template <typename Enum, size_t N>
std::string_view enum_name(Enum value,
                           const std::array<std::pair<std::string_view, Enum>, N>& names) {
  for (const auto& [name, candidate] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<std::string_view, Side>, 2> kSides{
    {{"BUY", Side::kBuy}, {"SELL", Side::kSell}}};
constexpr std::array<std::pair<std::string_view, SignalAction>, 2> kActions{
    {{"enter_long", SignalAction::kEnterLong}, {"exit_long", SignalAction::kExitLong}}};
constexpr std::array<std::pair<std::string_view, OrderType>, 4> kOrderTypes{
    {{"MARKET", OrderType::kMarket},
     {"LIMIT", OrderType::kLimit},
     {"SL", OrderType::kStopLoss},
     {"SL-M", OrderType::kStopLossMarket}}};
constexpr std::array<std::pair<std::string_view, Product>, 2> kProducts{
    {{"CNC", Product::kDelivery}, {"MIS", Product::kIntraday}}};
constexpr std::array<std::pair<std::string_view, Severity>, 3> kSeverities{
    {{"info", Severity::kInfo},
     {"warning", Severity::kWarning},
     {"critical", Severity::kCritical}}};

}  // namespace

Result<Timeframe> parse_timeframe(std::string_view text) {
  if (text.size() >= 2) {
    int count = 0;
    size_t i = 0;
    for (; i + 1 < text.size() && text[i] >= '0' && text[i] <= '9' && count < 100000; ++i) {
      count = count * 10 + (text[i] - '0');
    }
    if (i + 1 == text.size() && count > 0) {
      switch (text.back()) {
        case 'm':
          if (count <= 720) return Timeframe{count};
          break;
        case 'h':
          if (count <= 12) return Timeframe{count * 60};
          break;
        case 'd':
          if (count == 1) return Timeframe{Timeframe::kDailyMinutes};
          break;
        default:
          break;
      }
    }
  }
  return error(ErrorCode::kParseError,
               fmt::format("'{}' is not a timeframe (e.g. 1m, 5m, 15m, 1h, 1d)", text));
}

std::string format_timeframe(Timeframe timeframe) {
  if (timeframe.is_daily()) return "1d";
  if (timeframe.minutes % 60 == 0) return fmt::format("{}h", timeframe.minutes / 60);
  return fmt::format("{}m", timeframe.minutes);
}

std::string_view side_name(Side side) { return enum_name(side, kSides); }
Result<Side> parse_side(std::string_view text) { return parse_enum(text, kSides, "side"); }
std::string_view signal_action_name(SignalAction action) { return enum_name(action, kActions); }
Result<SignalAction> parse_signal_action(std::string_view text) {
  return parse_enum(text, kActions, "signal action");
}
std::string_view order_type_name(OrderType type) { return enum_name(type, kOrderTypes); }
Result<OrderType> parse_order_type(std::string_view text) {
  return parse_enum(text, kOrderTypes, "order type");
}
std::string_view product_name(Product product) { return enum_name(product, kProducts); }
Result<Product> parse_product(std::string_view text) {
  return parse_enum(text, kProducts, "product");
}
std::string_view severity_name(Severity severity) { return enum_name(severity, kSeverities); }
Result<Severity> parse_severity(std::string_view text) {
  return parse_enum(text, kSeverities, "severity");
}

namespace {

struct TypeName {
  std::string_view operator()(const Tick&) const { return "tick"; }
  std::string_view operator()(const Bar&) const { return "bar"; }
  std::string_view operator()(const Signal&) const { return "signal"; }
  std::string_view operator()(const OrderIntent&) const { return "order"; }
  std::string_view operator()(const OrderUpdate&) const { return "order_update"; }
  std::string_view operator()(const Fill&) const { return "fill"; }
  std::string_view operator()(const RiskDecision&) const { return "risk_decision"; }
  std::string_view operator()(const Alert&) const { return "alert"; }
  std::string_view operator()(const Heartbeat&) const { return "heartbeat"; }
  std::string_view operator()(const ErrorRecord&) const { return "error"; }
  std::string_view operator()(const Halt&) const { return "halt"; }
  std::string_view operator()(const UnknownMessage& m) const { return m.type; }
};

struct Encoder {
  std::string& out;

  JsonObjectWriter begin(std::string_view type, TimestampMs ts) const {
    JsonObjectWriter w(out);
    w.string("type", type).timestamp("ts", ts);
    return w;
  }
  void operator()(const Tick& m) const {
    auto w = begin("tick", m.ts);
    w.string("symbol", m.symbol)
        .rupees("price", m.price)
        .integer("qty", m.qty)
        .integer("volume", m.volume);
    w.finish();
  }
  void operator()(const Bar& m) const {
    auto w = begin("bar", m.ts);
    w.string("symbol", m.symbol).string("timeframe", format_timeframe(m.timeframe));
    w.rupees("open", m.open).rupees("high", m.high).rupees("low", m.low).rupees("close", m.close);
    w.integer("volume", m.volume).boolean("partial", m.partial);
    w.finish();
  }
  void operator()(const Signal& m) const {
    auto w = begin("signal", m.ts);
    w.string("strategy", m.strategy)
        .string("symbol", m.symbol)
        .string("action", signal_action_name(m.action));
    w.integer("qty", m.qty)
        .rupees("price", m.price)
        .rupees("stop", m.stop)
        .string("reason", m.reason);
    w.finish();
  }
  void operator()(const OrderIntent& m) const {
    auto w = begin("order", m.ts);
    w.string("client_order_id", m.client_order_id).string("strategy", m.strategy);
    w.string("symbol", m.symbol).string("exchange", m.exchange).string("side", side_name(m.side));
    w.integer("qty", m.qty).string("order_type", order_type_name(m.order_type));
    w.string("product", product_name(m.product)).rupees("price", m.price);
    w.rupees("trigger_price", m.trigger_price)
        .timestamp("signal_ts", m.signal_ts)
        .string("reason", m.reason);
    w.finish();
  }
  void operator()(const OrderUpdate& m) const {
    auto w = begin("order_update", m.ts);
    w.string("client_order_id", m.client_order_id).string("broker_order_id", m.broker_order_id);
    w.string("symbol", m.symbol).string("side", side_name(m.side)).string("status", m.status);
    w.integer("qty", m.qty)
        .integer("filled_qty", m.filled_qty)
        .integer("pending_qty", m.pending_qty);
    w.rupees("average_price", m.average_price).string("status_message", m.status_message);
    if (m.recorded_ts != 0) w.timestamp("recorded_ts", m.recorded_ts);
    w.finish();
  }
  void operator()(const Fill& m) const {
    auto w = begin("fill", m.ts);
    w.string("client_order_id", m.client_order_id).string("broker_order_id", m.broker_order_id);
    w.string("trade_id", m.trade_id).string("strategy", m.strategy).string("symbol", m.symbol);
    w.string("side", side_name(m.side)).integer("qty", m.qty).rupees("price", m.price);
    w.rupees("charges", m.charges);
    w.finish();
  }
  void operator()(const RiskDecision& m) const {
    auto w = begin("risk_decision", m.ts);
    w.string("strategy", m.strategy)
        .string("symbol", m.symbol)
        .string("action", signal_action_name(m.action));
    w.timestamp("signal_ts", m.signal_ts).boolean("approved", m.approved).string("code", m.code);
    w.string("detail", m.detail).string("client_order_id", m.client_order_id);
    w.finish();
  }
  void operator()(const Alert& m) const {
    auto w = begin("alert", m.ts);
    w.string("severity", severity_name(m.severity)).string("component", m.component);
    w.string("event", m.event).string("text", m.text).string("dedup_key", m.dedup_key);
    w.finish();
  }
  void operator()(const Heartbeat& m) const {
    auto w = begin("heartbeat", m.ts);
    w.string("component", m.component).string("status", m.status).integer("pid", m.pid);
    w.string("detail", m.detail);
    w.finish();
  }
  void operator()(const ErrorRecord& m) const {
    auto w = begin("error", m.ts);
    w.string("component", m.component).string("code", m.code).string("message", m.message);
    w.string("input", m.input).integer("line", m.line);
    if (!m.event.empty()) w.string("event", m.event);
    w.finish();
  }
  void operator()(const Halt& m) const {
    auto w = begin("halt", m.ts);
    w.string("action", m.action).string("level", m.level).string("trigger", m.trigger);
    w.string("reason", m.reason).string("by", m.by);
    if (m.until != 0) {
      w.timestamp("until", m.until);
    } else {
      w.raw("until", "null");
    }
    w.finish();
  }
  void operator()(const UnknownMessage& m) const {
    JsonObjectWriter w(out);
    w.string("type", m.type);
    w.finish();
  }
};

}  // namespace

std::string_view message_type(const Message& message) { return std::visit(TypeName{}, message); }

void append_json(std::string& out, const Message& message) { std::visit(Encoder{out}, message); }
void append_json(std::string& out, const Tick& tick) { Encoder{out}(tick); }
void append_json(std::string& out, const Bar& bar) { Encoder{out}(bar); }

std::string to_json(const Message& message) {
  std::string out;
  append_json(out, message);
  return out;
}

namespace {

enum class FieldKind { kString, kNumber, kBool, kNull, kOther };

struct Field {
  std::string_view key;
  FieldKind kind;
  std::string_view text;  // unescaped string, or "true"/"false"
  double number;          // a JSON number that is not a whole int64
  std::int64_t integer;   // a JSON number that is a whole int64 (is_integer)
  bool is_integer;
};

// A JSON number as paise. Integers are exact; other numbers must be two-decimal amounts, which a
// double identifies uniquely in our range (see paise_from_double).
Result<Paise> number_as_paise(const Field& f) {
  if (f.is_integer) {
    if (f.integer > kMaxAbsPaise / 100 || f.integer < -kMaxAbsPaise / 100) {
      return error(ErrorCode::kParseError, fmt::format("{} is too large", f.integer));
    }
    return f.integer * 100;
  }
  return paise_from_double(f.number);
}

// The top-level scalar fields of one line, with typed getters that remember the first problem.
class Fields {
 public:
  std::vector<Field>& entries() { return fields_; }
  // Forgets the previous line but keeps the vector's capacity: the decoder calls this per line, and
  // reallocating the vector every time cost about a fifth of the decode time.
  void clear() {
    fields_.clear();
    status_ = Status();
  }

  std::string_view string(std::string_view key, bool required = true) {
    const Field* f = find(key, required);
    if (f == nullptr) return {};
    if (f->kind != FieldKind::kString) {
      fail(key, "expected a string");
      return {};
    }
    return f->text;
  }

  std::int64_t integer(std::string_view key, bool required = true) {
    const Field* f = find(key, required);
    if (f == nullptr) return 0;
    if (f->kind != FieldKind::kNumber && f->kind != FieldKind::kString) {
      fail(key, "expected a whole number");
      return 0;
    }
    if (f->kind == FieldKind::kNumber && f->is_integer) return f->integer;
    Result<Paise> hundredths =
        f->kind == FieldKind::kString ? parse_rupees(f->text) : number_as_paise(*f);
    if (!hundredths.ok() || *hundredths % 100 != 0) {
      fail(key, "is not a whole number in range");
      return 0;
    }
    return *hundredths / 100;
  }

  Paise money(std::string_view key, bool required = true) {
    const Field* f = find(key, required);
    if (f == nullptr) return 0;
    if (f->kind != FieldKind::kNumber && f->kind != FieldKind::kString) {
      fail(key, "expected a rupee amount");
      return 0;
    }
    Result<Paise> paise =
        f->kind == FieldKind::kString ? parse_rupees(f->text) : number_as_paise(*f);
    if (!paise.ok()) {
      fail(key, paise.status().message());
      return 0;
    }
    return *paise;
  }

  TimestampMs timestamp(std::string_view key, bool required = true) {
    const Field* f = find(key, required);
    if (f == nullptr) return 0;
    if (f->kind == FieldKind::kNull && !required) return 0;
    if (f->kind == FieldKind::kNumber) return integer(key, required);  // epoch milliseconds
    if (f->kind != FieldKind::kString) {
      fail(key, "expected an ISO 8601 timestamp");
      return 0;
    }
    Result<TimestampMs> ts = parse_timestamp(f->text);
    if (!ts.ok()) {
      fail(key, ts.status().message());
      return 0;
    }
    return *ts;
  }

  bool boolean(std::string_view key) {
    const Field* f = find(key, false);
    if (f == nullptr) return false;
    if (f->kind != FieldKind::kBool) {
      fail(key, "expected true or false");
      return false;
    }
    return f->text == "true";
  }

  template <typename T>
  T parsed(std::string_view key, Result<T> (*parse)(std::string_view), T fallback,
           bool required = true) {
    const Field* f = find(key, required);
    if (f == nullptr) return fallback;
    if (f->kind != FieldKind::kString) {
      fail(key, "expected a string");
      return fallback;
    }
    Result<T> value = parse(f->text);
    if (!value.ok()) {
      fail(key, value.status().message());
      return fallback;
    }
    return *value;
  }

  Quantity quantity(std::string_view key, bool required = true) {
    const std::int64_t value = integer(key, required);
    if (value < 0) fail(key, "must not be negative");
    return value;
  }

  Paise price(std::string_view key, bool required = true) {
    const Paise value = money(key, required);
    if (value < 0) fail(key, "must not be negative");
    return value;
  }

  const Status& status() const { return status_; }

 private:
  const Field* find(std::string_view key, bool required) {
    for (const Field& f : fields_) {
      if (f.key == key) {
        if (f.kind == FieldKind::kNull && required) {
          fail(key, "is null");
          return nullptr;
        }
        return f.kind == FieldKind::kNull ? nullptr : &f;
      }
    }
    if (required) fail(key, "is missing");
    return nullptr;
  }

  void fail(std::string_view key, std::string_view why) {
    if (status_.ok())
      status_ = error(ErrorCode::kParseError, fmt::format("field '{}' {}", key, why));
  }

  std::vector<Field> fields_;
  Status status_;
};

// Long by design: a flat table, one plain field list per message type; splitting it would only
// scatter the table.
// NOLINTNEXTLINE(readability-function-size)
Message decode_fields(std::string_view type, Fields& f) {
  if (type == "bar") {
    Bar m;
    m.ts = f.timestamp("ts");
    m.symbol = f.string("symbol");
    m.timeframe = f.parsed<Timeframe>("timeframe", parse_timeframe, Timeframe{});
    m.open = f.price("open");
    m.high = f.price("high");
    m.low = f.price("low");
    m.close = f.price("close");
    m.volume = f.quantity("volume", false);
    m.partial = f.boolean("partial");
    return m;
  }
  if (type == "tick") {
    Tick m;
    m.ts = f.timestamp("ts");
    m.symbol = f.string("symbol");
    m.price = f.price("price");
    m.qty = f.quantity("qty", false);
    m.volume = f.quantity("volume", false);
    return m;
  }
  if (type == "signal") {
    Signal m;
    m.ts = f.timestamp("ts");
    m.strategy = f.string("strategy");
    m.symbol = f.string("symbol");
    m.action = f.parsed<SignalAction>("action", parse_signal_action, SignalAction::kEnterLong);
    m.qty = f.quantity("qty");
    m.price = f.price("price", false);
    m.stop = f.price("stop", false);
    m.reason = f.string("reason", false);
    return m;
  }
  if (type == "order") {
    OrderIntent m;
    m.ts = f.timestamp("ts");
    m.client_order_id = f.string("client_order_id");
    m.strategy = f.string("strategy", false);
    m.symbol = f.string("symbol");
    if (std::string_view exchange = f.string("exchange", false); !exchange.empty())
      m.exchange = exchange;
    m.side = f.parsed<Side>("side", parse_side, Side::kBuy);
    m.qty = f.quantity("qty");
    m.order_type = f.parsed<OrderType>("order_type", parse_order_type, OrderType::kMarket, false);
    m.product = f.parsed<Product>("product", parse_product, Product::kDelivery, false);
    m.price = f.price("price", false);
    m.trigger_price = f.price("trigger_price", false);
    m.signal_ts = f.timestamp("signal_ts", false);
    m.reason = f.string("reason", false);
    return m;
  }
  if (type == "order_update") {
    OrderUpdate m;
    m.ts = f.timestamp("ts");
    m.client_order_id = f.string("client_order_id");
    m.broker_order_id = f.string("broker_order_id", false);
    m.symbol = f.string("symbol", false);
    m.side = f.parsed<Side>("side", parse_side, Side::kBuy, false);
    m.status = f.string("status");
    m.qty = f.quantity("qty", false);
    m.filled_qty = f.quantity("filled_qty", false);
    m.pending_qty = f.quantity("pending_qty", false);
    m.average_price = f.price("average_price", false);
    m.status_message = f.string("status_message", false);
    m.recorded_ts = f.timestamp("recorded_ts", false);
    return m;
  }
  if (type == "fill") {
    Fill m;
    m.ts = f.timestamp("ts");
    m.client_order_id = f.string("client_order_id", false);
    m.broker_order_id = f.string("broker_order_id", false);
    m.trade_id = f.string("trade_id", false);
    m.strategy = f.string("strategy", false);
    m.symbol = f.string("symbol");
    m.side = f.parsed<Side>("side", parse_side, Side::kBuy);
    m.qty = f.quantity("qty");
    m.price = f.price("price");
    m.charges = f.price("charges", false);
    return m;
  }
  if (type == "risk_decision") {
    RiskDecision m;
    m.ts = f.timestamp("ts");
    m.strategy = f.string("strategy", false);
    m.symbol = f.string("symbol");
    m.action =
        f.parsed<SignalAction>("action", parse_signal_action, SignalAction::kEnterLong, false);
    m.signal_ts = f.timestamp("signal_ts", false);
    m.approved = f.boolean("approved");
    m.code = f.string("code");
    m.detail = f.string("detail", false);
    m.client_order_id = f.string("client_order_id", false);
    return m;
  }
  if (type == "alert") {
    Alert m;
    m.ts = f.timestamp("ts");
    m.severity = f.parsed<Severity>("severity", parse_severity, Severity::kInfo, false);
    m.component = f.string("component", false);
    m.event = f.string("event");
    m.text = f.string("text", false);
    m.dedup_key = f.string("dedup_key", false);
    return m;
  }
  if (type == "heartbeat") {
    Heartbeat m;
    m.ts = f.timestamp("ts");
    m.component = f.string("component");
    if (std::string_view status = f.string("status", false); !status.empty()) m.status = status;
    m.pid = f.integer("pid", false);
    m.detail = f.string("detail", false);
    return m;
  }
  if (type == "error") {
    ErrorRecord m;
    m.ts = f.timestamp("ts");
    m.component = f.string("component", false);
    m.code = f.string("code", false);
    m.message = f.string("message");
    m.input = f.string("input", false);
    m.line = f.integer("line", false);
    m.event = f.string("event", false);
    return m;
  }
  if (type == "halt") {
    Halt m;
    m.ts = f.timestamp("ts");
    m.action = f.string("action");
    m.level = f.string("level", false);
    if (m.level.empty()) m.level = "halt";
    m.trigger = f.string("trigger", false);
    m.reason = f.string("reason", false);
    m.by = f.string("by", false);
    m.until = f.timestamp("until", false);
    if (m.action != "halt" && m.action != "resume") {
      return UnknownMessage{"halt"};  // replaced by the caller's error below
    }
    return m;
  }
  return UnknownMessage{std::string(type)};
}

}  // namespace

struct MessageDecoder::Impl {
  simdjson::dom::parser parser;
  std::string buffer;
  Fields fields;
};

MessageDecoder::MessageDecoder() : impl_(std::make_unique<Impl>()) {}
MessageDecoder::~MessageDecoder() = default;

// The DOM parser is used (not On Demand) because it picks the fastest SIMD kernel for the CPU at
// run time; On Demand would be fixed to the generic kernel by a portable -march.
Result<Message> MessageDecoder::decode(std::string_view line) {
  using simdjson::dom::element_type;
  Impl& s = *impl_;
  // The programs' own tick lines skip the generic JSON value (core/tick_line.h); any other line,
  // and every bad one, takes the general path below.
  if (Tick tick; decode_written_tick(line, tick)) return Message(std::move(tick));
  // simdjson reads up to SIMDJSON_PADDING bytes past the end, so parse from a padded copy.
  s.buffer.assign(line);
  s.buffer.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');

  auto invalid = [](std::string_view why) {
    return Status(ErrorCode::kParseError, fmt::format("invalid JSON: {}", why));
  };
  simdjson::dom::element doc;
  if (auto err = s.parser.parse(s.buffer.data(), line.size(), false).get(doc); err) {
    return invalid(simdjson::error_message(err));
  }
  simdjson::dom::object object;
  if (auto err = doc.get_object().get(object); err) return invalid("not a JSON object");

  s.fields.clear();
  std::vector<Field>& entries = s.fields.entries();
  for (const auto [key, value] : object) {
    // Filled in place: building a Field on the stack and copying it in stalled on store forwarding.
    Field& entry = entries.emplace_back();
    entry.key = key;
    entry.kind = FieldKind::kOther;
    entry.is_integer = false;
    switch (value.type()) {
      case element_type::STRING:
        entry.kind = FieldKind::kString;
        entry.text = value.get_string().value_unsafe();
        break;
      case element_type::INT64:
        entry.kind = FieldKind::kNumber;
        entry.is_integer = true;
        entry.integer = value.get_int64().value_unsafe();
        break;
      case element_type::UINT64:  // above INT64_MAX: kept as a double so range checks reject it
        entry.kind = FieldKind::kNumber;
        entry.number = static_cast<double>(value.get_uint64().value_unsafe());
        break;
      case element_type::DOUBLE:
        entry.kind = FieldKind::kNumber;
        entry.number = value.get_double().value_unsafe();
        break;
      case element_type::BOOL:
        entry.kind = FieldKind::kBool;
        entry.text = value.get_bool().value_unsafe() ? "true" : "false";
        break;
      case element_type::NULL_VALUE:
        entry.kind = FieldKind::kNull;
        break;
      default:
        break;
    }
  }

  std::string_view type;
  for (const Field& f : entries) {
    if (f.key == "type") {
      if (f.kind != FieldKind::kString || f.text.empty()) {
        return Status(ErrorCode::kParseError, "field 'type' must be a non-empty string");
      }
      type = f.text;
    }
  }
  if (type.empty()) return Status(ErrorCode::kParseError, "field 'type' is missing");
  Message message = decode_fields(type, s.fields);
  if (!s.fields.status().ok()) return s.fields.status();
  if (type == "halt" && std::holds_alternative<UnknownMessage>(message)) {
    return Status(ErrorCode::kParseError, "field 'action' must be halt or resume");
  }
  return message;
}

}  // namespace sm
