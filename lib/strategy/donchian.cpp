#include "strategy/donchian.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {

using nlohmann::json;

DonchianRule::DonchianRule(const Params& params)
    : entry_bars_(static_cast<int>(params.integer("entry_bars"))),
      exit_bars_(static_cast<int>(params.integer("exit_bars"))),
      highs_(entry_bars_),
      lows_(exit_bars_) {}

std::string DonchianRule::describe(const Choice& choice, const PriceBar& bar) const {
  switch (choice.action) {
    case Action::kEnterLong:
      return fmt::format("close {} above the {}-bar high {}", format_rupees(bar.close), entry_bars_,
                         format_rupees(choice.level));
    case Action::kExitLong:
      return fmt::format("close {} below the {}-bar low {}", format_rupees(bar.close), exit_bars_,
                         format_rupees(choice.level));
    case Action::kHold:
      break;
  }
  return {};
}

json DonchianRule::save() const { return json{{"highs", highs_.save()}, {"lows", lows_.save()}}; }

Status DonchianRule::restore(const json& saved) {
  HighestBeforePaise highs(entry_bars_);
  LowestBeforePaise lows(exit_bars_);
  Status inner;
  SM_RETURN_IF_ERROR(state::restore_guarded("donchian", [&] {
    inner = highs.restore(state::field(saved, "highs"));
    if (inner.ok()) inner = lows.restore(state::field(saved, "lows"));
  }));
  SM_RETURN_IF_ERROR(inner);
  highs_ = std::move(highs);
  lows_ = std::move(lows);
  return Status();
}

template <>
json RuleStrategy<DonchianRule>::save_rule() const {
  return rule_.save();
}

template <>
Status RuleStrategy<DonchianRule>::restore_rule(const json& state) {
  return rule_.restore(state);
}

StrategyInfo donchian_info() {
  StrategyInfo info;
  info.name = std::string(DonchianRule::kName);
  info.summary =
      "long when the close breaks above the high of the previous entry_bars bars, exit when it "
      "breaks below the low of the previous exit_bars bars";
  info.params = {
      integer_param(
          "entry_bars", 20, 1, 1000,
          "bars before the current one whose highest high the close must exceed to enter"),
      integer_param(
          "exit_bars", 10, 1, 1000,
          "bars before the current one whose lowest low the close must fall below to exit"),
  };
  info.gives_stop = [](const Params&) { return true; };
  info.make = [](StrategyConfig config) -> std::unique_ptr<Strategy> {
    return std::make_unique<RuleStrategy<DonchianRule>>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
