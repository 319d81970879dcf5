// rsi-reversion: buy weakness, sell the recovery. Long when RSI (Wilder) crosses below
// `entry_below` (the previous bar's RSI was at or above it, this bar's is below); out when RSI
// rises above `exit_above`, or, when stop_atr_multiple > 0, when the close falls to or below a stop
// set that many ATRs below the entry close. Entering on the cross rather than on "RSI is low" means
// a stopped-out position is not bought back at once while RSI stays low.
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

namespace sm::strategy {

class RsiReversionRule {
 public:
  static constexpr std::string_view kName = "rsi-reversion";

  explicit RsiReversionRule(const Params& params);

  Choice step(const PriceBar& bar, const PositionView& position) {
    std::optional<double> rsi = rsi_.update(to_rupees(bar.close));
    std::optional<double> atr =
        atr_.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
    std::optional<double> previous = previous_rsi_;
    previous_rsi_ = rsi;
    if (position.order_pending) return {};

    Choice choice;
    if (position.qty == 0) {
      stop_ = 0;
      if (!rsi || !previous || !(*previous >= entry_below_ && *rsi < entry_below_)) return {};
      if (atr_multiple_ > 0) {
        if (!atr) {
          choice.why = kNoAtr;
          return choice;
        }
        stop_ = stop_below(bar.close, atr_multiple_ * *atr);
      }
      choice.action = Action::kEnterLong;
      choice.stop = stop_;
      return choice;
    }

    if (atr_multiple_ > 0 && stop_ == 0 && atr) {
      // A position entered without this instance's knowledge: stop below its average price.
      Paise basis = position.average_price > 0 ? position.average_price : bar.close;
      stop_ = stop_below(basis, atr_multiple_ * *atr);
    }
    if (stop_ > 0 && bar.close <= stop_) {
      choice.action = Action::kExitLong;
      choice.why = kAtStop;
      choice.level = stop_;
    } else if (rsi && *rsi > exit_above_) {
      choice.action = Action::kExitLong;
      choice.why = kRecovered;
    }
    return choice;
  }

  // Reads the RSI the last step computed.
  std::string describe(const Choice& choice, const PriceBar& bar) const;
  nlohmann::json save() const;
  Status restore(const nlohmann::json& saved);

 private:
  static constexpr int kNoAtr = 1;      // a hold: the entry's stop cannot be set yet
  static constexpr int kAtStop = 2;     // an exit at the stop
  static constexpr int kRecovered = 3;  // an exit: RSI above exit_above

  int period_;
  double entry_below_;
  double exit_above_;
  int atr_period_;
  double atr_multiple_;
  Rsi rsi_;
  Atr atr_;
  std::optional<double> previous_rsi_;  // after a step: that step's RSI
  Paise stop_ = 0;                      // of the current position; 0 when flat, none or not known
};

}  // namespace sm::strategy
