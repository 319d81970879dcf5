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

}  // namespace sm
