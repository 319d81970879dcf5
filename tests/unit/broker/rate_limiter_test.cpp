#include <catch2/catch.hpp>

#include <map>

#include "broker/rate_limiter.h"

using namespace sm;
using namespace sm::broker;

namespace {

// 2024-03-28 10:00:00.000 IST, a whole second.
constexpr TimestampMs kStart = 1711600200000;

}  // namespace

TEST_CASE("quotes are limited to one per second") {
  time::ManualClock clock(kStart);
  ManualSleeper sleeper(clock);
  RateLimiter limiter(RateLimits{}, clock, sleeper);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 0);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 1000);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 2000);
  // Other classes have their own buckets.
  CHECK(*limiter.reserve(EndpointClass::kOther) == 0);
  CHECK(*limiter.reserve(EndpointClass::kHistorical) == 0);
  CHECK(*limiter.reserve(EndpointClass::kHistorical) == 334);
}

TEST_CASE("order requests are spaced so no calendar second holds more than ten") {
  time::ManualClock clock(kStart + 950);
  ManualSleeper sleeper(clock);
  RateLimiter limiter(RateLimits{}, clock, sleeper);
  std::map<TimestampMs, int> per_second;
  for (int i = 0; i < 35; ++i) {
    REQUIRE(limiter.acquire(i % 3 == 0 ? EndpointClass::kOrderChange : EndpointClass::kOrderPlace)
                .ok());
    ++per_second[clock.now_ms() / 1000];
  }
  for (const auto& [second, count] : per_second) CHECK(count <= 10);
  CHECK(clock.now_ms() - (kStart + 950) == 3400);
}

TEST_CASE("a burst setting lets that many through at once, then the rate applies") {
  time::ManualClock clock(kStart);
  ManualSleeper sleeper(clock);
  RateLimits limits;
  limits.burst = 3;
  RateLimiter limiter(limits, clock, sleeper);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 0);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 0);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 0);
  CHECK(*limiter.reserve(EndpointClass::kQuote) == 1000);
}

TEST_CASE("the per-minute order cap waits for the next calendar minute, or refuses past max_wait") {
  time::ManualClock clock(kStart + 30'000);  // 10:00:30 IST
  ManualSleeper sleeper(clock);
  RateLimits limits;
  limits.order_per_second = 1000;
  limits.orders_per_minute = 5;
  limits.max_wait_ms = 60'000;
  RateLimiter limiter(limits, clock, sleeper);
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.acquire(EndpointClass::kOrderPlace).ok());
  const TimestampMs before = clock.now_ms();
  REQUIRE(
      limiter.acquire(EndpointClass::kOrderChange).ok());  // modifications share the minute budget
  CHECK(clock.now_ms() == kStart + 60'000);
  CHECK(clock.now_ms() > before);

  RateLimits strict = limits;
  strict.max_wait_ms = 1000;
  time::ManualClock clock2(kStart + 30'000);
  ManualSleeper sleeper2(clock2);
  RateLimiter refusing(strict, clock2, sleeper2);
  for (int i = 0; i < 5; ++i) REQUIRE(refusing.acquire(EndpointClass::kOrderPlace).ok());
  Result<std::int64_t> sixth = refusing.reserve(EndpointClass::kOrderPlace);
  REQUIRE_FALSE(sixth.ok());
  CHECK(sixth.status().code() == ErrorCode::kRateLimited);
  CHECK(sixth.status().message().find("order_place") != std::string::npos);
  // Refusing reserved nothing: at the next minute all five slots are free again.
  clock2.set(kStart + 60'000);
  for (int i = 0; i < 5; ++i) CHECK(*refusing.reserve(EndpointClass::kOrderPlace) < 100);
}

TEST_CASE("the daily placement cap restarts at IST midnight and does not count modifications") {
  const TimestampMs late = from_ist(Date{2024, 3, 28}, 23, 59, 59);
  time::ManualClock clock(late);
  ManualSleeper sleeper(clock);
  RateLimits limits;
  limits.orders_per_day = 2;
  limits.max_wait_ms = 5000;
  RateLimiter limiter(limits, clock, sleeper);
  REQUIRE(limiter.acquire(EndpointClass::kOrderPlace).ok());
  REQUIRE(limiter.acquire(EndpointClass::kOrderPlace).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(limiter.acquire(EndpointClass::kOrderChange).ok());
  REQUIRE(limiter.acquire(EndpointClass::kOrderPlace).ok());
  CHECK(clock.now_ms() == from_ist(Date{2024, 3, 29}, 0, 0, 0));

  limits.max_wait_ms = 10'000;
  time::ManualClock noon(from_ist(Date{2024, 3, 28}, 12, 0, 0));
  ManualSleeper noon_sleeper(noon);
  RateLimiter capped(limits, noon, noon_sleeper);
  REQUIRE(capped.acquire(EndpointClass::kOrderPlace).ok());
  REQUIRE(capped.acquire(EndpointClass::kOrderPlace).ok());
  Status third = capped.acquire(EndpointClass::kOrderPlace);
  CHECK(third.code() == ErrorCode::kRateLimited);
  CHECK(capped.acquire(EndpointClass::kOrderChange).ok());
}

TEST_CASE("a clock that steps back does not produce negative waits") {
  time::ManualClock clock(kStart);
  ManualSleeper sleeper(clock);
  RateLimiter limiter(RateLimits{}, clock, sleeper);
  REQUIRE(limiter.acquire(EndpointClass::kOther).ok());
  clock.set(kStart - 5000);
  Result<std::int64_t> wait = limiter.reserve(EndpointClass::kOther);
  REQUIRE(wait.ok());
  CHECK(*wait >= 0);
}

TEST_CASE("placements of an earlier run count against today's cap; yesterday's do not") {
  const TimestampMs noon = from_ist(Date{2024, 3, 28}, 12, 0, 0);
  time::ManualClock clock(noon);
  ManualSleeper sleeper(clock);
  RateLimits limits;
  limits.orders_per_day = 3;
  limits.orders_per_minute = 2;
  limits.max_wait_ms = 10'000;
  RateLimiter limiter(limits, clock, sleeper);
  limiter.count_earlier_placements(
      {from_ist(Date{2024, 3, 27}, 14, 0, 0), from_ist(Date{2024, 3, 28}, 9, 30, 0), noon - 2000});
  // Two today: one slot left today, and the minute holds one already.
  REQUIRE(limiter.acquire(EndpointClass::kOrderPlace).ok());
  CHECK(limiter.reserve(EndpointClass::kOrderPlace).status().code() == ErrorCode::kRateLimited);

  // Counting them again after use does not roll the windows back to an earlier time.
  time::ManualClock later(noon + 120'000);
  ManualSleeper later_sleeper(later);
  RateLimiter fresh(limits, later, later_sleeper);
  REQUIRE(fresh.acquire(EndpointClass::kOrderPlace).ok());
  fresh.count_earlier_placements({noon - 2000});  // an earlier minute, same day: the day counts
  REQUIRE(fresh.acquire(EndpointClass::kOrderPlace).ok());
  CHECK(fresh.reserve(EndpointClass::kOrderPlace).status().code() == ErrorCode::kRateLimited);
}
