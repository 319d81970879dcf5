#include "paper/paper_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "broker/instruments.h"
#include "broker/kite_broker.h"
#include "broker/kite_errors.h"
#include "broker/kite_json.h"
#include "paper/historical_candles.h"

namespace sm::paper {

using broker::BrokerError;
using nlohmann::json;

namespace {

// With the charset, cpp-httplib leaves JSON answers uncompressed (it compresses exactly
// "application/json"): on loopback compression only burns CPU. The CSV dump is still gzipped for
// clients that ask, as Kite does.
constexpr const char* kJson = "application/json; charset=utf-8";

// Requests per second Kite allows, by rate-limit category.
constexpr int kOrderLimit = 10;
constexpr int kOtherLimit = 10;
constexpr int kQuoteLimit = 1;
constexpr int kHistoricalLimit = 3;

// What a route produces. drop: close the connection without answering (fault injection).
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = kJson;
};

Reply ok(const json& data) { return Reply{200, broker::success_body(data)}; }

Reply fail(const BrokerError& e) {
  const std::string type = e.error_type.empty() ? "GeneralException" : e.error_type;
  return Reply{e.http_status > 0 ? e.http_status : broker::http_status_for(type),
               broker::error_body(type, e.message)};
}

Reply fail(std::string_view error_type, std::string message, int status = 0) {
  return Reply{status > 0 ? status : broker::http_status_for(error_type),
               broker::error_body(error_type, message)};
}

// Form and query parameters, decoded. Repeated keys keep every value in order.
using Params = std::multimap<std::string, std::string>;

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void parse_form(std::string_view text, Params& params) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      params.emplace(percent_decode(pair.substr(0, eq)), eq == std::string_view::npos
                                                             ? std::string()
                                                             : percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
}

// Query string plus, for form-encoded bodies, the body. We decode ourselves rather than rely on
// which methods the HTTP library parses bodies for.
Params params_of(const httplib::Request& req) {
  Params params;
  const size_t q = req.target.find('?');
  if (q != std::string::npos) parse_form(std::string_view(req.target).substr(q + 1), params);
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
    parse_form(req.body, params);
  }
  return params;
}

std::optional<std::string> param(const Params& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

// Closes the TCP connection a request arrived on, without a response. cpp-httplib does not hand
// handlers their socket, so it is found by its addresses among this process's descriptors.
bool drop_connection(const httplib::Request& req, int server_port) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    sockaddr_in local{};
    sockaddr_in peer{};
    socklen_t local_len = sizeof local;
    socklen_t peer_len = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        local.sin_family != AF_INET) {
      continue;
    }
    if (ntohs(local.sin_port) != server_port) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (ntohs(peer.sin_port) != req.remote_port) continue;
    char address[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address);
    if (req.remote_addr != address) continue;
    ::shutdown(fd, SHUT_RDWR);
    return true;
  }
  return false;
}

// Kite's per-second limits, counted per wall-clock second like Kite counts them.
class ServerRateLimits {
 public:
  explicit ServerRateLimits(const time::Clock& wall_clock) : wall_clock_(wall_clock) {}

  bool allow(std::string_view category, int limit) {
    const std::int64_t second = wall_clock_.now_ms() / kMsPerSecond;
    std::lock_guard<std::mutex> lock(mutex_);
    Window& w = windows_[std::string(category)];
    if (w.second != second) {
      w.second = second;
      w.count = 0;
    }
    return ++w.count <= limit;
  }

 private:
  struct Window {
    std::int64_t second = 0;
    int count = 0;
  };
  const time::Clock& wall_clock_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

Result<Quantity> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 18) return error(ErrorCode::kInvalidArgument, "bad number");
  Quantity v = 0;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == text.size()) return error(ErrorCode::kInvalidArgument, "bad number");
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return error(ErrorCode::kInvalidArgument, "bad number");
    v = v * 10 + (text[i] - '0');
  }
  return negative ? -v : v;
}

template <typename Slot>
void put_number(Slot& slot, std::int64_t value) {
  slot = static_cast<Slot>(value);
}
template <typename T>
void put_number(std::optional<T>& slot, std::int64_t value) {
  slot = static_cast<T>(value);
}

// An optional order parameter (absent or empty leaves slot as it is) that must be a whole number
// in [min, max]; anything else fails as Kite does, naming the parameter.
template <typename Slot>
Status read_optional_whole_number(const Params& p, const char* key, Slot& slot,
                                  Quantity min = std::numeric_limits<Quantity>::min(),
                                  Quantity max = std::numeric_limits<Quantity>::max()) {
  std::optional<std::string> v = param(p, key);
  if (!v || v->empty()) return Status();
  Result<Quantity> q = whole_number(*v);
  if (!q.ok() || *q < min || *q > max) {
    return error(ErrorCode::kInvalidArgument, fmt::format("Invalid `{}`", key));
  }
  put_number(slot, *q);
  return Status();
}

// As read_optional_whole_number, for a rupee amount that must not be negative.
template <typename Slot>
Status read_optional_price(const Params& p, const char* key, Slot& slot) {
  std::optional<std::string> v = param(p, key);
  if (!v || v->empty()) return Status();
  Result<Paise> money = parse_rupees(*v);
  if (!money.ok() || *money < 0) {
    return error(ErrorCode::kInvalidArgument, fmt::format("Invalid `{}`", key));
  }
  put_number(slot, *money);
  return Status();
}

}  // namespace

struct PaperServer::Impl {
  PaperEngine& engine;
  InMemoryPriceSource& prices;
  ServerOptions options;
  const time::Clock& clock;
  const Logger* log;
  FaultInjector faults;
  TickerFaults ticker_faults;
  PriceFeed feed;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  ServerRateLimits rate_limits;

  std::mutex mutex;  // guards sessions, used request tokens, stopping
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, TimestampMs> issued_tokens;  // access token -> login time
  std::set<std::string> used_request_tokens;
  bool fixed_token_revoked = false;
  std::random_device entropy;

  Impl(PaperEngine& e, InMemoryPriceSource& p, ServerOptions o, const time::Clock& c,
       const time::Clock& wall, const Logger* l)
      : engine(e),
        prices(p),
        options(std::move(o)),
        clock(c),
        log(l),
        faults(options.seed),
        feed(p, e, c),
        rate_limits(wall) {}

  // Sleeps up to ms; returns early (false) when the server stops.
  bool pause(std::int64_t ms) {
    std::unique_lock<std::mutex> lock(mutex);
    return !wake.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping; });
  }

  // REQUIRES: mutex held.
  std::string new_token(size_t bytes) {
    std::string out;
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < bytes; ++i) {
      const unsigned v = entropy() & 0xFFu;
      out.push_back(kHex[v >> 4]);
      out.push_back(kHex[v & 0xF]);
    }
    return out;
  }

  // nullopt when the request carries a valid token; else the TokenException reply.
  std::optional<Reply> authenticate(const httplib::Request& req) {
    static const Reply invalid =
        fail("TokenException", "Incorrect `api_key` or `access_token`.", 403);
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "token " + options.api_key + ":";
    if (options.api_key.empty() || header.rfind(prefix, 0) != 0) return invalid;
    return authenticate_token(header.substr(prefix.size()));
  }

  // nullopt when token is a valid access token; else the TokenException reply. Counts one
  // authenticated call for the token-expiry fault.
  std::optional<Reply> authenticate_token(const std::string& token) {
    static const Reply invalid =
        fail("TokenException", "Incorrect `api_key` or `access_token`.", 403);
    if (token.empty()) return invalid;
    std::lock_guard<std::mutex> lock(mutex);
    if (faults.count_authenticated_call()) {
      // The injected expiry kills every session, as a master logout would.
      issued_tokens.clear();
      fixed_token_revoked = true;
      return fail("TokenException", "Token is invalid or has expired.", 403);
    }
    if (!options.access_token.empty() && token == options.access_token) {
      if (fixed_token_revoked)
        return fail("TokenException", "Token is invalid or has expired.", 403);
      return std::nullopt;
    }
    auto it = issued_tokens.find(token);
    if (it == issued_tokens.end()) return invalid;
    if (clock.now_ms() >= broker::kite_token_expiry(it->second)) {
      issued_tokens.erase(it);
      return fail("TokenException", "Token is invalid or has expired.", 403);
    }
    return std::nullopt;
  }

  void respond(httplib::Response& res, const Reply& reply) {
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type);
  }

  // The pipeline every Kite route goes through: faults, rate limits, authentication, handler.
  void serve(
      const httplib::Request& req, httplib::Response& res, std::string_view rate_category,
      int rate_limit, bool authenticated,
      const std::function<Reply(const Params&, const std::string& forced_rejection)>& handler) {
    std::optional<FaultRule> fault = faults.match(req.method, req.path);
    if (fault && log) {
      log->info("fault_injected", {{"kind", std::string(fault_kind_name(fault->kind))},
                                   {"method", req.method},
                                   {"path", req.path}});
    }
    if (fault && fault->kind == FaultKind::kDelay && !pause(fault->delay_ms)) return;
    if (fault && fault->kind == FaultKind::kHttpError) {
      respond(res, fail(fault->error_type, fault->message, fault->http_status));
      return;
    }
    if (fault && fault->kind == FaultKind::kDropBefore) {
      drop_connection(req, port);
      return;
    }
    if (options.enforce_rate_limits && !rate_limits.allow(rate_category, rate_limit)) {
      respond(res, fail("NetworkException", "Too many requests", 429));
      return;
    }
    if (authenticated) {
      if (std::optional<Reply> denied = authenticate(req)) {
        respond(res, *denied);
        return;
      }
    }
    const Params params = params_of(req);
    const std::string forced =
        fault && fault->kind == FaultKind::kReject ? fault->message : std::string();
    Reply reply = handler(params, forced);
    if (fault && fault->kind == FaultKind::kDelayAfter && !pause(fault->delay_ms)) return;
    if (fault && fault->kind == FaultKind::kDropAfterAccept) {
      drop_connection(req, port);
      return;
    }
    respond(res, reply);
  }

  Result<broker::OrderRequest> order_request(const Params& p, const std::string& variety) {
    broker::OrderRequest r;
    r.variety = variety;
    auto need = [&](const char* key) -> Result<std::string> {
      std::optional<std::string> v = param(p, key);
      if (!v || v->empty())
        return error(ErrorCode::kInvalidArgument, fmt::format("Missing `{}`", key));
      return *v;
    };
    Result<std::string> symbol = need("tradingsymbol");
    if (!symbol.ok()) return symbol.status();
    r.tradingsymbol = *symbol;
    Result<std::string> exchange = need("exchange");
    if (!exchange.ok()) return exchange.status();
    r.exchange = *exchange;
    Result<std::string> side = need("transaction_type");
    if (!side.ok()) return side.status();
    Result<Side> parsed_side = parse_side(*side);
    if (!parsed_side.ok()) return error(ErrorCode::kInvalidArgument, "Invalid `transaction_type`");
    r.side = *parsed_side;
    Result<std::string> type = need("order_type");
    if (!type.ok()) return type.status();
    Result<OrderType> parsed_type = parse_order_type(*type);
    if (!parsed_type.ok()) return error(ErrorCode::kInvalidArgument, "Invalid `order_type`");
    r.order_type = *parsed_type;
    Result<std::string> quantity = need("quantity");
    if (!quantity.ok()) return quantity.status();
    Result<Quantity> parsed_quantity = whole_number(*quantity);
    if (!parsed_quantity.ok()) return error(ErrorCode::kInvalidArgument, "Invalid `quantity`");
    r.quantity = *parsed_quantity;
    Result<std::string> product = need("product");
    if (!product.ok()) return product.status();
    Result<Product> parsed_product = parse_product(*product);
    if (!parsed_product.ok()) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("Product `{}` is not supported by the paper broker", *product));
    }
    r.product = *parsed_product;
    SM_RETURN_IF_ERROR(read_optional_price(p, "price", r.price));
    SM_RETURN_IF_ERROR(read_optional_price(p, "trigger_price", r.trigger_price));
    SM_RETURN_IF_ERROR(read_optional_whole_number(p, "disclosed_quantity", r.disclosed_quantity));
    r.validity = param(p, "validity").value_or("DAY");
    SM_RETURN_IF_ERROR(read_optional_whole_number(p, "validity_ttl", r.validity_ttl_minutes));
    SM_RETURN_IF_ERROR(
        read_optional_whole_number(p, "market_protection", r.market_protection, -1, 100));
    r.tag = param(p, "tag").value_or("");
    return r;
  }

  Result<broker::ModifyRequest> modify_request(const Params& p, const std::string& variety,
                                               const std::string& id) {
    broker::ModifyRequest r;
    r.variety = variety;
    r.order_id = id;
    if (std::optional<std::string> v = param(p, "order_type"); v && !v->empty()) {
      Result<OrderType> t = parse_order_type(*v);
      if (!t.ok()) return error(ErrorCode::kInvalidArgument, "Invalid `order_type`");
      r.order_type = *t;
    }
    SM_RETURN_IF_ERROR(read_optional_whole_number(p, "quantity", r.quantity));
    SM_RETURN_IF_ERROR(read_optional_price(p, "price", r.price));
    SM_RETURN_IF_ERROR(read_optional_price(p, "trigger_price", r.trigger_price));
    SM_RETURN_IF_ERROR(read_optional_whole_number(p, "disclosed_quantity", r.disclosed_quantity));
    if (std::optional<std::string> v = param(p, "validity"); v && !v->empty()) r.validity = *v;
    return r;
  }

  broker::Profile profile() const {
    broker::Profile p;
    p.user_id = engine.options().user_id;
    p.user_name = options.user_name;
    p.user_shortname = options.user_name.substr(0, options.user_name.find(' '));
    p.email = "";
    p.user_type = "individual";
    p.broker = "PAPER";
    p.exchanges = {"NSE", "BSE"};
    p.products = {"CNC", "MIS"};
    p.order_types = {"MARKET", "LIMIT", "SL", "SL-M"};
    return p;
  }

  Reply login(const Params& p) {
    const std::string api_key = param(p, "api_key").value_or("");
    const std::string request_token = param(p, "request_token").value_or("");
    const std::string checksum = param(p, "checksum").value_or("");
    if (api_key.empty() || request_token.empty() || checksum.empty()) {
      return fail("InputException", "Missing `api_key`, `request_token` or `checksum`");
    }
    if (options.api_secret.empty()) {
      return fail("InputException",
                  "The paper broker has no api_secret configured: login is disabled");
    }
    if (api_key != options.api_key) return fail("InputException", "Invalid `api_key`.");
    if (checksum != broker::kite_session_checksum(api_key, request_token, options.api_secret)) {
      return fail("TokenException", "Invalid `checksum`.", 403);
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (!used_request_tokens.insert(request_token).second) {
      return fail("TokenException", "Token is invalid or has expired.", 403);
    }
    broker::Session s;
    static_cast<broker::Profile&>(s) = profile();
    s.api_key = api_key;
    s.access_token = new_token(16);
    s.public_token = new_token(8);
    // Kite timestamps have whole seconds; the token's life is reckoned from the same value.
    s.login_time = clock.now_ms() / kMsPerSecond * kMsPerSecond;
    issued_tokens[s.access_token] = s.login_time;
    faults.reset_token_budget();
    fixed_token_revoked = false;
    if (log) log->info("paper_login", {{"user_id", s.user_id}});
    return ok(broker::session_to_json(s));
  }

  Reply logout(const Params& p) {
    const std::string token = param(p, "access_token").value_or("");
    std::lock_guard<std::mutex> lock(mutex);
    issued_tokens.erase(token);
    if (!options.access_token.empty() && token == options.access_token) fixed_token_revoked = true;
    return ok(true);
  }

  std::vector<broker::Instrument> instrument_list(std::string_view exchange) {
    std::vector<broker::Instrument> list = engine.instruments();
    std::set<std::string> known;
    for (const broker::Instrument& i : list)
      known.insert(broker::instrument_key(i.exchange, i.tradingsymbol));
    // Symbols the feed has prices for but the instrument file does not list get a plain EQ row.
    for (const std::string& key : prices.keys()) {
      if (known.count(key) > 0) continue;
      const size_t colon = key.find(':');
      broker::Instrument i;
      i.exchange = key.substr(0, colon);
      i.tradingsymbol = key.substr(colon + 1);
      i.instrument_token = engine.instrument_token(i.exchange, i.tradingsymbol);
      i.exchange_token = i.instrument_token >> 8;
      i.name = i.tradingsymbol;
      std::optional<MarketPrice> m = prices.latest(i.exchange, i.tradingsymbol);
      i.tick_size = nse_tick_for(m ? m->last : 0);
      i.lot_size = 1;
      i.instrument_type = "EQ";
      i.segment = i.exchange;
      list.push_back(std::move(i));
    }
    if (!exchange.empty()) {
      std::erase_if(list, [&](const broker::Instrument& i) { return i.exchange != exchange; });
    }
    return list;
  }

  void routes();
  void route_session();
  void route_orders();
  void route_portfolio();
  void route_market_data();
  void route_control();
  void route_errors();
  Reply feed_prices(std::string_view body);
  Reply set_faults(const std::string& body);
  Reply add_funds(const std::string& body);
};

void PaperServer::Impl::routes() {
  route_session();
  route_orders();
  route_portfolio();
  route_market_data();
  route_control();
  route_errors();
}

void PaperServer::Impl::route_session() {
  using httplib::Request;
  using httplib::Response;
  server.Post("/session/token", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, false,
          [this](const Params& p, const std::string&) { return login(p); });
  });
  server.Delete("/session/token", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true,
          [this](const Params& p, const std::string&) { return logout(p); });
  });
  server.Get("/user/profile", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true, [this](const Params&, const std::string&) {
      return ok(broker::profile_to_json(profile()));
    });
  });
  server.Get(R"(/user/margins(/(equity|commodity))?)", [this](const Request& req, Response& res) {
    const std::string segment =
        req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    serve(req, res, "other", kOtherLimit, true, [this, segment](const Params&, const std::string&) {
      broker::SegmentMargins commodity;  // the paper broker trades equity only
      if (segment == "equity") return ok(broker::segment_margins_to_json(engine.equity_margins()));
      if (segment == "commodity") return ok(broker::segment_margins_to_json(commodity));
      return ok(json{{"equity", broker::segment_margins_to_json(engine.equity_margins())},
                     {"commodity", broker::segment_margins_to_json(commodity)}});
    });
  });
}

void PaperServer::Impl::route_orders() {
  using httplib::Request;
  using httplib::Response;
  server.Post(R"(/orders/([a-z]+))", [this](const Request& req, Response& res) {
    const std::string variety = req.matches[1];
    serve(req, res, "orders", kOrderLimit, true,
          [this, variety](const Params& p, const std::string& forced) {
            Result<broker::OrderRequest> r = order_request(p, variety);
            if (!r.ok()) return fail("InputException", r.status().message());
            broker::BrokerResult<std::string> placed = engine.place_order(*r, forced);
            if (!placed.ok()) return fail(placed.error());
            return ok(json{{"order_id", *placed}});
          });
  });
  server.Put(R"(/orders/([a-z]+)/([A-Za-z0-9]+))", [this](const Request& req, Response& res) {
    const std::string variety = req.matches[1];
    const std::string id = req.matches[2];
    serve(req, res, "orders", kOrderLimit, true,
          [this, variety, id](const Params& p, const std::string&) {
            Result<broker::ModifyRequest> r = modify_request(p, variety, id);
            if (!r.ok()) return fail("InputException", r.status().message());
            broker::BrokerResult<std::string> modified = engine.modify_order(*r);
            if (!modified.ok()) return fail(modified.error());
            return ok(json{{"order_id", *modified}});
          });
  });
  server.Delete(R"(/orders/([a-z]+)/([A-Za-z0-9]+))", [this](const Request& req, Response& res) {
    const std::string variety = req.matches[1];
    const std::string id = req.matches[2];
    serve(req, res, "orders", kOrderLimit, true,
          [this, variety, id](const Params&, const std::string&) {
            broker::BrokerResult<std::string> cancelled = engine.cancel_order(variety, id);
            if (!cancelled.ok()) return fail(cancelled.error());
            return ok(json{{"order_id", *cancelled}});
          });
  });
  server.Get("/orders", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true, [this](const Params&, const std::string&) {
      json list = json::array();
      for (const broker::Order& o : engine.orders()) list.push_back(broker::order_to_json(o));
      return ok(list);
    });
  });
  server.Get(R"(/orders/([A-Za-z0-9]+))", [this](const Request& req, Response& res) {
    const std::string id = req.matches[1];
    serve(req, res, "other", kOtherLimit, true, [this, id](const Params&, const std::string&) {
      broker::BrokerResult<std::vector<broker::Order>> history = engine.order_history(id);
      if (!history.ok()) return fail(history.error());
      json list = json::array();
      for (const broker::Order& o : *history) list.push_back(broker::order_to_json(o));
      return ok(list);
    });
  });
  server.Get(R"(/orders/([A-Za-z0-9]+)/trades)", [this](const Request& req, Response& res) {
    const std::string id = req.matches[1];
    serve(req, res, "other", kOtherLimit, true, [this, id](const Params&, const std::string&) {
      broker::BrokerResult<std::vector<broker::Trade>> trades = engine.order_trades(id);
      if (!trades.ok()) return fail(trades.error());
      json list = json::array();
      for (const broker::Trade& t : *trades) list.push_back(broker::trade_to_json(t));
      return ok(list);
    });
  });
}

void PaperServer::Impl::route_portfolio() {
  using httplib::Request;
  using httplib::Response;
  server.Get("/trades", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true, [this](const Params&, const std::string&) {
      json list = json::array();
      for (const broker::Trade& t : engine.trades()) list.push_back(broker::trade_to_json(t));
      return ok(list);
    });
  });
  server.Get("/portfolio/positions", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true, [this](const Params&, const std::string&) {
      const broker::Positions p = engine.positions();
      json net = json::array();
      json day = json::array();
      for (const broker::Position& x : p.net) net.push_back(broker::position_to_json(x));
      for (const broker::Position& x : p.day) day.push_back(broker::position_to_json(x));
      return ok(json{{"net", net}, {"day", day}});
    });
  });
  server.Get("/portfolio/holdings", [this](const Request& req, Response& res) {
    serve(req, res, "other", kOtherLimit, true, [this](const Params&, const std::string&) {
      json list = json::array();
      for (const broker::Holding& h : engine.holdings()) list.push_back(broker::holding_to_json(h));
      return ok(list);
    });
  });
}

void PaperServer::Impl::route_market_data() {
  using httplib::Request;
  using httplib::Response;
  server.Get(R"(/quote(/ltp|/ohlc)?)", [this](const Request& req, Response& res) {
    const std::string kind = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
    serve(req, res, "quote", kQuoteLimit, true, [this, kind](const Params& p, const std::string&) {
      json data = json::object();
      auto [begin, end] = p.equal_range("i");
      if (begin == end) return fail("InputException", "Missing `i` (instruments)");
      for (auto it = begin; it != end; ++it) {
        const std::string& key = it->second;
        const size_t colon = key.find(':');
        if (colon == std::string::npos) continue;  // Kite leaves out keys it has no data for
        std::optional<broker::Quote> q = engine.quote(key.substr(0, colon), key.substr(colon + 1));
        if (!q) continue;
        if (kind.empty()) {
          data[key] = broker::quote_to_json(*q);
        } else {
          data[key] = broker::ltp_quote_to_json(
              broker::LtpQuote{q->instrument_token, q->last_price, q->ohlc}, kind == "/ohlc");
        }
      }
      return ok(data);
    });
  });
  // Synthetic candles (paper/historical_candles.h) in Kite's response shape.
  server.Get(
      R"(/instruments/historical/([0-9]+)/([a-z0-9]+))", [this](const Request& req, Response& res) {
        const std::string token_text = req.matches[1];
        const std::string interval = req.matches[2];
        serve(req, res, "historical", kHistoricalLimit, true,
              [this, token_text, interval](const Params& p, const std::string&) {
                auto param = [&p](const char* key) {
                  auto it = p.find(key);
                  return it == p.end() ? std::string() : it->second;
                };
                Result<TimestampMs> from = broker::parse_kite_timestamp(param("from"));
                Result<TimestampMs> to = broker::parse_kite_timestamp(param("to"));
                if (!from.ok() || !to.ok()) {
                  return fail("InputException", "invalid from or to date (yyyy-mm-dd hh:mm:ss)");
                }
                const std::int64_t token = std::stoll(token_text.substr(0, 18));
                Result<std::vector<broker::Candle>> candles =
                    synthetic_candles(token, interval, *from, *to, clock.now_ms());
                if (!candles.ok()) return fail("InputException", candles.status().message());
                return ok(broker::candles_to_json(*candles, param("oi") == "1"));
              });
      });
  server.Get(R"(/instruments(/([A-Z]+))?)", [this](const Request& req, Response& res) {
    const std::string exchange =
        req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    serve(req, res, "other", kOtherLimit, true,
          [this, exchange](const Params&, const std::string&) {
            return Reply{200, broker::instruments_to_csv(instrument_list(exchange)), "text/csv"};
          });
  });
}

// Control endpoints: no authentication, no faults, loopback only like everything else.
void PaperServer::Impl::route_control() {
  using httplib::Request;
  using httplib::Response;
  server.Get("/_paper/state", [this](const Request&, Response& res) {
    json state = engine.summary();
    state["faults"] = faults.to_json();
    state["instruments_priced"] = prices.keys().size();
    {
      std::lock_guard<std::mutex> lock(mutex);
      state["sessions"] = issued_tokens.size();
    }
    respond(res, ok(state));
  });
  server.Post("/_paper/prices",
              [this](const Request& req, Response& res) { respond(res, feed_prices(req.body)); });
  server.Post("/_paper/faults",
              [this](const Request& req, Response& res) { respond(res, set_faults(req.body)); });
  server.Post("/_paper/ticker_faults", [this](const Request& req, Response& res) {
    const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (Status applied = ticker_faults.apply(body); !applied.ok()) {
      return respond(res, fail("InputException", applied.message()));
    }
    respond(res, ok(ticker_faults.to_json()));
  });
  server.Delete("/_paper/faults", [this](const Request&, Response& res) {
    faults.clear();
    respond(res, ok(faults.to_json()));
  });
  server.Post("/_paper/funds",
              [this](const Request& req, Response& res) { respond(res, add_funds(req.body)); });
  server.Post("/_paper/session/expire", [this](const Request&, Response& res) {
    std::lock_guard<std::mutex> lock(mutex);
    issued_tokens.clear();
    fixed_token_revoked = true;
    respond(res, ok(true));
  });
  server.Post("/_paper/request_token", [this](const Request&, Response& res) {
    std::string token;
    {
      std::lock_guard<std::mutex> lock(mutex);  // random_device is not thread-safe
      token = new_token(16);
    }
    respond(res, ok(json{{"request_token", token}}));
  });
}

void PaperServer::Impl::route_errors() {
  using httplib::Request;
  using httplib::Response;
  server.set_error_handler([](const Request&, Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status > 0 ? res.status : 404;
    res.set_content(broker::error_body("GeneralException",
                                       status == 404 ? "Route not found" : "Request failed"),
                    kJson);
  });
  server.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(broker::error_body("GeneralException", "Internal error in the paper broker"),
                    kJson);
  });
  if (log != nullptr && log->level() == LogLevel::kDebug) {
    server.set_logger([this](const Request& req, const Response& res) {
      log->debug("paper_request",
                 {{"method", req.method}, {"path", req.path}, {"status", res.status}});
    });
  }
}

// One price message per line; the first bad line fails the request (the lines before it stay
// applied).
Reply PaperServer::Impl::feed_prices(std::string_view body) {
  std::int64_t applied = 0;
  std::int64_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    const size_t nl = body.find('\n');
    const std::string_view line = body.substr(0, nl);
    Result<bool> r = feed.apply_line(line);
    if (!r.ok()) {
      return fail("InputException", fmt::format("line {}: {}", line_number, r.status().message()));
    }
    applied += *r ? 1 : 0;
    if (nl == std::string_view::npos) break;
    body.remove_prefix(nl + 1);
  }
  return ok(json{{"applied", applied}});
}

// The rules are all parsed before any is added: a request with a bad one adds none.
Reply PaperServer::Impl::set_faults(const std::string& request_body) {
  json body;
  try {
    body = json::parse(request_body);
  } catch (const json::exception& e) {
    return fail("InputException", fmt::format("faults: {}", e.what()));
  }
  if (!body.is_object()) {
    return fail("InputException", "faults: expected a JSON object");
  }
  if (body.value("clear", false)) faults.clear();
  if (body.contains("seed") && body["seed"].is_number_unsigned())
    faults.reseed(body["seed"].get<std::uint64_t>());
  if (body.contains("token_expire_after_calls")) {
    if (!body["token_expire_after_calls"].is_number_integer()) {
      return fail("InputException", "faults: token_expire_after_calls must be a whole number");
    }
    faults.set_token_expire_after(body["token_expire_after_calls"].get<std::int64_t>());
  }
  std::vector<json> rules;
  if (body.contains("rules")) {
    if (!body["rules"].is_array()) {
      return fail("InputException", "faults: rules must be an array");
    }
    for (const json& r : body["rules"]) rules.push_back(r);
  } else if (body.contains("kind")) {
    rules.push_back(body);
  }
  std::vector<FaultRule> parsed;
  for (const json& r : rules) {
    Result<FaultRule> rule = parse_fault_rule(r);
    if (!rule.ok()) {
      return fail("InputException", rule.status().message());
    }
    parsed.push_back(*rule);
  }
  for (FaultRule& rule : parsed) faults.add(std::move(rule));
  return ok(faults.to_json());
}

Reply PaperServer::Impl::add_funds(const std::string& request_body) {
  Result<json> body = broker::parse_json_exact(request_body);
  Paise amount = 0;
  std::string reason = "control endpoint";
  if (body.ok() && body->is_object() && body->contains("amount")) {
    const json& a = (*body)["amount"];
    Result<Paise> parsed =
        a.is_number_integer() ? Result<Paise>(a.get<std::int64_t>() * kPaisePerRupee)
        : a.is_string()       ? parse_rupees(a.get<std::string>())
                              : Result<Paise>(error(ErrorCode::kParseError, "not a number"));
    if (!parsed.ok()) {
      return fail("InputException", "funds: amount must be a rupee amount");
    }
    amount = *parsed;
    if (body->contains("reason") && (*body)["reason"].is_string())
      reason = (*body)["reason"].get<std::string>();
  } else {
    return fail("InputException", "funds: expected {\"amount\": rupees}");
  }
  if (Status s = engine.add_funds(amount, reason); !s.ok()) {
    return fail("GeneralException", s.message(), 500);
  }
  return ok(engine.summary());
}

PaperServer::PaperServer(PaperEngine& engine, InMemoryPriceSource& prices, ServerOptions options,
                         const time::Clock& clock, const time::Clock& wall_clock, const Logger* log)
    : impl_(std::make_unique<Impl>(engine, prices, std::move(options), clock, wall_clock, log)) {}

PaperServer::~PaperServer() { stop(); }

Result<int> PaperServer::start() {
  Impl& s = *impl_;
  if (s.options.host != "127.0.0.1" && s.options.host != "localhost") {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("the paper broker listens on 127.0.0.1 only, not '{}'", s.options.host));
  }
  // A client that hangs up before its answer (a timeout, an injected drop) must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  const int threads = std::max(s.options.threads, 2);
  s.server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  s.server.set_tcp_nodelay(true);  // headers and body go out in two writes: no Nagle delay
  s.server.set_keep_alive_max_count(1000);
  s.server.set_keep_alive_timeout(5);
  s.routes();
  if (s.options.port == 0) {
    s.port = s.server.bind_to_any_port("127.0.0.1");
    if (s.port <= 0) return error(ErrorCode::kIoError, "cannot bind a free port on 127.0.0.1");
  } else {
    if (!s.server.bind_to_port("127.0.0.1", s.options.port)) {
      return error(ErrorCode::kIoError,
                   fmt::format("cannot bind 127.0.0.1:{} (in use?)", s.options.port));
    }
    s.port = s.options.port;
  }
  s.thread = std::thread([&s] { s.server.listen_after_bind(); });
  return s.port;
}

void PaperServer::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.stopping = true;
  }
  s.wake.notify_all();
  s.server.stop();
  if (s.thread.joinable()) s.thread.join();
}

int PaperServer::port() const { return impl_->port; }
FaultInjector& PaperServer::faults() { return impl_->faults; }
TickerFaults& PaperServer::ticker_faults() { return impl_->ticker_faults; }
bool PaperServer::accepts_token(std::string_view api_key, std::string_view access_token) {
  if (impl_->options.api_key.empty() || api_key != impl_->options.api_key) return false;
  return !impl_->authenticate_token(std::string(access_token)).has_value();
}
PriceFeed& PaperServer::feed() { return impl_->feed; }

}  // namespace sm::paper
