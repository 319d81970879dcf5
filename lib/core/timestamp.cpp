#include "core/timestamp.h"

#include <fmt/compile.h>
#include <fmt/format.h>

namespace sm {
namespace {

// Floor division, since C++ truncates towards zero and times before 1970 must still work.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Reads exactly `width` digits at text[pos]; returns -1 if any is not a digit.
int read_digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

Status bad_timestamp(std::string_view text, std::string_view why) {
  return error(ErrorCode::kParseError, fmt::format("'{}' is not a timestamp: {}", text, why));
}

}  // namespace

// Howard Hinnant's days_from_civil algorithm (public domain description of the Gregorian count).
std::int64_t days_from_civil(Date date) {
  const std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (date.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = floor_div(days, 146097);
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return Date{static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)};
}

int weekday(Date date) {
  const std::int64_t days = days_from_civil(date);
  return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
}

Date add_days(Date date, std::int64_t days) {
  return civil_from_days(days_from_civil(date) + days);
}

Result<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a date (YYYY-MM-DD)", text));
  }
  const int year = read_digits(text, 0, 4);
  const int month = read_digits(text, 5, 2);
  const int day = read_digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a valid date", text));
  }
  return Date{year, month, day};
}

std::string format_date(Date date) {
  return fmt::format("{:04}-{:02}-{:02}", date.year, date.month, date.day);
}

Date ist_date(TimestampMs ts) { return civil_from_days(floor_div(ts + kIstOffsetMs, kMsPerDay)); }

TimestampMs from_ist(Date date, int hour, int minute, int second, int millisecond) {
  return days_from_civil(date) * kMsPerDay + hour * kMsPerHour + minute * kMsPerMinute +
         second * kMsPerSecond + millisecond - kIstOffsetMs;
}

int ist_minute_of_day(TimestampMs ts) {
  const std::int64_t local = ts + kIstOffsetMs;
  return static_cast<int>((local - floor_div(local, kMsPerDay) * kMsPerDay) / kMsPerMinute);
}

void append_utc(std::string& out, TimestampMs ts) {
  const std::int64_t days = floor_div(ts, kMsPerDay);
  const std::int64_t in_day = ts - days * kMsPerDay;
  const Date date = civil_from_days(days);
  // Compiled format into a stack buffer: no format-string parsing and no allocation per call.
  // 64 bytes hold the widest text (a year of any int).
  char text[64];
  char* end =
      fmt::format_to(text, FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z"), date.year,
                     date.month, date.day, in_day / kMsPerHour, in_day / kMsPerMinute % 60,
                     in_day / kMsPerSecond % 60, in_day % kMsPerSecond);
  out.append(text, end);
}

std::string format_utc(TimestampMs ts) {
  std::string text;
  append_utc(text, ts);
  return text;
}

std::string format_ist(TimestampMs ts, bool with_zone) {
  const std::int64_t local = ts + kIstOffsetMs;
  const std::int64_t days = floor_div(local, kMsPerDay);
  const std::int64_t in_day = local - days * kMsPerDay;
  const Date date = civil_from_days(days);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}", date.year, date.month, date.day,
                     in_day / kMsPerHour, in_day / kMsPerMinute % 60, in_day / kMsPerSecond % 60,
                     with_zone ? " IST" : "");
}

Result<TimestampMs> parse_timestamp(std::string_view text,
                                    std::optional<int> default_offset_minutes) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() < 10) return bad_timestamp(text, "too short");
  Result<Date> date = parse_date(text.substr(0, 10));
  if (!date.ok()) return bad_timestamp(text, "bad date");
  int hour = 0, minute = 0, second = 0, millisecond = 0;
  size_t pos = 10;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    hour = read_digits(text, pos + 1, 2);
    if (hour < 0 || pos + 3 >= text.size() || text[pos + 3] != ':')
      return bad_timestamp(text, "bad time");
    minute = read_digits(text, pos + 4, 2);
    if (minute < 0) return bad_timestamp(text, "bad minutes");
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      second = read_digits(text, pos + 1, 2);
      if (second < 0) return bad_timestamp(text, "bad seconds");
      pos += 3;
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int scale = 100;
        size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          millisecond += (text[pos] - '0') * scale;  // digits past milliseconds are truncated
          scale /= 10;
          ++pos;
        }
        if (pos == start) return bad_timestamp(text, "empty fraction");
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return bad_timestamp(text, "time out of range");
    if (second == 60) second = 59;  // a leap second is clamped to the last second of the minute
  }
  std::optional<int> offset_minutes;
  if (pos < text.size()) {
    const char zone = text[pos];
    if (zone == 'Z' && pos + 1 == text.size()) {
      offset_minutes = 0;
    } else if (zone == '+' || zone == '-') {
      const int oh = read_digits(text, pos + 1, 2);
      size_t mpos = pos + 3;
      if (mpos < text.size() && text[mpos] == ':') ++mpos;
      const int om = read_digits(text, mpos, 2);
      if (oh < 0 || om < 0 || mpos + 2 != text.size() || oh > 14 || om > 59) {
        return bad_timestamp(text, "bad zone offset");
      }
      offset_minutes = (zone == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
      return bad_timestamp(text, "unexpected text after the time");
    }
  } else {
    offset_minutes = default_offset_minutes;
  }
  if (!offset_minutes) return bad_timestamp(text, "no time zone given");
  return days_from_civil(*date) * kMsPerDay + hour * kMsPerHour + minute * kMsPerMinute +
         second * kMsPerSecond + millisecond - std::int64_t{*offset_minutes} * kMsPerMinute;
}

}  // namespace sm
