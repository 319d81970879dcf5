// Field-level normalisation shared by every ingest source (CSV files and NDJSON on stdin): symbols,
// time zones, timestamps, prices and volumes as they appear in real files.
#pragma once

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
// A timestamp without a zone: "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (a "T" may
// replace the space), read at default_offset_minutes. As parse_time_text, including its checks
// (impossible dates, hours past 23; a leap second 60 is read as 59).
std::optional<ParsedTime> parse_plain_time(std::string_view text, int default_offset_minutes);
// A date cell "YYYY-MM-DD" and a time cell "HH:MM" or "HH:MM:SS", as parse_time_text reads the
// two joined by a space.
std::optional<ParsedTime> parse_plain_date_time(std::string_view date, std::string_view time,
                                                int default_offset_minutes);

// Lower-case alphanumerics only, for matching column names: "Prev Close" -> "prevclose".
std::string column_key(std::string_view name);

}  // namespace sm::ingest
