// The engine's fast path (one instance of a built-in rule over one symbol in memory) against its
// general per-bar-time step over the same real series: every signal, fill, trade, equity point and
// metric must be identical, whatever the orders, fill timing, sizing, costs and warm-up.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "costs/cost_model.h"
#include "same_records.h"
#include "strategy/test_data.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::check_same_record_files;
using sm::backtest::testing::check_same_records;
using sm::backtest::testing::ResultSink;
using sm::backtest::testing::rs;

namespace {

// The same bars through next() alone: the engine cannot see them as one series in memory, so it
// takes its general step for every bar time.
class GeneralPathFeed : public BarFeed {
 public:
  explicit GeneralPathFeed(const MarketData& data) : inner_(data) {}
  const std::vector<std::string>& symbols() const override { return inner_.symbols(); }
  Status next(std::vector<FeedBar>& out) override { return inner_.next(out); }
  std::size_t expected_times() const override { return inner_.expected_times(); }

 private:
  MarketDataFeed inner_;
};

// The same bars in chunks of a few bars, as a source read as the run goes gives them: the fast
// path must carry everything from one chunk to the next (a date's equity point, the rule's state,
// a working order).
class ChunkedFeed : public MarketDataFeed {
 public:
  ChunkedFeed(const MarketData& data, std::size_t chunk) : MarketDataFeed(data), chunk_(chunk) {}
  Status next_chunk(std::span<const Bar>& out) override {
    if (rest_.empty() && !started_) {
      SM_RETURN_IF_ERROR(MarketDataFeed::next_chunk(rest_));
      started_ = true;
    }
    out = rest_.first(std::min(chunk_, rest_.size()));
    rest_ = rest_.subspan(out.size());
    return Status();
  }

 private:
  std::size_t chunk_;
  std::span<const Bar> rest_;
  bool started_ = false;
};

MarketData daily_series(const std::string& symbol) {
  std::vector<Bar> bars = strategy::testing::load_daily_bars(
      strategy::testing::fixture_path("data/daily/" + symbol + ".csv"));
  REQUIRE(bars.size() > 1000);
  Result<MarketData> data = MarketData::make({SymbolSeries{symbol, std::move(bars)}});
  REQUIRE(data.ok());
  return std::move(data).value();
}

// A fixed-seed random walk of 15-minute bars, 25 a day: days with many bar times, which the daily
// series lack (the equity curve keeps one point per date in sweep mode).
MarketData intraday_walk() {
  std::uint64_t state = 11;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 33) / static_cast<double>(1ULL << 31);
  };
  std::vector<Bar> bars;
  Paise close = rs(800);
  for (int i = 0; i < 3000; ++i) {
    const Paise open = close;
    close = std::max<Paise>(rs(50), open + static_cast<Paise>((next() - 0.495) * 2000));
    Bar b;
    b.ts = from_ist(add_days(Date{2024, 3, 4}, i / 25), 9, 15) +
           TimestampMs{i % 25} * 15 * kMsPerMinute;
    b.symbol = "WALK";
    b.timeframe = Timeframe{15};
    b.open = open;
    b.close = close;
    b.high = std::max(open, close) + static_cast<Paise>(next() * 400);
    b.low = std::max<Paise>(1, std::min(open, close) - static_cast<Paise>(next() * 400));
    b.volume = 5000 + static_cast<Quantity>(next() * 5000);
    bars.push_back(b);
  }
  Result<MarketData> data = MarketData::make({SymbolSeries{"WALK", std::move(bars)}});
  REQUIRE(data.ok());
  return std::move(data).value();
}

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
  close.slippage = Slippage{Slippage::Kind::kBasisPoints, 250, 0};
  out.push_back({"fills at the close with slippage, closed at the end", close});
  EngineConfig limits = plain;
  limits.entry_order = EntryOrder::kLimit;
  limits.entry_offset_centi_bps = 5000;
  limits.order_valid_bars = 3;
  limits.volume_cap = 0.001;
  out.push_back({"limit entries waiting 3 bars, volume cap", limits});
  EngineConfig stops = plain;
  stops.entry_order = EntryOrder::kStop;
  stops.entry_offset_centi_bps = 2000;
  stops.protective_stops = true;
  stops.close_at_end = true;
  out.push_back({"stop entries, protective stops, closed at the end", stops});
  EngineConfig crowded = plain;
  crowded.starting_cash = rs(150'000);
  crowded.max_position_value = rs(120'000);
  crowded.trade_from = from_ist(Date{2016, 6, 1}, 9, 15);
  out.push_back({"little cash, a position value limit, warm-up until mid-2016", crowded});
  return out;
}

std::vector<StrategySpec> rules() {
  return {
      {"", "sma-cross", {{"fast", 10}, {"slow", 30}, {"qty", 100}}, {}},
      // Sized from the capital the engine reports (cash and the position at the close).
      {"",
       "donchian",
       {{"entry_bars", 20},
        {"exit_bars", 10},
        {"sizing", "fixed_value"},
        {"value", 400'000},
        {"capital_fraction", 0.3}},
       {}},
      {"", "breakout", {{"sizing", "risk"}, {"risk_fraction", 0.02}}, {}},
      {"", "rsi-reversion", nullptr, {}},
  };
}

// Every record and figure of the two results, and the metrics of both.
void check_identical(const BacktestResult& fast, const BacktestResult& general) {
  check_same_records(fast, general);
  CHECK(fast.trade_totals.trades == general.trade_totals.trades);
  CHECK(fast.trade_totals.net_pnl == general.trade_totals.net_pnl);
  CHECK(fast.trade_totals.bars_held == general.trade_totals.bars_held);
  CHECK(fast.open_positions.size() == general.open_positions.size());
  for (std::size_t i = 0; i < std::min(fast.open_positions.size(), general.open_positions.size());
       ++i) {
    CHECK(fast.open_positions[i].qty == general.open_positions[i].qty);
    CHECK(fast.open_positions[i].entry_ts == general.open_positions[i].entry_ts);
    CHECK(fast.open_positions[i].unrealized_pnl == general.open_positions[i].unrealized_pnl);
    CHECK(fast.open_positions[i].charges.total() == general.open_positions[i].charges.total());
  }
  CHECK(fast.bars == general.bars);
  CHECK(fast.trading_bars == general.trading_bars);
  CHECK(fast.first_ts == general.first_ts);
  CHECK(fast.last_ts == general.last_ts);
  CHECK(fast.final_cash == general.final_cash);
  CHECK(fast.final_equity == general.final_equity);
  CHECK(fast.traded_value == general.traded_value);
  CHECK(fast.charges.total() == general.charges.total());
  CHECK(fast.fill_count == general.fill_count);
  CHECK(fast.signal_count == general.signal_count);
}

}  // namespace

TEST_CASE("the fast path gives exactly the general path's records, equity and metrics",
          "[backtest][fast_path]") {
  Result<costs::IndianEquityCostModel> charges = costs::IndianEquityCostModel::load(
      std::string(SM_TEST_FIXTURES) + "/../../data/nse-charges.csv");
  REQUIRE(charges.ok());
  for (const std::string symbol : {"TCS", "RELIANCE", "WIPRO", "WALK"}) {
    const MarketData data = symbol == "WALK" ? intraday_walk() : daily_series(symbol);
    for (const StrategySpec& spec : rules()) {
      for (const Variant& variant : variants()) {
        for (const bool details : {true, false}) {
          INFO(symbol << " " << spec.name << ": " << variant.name
                      << (details ? ", every record" : ", sweep mode"));
          EngineConfig config = variant.config;
          config.record_details = details;
          config.keep_trades = true;
          ApproveAll fast_gate, general_gate;
          Result<BacktestResult> fast = run_backtest(data, {spec}, config, *charges, fast_gate);
          REQUIRE(fast.ok());
          GeneralPathFeed feed(data);
          Result<BacktestResult> general =
              run_backtest(feed, {spec}, config, *charges, general_gate);
          REQUIRE(general.ok());
          // Each run took the path it is meant to, and the comparison is not of empty runs.
          // (Protective stops rest while a position is open: the fast path has fewer bars then.)
          CHECK(fast->fast_path_bars > (variant.config.protective_stops ? 0 : fast->bars / 2));
          CHECK(general->fast_path_bars == 0);
          CHECK(general->fill_count > 0);
          check_identical(*fast, *general);
          for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}}) {
            INFO("in chunks of " << chunk << " bars");
            ChunkedFeed chunked(data, chunk);
            ApproveAll chunked_gate;
            Result<BacktestResult> in_chunks =
                run_backtest(chunked, {spec}, config, *charges, chunked_gate);
            REQUIRE(in_chunks.ok());
            // A chunk starts on the fast path where the whole series may take the general step
            // (the bar after a signal), so it can only count more bars there.
            CHECK(in_chunks->fast_path_bars >= fast->fast_path_bars);
            check_identical(*in_chunks, *general);
          }
        }
      }
    }
  }
}

TEST_CASE("a bar the rule refuses fails the fast path's run as it fails the general path's",
          "[backtest][fast_path]") {
  const MarketData good = daily_series("TCS");
  const std::vector<Bar> valid(good.series().front().bars.begin(),
                               good.series().front().bars.end());
  // MarketData::make refuses such bars, so the feed gives them from its own copy: through next()
  // alone (chunk 0: the general path) or in chunks of chunk bars (the fast path).
  class BarsFeed : public BarFeed {
   public:
    BarsFeed(std::vector<Bar> bars, std::size_t chunk)
        : symbols_{bars.front().symbol}, bars_(std::move(bars)), chunk_(chunk) {}
    const std::vector<std::string>& symbols() const override { return symbols_; }
    Status next(std::vector<FeedBar>& out) override {
      out.clear();
      if (next_ < bars_.size()) out.push_back(FeedBar{0, &bars_[next_++]});
      return Status();
    }
    bool gives_chunks() const override { return chunk_ > 0; }
    Status next_chunk(std::span<const Bar>& out) override {
      out = std::span<const Bar>(bars_).subspan(next_, std::min(chunk_, bars_.size() - next_));
      next_ += out.size();
      return Status();
    }

   private:
    std::vector<std::string> symbols_;
    std::vector<Bar> bars_;
    std::size_t chunk_;
    std::size_t next_ = 0;
  };
  const StrategySpec spec{"", "sma-cross", {{"fast", 10}, {"slow", 30}, {"qty", 10}}, {}};
  EngineConfig config;
  config.record_details = true;
  costs::ZeroCostModel zero;

  // The bad bar at several places, so that some follow a quiet stretch of the fast path (which
  // stops before the bad bar and leaves it to the general step, with the bar count it rebuilt
  // from the indices) and some follow a signal.
  for (std::size_t bad = 695; bad < 705; ++bad) {
    for (const bool same_time : {false, true}) {
      INFO("bar " << bad << (same_time ? ": the previous bar's time" : ": low above high"));
      std::vector<Bar> bars = valid;
      if (same_time) {
        bars[bad].ts = bars[bad - 1].ts;
      } else {
        bars[bad].low = bars[bad].high + 1;
      }
      const auto run = [&](std::size_t chunk, ResultSink& records) {
        BarsFeed feed(bars, chunk);
        ApproveAll gate;
        return run_backtest(feed, {spec}, config, zero, gate, &records).status();
      };
      ResultSink general_records;
      const Status general = run(0, general_records);
      REQUIRE_FALSE(general.ok());
      CHECK(general.code() == ErrorCode::kInvalidArgument);
      CHECK(general_records.given.fills.size() > 5);
      // The whole series at once; the bad bar first in its chunk (the count carried from the
      // previous chunk decides it); chunks of a few bars.
      for (const std::size_t chunk : {valid.size(), bad, std::size_t{7}}) {
        INFO("in chunks of " << chunk << " bars");
        ResultSink fast_records;
        const Status fast = run(chunk, fast_records);
        REQUIRE_FALSE(fast.ok());
        CHECK(fast.code() == general.code());
        CHECK(fast.message() == general.message());
        check_same_record_files(fast_records.given, general_records.given);
      }
    }
  }
}
