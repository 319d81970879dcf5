// The history loader: what it reports about messy files, ranges, several inputs, the database,
// and corporate-action adjustment.
#include <catch2/catch.hpp>

#include "core/log.h"
#include "history/loader.h"
#include "store/database.h"
#include "store/market_data.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using namespace sm;
using sm::testing::TempDir;

namespace {

const char* kHeader = "Date,Symbol,Open,High,Low,Close,Volume\n";

Logger quiet() { return Logger("test", LogLevel::kError); }

}  // namespace

TEST_CASE(
    "a newest-first file with a duplicate date and a bad row is reported, sorted and kept "
    "one row per date",
    "[history][loader]") {
  TempDir dir;
  const std::string path =
      dir.write("x.csv", std::string(kHeader) +
                             "2024-01-05,ABC,10,11,9,10.5,100\n"
                             "2024-01-04,ABC,10,11,9,10,100\n"
                             "2024-01-04,ABC,10,10,10,10,500\n"  // same date, larger volume: kept
                             "2024-01-03,ABC,ten,11,9,10,100\n"  // unreadable: dropped
                             "2024-01-02,ABC,10,11,9,10,100\n");
  history::DataSource source;
  source.files = {path};
  Logger log = quiet();
  auto loaded = history::load_data(source, log);
  REQUIRE(loaded.ok());
  CHECK(loaded->bars == 3);
  CHECK(loaded->issue_counts["duplicate_timestamp"] == 1);
  CHECK(loaded->issue_counts["unparsable_number"] == 1);
  CHECK(loaded->issue_counts["unsorted_rows"] >= 2);
  const auto& bars = loaded->data.series()[0].bars;
  CHECK(bars[1].volume == 500);
  CHECK(bars[0].ts < bars[1].ts);
}

TEST_CASE(
    "a from/to range keeps its bars, several files share the timeline, a symbol twice is refused",
    "[history][loader]") {
  TempDir dir;
  const std::string a = dir.write("a.csv", std::string(kHeader) +
                                               "2024-01-01,AAA,1,1,1,1,1\n"
                                               "2024-01-02,AAA,1,1,1,1,1\n"
                                               "2024-01-03,AAA,1,1,1,1,1\n");
  const std::string b = dir.write("b.csv", std::string(kHeader) + "2024-01-02,BBB,2,2,2,2,1\n");
  history::DataSource source;
  source.files = {a, b};
  source.from = "2024-01-02";
  source.to = "2024-01-02";
  Logger log = quiet();
  auto loaded = history::load_data(source, log);
  REQUIRE(loaded.ok());
  CHECK(loaded->data.series().size() == 2);
  CHECK(loaded->bars == 2);
  CHECK(loaded->data.times().size() == 1);

  source.files = {a, a};
  source.from.clear();
  source.to.clear();
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kInvalidArgument);
  // The same symbol in two files that do not overlap is refused too (it was merged silently
  // when the first file ended with the symbol the second began with).
  const std::string later = dir.write("later.csv", std::string(kHeader) +
                                                       "2024-01-04,AAA,1,1,1,1,1\n"
                                                       "2024-01-05,AAA,1,1,1,1,1\n");
  source.files = {a, later};
  Result<history::LoadedData> twice = history::load_data(source, log);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message().find("give each symbol once") != std::string::npos);
  source.files = {dir.file("missing.csv")};
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kNotFound);
  source.files = {a};
  source.from = "2030-01-01";
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kUnavailable);
  source.from = "yesterday";
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kInvalidArgument);
  source.from.clear();
  source.adjust = true;
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("corporate actions from a file adjust the loaded bars when asked", "[history][loader]") {
  TempDir dir;
  const std::string prices = dir.write("p.csv", std::string(kHeader) +
                                                    "2024-01-01,AAA,100,100,100,100,10\n"
                                                    "2024-01-02,AAA,50,50,50,50,20\n");
  const std::string actions =
      dir.write("ca.csv", "symbol,ex_date,kind,ratio\nAAA,2024-01-02,bonus,1:1\n");
  history::DataSource source;
  source.files = {prices};
  source.corporate_actions = actions;
  Logger log = quiet();
  auto reported = history::load_data(source, log);
  REQUIRE(reported.ok());
  CHECK(reported->issue_counts["corporate_action"] == 1);
  CHECK(reported->issue_counts.count("suspected_corporate_action") == 0);
  CHECK(reported->data.series()[0].bars[0].close == 10000);
  source.adjust = true;
  auto adjusted = history::load_data(source, log);
  REQUIRE(adjusted.ok());
  CHECK(adjusted->corporate_actions_applied == 1);
  CHECK(adjusted->data.series()[0].bars[0].close == 5000);
  CHECK(adjusted->data.series()[0].bars[0].volume == 20);
  source.corporate_actions = dir.write("bad.csv", "symbol,ex_date,kind\n");
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kParseError);
}

TEST_CASE("bars come from the database by symbol, timeframe and range", "[history][loader]") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    std::vector<Bar> bars;
    for (int day = 0; day < 5; ++day) {
      for (const char* symbol : {"AAA", "BBB"}) {
        Bar b;
        b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
        b.symbol = symbol;
        b.timeframe = Timeframe{Timeframe::kDailyMinutes};
        b.open = b.high = b.low = b.close = 1000 + day;
        b.volume = 1;
        bars.push_back(b);
      }
    }
    REQUIRE(store::insert_bars(*db, bars).ok());
  }
  history::DataSource source;
  source.db_path = path;
  Logger log = quiet();
  auto all = history::load_data(source, log);
  REQUIRE(all.ok());
  CHECK(all->data.series().size() == 2);
  CHECK(all->bars == 10);
  CHECK(all->inputs[0] == "db:" + path);
  source.symbols = {"bbb"};
  source.to = "2024-01-02";
  auto some = history::load_data(source, log);
  REQUIRE(some.ok());
  CHECK(some->data.series().size() == 1);
  CHECK(some->data.series()[0].symbol == "BBB");
  CHECK(some->bars == 2);
  source.timeframe = "5m";
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kUnavailable);
  source.db_path = dir.file("none.db");
  CHECK(history::load_data(source, log).status().code() == ErrorCode::kNotFound);
}

TEST_CASE("bars from the future in the database are reported in time order, then by symbol",
          "[history][loader]") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    std::vector<Bar> bars;
    for (int day = 0; day < 6; ++day) {
      for (const char* symbol : {"AAA", "ZZZ"}) {
        if (symbol[0] == 'A' && day < 2) continue;  // AAA starts later than ZZZ
        Bar b;
        b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15) + (symbol[0] == 'Z' ? 1 : 0);
        b.symbol = symbol;
        b.timeframe = Timeframe{Timeframe::kDailyMinutes};
        b.open = b.high = b.low = b.close = 1000 + day;
        b.volume = 1;
        bars.push_back(b);
      }
    }
    REQUIRE(store::insert_bars(*db, bars).ok());
  }
  history::DataSource source;
  source.db_path = path;
  source.not_after = from_ist(add_days(Date{2024, 1, 1}, 3), 12, 0);
  testing::CapturedLog captured(LogLevel::kWarning);
  auto loaded = history::load_data(source, captured.log());
  REQUIRE(loaded.ok());
  CHECK(loaded->bars == 6);  // ZZZ days 0-3, AAA days 2-3
  const std::string text = captured.text();
  const std::size_t aaa4 = text.find("AAA bar at 2024-01-05");
  const std::size_t zzz4 = text.find("ZZZ bar at 2024-01-05");
  const std::size_t aaa5 = text.find("AAA bar at 2024-01-06");
  const std::size_t zzz5 = text.find("ZZZ bar at 2024-01-06");
  REQUIRE(aaa4 != std::string::npos);
  REQUIRE(zzz5 != std::string::npos);
  CHECK(aaa4 < zzz4);
  CHECK(zzz4 < aaa5);
  CHECK(aaa5 < zzz5);
}
