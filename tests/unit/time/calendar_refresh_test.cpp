#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"
#include "time/calendar.h"
#include "time/calendar_refresh.h"

using namespace sm;
using namespace sm::time;

namespace {

const std::string kCalendar =
    "# a comment that stays\n"
    "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
    "closing_session_end,source\n"
    "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test\n"
    "2026,year_covered,2026,,,,,,,test\n"
    "2026-03-03,holiday,Holi,,,,,,,test\n"
    "2027,year_covered,2027 (old),,,,,,,old\n"
    "2027-01-25,holiday,Wrong day,,,,,,,old\n"
    "2027-11-01,special_session,Muhurat Trading,18:00,18:08,18:15,19:15,,,old\n";

const std::string kNseJson = R"({"CM":[
  {"tradingDate":"26-Jan-2027","weekDay":"Tuesday","description":"Republic Day","Sr_no":1},
  {"tradingDate":"06-Mar-2027","weekDay":"Saturday","description":"Mahashivratri","Sr_no":2},
  {"tradingDate":"22-Mar-2027","weekDay":"Monday","description":"Holi, Dhuleti","Sr_no":3}
], "FO":[{"tradingDate":"26-Jan-2027","weekDay":"Tuesday","description":"Republic Day"}]})";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("NSE's holiday-master JSON: CM weekday closures are read, weekend entries skipped") {
  Result<HolidayList> list = parse_holiday_list(kNseJson, "nse.json");
  REQUIRE(list.ok());
  CHECK(list->year == 2027);
  REQUIRE(list->holidays.size() == 2);
  CHECK(list->holidays[0].date == Date{2027, 1, 26});
  CHECK(list->holidays[1].name == "Holi, Dhuleti");
  REQUIRE(list->skipped_weekend.size() == 1);
  CHECK(list->skipped_weekend[0] == "2027-03-06 Mahashivratri");
}

TEST_CASE("the CSV form date,name is read the same") {
  Result<HolidayList> list = parse_holiday_list(
      "date,name\n2027-01-26,Republic Day\n2027-03-22,\"Holi, Dhuleti\"\n", "h.csv");
  REQUIRE(list.ok());
  CHECK(list->holidays.size() == 2);
  CHECK(list->holidays[1].name == "Holi, Dhuleti");
}

TEST_CASE("a bad list is refused naming file, line or entry, and field") {
  auto message = [](const std::string& text) {
    Result<HolidayList> list = parse_holiday_list(text, "h.csv");
    REQUIRE_FALSE(list.ok());
    CHECK(list.status().code() == ErrorCode::kParseError);
    return list.status().message();
  };
  CHECK(message("date,name\n2027-02-30,Nope\n") ==
        "h.csv:2: date: '2027-02-30' is not a date like "
        "2027-01-26");
  CHECK(
      message("date,name\n2027-03-06,Saturday\n").find("h.csv:2: date: 2027-03-06 is a Saturday") ==
      0);
  CHECK(message("date,name\n2027-01-26,A\n2027-01-26,B\n") ==
        "h.csv:3: date: 2027-01-26 is listed twice (also at :2)");
  CHECK(message("date,name\n2027-01-26,A\n2028-01-26,B\n")
            .find("h.csv:3: date: 2028-01-26 is not "
                  "in 2027") == 0);
  CHECK(message("date,name\n2027-01-26,\n") == "h.csv:2: name: is empty");
  CHECK(message("date,name\n") == "h.csv: no holidays in the list");
  CHECK(message(R"({"CM":[{"tradingDate":"26-Jan-2027","weekDay":"Monday","description":"R"}]})") ==
        "h.csv: CM[0]: weekDay: 'Monday', but 2027-01-26 is a Tuesday");
  CHECK(message(R"({"CM":[{"tradingDate":"2027-01-26","description":"R"}]})")
            .find("h.csv: CM[0]: tradingDate:") == 0);
  CHECK(message(R"({"FO":[]})").find("h.csv: CM: no \"CM\"") == 0);
  CHECK(message("{not json").find("h.csv: json: not valid JSON") == 0);
}

TEST_CASE("merging replaces that year's holidays and year_covered row, keeping everything else") {
  Result<HolidayList> list = parse_holiday_list(kNseJson, "nse.json");
  REQUIRE(list.ok());
  Result<std::string> merged = merge_holiday_list(kCalendar, "cal.csv", *list, "CMTR99999");
  REQUIRE(merged.ok());
  CHECK(merged->find("# a comment that stays") != std::string::npos);
  CHECK(merged->find("Wrong day") == std::string::npos);
  CHECK(merged->find("2027 (old)") == std::string::npos);
  CHECK(merged->find("2027-01-26,holiday,Republic Day,,,,,,,CMTR99999") != std::string::npos);
  CHECK(merged->find("2027-03-22,holiday,\"Holi, Dhuleti\",,,,,,,CMTR99999") != std::string::npos);
  Result<Calendar> calendar = Calendar::parse(*merged);
  REQUIRE(calendar.ok());
  CHECK(calendar->covers_year(2027));
  CHECK(calendar->is_trading_day({2027, 1, 25}).value());
  CHECK_FALSE(calendar->is_trading_day({2027, 1, 26}).value());
  CHECK_FALSE(calendar->is_trading_day({2026, 3, 3}).value());  // other years untouched
  CHECK(calendar->is_trading_day({2027, 11, 1}).value());       // special session kept
}

TEST_CASE("refresh_calendar replaces the file atomically, and keeps it on any error") {
  sm::testing::TempDir dir;
  const std::string calendar = dir.write("nse-calendar.csv", kCalendar);
  const std::string list = dir.write("holidays.json", kNseJson);
  Result<CalendarRefresh> dry = refresh_calendar(calendar, list, "nse", true);
  REQUIRE(dry.ok());
  CHECK_FALSE(dry->written);
  CHECK(read(calendar) == kCalendar);

  const std::string bad = dir.write("bad.csv", "date,name\n2027-01-26,A\n2027-01-26,A\n");
  Result<CalendarRefresh> refused = refresh_calendar(calendar, bad, "x", false);
  REQUIRE_FALSE(refused.ok());
  CHECK(read(calendar) == kCalendar);
  CHECK_FALSE(refresh_calendar(calendar, dir.file("absent.json"), "x", false).ok());
  CHECK(read(calendar) == kCalendar);

  Result<CalendarRefresh> done = refresh_calendar(calendar, list, "nse", false);
  REQUIRE(done.ok());
  CHECK(done->written);
  CHECK(done->year == 2027);
  CHECK(done->holidays == 2);
  CHECK(done->replaced == 1);
  Result<Calendar> loaded = Calendar::load(calendar);
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->is_trading_day({2027, 3, 22}).value());
}

TEST_CASE("a merge whose result is not a valid calendar is refused") {
  Result<HolidayList> list = parse_holiday_list("date,name\n2027-01-26,A\n", "h.csv");
  REQUIRE(list.ok());
  const std::string broken =
      kCalendar + "2027-12-01,special_session,Bad,10:00,09:00,09:15,15:30,,,x\n";
  Result<std::string> merged = merge_holiday_list(broken, "cal.csv", *list, "x");
  REQUIRE_FALSE(merged.ok());
  CHECK(merged.status().message().find("cal.csv (merged):") == 0);
}
