// Back-adjustment of bar prices for corporate actions (splits and bonus issues; the file format
// and the ratios are in core/corporate_action.h).
// Adjusting multiplies every price of the bars BEFORE the ex-date by the product of the factors of
// the later actions, rounded half away from zero to the paisa, and divides their volumes by it
// (rounded the same way to whole shares). The ex-date bar and later ones are unchanged.
#pragma once

#include <cstdint>
#include <vector>

#include "backtest/market_data.h"
#include "core/corporate_action.h"

namespace sm::backtest {

using ::sm::ActionKind;
using ::sm::CorporateAction;
using ::sm::parse_corporate_actions;

struct Adjustment {
  CorporateAction action;
  std::int64_t bars_adjusted = 0;  // bars before the ex-date in the series
};

// Back-adjusts series in place for the actions of its symbol (others are ignored) and says what
// was done per action. Actions whose ex-date is not after the first bar change nothing (reported
// with bars_adjusted 0).
std::vector<Adjustment> adjust_for_actions(SymbolSeries& series,
                                           const std::vector<CorporateAction>& actions);

}  // namespace sm::backtest
