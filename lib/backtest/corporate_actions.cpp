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
  std::vector<Adjustment> report;
  std::vector<const CorporateAction*> mine;
  for (const CorporateAction& action : actions) {
    if (action.symbol == series.symbol) mine.push_back(&action);
  }
  if (mine.empty()) return report;
  // Walk backwards from the newest bar, accumulating the factor of every action whose ex-date is
  // after the bar. 128-bit fractions: a dozen actions with ratios up to 1000 stay far from overflow
  // after reduction by the gcd.
  Int128 num = 1, den = 1;
  std::size_t next = mine.size();  // actions [next, end) apply to the current bar
  std::vector<std::int64_t> counts(mine.size(), 0);
  for (std::size_t i = series.bars.size(); i-- > 0;) {
    Bar& bar = series.bars[i];
    const Date date = ist_date(bar.ts);
    while (next > 0 && mine[next - 1]->ex_date > date) {
      --next;
      num *= mine[next]->numerator();
      den *= mine[next]->denominator();
      const Int128 g = gcd_wide(num, den);
      num /= g;
      den /= g;
    }
    if (next == mine.size()) continue;
    for (std::size_t k = next; k < mine.size(); ++k) ++counts[k];
    bar.open = std::max<Paise>(1, scale(bar.open, num, den));
    bar.high = std::max<Paise>(1, scale(bar.high, num, den));
    bar.low = std::max<Paise>(1, scale(bar.low, num, den));
    bar.close = std::max<Paise>(1, scale(bar.close, num, den));
    bar.volume = scale(bar.volume, den, num);
  }
  for (std::size_t k = 0; k < mine.size(); ++k) report.push_back({*mine[k], counts[k]});
  return report;
}

}  // namespace sm::backtest
