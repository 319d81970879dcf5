// The streaming run: bars from a feed that keeps only the current bar time, detail records into a
// sink as they become final. Its records, equity points and metrics must be exactly those of the
// run that keeps everything in memory.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>

#include "backtest/html_report.h"
#include "backtest/metrics.h"
#include "backtest/report.h"
#include "same_records.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::check_same_records;
using sm::backtest::testing::ResultSink;
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
      b.ts = from_ist(add_days(Date{2024, 3, 4}, i / 25), 9, 15) +
             TimestampMs{i % 25} * 15 * kMsPerMinute;
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

// What a run's RecordSink put on disk, here in memory: the trades and the fills as marks (series
// is the symbol's index in symbols).
class RecordsRead : public SpilledRecords {
 public:
  RecordsRead(const ResultSink& sink, const std::vector<std::string>& symbols)
      : trades_(sink.given.trades) {
    for (const FillRecord& f : sink.given.fills) {
      const auto at = std::find(symbols.begin(), symbols.end(), f.fill.symbol) - symbols.begin();
      marks_.push_back(
          {f.fill.ts, f.fill.price, f.fill.qty, static_cast<std::uint32_t>(at), f.fill.side});
    }
  }
  Status read_trades(const std::function<void(const TradeRecord&)>& visit) override {
    ++trade_reads;
    for (const TradeRecord& t : trades_) visit(t);
    return Status();
  }
  Status read_fill_marks(std::uint32_t series,
                         const std::function<void(const FillMark&)>& visit) override {
    for (const FillMark& m : marks_) {
      if (m.series == series) visit(m);
    }
    return Status();
  }
  std::optional<std::pair<Paise, Paise>> fill_mark_range(std::uint32_t series) const override {
    std::optional<std::pair<Paise, Paise>> range;
    for (const FillMark& m : marks_) {
      if (m.series != series) continue;
      if (!range) range.emplace(m.price, m.price);
      range->first = std::min(range->first, m.price);
      range->second = std::max(range->second, m.price);
    }
    return range;
  }
  int trade_reads = 0;

 private:
  std::vector<TradeRecord> trades_;
  std::vector<FillMark> marks_;
};

// A page written out at every flush; notes the most text it held at once.
struct PageInPieces : HtmlSink {
  std::string page;
  std::string held;
  std::size_t most_held = 0;
  std::string& buffer() override { return held; }
  void flush_if_full() override {
    most_held = std::max(most_held, held.size());
    page += held;
    held.clear();
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
    ResultSink sink;
    Result<BacktestResult> streamed =
        run_backtest(feed, specs, variant.config, zero, streamed_gate, &sink);
    REQUIRE(streamed.ok());
    CHECK(streamed->signals.empty());
    CHECK(streamed->fills.empty());

    BacktestResult rebuilt = *streamed;
    rebuilt.signals = sink.given.signals;
    rebuilt.fills = sink.given.fills;
    rebuilt.equity = sink.given.equity;
    check_same_records(rebuilt, *kept);  // its trades are the streamed run's
    CHECK(streamed->signal_count == kept->signal_count);
    CHECK(streamed->bars == kept->bars);
    // Every round trip went to the sink as it closed, in close order.
    BacktestResult from_sink = *streamed;
    from_sink.trades = sink.given.trades;
    CHECK(trades_ndjson(from_sink) == trades_ndjson(*kept));

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
    ResultSink dropped;
    ApproveAll third_gate;
    Result<BacktestResult> summed =
        run_backtest(again, specs, totals_only, zero, third_gate, &dropped);
    REQUIRE(summed.ok());
    CHECK(summed->trades.empty());
    CHECK(dropped.given.trades.size() == kept->trades.size());
    CHECK(summed->trade_totals.trades == static_cast<std::int64_t>(kept->trades.size()));
    const Summary c = summarize(*summed, 0.065);
    CHECK(summary_table(*summed, c, info) == summary_table(*kept, a, info));
    CHECK(summary_json(*summed, c, info) == summary_json(*kept, a, info));
  }
}

TEST_CASE("a sink's failure ends the run with its error", "[backtest][streaming]") {
  struct FailingSink : ResultSink {
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

TEST_CASE("the HTML report of a run whose trades and fills went to disk is the kept run's page",
          "[backtest][streaming][report]") {
  const MarketData data = walks(400);
  const std::vector<StrategySpec> specs = {
      {"fast", "sma-cross", {{"fast", 2}, {"slow", 5}, {"qty", 10}}, {}}};
  for (const Variant& variant : variants()) {
    INFO(variant.name);
    costs::ZeroCostModel zero;
    ApproveAll kept_gate, streamed_gate;
    Result<BacktestResult> kept = run_backtest(data, specs, variant.config, zero, kept_gate);
    REQUIRE(kept.ok());
    REQUIRE(kept->trades.size() > 20);

    EngineConfig totals_only = variant.config;
    totals_only.keep_trades = false;
    MarketDataFeed feed(data);
    ResultSink sink;
    Result<BacktestResult> streamed =
        run_backtest(feed, specs, totals_only, zero, streamed_gate, &sink);
    REQUIRE(streamed.ok());
    REQUIRE(streamed->trades.empty());
    REQUIRE(streamed->fills.empty());

    HtmlOptions options;
    options.data = &data;
    options.max_trades = 7;  // the list is cut: the note counts every trade
    const RunInfo info;
    const std::string expected = render_html(*kept, summarize(*kept), info, options);
    RecordsRead spilled(sink, feed.symbols());
    PageInPieces out;
    REQUIRE(write_html(*streamed, summarize(*streamed), info, options, &spilled, out).ok());
    out.flush_if_full();
    CHECK(out.page == expected);
    CHECK(spilled.trade_reads == 1);
    // Written in parts: no part holds the trade bars and the price charts' marks together.
    CHECK(out.most_held < expected.size() / 2);
  }
}

TEST_CASE("the HTML report fails with the error of records it cannot read back",
          "[backtest][streaming][report]") {
  struct Unreadable : SpilledRecords {
    Status read_trades(const std::function<void(const TradeRecord&)>&) override {
      return error(ErrorCode::kIoError, "cannot read the trades");
    }
    Status read_fill_marks(std::uint32_t, const std::function<void(const FillMark&)>&) override {
      return Status();
    }
    std::optional<std::pair<Paise, Paise>> fill_mark_range(std::uint32_t) const override {
      return std::nullopt;
    }
  } unreadable;
  const MarketData data = walks(100);
  costs::ZeroCostModel zero;
  ApproveAll gate;
  Result<BacktestResult> result = run_backtest(
      data, {{"", "sma-cross", {{"fast", 3}, {"slow", 8}, {"qty", 10}}, {}}}, {}, zero, gate);
  REQUIRE(result.ok());
  PageInPieces out;
  const Status written = write_html(*result, summarize(*result), {}, {}, &unreadable, out);
  CHECK(written.code() == ErrorCode::kIoError);
}
