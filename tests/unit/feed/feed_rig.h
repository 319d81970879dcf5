// The paper broker in-process with a KiteBroker on its own ManualClock (no real waits), for the
// feed module's tests.
#pragma once

#include <memory>
#include <string>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "support/paper_broker.h"
#include "time/clock.h"

namespace sm::testing {

inline PaperBrokerOptions feed_paper_options() {
  PaperBrokerOptions o;
  o.server.api_key = "feedkey";
  o.server.access_token = "feedtoken";
  o.server.enforce_rate_limits = false;
  return o;
}

class FeedRig : public PaperBroker {
 public:
  FeedRig()
      : PaperBroker(feed_paper_options()), client_clock(paper_start()), sleeper(client_clock) {
    broker::KiteOptions k;
    k.base_url = base_url();
    k.api_key = "feedkey";
    k.access_token = "feedtoken";
    k.timeout_ms = 3000;
    k.retry.max_attempts = 1;
    kite = std::make_unique<broker::KiteBroker>(k, http, client_clock, sleeper,
                                                broker::seeded_jitter(7));
  }

  time::ManualClock client_clock;
  broker::ManualSleeper sleeper;
  broker::CurlHttpClient http;
  std::unique_ptr<broker::KiteBroker> kite;
};

}  // namespace sm::testing
