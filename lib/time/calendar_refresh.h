// Refreshing the calendar's holiday list for one year from NSE's published list (docs/CALENDAR.md,
// "Refreshing from NSE's list"): the JSON NSE's site serves (the holiday-master API, segment "CM":
// {"CM":[{"tradingDate":"26-Jan-2026","weekDay":"Monday","description":"Republic Day",...}]}) or a
// CSV with the columns date,name (YYYY-MM-DD). The list is validated, merged into the calendar
// file (that year's holidays and its year_covered row replaced, every other row kept), the result
// checked by Calendar::parse, and only then does it replace the file (temporary file, fsync,
// rename): on any error the old file stays as it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/timestamp.h"

namespace sm::time {

struct ListedHoliday {
  Date date;
  std::string name;
};

// One year's trading holidays (weekday closures) in date order.
struct HolidayList {
  int year = 0;
  std::vector<ListedHoliday> holidays;
  // Weekend entries of NSE's JSON (it lists holidays that fall on a Saturday or Sunday too, for
  // their names): not closures, so not written; "YYYY-MM-DD name" each.
  std::vector<std::string> skipped_weekend;
};

// Reads the list; the form is told by its first character ('{': NSE's JSON, else CSV). Errors are
// kParseError naming source and where: "source:line: column: why" for the CSV,
// "source: CM[i].field: why" for the JSON. Checks: every date parses; JSON weekDay agrees with the
// date; a CSV date is a weekday (the CSV form lists closures only); no date twice; every date in
// one year; every name non-empty; at least one holiday.
Result<HolidayList> parse_holiday_list(std::string_view text, std::string_view source);

// The calendar text with list.year's `holiday` rows and `year_covered` row replaced by the list
// (rows in the file's own column order, `source` column set to source_note); comments, regular
// and special sessions and other years are kept. kParseError when the calendar text has no header
// or the merged text does not load as a calendar (the message names the merged line).
Result<std::string> merge_holiday_list(std::string_view calendar_text,
                                       std::string_view calendar_source, const HolidayList& list,
                                       std::string_view source_note);

struct CalendarRefresh {
  int year = 0;
  int holidays = 0;  // written for the year
  int replaced = 0;  // holidays the old calendar named in that year
  std::vector<std::string> skipped_weekend;
  bool written = false;  // false for a dry run
};

// Reads list_path and calendar_path, merges, validates, and (unless dry_run) atomically replaces
// calendar_path. kNotFound / kIoError naming the file that cannot be read or written; kParseError
// as above. The old calendar is unchanged on every error.
Result<CalendarRefresh> refresh_calendar(const std::string& calendar_path,
                                         const std::string& list_path, std::string_view source_note,
                                         bool dry_run);

// The same for a list already read (downloaded): list_text is the list's content, list_source
// names it in error messages (the URL).
Result<CalendarRefresh> refresh_calendar_from_text(const std::string& calendar_path,
                                                   std::string_view list_text,
                                                   std::string_view list_source,
                                                   std::string_view source_note, bool dry_run);

}  // namespace sm::time
