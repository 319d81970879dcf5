#include "broker/kite_json.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "core/sha256.h"

namespace sm::broker {

using nlohmann::json;

namespace {

// Builds a DOM from nlohmann's SAX events. The point is number_float, which receives the number's
// text: keeping that text (as a string) is what lets money be parsed without binary rounding.
class ExactDomBuilder {
 public:
  bool null() { return put(json(nullptr)); }
  bool boolean(bool value) { return put(json(value)); }
  bool number_integer(json::number_integer_t value) { return put(json(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return put(json(value)); }
  bool number_float(json::number_float_t /*value*/, const json::string_t& text) {
    return put(json(text));
  }
  bool string(json::string_t& value) { return put(json(std::move(value))); }
  bool binary(json::binary_t& /*value*/) { return false; }
  bool start_object(std::size_t /*size*/) { return open(json::object()); }
  bool key(json::string_t& name) {
    key_ = std::move(name);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*size*/) { return open(json::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const json::exception& ex) {
    error_ = fmt::format("invalid JSON at byte {}: {}", position, ex.what());
    return false;
  }

  json& root() { return root_; }
  const std::string& error_text() const { return error_; }

 private:
  bool put(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
    } else if (stack_.back()->is_object()) {
      (*stack_.back())[key_] = std::move(value);
    } else {
      stack_.back()->push_back(std::move(value));
    }
    return true;
  }
  bool open(json container) {
    json* slot = nullptr;
    if (stack_.empty()) {
      root_ = std::move(container);
      slot = &root_;
    } else if (stack_.back()->is_object()) {
      json& parent = *stack_.back();
      parent[key_] = std::move(container);
      slot = &parent[key_];
    } else {
      json& parent = *stack_.back();
      parent.push_back(std::move(container));
      slot = &parent.back();
    }
    stack_.push_back(slot);
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json root_;
  std::vector<json*> stack_;
  std::string key_;
  std::string error_;
};

Status parse_failure(std::string_view context, std::string_view why) {
  return error(ErrorCode::kParseError, fmt::format("{}: {}", context, why));
}

// Typed access to one JSON object's fields that remembers the first problem, so a parser reads
// every field and checks status() once. Absent fields and JSON null give the default.
class Fields {
 public:
  Fields(const json& object, std::string context) : object_(object), context_(std::move(context)) {
    if (!object_.is_object()) fail("", "expected a JSON object");
  }

  const json* get(const char* key, bool required) {
    if (!object_.is_object()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) fail(key, "missing");
      return nullptr;
    }
    if (it->is_null()) {
      if (required) fail(key, "is null");
      return nullptr;
    }
    return &*it;
  }

  std::string text(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return {};
    if (v->is_string()) return v->get<std::string>();
    if (v->is_number_integer()) return v->dump();  // an id sent as a number
    fail(key, "expected a string");
    return {};
  }

  std::int64_t integer(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return 0;
    if (v->is_number_unsigned()) {
      const auto u = v->get<json::number_unsigned_t>();
      if (u > static_cast<json::number_unsigned_t>(INT64_MAX)) {
        fail(key, "is out of range");
        return 0;
      }
      return static_cast<std::int64_t>(u);
    }
    if (v->is_number_integer()) return v->get<std::int64_t>();
    if (v->is_string()) {  // "1.0" from the exact DOM
      Result<Paise> hundredths = parse_rupees(v->get_ref<const std::string&>());
      if (hundredths.ok() && *hundredths % 100 == 0) return *hundredths / 100;
    }
    fail(key, "expected a whole number");
    return 0;
  }

  Paise money(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return 0;
    if (v->is_number_integer()) {
      // Whole rupees; through the text so the range check is parse_rupees's.
      Result<Paise> paise = parse_rupees(v->dump());
      if (paise.ok()) return *paise;
      fail(key, paise.status().message());
      return 0;
    }
    if (v->is_string()) {
      Result<Paise> paise = parse_rupees(v->get_ref<const std::string&>(), Rounding::kHalfEven);
      if (paise.ok()) return *paise;
      fail(key, paise.status().message());
      return 0;
    }
    fail(key, "expected a rupee amount");
    return 0;
  }

  double real(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return 0;
    if (v->is_number()) return v->get<double>();
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (end != s.c_str() && *end == '\0') return d;
    }
    fail(key, "expected a number");
    return 0;
  }

  bool boolean(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return false;
    if (v->is_boolean()) return v->get<bool>();
    fail(key, "expected true or false");
    return false;
  }

  TimestampMs timestamp(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (v == nullptr) return 0;
    if (!v->is_string()) {
      fail(key, "expected a \"yyyy-mm-dd hh:mm:ss\" timestamp");
      return 0;
    }
    const std::string& s = v->get_ref<const std::string&>();
    if (s.empty() && !required) return 0;
    Result<TimestampMs> ts = parse_kite_timestamp(s);
    if (!ts.ok()) {
      fail(key, ts.status().message());
      return 0;
    }
    return *ts;
  }

  Side side(const char* key) {
    const std::string s = text(key, true);
    if (s.empty()) return Side::kBuy;
    Result<Side> parsed = parse_side(s);
    if (!parsed.ok()) fail(key, fmt::format("'{}' is not BUY or SELL", s));
    return parsed.ok() ? *parsed : Side::kBuy;
  }

  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    const json* v = get(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      fail(key, "expected an array of strings");
      return out;
    }
    for (const json& item : *v) {
      if (!item.is_string()) {
        fail(key, "expected an array of strings");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  const json* object(const char* key) {
    const json* v = get(key, false);
    if (v != nullptr && !v->is_object()) {
      fail(key, "expected an object");
      return nullptr;
    }
    return v;
  }

  // Reads the object at key (when present) with read(Fields&), whose first problem becomes this
  // object's, reported under key. False when the field is absent or null.
  template <typename Read>
  bool nested(const char* key, Read read) {
    const json* v = object(key);
    if (v == nullptr) return false;
    Fields inner(*v, context_ + "." + key);
    read(inner);
    if (!inner.status().ok()) fail(key, inner.status().message());
    return true;
  }

  void fail(std::string_view key, std::string_view why) {
    if (!status_.ok()) return;
    status_ = key.empty() ? parse_failure(context_, why)
                          : parse_failure(context_, fmt::format("field '{}' {}", key, why));
  }
  const Status& status() const { return status_; }
  const std::string& context() const { return context_; }

 private:
  const json& object_;
  std::string context_;
  Status status_;
};

Order read_order(Fields& f) {
  Order o;
  o.order_id = f.text("order_id", true);
  o.parent_order_id = f.text("parent_order_id");
  o.exchange_order_id = f.text("exchange_order_id");
  o.placed_by = f.text("placed_by");
  o.variety = f.text("variety");
  o.status = f.text("status", true);
  o.status_message = f.text("status_message");
  o.status_message_raw = f.text("status_message_raw");
  o.order_timestamp = f.timestamp("order_timestamp");
  o.exchange_timestamp = f.timestamp("exchange_timestamp");
  o.exchange_update_timestamp = f.timestamp("exchange_update_timestamp");
  o.modified = f.boolean("modified");
  o.exchange = f.text("exchange");
  o.tradingsymbol = f.text("tradingsymbol", true);
  o.instrument_token = f.integer("instrument_token");
  o.order_type = f.text("order_type");
  o.side = f.side("transaction_type");
  o.validity = f.text("validity");
  o.validity_ttl = f.integer("validity_ttl");
  o.product = f.text("product");
  o.quantity = f.integer("quantity", true);
  o.disclosed_quantity = f.integer("disclosed_quantity");
  o.price = f.money("price");
  o.trigger_price = f.money("trigger_price");
  o.average_price = f.money("average_price");
  o.filled_quantity = f.integer("filled_quantity");
  o.pending_quantity = f.integer("pending_quantity");
  o.cancelled_quantity = f.integer("cancelled_quantity");
  o.market_protection = f.integer("market_protection");
  o.tag = f.text("tag");
  o.tags = f.strings("tags");
  o.guid = f.text("guid");
  return o;
}

Trade read_trade(Fields& f) {
  Trade t;
  t.trade_id = f.text("trade_id", true);
  t.order_id = f.text("order_id", true);
  t.exchange_order_id = f.text("exchange_order_id");
  t.exchange = f.text("exchange");
  t.tradingsymbol = f.text("tradingsymbol", true);
  t.instrument_token = f.integer("instrument_token");
  t.product = f.text("product");
  t.average_price = f.money("average_price", true);
  t.quantity = f.integer("quantity", true);
  t.side = f.side("transaction_type");
  t.fill_timestamp = f.timestamp("fill_timestamp");
  t.exchange_timestamp = f.timestamp("exchange_timestamp");
  // Trades carry a bare "hh:mm:ss" order_timestamp (reference §1.4); kept as text.
  t.order_time = f.text("order_timestamp");
  return t;
}

Position read_position(Fields& f) {
  Position p;
  p.tradingsymbol = f.text("tradingsymbol", true);
  p.exchange = f.text("exchange");
  p.instrument_token = f.integer("instrument_token");
  p.product = f.text("product");
  p.quantity = f.integer("quantity", true);
  p.overnight_quantity = f.integer("overnight_quantity");
  p.multiplier = f.integer("multiplier");
  p.average_price = f.money("average_price");
  p.close_price = f.money("close_price");
  p.last_price = f.money("last_price");
  p.value = f.money("value");
  p.pnl = f.money("pnl");
  p.m2m = f.money("m2m");
  p.unrealised = f.money("unrealised");
  p.realised = f.money("realised");
  p.buy_quantity = f.integer("buy_quantity");
  p.buy_price = f.money("buy_price");
  p.buy_value = f.money("buy_value");
  p.sell_quantity = f.integer("sell_quantity");
  p.sell_price = f.money("sell_price");
  p.sell_value = f.money("sell_value");
  p.day_buy_quantity = f.integer("day_buy_quantity");
  p.day_buy_price = f.money("day_buy_price");
  p.day_buy_value = f.money("day_buy_value");
  p.day_sell_quantity = f.integer("day_sell_quantity");
  p.day_sell_price = f.money("day_sell_price");
  p.day_sell_value = f.money("day_sell_value");
  return p;
}

Holding read_holding(Fields& f) {
  Holding h;
  h.tradingsymbol = f.text("tradingsymbol", true);
  h.exchange = f.text("exchange");
  h.instrument_token = f.integer("instrument_token");
  h.isin = f.text("isin");
  h.product = f.text("product");
  h.quantity = f.integer("quantity", true);
  h.used_quantity = f.integer("used_quantity");
  h.t1_quantity = f.integer("t1_quantity");
  h.realised_quantity = f.integer("realised_quantity");
  h.opening_quantity = f.integer("opening_quantity");
  h.collateral_quantity = f.integer("collateral_quantity");
  h.short_quantity = f.integer("short_quantity");
  h.average_price = f.money("average_price");
  h.last_price = f.money("last_price");
  h.close_price = f.money("close_price");
  h.pnl = f.money("pnl");
  h.day_change = f.money("day_change");
  h.day_change_percentage = f.real("day_change_percentage");
  return h;
}

Ohlc read_ohlc(Fields& parent) {
  Ohlc o;
  parent.nested("ohlc", [&](Fields& f) {
    o.open = f.money("open");
    o.high = f.money("high");
    o.low = f.money("low");
    o.close = f.money("close");
  });
  return o;
}

std::vector<DepthLevel> read_depth(Fields& parent, const json& depth, const char* side) {
  std::vector<DepthLevel> levels;
  auto it = depth.find(side);
  if (it == depth.end() || it->is_null()) return levels;
  if (!it->is_array()) {
    parent.fail(side, "expected an array of depth levels");
    return levels;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    Fields f((*it)[i], fmt::format("{}.depth.{}[{}]", parent.context(), side, i));
    DepthLevel level;
    level.price = f.money("price");
    level.quantity = f.integer("quantity");
    level.orders = f.integer("orders");
    if (!f.status().ok()) parent.fail("depth", f.status().message());
    levels.push_back(level);
  }
  return levels;
}

// One object read with reader(Fields&) under context: the value, or the first problem.
template <typename T, typename Reader>
Result<T> read_object(const json& data, std::string context, Reader reader) {
  Fields f(data, std::move(context));
  T value = reader(f);
  if (!f.status().ok()) return f.status();
  return value;
}

template <typename T, typename Reader>
Result<std::vector<T>> read_array(const json& data, std::string_view what, Reader reader) {
  if (!data.is_array()) return parse_failure(what, "expected an array");
  std::vector<T> out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    Result<T> value = read_object<T>(data[i], fmt::format("{}[{}]", what, i), reader);
    if (!value.ok()) return value.status();
    out.push_back(std::move(value).value());
  }
  return out;
}

// An object keyed by instrument ("NSE:INFY"), each value read with reader(Fields&).
template <typename T, typename Reader>
Result<std::map<std::string, T>> read_by_instrument(const json& data, std::string_view what,
                                                    Reader reader) {
  if (!data.is_object()) return parse_failure(what, "expected an object keyed by instrument");
  std::map<std::string, T> out;
  for (auto it = data.begin(); it != data.end(); ++it) {
    Result<T> value = read_object<T>(it.value(), fmt::format("{}.{}", what, it.key()), reader);
    if (!value.ok()) return value.status();
    out.emplace(it.key(), std::move(value).value());
  }
  return out;
}

// Into p, as a session also carries the profile.
void read_profile(Fields& f, Profile& p) {
  p.user_id = f.text("user_id", true);
  p.user_name = f.text("user_name");
  p.user_shortname = f.text("user_shortname");
  p.email = f.text("email");
  p.user_type = f.text("user_type");
  p.broker = f.text("broker");
  p.exchanges = f.strings("exchanges");
  p.products = f.strings("products");
  p.order_types = f.strings("order_types");
}

SegmentMargins read_segment(Fields& f) {
  SegmentMargins m;
  m.enabled = f.boolean("enabled");
  m.net = f.money("net");
  f.nested("available", [&](Fields& a) {
    m.available_cash = a.money("cash");
    m.opening_balance = a.money("opening_balance");
    m.live_balance = a.money("live_balance");
    m.collateral = a.money("collateral");
    m.intraday_payin = a.money("intraday_payin");
    m.adhoc_margin = a.money("adhoc_margin");
  });
  f.nested("utilised", [&](Fields& u) {
    m.utilised_debits = u.money("debits");
    m.utilised_exposure = u.money("exposure");
    m.utilised_span = u.money("span");
    m.utilised_option_premium = u.money("option_premium");
    m.utilised_holding_sales = u.money("holding_sales");
    m.utilised_turnover = u.money("turnover");
    m.utilised_m2m_realised = u.money("m2m_realised");
    m.utilised_m2m_unrealised = u.money("m2m_unrealised");
  });
  return m;
}

json money_json(Paise paise) {
  // Whole rupees as integers, like Kite (4854, not 4854.0); others as the nearest double, whose
  // shortest round-trip text is the two-decimal amount (123450 -> 1234.5).
  if (paise % kPaisePerRupee == 0) return json(paise / kPaisePerRupee);
  return json(to_rupees(paise));
}

json nullable(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

json timestamp_json(TimestampMs ts) {
  return ts == 0 ? json(nullptr) : json(format_kite_timestamp(ts));
}

json ohlc_json(const Ohlc& o) {
  return json{{"open", money_json(o.open)},
              {"high", money_json(o.high)},
              {"low", money_json(o.low)},
              {"close", money_json(o.close)}};
}

}  // namespace

Result<json> parse_json_exact(std::string_view text) {
  ExactDomBuilder builder;
  bool ok = false;
  try {
    ok = json::sax_parse(text, &builder);
  } catch (const json::exception& e) {
    return parse_failure("JSON", e.what());
  }
  if (!ok) {
    return error(ErrorCode::kParseError,
                 builder.error_text().empty() ? std::string("invalid JSON") : builder.error_text());
  }
  return std::move(builder.root());
}

Result<KiteEnvelope> parse_envelope(std::string_view body) {
  Result<json> parsed = parse_json_exact(body);
  if (!parsed.ok()) return parsed.status().with_context("Kite response");
  json& root = parsed.value();
  if (!root.is_object()) return parse_failure("Kite response", "expected a JSON object");
  KiteEnvelope envelope;
  auto status = root.find("status");
  const bool has_error_type = root.contains("error_type");
  const bool status_error = status != root.end() && status->is_string() && *status == "error";
  if (status_error || has_error_type) {
    envelope.success = false;
    auto type = root.find("error_type");
    envelope.error_type =
        (type != root.end() && type->is_string() && !type->get_ref<const std::string&>().empty())
            ? type->get<std::string>()
            : std::string("GeneralException");
    auto message = root.find("message");
    if (message != root.end() && message->is_string())
      envelope.message = message->get<std::string>();
    return envelope;
  }
  // Like the Python SDK, a body with `data` and no `status` counts as success (the upstream mock
  // mf_sips.json has no status key).
  const bool success =
      status != root.end() ? (status->is_string() && *status == "success") : root.contains("data");
  if (!success) return parse_failure("Kite response", "no \"status\": \"success\" or \"error\"");
  envelope.success = true;
  auto data = root.find("data");
  if (data != root.end()) envelope.data = std::move(*data);
  return envelope;
}

Result<PlaceOrderResponse> parse_order_response(const json& data) {
  Fields f(data, "order response");
  PlaceOrderResponse response;
  response.order_id = f.text("order_id", true);
  if (!f.status().ok()) return f.status();
  auto children = data.find("children");
  if (children == data.end() || children->is_null()) return response;
  if (!children->is_array())
    return parse_failure("order response", "field 'children' expected an array");
  for (size_t i = 0; i < children->size(); ++i) {
    Fields c((*children)[i], fmt::format("order response children[{}]", i));
    PlaceOrderChild child;
    if (const json* err = c.object("error")) {
      Fields e(*err, c.context() + ".error");
      child.error_type = e.text("error_type");
      child.message = e.text("message");
      child.code = static_cast<int>(e.integer("code"));
      if (!e.status().ok()) return e.status();
    } else {
      child.order_id = c.text("order_id", true);
    }
    if (!c.status().ok()) return c.status();
    response.children.push_back(std::move(child));
  }
  return response;
}

Result<Order> parse_order(const json& object) {
  return read_object<Order>(object, "order", [](Fields& f) { return read_order(f); });
}

Result<std::vector<Order>> parse_orders(const json& data) {
  return read_array<Order>(data, "orders", [](Fields& f) { return read_order(f); });
}

Result<std::vector<Trade>> parse_trades(const json& data) {
  return read_array<Trade>(data, "trades", [](Fields& f) { return read_trade(f); });
}

Result<Positions> parse_positions(const json& data) {
  if (!data.is_object()) return parse_failure("positions", "expected an object with net and day");
  Positions positions;
  for (const char* which : {"net", "day"}) {
    auto it = data.find(which);
    if (it == data.end() || it->is_null()) continue;
    Result<std::vector<Position>> list = read_array<Position>(
        *it, fmt::format("positions.{}", which), [](Fields& f) { return read_position(f); });
    if (!list.ok()) return list.status();
    (std::string_view(which) == "net" ? positions.net : positions.day) = std::move(list.value());
  }
  return positions;
}

Result<std::vector<Holding>> parse_holdings(const json& data) {
  return read_array<Holding>(data, "holdings", [](Fields& f) { return read_holding(f); });
}

Result<std::map<std::string, Quote>> parse_quotes(const json& data) {
  return read_by_instrument<Quote>(data, "quote", [](Fields& f) {
    Quote q;
    q.instrument_token = f.integer("instrument_token");
    q.timestamp = f.timestamp("timestamp");
    q.last_trade_time = f.timestamp("last_trade_time");
    q.last_price = f.money("last_price", true);
    q.last_quantity = f.integer("last_quantity");
    q.buy_quantity = f.integer("buy_quantity");
    q.sell_quantity = f.integer("sell_quantity");
    q.volume = f.integer("volume");
    q.average_price = f.money("average_price");
    q.oi = f.integer("oi");
    q.net_change = f.money("net_change");
    q.lower_circuit_limit = f.money("lower_circuit_limit");
    q.upper_circuit_limit = f.money("upper_circuit_limit");
    q.ohlc = read_ohlc(f);
    if (const json* depth = f.object("depth")) {
      q.depth_buy = read_depth(f, *depth, "buy");
      q.depth_sell = read_depth(f, *depth, "sell");
    }
    return q;
  });
}

Result<std::map<std::string, LtpQuote>> parse_ltp_quotes(const json& data) {
  return read_by_instrument<LtpQuote>(data, "ltp", [](Fields& f) {
    LtpQuote q;
    q.instrument_token = f.integer("instrument_token");
    q.last_price = f.money("last_price", true);
    q.ohlc = read_ohlc(f);
    return q;
  });
}

Result<Session> parse_session(const json& data) {
  return read_object<Session>(data, "session", [](Fields& f) {
    Session s;
    read_profile(f, s);
    s.api_key = f.text("api_key");
    s.access_token = f.text("access_token", true);
    s.public_token = f.text("public_token");
    s.refresh_token = f.text("refresh_token");
    s.login_time = f.timestamp("login_time");
    return s;
  });
}

Result<Profile> parse_profile(const json& data) {
  return read_object<Profile>(data, "profile", [](Fields& f) {
    Profile p;
    read_profile(f, p);
    return p;
  });
}

Result<SegmentMargins> parse_segment_margins(const json& data) {
  return read_object<SegmentMargins>(data, "margins", [](Fields& f) { return read_segment(f); });
}

Result<Margins> parse_margins(const json& data) {
  if (!data.is_object())
    return parse_failure("margins", "expected an object with equity and commodity");
  Margins margins;
  for (const char* segment : {"equity", "commodity"}) {
    auto it = data.find(segment);
    if (it == data.end() || it->is_null()) continue;
    Result<SegmentMargins> m = read_object<SegmentMargins>(
        *it, fmt::format("margins.{}", segment), [](Fields& f) { return read_segment(f); });
    if (!m.ok()) return m.status();
    (std::string_view(segment) == "equity" ? margins.equity : margins.commodity) = *m;
  }
  return margins;
}

Result<Order> parse_postback(std::string_view body) {
  Result<json> parsed = parse_json_exact(body);
  if (!parsed.ok()) return parsed.status().with_context("postback");
  return read_object<Order>(*parsed, "postback", [](Fields& f) {
    Order order = read_order(f);
    order.unfilled_quantity = f.integer("unfilled_quantity");
    order.checksum = f.text("checksum");
    return order;
  });
}

std::string kite_postback_checksum(std::string_view order_id, std::string_view order_timestamp,
                                   std::string_view api_secret) {
  Sha256 hash;
  hash.update(order_id);
  hash.update(order_timestamp);
  hash.update(api_secret);
  return to_hex(hash.finish());
}

Result<Order> parse_verified_postback(std::string_view body, std::string_view api_secret) {
  Result<json> parsed = parse_json_exact(body);
  if (!parsed.ok()) return parsed.status().with_context("postback");
  // The checksum covers the timestamp text as sent, not our reading of it.
  const json& object = *parsed;
  auto text_of = [&](const char* key) -> std::string {
    auto it = object.is_object() ? object.find(key) : object.end();
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string order_id = text_of("order_id");
  const std::string order_timestamp = text_of("order_timestamp");
  const std::string checksum = text_of("checksum");
  if (checksum.empty())
    return Status(ErrorCode::kAuthError, "postback: no checksum: not from the broker");
  if (order_id.empty() || order_timestamp.empty())
    return Status(ErrorCode::kParseError, "postback: order_id and order_timestamp are required");
  if (kite_postback_checksum(order_id, order_timestamp, api_secret) != checksum)
    return Status(ErrorCode::kAuthError,
                  fmt::format("postback for order {}: checksum does not match (not from the "
                              "broker, or signed with another api secret)",
                              order_id));
  return parse_postback(body);
}

json postback_to_json(const Order& order, std::string_view user_id, std::int64_t app_id,
                      std::string_view api_secret) {
  json j = order_to_json(order);
  j["user_id"] = user_id;
  j["app_id"] = app_id;
  j["unfilled_quantity"] = order.pending_quantity;
  j["checksum"] = kite_postback_checksum(
      order.order_id,
      j["order_timestamp"].is_string() ? j["order_timestamp"].get<std::string>() : std::string(),
      api_secret);
  return j;
}

json order_to_json(const Order& o) {
  json j{{"placed_by", o.placed_by},
         {"order_id", o.order_id},
         {"exchange_order_id", nullable(o.exchange_order_id)},
         {"parent_order_id", nullable(o.parent_order_id)},
         {"status", o.status},
         {"status_message", nullable(o.status_message)},
         {"status_message_raw", nullable(o.status_message_raw)},
         {"order_timestamp", timestamp_json(o.order_timestamp)},
         {"exchange_update_timestamp", timestamp_json(o.exchange_update_timestamp)},
         {"exchange_timestamp", timestamp_json(o.exchange_timestamp)},
         {"variety", o.variety},
         {"modified", o.modified},
         {"exchange", o.exchange},
         {"tradingsymbol", o.tradingsymbol},
         {"instrument_token", o.instrument_token},
         {"order_type", o.order_type},
         {"transaction_type", side_name(o.side)},
         {"validity", o.validity},
         {"validity_ttl", o.validity_ttl},
         {"product", o.product},
         {"quantity", o.quantity},
         {"disclosed_quantity", o.disclosed_quantity},
         {"price", money_json(o.price)},
         {"trigger_price", money_json(o.trigger_price)},
         {"average_price", money_json(o.average_price)},
         {"filled_quantity", o.filled_quantity},
         {"pending_quantity", o.pending_quantity},
         {"cancelled_quantity", o.cancelled_quantity},
         {"market_protection", o.market_protection},
         {"meta", json::object()},
         {"tag", nullable(o.tag)},
         {"guid", nullable(o.guid)}};
  if (!o.tags.empty()) j["tags"] = o.tags;
  return j;
}

json trade_to_json(const Trade& t) {
  return json{{"trade_id", t.trade_id},
              {"order_id", t.order_id},
              {"exchange", t.exchange},
              {"tradingsymbol", t.tradingsymbol},
              {"instrument_token", t.instrument_token},
              {"product", t.product},
              {"average_price", money_json(t.average_price)},
              {"quantity", t.quantity},
              {"exchange_order_id", nullable(t.exchange_order_id)},
              {"transaction_type", side_name(t.side)},
              {"fill_timestamp", timestamp_json(t.fill_timestamp)},
              {"order_timestamp", nullable(t.order_time)},
              {"exchange_timestamp", timestamp_json(t.exchange_timestamp)}};
}

json position_to_json(const Position& p) {
  return json{{"tradingsymbol", p.tradingsymbol},
              {"exchange", p.exchange},
              {"instrument_token", p.instrument_token},
              {"product", p.product},
              {"quantity", p.quantity},
              {"overnight_quantity", p.overnight_quantity},
              {"multiplier", p.multiplier},
              {"average_price", money_json(p.average_price)},
              {"close_price", money_json(p.close_price)},
              {"last_price", money_json(p.last_price)},
              {"value", money_json(p.value)},
              {"pnl", money_json(p.pnl)},
              {"m2m", money_json(p.m2m)},
              {"unrealised", money_json(p.unrealised)},
              {"realised", money_json(p.realised)},
              {"buy_quantity", p.buy_quantity},
              {"buy_price", money_json(p.buy_price)},
              {"buy_value", money_json(p.buy_value)},
              {"buy_m2m", money_json(p.buy_value)},
              {"sell_quantity", p.sell_quantity},
              {"sell_price", money_json(p.sell_price)},
              {"sell_value", money_json(p.sell_value)},
              {"sell_m2m", money_json(p.sell_value)},
              {"day_buy_quantity", p.day_buy_quantity},
              {"day_buy_price", money_json(p.day_buy_price)},
              {"day_buy_value", money_json(p.day_buy_value)},
              {"day_sell_quantity", p.day_sell_quantity},
              {"day_sell_price", money_json(p.day_sell_price)},
              {"day_sell_value", money_json(p.day_sell_value)}};
}

json holding_to_json(const Holding& h) {
  return json{{"tradingsymbol", h.tradingsymbol},
              {"exchange", h.exchange},
              {"instrument_token", h.instrument_token},
              {"isin", h.isin},
              {"product", h.product},
              {"price", 0},
              {"quantity", h.quantity},
              {"used_quantity", h.used_quantity},
              {"t1_quantity", h.t1_quantity},
              {"realised_quantity", h.realised_quantity},
              {"authorised_quantity", 0},
              {"opening_quantity", h.opening_quantity},
              {"short_quantity", h.short_quantity},
              {"collateral_quantity", h.collateral_quantity},
              {"collateral_type", ""},
              {"discrepancy", false},
              {"average_price", money_json(h.average_price)},
              {"last_price", money_json(h.last_price)},
              {"close_price", money_json(h.close_price)},
              {"pnl", money_json(h.pnl)},
              {"day_change", money_json(h.day_change)},
              {"day_change_percentage", h.day_change_percentage}};
}

json quote_to_json(const Quote& q) {
  auto depth = [](const std::vector<DepthLevel>& levels) {
    json out = json::array();
    for (size_t i = 0; i < 5; ++i) {
      const DepthLevel level = i < levels.size() ? levels[i] : DepthLevel{};
      out.push_back(json{{"price", money_json(level.price)},
                         {"quantity", level.quantity},
                         {"orders", level.orders}});
    }
    return out;
  };
  return json{{"instrument_token", q.instrument_token},
              {"timestamp", timestamp_json(q.timestamp)},
              {"last_trade_time", timestamp_json(q.last_trade_time)},
              {"last_price", money_json(q.last_price)},
              {"last_quantity", q.last_quantity},
              {"buy_quantity", q.buy_quantity},
              {"sell_quantity", q.sell_quantity},
              {"volume", q.volume},
              {"average_price", money_json(q.average_price)},
              {"oi", q.oi},
              {"oi_day_high", 0},
              {"oi_day_low", 0},
              {"net_change", money_json(q.net_change)},
              {"lower_circuit_limit", money_json(q.lower_circuit_limit)},
              {"upper_circuit_limit", money_json(q.upper_circuit_limit)},
              {"ohlc", ohlc_json(q.ohlc)},
              {"depth", json{{"buy", depth(q.depth_buy)}, {"sell", depth(q.depth_sell)}}}};
}

json ltp_quote_to_json(const LtpQuote& q, bool with_ohlc) {
  json j{{"instrument_token", q.instrument_token}, {"last_price", money_json(q.last_price)}};
  if (with_ohlc) j["ohlc"] = ohlc_json(q.ohlc);
  return j;
}

json session_to_json(const Session& s) {
  json j = profile_to_json(s);
  j.update(json{{"api_key", s.api_key},
                {"access_token", s.access_token},
                {"public_token", s.public_token},
                {"enctoken", ""},
                {"refresh_token", s.refresh_token},
                {"silo", ""},
                {"login_time", timestamp_json(s.login_time)}});
  return j;
}

json profile_to_json(const Profile& p) {
  return json{{"user_id", p.user_id},
              {"user_type", p.user_type},
              {"email", p.email},
              {"user_name", p.user_name},
              {"user_shortname", p.user_shortname},
              {"broker", p.broker},
              {"exchanges", p.exchanges},
              {"products", p.products},
              {"order_types", p.order_types},
              {"avatar_url", nullptr},
              {"meta", json{{"demat_consent", "physical"}}}};
}

json segment_margins_to_json(const SegmentMargins& m) {
  return json{{"enabled", m.enabled},
              {"net", money_json(m.net)},
              {"available", json{{"adhoc_margin", money_json(m.adhoc_margin)},
                                 {"cash", money_json(m.available_cash)},
                                 {"opening_balance", money_json(m.opening_balance)},
                                 {"live_balance", money_json(m.live_balance)},
                                 {"collateral", money_json(m.collateral)},
                                 {"intraday_payin", money_json(m.intraday_payin)}}},
              {"utilised", json{{"debits", money_json(m.utilised_debits)},
                                {"exposure", money_json(m.utilised_exposure)},
                                {"m2m_realised", money_json(m.utilised_m2m_realised)},
                                {"m2m_unrealised", money_json(m.utilised_m2m_unrealised)},
                                {"option_premium", money_json(m.utilised_option_premium)},
                                {"payout", 0},
                                {"span", money_json(m.utilised_span)},
                                {"holding_sales", money_json(m.utilised_holding_sales)},
                                {"turnover", money_json(m.utilised_turnover)},
                                {"liquid_collateral", 0},
                                {"stock_collateral", 0},
                                {"delivery", 0}}}};
}

std::string success_body(const json& data) {
  return json{{"status", "success"}, {"data", data}}.dump(-1, ' ', false,
                                                          json::error_handler_t::replace);
}

std::string error_body(std::string_view error_type, std::string_view message) {
  return json{
      {"status", "error"}, {"message", message}, {"data", nullptr}, {"error_type", error_type}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<TimestampMs> parse_kite_timestamp(std::string_view text) {
  // Exactly "yyyy-mm-dd hh:mm:ss" (or a bare date); anything else, zones included, is refused so a
  // format change at the broker is noticed instead of silently read in another zone.
  const bool plain = text.size() == 19 && text[10] == ' ';
  const bool date_only = text.size() == 10;
  if (!plain && !date_only) {
    return error(ErrorCode::kParseError,
                 fmt::format("'{}' is not a \"yyyy-mm-dd hh:mm:ss\" timestamp", text));
  }
  Result<TimestampMs> ts = parse_timestamp(text, kIstOffsetMinutes);
  if (!ts.ok()) return ts.status();
  return *ts;
}

std::string format_kite_timestamp(TimestampMs ts) { return format_ist(ts, false).substr(0, 19); }

namespace {

// A candle's price: an integer, or the exact DOM's text of a number with a fraction.
Result<Paise> candle_price(const json& v) {
  if (v.is_number_integer()) return parse_rupees(v.dump());
  if (v.is_string()) return parse_rupees(v.get_ref<const std::string&>(), Rounding::kHalfEven);
  if (v.is_number_float()) return parse_rupees(v.dump(), Rounding::kHalfEven);
  return error(ErrorCode::kParseError, "expected a price");
}

// "2017-12-15T09:15:00+0530": Kite's historical timestamps carry the offset without a colon.
Result<TimestampMs> candle_time(const json& v) {
  if (!v.is_string()) return error(ErrorCode::kParseError, "expected a timestamp string");
  return parse_timestamp(v.get_ref<const std::string&>());
}

}  // namespace

Result<std::vector<Candle>> parse_candles(const json& data) {
  if (!data.is_object() || !data.contains("candles") || !data["candles"].is_array()) {
    return error(ErrorCode::kParseError, "historical data has no candles array");
  }
  std::vector<Candle> out;
  const json& candles = data["candles"];
  out.reserve(candles.size());
  for (size_t i = 0; i < candles.size(); ++i) {
    const json& row = candles[i];
    auto bad = [&](const std::string& why) {
      return error(ErrorCode::kParseError, fmt::format("candle {}: {}", i, why));
    };
    if (!row.is_array() || row.size() < 6)
      return bad("expected [ts, open, high, low, close, volume]");
    Candle c;
    Result<TimestampMs> ts = candle_time(row[0]);
    if (!ts.ok()) return bad(ts.status().message());
    c.ts = *ts;
    Paise* prices[] = {&c.open, &c.high, &c.low, &c.close};
    for (size_t k = 0; k < 4; ++k) {
      Result<Paise> price = candle_price(row[k + 1]);
      if (!price.ok()) return bad(price.status().message());
      *prices[k] = *price;
    }
    if (!row[5].is_number_integer() || row[5].get<std::int64_t>() < 0)
      return bad("volume is not a whole number");
    c.volume = row[5].get<std::int64_t>();
    if (row.size() > 6 && row[6].is_number_integer()) c.oi = row[6].get<std::int64_t>();
    out.push_back(c);
  }
  return out;
}

json candles_to_json(const std::vector<Candle>& candles, bool with_oi) {
  json rows = json::array();
  for (const Candle& c : candles) {
    // Kite's spelling: IST wall time with the offset and no colon.
    json row = {format_ist(c.ts, false).substr(0, 10) + "T" +
                    format_ist(c.ts, false).substr(11, 8) + "+0530",
                money_json(c.open),
                money_json(c.high),
                money_json(c.low),
                money_json(c.close),
                c.volume};
    if (with_oi) row.push_back(c.oi);
    rows.push_back(std::move(row));
  }
  return json{{"candles", rows}};
}

}  // namespace sm::broker
