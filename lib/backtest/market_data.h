// The bars a backtest runs over: one ascending series per symbol, merged into one timeline so that
// many symbols can share one capital. Built once and shared read-only by the runs of a sweep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"

namespace sm::backtest {

struct SymbolSeries {
  std::string symbol;
  std::vector<Bar> bars;  // ascending ts, one bar per ts, every bar's symbol == symbol
};

class MarketData {
 public:
  // One point of the merged timeline: bar `index` of series `series`.
  struct Event {
    TimestampMs ts = 0;
    std::uint32_t series = 0;
    std::uint32_t index = 0;
  };

  // Takes the series and merges them by (ts, symbol). Series are ordered by symbol. Fails with
  // kInvalidArgument naming the symbol and bar when a series is empty of symbol, two series share
  // a symbol, a bar's symbol differs from its series', bars are not strictly ascending, or a
  // bar has a price <= 0 or low > high (loaders drop such rows; see docs/BACKTEST.md). The bars
  // are checked, and one series' timeline made, in `parts` stretches at once (sm::run_in_parts);
  // the result and the error are those of one pass.
  static Result<MarketData> make(std::vector<SymbolSeries> series, std::size_t parts = 1);

  MarketData() = default;

  std::span<const SymbolSeries> series() const { return series_; }
  const std::vector<Event>& events() const { return events_; }
  // The distinct bar times, ascending.
  const std::vector<TimestampMs>& times() const { return times_; }
  std::size_t bar_count() const { return events_.size(); }
  // Index of the series for symbol, or -1.
  int find(std::string_view symbol) const;

  // The bars with ts in [from, to), as a new MarketData (symbols without bars there are dropped).
  MarketData slice(TimestampMs from, TimestampMs to) const;

 private:
  void merge(std::size_t parts = 1);
  std::vector<SymbolSeries> series_;
  std::vector<Event> events_;
  std::vector<TimestampMs> times_;
};

}  // namespace sm::backtest
