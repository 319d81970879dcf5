#include "broker/kite_broker.h"

#include <fmt/format.h>

#include "broker/instruments.h"
#include "broker/kite_errors.h"
#include "broker/kite_json.h"
#include "core/sha256.h"

namespace sm::broker {

using nlohmann::json;

struct KiteBroker::Call {
  HttpMethod method = HttpMethod::kGet;
  std::string path;  // already URL-safe, e.g. "/orders/regular"
  FormParams params;
  EndpointClass endpoint = EndpointClass::kOther;
  RequestKind kind = RequestKind::kRead;
  bool authenticated = true;
  bool csv = false;  // a 2xx body is CSV (the instruments dump), not a JSON envelope
};

namespace {

// What a successful attempt leaves behind.
struct Reply {
  std::string body;  // CSV endpoints
  json data;         // the envelope's data otherwise
};

BrokerError local_error(ErrorCode code, std::string message) {
  BrokerError e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

BrokerError parse_error(const Status& status, bool place) {
  BrokerError e = local_error(ErrorCode::kParseError, status.message());
  if (place) {
    // The broker answered 2xx to a placement but we cannot read the order id: it probably placed
    // the order. Treat as unknown so the caller looks the tag up instead of placing again.
    e.code = ErrorCode::kUnavailable;
    e.outcome_unknown = true;
    e.message = "unreadable reply to a placed order: " + e.message;
  }
  return e;
}

bool valid_path_word(std::string_view word) {
  if (word.empty() || word.size() > 64) return false;
  for (char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_variety(std::string_view variety) {
  // Lowercase only: Kite answers "Route not found" to REGULAR (reference §1.4).
  return variety == "regular" || variety == "amo" || variety == "co" || variety == "iceberg" ||
         variety == "auction";
}

}  // namespace

TimestampMs kite_token_expiry(TimestampMs issued_at) {
  const Date day = ist_date(issued_at);
  const TimestampMs six_today = from_ist(day, 6, 0);
  return issued_at < six_today ? six_today : from_ist(add_days(day, 1), 6, 0);
}

std::string kite_session_checksum(std::string_view api_key, std::string_view request_token,
                                  std::string_view api_secret) {
  Sha256 hash;
  hash.update(api_key);
  hash.update(request_token);
  hash.update(api_secret);
  return to_hex(hash.finish());
}

KiteBroker::KiteBroker(KiteOptions options, HttpClient& http, const time::Clock& clock,
                       Sleeper& sleeper, JitterSource jitter, const Logger* log)
    : options_(std::move(options)),
      http_(http),
      clock_(clock),
      log_(log),
      limiter_(options_.rate_limits, clock, sleeper),
      retrier_(options_.retry, clock, sleeper, std::move(jitter), log) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
}

KiteBroker::~KiteBroker() = default;

void KiteBroker::set_access_token(std::string access_token, TimestampMs issued_at) {
  options_.access_token = std::move(access_token);
  options_.token_issued_at = issued_at;
}

std::optional<BrokerError> KiteBroker::local_token_check() const {
  if (options_.api_key.empty() || options_.access_token.empty()) {
    return local_error(ErrorCode::kAuthError, "no Kite api_key/access_token: log in first");
  }
  if (options_.token_issued_at > 0) {
    const TimestampMs expiry = kite_token_expiry(options_.token_issued_at);
    if (clock_.now_ms() >= expiry) {
      return local_error(
          ErrorCode::kAuthError,
          fmt::format("access token issued {} expired at {} (daily 06:00 IST expiry); log in again",
                      format_ist(options_.token_issued_at), format_ist(expiry)));
    }
  }
  return std::nullopt;
}

std::optional<BrokerError> KiteBroker::attempt(const Call& c, std::string& body_out) {
  if (c.authenticated) {
    if (std::optional<BrokerError> expired = local_token_check()) return expired;
  }
  if (Status limited = limiter_.acquire(c.endpoint); !limited.ok()) {
    return local_error(limited.code(), limited.message());
  }

  HttpRequest request;
  request.method = c.method;
  request.timeout_ms = options_.timeout_ms;
  request.connect_timeout_ms = options_.connect_timeout_ms;
  request.idempotent = c.kind == RequestKind::kRead;
  request.url = options_.base_url + c.path;
  if (c.method == HttpMethod::kGet || c.method == HttpMethod::kDelete) {
    if (!c.params.empty()) request.url += "?" + form_encode(c.params);
  } else {
    request.set_form(c.params);
  }
  request.headers.emplace_back("X-Kite-Version", "3");
  if (c.authenticated) {
    request.headers.emplace_back(
        "Authorization", fmt::format("token {}:{}", options_.api_key, options_.access_token));
  }

  const HttpOutcome outcome = http_.send(request);
  const bool place = c.kind == RequestKind::kPlace;
  if (!outcome.ok()) return broker_error_from_transport(outcome.error(), place);
  const HttpResponse& response = outcome.response();
  if (response.status < 200 || response.status >= 300) {
    BrokerError e = broker_error_from_response(response);
    if (place && response.status >= 500) {
      // A gateway may answer 5xx after the OMS took the order: unknown, resolve by tag.
      e.outcome_unknown = true;
      e.code = ErrorCode::kUnavailable;
    }
    return e;
  }
  // The envelope (or, for the instruments dump, the CSV) is read once retrying is over.
  body_out = response.body;
  return std::nullopt;
}

BrokerResult<json> KiteBroker::call(const Call& c) {
  std::string body;
  std::optional<BrokerError> failure =
      retrier_.run(c.kind, [&](int /*attempt*/) { return attempt(c, body); });
  if (failure) return *failure;
  if (c.csv) return json(std::move(body));
  Result<KiteEnvelope> envelope = parse_envelope(body);
  if (!envelope.ok()) return parse_error(envelope.status(), c.kind == RequestKind::kPlace);
  if (!envelope->success) {
    // A 2xx with an error envelope: trust the envelope (the Python SDK does the same).
    BrokerError e;
    e.error_type =
        is_known_error_type(envelope->error_type) ? envelope->error_type : "GeneralException";
    e.http_status = 200;
    e.message = envelope->message;
    e.code = error_code_for(e.error_type, 0);
    return e;
  }
  return std::move(envelope.value().data);
}

template <typename T, typename Parse>
BrokerResult<T> KiteBroker::call_and_parse(const Call& c, Parse parse) {
  BrokerResult<json> data = call(c);
  if (!data.ok()) return data.error();
  Result<T> parsed = parse(*data);
  if (!parsed.ok()) return parse_error(parsed.status(), c.kind == RequestKind::kPlace);
  return std::move(parsed.value());
}

BrokerResult<std::string> KiteBroker::place_order(const OrderRequest& r) {
  if (!valid_variety(r.variety)) {
    return local_error(ErrorCode::kInvalidArgument,
                       fmt::format("unknown order variety '{}'", r.variety));
  }
  if (!r.tag.empty()) {
    if (Status tag = validate_tag(r.tag); !tag.ok()) return local_error(tag.code(), tag.message());
  }
  if (r.tradingsymbol.empty())
    return local_error(ErrorCode::kInvalidArgument, "order has no tradingsymbol");
  if (r.quantity <= 0) {
    return local_error(ErrorCode::kInvalidArgument,
                       fmt::format("order quantity {} is not positive", r.quantity));
  }
  const bool needs_price =
      r.order_type == OrderType::kLimit || r.order_type == OrderType::kStopLoss;
  const bool needs_trigger =
      r.order_type == OrderType::kStopLoss || r.order_type == OrderType::kStopLossMarket;
  if (needs_price && r.price <= 0) {
    return local_error(ErrorCode::kInvalidArgument, fmt::format("{} order needs a positive price",
                                                                order_type_name(r.order_type)));
  }
  if (needs_trigger && r.trigger_price <= 0) {
    return local_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} order needs a positive trigger price", order_type_name(r.order_type)));
  }

  Call c;
  c.method = HttpMethod::kPost;
  c.path = "/orders/" + r.variety;
  c.endpoint = EndpointClass::kOrderPlace;
  c.kind = RequestKind::kPlace;
  c.params = {{"tradingsymbol", r.tradingsymbol},
              {"exchange", r.exchange},
              {"transaction_type", std::string(side_name(r.side))},
              {"order_type", std::string(order_type_name(r.order_type))},
              {"quantity", std::to_string(r.quantity)},
              {"product", std::string(product_name(r.product))},
              {"validity", r.validity}};
  if (needs_price) c.params.emplace_back("price", format_rupees(r.price));
  if (needs_trigger) c.params.emplace_back("trigger_price", format_rupees(r.trigger_price));
  if (r.disclosed_quantity > 0)
    c.params.emplace_back("disclosed_quantity", std::to_string(r.disclosed_quantity));
  if (r.validity == "TTL")
    c.params.emplace_back("validity_ttl", std::to_string(r.validity_ttl_minutes));
  const bool market_like =
      r.order_type == OrderType::kMarket || r.order_type == OrderType::kStopLossMarket;
  if (r.market_protection) {
    c.params.emplace_back("market_protection", std::to_string(*r.market_protection));
  } else if (market_like) {
    c.params.emplace_back("market_protection", "-1");  // automatic; 0 is refused since 2026-04-01
  }
  if (!r.tag.empty()) c.params.emplace_back("tag", r.tag);

  BrokerResult<PlaceOrderResponse> response =
      call_and_parse<PlaceOrderResponse>(c, parse_order_response);
  if (!response.ok()) return response.error();
  return response->order_id;
}

BrokerResult<std::string> KiteBroker::modify_order(const ModifyRequest& r) {
  if (!valid_variety(r.variety)) {
    return local_error(ErrorCode::kInvalidArgument,
                       fmt::format("unknown order variety '{}'", r.variety));
  }
  if (!valid_path_word(r.order_id)) {
    return local_error(ErrorCode::kInvalidArgument, fmt::format("bad order id '{}'", r.order_id));
  }
  Call c;
  c.method = HttpMethod::kPut;
  c.path = "/orders/" + r.variety + "/" + r.order_id;
  c.endpoint = EndpointClass::kOrderChange;
  c.kind = RequestKind::kChange;
  if (r.order_type)
    c.params.emplace_back("order_type", std::string(order_type_name(*r.order_type)));
  if (r.quantity) c.params.emplace_back("quantity", std::to_string(*r.quantity));
  if (r.price) c.params.emplace_back("price", format_rupees(*r.price));
  if (r.trigger_price) c.params.emplace_back("trigger_price", format_rupees(*r.trigger_price));
  if (r.disclosed_quantity)
    c.params.emplace_back("disclosed_quantity", std::to_string(*r.disclosed_quantity));
  if (r.validity) c.params.emplace_back("validity", *r.validity);
  BrokerResult<PlaceOrderResponse> response =
      call_and_parse<PlaceOrderResponse>(c, parse_order_response);
  if (!response.ok()) return response.error();
  return response->order_id;
}

BrokerResult<std::string> KiteBroker::cancel_order(std::string_view variety,
                                                   std::string_view order_id) {
  if (!valid_variety(variety)) {
    return local_error(ErrorCode::kInvalidArgument,
                       fmt::format("unknown order variety '{}'", variety));
  }
  if (!valid_path_word(order_id))
    return local_error(ErrorCode::kInvalidArgument, fmt::format("bad order id '{}'", order_id));
  Call c;
  c.method = HttpMethod::kDelete;
  c.path = fmt::format("/orders/{}/{}", variety, order_id);
  c.endpoint = EndpointClass::kOrderChange;
  c.kind = RequestKind::kChange;
  BrokerResult<PlaceOrderResponse> response =
      call_and_parse<PlaceOrderResponse>(c, parse_order_response);
  if (!response.ok()) return response.error();
  return response->order_id;
}

BrokerResult<std::vector<Order>> KiteBroker::orders() {
  Call c;
  c.path = "/orders";
  return call_and_parse<std::vector<Order>>(c, parse_orders);
}

BrokerResult<std::vector<Order>> KiteBroker::order_history(std::string_view order_id) {
  if (!valid_path_word(order_id))
    return local_error(ErrorCode::kInvalidArgument, fmt::format("bad order id '{}'", order_id));
  Call c;
  c.path = fmt::format("/orders/{}", order_id);
  return call_and_parse<std::vector<Order>>(c, parse_orders);
}

BrokerResult<std::vector<Trade>> KiteBroker::trades() {
  Call c;
  c.path = "/trades";
  return call_and_parse<std::vector<Trade>>(c, parse_trades);
}

BrokerResult<std::vector<Trade>> KiteBroker::order_trades(std::string_view order_id) {
  if (!valid_path_word(order_id))
    return local_error(ErrorCode::kInvalidArgument, fmt::format("bad order id '{}'", order_id));
  Call c;
  c.path = fmt::format("/orders/{}/trades", order_id);
  return call_and_parse<std::vector<Trade>>(c, parse_trades);
}

BrokerResult<Positions> KiteBroker::positions() {
  Call c;
  c.path = "/portfolio/positions";
  return call_and_parse<Positions>(c, parse_positions);
}

BrokerResult<std::vector<Holding>> KiteBroker::holdings() {
  Call c;
  c.path = "/portfolio/holdings";
  return call_and_parse<std::vector<Holding>>(c, parse_holdings);
}

BrokerResult<Margins> KiteBroker::margins() {
  Call c;
  c.path = "/user/margins";
  return call_and_parse<Margins>(c, parse_margins);
}

BrokerResult<Profile> KiteBroker::profile() {
  Call c;
  c.path = "/user/profile";
  return call_and_parse<Profile>(c, parse_profile);
}

template <typename T, typename Parse>
BrokerResult<std::map<std::string, T>> KiteBroker::quotes(
    std::string_view path, size_t per_request, const std::vector<std::string>& instruments,
    Parse parse) {
  std::map<std::string, T> out;
  for (size_t start = 0; start < instruments.size(); start += per_request) {
    Call c;
    c.path = std::string(path);
    c.endpoint = EndpointClass::kQuote;
    const size_t end = std::min(instruments.size(), start + per_request);
    for (size_t i = start; i < end; ++i) c.params.emplace_back("i", instruments[i]);
    BrokerResult<std::map<std::string, T>> part =
        call_and_parse<std::map<std::string, T>>(c, parse);
    if (!part.ok()) return part.error();
    for (auto& [key, value] : part.value()) out.insert_or_assign(key, std::move(value));
  }
  return out;
}

BrokerResult<std::map<std::string, Quote>> KiteBroker::quote(
    const std::vector<std::string>& instruments) {
  return quotes<Quote>("/quote", 500, instruments, parse_quotes);
}

BrokerResult<std::map<std::string, LtpQuote>> KiteBroker::ltp(
    const std::vector<std::string>& instruments) {
  return quotes<LtpQuote>("/quote/ltp", 1000, instruments, parse_ltp_quotes);
}

BrokerResult<std::map<std::string, LtpQuote>> KiteBroker::ohlc(
    const std::vector<std::string>& instruments) {
  return quotes<LtpQuote>("/quote/ohlc", 1000, instruments, parse_ltp_quotes);
}

BrokerResult<std::vector<Candle>> KiteBroker::historical(std::int64_t instrument_token,
                                                         std::string_view interval,
                                                         TimestampMs from, TimestampMs to) {
  if (instrument_token <= 0 || !valid_path_word(interval)) {
    return local_error(ErrorCode::kInvalidArgument,
                       fmt::format("bad historical request ({} {})", instrument_token, interval));
  }
  Call c;
  c.path = fmt::format("/instruments/historical/{}/{}", instrument_token, interval);
  c.endpoint = EndpointClass::kHistorical;
  c.params = {{"from", format_kite_timestamp(from)}, {"to", format_kite_timestamp(to)}};
  return call_and_parse<std::vector<Candle>>(c, parse_candles);
}

BrokerResult<std::vector<Instrument>> KiteBroker::instruments(std::string_view exchange) {
  if (!exchange.empty() && !valid_path_word(exchange)) {
    return local_error(ErrorCode::kInvalidArgument, fmt::format("bad exchange '{}'", exchange));
  }
  Call c;
  c.path =
      exchange.empty() ? std::string("/instruments") : fmt::format("/instruments/{}", exchange);
  c.csv = true;
  BrokerResult<json> body = call(c);
  if (!body.ok()) return body.error();
  Result<std::vector<Instrument>> parsed =
      parse_instruments_csv(body->get_ref<const std::string&>());
  if (!parsed.ok()) return parse_error(parsed.status(), false);
  return std::move(parsed.value());
}

BrokerResult<Session> KiteBroker::login(std::string_view request_token,
                                        std::string_view api_secret) {
  if (options_.api_key.empty())
    return local_error(ErrorCode::kAuthError, "no Kite api_key configured");
  if (request_token.empty()) return local_error(ErrorCode::kInvalidArgument, "empty request_token");
  if (api_secret.empty())
    return local_error(ErrorCode::kAuthError, "no Kite api_secret configured");
  Call c;
  c.method = HttpMethod::kPost;
  c.path = "/session/token";
  c.authenticated = false;
  // A request token is single-use: if the exchange may have happened, sending it again can only
  // fail, so it is treated like a placement (never re-sent after a possible arrival).
  c.kind = RequestKind::kPlace;
  c.params = {{"api_key", options_.api_key},
              {"request_token", std::string(request_token)},
              {"checksum", kite_session_checksum(options_.api_key, request_token, api_secret)}};
  BrokerResult<Session> session = call_and_parse<Session>(c, parse_session);
  if (!session.ok()) return session;
  // Kite's login_time is the broker's; fall back to our clock if it is missing.
  set_access_token(session->access_token,
                   session->login_time > 0 ? session->login_time : clock_.now_ms());
  if (log_ != nullptr) log_->info("kite_login", {{"user_id", session->user_id}});
  return session;
}

BrokerResult<bool> KiteBroker::logout() {
  Call c;
  c.method = HttpMethod::kDelete;
  c.path = "/session/token";
  c.kind = RequestKind::kChange;
  c.params = {{"api_key", options_.api_key}, {"access_token", options_.access_token}};
  BrokerResult<json> data = call(c);
  if (!data.ok()) return data.error();
  options_.access_token.clear();
  return data->is_boolean() ? data->get<bool>() : true;
}

}  // namespace sm::broker
