// Test rig: the paper broker in-process on 127.0.0.1 (support/paper_broker.h), a KiteBroker talking
// to it over libcurl (the adapter that talks to Kite), a real SQLite database in a temporary
// directory and an OrderManager over them. The paper engine keeps market time on its own
// ManualClock; the client side (manager, retries, rate limits) runs on another ManualClock with a
// ManualSleeper, so backoff and in-doubt windows take no real time unless a test asks for the
// system clock.
#pragma once

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "order/order_manager.h"
#include "store/database.h"
#include "store/trading_records.h"
#include "support/paper_broker.h"
#include "time/clock.h"

namespace sm::order::test {

inline constexpr const char* kApiKey = "rigkey";
inline constexpr const char* kApiSecret = "rigsecret";
inline constexpr const char* kAccessToken = "rigtoken";

inline TimestampMs rig_start() { return sm::testing::paper_start(); }

using TempDir = sm::testing::TempDir;

struct RigOptions {
  paper::EngineOptions engine;
  paper::ServerOptions server;
  ManagerOptions manager;
  std::int64_t timeout_ms = 2000;
  broker::RateLimits rate_limits = unlimited();
  bool system_clock = false;  // client side on real time (for the paper's own per-second limits)

  static broker::RateLimits unlimited() {
    broker::RateLimits r;
    r.order_per_second = 100000;
    r.other_per_second = 100000;
    r.quote_per_second = 100000;
    r.orders_per_minute = 1000000;
    r.orders_per_day = 1000000;
    return r;
  }
};

// The rig's in-doubt horizon and settle time (client clock).
inline constexpr std::int64_t kResolveMs = 60000;
inline constexpr std::int64_t kSettleMs = 2000;

inline RigOptions default_options() {
  RigOptions o;
  o.server.api_key = kApiKey;
  o.server.api_secret = kApiSecret;
  o.server.access_token = kAccessToken;
  o.server.enforce_rate_limits = false;
  o.manager.poll_interval_ms = 100;
  o.manager.in_doubt_ms = 5000;
  o.manager.in_doubt_resolve_ms = kResolveMs;
  o.manager.in_doubt_settle_ms = kSettleMs;
  o.manager.lookup_interval_ms = 0;
  o.manager.retry_after_ms = 100;
  return o;
}

class ClientSleeper final : public broker::Sleeper {
 public:
  ClientSleeper(time::ManualClock& clock, bool real) : manual_(clock), real_(real) {}
  void sleep_ms(std::int64_t ms) override {
    if (real_) {
      system_.sleep_ms(ms);
    } else {
      manual_.sleep_ms(ms);
    }
    if (ms > 0) total_ms_ += ms;
  }
  std::int64_t total_ms() const { return total_ms_; }

 private:
  broker::ManualSleeper manual_;
  broker::SystemSleeper system_;
  bool real_;
  std::int64_t total_ms_ = 0;
};

class OrderRig : public sm::testing::PaperBroker {
 public:
  explicit OrderRig(RigOptions options = default_options())
      : PaperBroker({options.engine, options.server}),
        options_(std::move(options)),
        manual_client_clock(rig_start()),
        sleeper(manual_client_clock, options_.system_clock),
        log("order-test", LogLevel::kError) {
    Result<store::Database> opened = store::Database::open(dir.file("orders.db"));
    if (!opened.ok()) throw std::runtime_error(opened.status().to_string());
    db = std::move(opened.value());
    kite = std::make_unique<broker::KiteBroker>(kite_options(), http, client_clock(), sleeper,
                                                broker::seeded_jitter(11));
    make_manager();
  }

  const time::Clock& client_clock() const {
    return options_.system_clock ? static_cast<const time::Clock&>(wall_clock)
                                 : manual_client_clock;
  }

  broker::KiteOptions kite_options() const {
    broker::KiteOptions k;
    k.base_url = base_url();
    k.api_key = kApiKey;
    k.access_token = kAccessToken;
    k.timeout_ms = options_.timeout_ms;
    k.connect_timeout_ms = 1000;
    k.retry.initial_backoff_ms = 20;
    k.retry.max_backoff_ms = 100;
    k.rate_limits = options_.rate_limits;
    return k;
  }

  // A new manager over the same database and broker, as a restarted sm-order would be.
  void make_manager(broker::Broker* broker = nullptr) {
    manager = std::make_unique<OrderManager>(
        db, broker != nullptr ? *broker : static_cast<broker::Broker&>(*kite), client_clock(),
        options_.manager, [this](const Message& m) { out.push_back(m); }, log);
  }

  void recover() {
    Result<bool> r = manager->recover();
    if (!r.ok()) throw std::runtime_error(r.status().to_string());
    if (!*r) throw std::runtime_error("recover: broker not readable");
  }

  // Ticks until pred holds or rounds run out (advancing the manual clock past the poll interval).
  template <typename Pred>
  bool tick_until(Pred pred, int rounds = 50) {
    for (int i = 0; i < rounds; ++i) {
      if (pred()) return true;
      Status s = manager->tick();
      if (!s.ok()) throw std::runtime_error(s.to_string());
      if (!options_.system_clock) manual_client_clock.advance(options_.manager.poll_interval_ms);
    }
    return pred();
  }

  // Broker orders (the paper's book) carrying tag.
  std::vector<broker::Order> broker_orders(const std::string& tag) {
    std::vector<broker::Order> found;
    for (const broker::Order& o : engine->orders()) {
      if (o.tag == tag) found.push_back(o);
    }
    return found;
  }

  store::OrderRecord order(const std::string& id) {
    Result<std::optional<store::OrderRecord>> o = store::find_order(db, id);
    if (!o.ok() || !o->has_value()) throw std::runtime_error("no order " + id);
    return **o;
  }

  std::vector<std::string> events(const std::string& id) {
    Result<std::vector<store::OrderEvent>> e = store::order_events(db, id);
    if (!e.ok()) throw std::runtime_error(e.status().to_string());
    std::vector<std::string> names;
    for (const store::OrderEvent& x : *e) names.push_back(x.event);
    return names;
  }

  Quantity position(const std::string& strategy, const std::string& symbol) {
    Result<std::optional<store::Position>> p = store::find_position(db, strategy, symbol);
    if (!p.ok()) throw std::runtime_error(p.status().to_string());
    return p->has_value() ? (*p)->qty : 0;
  }

  template <typename T>
  std::vector<T> emitted() const {
    std::vector<T> found;
    for (const Message& m : out) {
      if (const T* x = std::get_if<T>(&m)) found.push_back(*x);
    }
    return found;
  }

  RigOptions options_;
  time::ManualClock manual_client_clock;
  ClientSleeper sleeper;
  broker::CurlHttpClient http;
  store::Database db;
  std::unique_ptr<broker::KiteBroker> kite;
  Logger log;
  std::vector<Message> out;
  std::unique_ptr<OrderManager> manager;
};

inline OrderIntent intent(const std::string& id, const std::string& symbol, Side side, Quantity qty,
                          OrderType type = OrderType::kMarket, Paise price = 0) {
  OrderIntent i;
  i.ts = rig_start();
  i.client_order_id = id;
  i.strategy = "rig";
  i.symbol = symbol;
  i.side = side;
  i.qty = qty;
  i.order_type = type;
  i.product = Product::kIntraday;
  i.price = price;
  i.signal_ts = rig_start();
  return i;
}

}  // namespace sm::order::test
