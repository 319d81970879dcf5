// CsvBarStream: CSV files fed to a run as it goes must give the run, the findings and the log
// lines that loading every file first (load_data) gives.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "core/log.h"
#include "history/csv_stream.h"
#include "history/loader.h"
#include "history/stream_vs_loaded.h"
#include "history/streamed_series.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using namespace sm;
using sm::testing::TempDir;

namespace {

// 5-minute rows "symbol,ts,open,high,low,close,volume" of a random walk
// over weekdays and one Saturday, from 2024-03-01; CCC halves once (a suspected corporate action).
std::vector<std::string> walk(const std::string& symbol, int days, std::uint64_t seed) {
  std::vector<std::string> rows;
  Paise close = 40000;
  for (int day = 0; day < days; ++day) {
    const Date date = add_days(Date{2024, 3, 1}, day);
    if (weekday(date) == 0) continue;
    for (int slot = 0; slot < 75; ++slot) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto step = static_cast<Paise>((seed >> 33) % 601) - 300;
      Paise open = close;
      if (symbol == "CCC" && day == 9 && slot == 0) open = close / 2;
      close = std::max<Paise>(1000, open + step);
      const Paise high = std::max(open, close) + static_cast<Paise>((seed >> 40) % 90);
      const Paise low = std::min(open, close) - static_cast<Paise>((seed >> 45) % 90);
      rows.push_back(fmt::format(
          "{},{},{},{},{},{},{}", symbol,
          format_utc(from_ist(date, 9, 15) + static_cast<TimestampMs>(slot) * 5 * kMsPerMinute),
          format_rupees(open), format_rupees(high), format_rupees(low), format_rupees(close),
          100 + (seed >> 50) % 900));
    }
  }
  return rows;
}

void write(const std::string& path, const std::vector<std::string>& rows) {
  std::ofstream out(path);
  out << "symbol,ts,open,high,low,close,volume\n";
  for (const std::string& row : rows) out << row << "\n";
}

}  // namespace

TEST_CASE("a run over streamed CSV files equals the run over the loaded files", "[history][csv]") {
  TempDir dir;
  // AAA in order, with a bad row and a duplicate: streamed. BBB newest first: read whole. CCC and
  // DDD in one file: held in memory. EEE in order from the future at the end.
  std::vector<std::string> aaa = walk("AAA", 30, 1);
  aaa.insert(aaa.begin() + 100, aaa[99]);
  aaa[200] = "AAA,2024-03-05T04:00:00Z,abc,1,1,1,1";
  write(dir.file("aaa.csv"), aaa);
  std::vector<std::string> bbb = walk("BBB", 25, 2);
  std::reverse(bbb.begin(), bbb.end());
  write(dir.file("bbb.csv"), bbb);
  std::vector<std::string> two = walk("CCC", 30, 3);
  for (const std::string& row : walk("DDD", 20, 4)) two.push_back(row);
  write(dir.file("two.csv"), two);
  write(dir.file("eee.csv"), walk("EEE", 40, 5));
  const std::string actions = dir.file("actions.csv");
  std::ofstream(actions) << "symbol,ex_date,kind,ratio\nAAA,2024-03-12,bonus,1:1\n";

  for (const bool adjust : {true, false}) {
    for (const bool ranged : {false, true}) {
      INFO("adjust " << adjust << ", ranged " << ranged);
      history::DataSource source;
      source.files = {dir.file("aaa.csv"), dir.file("bbb.csv"), dir.file("two.csv"),
                      dir.file("eee.csv")};
      source.corporate_actions = actions;
      source.adjust = adjust;
      source.not_after = from_ist(Date{2024, 4, 5}, 12, 0);
      if (ranged) {
        source.from = "2024-03-06";
        source.to = "2024-03-20";
      }
      const testing::StreamVsLoaded both =
          testing::stream_vs_loaded(source, [](const history::DataSource& s, const Logger& log) {
            return history::CsvBarStream::open(s, log);
          });
      CHECK(both.symbols == std::vector<std::string>{"AAA", "BBB", "CCC", "DDD", "EEE"});
      CHECK(both.found.issue_counts.at("duplicate_timestamp") == 1);
      CHECK(both.found.issue_counts.at("unsorted_rows") > 0);
      CHECK(both.found.issue_counts.at("timestamp_out_of_range") > 0);
    }
  }
}

TEST_CASE("streamed CSV files fail as loading them does", "[history][csv]") {
  TempDir dir;
  write(dir.file("aaa.csv"), walk("AAA", 5, 1));
  write(dir.file("again.csv"), walk("AAA", 3, 2));
  for (const std::vector<std::string>& files :
       {std::vector<std::string>{dir.file("aaa.csv"), dir.file("again.csv")},
        std::vector<std::string>{dir.file("nope.csv")}}) {
    history::DataSource source;
    source.files = files;
    testing::CapturedLog a(LogLevel::kInfo), b(LogLevel::kInfo);
    Result<history::LoadedData> loaded = history::load_data(source, a.log());
    auto stream = history::CsvBarStream::open(source, b.log());
    REQUIRE_FALSE(loaded.ok());
    REQUIRE_FALSE(stream.ok());
    CHECK(stream.status().to_string() == loaded.status().to_string());
  }
  history::DataSource empty_range;
  empty_range.files = {dir.file("aaa.csv")};
  empty_range.from = "2030-01-01";
  testing::CapturedLog log(LogLevel::kInfo);
  CHECK(history::CsvBarStream::open(empty_range, log.log()).status().code() ==
        ErrorCode::kUnavailable);
}

TEST_CASE("one symbol's CSV file streamed in several chunks equals the loaded file",
          "[history][csv]") {
  TempDir dir;
  // 75 bars a day for about 80 days: more than one of the stream's chunks (4,096 bars), with a bad
  // row and a duplicate in the second chunk, and a bonus whose adjustment crosses the first.
  std::vector<std::string> rows = walk("AAA", 80, 7);
  REQUIRE(rows.size() > history::kStreamChunkBars + 1000);
  rows.insert(rows.begin() + 5000, rows[4999]);
  rows[5100] = "AAA,2024-05-06T04:00:00Z,abc,1,1,1,1";
  write(dir.file("aaa.csv"), rows);
  const std::string actions = dir.file("actions.csv");
  std::ofstream(actions) << "symbol,ex_date,kind,ratio\nAAA,2024-04-15,bonus,1:1\n";
  for (const bool adjust : {true, false}) {
    INFO("adjust " << adjust);
    history::DataSource source;
    source.files = {dir.file("aaa.csv")};
    source.corporate_actions = actions;
    source.adjust = adjust;
    source.not_after = from_ist(Date{2024, 6, 30}, 12, 0);
    const testing::StreamVsLoaded both =
        testing::stream_vs_loaded(source, [](const history::DataSource& s, const Logger& log) {
          return history::CsvBarStream::open(s, log);
        });
    CHECK(both.found.bars > static_cast<std::int64_t>(history::kStreamChunkBars));
    CHECK(both.found.issue_counts.at("duplicate_timestamp") == 1);
    // The chunks went through the engine's fast path, not the general step.
    CHECK(both.streamed.fast_path_bars > both.streamed.bars / 2);
  }
}
