// RecordFiles: the round trips go to trades.ndjson as they close and are read back, in close order
// and exact, from a scratch file that leaves no name behind; the fills of charted symbols are read
// back as marks, one symbol at a time, with their price range.
#include "backtest_program/record_files.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>

#include "backtest/report.h"
#include "support/temp_dir.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest_program::RecordFiles;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TradeRecord trade_number(int i) {
  TradeRecord t;
  t.strategy = i % 2 == 0 ? "fast" : "slow \"quoted\"";
  t.symbol = i % 3 == 0 ? "M&M" : "TCS";
  t.entry_ts = 1'700'000'000'000 + i * 60'000;
  t.exit_ts = t.entry_ts + 3 * 60'000;
  t.qty = 10 + i;
  t.entry_value = 100'000 * t.qty + i;
  t.exit_value = t.entry_value + (i % 5 - 2) * 1'234;
  t.gross_pnl = t.exit_value - t.entry_value;
  t.charges.brokerage = 2'000 + i;
  t.charges.stt = 3 * i;
  t.charges.exchange = 7;
  t.charges.sebi = 1;
  t.charges.stamp = i % 4;
  t.charges.gst = 360;
  t.charges.dp = i % 2 == 0 ? 1'593 : 0;
  t.net_pnl = t.gross_pnl - t.charges.total();
  t.bars_held = i % 9;
  t.exit_reason = i % 7 == 0 ? "protective_stop" : "signal";
  return t;
}

FillRecord fill_of(const std::string& symbol, Side side, Paise price, int i) {
  FillRecord f;
  f.fill.ts = 1'700'000'000'000 + i * 60'000;
  f.fill.symbol = symbol;
  f.fill.side = side;
  f.fill.qty = 5 + i;
  f.fill.price = price;
  f.order_type = "MARKET";
  f.trigger = "open";
  return f;
}

}  // namespace

TEST_CASE("round trips go to trades.ndjson and are read back exactly, in close order",
          "[backtest_program][records]") {
  sm::testing::TempDir dir;
  RecordFiles files;
  REQUIRE(files.open(dir.path(), {"M&M", "TCS"}, 10'000'000, 12).ok());
  // Enough that the scratch file's buffer is written out several times.
  BacktestResult kept;
  for (int i = 0; i < 6'000; ++i) {
    kept.trades.push_back(trade_number(i));
    REQUIRE(files.trade(kept.trades.back()).ok());
  }
  OpenPosition open;
  open.strategy = "fast";
  open.symbol = "TCS";
  open.qty = 3;
  kept.open_positions.push_back(open);
  REQUIRE(files.finish(kept).ok());
  CHECK(read_file(dir.file("trades.ndjson")) == trades_ndjson(kept));

  for (int pass = 0; pass < 2; ++pass) {  // a report may read them more than once
    std::string expected, read;
    for (const TradeRecord& t : kept.trades) append_trade_line(expected, t);
    std::size_t count = 0;
    REQUIRE(files
                .read_trades([&](const TradeRecord& t) {
                  append_trade_line(read, t);
                  CHECK(t.entry_price() == kept.trades[count].entry_price());
                  ++count;
                })
                .ok());
    CHECK(count == kept.trades.size());
    CHECK(read == expected);
  }
  // The scratch files have no name in the directory, even while open.
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.insert(entry.path().filename().string());
  }
  CHECK(names ==
        std::set<std::string>{"equity.csv", "fills.ndjson", "signals.ndjson", "trades.ndjson"});
}

TEST_CASE("the fills of charted symbols are read back as marks, per symbol, with their range",
          "[backtest_program][records]") {
  sm::testing::TempDir dir;
  RecordFiles files;
  // Three symbols, the first two charted.
  REQUIRE(files.open(dir.path(), {"AAA", "BBB", "CCC"}, 10'000'000, 2).ok());
  std::vector<FillRecord> fills;
  for (int i = 0; i < 9'000; ++i) {
    const char* symbol = i % 3 == 0 ? "AAA" : i % 3 == 1 ? "BBB" : "CCC";
    fills.push_back(
        fill_of(symbol, i % 2 == 0 ? Side::kBuy : Side::kSell, 50'000 + (i * 7'919) % 10'000, i));
    REQUIRE(files.fill(fills.back()).ok());
  }
  REQUIRE(files.finish(BacktestResult{}).ok());
  for (std::uint32_t series = 0; series < 2; ++series) {
    const std::string symbol = series == 0 ? "AAA" : "BBB";
    std::vector<FillMark> expected;
    Paise lo = std::numeric_limits<Paise>::max(), hi = 0;
    for (const FillRecord& f : fills) {
      if (f.fill.symbol != symbol) continue;
      expected.push_back({f.fill.ts, f.fill.price, f.fill.qty, series, f.fill.side});
      lo = std::min(lo, f.fill.price);
      hi = std::max(hi, f.fill.price);
    }
    std::vector<FillMark> read;
    REQUIRE(files.read_fill_marks(series, [&](const FillMark& m) { read.push_back(m); }).ok());
    REQUIRE(read.size() == expected.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
      CHECK(read[i].ts == expected[i].ts);
      CHECK(read[i].price == expected[i].price);
      CHECK(read[i].qty == expected[i].qty);
      CHECK(read[i].series == series);
      CHECK(read[i].side == expected[i].side);
    }
    CHECK(files.fill_mark_range(series) == std::make_pair(lo, hi));
  }
  // An uncharted symbol has no marks.
  CHECK_FALSE(files.fill_mark_range(2).has_value());
  std::size_t uncharted = 0;
  REQUIRE(files.read_fill_marks(2, [&](const FillMark&) { ++uncharted; }).ok());
  CHECK(uncharted == 0);
  CHECK(read_file(dir.file("fills.ndjson")).size() > 0);
}
