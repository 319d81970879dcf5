#include "backtest/corporate_actions.h"

#include <algorithm>

namespace sm::backtest {
namespace {

// value * num / den rounded half away from zero (values are non-negative here).
std::int64_t scale(std::int64_t value, Int128 num, Int128 den) {
  return static_cast<std::int64_t>(divide_half_away_from_zero(Int128{value} * num, den));
}

Int128 gcd_wide(Int128 x, Int128 y) {
  while (y != 0) {
    Int128 t = x % y;
    x = y;
    y = t;
  }
  return x;
}

}  // namespace

std::vector<Adjustment> adjust_for_actions(SymbolSeries& series,
                                           const std::vector<CorporateAction>& actions) {
  SeriesAdjuster adjuster(series.symbol, actions);
  for (Bar& bar : series.bars) adjuster.adjust(bar);
  return adjuster.report();
}

SeriesAdjuster::SeriesAdjuster(const std::string& symbol,
                               const std::vector<CorporateAction>& actions) {
  for (const CorporateAction& action : actions) {
    if (action.symbol == symbol) mine_.push_back(action);
  }
  counts_.assign(mine_.size() + 1, 0);
  for (const CorporateAction& action : mine_) ex_starts_.push_back(from_ist(action.ex_date, 0, 0));
  // The newest action's factor first, then each older one multiplied in: 128-bit fractions
  // reduced by the gcd at every step, so a dozen actions with ratios up to 1000 stay far from
  // overflow.
  factors_.assign(mine_.size() + 1, {1, 1});
  for (std::size_t k = mine_.size(); k-- > 0;) {
    Int128 num = factors_[k + 1].first * mine_[k].numerator();
    Int128 den = factors_[k + 1].second * mine_[k].denominator();
    const Int128 g = gcd_wide(num, den);
    factors_[k] = {num / g, den / g};
  }
}

void SeriesAdjuster::adjust(Bar& bar) {
  // An action applies to the bars dated (IST) before its ex-date: to the bars before the
  // ex-date's first instant, compared as a time, with no calendar arithmetic per bar.
  while (first_applying_ < mine_.size() && bar.ts >= ex_starts_[first_applying_]) {
    ++first_applying_;
  }
  if (first_applying_ == mine_.size()) return;
  ++counts_[first_applying_];
  const auto [num, den] = factors_[first_applying_];
  bar.open = std::max<Paise>(1, scale(bar.open, num, den));
  bar.high = std::max<Paise>(1, scale(bar.high, num, den));
  bar.low = std::max<Paise>(1, scale(bar.low, num, den));
  bar.close = std::max<Paise>(1, scale(bar.close, num, den));
  bar.volume = scale(bar.volume, den, num);
}

std::vector<Adjustment> SeriesAdjuster::report() const {
  // A bar counted at k was adjusted for actions k and after.
  std::vector<Adjustment> out;
  std::int64_t adjusted = 0;
  for (std::size_t k = 0; k < mine_.size(); ++k) {
    adjusted += counts_[k];
    out.push_back({mine_[k], adjusted});
  }
  return out;
}

}  // namespace sm::backtest
