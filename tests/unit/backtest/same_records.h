// The exactness check shared by the engine's fast-path and streaming tests: two runs must write
// the same records (signals, fills, trades, equity, as the reports write them) and summary.
#pragma once

#include <catch2/catch.hpp>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/report.h"

namespace sm::backtest::testing {

inline void check_same_records(const BacktestResult& got, const BacktestResult& want) {
  CHECK(signals_ndjson(got) == signals_ndjson(want));
  CHECK(fills_ndjson(got) == fills_ndjson(want));
  CHECK(trades_ndjson(got) == trades_ndjson(want));
  CHECK(equity_csv(got) == equity_csv(want));
  const RunInfo info;
  CHECK(summary_json(got, summarize(got, 0.065), info) ==
        summary_json(want, summarize(want, 0.065), info));
}

}  // namespace sm::backtest::testing
