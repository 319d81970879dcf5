// Corporate actions (splits and bonus issues) and the back-adjustment of prices for them.
//
// File format (CSV, '#' comments and blank lines allowed, header required):
//   symbol,ex_date,kind,ratio
//   RELIANCE,2017-09-07,bonus,1:1
//   HDFCBANK,2011-07-14,split,1:5
// The ratio "A:B" reads the way NSE announces it:
//   bonus A:B  - A new shares for every B held: B shares become A + B, price factor B / (A + B)
//                (1:1 halves the price, 1:3 takes a quarter off);
//   split A:B  - A old shares become B new ones (face value 10 -> 2 is 1:5): price factor A / B.
// Adjusting multiplies every price of the bars BEFORE the ex-date by the product of the factors of
// the later actions, rounded half away from zero to the paisa, and divides their volumes by it
// (rounded the same way to whole shares). The ex-date bar and later ones are unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/market_data.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm::backtest {

enum class ActionKind { kSplit, kBonus };

struct CorporateAction {
  std::string symbol;
  Date ex_date;
  ActionKind kind = ActionKind::kSplit;
  std::int64_t a = 1;  // the ratio A:B as written
  std::int64_t b = 1;
  // The price factor as a fraction: old prices * numerator / denominator.
  std::int64_t numerator() const;
  std::int64_t denominator() const;
  std::string describe() const;  // "bonus 1:1 (x0.5)"
};

// Parses the file text. Fails with kParseError "source:line: reason" for a missing header column,
// a bad date, a kind other than split/bonus, a ratio that is not two positive integers "A:B"
// (at most 1000 each), or the same symbol and ex-date twice.
Result<std::vector<CorporateAction>> parse_corporate_actions(std::string_view text,
                                                             std::string_view source);

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
