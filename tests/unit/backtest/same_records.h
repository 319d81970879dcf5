// What the engine's fast-path and streaming tests share: a sink that keeps the records a run gives
// it, and the exactness check (two runs must write the same records, as the reports write them,
// and summary).
#pragma once

#include <catch2/catch.hpp>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/report.h"

namespace sm::backtest::testing {

// A RecordSink keeping what a run gives it in given's record lists.
struct ResultSink : RecordSink {
  BacktestResult given;
  Status signal(const SignalRecord& record) override {
    given.signals.push_back(record);
    return Status();
  }
  Status fill(const FillRecord& record) override {
    given.fills.push_back(record);
    return Status();
  }
  Status equity(const EquityPoint& point) override {
    given.equity.push_back(point);
    return Status();
  }
  Status trade(const TradeRecord& record) override {
    given.trades.push_back(record);
    return Status();
  }
};

// The records of two runs as the reports write them: signals, fills, trades and equity.
inline void check_same_record_files(const BacktestResult& got, const BacktestResult& want) {
  CHECK(signals_ndjson(got) == signals_ndjson(want));
  CHECK(fills_ndjson(got) == fills_ndjson(want));
  CHECK(trades_ndjson(got) == trades_ndjson(want));
  CHECK(equity_csv(got) == equity_csv(want));
}

// The records and the summary of two runs.
inline void check_same_records(const BacktestResult& got, const BacktestResult& want) {
  check_same_record_files(got, want);
  const RunInfo info;
  CHECK(summary_json(got, summarize(got, 0.065), info) ==
        summary_json(want, summarize(want, 0.065), info));
}

}  // namespace sm::backtest::testing
