#include "time/calendar_refresh.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_replace.h"
#include "core/read_file.h"
#include "time/calendar.h"

namespace sm::time {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthAbbreviations = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view weekday_name(Date date) {
  return kWeekdayNames[static_cast<size_t>(weekday(date))];
}

bool is_weekend(Date date) {
  const int day = weekday(date);
  return day == 0 || day == 6;
}

// NSE's "26-Jan-2026".
Result<Date> parse_nse_date(std::string_view text) {
  if (text.size() != 11 || text[2] != '-' || text[6] != '-') {
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a date like 26-Jan-2026", text));
  }
  const auto month =
      std::find(kMonthAbbreviations.begin(), kMonthAbbreviations.end(), text.substr(3, 3));
  if (month == kMonthAbbreviations.end()) {
    return error(ErrorCode::kParseError, fmt::format("'{}' has no month like Jan", text));
  }
  const std::string iso = fmt::format("{}-{:02}-{}", text.substr(7, 4),
                                      month - kMonthAbbreviations.begin() + 1, text.substr(0, 2));
  Result<Date> date = parse_date(iso);
  if (!date.ok()) return error(ErrorCode::kParseError, fmt::format("'{}' is not a date", text));
  return date;
}

// The checks every entry of either form gets. where names it in errors.
class ListBuilder {
 public:
  explicit ListBuilder(std::string_view source) : source_(source) {}

  Status add(const std::string& where, Date date, std::string name) {
    if (name.empty()) return fail(where, "name", "is empty");
    if (list_.year == 0) list_.year = date.year;
    if (date.year != list_.year) {
      return fail(where, "date",
                  fmt::format("{} is not in {}, the year of the first entry (one year per list)",
                              format_date(date), list_.year));
    }
    if (auto [it, fresh] = seen_.emplace(date, where); !fresh) {
      return fail(where, "date",
                  fmt::format("{} is listed twice (also at {})", format_date(date), it->second));
    }
    list_.holidays.push_back({date, std::move(name)});
    return Status();
  }
  void skip_weekend(Date date, const std::string& name) {
    list_.skipped_weekend.push_back(fmt::format("{} {}", format_date(date), name));
  }
  Status fail(const std::string& where, std::string_view field, std::string_view why) const {
    return Status(ErrorCode::kParseError, fmt::format("{}{}: {}: {}", source_, where, field, why));
  }
  Result<HolidayList> finish() {
    if (list_.holidays.empty()) {
      return error(ErrorCode::kParseError, fmt::format("{}: no holidays in the list", source_));
    }
    std::sort(list_.holidays.begin(), list_.holidays.end(),
              [](const ListedHoliday& a, const ListedHoliday& b) { return a.date < b.date; });
    return std::move(list_);
  }

 private:
  std::string source_;
  HolidayList list_;
  std::map<Date, std::string> seen_;
};

Result<HolidayList> parse_nse_json(std::string_view text, std::string_view source) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  ListBuilder list(source);
  if (doc.is_discarded()) return list.fail("", "json", "not valid JSON");
  if (!doc.is_object() || !doc.contains("CM") || !doc["CM"].is_array()) {
    return list.fail("", "CM", "no \"CM\" (capital market) array: not NSE's holiday list");
  }
  const nlohmann::json& entries = doc["CM"];
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string where = fmt::format(": CM[{}]", i);
    const nlohmann::json& e = entries[i];
    if (!e.is_object()) return list.fail(where, "entry", "is not an object");
    if (!e.contains("tradingDate") || !e["tradingDate"].is_string()) {
      return list.fail(where, "tradingDate", "missing or not a string");
    }
    Result<Date> date = parse_nse_date(e["tradingDate"].get<std::string>());
    if (!date.ok()) return list.fail(where, "tradingDate", date.status().message());
    if (e.contains("weekDay") && e["weekDay"].is_string() &&
        e["weekDay"].get<std::string>() != weekday_name(*date)) {
      return list.fail(where, "weekDay",
                       fmt::format("'{}', but {} is a {}", e["weekDay"].get<std::string>(),
                                   format_date(*date), weekday_name(*date)));
    }
    std::string name = e.contains("description") && e["description"].is_string()
                           ? e["description"].get<std::string>()
                           : std::string();
    if (is_weekend(*date)) {
      list.skip_weekend(*date, name);
      continue;
    }
    SM_RETURN_IF_ERROR(list.add(where, *date, std::move(name)));
  }
  return list.finish();
}

Result<HolidayList> parse_csv_list(std::string_view text, std::string_view source) {
  ListBuilder list(source);
  std::map<std::string, size_t> columns;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = fmt::format(":{}", line_number);
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#') continue;
    Result<std::vector<std::string>> fields = split_calendar_csv_line(line);
    if (!fields.ok()) return list.fail(where, "line", fields.status().message());
    if (columns.empty()) {
      for (size_t i = 0; i < fields->size(); ++i) columns[(*fields)[i]] = i;
      if (columns.count("date") == 0 || columns.count("name") == 0) {
        return list.fail(where, "header", "needs the columns date and name");
      }
      continue;
    }
    const size_t date_at = columns["date"];
    const size_t name_at = columns["name"];
    if (fields->size() <= std::max(date_at, name_at)) {
      return list.fail(
          where, "line",
          fmt::format("{} fields, fewer than the header's {}", fields->size(), columns.size()));
    }
    Result<Date> date = parse_date((*fields)[date_at]);
    if (!date.ok()) {
      return list.fail(where, "date",
                       fmt::format("'{}' is not a date like 2027-01-26", (*fields)[date_at]));
    }
    if (is_weekend(*date)) {
      return list.fail(where, "date",
                       fmt::format("{} is a {}: list weekday closures only", format_date(*date),
                                   weekday_name(*date)));
    }
    SM_RETURN_IF_ERROR(list.add(where, *date, (*fields)[name_at]));
  }
  return list.finish();
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A calendar row in the header's column order: named values, the rest empty.
std::string calendar_row(const std::vector<std::string>& header,
                         const std::map<std::string, std::string>& values) {
  std::string row;
  for (size_t i = 0; i < header.size(); ++i) {
    if (i > 0) row += ',';
    if (auto it = values.find(header[i]); it != values.end()) row += csv_field(it->second);
  }
  return row;
}

}  // namespace

Result<HolidayList> parse_holiday_list(std::string_view text, std::string_view source) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return parse_nse_json(text, source);
  return parse_csv_list(text, source);
}

Result<std::string> merge_holiday_list(std::string_view calendar_text,
                                       std::string_view calendar_source, const HolidayList& list,
                                       std::string_view source_note) {
  const std::string year_text = std::to_string(list.year);
  const std::string year_prefix = year_text + "-";
  std::string merged;
  std::vector<std::string> header;
  size_t pos = 0;
  size_t line_number = 0;
  while (pos < calendar_text.size()) {
    const size_t end = std::min(calendar_text.find('\n', pos), calendar_text.size());
    std::string_view line = calendar_text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    std::string_view content = line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    const size_t first = content.find_first_not_of(" \t");
    if (first != std::string_view::npos && content[first] != '#') {
      Result<std::vector<std::string>> fields = split_calendar_csv_line(content);
      if (!fields.ok()) {
        return error(ErrorCode::kParseError, fmt::format("{}:{}: {}", calendar_source, line_number,
                                                         fields.status().message()));
      }
      if (header.empty()) {
        header = *fields;
      } else {
        const auto at = [&](std::string_view column) {
          const size_t i =
              static_cast<size_t>(std::find(header.begin(), header.end(), column) - header.begin());
          return i < fields->size() ? (*fields)[i] : std::string();
        };
        const std::string date = at("date");
        const std::string kind = at("kind");
        if ((kind == "holiday" && date.rfind(year_prefix, 0) == 0) ||
            (kind == "year_covered" && date == year_text)) {
          continue;
        }
      }
    }
    merged.append(line);
    merged += '\n';
  }
  if (header.empty()) {
    return error(ErrorCode::kParseError,
                 fmt::format("{}: no header line: not a calendar file", calendar_source));
  }
  if (!merged.empty() && merged.back() != '\n') merged += '\n';
  merged += calendar_row(header, {{"date", year_text},
                                  {"kind", "year_covered"},
                                  {"name", fmt::format("NSE trading holidays {}", list.year)},
                                  {"source", std::string(source_note)}});
  merged += '\n';
  for (const ListedHoliday& h : list.holidays) {
    merged += calendar_row(header, {{"date", format_date(h.date)},
                                    {"kind", "holiday"},
                                    {"name", h.name},
                                    {"source", std::string(source_note)}});
    merged += '\n';
  }
  Result<Calendar> check = Calendar::parse(merged, fmt::format("{} (merged)", calendar_source));
  if (!check.ok()) return check.status();
  return merged;
}

Result<CalendarRefresh> refresh_calendar(const std::string& calendar_path,
                                         const std::string& list_path, std::string_view source_note,
                                         bool dry_run) {
  Result<std::string> list_text = read_file(list_path);
  if (!list_text.ok()) return list_text.status();
  return refresh_calendar_from_text(calendar_path, *list_text, list_path, source_note, dry_run);
}

Result<CalendarRefresh> refresh_calendar_from_text(const std::string& calendar_path,
                                                   std::string_view list_text,
                                                   std::string_view list_source,
                                                   std::string_view source_note, bool dry_run) {
  Result<HolidayList> list = parse_holiday_list(list_text, list_source);
  if (!list.ok()) return list.status();
  Result<std::string> old_text = read_file(calendar_path);
  if (!old_text.ok()) return old_text.status();
  // The old file must itself be a valid calendar: a refresh never builds on a broken one.
  Result<Calendar> old_calendar = Calendar::parse(*old_text, calendar_path);
  if (!old_calendar.ok()) return old_calendar.status();
  Result<std::string> merged = merge_holiday_list(*old_text, calendar_path, *list, source_note);
  if (!merged.ok()) return merged.status();

  CalendarRefresh report;
  report.year = list->year;
  report.holidays = static_cast<int>(list->holidays.size());
  report.skipped_weekend = list->skipped_weekend;
  for (Date d = Date{list->year, 1, 1}; d.year == list->year; d = add_days(d, 1)) {
    Result<DaySchedule> day = old_calendar->session_times(d);
    if (day.ok() && day->type == DayType::kHoliday) ++report.replaced;
  }
  if (dry_run) return report;
  SM_RETURN_IF_ERROR(replace_file_atomically(calendar_path, *merged));
  report.written = true;
  return report;
}

}  // namespace sm::time
