#include "strategy/rsi_reversion.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {

using nlohmann::json;

RsiReversionRule::RsiReversionRule(const Params& params)
    : period_(static_cast<int>(params.integer("period"))),
      entry_below_(params.number("entry_below")),
      exit_above_(params.number("exit_above")),
      atr_period_(static_cast<int>(params.integer("atr_period"))),
      atr_multiple_(params.number("stop_atr_multiple")),
      rsi_(period_),
      atr_(atr_period_) {}

std::string RsiReversionRule::describe(const Choice& choice, const PriceBar& bar) const {
  const double rsi = previous_rsi_.value_or(0);
  if (choice.action == Action::kExitLong) {
    if (choice.why == kAtStop) {
      return fmt::format("close {} at or below the stop {}", format_rupees(bar.close),
                         format_rupees(choice.level));
    }
    return fmt::format("rsi({}) {:.2f} above {}", period_, rsi, exit_above_);
  }
  if (choice.action == Action::kHold && choice.why != kNoAtr) return {};
  std::string reason = fmt::format("rsi({}) {:.2f} crossed below {}", period_, rsi, entry_below_);
  if (choice.why == kNoAtr) reason += ", but ATR is not known yet: no stop, no entry";
  return reason;
}

json RsiReversionRule::save() const {
  return json{{"rsi", rsi_.save()},
              {"atr", atr_.save()},
              {"previous_rsi", state::optional_json(previous_rsi_)},
              {"stop", stop_}};
}

Status RsiReversionRule::restore(const json& saved) {
  Rsi rsi(period_);
  Atr atr(atr_period_);
  std::optional<double> previous_rsi;
  Paise stop = 0;
  Status inner;
  SM_RETURN_IF_ERROR(state::restore_guarded("rsi-reversion", [&] {
    previous_rsi = state::get_optional_number(saved, "previous_rsi");
    stop = state::get_integer(saved, "stop", 0, kMaxAbsPaise);
    inner = rsi.restore(state::field(saved, "rsi"));
    if (inner.ok()) inner = atr.restore(state::field(saved, "atr"));
  }));
  SM_RETURN_IF_ERROR(inner);
  rsi_ = rsi;
  atr_ = atr;
  previous_rsi_ = previous_rsi;
  stop_ = stop;
  return Status();
}

template <>
json RuleStrategy<RsiReversionRule>::save_rule() const {
  return rule_.save();
}

template <>
Status RuleStrategy<RsiReversionRule>::restore_rule(const json& state) {
  return rule_.restore(state);
}

namespace {

Status check(const Params& params) {
  if (params.number("exit_above") <= params.number("entry_below")) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("rsi-reversion: parameter 'exit_above' ({}) must be greater than "
                             "'entry_below' ({})",
                             params.number("exit_above"), params.number("entry_below")));
  }
  return Status();
}

}  // namespace

StrategyInfo rsi_reversion_info() {
  StrategyInfo info;
  info.name = std::string(RsiReversionRule::kName);
  info.summary =
      "long when RSI crosses below entry_below, exit when it rises above exit_above (or at an "
      "optional ATR stop)";
  info.params = {
      integer_param("period", 14, 2, 1000, "bars in the RSI (Wilder)"),
      number_param("entry_below", 30.0, 0, 100, "enter when RSI crosses below this level",
                   Bound::kAbove),
      number_param("exit_above", 50.0, 0, 100,
                   "exit when RSI rises above this level; must be greater than entry_below",
                   Bound::kAbove),
      number_param("stop_atr_multiple", 0.0, 0, 20,
                   "stop distance below the entry close in ATRs; 0 = no stop"),
      integer_param("atr_period", 14, 1, 1000, "bars in the ATR (Wilder) used for the stop"),
  };
  info.check = check;
  info.gives_stop = [](const Params& params) { return params.number("stop_atr_multiple") > 0; };
  info.make = [](StrategyConfig config) -> std::unique_ptr<Strategy> {
    return std::make_unique<RuleStrategy<RsiReversionRule>>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
