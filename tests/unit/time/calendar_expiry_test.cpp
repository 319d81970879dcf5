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

TEST_CASE("runs_out_warning speaks from `days` days before the calendar runs out, and after") {
  const Calendar calendar = calendar_through_2026();
  const TimestampMs end = calendar.covered_until();
  CHECK_FALSE(calendar.runs_out_warning(end - 14 * kMsPerDay - 1, 14));
  std::optional<std::string> soon = calendar.runs_out_warning(end - 14 * kMsPerDay, 14);
  REQUIRE(soon);
  CHECK(soon->find("through 2026-12-31") != std::string::npos);
  CHECK(soon->find("from 2027-01-01") != std::string::npos);
  std::optional<std::string> after = calendar.runs_out_warning(end, 14);
  REQUIRE(after);
  CHECK(after->find("ran out") != std::string::npos);
  CHECK_FALSE(calendar.runs_out_warning(from_ist({2026, 6, 1}, 10, 0), 14));
}
