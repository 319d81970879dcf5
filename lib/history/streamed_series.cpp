#include "history/streamed_series.h"

#include <fmt/format.h>

namespace sm::history {

Result<backtest::QualityOptions> stream_checks(const DataSource& source, LoadedData& loaded,
                                               std::vector<CorporateAction>& actions) {
  Result<std::vector<CorporateAction>> loaded_actions = load_actions(source, loaded);
  if (!loaded_actions.ok()) return loaded_actions.status();
  actions = std::move(loaded_actions).value();
  backtest::QualityOptions quality;
  quality.drop_fraction = source.drop_fraction;
  quality.adjusted = loaded.adjusted;
  return quality;
}

StreamedSeries::StreamedSeries(const std::string& symbol,
                               const std::vector<CorporateAction>& actions,
                               const backtest::QualityOptions& quality)
    : symbol_(symbol), checker_(symbol, actions, quality) {
  if (quality.adjusted) adjuster_.emplace(symbol, actions);
}

Status StreamedSeries::take(Bar& bar) {
  checker_.check(bar, issues_);
  if (adjuster_) adjuster_->adjust(bar);
  const bool positive = bar.open > 0 && bar.high > 0 && bar.low > 0 && bar.close > 0;
  if (!positive || bar.low > bar.high) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} bar {} ({}): {}", bar.symbol, given_, format_utc(bar.ts),
                             positive ? "low is above high" : "a price is not positive"));
  }
  if (daily_.empty() || bar.ts >= day_end_) {
    daily_.push_back(bar);
    const TimestampMs local = bar.ts + kIstOffsetMs;
    const TimestampMs day_start =
        (local >= 0 ? local / kMsPerDay : (local - kMsPerDay + 1) / kMsPerDay) * kMsPerDay;
    day_end_ = day_start + kMsPerDay - kIstOffsetMs;
  } else {
    // The same symbol: the day's last bar so far takes the new figures, not a copy of the string.
    Bar& last = daily_.back();
    last.ts = bar.ts;
    last.timeframe = bar.timeframe;
    last.open = bar.open;
    last.high = bar.high;
    last.low = bar.low;
    last.close = bar.close;
    last.volume = bar.volume;
    last.partial = bar.partial;
  }
  ++given_;
  return Status();
}

void StreamedSeries::report(const Logger& log, LoadedData& loaded) {
  for (backtest::QualityIssue& issue : issues_) {
    log_quality_issue(log, issue);
    ++loaded.issue_counts[issue.kind];
    loaded.quality.push_back(std::move(issue));
  }
  issues_.clear();
  if (adjuster_) {
    for (const backtest::Adjustment& adjustment : adjuster_->report()) {
      if (adjustment.bars_adjusted > 0) {
        ++loaded.corporate_actions_applied;
        loaded.applied.push_back(adjustment);
      }
      log.info("corporate_action", {{"symbol", symbol_},
                                    {"ex_date", format_date(adjustment.action.ex_date)},
                                    {"action", adjustment.action.describe()},
                                    {"bars_adjusted", adjustment.bars_adjusted}});
    }
  }
  loaded.bars += given_;
}

}  // namespace sm::history
