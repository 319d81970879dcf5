// donchian: the channel breakout. Long when the close is strictly above the highest high of the
// `entry_bars` bars BEFORE this one; out when the close is strictly below the lowest low of the
// `exit_bars` bars before this one. With entry_bars = 20 and exit_bars = 10 this is the classic
// 20/10 breakout (the reference breakout_20_10 rule). Prices are compared exactly in paise.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strategy/indicators.h"
#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {
namespace {

using nlohmann::json;

using HighestBeforePaise = PriorExtreme<Paise, Extreme::kHighest>;
using LowestBeforePaise = PriorExtreme<Paise, Extreme::kLowest>;

class Donchian final : public Strategy {
 public:
  explicit Donchian(StrategyConfig config)
      : Strategy(std::move(config)),
        entry_bars_(static_cast<int>(params().integer("entry_bars"))),
        exit_bars_(static_cast<int>(params().integer("exit_bars"))),
        highs_(entry_bars_),
        lows_(exit_bars_) {}

 protected:
  Decision evaluate(const Bar& bar, const PositionView& position) override {
    std::optional<Paise> high = highs_.update(bar.high);
    std::optional<Paise> low = lows_.update(bar.low);
    if (position.order_pending) return {};
    if (position.qty == 0 && high && bar.close > *high) {
      // The stop reported with the entry is today's exit level; the exit level then follows the
      // channel's low.
      return Decision::enter_long(low.value_or(0), fmt::format("close {} above the {}-bar high {}",
                                                               format_rupees(bar.close),
                                                               entry_bars_, format_rupees(*high)));
    }
    if (position.qty > 0 && low && bar.close < *low) {
      return Decision::exit_long(fmt::format("close {} below the {}-bar low {}",
                                             format_rupees(bar.close), exit_bars_,
                                             format_rupees(*low)));
    }
    return {};
  }

  json save_rule() const override { return json{{"highs", highs_.save()}, {"lows", lows_.save()}}; }

  Status restore_rule(const json& saved) override {
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

 private:
  int entry_bars_;
  int exit_bars_;
  HighestBeforePaise highs_;
  LowestBeforePaise lows_;
};

}  // namespace

StrategyInfo donchian_info() {
  StrategyInfo info;
  info.name = "donchian";
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
    return std::make_unique<Donchian>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
