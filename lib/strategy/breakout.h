// breakout: the swing-high breakout from the design. A swing high is a bar whose high is strictly
// above the highs of the `swing_strength` bars before it and not below the highs of the
// `swing_strength` bars after it (so the first bar of a flat top counts); it is known only once
// those later bars exist. The most recent swing high no older than `swing_lookback` bars is the
// level to beat: flat and close strictly above it -> enter, with a stop `stop_atr_multiple` ATRs
// below the close (rounded down to the tick). Each swing high gives at most one entry. Long and
// close at or below the stop -> exit. The stop is fixed for the life of the position.
// The rule is in a header so that the backtest engine can inline its step (strategy.h,
// RuleStrategy).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "strategy/indicators.h"
#include "strategy/params.h"
#include "strategy/strategy.h"
#include "strategy/window.h"

namespace sm::strategy {

class BreakoutRule {
 public:
  static constexpr std::string_view kName = "breakout";

  explicit BreakoutRule(const Params& params);

  Choice step(const PriceBar& bar, const PositionView& position) {
    const std::int64_t index = bars_++;
    highs_.push(bar.high);
    std::optional<double> atr =
        atr_.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
    if (highs_.full() && is_swing_high()) {
      swing_ = Swing{highs_[static_cast<std::size_t>(strength_)], index - strength_, false};
    }
    if (swing_ && index - swing_->index > lookback_) swing_.reset();
    if (position.order_pending) return {};

    Choice choice;
    if (position.qty == 0) {
      stop_ = 0;
      if (!swing_ || swing_->used || bar.close <= swing_->level) return {};
      choice.level = swing_->level;
      choice.count = index - swing_->index;
      if (!atr) {
        choice.why = kNoAtr;
        return choice;
      }
      swing_->used = true;
      stop_ = stop_below(bar.close, atr_multiple_ * *atr);
      choice.action = Action::kEnterLong;
      choice.stop = stop_;
      return choice;
    }

    if (stop_ == 0 && atr) {
      // A position this instance did not see entered (restart without state, manual entry): put
      // the stop below its average price, or below the close when that is unknown.
      Paise basis = position.average_price > 0 ? position.average_price : bar.close;
      stop_ = stop_below(basis, atr_multiple_ * *atr);
    }
    if (stop_ > 0 && bar.close <= stop_) {
      choice.action = Action::kExitLong;
      choice.level = stop_;
    }
    return choice;
  }

  std::string describe(const Choice& choice, const PriceBar& bar) const;
  nlohmann::json save() const;
  Status restore(const nlohmann::json& saved);

 private:
  static constexpr int kNoAtr = 1;  // a hold: the entry's stop cannot be set yet

  struct Swing {
    Paise level;
    std::int64_t index;  // bar number of the swing high
    bool used;           // an entry was already decided on it
  };

  // The middle of the window is a swing high: above all before it, not below any after it.
  bool is_swing_high() const {
    const std::size_t middle = static_cast<std::size_t>(strength_);
    const Paise level = highs_[middle];
    for (std::size_t i = 0; i < middle; ++i) {
      if (highs_[i] >= level) return false;
    }
    for (std::size_t i = middle + 1; i < highs_.size(); ++i) {
      if (highs_[i] > level) return false;
    }
    return true;
  }

  int strength_;
  std::int64_t lookback_;
  int atr_period_;
  double atr_multiple_;
  std::int64_t bars_ = 0;
  Window<Paise> highs_;  // the last 2 * strength + 1 highs
  std::optional<Swing> swing_;
  Atr atr_;
  Paise stop_ = 0;  // of the current position; 0 when flat or not known
};

}  // namespace sm::strategy
