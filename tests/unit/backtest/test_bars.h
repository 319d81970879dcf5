// Hand-made bars and a one-call backtest for the backtest unit tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "backtest/engine.h"
#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "costs/cost_model.h"

namespace sm::backtest::testing {

inline Paise rs(double rupees) { return *paise_from_double(rupees); }

// A daily bar on day n after 2024-01-01 (09:15 IST), prices in rupees.
inline Bar bar(int day, double open, double high, double low, double close,
               const std::string& symbol = "TEST", Quantity volume = 1'000'000) {
  Bar b;
  b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
  b.symbol = symbol;
  b.timeframe = Timeframe{Timeframe::kDailyMinutes};
  b.open = rs(open);
  b.high = rs(high);
  b.low = rs(low);
  b.close = rs(close);
  b.volume = volume;
  return b;
}

inline MarketData data_of(std::vector<std::vector<Bar>> per_symbol) {
  std::vector<SymbolSeries> series;
  for (auto& bars : per_symbol) {
    std::string symbol = bars.front().symbol;
    series.push_back({symbol, std::move(bars)});
  }
  Result<MarketData> data = MarketData::make(std::move(series));
  REQUIRE(data.ok());
  return std::move(data).value();
}

// donchian with 1-bar channels: enter when the close is above the previous bar's high, exit when
// it is below the previous bar's low; the entry's stop is the previous bar's low.
inline StrategySpec breakout_1_1(Quantity qty = 10, const std::string& id = "") {
  return StrategySpec{id,
                      "donchian",
                      {{"entry_bars", 1}, {"exit_bars", 1}, {"sizing", "fixed_qty"}, {"qty", qty}},
                      {}};
}

inline BacktestResult run(const MarketData& data, const EngineConfig& config,
                          std::vector<StrategySpec> specs = {breakout_1_1()},
                          const costs::CostModel* model = nullptr, SignalGate* gate = nullptr) {
  costs::ZeroCostModel zero;
  ApproveAll approve;
  Result<BacktestResult> result =
      run_backtest(data, specs, config, model ? *model : zero, gate ? *gate : approve);
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

}  // namespace sm::backtest::testing
