#include "core/money.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sm {
namespace {

Status parse_failure(std::string_view text, std::string_view why) {
  return error(ErrorCode::kParseError, fmt::format("'{}' is not a rupee amount: {}", text, why));
}

}  // namespace

namespace {

// A decimal number as sign, digits * 10^exponent, the digits without leading zeros.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

// Reads an exponent such as "e-3" from text[i]. REQUIRES: text[i] is 'e' or 'E'.
Result<int> scan_exponent(std::string_view text, size_t i, std::string_view original) {
  ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  if (i == text.size()) return parse_failure(original, "empty exponent");
  int value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return parse_failure(original, "unexpected character");
    if (value > 1000) return parse_failure(original, "exponent out of range");
    value = value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

// Reads text (blanks around it allowed) as an exact decimal.
Result<Decimal> scan_decimal(std::string_view text) {
  const std::string_view original = text;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return parse_failure(original, "empty");

  Decimal decimal;
  if (text.front() == '+' || text.front() == '-') {
    decimal.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  bool seen_point = false;
  bool seen_digit = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
      if (decimal.digits.empty() && c == '0') {
        if (seen_point) --decimal.exponent;
        continue;
      }
      if (decimal.digits.size() > 40) return parse_failure(original, "too many digits");
      decimal.digits.push_back(c);
      if (seen_point) --decimal.exponent;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return parse_failure(original, "no digits");
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return parse_failure(original, "unexpected character");
    Result<int> exponent = scan_exponent(text, i, original);
    if (!exponent.ok()) return exponent.status();
    decimal.exponent += *exponent;
  }
  return decimal;
}

// The decimal as a count of 10^-decimals units, rounding what falls below one unit as asked.
Result<std::int64_t> to_units(Decimal decimal, int decimals, Rounding rounding,
                              std::string_view original) {
  std::string& digits = decimal.digits;
  if (digits.empty()) return std::int64_t{0};
  // value = digits * 10^scale units.
  int scale = decimal.exponent + decimals;
  // Drop trailing zeros that fall below a unit.
  while (scale < 0 && !digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++scale;
  }
  if (static_cast<int>(digits.size()) + scale > 18) return parse_failure(original, "too large");

  std::string kept = digits;
  std::string dropped;
  if (scale < 0) {
    const size_t drop = static_cast<size_t>(-scale);
    if (drop >= kept.size()) {
      dropped = std::string(drop - kept.size(), '0') + kept;
      kept.clear();
    } else {
      dropped = kept.substr(kept.size() - drop);
      kept.resize(kept.size() - drop);
    }
    scale = 0;
  }
  std::int64_t magnitude = 0;
  for (char c : kept) magnitude = magnitude * 10 + (c - '0');
  for (int s = 0; s < scale; ++s) magnitude *= 10;

  if (!dropped.empty()) {
    if (rounding == Rounding::kExact) {
      return parse_failure(original, decimals == 2
                                         ? "more than two decimal places"
                                         : fmt::format("more than {} decimal places", decimals));
    }
    const bool above_half =
        dropped[0] > '5' ||
        (dropped[0] == '5' && dropped.find_first_not_of('0', 1) != std::string::npos);
    const bool exactly_half =
        dropped[0] == '5' && dropped.find_first_not_of('0', 1) == std::string::npos;
    if (above_half ||
        (exactly_half && (rounding == Rounding::kHalfAwayFromZero || magnitude % 2 == 1))) {
      ++magnitude;
    }
  }
  return decimal.negative ? -magnitude : magnitude;
}

}  // namespace

Result<std::int64_t> parse_fixed_point(std::string_view text, int decimals, Rounding rounding) {
  Result<Decimal> decimal = scan_decimal(text);
  if (!decimal.ok()) return decimal.status();
  return to_units(std::move(*decimal), decimals, rounding, text);
}

Result<Paise> parse_rupees(std::string_view text, Rounding rounding) {
  Result<std::int64_t> paise = parse_fixed_point(text, 2, rounding);
  if (paise.ok() && (*paise > kMaxAbsPaise || *paise < -kMaxAbsPaise)) {
    return parse_failure(text, "too large");
  }
  return paise;
}

void append_rupees(std::string& out, Paise amount) {
  const bool negative = amount < 0;
  // Work in unsigned so INT64_MIN cannot overflow.
  const unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(amount)
                                                : static_cast<unsigned long long>(amount);
  char text[32];
  char* end = fmt::format_to(text, FMT_COMPILE("{}{}.{:02}"), negative ? "-" : "", magnitude / 100,
                             magnitude % 100);
  out.append(text, end);
}

std::string format_rupees(Paise amount) {
  std::string text;
  append_rupees(text, amount);
  return text;
}

std::string format_rupees_grouped(Paise amount) {
  const std::string plain = format_rupees(amount);
  const std::size_t digits_from = plain.front() == '-' ? 1 : 0;
  const std::size_t dot = plain.find('.');
  std::string grouped = plain.substr(0, digits_from);
  for (std::size_t i = digits_from; i < dot; ++i) {
    grouped += plain[i];
    const std::size_t left = dot - i - 1;  // digits still to come before the point
    if (left == 3 || (left > 3 && (left - 3) % 2 == 0)) grouped += ',';
  }
  return grouped + plain.substr(dot);
}

Result<Paise> paise_from_double(double rupees) {
  if (!std::isfinite(rupees)) return error(ErrorCode::kParseError, "amount is not a finite number");
  const double scaled = rupees * 100.0;
  if (std::fabs(scaled) > static_cast<double>(kMaxAbsPaise)) {
    return error(ErrorCode::kParseError, fmt::format("amount {} is too large", rupees));
  }
  const double nearest = std::nearbyint(scaled);
  if (std::fabs(scaled - nearest) > 1e-6 * std::max(1.0, std::fabs(scaled) / 1e9)) {
    return error(ErrorCode::kParseError,
                 fmt::format("amount {} has more than two decimal places", rupees));
  }
  return static_cast<Paise>(nearest);
}

Paise round_to_tick(Paise price, Paise tick_paise, TickRounding mode) {
  assert(tick_paise > 0);
  Paise floor = price / tick_paise * tick_paise;
  if (floor > price) floor -= tick_paise;  // C++ division truncates towards zero
  if (floor == price) return price;
  switch (mode) {
    case TickRounding::kDown:
      return floor;
    case TickRounding::kUp:
      return floor + tick_paise;
    case TickRounding::kNearest:
      return (price - floor) * 2 >= tick_paise ? floor + tick_paise : floor;
  }
  return floor;
}

Paise nse_tick_for(Paise price) { return price < 250 * kPaisePerRupee ? 1 : 5; }

Result<Paise> notional(Paise price, Quantity quantity) {
  Paise product = 0;
  if (__builtin_mul_overflow(price, quantity, &product)) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} x {} overflows", format_rupees(price), quantity));
  }
  return product;
}

Paise apply_bps(Paise amount, std::int64_t basis_points) {
  return multiply_divide(amount, basis_points, 10'000, DivideRounding::kHalfAwayFromZero);
}

std::int64_t saturate(Int128 value) {
  constexpr Int128 kMax = std::numeric_limits<std::int64_t>::max();
  constexpr Int128 kMin = std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(std::clamp(value, kMin, kMax));
}

Int128 divide_half_even(Int128 numerator, Int128 denominator) {
  assert(denominator > 0);
  // Floor division first, so the remainder is in [0, denominator) whatever the sign.
  Int128 quotient = numerator / denominator;
  Int128 remainder = numerator % denominator;
  if (remainder < 0) {
    remainder += denominator;
    --quotient;
  }
  const Int128 twice = remainder * 2;
  if (twice > denominator || (twice == denominator && quotient % 2 != 0)) ++quotient;
  return quotient;
}

Int128 divide_half_away_from_zero(Int128 numerator, Int128 denominator) {
  assert(denominator != 0);
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const Int128 quotient = numerator / denominator;
  const Int128 remainder = numerator % denominator;
  const Int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
  if (twice >= denominator) return numerator < 0 ? quotient - 1 : quotient + 1;
  return quotient;
}

std::int64_t mean_half_even(std::int64_t total, std::int64_t count) {
  if (count <= 0) return 0;
  // divide_half_even in 64 bits (a backtest takes a mean on every buy; the 128-bit division was
  // a library call): with count > 0 neither the quotient nor its rounding leaves the int64 range,
  // and the remainder's half is compared as rest > count - rest so that nothing is doubled.
  std::int64_t quotient = total / count;
  std::int64_t remainder = total % count;
  if (remainder < 0) {
    remainder += count;
    --quotient;
  }
  const std::int64_t rest = count - remainder;
  if (remainder > rest || (remainder == rest && quotient % 2 != 0)) ++quotient;
  return quotient;
}

std::int64_t multiply_divide(std::int64_t amount, std::int64_t multiplier, std::int64_t divisor,
                             DivideRounding rounding) {
  assert(divisor > 0);
  const Int128 product = Int128{amount} * multiplier;
  switch (rounding) {
    case DivideRounding::kTowardZero:
      return saturate(product / divisor);
    case DivideRounding::kHalfEven:
      return saturate(divide_half_even(product, divisor));
    case DivideRounding::kHalfAwayFromZero:
      return saturate(divide_half_away_from_zero(product, divisor));
  }
  return saturate(product / divisor);
}

}  // namespace sm
