#include "broker/rate_limiter.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "core/timestamp.h"

namespace sm::broker {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t interval_for(double per_second) {
  if (!(per_second > 0)) return 0;  // 0 or NaN: unlimited
  return static_cast<std::int64_t>(std::ceil(1e6 / per_second));
}

}  // namespace

std::string_view endpoint_class_name(EndpointClass endpoint_class) {
  switch (endpoint_class) {
    case EndpointClass::kQuote:
      return "quote";
    case EndpointClass::kHistorical:
      return "historical";
    case EndpointClass::kOrderPlace:
      return "order_place";
    case EndpointClass::kOrderChange:
      return "order_change";
    case EndpointClass::kOther:
      return "other";
  }
  return "other";
}

RateLimiter::RateLimiter(RateLimits limits, const time::Clock& clock, Sleeper& sleeper)
    : limits_(limits), clock_(clock), sleeper_(sleeper) {
  const double rates[4] = {limits.quote_per_second, limits.historical_per_second,
                           limits.order_per_second, limits.other_per_second};
  const std::int64_t burst = std::max(limits.burst, 1);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    buckets_[i].interval_us = interval_for(rates[i]);
    buckets_[i].tolerance_us = (burst - 1) * buckets_[i].interval_us;
    buckets_[i].tat_us = INT64_MIN / 2;
  }
  order_minute_.length_ms = kMsPerMinute;
  order_minute_.max = limits.orders_per_minute;
  order_day_.length_ms = kMsPerDay;
  order_day_.offset_ms = kIstOffsetMs;  // the daily count restarts at IST midnight
  order_day_.max = limits.orders_per_day;
}

RateLimiter::Bucket& RateLimiter::bucket_for(EndpointClass c) {
  switch (c) {
    case EndpointClass::kQuote:
      return buckets_[0];
    case EndpointClass::kHistorical:
      return buckets_[1];
    case EndpointClass::kOrderPlace:
    case EndpointClass::kOrderChange:
      return buckets_[2];
    case EndpointClass::kOther:
      return buckets_[3];
  }
  return buckets_[3];
}

std::int64_t RateLimiter::earliest_us(const Bucket& bucket, std::int64_t now_us) const {
  if (bucket.interval_us == 0) return now_us;
  return std::max(now_us, bucket.tat_us - bucket.tolerance_us);
}

std::int64_t RateLimiter::window_earliest_ms(const Window& window, std::int64_t t_ms) const {
  if (window.max <= 0) return t_ms;
  const std::int64_t index = floor_div(t_ms + window.offset_ms, window.length_ms);
  if (index != window.index || window.count < window.max) return t_ms;
  return (index + 1) * window.length_ms - window.offset_ms;  // start of the next window
}

void RateLimiter::take(Window& window, std::int64_t t_ms) {
  if (window.max <= 0) return;
  const std::int64_t index = floor_div(t_ms + window.offset_ms, window.length_ms);
  if (index < window.index) return;  // an earlier window: it no longer counts
  if (index != window.index) {
    window.index = index;
    window.count = 0;
  }
  ++window.count;
}

Result<std::int64_t> RateLimiter::reserve(EndpointClass c) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::int64_t now_ms = clock_.now_ms();
  Bucket& bucket = bucket_for(c);
  const bool order = c == EndpointClass::kOrderPlace || c == EndpointClass::kOrderChange;
  const bool place = c == EndpointClass::kOrderPlace;

  // The earliest time every constraint allows. Moving to a later window can only relax a cap, so
  // this settles in at most a few rounds.
  std::int64_t t_us = earliest_us(bucket, now_ms * 1000);
  for (int round = 0; round < 4; ++round) {
    std::int64_t t_ms = (t_us + 999) / 1000;
    std::int64_t next_ms = t_ms;
    if (order) next_ms = window_earliest_ms(order_minute_, next_ms);
    if (place) next_ms = window_earliest_ms(order_day_, next_ms);
    if (next_ms == t_ms) break;
    t_us = earliest_us(bucket, next_ms * 1000);
  }
  const std::int64_t send_ms = (t_us + 999) / 1000;
  const std::int64_t wait_ms = send_ms - now_ms;
  if (wait_ms > limits_.max_wait_ms) {
    return error(
        ErrorCode::kRateLimited,
        fmt::format("client-side {} limit reached: next slot at {} ({} ms away, more than {} ms)",
                    endpoint_class_name(c), format_ist(send_ms), wait_ms, limits_.max_wait_ms));
  }
  if (bucket.interval_us > 0) bucket.tat_us = std::max(bucket.tat_us, t_us) + bucket.interval_us;
  if (order) take(order_minute_, send_ms);
  if (place) take(order_day_, send_ms);
  return std::max<std::int64_t>(wait_ms, 0);
}

void RateLimiter::count_earlier_placements(const std::vector<std::int64_t>& placed_at_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::int64_t t_ms : placed_at_ms) {
    take(order_minute_, t_ms);
    take(order_day_, t_ms);
  }
}

Status RateLimiter::acquire(EndpointClass c) {
  Result<std::int64_t> wait = reserve(c);
  if (!wait.ok()) return wait.status();
  sleeper_.sleep_ms(*wait);
  return Status();
}

}  // namespace sm::broker
