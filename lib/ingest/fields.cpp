#include "ingest/fields.h"

#include <fmt/format.h>
#include <array>
#include <cctype>

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

}  // namespace

Result<std::string> normalize_symbol(std::string_view text) {
  text = trim(text);
  std::string symbol;
  symbol.reserve(text.size());
  for (char c : text)
    symbol.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
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

Result<ParsedPrice> parse_price_text(std::string_view text) {
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
    if (hundredths.status().message().find("more than two decimal") != std::string::npos) {
      return error(ErrorCode::kParseError, fmt::format("'{}' is not a whole number", cell));
    }
    return classify_number_failure(hundredths.status());
  }
  if (*hundredths % 100 != 0)
    return error(ErrorCode::kParseError, fmt::format("'{}' is not a whole number", cell));
  return *hundredths / 100;
}

Result<ParsedTime> parse_time_text(std::string_view text, int default_offset_minutes) {
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

std::string column_key(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) key.push_back(static_cast<char>(std::tolower(u)));
  }
  return key;
}

}  // namespace sm::ingest
