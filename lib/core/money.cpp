#include "core/money.h"

#include <fmt/format.h>
#include <cmath>
#include <cstdlib>

namespace sm {
namespace {

Status parse_failure(std::string_view text, std::string_view why) {
  return error(ErrorCode::kParseError, fmt::format("'{}' is not a rupee amount: {}", text, why));
}

}  // namespace

Result<std::int64_t> parse_fixed_point(std::string_view text, int decimals, Rounding rounding) {
  const std::string_view original = text;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return parse_failure(original, "empty");

  bool negative = false;
  if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }

  // Collect the digits as an exact decimal: digits * 10^(exponent).
  std::string digits;
  int exponent = 0;
  bool seen_point = false;
  bool seen_digit = false;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
      if (digits.empty() && c == '0') {
        if (seen_point) --exponent;
        continue;
      }
      if (digits.size() > 40) return parse_failure(original, "too many digits");
      digits.push_back(c);
      if (seen_point) --exponent;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return parse_failure(original, "no digits");
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return parse_failure(original, "unexpected character");
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i == text.size()) return parse_failure(original, "empty exponent");
    int exp_value = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return parse_failure(original, "unexpected character");
      if (exp_value > 1000) return parse_failure(original, "exponent out of range");
      exp_value = exp_value * 10 + (text[i] - '0');
    }
    exponent += exp_negative ? -exp_value : exp_value;
  }
  if (digits.empty()) return Paise{0};

  // Scale to the unit: value = digits * 10^(exponent + decimals).
  int scale = exponent + decimals;
  // Drop trailing zeros that fall below a paisa.
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
  Paise magnitude = 0;
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
  return negative ? -magnitude : magnitude;
}

Result<Paise> parse_rupees(std::string_view text, Rounding rounding) {
  Result<std::int64_t> paise = parse_fixed_point(text, 2, rounding);
  if (paise.ok() && (*paise > kMaxAbsPaise || *paise < -kMaxAbsPaise)) {
    return parse_failure(text, "too large");
  }
  return paise;
}

std::string format_rupees(Paise amount) {
  const bool negative = amount < 0;
  // Work in unsigned so INT64_MIN cannot overflow.
  const unsigned long long magnitude = negative ? 0ULL - static_cast<unsigned long long>(amount)
                                                : static_cast<unsigned long long>(amount);
  return fmt::format("{}{}.{:02}", negative ? "-" : "", magnitude / 100, magnitude % 100);
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
  __extension__ typedef __int128 Wide;  // amount * bps can exceed int64 for large amounts
  const Wide product = static_cast<Wide>(amount) * basis_points;
  const Wide rounded = product >= 0 ? (product + 5000) / 10000 : (product - 5000) / 10000;
  return static_cast<Paise>(rounded);
}

}  // namespace sm
