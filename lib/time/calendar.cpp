#include "time/calendar.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/data_dir.h"
#include "core/read_file.h"

namespace sm::time {

std::string_view session_name(Session session) {
  switch (session) {
    case Session::kClosed:
      return "closed";
    case Session::kPreOpenOrderEntry:
      return "pre_open_order_entry";
    case Session::kPreOpenMatching:
      return "pre_open_matching";
    case Session::kContinuous:
      return "continuous";
    case Session::kClosingPriceComputation:
      return "closing_price_computation";
    case Session::kClosingSession:
      return "closing_session";
  }
  return "closed";
}

std::string_view day_type_name(DayType type) {
  switch (type) {
    case DayType::kRegular:
      return "regular";
    case DayType::kWeekend:
      return "weekend";
    case DayType::kHoliday:
      return "holiday";
    case DayType::kSpecialSession:
      return "special_session";
  }
  return "regular";
}

std::string_view year_coverage_name(YearCoverage coverage) {
  switch (coverage) {
    case YearCoverage::kListed:
      return "listed";
    case YearCoverage::kAssumed:
      return "assumed";
    case YearCoverage::kUnknown:
      return "unknown";
  }
  return "unknown";
}

TimestampMs DaySchedule::open_ts() const {
  const int minute = sittings.front().open;
  return from_ist(date, minute / 60, minute % 60);
}

TimestampMs DaySchedule::close_ts() const {
  const int minute = sittings.back().close;
  return from_ist(date, minute / 60, minute % 60);
}

namespace {

// The longest run of consecutive non-trading days the searches will cross. NSE closures are a
// few days at most; the bound only stops a corrupt file from turning a search into a long loop.
constexpr int kMaxSearchDays = 400;

constexpr std::string_view kUnknownTime = "unknown";

// Column order of the timing fields, as they appear in the header.
constexpr std::array<std::string_view, 6> kTimeColumns = {
    "pre_open_start", "pre_open_end",          "open",
    "close",          "closing_session_start", "closing_session_end"};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits one CSV line (RFC 4180 quoting: "a, b" and "" for a quote inside quotes). Fields are
// trimmed of surrounding blanks. A line may not continue onto the next (no quoted newlines): the
// calendar has no use for them and line numbers stay exact.
Result<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(line[i++]);
      }
      if (!closed) return error(ErrorCode::kParseError, "unterminated quoted field");
      while (i < line.size() && line[i] != ',') {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
          return error(ErrorCode::kParseError, "text after a closing quote");
        }
        ++i;
      }
      fields.push_back(field);
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',') ++i;
      fields.emplace_back(trim(line.substr(start, i - start)));
    }
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

// "HH:MM" -> minutes since midnight, 00:00..23:59.
Result<int> parse_minute(std::string_view text, std::string_view column) {
  const auto digit = [&](size_t k) { return text[k] >= '0' && text[k] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return error(ErrorCode::kParseError,
                 fmt::format("{} '{}' is not a time (HH:MM, IST)", column, text));
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (hour > 23 || minute > 59) {
    return error(ErrorCode::kParseError, fmt::format("{} '{}' is not a valid time", column, text));
  }
  return hour * 60 + minute;
}

std::string format_minute(int minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

// Reads the six timing fields of a regular_session or special_session row. Pre-open and closing
// session are optional as pairs; open and close are required.
Result<SessionTimes> parse_times(const std::array<std::string, 6>& text) {
  std::array<std::optional<int>, 6> minutes;
  for (size_t k = 0; k < text.size(); ++k) {
    if (text[k].empty()) continue;
    Result<int> minute = parse_minute(text[k], kTimeColumns[k]);
    if (!minute.ok()) return minute.status();
    minutes[k] = *minute;
  }
  if (!minutes[2] || !minutes[3]) {
    return error(ErrorCode::kParseError, "open and close are required (HH:MM, IST)");
  }
  if (minutes[0].has_value() != minutes[1].has_value()) {
    return error(ErrorCode::kParseError, "give both pre_open_start and pre_open_end, or neither");
  }
  if (minutes[4].has_value() != minutes[5].has_value()) {
    return error(ErrorCode::kParseError,
                 "give both closing_session_start and closing_session_end, or neither");
  }
  SessionTimes times{minutes[0], minutes[1], *minutes[2], *minutes[3], minutes[4], minutes[5]};
  // Every phase must be non-empty except pre-open matching (entry may end exactly at open) and
  // closing-price computation (the closing session may start right at close).
  const bool ordered =
      (!times.pre_open_start ||
       (*times.pre_open_start < *times.pre_open_end && *times.pre_open_end <= times.open)) &&
      times.open < times.close &&
      (!times.closing_session_start || (times.close <= *times.closing_session_start &&
                                        *times.closing_session_start < *times.closing_session_end));
  if (!ordered) {
    return error(ErrorCode::kParseError,
                 "times must run pre_open_start < pre_open_end <= open < close <= "
                 "closing_session_start < closing_session_end");
  }
  return times;
}

Result<int> parse_year(std::string_view text) {
  if (text.size() != 4 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return error(
        ErrorCode::kParseError,
        fmt::format("year_covered needs a year (YYYY) in the date column, not '{}'", text));
  }
  return std::atoi(std::string(text).c_str());
}

bool is_weekend(Date date) {
  const int day = weekday(date);
  return day == 0 || day == 6;
}

Status unknown_year_error(Date date, int last_listed) {
  return error(ErrorCode::kUnavailable,
               fmt::format("the NSE calendar has no entries for {} (it covers up to {}), so {} "
                           "cannot be decided; add NSE's {} holiday list (docs/CALENDAR.md)",
                           date.year, last_listed, format_date(date), date.year));
}

// The column positions the header names. All of date, kind, name and the six time columns are
// required, each once.
Result<std::map<std::string, size_t>> parse_header(const std::vector<std::string>& fields) {
  std::map<std::string, size_t> columns;
  for (size_t k = 0; k < fields.size(); ++k) {
    if (!columns.emplace(fields[k], k).second) {
      return error(ErrorCode::kParseError,
                   fmt::format("column '{}' appears twice in the header", fields[k]));
    }
  }
  for (std::string_view required : {"date", "kind", "name"}) {
    if (columns.count(std::string(required)) == 0) {
      return error(ErrorCode::kParseError, fmt::format("header lacks the column '{}'", required));
    }
  }
  for (std::string_view required : kTimeColumns) {
    if (columns.count(std::string(required)) == 0) {
      return error(ErrorCode::kParseError, fmt::format("header lacks the column '{}'", required));
    }
  }
  return columns;
}

bool any_time(const std::array<std::string, 6>& time_text) {
  return std::any_of(time_text.begin(), time_text.end(),
                     [](const std::string& t) { return !t.empty(); });
}

// The whole calendar must be usable: it says which years it is complete for and gives normal
// timings.
Status check_complete(bool has_header, bool has_covered_years, bool has_regular,
                      std::string_view source) {
  if (!has_header) {
    return error(ErrorCode::kParseError, fmt::format("{}: no header line", source));
  }
  if (!has_covered_years) {
    return error(ErrorCode::kParseError,
                 fmt::format("{}: no year_covered row; the calendar must say which years its "
                             "holiday lists are complete for",
                             source));
  }
  if (!has_regular) {
    return error(ErrorCode::kParseError,
                 fmt::format("{}: no regular_session row giving the normal timings", source));
  }
  return Status();
}

}  // namespace

Status Calendar::add_special_session(Date date, const std::string& name,
                                     const std::array<std::string, 6>& time_text) {
  if (name.empty()) return error(ErrorCode::kParseError, "a special_session needs a name");
  const auto unknown_count = std::count(time_text.begin(), time_text.end(), kUnknownTime);
  DayEntry& entry = days_[date];
  const bool had_sittings = entry.special_timings_unknown || !entry.special_sittings.empty();
  if (unknown_count > 0) {
    // "unknown" marks an announced session whose timings NSE has not notified yet (or that
    // history does not record). Half-known timings would be a guess, so it is all or none.
    if (static_cast<size_t>(unknown_count) != kTimeColumns.size()) {
      return error(ErrorCode::kParseError, "write 'unknown' in all six time columns or in none");
    }
    if (had_sittings) {
      return error(ErrorCode::kParseError,
                   fmt::format("{} has another special_session row; a day with unknown "
                               "timings must have only one",
                               format_date(date)));
    }
    entry.special_timings_unknown = true;
  } else {
    Result<SessionTimes> times = parse_times(time_text);
    if (!times.ok()) return times.status();
    if (entry.special_timings_unknown) {
      return error(
          ErrorCode::kParseError,
          fmt::format("{} already has a special_session with unknown timings", format_date(date)));
    }
    // A second row on the same date is a second sitting (e.g. after a switch-over to the
    // disaster-recovery site); sittings must be in time order and must not overlap.
    if (!entry.special_sittings.empty() &&
        times->first_minute() < entry.special_sittings.back().last_minute()) {
      return error(ErrorCode::kParseError,
                   fmt::format("this sitting on {} starts at {}, before the previous one "
                               "ends at {}; list sittings in time order",
                               format_date(date), format_minute(times->first_minute()),
                               format_minute(entry.special_sittings.back().last_minute())));
    }
    entry.special_sittings.push_back(*times);
  }
  if (entry.special_name.empty()) entry.special_name = name;
  return Status();
}

Status Calendar::add_row(const std::string& kind, const std::string& name,
                         const std::string& date_text,
                         const std::array<std::string, 6>& time_text) {
  if (kind == "year_covered") {
    Result<int> year = parse_year(date_text);
    if (!year.ok()) return year.status();
    if (any_time(time_text))
      return error(ErrorCode::kParseError, "year_covered rows take no times");
    if (!covered_years_.insert(*year).second) {
      return error(ErrorCode::kParseError, fmt::format("year {} is covered twice", *year));
    }
    return Status();
  }
  Result<Date> date = parse_date(date_text);
  if (!date.ok()) return date.status();
  if (kind == "regular_session") {
    Result<SessionTimes> times = parse_times(time_text);
    if (!times.ok()) return times.status();
    if (!regular_.emplace(*date, *times).second) {
      return error(ErrorCode::kParseError,
                   fmt::format("two regular_session rows take effect on {}", format_date(*date)));
    }
    return Status();
  }
  if (kind == "holiday") {
    if (name.empty()) return error(ErrorCode::kParseError, "a holiday needs a name");
    if (any_time(time_text)) return error(ErrorCode::kParseError, "holiday rows take no times");
    DayEntry& entry = days_[*date];
    if (!entry.holiday_name.empty()) {
      return error(ErrorCode::kParseError,
                   fmt::format("{} is listed as a holiday twice", format_date(*date)));
    }
    entry.holiday_name = name;
    return Status();
  }
  if (kind == "special_session") return add_special_session(*date, name, time_text);
  return error(ErrorCode::kParseError,
               fmt::format("unknown kind '{}' (year_covered, regular_session, holiday or "
                           "special_session)",
                           kind));
}

Result<Calendar> Calendar::parse(std::string_view text, std::string_view source) {
  Calendar calendar;
  std::map<std::string, size_t> columns;
  size_t column_count = 0;
  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;

    const auto fail = [&](const Status& status) {
      return Status(ErrorCode::kParseError,
                    fmt::format("{}:{}: {}", source, line_number, status.message()));
    };
    Result<std::vector<std::string>> fields = split_csv(line);
    if (!fields.ok()) return fail(fields.status());
    if (columns.empty()) {
      Result<std::map<std::string, size_t>> header = parse_header(*fields);
      if (!header.ok()) return fail(header.status());
      columns = std::move(*header);
      column_count = fields->size();
      continue;
    }
    if (fields->size() != column_count) {
      return fail(error(ErrorCode::kParseError, fmt::format("{} fields, but the header has {}",
                                                            fields->size(), column_count)));
    }
    const auto field = [&](std::string_view name) -> const std::string& {
      return (*fields)[columns.at(std::string(name))];
    };
    std::array<std::string, 6> time_text;
    for (size_t k = 0; k < kTimeColumns.size(); ++k) time_text[k] = field(kTimeColumns[k]);
    if (Status added = calendar.add_row(field("kind"), field("name"), field("date"), time_text);
        !added.ok()) {
      return fail(added);
    }
  }
  SM_RETURN_IF_ERROR(check_complete(!columns.empty(), !calendar.covered_years_.empty(),
                                    !calendar.regular_.empty(), source));
  return calendar;
}

Result<std::vector<std::string>> split_calendar_csv_line(std::string_view line) {
  return split_csv(line);
}

Result<Calendar> Calendar::load(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status().with_context("calendar file");
  Result<Calendar> calendar = parse(*text, path);
  if (!calendar.ok()) return calendar.status();
  calendar->path_ = path;
  return calendar;
}

Result<std::string> Calendar::default_path() {
  return find_data_file("nse-calendar.csv", "SM_CALENDAR", "NSE calendar");
}

Result<Calendar> Calendar::load_default() {
  Result<std::string> path = default_path();
  if (!path.ok()) return path.status();
  return load(*path);
}

std::optional<std::string> Calendar::runs_out_warning(TimestampMs now, std::int64_t days) const {
  const TimestampMs until = covered_until();
  if (until - now > days * kMsPerDay) return std::nullopt;
  const Date last = last_covered_day();
  if (now >= until) {
    return fmt::format(
        "calendar ran out: holidays listed only through {}; every order is denied "
        "CALENDAR_UNAVAILABLE until next year's list is installed",
        format_date(last));
  }
  return fmt::format(
      "calendar runs out: holidays listed only through {}; from {} every order is "
      "denied CALENDAR_UNAVAILABLE",
      format_date(last), format_date(add_days(last, 1)));
}

Status Calendar::reload() {
  if (path_.empty()) {
    return error(ErrorCode::kInvalidArgument, "this calendar was not loaded from a file");
  }
  Result<Calendar> fresh = load(path_);
  if (!fresh.ok()) return fresh.status();
  *this = std::move(fresh).value();
  return Status();
}

YearCoverage Calendar::coverage(int year) const {
  if (covers_year(year)) return YearCoverage::kListed;
  return year < *covered_years_.rbegin() ? YearCoverage::kAssumed : YearCoverage::kUnknown;
}

std::optional<std::string> Calendar::coverage_warning(Date today) const {
  const std::string where = path_.empty() ? std::string("the NSE calendar") : path_;
  switch (coverage(today.year)) {
    case YearCoverage::kUnknown:
      return fmt::format(
          "{} has no entries for {} (it covers up to {}); trading days cannot be "
          "decided until NSE's {} holiday list is added",
          where, today.year, *covered_years_.rbegin(), today.year);
    case YearCoverage::kAssumed:
      return fmt::format(
          "{} has no holiday list for {}; assuming Mon-Fri trading except listed "
          "holidays",
          where, today.year);
    case YearCoverage::kListed:
      break;
  }
  if (today.month == 12 && coverage(today.year + 1) != YearCoverage::kListed) {
    return fmt::format("{} has no entries for {} yet; add NSE's {} holiday list before January",
                       where, today.year + 1, today.year + 1);
  }
  return std::nullopt;
}

const SessionTimes* Calendar::regular_times(Date date) const {
  auto it = regular_.upper_bound(date);
  if (it == regular_.begin()) return nullptr;
  return &std::prev(it)->second;
}

Result<bool> Calendar::is_trading_day(Date date) const {
  auto it = days_.find(date);
  if (it != days_.end()) {
    const DayEntry& entry = it->second;
    // A special session overrides both a holiday (Muhurat on Diwali) and a weekend (Budget day).
    if (entry.special_timings_unknown || !entry.special_sittings.empty()) return true;
    if (!entry.holiday_name.empty()) return false;
  }
  if (coverage(date.year) == YearCoverage::kUnknown) {
    return unknown_year_error(date, *covered_years_.rbegin());
  }
  return !is_weekend(date);
}

Result<DaySchedule> Calendar::session_times(Date date) const {
  DaySchedule day;
  day.date = date;
  day.coverage = coverage(date.year);
  auto it = days_.find(date);
  const DayEntry* entry = it == days_.end() ? nullptr : &it->second;
  if (entry != nullptr && entry->special_timings_unknown) {
    return error(ErrorCode::kUnavailable,
                 fmt::format("{} has a special session ({}) whose timings the calendar does not "
                             "know yet; add them to the calendar file (docs/CALENDAR.md)",
                             format_date(date), entry->special_name));
  }
  if (entry != nullptr && !entry->special_sittings.empty()) {
    day.type = DayType::kSpecialSession;
    day.name = entry->special_name;
    day.sittings = entry->special_sittings;
    return day;
  }
  if (entry != nullptr && !entry->holiday_name.empty()) {
    day.type = DayType::kHoliday;
    day.name = entry->holiday_name;
    return day;
  }
  if (day.coverage == YearCoverage::kUnknown) {
    return unknown_year_error(date, *covered_years_.rbegin());
  }
  if (is_weekend(date)) {
    day.type = DayType::kWeekend;
    return day;
  }
  const SessionTimes* regular = regular_times(date);
  if (regular == nullptr) {
    return error(ErrorCode::kUnavailable,
                 fmt::format("the calendar has no normal timings for {} (its first "
                             "regular_session row takes effect on {})",
                             format_date(date), format_date(regular_.begin()->first)));
  }
  day.type = DayType::kRegular;
  day.sittings.push_back(*regular);
  return day;
}

Result<Session> Calendar::session_at(TimestampMs ts) const {
  const Date date = ist_date(ts);
  Result<DaySchedule> day = session_times(date);
  if (!day.ok()) return day.status();
  // Milliseconds since IST midnight, so boundaries are exact to the millisecond.
  const std::int64_t ms = ts - from_ist(date, 0, 0);
  const auto at = [](std::optional<int> minute) { return *minute * kMsPerMinute; };
  for (const SessionTimes& s : day->sittings) {
    if (s.pre_open_start && ms >= at(s.pre_open_start) && ms < at(s.pre_open_end)) {
      return Session::kPreOpenOrderEntry;
    }
    if (s.pre_open_end && ms >= at(s.pre_open_end) && ms < at(s.open)) {
      return Session::kPreOpenMatching;
    }
    if (ms >= at(s.open) && ms < at(s.close)) return Session::kContinuous;
    if (s.closing_session_start) {
      if (ms >= at(s.close) && ms < at(s.closing_session_start)) {
        return Session::kClosingPriceComputation;
      }
      if (ms >= at(s.closing_session_start) && ms < at(s.closing_session_end)) {
        return Session::kClosingSession;
      }
    }
  }
  return Session::kClosed;
}

template <typename Pick>
Result<TimestampMs> Calendar::next_boundary(TimestampMs ts, Pick pick) const {
  Date date = ist_date(ts);
  for (int step = 0; step < kMaxSearchDays; ++step, date = add_days(date, 1)) {
    Result<bool> trading = is_trading_day(date);
    if (!trading.ok()) return trading.status();
    if (!*trading) continue;
    Result<DaySchedule> day = session_times(date);
    if (!day.ok()) return day.status();
    for (const SessionTimes& s : day->sittings) {
      const int minute = pick(s);
      const TimestampMs boundary = from_ist(date, minute / 60, minute % 60);
      if (boundary > ts) return boundary;
    }
  }
  return error(ErrorCode::kNotFound, fmt::format("no trading session within {} days after {}",
                                                 kMaxSearchDays, format_utc(ts)));
}

Result<TimestampMs> Calendar::next_open(TimestampMs ts) const {
  return next_boundary(ts, [](const SessionTimes& s) { return s.open; });
}

Result<TimestampMs> Calendar::next_close(TimestampMs ts) const {
  return next_boundary(ts, [](const SessionTimes& s) { return s.close; });
}

Result<Date> Calendar::next_trading_day(Date date) const {
  for (int step = 1; step <= kMaxSearchDays; ++step) {
    const Date candidate = add_days(date, step);
    Result<bool> trading = is_trading_day(candidate);
    if (!trading.ok()) return trading.status();
    if (*trading) return candidate;
  }
  return error(ErrorCode::kNotFound, fmt::format("no trading day within {} days after {}",
                                                 kMaxSearchDays, format_date(date)));
}

Result<Date> Calendar::previous_trading_day(Date date) const {
  for (int step = 1; step <= kMaxSearchDays; ++step) {
    const Date candidate = add_days(date, -step);
    Result<bool> trading = is_trading_day(candidate);
    if (!trading.ok()) return trading.status();
    if (*trading) return candidate;
  }
  return error(ErrorCode::kNotFound, fmt::format("no trading day within {} days before {}",
                                                 kMaxSearchDays, format_date(date)));
}

}  // namespace sm::time
