// The streaming run: bars from a feed that keeps only the current bar time, detail records into a
// sink as they become final. Its records, equity points and metrics must be exactly those of the
// run that keeps everything in memory.
#include <catch2/catch.hpp>
#include <cstdint>

#include "backtest/metrics.h"
#include "backtest/report.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::rs;

namespace {

// Deterministic random walks (fixed-seed LCG) of several symbols, intraday 15-minute bars over
// a few weeks, with a symbol missing some bar times so that bar times hold 1..n bars.
MarketData walks(int bars_per_symbol) {
  std::uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 33) / static_cast<double>(1ULL << 31);
  };
  std::vector<SymbolSeries> series;
  for (const char* symbol : {"AAA", "BBB", "CCC"}) {
    std::vector<Bar> bars;
    Paise close = rs(300);
    for (int i = 0; i < bars_per_symbol; ++i) {
      if (symbol[0] == 'B' && i % 7 == 3) continue;
      const Paise open = close;
      close = std::max<Paise>(rs(10), open + static_cast<Paise>((next() - 0.49) * 1500));
      Bar b;
      b.ts = from_ist(add_days(Date{2024, 3, 4}, i / 25), 9, 15) + (i % 25) * 15 * kMsPerMinute;
      b.symbol = symbol;
      b.timeframe = Timeframe{15};
      b.open = open;
      b.close = close;
      b.high = std::max(open, close) + static_cast<Paise>(next() * 300);
      b.low = std::max<Paise>(1, std::min(open, close) - static_cast<Paise>(next() * 300));
      b.volume = 2000 + static_cast<Quantity>(next() * 3000);
      bars.push_back(b);
    }
    series.push_back({symbol, std::move(bars)});
  }
  return *MarketData::make(std::move(series));
}

// A feed that copies each bar time into its own buffer and overwrites the previous one, as a
// reader of a file or a database does: the engine must not keep a bar past its bar time.
class CopyingFeed : public BarFeed {
 public:
  explicit CopyingFeed(const MarketData& data) : inner_(data) {}
  const std::vector<std::string>& symbols() const override { return inner_.symbols(); }
  Status next(std::vector<FeedBar>& out) override {
    std::vector<FeedBar> from;
    SM_RETURN_IF_ERROR(inner_.next(from));
    for (Bar& old : buffer_) old = Bar{};  // a bar kept from the last call would read zeros
    buffer_.resize(std::max(buffer_.size(), from.size()));
    out.clear();
    for (std::size_t i = 0; i < from.size(); ++i) {
      buffer_[i] = *from[i].bar;
      out.push_back({from[i].series, &buffer_[i]});
    }
    return Status();
  }

 private:
  MarketDataFeed inner_;
  std::vector<Bar> buffer_;
};

struct CollectingSink : RecordSink {
  std::vector<SignalRecord> signals;
  std::vector<FillRecord> fills;
  std::vector<EquityPoint> points;
  Status signal(const SignalRecord& record) override {
    signals.push_back(record);
    return Status();
  }
  Status fill(const FillRecord& record) override {
    fills.push_back(record);
    return Status();
  }
  Status equity(const EquityPoint& point) override {
    points.push_back(point);
    return Status();
  }
};

struct Variant {
  const char* name;
  EngineConfig config;
};

std::vector<Variant> variants() {
  std::vector<Variant> out;
  EngineConfig plain;
  out.push_back({"next-open market orders", plain});
  EngineConfig close = plain;
  close.fill = FillTiming::kSameClose;
  close.close_at_end = true;
  out.push_back({"fills at the close, closed at the end", close});
  EngineConfig limits = plain;
  limits.entry_order = EntryOrder::kLimit;
  limits.entry_offset_centi_bps = 5000;
  limits.order_valid_bars = 4;
  limits.protective_stops = true;
  limits.volume_cap = 0.01;
  out.push_back({"limit entries waiting 4 bars, protective stops, volume cap", limits});
  EngineConfig crowded = plain;
  crowded.max_open_positions = 1;
  crowded.starting_cash = rs(2000);
  crowded.trade_from = from_ist(Date{2024, 3, 6}, 9, 15);
  out.push_back({"one position at a time, little cash, warm-up", crowded});
  return out;
}

}  // namespace

TEST_CASE("a streamed run gives exactly the records, equity and metrics of a run kept in memory",
          "[backtest][streaming]") {
  const MarketData data = walks(400);
  const std::vector<StrategySpec> specs = {
      {"fast", "sma-cross", {{"fast", 3}, {"slow", 8}, {"qty", 10}}, {}},
      {"",
       "donchian",
       {{"entry_bars", 5}, {"exit_bars", 3}, {"sizing", "fixed_qty"}, {"qty", 5}},
       {}}};
  for (const Variant& variant : variants()) {
    INFO(variant.name);
    costs::ZeroCostModel zero;
    ApproveAll kept_gate, streamed_gate;
    Result<BacktestResult> kept = run_backtest(data, specs, variant.config, zero, kept_gate);
    REQUIRE(kept.ok());
    REQUIRE(kept->signals.size() > 10);
    REQUIRE(kept->fills.size() > 10);

    CopyingFeed feed(data);
    CollectingSink sink;
    Result<BacktestResult> streamed =
        run_backtest(feed, specs, variant.config, zero, streamed_gate, &sink);
    REQUIRE(streamed.ok());
    CHECK(streamed->signals.empty());
    CHECK(streamed->fills.empty());

    BacktestResult rebuilt = *streamed;
    rebuilt.signals = sink.signals;
    rebuilt.fills = sink.fills;
    rebuilt.equity = sink.points;
    CHECK(signals_ndjson(rebuilt) == signals_ndjson(*kept));
    CHECK(fills_ndjson(rebuilt) == fills_ndjson(*kept));
    CHECK(trades_ndjson(*streamed) == trades_ndjson(*kept));
    CHECK(equity_csv(rebuilt) == equity_csv(*kept));
    CHECK(streamed->signal_count == kept->signal_count);
    CHECK(streamed->bars == kept->bars);

    // The result keeps one point per IST date, and the metrics read only those.
    CHECK(streamed->equity.size() == daily_equity(kept->equity).size());
    CHECK(streamed->equity.size() < kept->equity.size() / 10);
    const Summary a = summarize(*kept, 0.065);
    const Summary b = summarize(*streamed, 0.065);
    const RunInfo info;
    CHECK(summary_json(*streamed, b, info) == summary_json(*kept, a, info));

    // A run that reports the summary alone keeps only the totals of the trades.
    EngineConfig totals_only = variant.config;
    totals_only.keep_trades = false;
    MarketDataFeed again(data);
    CollectingSink dropped;
    ApproveAll third_gate;
    Result<BacktestResult> summed =
        run_backtest(again, specs, totals_only, zero, third_gate, &dropped);
    REQUIRE(summed.ok());
    CHECK(summed->trades.empty());
    CHECK(summed->trade_totals.trades == static_cast<std::int64_t>(kept->trades.size()));
    const Summary c = summarize(*summed, 0.065);
    CHECK(summary_table(*summed, c, info) == summary_table(*kept, a, info));
    CHECK(summary_json(*summed, c, info) == summary_json(*kept, a, info));
  }
}

TEST_CASE("a sink's failure ends the run with its error", "[backtest][streaming]") {
  struct FailingSink : CollectingSink {
    Status fill(const FillRecord&) override { return error(ErrorCode::kIoError, "disk full"); }
  };
  const MarketData data = walks(100);
  MarketDataFeed feed(data);
  FailingSink sink;
  costs::ZeroCostModel zero;
  ApproveAll gate;
  Result<BacktestResult> result =
      run_backtest(feed, {{"", "sma-cross", {{"fast", 3}, {"slow", 8}, {"qty", 10}}, {}}},
                   EngineConfig{}, zero, gate, &sink);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kIoError);
}
