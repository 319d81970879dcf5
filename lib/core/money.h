// Exact money. Prices and cash are integer paise (1 rupee = 100 paise) held in an int64; they are
// never stored or summed as binary floating point. Quantities are whole shares (int64).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sm {

using Paise = std::int64_t;
using Quantity = std::int64_t;

inline constexpr Paise kPaisePerRupee = 100;
// Largest magnitude accepted from text: 10^13 rupees. Anything bigger is a data error, and the
// bound keeps price * quantity products of sane sizes far from int64 overflow.
inline constexpr Paise kMaxAbsPaise = 1'000'000'000'000'000;

enum class Rounding {
  kExact,     // more than two decimals (other than trailing zeros) is an error
  kHalfEven,  // banker's rounding, for broker-computed averages such as 1234.5625
  kHalfAwayFromZero,
};

// Parses a decimal rupee amount such as "1234.5", "-0.05", "1222.00", "+7", "1.5e3" exactly.
// Fails with kParseError on empty text, stray characters, NaN/Inf, more than 2 significant decimals
// under kExact, or a magnitude above kMaxAbsPaise.
Result<Paise> parse_rupees(std::string_view text, Rounding rounding = Rounding::kExact);

// The general form: parses a decimal into an integer count of 10^-decimals units, e.g. with
// decimals = 7 "0.00307" -> 30700. Fails on magnitudes of 10^18 units or more.
Result<std::int64_t> parse_fixed_point(std::string_view text, int decimals,
                                       Rounding rounding = Rounding::kExact);

// Formats paise as a rupee decimal with exactly two decimals: 123450 -> "1234.50", -5 -> "-0.05".
std::string format_rupees(Paise amount);
// The same text appended to out, without a temporary string.
void append_rupees(std::string& out, Paise amount);
// The same with Indian digit grouping, for people: the last three digits of the rupees, then pairs
// (12345678 -> "1,23,456.78", -1234567 -> "-12,345.67"). Machine output keeps format_rupees.
std::string format_rupees_grouped(Paise amount);

// Converts a double that was parsed from a decimal with at most two decimals (e.g. an already
// decoded JSON number) to paise. Fails if it is not finite, out of range, or not within 1e-6 paise
// of a whole paisa (use parse_rupees on the text where the text is available).
Result<Paise> paise_from_double(double rupees);

// Paise as a double in rupees, for indicators and display only.
inline double to_rupees(Paise amount) { return static_cast<double>(amount) / kPaisePerRupee; }

enum class TickRounding { kNearest, kDown, kUp };

// Rounds a price to a multiple of tick_paise (e.g. 5 for 0.05). REQUIRES: tick_paise > 0.
// kNearest rounds halves up (towards +infinity), matching how brokers round limit prices.
Paise round_to_tick(Paise price, Paise tick_paise, TickRounding mode = TickRounding::kNearest);

// NSE cash-market tick: 0.01 below 250 rupees, 0.05 at 250 and above (since 2024-06-10).
Paise nse_tick_for(Paise price);

// Multiplies a price by a quantity, failing with kInvalidArgument on int64 overflow.
Result<Paise> notional(Paise price, Quantity quantity);

// price * bps / 10000, rounded half away from zero to a whole paisa.
Paise apply_bps(Paise amount, std::int64_t basis_points);

// Exact integer arithmetic for money: a price times a quantity times a rate overflows 64 bits long
// before it overflows 128, so products are formed in Int128 and only the result is narrowed.
// GCC/Clang's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ using Int128 = __int128;

// value clamped to the int64 range.
std::int64_t saturate(Int128 value);

// numerator / denominator rounded to the nearest integer, an exact half to the even neighbour
// (banker's rounding: no bias over many averages). REQUIRES: denominator > 0.
Int128 divide_half_even(Int128 numerator, Int128 denominator);

// numerator / denominator rounded to the nearest integer, an exact half away from zero (half up
// for non-negative values). REQUIRES: denominator != 0.
Int128 divide_half_away_from_zero(Int128 numerator, Int128 denominator);

// total / count rounded half-even, 0 when count <= 0: the average price of several fills, a mean
// of daily figures.
std::int64_t mean_half_even(std::int64_t total, std::int64_t count);

enum class DivideRounding { kTowardZero, kHalfEven, kHalfAwayFromZero };

// amount * multiplier / divisor with the product exact in 128 bits, rounded as asked and saturated
// to int64: paise scaled by a quantity ratio (cost * closed / held) or by a rate (amount * parts /
// parts per whole). REQUIRES: divisor > 0.
std::int64_t multiply_divide(std::int64_t amount, std::int64_t multiplier, std::int64_t divisor,
                             DivideRounding rounding);

}  // namespace sm
