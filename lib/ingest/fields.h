// Field-level normalisation shared by every ingest source (CSV files and NDJSON on stdin): symbols,
// time zones, timestamps, prices and volumes as they appear in real files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm::ingest {

// Trims, upper-cases and strips exchange decorations: a "NSE:"/"BSE:" prefix, a ".NS"/".BO" suffix
// (Yahoo) and a "-EQ" series suffix. "nse:reliance " -> "RELIANCE", "RELIANCE.NS" -> "RELIANCE".
// Fails with kParseError when nothing is left or a character other than A-Z 0-9 & - _ . remains
// (NSE symbols such as M&M and BAJAJ-AUTO keep their & and -).
// NSE index names are symbols too, spaces included ("nifty 50" -> "NIFTY 50"), and Yahoo Finance
// index tickers become them ("^NSEI" -> "NIFTY 50"; docs/INGEST.md lists the table). A Yahoo
// ticker of a BSE index (^BSESN) or one not in the table fails with kParseError saying so.
Result<std::string> normalize_symbol(std::string_view text);

// The offset of a --tz value in minutes east of UTC: "IST" or "Asia/Kolkata" (330), "UTC", "GMT" or
// "Z" (0), or a fixed offset "+05:30", "+0530", "-04:00". Other zone names fail with
// kInvalidArgument: NSE data needs no daylight-saving rules, so no zone database is consulted.
Result<int> parse_zone_offset(std::string_view text);

// A price cell as paise. Exact for up to two decimals (sm::parse_rupees). Thousands separators
// ("1,234.50", from quoted cells) are removed. rounded is set when the text had more decimals
// (binary float noise such as yfinance's 2450.199951171875) and was rounded half-even to a paisa.
// Fails with kParseError (not a number, NaN, empty) or kInvalidArgument (magnitude too large).
struct ParsedPrice {
  Paise paise = 0;
  bool rounded = false;
};
Result<ParsedPrice> parse_price_text(std::string_view text);

// A volume or quantity cell: a whole number, possibly written as a float ("10559.0", "1.2e6").
// Fails with kParseError on fractions or text, kInvalidArgument when too large. Negative values
// are returned as such; rejecting them is the validator's job.
Result<Quantity> parse_quantity_text(std::string_view text);

// A timestamp cell. Accepts ISO 8601 with or without a zone ("2023-07-03 09:15:00+05:30",
// "2024-01-02T09:15:00+0530", "2017-09-26 09:16:00"), a bare date ("2015-01-01"), NSE's
// "01-Jan-2015" / "01-JAN-2015 15:30:00", and Unix epoch seconds (9-10 digits, TradingView) or
// milliseconds (12-13 digits). A time without a zone is read at default_offset_minutes.
// date_only is true for a bare date (its ts is midnight at that offset).
struct ParsedTime {
  TimestampMs ts = 0;
  bool date_only = false;
};
Result<ParsedTime> parse_time_text(std::string_view text, int default_offset_minutes);

// Adds the decimal digits from p up to limit (or the first non-digit) to `whole`; returns where
// they ended. The callers bound limit so that `whole` cannot overflow.
inline const char* scan_digits(const char* p, const char* limit, std::int64_t& whole) {
  for (; p != limit; ++p) {
    const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0';
    if (d > 9) break;
    whole = whole * 10 + d;
  }
  return p;
}

// Fast paths for the shapes nearly every file uses, without the general machinery (no trimming,
// no error messages, no allocation). Each returns nullopt when the text is not that exact shape;
// the general function then decides. For every text a fast path accepts, the general function
// gives the same value (tests/unit/ingest/fields_test.cpp checks them against each other), so a
// caller may try the fast path first and fall back without changing any result.
//
// A price: 1-13 digits, optionally "." and up to 6 decimals of which those past the second are
// zeros ("2450", "2450.5", "2450.50", "2450.5000"). As parse_price_text; never rounded.
std::optional<Paise> parse_plain_price(std::string_view text);
// A volume or quantity: 1-15 digits, or 1-13 digits, "." and up to 6 zeros ("10559.0"). As
// parse_quantity_text.
std::optional<Quantity> parse_plain_quantity(std::string_view text);
// The two above reading a cell in place, from p to end or to the first stop character (a CSV
// delimiter; never a digit or '.'), whichever comes first: the cell is that text. Return where
// the cell ended (end, or the stop character) with the value in out, or nullptr (out unchanged)
// when the cell is not of the shape the function above accepts. For every cell they give what
// the function above gives for the cell's text (which is how that function is written).
// Inline: the streaming reader calls them for every number of every row.
inline const char* scan_plain_price(const char* p, const char* end, char stop, Paise& out) {
  const char* const start = p;
  // 13 integer digits keep the value below kMaxAbsPaise (10^13 rupees); a 14th is refused.
  const char* const limit = end - p > 14 ? p + 14 : end;
  std::int64_t whole = 0;
  p = scan_digits(p, limit, whole);
  const std::ptrdiff_t digits = p - start;
  if (digits == 0 || digits > 13) return nullptr;
  Paise fraction = 0;
  if (p != end && *p != stop) {
    if (*p != '.') return nullptr;
    const char* const decimals = ++p;
    for (; p != end && *p != stop; ++p) {
      const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0';
      const std::ptrdiff_t place = p - decimals;
      if (d > 9 || place == 6) return nullptr;
      if (place < 2) {
        fraction = fraction * 10 + d;
      } else if (d != 0) {
        return nullptr;  // a third significant decimal: the general path rounds and says so
      }
    }
    if (p - decimals == 1) fraction *= 10;
  }
  out = whole * kPaisePerRupee + fraction;
  return p;
}

inline const char* scan_plain_quantity(const char* p, const char* end, char stop, Quantity& out) {
  const char* const start = p;
  const char* const limit = end - p > 16 ? p + 16 : end;
  std::int64_t whole = 0;
  p = scan_digits(p, limit, whole);
  const std::ptrdiff_t digits = p - start;
  if (digits == 0 || digits > 15) return nullptr;
  if (p != end && *p != stop) {
    // "10559.0": the general path reads it as hundredths, which must stay within kMaxAbsPaise.
    if (digits > 13 || *p != '.') return nullptr;
    const char* const decimals = ++p;
    for (; p != end && *p != stop; ++p) {
      if (*p != '0' || p - decimals == 6) return nullptr;
    }
  }
  out = whole;
  return p;
}
// A timestamp without a zone: "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (a "T" may
// replace the space), read at default_offset_minutes. As parse_time_text, including its checks
// (impossible dates, hours past 23; a leap second 60 is read as 59).
std::optional<ParsedTime> parse_plain_time(std::string_view text, int default_offset_minutes);
// A date cell "YYYY-MM-DD" and a time cell "HH:MM" or "HH:MM:SS", as parse_time_text reads the
// two joined by a space.
std::optional<ParsedTime> parse_plain_date_time(std::string_view date, std::string_view time,
                                                int default_offset_minutes);

// parse_plain_time and parse_plain_date_time that remember the last date they read: the rows of an
// intraday file share their date with the row before, so the calendar arithmetic (checking the
// date, counting its days) is done once per day instead of once per row. Gives exactly what the
// two functions give for every text.
class PlainTimeReader {
 public:
  explicit PlainTimeReader(int default_offset_minutes) : offset_(default_offset_minutes) {}
  std::optional<ParsedTime> time(std::string_view text);
  std::optional<ParsedTime> date_time(std::string_view date, std::string_view time);

 private:
  // Days since 1970-01-01 of a "YYYY-MM-DD" cell, as parse_plain_time reads it.
  std::optional<std::int64_t> days(std::string_view date);

  int offset_;
  std::array<char, 10> last_date_{};  // the last date that was read, when has_last_
  std::int64_t last_days_ = 0;
  bool has_last_ = false;
};

// A date layout given with --date-format, strftime-style: %d day and %m month (one or two digits),
// %Y year (four digits), %y year (two digits: 00-68 are 2000-2068, 69-99 are 1969-1999, as POSIX
// strptime reads them), %H hour 0-23, %M minute and %S second (one or two digits; a leap second 60
// is read as 59), %% a percent sign; any other character must appear as written. A layout without
// %H also reads a time of day "HH:MM" or "HH:MM:SS" after a space or "T" ("%d/%m/%Y" reads
// "31/12/2019 09:15"), so one layout serves date-only cells, full timestamps and a date column
// joined to its time column.
struct DateFormat {
  std::string text;       // the layout as given
  bool has_time = false;  // it holds %H
};
// Fails with kInvalidArgument for an unknown directive, a directive given twice, %H/%M/%S without
// the ones before them, or a layout without a day, a month and a year.
Result<DateFormat> parse_date_format(std::string_view text);
// A cell in this layout, read at default_offset_minutes (no zone is accepted). Fails with
// kParseError naming the layout when the text does not fit it or the date or time is impossible.
// date_only is true when the cell has no time of day.
Result<ParsedTime> parse_formatted_time(std::string_view text, const DateFormat& format,
                                        int default_offset_minutes);

// Decides whether cells such as "01/02/2019" (one or two digits, "/", "-" or "." twice, a
// four-digit year, optionally a time of day) are day-first or month-first, from every cell of a
// column. Dates never swap silently: only a first number above 12 somewhere proves day-first (a
// second number above 12 proves month-first), and both together are a contradiction.
class DateOrderEvidence {
 public:
  // True when text has that numeric shape (whether or not it is a possible date).
  static bool has_numeric_date_shape(std::string_view text);
  // Notes one cell; cells of other shapes are ignored. line is for messages.
  void add(std::string_view text, std::int64_t line);
  // Whether any cell had the shape.
  bool seen() const { return cells_ > 0; }
  // The layout ("%d/%m/%Y" or "%m/%d/%Y" with the first cell's separator). Fails with kParseError
  // naming input, the --date-format option and an example line when no cell decides the order or
  // cells decide both ways. REQUIRES: seen().
  Result<DateFormat> layout(std::string_view input) const;

 private:
  std::int64_t cells_ = 0;
  char separator_ = '/';
  std::string first_text_;
  std::int64_t first_line_ = 0;
  std::string day_first_text_, month_first_text_;  // a cell proving each order, if any
  std::int64_t day_first_line_ = 0, month_first_line_ = 0;
};

// Range bounds from --from/--to text, for every program that reads a stored range (sm-ingest,
// sm-signal, sm-backtest). A date means the whole IST day: as a start, 00:00 IST of it; as an
// end, 00:00 IST of the next day (the range is half-open, so the day is included). A full
// timestamp is used as is (naive text is IST). Empty text: unbounded. A text that is neither
// fails with kInvalidArgument (a bad flag value).
Result<TimestampMs> parse_range_start(std::string_view text);
Result<TimestampMs> parse_range_end(std::string_view text);

// Lower-case alphanumerics only, for matching column names: "Prev Close" -> "prevclose".
std::string column_key(std::string_view name);

}  // namespace sm::ingest
