// donchian: the channel breakout. Long when the close is strictly above the highest high of the
// `entry_bars` bars BEFORE this one; out when the close is strictly below the lowest low of the
// `exit_bars` bars before this one. With entry_bars = 20 and exit_bars = 10 this is the classic
// 20/10 breakout (the reference breakout_20_10 rule). Prices are compared exactly in paise.
// The rule is in a header so that the backtest engine can inline its step (strategy.h,
// RuleStrategy).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "strategy/indicators.h"
#include "strategy/params.h"
#include "strategy/strategy.h"

namespace sm::strategy {

class DonchianRule {
 public:
  static constexpr std::string_view kName = "donchian";

  explicit DonchianRule(const Params& params);

  Choice step(const PriceBar& bar, const PositionView& position) {
    std::optional<Paise> high = highs_.update(bar.high);
    std::optional<Paise> low = lows_.update(bar.low);
    if (position.order_pending) return {};
    Choice choice;
    if (position.qty == 0 && high && bar.close > *high) {
      // The stop reported with the entry is today's exit level; the exit level then follows the
      // channel's low.
      choice.action = Action::kEnterLong;
      choice.stop = low.value_or(0);
      choice.level = *high;
    } else if (position.qty > 0 && low && bar.close < *low) {
      choice.action = Action::kExitLong;
      choice.level = *low;
    }
    return choice;
  }

  std::string describe(const Choice& choice, const PriceBar& bar) const;
  nlohmann::json save() const;
  Status restore(const nlohmann::json& saved);

 private:
  using HighestBeforePaise = PriorExtreme<Paise, Extreme::kHighest>;
  using LowestBeforePaise = PriorExtreme<Paise, Extreme::kLowest>;

  int entry_bars_;
  int exit_bars_;
  HighestBeforePaise highs_;
  LowestBeforePaise lows_;
};

}  // namespace sm::strategy
