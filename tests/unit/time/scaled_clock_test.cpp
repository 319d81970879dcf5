#include <catch2/catch.hpp>

#include "time/clock.h"
#include "time/scaled_clock.h"

using namespace sm;

TEST_CASE("a scaled clock starts where it is told and runs speed times faster than its base") {
  time::ManualClock base(1'000'000);
  const TimestampMs start = from_ist(Date{2025, 3, 3}, 10, 0);
  const time::ScaledClock scaled(base, start, 60);
  CHECK(scaled.now_ms() == start);
  base.advance(1'000);  // one second of the base is a minute of the scaled clock
  CHECK(scaled.now_ms() == start + 60'000);
  const time::ScaledClock half(base, start, 0.5);
  base.advance(4'000);
  CHECK(half.now_ms() == start + 2'000);
}
