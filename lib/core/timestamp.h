// Time points are UTC milliseconds since the Unix epoch everywhere inside StalkMarket.
// IST (UTC+05:30, no daylight saving) is used only to display times and to read files whose
// timestamps carry no zone (NSE data is IST unless it says otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sm {

using TimestampMs = std::int64_t;

inline constexpr std::int64_t kMsPerSecond = 1000;
inline constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr std::int64_t kMsPerHour = 60 * kMsPerMinute;
inline constexpr std::int64_t kMsPerDay = 24 * kMsPerHour;
inline constexpr int kIstOffsetMinutes = 330;
inline constexpr std::int64_t kIstOffsetMs = kIstOffsetMinutes * kMsPerMinute;

// A calendar date (proleptic Gregorian), used for trading days. Ordering is chronological.
struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  auto operator<=>(const Date&) const = default;
};

// Days since 1970-01-01 for a date, and back. Exact for any year in int range.
std::int64_t days_from_civil(Date date);
Date civil_from_days(std::int64_t days);
// 0 = Sunday ... 6 = Saturday.
int weekday(Date date);
Date add_days(Date date, std::int64_t days);

// "2024-03-28". Fails on anything else, including impossible dates such as 2023-02-29.
Result<Date> parse_date(std::string_view text);
std::string format_date(Date date);

// The IST calendar date of a UTC time point, and the UTC time of an IST wall-clock time.
Date ist_date(TimestampMs ts);
TimestampMs from_ist(Date date, int hour, int minute, int second = 0, int millisecond = 0);
// Minutes since IST midnight of ts (0..1439).
int ist_minute_of_day(TimestampMs ts);

// ISO 8601 UTC with milliseconds: "2024-03-28T04:00:00.000Z". This is the `ts` of every message.
std::string format_utc(TimestampMs ts);
// The same text appended to out, without a temporary string (the NDJSON writers' hot path).
void append_utc(std::string& out, TimestampMs ts);
// Human display in IST: "2024-03-28 09:30:00 IST" (with_zone=false drops " IST").
std::string format_ist(TimestampMs ts, bool with_zone = true);

// Parses "YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM|+HHMM]" or a bare "YYYY-MM-DD".
// A timestamp without a zone is read at default_offset_minutes (e.g. kIstOffsetMinutes); with no
// default it is an error. Fails with kParseError naming what was wrong.
Result<TimestampMs> parse_timestamp(std::string_view text,
                                    std::optional<int> default_offset_minutes = std::nullopt);

}  // namespace sm
