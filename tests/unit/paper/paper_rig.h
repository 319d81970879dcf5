// A paper broker started in-process on 127.0.0.1 with an ephemeral port, and a KiteBroker talking
// to it through libcurl: the same adapter code that talks to Kite.
#pragma once

#include <memory>
#include <string>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "support/temp_dir.h"
#include "time/clock.h"

namespace sm::test {

inline constexpr const char* kApiKey = "paperkey";
inline constexpr const char* kApiSecret = "papersecret";
inline constexpr const char* kAccessToken = "papertoken";

// 2024-03-28 (a Thursday) 10:00 IST.
inline TimestampMs paper_start() { return from_ist(Date{2024, 3, 28}, 10, 0); }

using TempDir = sm::testing::TempDir;

struct RigOptions {
  paper::EngineOptions engine;
  paper::ServerOptions server;
  bool start = true;
};

inline RigOptions default_rig_options() {
  RigOptions o;
  o.server.api_key = kApiKey;
  o.server.api_secret = kApiSecret;
  o.server.access_token = kAccessToken;
  o.server.enforce_rate_limits = false;
  return o;
}

// Engine clock (the market's time) and the client's clock are separate ManualClocks starting at the
// same time, so the client's retries and rate-limit waits take no real time.
class PaperRig {
 public:
  explicit PaperRig(RigOptions options = default_rig_options(), std::string state_path = {})
      : options_(std::move(options)),
        engine_clock(paper_start()),
        client_clock(paper_start()),
        sleeper(client_clock) {
    state = state_path.empty() ? dir.file("paper.db") : std::move(state_path);
    open();
  }

  void open() {
    Result<std::unique_ptr<paper::PaperEngine>> e =
        paper::PaperEngine::open(state, options_.engine, engine_clock, prices, costs);
    if (!e.ok()) throw std::runtime_error(e.status().to_string());
    engine = std::move(e.value());
    server = std::make_unique<paper::PaperServer>(*engine, prices, options_.server, engine_clock,
                                                  wall_clock);
    if (options_.start) {
      Result<int> p = server->start();
      if (!p.ok()) throw std::runtime_error(p.status().to_string());
      port = *p;
    }
  }

  // Stops the server and closes the engine (as a process exit would), then opens both again.
  void restart() {
    server.reset();
    engine.reset();
    open();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }

  broker::KiteOptions kite_options(std::string token = kAccessToken) const {
    broker::KiteOptions k;
    k.base_url = base_url();
    k.api_key = kApiKey;
    k.access_token = std::move(token);
    k.timeout_ms = 3000;
    k.retry.initial_backoff_ms = 20;
    k.retry.max_backoff_ms = 100;
    return k;
  }

  std::unique_ptr<broker::KiteBroker> kite(broker::KiteOptions k) {
    return std::make_unique<broker::KiteBroker>(std::move(k), http, client_clock, sleeper,
                                                broker::seeded_jitter(7));
  }
  std::unique_ptr<broker::KiteBroker> kite() { return kite(kite_options()); }

  // A quote line through the feed, as a price source would send it.
  void price(const std::string& symbol, const std::string& last, const std::string& extra = "") {
    Result<bool> r = server->feed().apply_line(R"({"type":"paper_quote","symbol":")" + symbol +
                                               R"(","last_price":")" + last + "\"" + extra + "}");
    if (!r.ok()) throw std::runtime_error(r.status().to_string());
  }

  TempDir dir;
  std::string state;
  RigOptions options_;
  time::ManualClock engine_clock;
  time::ManualClock client_clock;
  time::SystemClock wall_clock;  // the server's rate limits count real seconds
  broker::ManualSleeper sleeper;
  paper::InMemoryPriceSource prices;
  costs::ZeroCostModel costs;
  std::unique_ptr<paper::PaperEngine> engine;
  std::unique_ptr<paper::PaperServer> server;
  int port = 0;
  broker::CurlHttpClient http;
};

inline broker::OrderRequest market_buy(const std::string& symbol, Quantity qty,
                                       const std::string& tag) {
  broker::OrderRequest r;
  r.tradingsymbol = symbol;
  r.side = Side::kBuy;
  r.order_type = OrderType::kMarket;
  r.quantity = qty;
  r.tag = tag;
  r.market_protection = -1;  // what KiteBroker sends by default; the engine refuses 0
  return r;
}

inline broker::OrderRequest limit(const std::string& symbol, Side side, Quantity qty, Paise price,
                                  const std::string& tag) {
  broker::OrderRequest r;
  r.tradingsymbol = symbol;
  r.side = side;
  r.order_type = OrderType::kLimit;
  r.quantity = qty;
  r.price = price;
  r.tag = tag;
  return r;
}

}  // namespace sm::test
