#include "backtest/data_quality.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <optional>

#include "core/parallel_parts.h"

namespace sm::backtest {
namespace {

struct CommonFactor {
  double factor;
  const char* name;
};

// Price factors of the splits and bonuses NSE companies announce most often.
constexpr CommonFactor kCommonFactors[] = {
    {0.5, "bonus 1:1 or split 1:2"},
    {2.0 / 3.0, "bonus 1:2"},
    {0.75, "bonus 1:3"},
    {0.8, "bonus 1:4"},
    {1.0 / 3.0, "bonus 2:1"},
    {0.2, "split 1:5"},
    {0.1, "split 1:10"},
    {0.25, "bonus 3:1"},
    {0.4, "split 2:5"},
};

std::string nearest_factor(double ratio) {
  const CommonFactor* best = nullptr;
  double best_distance = 0;
  for (const CommonFactor& f : kCommonFactors) {
    const double distance = std::fabs(ratio / f.factor - 1);
    if (best == nullptr || distance < best_distance) {
      best = &f;
      best_distance = distance;
    }
  }
  if (best == nullptr || best_distance > 0.04) return "no common split/bonus factor";
  return fmt::format("close to {} (x{:.4g})", best->name, best->factor);
}

}  // namespace

std::vector<QualityIssue> check_series(const SymbolSeries& series,
                                       const std::vector<CorporateAction>& actions,
                                       const QualityOptions& options, std::size_t parts) {
  const std::vector<Bar>& bars = series.bars;
  std::vector<std::vector<QualityIssue>> found(part_count(bars.size(), parts));
  run_in_parts(bars.size(), parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    SeriesChecker checker(series.symbol, actions, options);
    if (begin > 0) {
      // A checker that has seen the bar before the part is in the state one that has seen every
      // bar before it would be: the previous close and date are that bar's, the actions passed
      // are those up to its date, and the weekend date last reported matters only while the
      // bars stay on it, i.e. when that bar is on it too (and then reported it). Its own
      // findings belong to the part before.
      std::vector<QualityIssue> earlier;
      checker.check(bars[begin - 1], earlier);
    }
    for (std::size_t i = begin; i < end; ++i) checker.check(bars[i], found[part]);
  });
  std::vector<QualityIssue> out;
  for (std::vector<QualityIssue>& part : found) {
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  return out;
}

SeriesChecker::SeriesChecker(std::string symbol, const std::vector<CorporateAction>& actions,
                             const QualityOptions& options)
    : symbol_(std::move(symbol)), options_(options) {
  for (const CorporateAction& action : actions) {
    if (action.symbol == symbol_) listed_.push_back(&action);
  }
}

void SeriesChecker::check(const Bar& bar, std::vector<QualityIssue>& out) {
  const bool first = first_;
  const Paise previous = previous_close_;
  first_ = false;
  previous_close_ = bar.close;
  if (bar.ts < day_from_ || bar.ts >= day_to_) {
    day_date_ = ist_date(bar.ts);
    day_weekday_ = weekday(day_date_);
    day_from_ = from_ist(day_date_, 0, 0);
    day_to_ = day_from_ + kMsPerDay;
    day_listed_ = nullptr;
    for (const CorporateAction* listed : listed_) {
      if (listed->ex_date == day_date_) {
        day_listed_ = listed;
        break;
      }
    }
  }
  const Date date = day_date_;
  const int day = day_weekday_;
  // Once per date: an intraday weekend session has many bars.
  if ((day == 0 || day == 6) && (!last_weekend_ || *last_weekend_ != date)) {
    last_weekend_ = date;
    out.push_back({symbol_, bar.ts, "weekend_session",
                   fmt::format("{} is a {}", format_date(date), day == 0 ? "Sunday" : "Saturday"),
                   "kept as an ordinary bar"});
  }
  if (options_.check_ohlc &&
      (bar.open < bar.low || bar.open > bar.high || bar.close < bar.low || bar.close > bar.high)) {
    out.push_back(
        {symbol_, bar.ts, "open_close_outside_range",
         fmt::format("open {} close {} outside low {} high {}", format_rupees(bar.open),
                     format_rupees(bar.close), format_rupees(bar.low), format_rupees(bar.high)),
         "kept as printed; fills are clamped into [low, high]"});
  }
  // Actions are matched to the first bar on or after their ex-date (the ex-date may be a holiday
  // in a sparse file).
  const CorporateAction* action = nullptr;
  while (next_action_ < listed_.size() && listed_[next_action_]->ex_date <= date) {
    if (!first) action = listed_[next_action_];
    ++next_action_;
  }
  if (action == nullptr) action = day_listed_;
  if (action != nullptr) {
    out.push_back({symbol_, bar.ts, "corporate_action",
                   fmt::format("{} ex-date {}", action->describe(), format_date(action->ex_date)),
                   options_.adjusted ? "earlier bars adjusted" : "not adjusted (no --adjust)"});
    return;
  }
  if (first) return;
  const Paise low_point = std::min(bar.open, bar.close);
  const double ratio = static_cast<double>(low_point) / static_cast<double>(previous);
  if (ratio <= 1.0 - options_.drop_fraction) {
    out.push_back(
        {symbol_, bar.ts, "suspected_corporate_action",
         fmt::format("fell {:.1f}% from the previous close {} to {}; {}", (1.0 - ratio) * 100,
                     format_rupees(previous), format_rupees(low_point), nearest_factor(ratio)),
         "kept unadjusted (list it in a corporate-actions file to adjust)"});
  }
}

}  // namespace sm::backtest
