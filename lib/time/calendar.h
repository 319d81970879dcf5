// The NSE capital-market calendar: which IST dates are trading days and, within a day, which
// session a time point falls in. All data (holidays, special sessions, normal timings, and the
// years the holiday lists are complete for) comes from a CSV file, data/nse-calendar.csv by
// default; docs/CALENDAR.md describes the format and how to update it. Nothing is hard-coded.
//
// Three kinds of year (see coverage()):
//  - listed:  the file has a `year_covered` row; unlisted weekdays trade, weekends do not.
//  - assumed: no `year_covered` row, but the year is before the latest listed one. Historical data
//             only: Mon-Fri trade except listed holidays, plus listed special sessions. coverage()
//             and DaySchedule::coverage say so, so callers can warn.
//  - unknown: after the latest listed year. A date there is answered only if the file names it
//             (a listed holiday or special session); otherwise the answer is kUnavailable, never a
//             Mon-Fri guess (NSE adds holidays at short notice, so guessing would trade into one).
//
// Intervals are half-open: a session [start, end) contains start and not end, so 09:15:00.000 is
// continuous trading and 15:30:00.000 is closing-price computation.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/timestamp.h"

namespace sm::time {

// The phase of the market at a time point. Names (session_name) are the JSON/log spelling.
enum class Session {
  kClosed,
  kPreOpenOrderEntry,        // [pre_open_start, pre_open_end)   normally 09:00-09:08
  kPreOpenMatching,          // [pre_open_end, open)             normally 09:08-09:15
  kContinuous,               // [open, close)                    normally 09:15-15:30
  kClosingPriceComputation,  // [close, closing_session_start)   normally 15:30-15:40
  kClosingSession,           // [closing_session_start, closing_session_end)  15:40-16:00
};
// "closed", "pre_open_order_entry", "pre_open_matching", "continuous",
// "closing_price_computation", "closing_session".
std::string_view session_name(Session session);

// One sitting of the market, in minutes since IST midnight (0..1439). A day normally has one
// sitting; a day with an intra-day switch to NSE's disaster-recovery site has two. Pre-open and the
// closing session are optional (absent on some special sessions); when there is no closing
// session, the market is closed from `close`.
struct SessionTimes {
  std::optional<int> pre_open_start;
  std::optional<int> pre_open_end;
  int open = 0;
  int close = 0;
  std::optional<int> closing_session_start;
  std::optional<int> closing_session_end;
  bool operator==(const SessionTimes&) const = default;

  // Earliest and latest minute of the sitting (pre-open start, and closing-session end or close).
  int first_minute() const { return pre_open_start.value_or(open); }
  int last_minute() const { return closing_session_end.value_or(close); }
};

enum class DayType { kRegular, kWeekend, kHoliday, kSpecialSession };
std::string_view day_type_name(DayType type);  // "regular", "weekend", "holiday", "special_session"

enum class YearCoverage { kListed, kAssumed, kUnknown };
std::string_view year_coverage_name(YearCoverage coverage);  // "listed", "assumed", "unknown"

struct DaySchedule {
  Date date;
  DayType type = DayType::kRegular;
  std::string name;  // holiday or special-session name from the file; empty on regular days
  YearCoverage coverage = YearCoverage::kListed;
  std::vector<SessionTimes> sittings;  // chronological; empty when the market is closed

  bool trading() const { return !sittings.empty(); }
  // UTC time points of the first sitting's open and the last sitting's close.
  // REQUIRES: trading().
  TimestampMs open_ts() const;
  TimestampMs close_ts() const;
};

// A value type. Its const member functions may run concurrently on one calendar; reload() and
// assignment must not run concurrently with them (reload into a copy and swap under your own lock).
class Calendar {
 public:
  // Reads and validates a calendar CSV. Errors: kNotFound / kIoError naming the path if it cannot
  // be read; kParseError "path:line: reason" for the first bad row (unknown kind, bad date or time,
  // times out of order, duplicate entry, missing required column) or for a file that declares no
  // covered year or no regular-session timings.
  static Result<Calendar> load(const std::string& path);
  // The same from text already in memory; source names it in error messages.
  static Result<Calendar> parse(std::string_view text, std::string_view source = "<calendar>");

  // Where the default calendar lives: $SM_CALENDAR if set (it must then exist), else
  // nse-calendar.csv in the first of sm::data_directories() that has it (the source tree's data/
  // for a program of the build tree, <prefix>/share/stalkmarket for an installed one).
  // kNotFound lists every place tried.
  static Result<std::string> default_path();
  static Result<Calendar> load_default();

  // Re-reads path() (for a calendar made by load) and replaces this calendar only on success, so a
  // long-running program can pick up a holiday NSE announced at short notice; on failure this
  // calendar is unchanged and the error says why. kInvalidArgument for a calendar made by parse().
  Status reload();

  // The file this calendar was loaded from (empty for parse()).
  const std::string& path() const { return path_; }
  // The years with a `year_covered` row, ascending.
  const std::set<int>& covered_years() const { return covered_years_; }
  bool covers_year(int year) const { return covered_years_.count(year) > 0; }
  YearCoverage coverage(int year) const;
  // The last day of the latest listed year: after it, every unlisted day is kUnavailable. A loaded
  // calendar always has a listed year.
  Date last_covered_day() const { return Date{*covered_years_.rbegin(), 12, 31}; }
  // 00:00 IST of the day after last_covered_day(): from then on the calendar refuses to answer,
  // so every order is denied. Programs warn ahead of it.
  TimestampMs covered_until() const { return from_ist(add_days(last_covered_day(), 1), 0, 0); }
  // A message naming the last listed day when now is at most `days` days before covered_until()
  // (or past it); nullopt otherwise.
  std::optional<std::string> runs_out_warning(TimestampMs now, std::int64_t days) const;
  // A message for the log when `today`'s year is not listed, or when it is December and the next
  // year is not listed yet (NSE publishes next year's holidays in December). nullopt when fine.
  std::optional<std::string> coverage_warning(Date today) const;

  // Whether the market opens at all on date (IST). kUnavailable for an unlisted date in an unknown
  // year. True for a special session even when its timings are not yet known.
  Result<bool> is_trading_day(Date date) const;

  // The day's type, name and sittings (empty sittings = closed). kUnavailable for an unknown year,
  // and for a trading day whose timings the file does not know (an announced special session with
  // `unknown` timings, or a date before the first `regular_session` row).
  Result<DaySchedule> session_times(Date date) const;

  // The session ts falls in, using that IST day's own timings. Errors as session_times().
  Result<Session> session_at(TimestampMs ts) const;

  // The first continuous-session open (resp. close) strictly after ts, skipping weekends,
  // holidays and gaps between sittings. kUnavailable if the search reaches a day it cannot decide
  // (unknown year, unknown timings) before finding one.
  Result<TimestampMs> next_open(TimestampMs ts) const;
  Result<TimestampMs> next_close(TimestampMs ts) const;

  // The nearest trading day strictly after (resp. before) date. Errors as is_trading_day().
  Result<Date> next_trading_day(Date date) const;
  Result<Date> previous_trading_day(Date date) const;

 private:
  struct DayEntry {
    std::string holiday_name;  // non-empty: a `holiday` row
    std::string special_name;  // non-empty: `special_session` rows
    bool special_timings_unknown = false;
    std::vector<SessionTimes> special_sittings;
  };

  Calendar() = default;
  // Normal timings in force on date; nullptr before the first regular_session row.
  const SessionTimes* regular_times(Date date) const;
  // Adds one data row of the file (time_text in the order of the six time columns). Errors do not
  // name the file position; parse adds it.
  Status add_row(const std::string& kind, const std::string& name, const std::string& date_text,
                 const std::array<std::string, 6>& time_text);
  Status add_special_session(Date date, const std::string& name,
                             const std::array<std::string, 6>& time_text);
  template <typename Pick>
  Result<TimestampMs> next_boundary(TimestampMs ts, Pick pick) const;

  std::string path_;
  std::map<Date, DayEntry> days_;
  std::map<Date, SessionTimes> regular_;  // effective-from date -> normal timings
  std::set<int> covered_years_;
};

// One line of a calendar CSV split into fields trimmed of blanks (RFC 4180 quoting, no quoted
// newlines), as Calendar::parse reads it; kParseError for an unterminated quote. For programs that
// edit the file (time/calendar_refresh.h).
Result<std::vector<std::string>> split_calendar_csv_line(std::string_view line);

}  // namespace sm::time
