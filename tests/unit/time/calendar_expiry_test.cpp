#include <catch2/catch.hpp>

#include <string>

#include "time/calendar.h"

using namespace sm;
using sm::time::Calendar;

namespace {

Calendar calendar_through_2026() {
  Result<Calendar> calendar = Calendar::parse(
      "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
      "closing_session_end,source\n"
      "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test\n"
      "2025,year_covered,2025,,,,,,,test\n"
      "2026,year_covered,2026,,,,,,,test\n");
  REQUIRE(calendar.ok());
  return *calendar;
}

}  // namespace

TEST_CASE("a calendar is covered until 00:00 IST after the last day of its latest listed year") {
  const Calendar calendar = calendar_through_2026();
  CHECK(calendar.last_covered_day() == Date{2026, 12, 31});
  CHECK(calendar.covered_until() == from_ist({2027, 1, 1}, 0, 0));
}
