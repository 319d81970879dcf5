#include "time/clock.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using sm::TimestampMs;
using sm::time::Clock;
using sm::time::ManualClock;
using sm::time::SystemClock;

namespace {
// Code under test sees only the port.
TimestampMs read(const Clock& clock) { return clock.now_ms(); }
}  // namespace

TEST_CASE("manual clock moves only when set or advanced", "[clock]") {
  ManualClock clock(1'700'000'000'000);
  CHECK(read(clock) == 1'700'000'000'000);
  CHECK(read(clock) == 1'700'000'000'000);
  CHECK(clock.advance(1500) == 1'700'000'001'500);
  CHECK(read(clock) == 1'700'000'001'500);
  clock.set(42);
  CHECK(read(clock) == 42);
  CHECK(clock.advance(-2) == 40);
}

TEST_CASE("manual clock advances from several threads lose no steps", "[clock]") {
  ManualClock clock;
  std::thread a([&] {
    for (int i = 0; i < 10000; ++i) clock.advance(1);
  });
  std::thread b([&] {
    for (int i = 0; i < 10000; ++i) clock.advance(2);
  });
  a.join();
  b.join();
  CHECK(clock.now_ms() == 30000);
}

TEST_CASE("system clock reads UTC wall-clock milliseconds", "[clock]") {
  SystemClock clock;
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const TimestampMs now = read(clock);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  CHECK(now >= before);
  CHECK(now <= after);
  CHECK(now > 1'700'000'000'000);  // after November 2023: not seconds, not zero
}
