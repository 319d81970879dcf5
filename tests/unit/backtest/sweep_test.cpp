// Parameter grids, parallel sweeps (same results in the same order on any number of threads),
// ranking, and walk-forward windows with their stitched out-of-sample result.
#include <catch2/catch.hpp>
#include <cstdint>

#include "backtest/report.h"
#include "backtest/sweep.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::rs;

namespace {

// A deterministic random walk (fixed-seed LCG), n daily bars from 2020-01-01.
MarketData walk(int n, const std::string& symbol = "WALK") {
  std::uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 33) / static_cast<double>(1ULL << 31);
  };
  std::vector<Bar> bars;
  Paise close = rs(500);
  for (int i = 0; i < n; ++i) {
    const Paise open = close;
    close = std::max<Paise>(rs(10), open + static_cast<Paise>((next() - 0.495) * 2000));
    Bar b;
    b.ts = from_ist(add_days(Date{2020, 1, 1}, i), 9, 15);
    b.symbol = symbol;
    b.timeframe = Timeframe{Timeframe::kDailyMinutes};
    b.open = open;
    b.close = close;
    b.high = std::max(open, close) + static_cast<Paise>(next() * 500);
    b.low = std::max<Paise>(1, std::min(open, close) - static_cast<Paise>(next() * 500));
    b.volume = 100000;
    bars.push_back(b);
  }
  std::vector<SymbolSeries> series{{symbol, std::move(bars)}};
  return *MarketData::make(std::move(series));
}

const StrategySpec kSma{"", "sma-cross", {{"qty", 10}}, {}};

// The walk-forward both walk-forward tests start from: 200 in-sample bars, then 100 out of
// sample, candidates ranked by net P&L.
WalkForwardOptions rolling_200_100() {
  WalkForwardOptions options;
  options.in_sample_bars = 200;
  options.out_sample_bars = 100;
  options.metric = Metric::kNetPnl;
  return options;
}

SweepOptions on_threads(unsigned threads) {
  SweepOptions sweep;
  sweep.threads = threads;
  return sweep;
}

}  // namespace

TEST_CASE("grid axes are lists or inclusive ranges", "[backtest][sweep]") {
  auto list = parse_axis("fast=5,10,20");
  REQUIRE(list.ok());
  CHECK(list->name == "fast");
  CHECK(list->values == std::vector<nlohmann::json>{5, 10, 20});
  auto range = parse_axis("slow=20:60:10");
  REQUIRE(range.ok());
  CHECK(range->values == std::vector<nlohmann::json>{20, 30, 40, 50, 60});
  auto decimals = parse_axis("stop_atr_multiple=1:2:0.5");
  REQUIRE(decimals.ok());
  CHECK(decimals->values == std::vector<nlohmann::json>{1.0, 1.5, 2.0});
  auto words = parse_axis("sizing=fixed_qty,risk");
  REQUIRE(words.ok());
  CHECK(words->values[1] == "risk");
  CHECK_FALSE(parse_axis("fast").ok());
  CHECK_FALSE(parse_axis("fast=").ok());
  CHECK_FALSE(parse_axis("fast=1:10:0").ok());
  CHECK_FALSE(parse_axis("fast=10:1:1").ok());
  CHECK_FALSE(parse_axis("fast=1:10").ok());
  CHECK_FALSE(parse_axis("fast=1:10000000:1").ok());
}

TEST_CASE("expand_grid varies the first axis slowest over the fixed parameters",
          "[backtest][sweep]") {
  std::vector<ParamAxis> axes{*parse_axis("fast=5,10"), *parse_axis("slow=30,40,50")};
  auto sets = expand_grid({{"qty", 10}}, axes);
  REQUIRE(sets.size() == 6);
  CHECK(sets[0] == nlohmann::json({{"qty", 10}, {"fast", 5}, {"slow", 30}}));
  CHECK(sets[2] == nlohmann::json({{"qty", 10}, {"fast", 5}, {"slow", 50}}));
  CHECK(sets[3] == nlohmann::json({{"qty", 10}, {"fast", 10}, {"slow", 30}}));
  CHECK(expand_grid(nullptr, {}).size() == 1);
}

TEST_CASE("a sweep gives the same rows in grid order on one thread and on four",
          "[backtest][sweep]") {
  MarketData data = walk(800);
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3:15:4"), *parse_axis("slow=10,20,40")});
  costs::ZeroCostModel zero;
  const SweepOptions one = on_threads(1);
  SweepOptions four = on_threads(4);
  std::size_t calls = 0;
  four.progress = [&](std::size_t done, std::size_t total) {
    ++calls;
    CHECK(done <= total);
  };
  auto a = run_sweep(data, kSma, sets, EngineConfig{}, zero, one);
  auto b = run_sweep(data, kSma, sets, EngineConfig{}, zero, four);
  CHECK(calls == sets.size());
  REQUIRE(a.size() == sets.size());
  REQUIRE(b.size() == sets.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(sets[i].dump());
    CHECK(a[i].index == i);
    CHECK(b[i].index == i);
    CHECK(a[i].params == sets[i]);
    CHECK(a[i].status.ok() == b[i].status.ok());
    CHECK(a[i].summary.net_pnl == b[i].summary.net_pnl);
    CHECK(a[i].summary.trades == b[i].summary.trades);
  }
  // fast=15, slow=10 breaks slow > fast: that run fails and ranks last.
  auto order = rank_rows(a, Metric::kNetPnl);
  CHECK_FALSE(a[order.back()].status.ok());
  CHECK(a[order.front()].summary.net_pnl >= a[order[1]].summary.net_pnl);
  const std::string table = sweep_table(a, order, Metric::kNetPnl, 5);
  CHECK(std::count(table.begin(), table.end(), '\n') == 6);  // header + 5
  const std::string lines = sweep_ndjson(a, order, Metric::kNetPnl);
  CHECK(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')) == a.size());
  CHECK(lines.find("\"error\":\"invalid_argument\"") != std::string::npos);
}

TEST_CASE("ranking keeps grid order on ties and puts undefined values last", "[backtest][sweep]") {
  std::vector<SweepRow> rows(3);
  rows[0].summary.sharpe = 1.0;
  rows[1].summary.sharpe = std::nullopt;
  rows[2].summary.sharpe = 1.0;
  CHECK(rank_rows(rows, Metric::kSharpe) == std::vector<std::size_t>{0, 2, 1});
}

TEST_CASE("walk-forward rolls windows, warms up on in-sample bars and chains the equity",
          "[backtest][walkforward]") {
  MarketData data = walk(600);
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3,5"), *parse_axis("slow=10,20")});
  costs::ZeroCostModel zero;
  WalkForwardOptions options = rolling_200_100();
  const SweepOptions sweep = on_threads(2);
  auto result = run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, sweep);
  REQUIRE(result.ok());
  const auto& times = data.times();
  REQUIRE(result->windows.size() == 4);
  for (std::size_t w = 0; w < 4; ++w) {
    const WalkForwardWindow& win = result->windows[w];
    INFO("window " << w);
    CHECK(win.status.ok());
    CHECK(win.in_sample_from == times[w * 100]);
    CHECK(win.in_sample_to == times[w * 100 + 199]);
    CHECK(win.out_sample_from == times[w * 100 + 200]);
    CHECK(win.out_sample_to == times[w * 100 + 299]);
    CHECK(win.candidates_ok == 4);
    CHECK(!win.best_params.is_null());
  }
  const BacktestResult& stitched = result->stitched;
  REQUIRE(stitched.equity.size() == 400);
  CHECK(stitched.equity.front().ts == times[200]);
  CHECK(stitched.equity.back().ts == times[599]);
  // Each segment closes what it holds at its end and hands its equity to the next.
  Paise equity = EngineConfig{}.starting_cash;
  for (const WalkForwardWindow& win : result->windows) {
    CHECK(win.out_sample.starting_cash == equity);
    equity = win.out_sample.final_equity;
  }
  CHECK(stitched.final_equity == equity);
  CHECK(result->summary.net_pnl == equity - EngineConfig{}.starting_cash);
  CHECK(stitched.open_positions.empty());

  options.anchored = true;
  auto anchored = run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, sweep);
  REQUIRE(anchored.ok());
  for (const WalkForwardWindow& win : anchored->windows) CHECK(win.in_sample_from == times[0]);

  options.in_sample_bars = 600;
  CHECK_FALSE(run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, sweep).ok());
}

TEST_CASE(
    "the sweep table shows the ranked metric once, in its own units, and only swept "
    "parameters",
    "[backtest][sweep]") {
  std::vector<SweepRow> rows(2);
  rows[0].params = {{"fast", 5}, {"qty", 100}};
  rows[1].params = {{"fast", 10}, {"qty", 100}};
  rows[0].summary.sharpe = 1.25;
  rows[0].summary.net_pnl = 11174000;  // ₹1,11,740.00
  rows[1].summary.sharpe = 0.5;
  rows[1].summary.net_pnl = -250000;
  rows[0].summary.max_drawdown = 0.1234;
  auto count = [](const std::string& text, const std::string& word) {
    std::size_t n = 0;
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1))
      ++n;
    return n;
  };
  auto header = [](const std::string& table) { return table.substr(0, table.find('\n')); };

  const std::string by_sharpe =
      sweep_table(rows, rank_rows(rows, Metric::kSharpe), Metric::kSharpe, 0);
  INFO(by_sharpe);
  CHECK(count(header(by_sharpe), "sharpe") == 1);
  CHECK(by_sharpe.find("1.250") != std::string::npos);
  CHECK(by_sharpe.find("1.2500") == std::string::npos);
  CHECK(by_sharpe.find("fast=5") != std::string::npos);
  CHECK(by_sharpe.find("qty") == std::string::npos);

  const std::string by_pnl =
      sweep_table(rows, rank_rows(rows, Metric::kNetPnl), Metric::kNetPnl, 0);
  INFO(by_pnl);
  CHECK(count(header(by_pnl), "net") == 1);
  CHECK(count(by_pnl, "1,11,740.00") == 1);
  CHECK(by_pnl.find("11174000") == std::string::npos);
  CHECK(count(header(by_pnl), "sharpe") == 1);

  const std::string by_dd =
      sweep_table(rows, rank_rows(rows, Metric::kMaxDrawdown), Metric::kMaxDrawdown, 0);
  INFO(by_dd);
  CHECK(count(header(by_dd), "max") == 1);
  CHECK(count(by_dd, "12.34%") == 1);
}

TEST_CASE("swept parameter names are those whose value differs between the sets",
          "[backtest][sweep]") {
  auto sets = expand_grid({{"qty", 100}, {"slow", 30}}, {*parse_axis("fast=3,5")});
  CHECK(swept_parameter_names(sets) == std::vector<std::string>{"fast"});
  CHECK(swept_parameter_names({sets[0]}).empty());
}

TEST_CASE("the walk-forward table lists only swept parameters and the metric in its own units",
          "[backtest][walkforward]") {
  MarketData data = walk(600);
  nlohmann::json base = kSma.params;
  base["qty"] = 7;
  auto sets = expand_grid(base, {*parse_axis("fast=3,5")});
  costs::ZeroCostModel zero;
  WalkForwardOptions options = rolling_200_100();
  const SweepOptions sweep = on_threads(1);
  auto result = run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, sweep);
  REQUIRE(result.ok());
  CHECK(result->swept_params == std::vector<std::string>{"fast"});
  const std::string table = walk_forward_table(*result, Metric::kNetPnl);
  INFO(table);
  CHECK(table.find("fast=") != std::string::npos);
  CHECK(table.find("qty") == std::string::npos);
  CHECK(table.find("slow") == std::string::npos);
  // The in-sample net P&L is in rupees with two decimals, not paise with four.
  REQUIRE(result->windows[0].in_sample_value.has_value());
  const std::string rupees =
      format_rupees_grouped(static_cast<Paise>(*result->windows[0].in_sample_value));
  CHECK(table.find(rupees) != std::string::npos);
}

TEST_CASE("a shard is K/N with K from 1 to N, both whole numbers", "[backtest][shard]") {
  REQUIRE(parse_shard("2/3").ok());
  CHECK(parse_shard("2/3")->number == 2);
  CHECK(parse_shard("2/3")->count == 3);
  CHECK(parse_shard("1/1").ok());
  for (const char* bad :
       {"0/3", "4/3", "a/b", "3", "/3", "1/", "1/0", "-1/3", "1/3x", "1.5/3", ""}) {
    INFO(bad);
    Result<Shard> shard = parse_shard(bad);
    REQUIRE_FALSE(shard.ok());
    CHECK(shard.status().code() == ErrorCode::kInvalidArgument);
    CHECK(shard.status().message().find("K/N") != std::string::npos);
  }
}

TEST_CASE("the N shards of a grid are contiguous, in order, and cover every set once",
          "[backtest][shard]") {
  for (std::size_t sets : {0u, 1u, 2u, 7u, 20u, 100u}) {
    for (std::size_t count : {1u, 2u, 3u, 7u, 8u}) {
      INFO(sets << " sets in " << count << " shards");
      std::size_t next = 0;
      for (std::size_t k = 1; k <= count; ++k) {
        const GridSlice slice = shard_slice(sets, Shard{k, count});
        CHECK(slice.begin == next);
        CHECK(slice.end >= slice.begin);
        CHECK(slice.end - slice.begin <= sets / count + 1);
        CHECK(slice.end - slice.begin >= sets / count);
        next = slice.end;
      }
      CHECK(next == sets);
    }
  }
}

TEST_CASE("sweep NDJSON reads back into rows that rank and print exactly as the originals",
          "[backtest][shard]") {
  MarketData data = walk(600);
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3:15:4"), *parse_axis("slow=10,20,40")});
  costs::ZeroCostModel zero;
  auto rows = run_sweep(data, kSma, sets, EngineConfig{}, zero, on_threads(2));
  for (Metric metric : {Metric::kSharpe, Metric::kNetPnl, Metric::kMaxDrawdown}) {
    const std::string text = sweep_ndjson(rows, rank_rows(rows, metric), metric);
    std::optional<Metric> read_metric;
    auto read = parse_sweep_ndjson(text, "mem", read_metric);
    REQUIRE(read.ok());
    REQUIRE(read_metric == metric);
    auto merged = merge_sweep_rows(std::move(read).value());
    REQUIRE(merged.ok());
    CHECK(sweep_ndjson(*merged, rank_rows(*merged, metric), metric) == text);
    CHECK(sweep_table(*merged, rank_rows(*merged, metric), metric, 0) ==
          sweep_table(rows, rank_rows(rows, metric), metric, 0));
  }
}

TEST_CASE("three shards merged rank exactly as one unsharded sweep", "[backtest][shard]") {
  MarketData data = walk(600);
  // 15 sets, one of which fails (fast=15 > slow=10), and ties in win rate.
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3:15:3"), *parse_axis("slow=10,20,40")});
  costs::ZeroCostModel zero;
  const Metric metric = Metric::kWinRate;
  auto whole = run_sweep(data, kSma, sets, EngineConfig{}, zero, on_threads(1));
  const std::string expected = sweep_ndjson(whole, rank_rows(whole, metric), metric);
  // Each shard ranks and prints its own slice; the merge reads them in any order.
  std::string shard_text[3];
  for (std::size_t k = 1; k <= 3; ++k) {
    const GridSlice slice = shard_slice(sets.size(), Shard{k, 3});
    std::vector<nlohmann::json> part(sets.begin() + static_cast<std::ptrdiff_t>(slice.begin),
                                     sets.begin() + static_cast<std::ptrdiff_t>(slice.end));
    SweepOptions options = on_threads(2);
    options.first_index = slice.begin;
    auto rows = run_sweep(data, kSma, part, EngineConfig{}, zero, options);
    shard_text[k - 1] = sweep_ndjson(rows, rank_rows(rows, metric), metric);
  }
  std::vector<SweepRow> all;
  std::optional<Metric> read_metric;
  for (int k : {2, 0, 1}) {
    auto rows = parse_sweep_ndjson(shard_text[k], "shard", read_metric);
    REQUIRE(rows.ok());
    for (SweepRow& row : *rows) all.push_back(std::move(row));
  }
  auto merged = merge_sweep_rows(std::move(all));
  REQUIRE(merged.ok());
  CHECK(sweep_ndjson(*merged, rank_rows(*merged, metric), metric) == expected);
  CHECK(expected.find("\"error\"") != std::string::npos);
}

TEST_CASE("a truncated or foreign sweep NDJSON and a shard given twice are refused",
          "[backtest][shard]") {
  MarketData data = walk(300);
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3,5")});
  costs::ZeroCostModel zero;
  auto rows = run_sweep(data, kSma, sets, EngineConfig{}, zero, on_threads(1));
  const std::string text = sweep_ndjson(rows, rank_rows(rows, Metric::kSharpe), Metric::kSharpe);
  std::optional<Metric> metric;
  auto refused = [&](std::string_view input, std::string_view why) {
    INFO(input);
    std::optional<Metric> m;
    auto read = parse_sweep_ndjson(input, "in.ndjson", m);
    REQUIRE_FALSE(read.ok());
    CHECK(read.status().code() == ErrorCode::kParseError);
    CHECK(read.status().message().find("in.ndjson line") != std::string::npos);
    CHECK(read.status().message().find(why) != std::string::npos);
  };
  refused(text.substr(0, text.size() - 1), "truncated");  // cut just before the last newline
  refused(text.substr(0, text.size() - 20) + "\n", "not a complete JSON object");
  refused("{\"type\":\"trade\"}\n", "not a sweep_result line");
  refused("{\"type\":\"sweep_result\",\"index\":0,\"params\":{},\"metric\":\"sharpe\"}\n",
          "net_pnl");
  const std::string other = sweep_ndjson(rows, rank_rows(rows, Metric::kNetPnl), Metric::kNetPnl);
  refused(text + other, "ranked by net-pnl");
  auto twice = parse_sweep_ndjson(text + text, "x", metric);
  REQUIRE(twice.ok());
  auto merged = merge_sweep_rows(std::move(twice).value());
  REQUIRE_FALSE(merged.ok());
  CHECK(merged.status().code() == ErrorCode::kConflict);
  auto empty = parse_sweep_ndjson("", "x", metric);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("walk-forward gives the same windows and stitched result on one thread and on four",
          "[backtest][walkforward]") {
  MarketData data = walk(900);
  auto sets = expand_grid(kSma.params, {*parse_axis("fast=3:15:4"), *parse_axis("slow=10,20,40")});
  costs::ZeroCostModel zero;
  for (bool anchored : {false, true}) {
    INFO("anchored " << anchored);
    WalkForwardOptions options = rolling_200_100();
    options.anchored = anchored;
    SweepOptions four = on_threads(4);
    std::size_t last = 0, calls = 0;
    four.progress = [&](std::size_t done, std::size_t total) {
      ++calls;
      CHECK(done == last + 1);  // one call at a time, counting up
      CHECK(total == 7 * (sets.size() + 1));
      last = done;
    };
    auto a = run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, on_threads(1));
    auto b = run_walk_forward(data, kSma, sets, EngineConfig{}, zero, options, four);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(calls == 7 * (sets.size() + 1));
    REQUIRE(a->windows.size() == 7);
    REQUIRE(b->windows.size() == a->windows.size());
    CHECK(walk_forward_ndjson(*a, Metric::kNetPnl) == walk_forward_ndjson(*b, Metric::kNetPnl));
    CHECK(a->summary.net_pnl == b->summary.net_pnl);
    CHECK(a->stitched.trades.size() == b->stitched.trades.size());
    CHECK(a->stitched.equity.size() == b->stitched.equity.size());
  }
}
