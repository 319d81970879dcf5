#include "time/bar_time.h"

#include <catch2/catch.hpp>

using sm::Bar;
using sm::Date;
using sm::from_ist;
using sm::Timeframe;
using sm::TimestampMs;
using sm::time::bar_known_at;
using sm::time::latest_bar_start_known_by;

namespace {
constexpr Timeframe kDaily{Timeframe::kDailyMinutes};
constexpr Timeframe kFiveMinutes{5};
const Date kThursday{2024, 3, 28};
}  // namespace

TEST_CASE("an intraday bar's close is known at its end", "[bar_time]") {
  CHECK(bar_known_at(from_ist(kThursday, 9, 15), kFiveMinutes) == from_ist(kThursday, 9, 20));
  CHECK(bar_known_at(from_ist(kThursday, 15, 25), Timeframe{60}) == from_ist(kThursday, 16, 25));
}

TEST_CASE("a daily bar's close is known at 15:30 IST of its own date, not a day later",
          "[bar_time]") {
  CHECK(bar_known_at(from_ist(kThursday, 9, 15), kDaily) == from_ist(kThursday, 15, 30));
  // Whatever time of the IST date the bar is stamped with, including just after IST midnight
  // (the previous UTC date).
  CHECK(bar_known_at(from_ist(kThursday, 0, 1), kDaily) == from_ist(kThursday, 15, 30));
  CHECK(bar_known_at(from_ist(kThursday, 23, 59), kDaily) == from_ist(kThursday, 15, 30));
  Bar bar;
  bar.ts = from_ist(kThursday, 9, 15);
  bar.timeframe = kDaily;
  CHECK(bar_known_at(bar) == from_ist(kThursday, 15, 30));
}

TEST_CASE("a bar still forming is known no later than now", "[bar_time]") {
  const TimestampMs start = from_ist(kThursday, 9, 15);
  const TimestampMs ten = from_ist(kThursday, 10, 0);
  CHECK(bar_known_at(start, kDaily, true, ten) == ten);
  CHECK(bar_known_at(start, kDaily, false, ten) == from_ist(kThursday, 15, 30));
  CHECK(bar_known_at(start, kFiveMinutes, true, ten) == from_ist(kThursday, 9, 20));
}

TEST_CASE("the latest bar start known by a time inverts bar_known_at", "[bar_time]") {
  const TimestampMs ten = from_ist(kThursday, 10, 0);
  CHECK(latest_bar_start_known_by(ten, kFiveMinutes) == from_ist(kThursday, 9, 55));
  // Before 15:30 only the previous dates' daily bars are known; from 15:30 the day's own.
  for (const TimestampMs at : {ten, from_ist(kThursday, 15, 29, 59, 999),
                               from_ist(kThursday, 15, 30), from_ist(kThursday, 23, 0)}) {
    const TimestampMs latest = latest_bar_start_known_by(at, kDaily);
    for (const TimestampMs start :
         {from_ist(Date{2024, 3, 27}, 9, 15), from_ist(kThursday, 0, 0), from_ist(kThursday, 9, 15),
          from_ist(kThursday, 23, 59, 59, 999), from_ist(Date{2024, 3, 29}, 9, 15)}) {
      CHECK((bar_known_at(start, kDaily) <= at) == (start <= latest));
    }
  }
}
