// DatabaseBarStream: the database's bars fed to a run as it goes must give the run, the findings
// and the log lines that loading everything first (load_data) gives.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "backtest/metrics.h"
#include "backtest/report.h"
#include "core/log.h"
#include "costs/cost_model.h"
#include "history/database_stream.h"
#include "history/loader.h"
#include "history/stream_vs_loaded.h"
#include "store/database.h"
#include "store/market_data.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using namespace sm;
using sm::testing::TempDir;

namespace {

// Three symbols of 15-minute bars over six weeks (weekends included, so weekend sessions are
// found), BBB starting later, CCC halving once without a listed action (a suspected one), AAA
// with a listed bonus, and the last days of every symbol after the run's start (from the
// future).
std::vector<Bar> messy_bars(int days = 42) {
  std::vector<Bar> bars;
  std::uint64_t state = 11;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 33) / static_cast<double>(1ULL << 31);
  };
  for (const char* symbol : {"AAA", "BBB", "CCC"}) {
    Paise close = 50000;
    for (int day = 0; day < days; ++day) {
      if (symbol[0] == 'B' && day < 5) continue;
      for (int slot = 0; slot < 25; ++slot) {
        Bar b;
        b.ts = from_ist(add_days(Date{2024, 2, 5}, day), 9, 15) + slot * 15 * kMsPerMinute;
        b.symbol = symbol;
        b.timeframe = Timeframe{15};
        Paise open = close;
        if (slot == 0 && day == 20 && symbol[0] != 'B') open = close / 2;  // AAA listed, CCC not
        close = std::max<Paise>(100, open + static_cast<Paise>((next() - 0.49) * 800));
        b.open = open;
        b.close = close;
        b.high = std::max(open, close) + static_cast<Paise>(next() * 200);
        b.low = std::max<Paise>(1, std::min(open, close) - static_cast<Paise>(next() * 200));
        b.volume = 1000 + static_cast<Quantity>(next() * 1000);
        bars.push_back(b);
      }
    }
  }
  return bars;
}

}  // namespace

TEST_CASE("a run over the streamed database equals the run over the loaded bars",
          "[history][stream]") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(store::insert_bars(*db, messy_bars()).ok());
  }
  const std::string actions = dir.file("actions.csv");
  std::ofstream(actions) << "symbol,ex_date,kind,ratio\nAAA,2024-02-25,bonus,1:1\n";

  // Every symbol, two (given in reverse order), and one (which the engine reads in chunks).
  for (const std::vector<std::string>& symbols :
       {std::vector<std::string>{}, std::vector<std::string>{"ccc", "AAA"},
        std::vector<std::string>{"AAA"}}) {
    for (const bool adjust : {true, false}) {
      INFO(symbols.size() << " symbols given, adjust " << adjust);
      history::DataSource source;
      source.db_path = path;
      source.timeframe = "15m";
      source.corporate_actions = actions;
      source.adjust = adjust;
      source.not_after = from_ist(Date{2024, 3, 14}, 12, 0);
      source.symbols = symbols;

      const testing::StreamVsLoaded both =
          testing::stream_vs_loaded(source, [](const history::DataSource& s, const Logger& log) {
            return history::DatabaseBarStream::open(s, log);
          });
      const history::LoadedData& loaded = both.loaded;
      const history::LoadedData& found = both.found;
      if (symbols.size() != 1) CHECK(found.issue_counts.at("suspected_corporate_action") >= 1);
      CHECK(found.issue_counts.at("weekend_session") >= 1);
      CHECK(found.issue_counts.at("timestamp_out_of_range") > 0);
      backtest::RunInfo a, b;
      a.data_issues = loaded.issue_counts;
      b.data_issues = found.issue_counts;
      CHECK(backtest::summary_json(both.streamed, backtest::summarize(both.streamed, 0), b) ==
            backtest::summary_json(both.kept, backtest::summarize(both.kept, 0), a));

      // What the HTML report reads of the bars: each symbol's last bar of every date.
      REQUIRE(found.data.series().size() == loaded.data.series().size());
      for (std::size_t s = 0; s < found.data.series().size(); ++s) {
        const auto& daily = found.data.series()[s].bars;
        const auto& full = loaded.data.series()[s].bars;
        CHECK(daily.size() < full.size() / 10);
        for (const Bar& bar : daily) {
          auto it = std::find_if(full.begin(), full.end(),
                                 [&](const Bar& one) { return one.ts == bar.ts; });
          REQUIRE(it != full.end());
          CHECK(it->close == bar.close);
          ++it;
          CHECK((it == full.end() || ist_date(it->ts) != ist_date(bar.ts)));
        }
      }
    }
  }
}

TEST_CASE("one symbol streamed in several chunks equals the loaded bars, and fails as they do",
          "[history][stream]") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  // 180 days of 25 bars: more than one of the stream's chunks (4,096 bars), and a bad bar in the
  // second.
  std::vector<Bar> bars = messy_bars(180);
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(store::insert_bars(*db, bars).ok());
  }
  history::DataSource source;
  source.db_path = path;
  source.timeframe = "15m";
  source.symbols = {"AAA"};
  source.not_after = from_ist(Date{2024, 7, 30}, 12, 0);
  const testing::StreamVsLoaded both =
      testing::stream_vs_loaded(source, [](const history::DataSource& s, const Logger& log) {
        return history::DatabaseBarStream::open(s, log);
      });
  CHECK(both.streamed.fast_path_bars > both.streamed.bars / 2);
  CHECK(both.found.bars > 4096);

  {
    // The table refuses such a bar, so a stored one is broken with its checks off.
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(db->execute("PRAGMA ignore_check_constraints = ON").ok());
    REQUIRE(db->execute(fmt::format("UPDATE bars SET low_paise = high_paise + 1 WHERE symbol = "
                                    "'AAA' AND ts_ms = {}",
                                    bars[4200].ts))
                .ok());
  }
  testing::CapturedLog a(LogLevel::kInfo), b(LogLevel::kInfo);
  Result<history::LoadedData> loaded = history::load_data(source, a.log());
  REQUIRE_FALSE(loaded.ok());
  auto stream = history::DatabaseBarStream::open(source, b.log());
  REQUIRE(stream.ok());
  backtest::ApproveAll gate;
  costs::ZeroCostModel zero;
  Result<backtest::BacktestResult> run = backtest::run_backtest(
      **stream, {{"", "sma-cross", nullptr, {}}}, backtest::EngineConfig{}, zero, gate);
  REQUIRE_FALSE(run.ok());
  CHECK(run.status().to_string() == loaded.status().to_string());
}

TEST_CASE("a streamed database with no bars in range fails as loading it does",
          "[history][stream]") {
  TempDir dir;
  const std::string path = dir.file("t.db");
  {
    auto db = store::Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(store::insert_bars(*db, messy_bars()).ok());
  }
  history::DataSource source;
  source.db_path = path;
  source.timeframe = "15m";
  source.from = "2030-01-01";
  Logger log("test", LogLevel::kError);
  CHECK(history::DatabaseBarStream::open(source, log).status().code() == ErrorCode::kUnavailable);
  source.from = "";
  source.timeframe = "nonsense";
  CHECK(history::DatabaseBarStream::open(source, log).status().code() ==
        ErrorCode::kInvalidArgument);
  source.timeframe = "15m";
  source.db_path = dir.file("none.db");
  CHECK(history::DatabaseBarStream::open(source, log).status().code() == ErrorCode::kNotFound);
}
