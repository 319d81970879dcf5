// Position sizing: how many whole shares an entry buys. Money is integer paise; fractions are
// rounded to millionths (ppm) before use so that the result is exact and platform-independent
// (0.29 * capital in binary floating point can fall just short of the intended paisa).
// Every result is floored to whole shares; none ever rounds up into more risk or money.
#pragma once

#include <cstdint>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "strategy/params.h"

namespace sm::strategy {

// Shares such that (entry - stop) * shares <= capital * risk_fraction, and also
// entry * shares <= capital (no leverage), floored. Zero capital gives 0.
// Fails with kInvalidArgument when entry <= 0, stop <= 0 (no stop), stop >= entry, capital < 0,
// or risk_fraction is not in (0, 1].
Result<Quantity> size_for_risk(Paise capital, double risk_fraction, Paise entry, Paise stop);

// floor(value / entry). Fails with kInvalidArgument when entry <= 0 or value < 0.
Result<Quantity> size_for_value(Paise value, Paise entry);

// floor(capital * fraction) for fraction in [0, 1] (rounded to millionths); 0 for capital <= 0.
Paise capital_slice(Paise capital, double fraction);

enum class SizingMethod { kFixedQuantity, kFixedValue, kRisk };

// How one strategy instance sizes its entries, from the sizing parameters every strategy takes:
//   sizing            fixed_qty | fixed_value | risk (default fixed_qty)
//   qty               shares, for fixed_qty
//   value             rupees per entry, for fixed_value
//   risk_fraction     of the instance's capital lost if the stop is hit, for risk
//   capital_fraction  the instance's slice of the capital the caller reports (canary: 0.05), for
//                     fixed_value and risk
struct SizingRule {
  SizingMethod method = SizingMethod::kFixedQuantity;
  Quantity quantity = 1;
  Paise value = 0;
  double risk_fraction = 0.01;
  double capital_fraction = 1.0;
};

// The declarations of the sizing parameters above (appended to every strategy's own).
std::vector<ParamSpec> sizing_param_specs();

// Reads the sizing parameters. Fails with kInvalidArgument when a parameter is given that the
// chosen method does not use (e.g. qty with sizing=risk), or fixed_value is chosen without value.
Result<SizingRule> sizing_from_params(const Params& params, std::string_view owner);

// Shares for an entry at `entry` with protective stop `stop` (0 = none) when the caller reports
// `capital` for the instance's account:
//   fixed_qty: quantity, whatever the capital;
//   fixed_value: size_for_value(min(value, slice), entry);
//   risk: size_for_risk(slice, risk_fraction, entry, stop);
// where slice = capital_slice(capital, capital_fraction). Errors as for those functions.
Result<Quantity> size_entry(const SizingRule& rule, Paise capital, Paise entry, Paise stop);

}  // namespace sm::strategy
