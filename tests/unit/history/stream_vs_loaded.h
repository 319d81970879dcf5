// What the stream tests (csv_stream_test, database_stream_test) both check: one run over a source
// read as the run goes must give the trades, signals, equity, findings and log lines that loading
// the same source whole first (load_data) gives.
#pragma once

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "backtest/engine.h"
#include "backtest/report.h"
#include "core/log.h"
#include "costs/cost_model.h"
#include "history/loader.h"
#include "support/captured_log.h"

namespace sm::testing {

inline std::string without_log_times(const std::string& text) {
  return std::regex_replace(text, std::regex("\"ts\":\"[^\"]*\""), "");
}

// Both runs, for the checks a test adds of its own.
struct StreamVsLoaded {
  history::LoadedData loaded;         // load_data's
  backtest::BacktestResult kept;      // the run over loaded.data
  history::LoadedData found;          // the stream's finish()
  backtest::BacktestResult streamed;  // the run over the stream
  std::vector<std::string> symbols;   // the stream's symbols(), as opened
};

// Runs an SMA cross (closed at the end) over source loaded whole and over open(source, log)'s
// stream (a Result<std::unique_ptr<S>> where S is a BarFeed with finish()), and checks that the
// records, the findings and the log lines are the same.
template <typename Open>
StreamVsLoaded stream_vs_loaded(const history::DataSource& source, Open open) {
  const std::vector<backtest::StrategySpec> specs = {
      {"", "sma-cross", {{"fast", 4}, {"slow", 12}, {"qty", 10}}, {}}};
  backtest::EngineConfig config;
  config.close_at_end = true;
  costs::ZeroCostModel zero;
  StreamVsLoaded out;

  CapturedLog loaded_log(LogLevel::kInfo);
  Result<history::LoadedData> loaded = history::load_data(source, loaded_log.log());
  REQUIRE(loaded.ok());
  out.loaded = std::move(loaded).value();
  backtest::ApproveAll gate_a;
  auto kept = backtest::run_backtest(out.loaded.data, specs, config, zero, gate_a);
  REQUIRE(kept.ok());
  out.kept = std::move(kept).value();
  REQUIRE(out.kept.trades.size() > 5);

  CapturedLog streamed_log(LogLevel::kInfo);
  auto stream = open(source, streamed_log.log());
  REQUIRE(stream.ok());
  out.symbols = (*stream)->symbols();
  backtest::ApproveAll gate_b;
  auto streamed = backtest::run_backtest(**stream, specs, config, zero, gate_b);
  REQUIRE(streamed.ok());
  out.streamed = std::move(streamed).value();
  auto found = (*stream)->finish();
  REQUIRE(found.ok());
  out.found = std::move(found).value();

  CHECK(backtest::trades_ndjson(out.streamed) == backtest::trades_ndjson(out.kept));
  CHECK(backtest::signals_ndjson(out.streamed) == backtest::signals_ndjson(out.kept));
  CHECK(backtest::equity_csv(out.streamed) == backtest::equity_csv(out.kept));
  CHECK(out.found.bars == out.loaded.bars);
  CHECK(out.found.inputs == out.loaded.inputs);
  CHECK(out.found.issue_counts == out.loaded.issue_counts);
  CHECK(out.found.applied.size() == out.loaded.applied.size());
  CHECK(out.found.corporate_actions_applied == out.loaded.corporate_actions_applied);
  CHECK(without_log_times(streamed_log.text()) == without_log_times(loaded_log.text()));
  return out;
}

}  // namespace sm::testing
