#include "time/calendar.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using sm::Date;
using sm::ErrorCode;
using sm::TimestampMs;
using sm::time::Calendar;
using sm::time::DayType;
using sm::time::Session;
using sm::time::YearCoverage;

namespace {

const std::string kProjectCalendar = std::string(SM_DATA_DIR) + "/nse-calendar.csv";

const Calendar& project_calendar() {
  static const Calendar calendar = [] {
    sm::Result<Calendar> loaded = Calendar::load(kProjectCalendar);
    if (!loaded.ok())
      FAIL("cannot load " << kProjectCalendar << ": " << loaded.status().to_string());
    return std::move(loaded).value();
  }();
  return calendar;
}

TimestampMs ist(Date date, int hour, int minute, int second = 0, int millisecond = 0) {
  return sm::from_ist(date, hour, minute, second, millisecond);
}

Session session(const Calendar& calendar, TimestampMs ts) {
  sm::Result<Session> result = calendar.session_at(ts);
  REQUIRE(result.ok());
  return *result;
}

bool trading(const Calendar& calendar, Date date) {
  sm::Result<bool> result = calendar.is_trading_day(date);
  REQUIRE(result.ok());
  return *result;
}

// A file under the system temp directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static int counter = 0;
    path_ =
        (std::filesystem::temp_directory_path() / ("sm_calendar_test_" + std::to_string(getpid()) +
                                                   "_" + std::to_string(++counter) + ".csv"))
            .string();
    write(text);
  }
  ~TempFile() { std::filesystem::remove(path_); }
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string kHeader =
    "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
    "closing_session_end,source\n";
const std::string kMinimal =
    kHeader +
    "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,x\n"
    "2025,year_covered,2025,,,,,,,x\n";

// Parses text that must fail and returns the message.
std::string parse_error(const std::string& text) {
  sm::Result<Calendar> result = Calendar::parse(text, "cal.csv");
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kParseError);
  return result.status().message();
}

}  // namespace

TEST_CASE("listed weekday holidays are closed all day", "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date holi{2025, 3, 14};  // a Friday
  CHECK_FALSE(trading(calendar, holi));
  CHECK(session(calendar, ist(holi, 10, 0)) == Session::kClosed);
  sm::Result<sm::time::DaySchedule> day = calendar.session_times(holi);
  REQUIRE(day.ok());
  CHECK(day->type == DayType::kHoliday);
  CHECK(day->name == "Holi");
  CHECK_FALSE(day->trading());
  CHECK_FALSE(trading(calendar, Date{2026, 1, 15}));  // added at three days' notice (CMTR72260)
  CHECK(trading(calendar, Date{2025, 3, 13}));
}

TEST_CASE("weekend special sessions open and ordinary weekends stay closed", "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date budget_saturday{2025, 2, 1};
  const Date budget_sunday{2026, 2, 1};
  CHECK(trading(calendar, budget_saturday));
  CHECK(trading(calendar, budget_sunday));
  CHECK(session(calendar, ist(budget_saturday, 9, 15)) == Session::kContinuous);
  CHECK(session(calendar, ist(budget_sunday, 15, 45)) == Session::kClosingSession);
  sm::Result<sm::time::DaySchedule> day = calendar.session_times(budget_sunday);
  REQUIRE(day.ok());
  CHECK(day->type == DayType::kSpecialSession);
  CHECK(day->open_ts() == ist(budget_sunday, 9, 15));
  CHECK(day->close_ts() == ist(budget_sunday, 15, 30));

  CHECK_FALSE(trading(calendar, Date{2025, 2, 8}));
  CHECK(session(calendar, ist(Date{2025, 2, 8}, 10, 0)) == Session::kClosed);
  REQUIRE(calendar.session_times(Date{2025, 2, 8}).ok());
  CHECK(calendar.session_times(Date{2025, 2, 8})->type == DayType::kWeekend);
}

TEST_CASE("Muhurat 2025 uses its own afternoon timings on a listed holiday", "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date muhurat{2025, 10, 21};
  CHECK(trading(calendar, muhurat));
  CHECK(session(calendar, ist(muhurat, 9, 30)) == Session::kClosed);
  CHECK(session(calendar, ist(muhurat, 13, 29, 59, 999)) == Session::kClosed);
  CHECK(session(calendar, ist(muhurat, 13, 30)) == Session::kPreOpenOrderEntry);
  CHECK(session(calendar, ist(muhurat, 13, 38)) == Session::kPreOpenMatching);
  CHECK(session(calendar, ist(muhurat, 13, 45)) == Session::kContinuous);
  CHECK(session(calendar, ist(muhurat, 14, 44, 59, 999)) == Session::kContinuous);
  CHECK(session(calendar, ist(muhurat, 14, 45)) == Session::kClosingPriceComputation);
  CHECK(session(calendar, ist(muhurat, 14, 55)) == Session::kClosingSession);
  CHECK(session(calendar, ist(muhurat, 15, 5)) == Session::kClosed);
  CHECK(session(calendar, ist(muhurat, 15, 20)) == Session::kClosed);
  CHECK(calendar.session_times(muhurat)->name == "Muhurat Trading");

  const Date muhurat_2023{2023, 11, 12};  // a Sunday, in a year without a full holiday list
  CHECK(session(calendar, ist(muhurat_2023, 18, 15)) == Session::kContinuous);
  CHECK(session(calendar, ist(muhurat_2023, 19, 15)) == Session::kClosingPriceComputation);
}

TEST_CASE("session boundaries are half-open to the millisecond", "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date day{2025, 3, 13};
  CHECK(session(calendar, ist(day, 8, 59, 59, 999)) == Session::kClosed);
  CHECK(session(calendar, ist(day, 9, 0)) == Session::kPreOpenOrderEntry);
  CHECK(session(calendar, ist(day, 9, 7, 59, 999)) == Session::kPreOpenOrderEntry);
  CHECK(session(calendar, ist(day, 9, 8)) == Session::kPreOpenMatching);
  CHECK(session(calendar, ist(day, 9, 14, 59, 999)) == Session::kPreOpenMatching);
  CHECK(session(calendar, ist(day, 9, 15, 0, 0)) == Session::kContinuous);
  CHECK(session(calendar, ist(day, 15, 29, 59, 999)) == Session::kContinuous);
  CHECK(session(calendar, ist(day, 15, 30, 0, 0)) == Session::kClosingPriceComputation);
  CHECK(session(calendar, ist(day, 15, 39, 59, 999)) == Session::kClosingPriceComputation);
  CHECK(session(calendar, ist(day, 15, 40)) == Session::kClosingSession);
  CHECK(session(calendar, ist(day, 15, 59, 59, 999)) == Session::kClosingSession);
  CHECK(session(calendar, ist(day, 16, 0)) == Session::kClosed);
  // 03:45 UTC is 09:15 IST: the IST date decides the day, not the UTC date.
  CHECK(session(calendar, *sm::parse_timestamp("2025-03-13T03:45:00.000Z")) ==
        Session::kContinuous);
  CHECK(sm::time::session_name(Session::kClosingPriceComputation) == "closing_price_computation");
}

TEST_CASE("next_open and next_close skip weekends and holidays", "[calendar]") {
  const Calendar& calendar = project_calendar();
  // Thursday 2025-04-17 close; Friday 04-18 is Good Friday; the weekend follows.
  sm::Result<TimestampMs> open = calendar.next_open(ist(Date{2025, 4, 17}, 15, 30));
  REQUIRE(open.ok());
  CHECK(*open == ist(Date{2025, 4, 21}, 9, 15));
  // Holi on Friday 2025-03-14.
  CHECK(*calendar.next_open(ist(Date{2025, 3, 13}, 16, 0)) == ist(Date{2025, 3, 17}, 9, 15));
  // Strictly after: at the open itself the answer is the next day's open.
  CHECK(*calendar.next_open(ist(Date{2025, 3, 13}, 9, 15)) == ist(Date{2025, 3, 17}, 9, 15));
  CHECK(*calendar.next_open(ist(Date{2025, 3, 13}, 9, 14, 59, 999)) ==
        ist(Date{2025, 3, 13}, 9, 15));
  CHECK(*calendar.next_close(ist(Date{2025, 3, 13}, 10, 0)) == ist(Date{2025, 3, 13}, 15, 30));
  CHECK(*calendar.next_close(ist(Date{2025, 3, 13}, 15, 30)) == ist(Date{2025, 3, 17}, 15, 30));
  // Monday 2025-10-20 -> Muhurat on Tuesday afternoon -> Balipratipada -> Thursday.
  CHECK(*calendar.next_open(ist(Date{2025, 10, 20}, 15, 30)) == ist(Date{2025, 10, 21}, 13, 45));
  CHECK(*calendar.next_open(ist(Date{2025, 10, 21}, 13, 45)) == ist(Date{2025, 10, 23}, 9, 15));
  // Friday 2025-01-31 -> the Budget Saturday.
  CHECK(*calendar.next_open(ist(Date{2025, 1, 31}, 16, 0)) == ist(Date{2025, 2, 1}, 9, 15));
}

TEST_CASE("previous and next trading day cross weekends, holidays and special sessions",
          "[calendar]") {
  const Calendar& calendar = project_calendar();
  CHECK(*calendar.previous_trading_day(Date{2025, 3, 17}) == Date{2025, 3, 13});
  CHECK(*calendar.next_trading_day(Date{2025, 3, 13}) == Date{2025, 3, 17});
  CHECK(*calendar.previous_trading_day(Date{2025, 2, 3}) == Date{2025, 2, 1});
  CHECK(*calendar.next_trading_day(Date{2025, 1, 31}) == Date{2025, 2, 1});
  CHECK(*calendar.next_trading_day(Date{2025, 10, 20}) == Date{2025, 10, 21});
  CHECK(*calendar.next_trading_day(Date{2025, 10, 21}) == Date{2025, 10, 23});
  // Across the year boundary between two covered years.
  CHECK(*calendar.next_trading_day(Date{2025, 12, 31}) == Date{2026, 1, 1});
}

TEST_CASE("a future year the file does not cover is unknown, not Mon-Fri", "[calendar]") {
  const Calendar& calendar = project_calendar();
  CHECK(calendar.covers_year(2026));
  CHECK_FALSE(calendar.covers_year(2027));
  CHECK(calendar.coverage(2027) == YearCoverage::kUnknown);

  sm::Result<bool> monday = calendar.is_trading_day(Date{2027, 3, 1});
  REQUIRE_FALSE(monday.ok());
  CHECK(monday.status().code() == ErrorCode::kUnavailable);
  CHECK_THAT(monday.status().message(), Catch::Contains("2027"));
  CHECK(calendar.session_at(ist(Date{2027, 3, 1}, 10, 0)).status().code() ==
        ErrorCode::kUnavailable);
  CHECK(calendar.next_trading_day(Date{2026, 12, 31}).status().code() == ErrorCode::kUnavailable);
  CHECK(calendar.next_open(ist(Date{2026, 12, 31}, 16, 0)).status().code() ==
        ErrorCode::kUnavailable);
  // The last covered day still answers.
  CHECK(*calendar.next_close(ist(Date{2026, 12, 31}, 10, 0)) == ist(Date{2026, 12, 31}, 15, 30));

  REQUIRE(calendar.coverage_warning(Date{2027, 1, 4}).has_value());
  CHECK_THAT(*calendar.coverage_warning(Date{2027, 1, 4}), Catch::Contains("2027"));
  REQUIRE(calendar.coverage_warning(Date{2026, 12, 1}).has_value());
  CHECK_THAT(*calendar.coverage_warning(Date{2026, 12, 1}), Catch::Contains("2027"));
  CHECK_FALSE(calendar.coverage_warning(Date{2026, 6, 1}).has_value());
}

TEST_CASE("past years without a holiday list assume Mon-Fri plus listed entries", "[calendar]") {
  const Calendar& calendar = project_calendar();
  CHECK(calendar.coverage(2022) == YearCoverage::kAssumed);
  CHECK(trading(calendar, Date{2022, 10, 14}));        // a Friday in the bundled tick data
  CHECK_FALSE(trading(calendar, Date{2022, 10, 15}));  // Saturday
  REQUIRE(calendar.session_times(Date{2022, 10, 14}).ok());
  CHECK(calendar.session_times(Date{2022, 10, 14})->coverage == YearCoverage::kAssumed);
  CHECK(session(calendar, ist(Date{2022, 10, 14}, 9, 10)) == Session::kPreOpenMatching);
  REQUIRE(calendar.coverage_warning(Date{2022, 10, 14}).has_value());
  // Weekend sessions that appear in the bundled daily and 5-minute data.
  for (Date date : {Date{2015, 2, 28}, Date{2016, 10, 30}, Date{2019, 10, 27}, Date{2020, 2, 1},
                    Date{2020, 11, 14}, Date{2023, 11, 12}, Date{2024, 1, 20}, Date{2024, 3, 2},
                    Date{2024, 5, 18}, Date{1996, 11, 10}}) {
    INFO(sm::format_date(date));
    CHECK(trading(calendar, date));
  }
  // 2015-2019 are covered from the nsepy data; 2017-10-02 is absent from the 1-minute data too.
  CHECK(calendar.coverage(2017) == YearCoverage::kListed);
  CHECK_FALSE(trading(calendar, Date{2017, 10, 2}));
  CHECK(trading(calendar, Date{2017, 9, 29}));
}

TEST_CASE("an announced session without timings is a trading day that cannot be timed",
          "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date muhurat{2026, 11, 8};  // Sunday, NSE/CMTR/71775: timings to be notified
  CHECK(trading(calendar, muhurat));
  sm::Result<Session> at = calendar.session_at(ist(muhurat, 18, 30));
  REQUIRE_FALSE(at.ok());
  CHECK(at.status().code() == ErrorCode::kUnavailable);
  CHECK_THAT(at.status().message(), Catch::Contains("Muhurat"));
  CHECK(calendar.session_times(muhurat).status().code() == ErrorCode::kUnavailable);
  // A search that reaches the day fails rather than skipping it.
  CHECK(calendar.next_open(ist(Date{2026, 11, 6}, 16, 0)).status().code() ==
        ErrorCode::kUnavailable);
  CHECK(*calendar.next_trading_day(Date{2026, 11, 6}) == muhurat);
  // Days before the first regular_session row have no known timings either.
  CHECK(trading(calendar, Date{2005, 3, 1}));
  CHECK(calendar.session_at(ist(Date{2005, 3, 1}, 10, 0)).status().code() ==
        ErrorCode::kUnavailable);
}

TEST_CASE("a day with two sittings is closed between them", "[calendar]") {
  const Calendar& calendar = project_calendar();
  const Date dr_day{2024, 3, 2};
  CHECK(session(calendar, ist(dr_day, 9, 59, 59, 999)) == Session::kContinuous);
  CHECK(session(calendar, ist(dr_day, 10, 0)) == Session::kClosed);  // no closing session listed
  CHECK(session(calendar, ist(dr_day, 11, 14)) == Session::kClosed);
  CHECK(session(calendar, ist(dr_day, 11, 20)) == Session::kPreOpenOrderEntry);
  CHECK(session(calendar, ist(dr_day, 11, 25)) == Session::kPreOpenMatching);
  CHECK(session(calendar, ist(dr_day, 12, 0)) == Session::kContinuous);
  CHECK(session(calendar, ist(dr_day, 12, 30)) == Session::kClosed);
  CHECK(*calendar.next_open(ist(dr_day, 10, 0)) == ist(dr_day, 11, 30));
  CHECK(*calendar.next_close(ist(dr_day, 9, 30)) == ist(dr_day, 10, 0));
  REQUIRE(calendar.session_times(dr_day).ok());
  CHECK(calendar.session_times(dr_day)->sittings.size() == 2);
  CHECK(calendar.session_times(dr_day)->close_ts() == ist(dr_day, 12, 30));
}

TEST_CASE("malformed calendar rows fail with file and line number", "[calendar]") {
  CHECK_THAT(parse_error(kMinimal + "2025-03-14,holyday,Holi,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: unknown kind 'holyday'"));
  CHECK_THAT(parse_error(kMinimal + "\n# comment\n2025-02-30,holiday,X,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:6: ") && Catch::Contains("2025-02-30"));
  CHECK_THAT(parse_error(kMinimal + "2025-02-01,special_session,B,09:00,09:08,9:15,15:30,,,x\n"),
             Catch::StartsWith("cal.csv:4: open '9:15' is not a time"));
  CHECK_THAT(parse_error(kMinimal + "2025-02-01,special_session,B,09:00,09:08,15:30,09:15,,,x\n"),
             Catch::StartsWith("cal.csv:4: times must run"));
  CHECK_THAT(
      parse_error(kMinimal + "2025-02-01,special_session,B,09:00,09:08,09:15,15:30,15:40,,x\n"),
      Catch::StartsWith("cal.csv:4: give both closing_session_start"));
  CHECK_THAT(
      parse_error(kMinimal + "2025-02-01,special_session,B,unknown,unknown,09:15,15:30,,,x\n"),
      Catch::StartsWith("cal.csv:4: write 'unknown' in all six"));
  CHECK_THAT(
      parse_error(kMinimal + "2025-03-14,holiday,Holi,,,,,,,x\n2025-03-14,holiday,Holi,,,,,,,x\n"),
      Catch::StartsWith("cal.csv:5: 2025-03-14 is listed as a holiday twice"));
  CHECK_THAT(parse_error(kMinimal + "2025-03-14,holiday,Holi,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: 9 fields, but the header has 10"));
  CHECK_THAT(parse_error(kMinimal + "2025-03-14,holiday,,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: a holiday needs a name"));
  CHECK_THAT(parse_error(kMinimal + "2025-03-14,holiday,Holi,09:00,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: holiday rows take no times"));
  CHECK_THAT(parse_error(kMinimal + "2025,year_covered,again,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: year 2025 is covered twice"));
  CHECK_THAT(parse_error(kMinimal + "25,year_covered,short,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: year_covered needs a year"));
  CHECK_THAT(parse_error(kMinimal + "2025-03-14,holiday,\"Holi, again,,,,,,,x\n"),
             Catch::StartsWith("cal.csv:4: unterminated quoted field"));
  CHECK_THAT(parse_error(kMinimal + "2024-03-02,special_session,DR,11:15,11:23,11:30,12:30,,,x\n"
                                    "2024-03-02,special_session,DR,09:00,09:08,09:15,10:00,,,x\n"),
             Catch::StartsWith("cal.csv:5: this sitting on 2024-03-02 starts at 09:00"));
  CHECK_THAT(parse_error("date,kind,name,open,close\n"),
             Catch::StartsWith("cal.csv:1: header lacks the column 'pre_open_start'"));
  CHECK_THAT(
      parse_error(kHeader + "2010-10-18,regular_session,N,09:00,09:08,09:15,15:30,15:40,16:00,x\n"),
      Catch::Contains("no year_covered row"));
  CHECK_THAT(parse_error(kHeader + "2025,year_covered,2025,,,,,,,x\n"),
             Catch::Contains("no regular_session row"));
  CHECK_THAT(parse_error("# only a comment\n"), Catch::Contains("no header line"));
}

TEST_CASE("quoted names, CRLF line ends and extra columns are accepted", "[calendar]") {
  const std::string text =
      "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
      "closing_session_end,source,note\r\n"
      "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,x,\r\n"
      "2025,year_covered,2025,,,,,,,x,\r\n"
      "2025-03-14,holiday,\"Holi, \"\"Dhuleti\"\"\",,,,,,,x,anything\r\n";
  sm::Result<Calendar> calendar = Calendar::parse(text);
  REQUIRE(calendar.ok());
  CHECK(calendar->session_times(Date{2025, 3, 14})->name == "Holi, \"Dhuleti\"");
  CHECK_FALSE(*calendar->is_trading_day(Date{2025, 3, 14}));
  CHECK(*calendar->session_at(ist(Date{2025, 3, 13}, 15, 30)) == Session::kClosingPriceComputation);
}

TEST_CASE("load names a missing file and reload keeps the old calendar on failure", "[calendar]") {
  sm::Result<Calendar> missing = Calendar::load("/nonexistent/nse-calendar.csv");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("/nonexistent/nse-calendar.csv"));

  TempFile file(kMinimal);
  sm::Result<Calendar> calendar = Calendar::load(file.path());
  REQUIRE(calendar.ok());
  CHECK(*calendar->is_trading_day(Date{2025, 3, 14}));

  file.write(kMinimal + "2025-03-14,holiday,Holi,,,,,,,x\n");  // NSE announces a holiday
  REQUIRE(calendar->reload().ok());
  CHECK_FALSE(*calendar->is_trading_day(Date{2025, 3, 14}));

  file.write(kMinimal + "2025-03-17,holiday,Broken,09:00,,,,,,x\n");
  sm::Status failed = calendar->reload();
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.message(), Catch::StartsWith(file.path() + ":4: "));
  CHECK_FALSE(*calendar->is_trading_day(Date{2025, 3, 14}));  // unchanged
  CHECK(*calendar->is_trading_day(Date{2025, 3, 17}));

  CHECK(Calendar::parse(kMinimal)->reload().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("load_default honours SM_CALENDAR, then the source tree", "[calendar]") {
  TempFile file(kMinimal);
  ::setenv("SM_CALENDAR", file.path().c_str(), 1);
  sm::Result<Calendar> from_env = Calendar::load_default();
  REQUIRE(from_env.ok());
  CHECK(from_env->path() == file.path());
  CHECK_FALSE(from_env->covers_year(2026));

  ::setenv("SM_CALENDAR", "/nonexistent/calendar.csv", 1);
  sm::Result<Calendar> bad_env = Calendar::load_default();
  CHECK(bad_env.status().code() == ErrorCode::kNotFound);
  CHECK_THAT(bad_env.status().message(), Catch::Contains("SM_CALENDAR"));

  ::unsetenv("SM_CALENDAR");
  sm::Result<Calendar> from_tree = Calendar::load_default();
  REQUIRE(from_tree.ok());
  CHECK(from_tree->path() == kProjectCalendar);
  CHECK(from_tree->covers_year(2026));
}
