// A paper broker started in-process on 127.0.0.1 with an ephemeral port (support/paper_broker.h),
// and a KiteBroker talking to it through libcurl: the same adapter code that talks to Kite.
#pragma once

#include <memory>
#include <string>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "support/paper_broker.h"
#include "time/clock.h"

namespace sm::test {

inline constexpr const char* kApiKey = "paperkey";
inline constexpr const char* kApiSecret = "papersecret";
inline constexpr const char* kAccessToken = "papertoken";

using sm::testing::paper_start;
using TempDir = sm::testing::TempDir;
using RigOptions = sm::testing::PaperBrokerOptions;

inline RigOptions default_rig_options() {
  RigOptions o;
  o.server.api_key = kApiKey;
  o.server.api_secret = kApiSecret;
  o.server.access_token = kAccessToken;
  o.server.enforce_rate_limits = false;
  return o;
}

// The client's clock is a ManualClock of its own starting with the engine's, so the client's
// retries and rate-limit waits take no real time.
class PaperRig : public sm::testing::PaperBroker {
 public:
  explicit PaperRig(RigOptions options = default_rig_options(), std::string state_path = {})
      : PaperBroker(std::move(options), std::move(state_path)),
        client_clock(paper_start()),
        sleeper(client_clock) {}

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

  time::ManualClock client_clock;
  broker::ManualSleeper sleeper;
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
