#include <catch2/catch.hpp>

#include "core/future_stamp.h"

using namespace sm;

namespace {

const TimestampMs kNow = *parse_timestamp("2026-03-05T04:30:00Z");

}  // namespace

TEST_CASE("a bar that starts after now is in the future; one starting now is not",
          "[future_stamp]") {
  Bar bar;
  bar.symbol = "TCS";
  bar.ts = kNow;
  CHECK_FALSE(future_stamp(bar, kNow).has_value());
  bar.ts = kNow + 1;
  auto stamp = future_stamp(bar, kNow);
  REQUIRE(stamp.has_value());
  CHECK(stamp->symbol == "TCS");
  CHECK(stamp->ts == kNow + 1);
  CHECK(stamp->limit == kNow);
}

TEST_CASE("a tick is allowed the clock tolerance past now, and no more", "[future_stamp]") {
  Tick tick;
  tick.symbol = "INFY";
  tick.ts = kNow + kTickClockToleranceMs;
  CHECK_FALSE(future_stamp(tick, kNow).has_value());
  tick.ts = *parse_timestamp("2100-01-01T03:45:00Z");
  auto stamp = future_stamp(tick, kNow);
  REQUIRE(stamp.has_value());
  CHECK(stamp->symbol == "INFY");
  CHECK(stamp->limit == kNow + kTickClockToleranceMs);
}

TEST_CASE("other messages are instants; an unknown message has no stamp", "[future_stamp]") {
  Heartbeat beat;
  beat.ts = kNow + kTickClockToleranceMs + 1;
  auto stamp = future_stamp(beat, kNow);
  REQUIRE(stamp.has_value());
  CHECK(stamp->symbol.empty());
  CHECK_FALSE(future_stamp(UnknownMessage{"news"}, kNow).has_value());
}
