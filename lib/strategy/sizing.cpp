#include "strategy/sizing.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace sm::strategy {
namespace {

constexpr std::int64_t kPpm = 1'000'000;

std::int64_t to_ppm(double fraction) { return std::llround(fraction * static_cast<double>(kPpm)); }

Paise slice(Paise capital, std::int64_t ppm) {
  if (capital <= 0 || ppm <= 0) return 0;
  // The product is exact in 128 bits for any capital up to kMaxAbsPaise.
  return multiply_divide(capital, ppm, kPpm, DivideRounding::kTowardZero);
}

Status invalid(std::string message) {
  return error(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

Result<Quantity> size_for_risk(Paise capital, double risk_fraction, Paise entry, Paise stop) {
  if (entry <= 0)
    return invalid("risk sizing: entry price " + format_rupees(entry) + " is not positive");
  if (stop <= 0) return invalid("risk sizing needs a stop price; there is none");
  if (stop >= entry) {
    return invalid("risk sizing: stop " + format_rupees(stop) + " is not below entry " +
                   format_rupees(entry));
  }
  if (capital < 0)
    return invalid("risk sizing: capital " + format_rupees(capital) + " is negative");
  if (!(risk_fraction > 0 && risk_fraction <= 1)) {
    return invalid(fmt::format("risk sizing: risk fraction {} is not in (0, 1]", risk_fraction));
  }
  Paise budget = slice(capital, to_ppm(risk_fraction));
  Quantity by_risk = budget / (entry - stop);
  Quantity by_capital = capital / entry;
  return std::min(by_risk, by_capital);
}

Result<Quantity> size_for_value(Paise value, Paise entry) {
  if (entry <= 0)
    return invalid("value sizing: entry price " + format_rupees(entry) + " is not positive");
  if (value < 0) return invalid("value sizing: value " + format_rupees(value) + " is negative");
  return value / entry;
}

Paise capital_slice(Paise capital, double fraction) {
  if (!(fraction > 0)) return 0;
  return slice(capital, to_ppm(std::min(fraction, 1.0)));
}

std::vector<ParamSpec> sizing_param_specs() {
  return {
      choice_param("sizing", "fixed_qty", {"fixed_qty", "fixed_value", "risk"},
                   "how entries are sized"),
      integer_param("qty", 1, 1, 10'000'000, "shares per entry (sizing=fixed_qty)"),
      rupees_param("value", 0, 0.01, 1e11,
                   "rupees per entry, capped by the capital slice (sizing=fixed_value)"),
      number_param("risk_fraction", 0.01, 0, 1,
                   "fraction of the capital slice lost if the stop is hit (sizing=risk)",
                   Bound::kAbove),
      number_param("capital_fraction", 1.0, 0, 1,
                   "the instance's slice of the reported capital, e.g. 0.05 for a canary "
                   "(sizing=fixed_value or risk)",
                   Bound::kAbove),
  };
}

Result<SizingRule> sizing_from_params(const Params& params, std::string_view owner) {
  SizingRule rule;
  const std::string& method = params.choice("sizing");
  rule.method = method == "fixed_value" ? SizingMethod::kFixedValue
                : method == "risk"      ? SizingMethod::kRisk
                                        : SizingMethod::kFixedQuantity;
  auto unused = [&](std::string_view name) -> Status {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: parameter '{}' does not apply with sizing={}", owner, name, method));
  };
  if (params.given("qty") && rule.method != SizingMethod::kFixedQuantity) return unused("qty");
  if (params.given("value") && rule.method != SizingMethod::kFixedValue) return unused("value");
  if (params.given("risk_fraction") && rule.method != SizingMethod::kRisk) {
    return unused("risk_fraction");
  }
  if (params.given("capital_fraction") && rule.method == SizingMethod::kFixedQuantity) {
    return unused("capital_fraction");
  }
  if (rule.method == SizingMethod::kFixedValue && !params.given("value")) {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: sizing=fixed_value needs parameter 'value' (rupees per entry)", owner));
  }
  rule.quantity = params.integer("qty");
  rule.value = params.rupees("value");
  rule.risk_fraction = params.number("risk_fraction");
  rule.capital_fraction = params.number("capital_fraction");
  return rule;
}

Result<Quantity> size_entry(const SizingRule& rule, Paise capital, Paise entry, Paise stop) {
  switch (rule.method) {
    case SizingMethod::kFixedQuantity:
      return rule.quantity;
    case SizingMethod::kFixedValue:
      return size_for_value(std::min(rule.value, capital_slice(capital, rule.capital_fraction)),
                            entry);
    case SizingMethod::kRisk:
      return size_for_risk(capital_slice(capital, rule.capital_fraction), rule.risk_fraction, entry,
                           stop);
  }
  return error(ErrorCode::kInternal, "unhandled sizing method");
}

}  // namespace sm::strategy
