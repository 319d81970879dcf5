// One symbol's bars as a streaming source (the database, a CSV file) gives them to a run: each
// checked for data quality and adjusted for corporate actions as it passes, refused where
// MarketData::make would refuse it, and its last bar of every IST date kept for the reports.
// What it finds is reported as load_data reports it for the same series.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "backtest/corporate_actions.h"
#include "backtest/data_quality.h"
#include "core/log.h"
#include "core/status.h"
#include "history/loader.h"

namespace sm::history {

// How many bars a stream of one symbol gives the engine's fast path at a time
// (BarFeed::next_chunk): enough that the engine's per-chunk work does not show, few enough that a
// chunk stays in the processor's L2 cache (96 bytes a bar).
inline constexpr std::size_t kStreamChunkBars = 4096;

// What a stream's series are checked and adjusted with, as load_data sets it for the same source:
// the corporate actions to apply (into actions, which the series then refer to) and the quality
// options. Fails as load_actions does.
Result<backtest::QualityOptions> stream_checks(const DataSource& source, LoadedData& loaded,
                                               std::vector<CorporateAction>& actions);

class StreamedSeries {
 public:
  // REQUIRES: actions outlives the series.
  StreamedSeries(const std::string& symbol, const std::vector<CorporateAction>& actions,
                 const backtest::QualityOptions& quality);

  // The series' next bar (ascending ts): checked before adjusting, so that the falls being
  // explained are the ones in the data, then adjusted in place. Fails with kInvalidArgument for
  // a bar MarketData::make refuses (a price that is not positive, low above high).
  Status take(Bar& bar);

  // After the last bar: logs the data-quality findings and the corporate actions applied, as
  // load_data does for the series, and counts them (and the bars) in loaded.
  void report(const Logger& log, LoadedData& loaded);
  // The last bar of each IST date given; empty if no bar was given.
  std::vector<Bar>& daily() { return daily_; }
  const std::string& symbol() const { return symbol_; }

 private:
  std::string symbol_;
  backtest::SeriesChecker checker_;
  std::optional<backtest::SeriesAdjuster> adjuster_;
  std::vector<backtest::QualityIssue> issues_;
  std::vector<Bar> daily_;
  TimestampMs day_end_ = std::numeric_limits<TimestampMs>::min();
  std::int64_t given_ = 0;
};

}  // namespace sm::history
