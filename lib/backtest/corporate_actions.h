// Back-adjustment of bar prices for corporate actions (splits and bonus issues; the file format
// and the ratios are in core/corporate_action.h).
// Adjusting multiplies every price of the bars BEFORE the ex-date by the product of the factors of
// the later actions, rounded half away from zero to the paisa, and divides their volumes by it
// (rounded the same way to whole shares). The ex-date bar and later ones are unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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

// adjust_for_actions one bar at a time, oldest first, for bars adjusted as they are read: the
// same prices and volumes, and the same report once the last bar was adjusted. REQUIRES: actions
// sorted by ex-date within a symbol (as parse_corporate_actions gives them).
class SeriesAdjuster {
 public:
  SeriesAdjuster(const std::string& symbol, const std::vector<CorporateAction>& actions);
  // Adjusts the series' next bar (ascending ts) in place.
  void adjust(Bar& bar);
  // Per action of the symbol: the bars before its ex-date adjusted so far.
  std::vector<Adjustment> report() const;

 private:
  std::vector<CorporateAction> mine_;
  // factors_[k]: the reduced product of the factors of mine_[k..], applied to bars dated before
  // mine_[k]'s ex-date and on or after the one before.
  std::vector<std::pair<Int128, Int128>> factors_;
  std::vector<TimestampMs> ex_starts_;  // mine_[k]'s ex-date at 00:00 IST
  // counts_[k]: the bars adjusted first by mine_[k] (so for mine_[k..]); one add per bar.
  std::vector<std::int64_t> counts_;
  std::size_t first_applying_ = 0;  // actions [first_applying_, end) are after the current bar
};

}  // namespace sm::backtest
