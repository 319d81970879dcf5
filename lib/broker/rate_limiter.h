// Client-side rate limiting per endpoint class (reference §1.7), so the broker never has to say
// 429.
//
// Each class has a token bucket (implemented as GCRA: a "theoretical arrival time" per bucket, the
// same thing as a bucket refilled at `rate` holding `burst` tokens). With the default burst of 1
// requests are spaced evenly (100 ms apart at 10/s), which also keeps every calendar second —
// how Kite counts since 2026-04-01 — at or under the limit; a larger burst would not.
// Order placement also has fixed-window caps per calendar minute and per IST day; modifications and
// cancellations share the per-second and per-minute order budget but not the daily count (Kite
// counts only placements per day). Defaults take the stricter side where sources disagree
// (200/min, 3000/day); docs/BROKER.md explains.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "broker/sleeper.h"
#include "core/status.h"
#include "time/clock.h"

namespace sm::broker {

enum class EndpointClass {
  kQuote,        // /quote, /quote/ltp, /quote/ohlc
  kHistorical,   // /instruments/historical/...
  kOrderPlace,   // POST /orders/{variety}
  kOrderChange,  // PUT and DELETE /orders/{variety}/{order_id}
  kOther,        // everything else
};
std::string_view endpoint_class_name(EndpointClass endpoint_class);

struct RateLimits {
  double quote_per_second = 1;
  double historical_per_second = 3;
  double order_per_second = 10;
  double other_per_second = 10;
  int burst = 1;
  std::int64_t orders_per_minute = 200;  // place + modify + cancel, per calendar minute
  std::int64_t orders_per_day = 3000;    // placements per IST day
  // A request that would have to wait longer than this fails with kRateLimited instead.
  std::int64_t max_wait_ms = 10000;
};

class RateLimiter {
 public:
  // Does not own clock or sleeper; REQUIRES: they outlive the limiter.
  RateLimiter(RateLimits limits, const time::Clock& clock, Sleeper& sleeper);

  // Reserves a slot for one request of class c and returns how long to wait before sending it
  // (0 = now). If the wait would exceed max_wait_ms (a per-minute or daily cap), reserves nothing
  // and fails with kRateLimited naming the cap and when it frees up. Thread-safe.
  Result<std::int64_t> reserve(EndpointClass c);
  // reserve() and sleep the returned time.
  Status acquire(EndpointClass c);
  // Counts placements made before this limiter existed (an earlier run of the program, from its
  // database) against the per-minute and per-day caps, so a restart does not reset them.
  // placed_at: their times, oldest first; those in earlier windows count for nothing.
  void count_earlier_placements(const std::vector<std::int64_t>& placed_at_ms);

  const RateLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    std::int64_t interval_us = 0;   // 1e6 / rate
    std::int64_t tolerance_us = 0;  // (burst - 1) * interval
    std::int64_t tat_us = 0;        // theoretical arrival time of the next request
  };
  struct Window {
    std::int64_t length_ms = 0;
    std::int64_t offset_ms = 0;  // added before dividing, to align days to IST midnight
    std::int64_t max = 0;        // 0 = no cap
    std::int64_t index = INT64_MIN;
    std::int64_t count = 0;
  };
  Bucket& bucket_for(EndpointClass c);
  std::int64_t earliest_us(const Bucket& bucket, std::int64_t now_us) const;
  std::int64_t window_earliest_ms(const Window& window, std::int64_t t_ms) const;
  void take(Window& window, std::int64_t t_ms);

  RateLimits limits_;
  const time::Clock& clock_;
  Sleeper& sleeper_;
  std::mutex mutex_;
  std::array<Bucket, 4> buckets_;  // quote, historical, order, other
  Window order_minute_;
  Window order_day_;
};

}  // namespace sm::broker
