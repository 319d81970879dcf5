#include "ingest/fields.h"

#include <fmt/format.h>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>

namespace sm::ingest {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '"')) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '"')) {
    text.remove_suffix(1);
  }
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// parse_rupees says "too large" for magnitudes it refuses; those are range errors, not syntax.
Status classify_number_failure(const Status& status) {
  const std::string& message = status.message();
  if (message.find("too large") != std::string::npos ||
      message.find("out of range") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, message);
  }
  return status;
}

// Removes thousands separators, which only occur in quoted cells ("1,234.50").
std::string_view without_commas(std::string_view text, std::string& scratch) {
  if (text.find(',') == std::string_view::npos) return text;
  scratch.clear();
  for (char c : text) {
    if (c != ',') scratch.push_back(c);
  }
  return scratch;
}

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};

// "01-Jan-2015" or "1-JAN-2015", optionally followed by " HH:MM[:SS]": rewritten to ISO.
bool rewrite_nse_date(std::string_view text, std::string& iso) {
  const size_t first = text.find('-');
  if (first == std::string_view::npos || first == 0 || first > 2) return false;
  const size_t second = text.find('-', first + 1);
  if (second != first + 4 || text.size() < second + 5) return false;
  const std::string_view day = text.substr(0, first);
  const std::string_view month = text.substr(first + 1, 3);
  const std::string_view year = text.substr(second + 1, 4);
  if (!all_digits(day) || !all_digits(year)) return false;
  int month_number = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (iequals(month, kMonths[i])) month_number = static_cast<int>(i) + 1;
  }
  if (month_number == 0) return false;
  iso = fmt::format("{}-{:02}-{:0>2}{}", year, month_number, day, text.substr(second + 5));
  return true;
}

// The value of the digit c, or a number above 9 when c is not a digit.
unsigned digit_value(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }

// Reads text[pos, pos + width) as decimal digits; -1 when one is not a digit. REQUIRES: the range
// lies inside text.
int digits_at(std::string_view text, size_t pos, size_t width) {
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    const unsigned d = digit_value(text[i]);
    if (d > 9) return -1;
    value = value * 10 + static_cast<int>(d);
  }
  return value;
}

// Reads up to max_digits leading digits of text into value; returns how many there were (more
// than max_digits means "too many", value then holds the first max_digits + 1).
size_t leading_digits(std::string_view text, size_t max_digits, std::int64_t& value) {
  value = 0;
  size_t i = 0;
  while (i < text.size() && i <= max_digits) {
    const unsigned d = digit_value(text[i]);
    if (d > 9) break;
    value = value * 10 + d;
    ++i;
  }
  return i;
}

// Days since 1970-01-01 of a "YYYY-MM-DD" cell. sm::parse_date does the checks (impossible dates);
// the shape test first keeps other texts from building its error message.
std::optional<std::int64_t> plain_days(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  Result<Date> parsed = parse_date(date);
  if (!parsed.ok()) return std::nullopt;
  return days_from_civil(*parsed);
}

// Milliseconds since midnight of "HH:MM" or "HH:MM:SS", with sm::parse_timestamp's limits.
std::optional<std::int64_t> plain_time_of_day(std::string_view time) {
  if ((time.size() != 5 && time.size() != 8) || time[2] != ':') return std::nullopt;
  if (time.size() == 8 && time[5] != ':') return std::nullopt;
  const int hour = digits_at(time, 0, 2);
  const int minute = digits_at(time, 3, 2);
  int second = time.size() == 8 ? digits_at(time, 6, 2) : 0;
  if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  if (second == 60) second = 59;  // as parse_timestamp: a leap second is the minute's last second
  return hour * kMsPerHour + minute * kMsPerMinute + second * kMsPerSecond;
}

// Yahoo Finance's tickers of NSE indices and the names NSE publishes the indices under. The
// tickers are those of Yahoo's quote pages (finance.yahoo.com/quote/%5ENSEI, ...%5ENSEBANK,
// ...%5ECNXIT, ...%5ENSMIDCP "NIFTY NEXT 50", ...), cross-checked against independent public
// ticker tables (e.g. sharathnirmala16/Securities-Master-Database-PSQL, data_dicts.py). Left out
// on purpose: NIFTY MIDCAP 100, which Yahoo lists as NIFTY_MIDCAP_100.NS rather than a ^ ticker,
// and tickers whose index public tables disagree on.
struct YahooIndex {
  std::string_view ticker;
  std::string_view nse_name;
};
constexpr YahooIndex kYahooIndices[] = {
    {"^NSEI", "NIFTY 50"},         {"^NSEBANK", "NIFTY BANK"},     {"^CNXIT", "NIFTY IT"},
    {"^NSMIDCP", "NIFTY NEXT 50"}, {"^CNX100", "NIFTY 100"},       {"^CRSLDX", "NIFTY 500"},
    {"^CNXAUTO", "NIFTY AUTO"},    {"^CNXPHARMA", "NIFTY PHARMA"}, {"^CNXFMCG", "NIFTY FMCG"},
    {"^CNXMETAL", "NIFTY METAL"},  {"^CNXREALTY", "NIFTY REALTY"}, {"^INDIAVIX", "INDIA VIX"},
};

// An upper-cased Yahoo index ticker as its NSE index name, or the reason it has none.
Result<std::string> nse_index_for_yahoo_ticker(std::string_view ticker) {
  for (const YahooIndex& index : kYahooIndices) {
    if (ticker == index.ticker) return std::string(index.nse_name);
  }
  if (ticker.starts_with("^BSE")) {
    return error(ErrorCode::kParseError,
                 fmt::format("'{}' is a BSE index (^BSESN is the SENSEX); StalkMarket trades NSE, "
                             "so it is not mapped: pass --symbol NAME to load it anyway",
                             ticker));
  }
  return error(ErrorCode::kParseError,
               fmt::format("'{}' is a Yahoo Finance index ticker without a known NSE index name; "
                           "pass --symbol NAME",
                           ticker));
}

bool is_nse_index_name(std::string_view symbol) {
  for (const YahooIndex& index : kYahooIndices) {
    if (symbol == index.nse_name) return true;
  }
  return false;
}

}  // namespace

Result<std::string> normalize_symbol(std::string_view text) {
  text = trim(text);
  std::string symbol;
  symbol.reserve(text.size());
  for (char c : text)
    symbol.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (symbol.starts_with('^')) return nse_index_for_yahoo_ticker(symbol);
  if (is_nse_index_name(symbol)) return symbol;
  for (std::string_view prefix : {"NSE:", "BSE:"}) {
    if (symbol.starts_with(prefix)) symbol.erase(0, prefix.size());
  }
  for (std::string_view suffix : {".NS", ".BO", "-EQ"}) {
    if (symbol.size() > suffix.size() && symbol.ends_with(suffix))
      symbol.resize(symbol.size() - suffix.size());
  }
  if (symbol.empty()) return error(ErrorCode::kParseError, "symbol is empty");
  for (char c : symbol) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '&' || c == '-' ||
                         c == '_' || c == '.';
    if (!allowed) {
      return error(ErrorCode::kParseError,
                   fmt::format("'{}' is not a symbol (character '{}')", text, c));
    }
  }
  return symbol;
}

Result<int> parse_zone_offset(std::string_view text) {
  text = trim(text);
  if (iequals(text, "IST") || iequals(text, "Asia/Kolkata") || iequals(text, "Asia/Calcutta")) {
    return kIstOffsetMinutes;
  }
  if (iequals(text, "UTC") || iequals(text, "GMT") || iequals(text, "Z") ||
      iequals(text, "Etc/UTC"))
    return 0;
  if (text.size() >= 5 && (text[0] == '+' || text[0] == '-')) {
    std::string_view rest = text.substr(1);
    std::string digits;
    for (char c : rest) {
      if (c != ':') digits.push_back(c);
    }
    if (digits.size() == 4 && all_digits(digits)) {
      const int hours = (digits[0] - '0') * 10 + (digits[1] - '0');
      const int minutes = (digits[2] - '0') * 10 + (digits[3] - '0');
      if (hours <= 14 && minutes <= 59) return (text[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
    }
  }
  return error(
      ErrorCode::kInvalidArgument,
      fmt::format("'{}' is not a time zone (use IST, UTC or an offset such as +05:30)", text));
}

std::optional<Paise> parse_plain_price(std::string_view text) {
  const char* const end = text.data() + text.size();
  Paise paise = 0;
  // ',' ends no plain number: the whole text must be read.
  if (scan_plain_price(text.data(), end, ',', paise) != end) return std::nullopt;
  return paise;
}

std::optional<Quantity> parse_plain_quantity(std::string_view text) {
  const char* const end = text.data() + text.size();
  Quantity quantity = 0;
  if (scan_plain_quantity(text.data(), end, ',', quantity) != end) return std::nullopt;
  return quantity;
}

std::optional<ParsedTime> parse_plain_time(std::string_view text, int default_offset_minutes) {
  if (text.size() == 10) {
    const std::optional<std::int64_t> days = plain_days(text);
    if (!days) return std::nullopt;
    return ParsedTime{*days * kMsPerDay - std::int64_t{default_offset_minutes} * kMsPerMinute,
                      true};
  }
  if (text.size() < 16 || (text[10] != ' ' && text[10] != 'T')) return std::nullopt;
  return parse_plain_date_time(text.substr(0, 10), text.substr(11), default_offset_minutes);
}

std::optional<ParsedTime> parse_plain_date_time(std::string_view date, std::string_view time,
                                                int default_offset_minutes) {
  const std::optional<std::int64_t> days = plain_days(date);
  if (!days) return std::nullopt;
  const std::optional<std::int64_t> in_day = plain_time_of_day(time);
  if (!in_day) return std::nullopt;
  return ParsedTime{
      *days * kMsPerDay + *in_day - std::int64_t{default_offset_minutes} * kMsPerMinute, false};
}

std::optional<std::int64_t> PlainTimeReader::days(std::string_view date) {
  if (date.size() != last_date_.size()) return std::nullopt;
  if (has_last_ && std::memcmp(date.data(), last_date_.data(), last_date_.size()) == 0) {
    return last_days_;
  }
  const std::optional<std::int64_t> days = plain_days(date);
  if (days) {
    std::memcpy(last_date_.data(), date.data(), last_date_.size());
    last_days_ = *days;
    has_last_ = true;
  }
  return days;
}

std::optional<ParsedTime> PlainTimeReader::time(std::string_view text) {
  if (text.size() == 10) {
    const std::optional<std::int64_t> date = days(text);
    if (!date) return std::nullopt;
    return ParsedTime{*date * kMsPerDay - std::int64_t{offset_} * kMsPerMinute, true};
  }
  if (text.size() < 16 || (text[10] != ' ' && text[10] != 'T')) return std::nullopt;
  return date_time(text.substr(0, 10), text.substr(11));
}

std::optional<ParsedTime> PlainTimeReader::date_time(std::string_view date, std::string_view time) {
  const std::optional<std::int64_t> date_days = days(date);
  if (!date_days) return std::nullopt;
  const std::optional<std::int64_t> in_day = plain_time_of_day(time);
  if (!in_day) return std::nullopt;
  return ParsedTime{*date_days * kMsPerDay + *in_day - std::int64_t{offset_} * kMsPerMinute, false};
}

Result<ParsedPrice> parse_price_text(std::string_view text) {
  if (std::optional<Paise> plain = parse_plain_price(text)) return ParsedPrice{*plain, false};
  std::string scratch;
  const std::string_view cell = without_commas(trim(text), scratch);
  if (cell.empty()) return error(ErrorCode::kParseError, "is empty");
  Result<Paise> exact = parse_rupees(cell, Rounding::kExact);
  if (exact.ok()) return ParsedPrice{*exact, false};
  if (exact.status().message().find("more than two decimal") != std::string::npos) {
    Result<Paise> rounded = parse_rupees(cell, Rounding::kHalfEven);
    if (rounded.ok()) return ParsedPrice{*rounded, true};
    return classify_number_failure(rounded.status());
  }
  return classify_number_failure(exact.status());
}

Result<Quantity> parse_quantity_text(std::string_view text) {
  if (std::optional<Quantity> plain = parse_plain_quantity(text)) return *plain;
  std::string scratch;
  const std::string_view cell = without_commas(trim(text), scratch);
  if (cell.empty()) return error(ErrorCode::kParseError, "is empty");
  if (all_digits(cell) && cell.size() <= 15) {  // the common case, without the decimal machinery
    Quantity value = 0;
    for (char c : cell) value = value * 10 + (c - '0');
    return value;
  }
  // A whole number of units is a multiple of 100 hundredths; parse_rupees reads the decimal
  // exactly.
  Result<Paise> hundredths = parse_rupees(cell, Rounding::kExact);
  if (!hundredths.ok()) {
    const Status failed = hundredths.status();
    const std::string& message = failed.message();
    if (message.find("more than two decimal") != std::string::npos) {
      return error(ErrorCode::kParseError, fmt::format("'{}' is not a whole number", cell));
    }
    // parse_rupees speaks of a rupee amount; a volume is a count, so keep only its reason.
    constexpr std::string_view kRupees = " is not a rupee amount: ";
    const std::size_t at = message.find(kRupees);
    const std::string_view why = at == std::string::npos
                                     ? std::string_view(message)
                                     : std::string_view(message).substr(at + kRupees.size());
    return classify_number_failure(
        Status(failed.code(), fmt::format("'{}' is not a whole number: {}", cell, why)));
  }
  if (*hundredths % 100 != 0)
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a whole number", cell));
  return *hundredths / 100;
}

Result<ParsedTime> parse_time_text(std::string_view text, int default_offset_minutes) {
  if (std::optional<ParsedTime> plain = parse_plain_time(text, default_offset_minutes)) {
    return *plain;
  }
  text = trim(text);
  if (text.empty()) return error(ErrorCode::kParseError, "is empty");
  if (all_digits(text)) {
    if (text.size() >= 9 && text.size() <= 10) {
      std::int64_t seconds = 0;
      for (char c : text) seconds = seconds * 10 + (c - '0');
      return ParsedTime{seconds * kMsPerSecond, false};
    }
    if (text.size() >= 12 && text.size() <= 13) {
      std::int64_t millis = 0;
      for (char c : text) millis = millis * 10 + (c - '0');
      return ParsedTime{millis, false};
    }
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a timestamp", text));
  }
  std::string iso;
  if (rewrite_nse_date(text, iso)) text = iso;
  Result<TimestampMs> ts = parse_timestamp(text, default_offset_minutes);
  if (!ts.ok()) return ts.status();
  return ParsedTime{*ts, text.size() == 10};
}

namespace {

// The first of two one- or two-digit numbers separated by the same '/', '-' or '.' from each other
// and from a four-digit year; then the end of the text or a space or "T" and anything.
struct NumericDate {
  int first = 0;
  int second = 0;
  char separator = '/';
};

std::optional<NumericDate> numeric_date(std::string_view text) {
  std::int64_t first = 0, second = 0, year = 0;
  const size_t first_digits = leading_digits(text, 2, first);
  if (first_digits == 0 || first_digits > 2 || first_digits == text.size()) return std::nullopt;
  const char separator = text[first_digits];
  if (separator != '/' && separator != '-' && separator != '.') return std::nullopt;
  std::string_view rest = text.substr(first_digits + 1);
  const size_t second_digits = leading_digits(rest, 2, second);
  if (second_digits == 0 || second_digits > 2 || second_digits == rest.size() ||
      rest[second_digits] != separator) {
    return std::nullopt;
  }
  rest.remove_prefix(second_digits + 1);
  if (leading_digits(rest, 4, year) != 4) return std::nullopt;
  if (rest.size() > 4 && rest[4] != ' ' && rest[4] != 'T') return std::nullopt;
  return NumericDate{static_cast<int>(first), static_cast<int>(second), separator};
}

// How a directive's digits are read: %Y four, %y two, the others one or two.
size_t min_width(char directive) { return directive == 'Y' ? 4 : directive == 'y' ? 2 : 1; }
size_t max_width(char directive) { return directive == 'Y' ? 4 : 2; }

}  // namespace

Result<DateFormat> parse_date_format(std::string_view text) {
  DateFormat format{std::string(text), false};
  std::string seen;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (i + 1 == text.size()) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("--date-format '{}' ends with a lone %", text));
    }
    const char directive = text[++i];
    if (directive == '%') continue;
    if (std::string_view("dmYyHMS").find(directive) == std::string_view::npos) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("--date-format '{}': %{} is not supported (use %d %m %Y %y %H %M "
                               "%S and %%)",
                               text, directive));
    }
    const bool year = directive == 'Y' || directive == 'y';
    if (seen.find(directive) != std::string::npos ||
        (year && seen.find_first_of("Yy") != std::string::npos)) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("--date-format '{}' gives %{} twice", text, directive));
    }
    seen.push_back(directive);
  }
  const auto has = [&](char directive) { return seen.find(directive) != std::string::npos; };
  if (!has('d') || !has('m') || (!has('Y') && !has('y'))) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("--date-format '{}' needs a day (%d), a month (%m) and a year (%Y or "
                             "%y)",
                             text));
  }
  if ((has('M') && !has('H')) || (has('S') && !has('M'))) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("--date-format '{}': %M needs %H and %S needs %M", text));
  }
  format.has_time = has('H');
  return format;
}

Result<ParsedTime> parse_formatted_time(std::string_view text, const DateFormat& format,
                                        int default_offset_minutes) {
  const std::string_view cell = trim(text);
  const auto does_not_fit = [&]() {
    return error(ErrorCode::kParseError,
                 fmt::format("'{}' does not fit the date format {}", cell, format.text));
  };
  Date date;
  int hour = 0, minute = 0, second = 0;
  size_t pos = 0;
  const std::string_view layout = format.text;
  for (size_t i = 0; i < layout.size(); ++i) {
    const bool directive_here = layout[i] == '%' && i + 1 < layout.size() && layout[i + 1] != '%';
    if (!directive_here) {
      if (pos == cell.size() || cell[pos] != layout[i]) return does_not_fit();
      ++pos;
      if (layout[i] == '%' && i + 1 < layout.size()) ++i;  // "%%" stands for one '%'
      continue;
    }
    const char directive = layout[++i];
    std::int64_t value = 0;
    const size_t digits = leading_digits(cell.substr(pos), max_width(directive), value);
    if (digits < min_width(directive) || digits > max_width(directive)) return does_not_fit();
    pos += digits;
    const int number = static_cast<int>(value);
    switch (directive) {
      case 'd':
        date.day = number;
        break;
      case 'm':
        date.month = number;
        break;
      case 'Y':
        date.year = number;
        break;
      case 'y':
        date.year = number < 69 ? 2000 + number : 1900 + number;
        break;
      case 'H':
        hour = number;
        break;
      case 'M':
        minute = number;
        break;
      default:
        second = number;
        break;
    }
  }
  std::int64_t in_day = 0;
  if (pos < cell.size()) {
    // A layout without %H may be followed by a time of day.
    if (format.has_time || (cell[pos] != ' ' && cell[pos] != 'T')) return does_not_fit();
    const std::optional<std::int64_t> time = plain_time_of_day(cell.substr(pos + 1));
    if (!time) return does_not_fit();
    in_day = *time;
  }
  const bool real_date = date.month >= 1 && date.month <= 12 && date.day >= 1 &&
                         civil_from_days(days_from_civil(date)) == date;
  if (!real_date) {
    return error(ErrorCode::kParseError,
                 fmt::format("'{}' is not a date in the format {}", cell, format.text));
  }
  if (hour > 23 || minute > 59 || second > 60) {
    return error(ErrorCode::kParseError,
                 fmt::format("'{}' is not a time of day in the format {}", cell, format.text));
  }
  if (second == 60) second = 59;  // as parse_timestamp: a leap second is the minute's last second
  if (format.has_time) in_day = hour * kMsPerHour + minute * kMsPerMinute + second * kMsPerSecond;
  const bool date_only = !format.has_time && pos == cell.size();
  return ParsedTime{days_from_civil(date) * kMsPerDay + in_day -
                        std::int64_t{default_offset_minutes} * kMsPerMinute,
                    date_only};
}

bool DateOrderEvidence::has_numeric_date_shape(std::string_view text) {
  return numeric_date(text).has_value();
}

void DateOrderEvidence::add(std::string_view text, std::int64_t line) {
  const std::optional<NumericDate> date = numeric_date(text);
  if (!date) return;
  if (cells_++ == 0) {
    separator_ = date->separator;
    first_text_ = text;
    first_line_ = line;
  }
  // A cell with both numbers above 12 is no date at all; reading it reports it.
  if (date->first > 12 && date->second > 12) return;
  if (date->first > 12 && day_first_text_.empty()) {
    day_first_text_ = text;
    day_first_line_ = line;
  }
  if (date->second > 12 && month_first_text_.empty()) {
    month_first_text_ = text;
    month_first_line_ = line;
  }
}

Result<DateFormat> DateOrderEvidence::layout(std::string_view input) const {
  const std::string day_first = fmt::format("%d{0}%m{0}%Y", separator_);
  const std::string month_first = fmt::format("%m{0}%d{0}%Y", separator_);
  if (!day_first_text_.empty() && !month_first_text_.empty()) {
    return error(
        ErrorCode::kParseError,
        fmt::format("{}: dates are day-first on line {} ('{}') but month-first on line "
                    "{} ('{}'); name the layout with --date-format",
                    input, day_first_line_, day_first_text_, month_first_line_, month_first_text_));
  }
  if (!day_first_text_.empty()) return DateFormat{day_first, false};
  if (!month_first_text_.empty()) return DateFormat{month_first, false};
  return error(ErrorCode::kParseError,
               fmt::format("{}: dates such as '{}' (line {}) may be day-first or month-first and "
                           "no number in them is above 12; pass --date-format {} (day first) or "
                           "--date-format {} (month first)",
                           input, first_text_, first_line_, day_first, month_first));
}

std::string column_key(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) key.push_back(static_cast<char>(std::tolower(u)));
  }
  return key;
}

Result<TimestampMs> parse_range_start(std::string_view text) {
  if (text.empty()) return std::numeric_limits<TimestampMs>::min();
  Result<ParsedTime> parsed = parse_time_text(text, kIstOffsetMinutes);
  if (!parsed.ok()) return Status(ErrorCode::kInvalidArgument, parsed.status().message());
  return parsed->ts;
}

Result<TimestampMs> parse_range_end(std::string_view text) {
  if (text.empty()) return std::numeric_limits<TimestampMs>::max();
  Result<ParsedTime> parsed = parse_time_text(text, kIstOffsetMinutes);
  if (!parsed.ok()) return Status(ErrorCode::kInvalidArgument, parsed.status().message());
  return parsed->date_only ? parsed->ts + kMsPerDay : parsed->ts;
}

}  // namespace sm::ingest
