#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ndjson.h"
#include "core/read_file.h"
#include "ingest/ingest.h"
#include "ingest/program.h"
#include "ingest/replay.h"
#include "store/market_data.h"
#include "support/stored_market_data.h"
#include "support/temp_dir.h"
#include "time/clock.h"

using namespace sm;
using namespace sm::ingest;

using sm::testing::stored_bars;

namespace {

using sm::testing::TempDir;

std::string fixture(const std::string& name) {
  Result<std::string> text = read_file(std::string(SM_TEST_FIXTURES) + "/ingest/" + name);
  REQUIRE(text.ok());
  return *text;
}

store::Database open_db(const TempDir& dir) {
  Result<store::Database> db = store::Database::open(dir.file("test.db"));
  REQUIRE(db.ok());
  return std::move(db).value();
}

// A Logger that writes to a scratch file, so test output stays readable.
struct QuietLog {
  std::FILE* sink = std::tmpfile();
  Logger log{"test", LogLevel::kError, sink};
  ~QuietLog() { std::fclose(sink); }
};

std::vector<std::string> lines_of(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::vector<std::string> lines;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr) {
    std::string line(buffer);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

int fd_with(const TempDir& dir, const std::string& text) {
  const std::string path = dir.file("input.ndjson");
  std::ofstream(path, std::ios::binary) << text;
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  return fd;
}

}  // namespace

TEST_CASE("re-ingesting a file stores nothing new") {
  TempDir dir;
  store::Database db = open_db(dir);
  QuietLog quiet;
  const std::string text = fixture("IBULHSGFIN_1min.csv");
  for (int round = 0; round < 2; ++round) {
    IssueReporter issues(quiet.log, false);
    SinkOptions options;
    options.batch_size = 1000;  // several transactions per file
    options.resample = {Timeframe{5}, Timeframe{15}};
    MarketDataSink sink(&db, nullptr, nullptr, options, [](const Status&) {});
    Result<FileReport> report = ingest_csv(text, "IBULHSGFIN_1min.csv", {}, sink, issues);
    REQUIRE(report.ok());
    REQUIRE(sink.finish().ok());
    CHECK(report->accepted == 3712);
    if (round == 0) {
      CHECK(sink.counts().bars.inserted == 3712);
      CHECK(sink.counts().resampled.inserted == 749 + 250);
    } else {
      CHECK(sink.counts().bars.inserted == 0);
      CHECK(sink.counts().bars.duplicates == 3712);
      CHECK(sink.counts().resampled.inserted == 0);
      CHECK(sink.counts().resampled.duplicates == 749 + 250);
    }
  }
  CHECK(stored_bars(db, Timeframe{1}).size() == 3712);
  const std::vector<Bar> five = stored_bars(db, Timeframe{5});
  REQUIRE(five.size() == 749);
  CHECK(five.front().ts == from_ist(Date{2017, 9, 26}, 9, 15));
  CHECK(five.front().open == 121595);
  CHECK(five.front().volume == 46684);
  CHECK(stored_bars(db, Timeframe{15}).size() == 250);
}

TEST_CASE("a slow stream is committed once its batch is old, a fast one when the batch is full") {
  TempDir dir;
  store::Database db = open_db(dir);
  time::ManualClock clock(1'000'000);
  SinkOptions options;
  options.batch_size = 3;
  options.max_batch_age_ms = 250;
  MarketDataSink sink(&db, nullptr, &clock, options, [](const Status&) {});
  const TimestampMs day = from_ist(Date{2024, 1, 2}, 9, 15);
  auto bar = [&](int minute) {
    return Bar{day + minute * kMsPerMinute, "ABC", Timeframe{1}, 100, 110, 90, 105, 7, false};
  };
  REQUIRE(sink.add(bar(0)).ok());
  CHECK(stored_bars(db, Timeframe{1}).empty());
  clock.advance(300);
  REQUIRE(sink.add(bar(1)).ok());  // the buffered bar has waited 300 ms: both are committed
  CHECK(stored_bars(db, Timeframe{1}).size() == 2);
  REQUIRE(sink.add(bar(2)).ok());
  REQUIRE(sink.add(bar(3)).ok());
  CHECK(stored_bars(db, Timeframe{1}).size() == 2);
  REQUIRE(sink.add(bar(4)).ok());  // three buffered: a full batch
  CHECK(stored_bars(db, Timeframe{1}).size() == 5);
  REQUIRE(sink.finish().ok());
  CHECK(sink.counts().bars.inserted == 5);
}

TEST_CASE("emitting writes each accepted record as a decodable NDJSON line") {
  std::FILE* out = std::tmpfile();
  NdjsonWriter writer(out);
  QuietLog quiet;
  IssueReporter issues(quiet.log, false);
  MarketDataSink sink(nullptr, &writer, nullptr, {}, [](const Status&) {});
  const std::string text =
      "Date,Symbol,Open,High,Low,Close,Volume\n"
      "2020-01-02,abc,10,11,9,10.5,100\n"
      "2020-01-01,abc,10,11,9,10.25,100\n"
      "2020-01-03,abc,10,9,11,10.5,100\n";
  REQUIRE(ingest_csv(text, "x.csv", {}, sink, issues).ok());
  REQUIRE(sink.finish().ok());
  const std::vector<std::string> lines = lines_of(out);
  std::fclose(out);
  REQUIRE(lines.size() == 2);
  MessageDecoder decoder;
  const Result<Message> first = decoder.decode(lines[0]);
  REQUIRE(first.ok());
  const Bar& bar = std::get<Bar>(*first);
  CHECK(bar.symbol == "ABC");
  CHECK(bar.ts == from_ist(Date{2020, 1, 1}, 9, 15));  // sorted
  CHECK(bar.close == 1025);
  CHECK(bar.timeframe.is_daily());
  CHECK(issues.counts().at("high_below_low") == 1);
}

TEST_CASE("NDJSON on stdin: bad lines are reported by number, other types pass through") {
  TempDir dir;
  store::Database db = open_db(dir);
  std::FILE* out = std::tmpfile();
  NdjsonWriter writer(out);
  QuietLog quiet;
  IssueReporter issues(quiet.log, false);
  MarketDataSink sink(&db, &writer, nullptr, {}, [](const Status&) {});
  const std::string input =
      R"({"type":"tick","ts":"2024-01-02T03:45:00Z","symbol":"nse:tcs","price":3500.05,"qty":10,"volume":10})"
      "\n"
      R"({"type":"tick","ts":"2024-01-02T03:45:01Z","symbol":"TCS","price":"NaN"})"
      "\n"
      "\n"
      R"({"type":"heartbeat","ts":"2024-01-02T03:45:01Z","component":"feed"})"
      "\n"
      R"({"type":"bar","ts":"2024-01-01T18:30:00Z","symbol":"TCS","timeframe":"1d","open":1,"high":2,"low":1,"close":2})"
      "\n"
      R"({"type":"tick","ts":"2024-01-02T03:45:02Z","symbol":"TCS","price":0})"
      "\n"
      R"({"type":"tick","ts":"2024-01-02T03:45:03Z","symbol":"TCS","pri)";
  const int fd = fd_with(dir, input);
  TimeLimits limits;
  Result<StreamReport> report = ingest_ndjson(fd, "stdin", limits, false, sink, issues);
  ::close(fd);
  REQUIRE(report.ok());
  REQUIRE(sink.finish().ok());
  CHECK(report->accepted == 2);
  CHECK(report->other_messages == 1);
  CHECK(issues.counts().at("bad_line") == 2);  // NaN and the truncated last line
  CHECK(issues.counts().at("non_positive_price") == 1);
  CHECK(sink.counts().ticks.inserted == 1);
  const std::vector<Bar> daily = stored_bars(db, Timeframe{Timeframe::kDailyMinutes});
  REQUIRE(daily.size() == 1);
  CHECK(daily[0].ts == from_ist(Date{2024, 1, 2}, 9, 15));  // midnight IST relabelled to 09:15
  const std::vector<std::string> lines = lines_of(out);
  std::fclose(out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find(R"("symbol":"TCS")") != std::string::npos);
  CHECK(lines[1] == R"({"type":"heartbeat","ts":"2024-01-02T03:45:01Z","component":"feed"})");
}

TEST_CASE("NDJSON strict mode stops at the first dropped record") {
  TempDir dir;
  QuietLog quiet;
  IssueReporter issues(quiet.log, true);
  MarketDataSink sink(nullptr, nullptr, nullptr, {}, [](const Status&) {});
  const std::string input =
      R"({"type":"tick","ts":"2024-01-02T03:45:00Z","symbol":"TCS","price":1})"
      "\n"
      R"({"type":"tick","ts":"2024-01-02T03:45:00Z","symbol":"TCS","price":-1})"
      "\n"
      R"({"type":"tick","ts":"2024-01-02T03:45:01Z","symbol":"TCS","price":2})"
      "\n";
  const int fd = fd_with(dir, input);
  Result<StreamReport> report = ingest_ndjson(fd, "stdin", TimeLimits{}, true, sink, issues);
  ::close(fd);
  REQUIRE(report.ok());
  CHECK(report->stopped_on_bad_line);
  CHECK(report->accepted == 1);
}

TEST_CASE("re-ingesting the same ticks in other batches adds nothing") {
  TempDir dir;
  store::Database db = open_db(dir);
  QuietLog quiet;
  const std::string text =
      "2022-10-14 09:15:00,17322.3\r\n2022-10-14 09:15:01,17330.05\r\n2022-10-14 "
      "09:15:02,17330.05\r\n";
  CsvOptions options;
  options.symbol = "NIFTY";
  for (std::size_t batch : {std::size_t{1}, std::size_t{2}}) {
    IssueReporter issues(quiet.log, false);
    SinkOptions sink_options;
    sink_options.batch_size = batch;
    MarketDataSink sink(&db, nullptr, nullptr, sink_options, [](const Status&) {});
    REQUIRE(ingest_csv(text, "t.csv", options, sink, issues).ok());
    REQUIRE(sink.finish().ok());
    CHECK(sink.counts().ticks.inserted == (batch == 1 ? 3 : 0));
  }
}

TEST_CASE("replay writes stored bars in order and paces them with the clock") {
  TempDir dir;
  store::Database db = open_db(dir);
  const TimestampMs start = from_ist(Date{2024, 1, 2}, 9, 15);
  std::vector<Bar> bars;
  for (int i = 0; i < 10; ++i) {
    for (const char* symbol : {"BBB", "AAA"}) {
      bars.push_back(
          Bar{start + i * kMsPerMinute, symbol, Timeframe{1}, 100, 110, 90, 105, i, false});
    }
  }
  REQUIRE(store::insert_bars(db, bars).ok());

  std::FILE* out = std::tmpfile();
  NdjsonWriter writer(out);
  time::ManualClock clock(5'000'000);
  std::int64_t slept = 0;
  const SleepFunction sleep = [&](std::int64_t ms) {
    slept += ms;
    clock.advance(ms);
  };
  ReplayOptions options;
  options.timeframe = Timeframe{1};
  options.from = start + 2 * kMsPerMinute;
  options.to = start + 8 * kMsPerMinute;  // half-open: minutes 2..7
  options.speed = 60;                     // one minute of data per second
  options.symbols = {"AAA"};
  Result<ReplayCounts> counts = replay(db, options, writer, clock, sleep);
  REQUIRE(counts.ok());
  CHECK(counts->written == 6);
  CHECK(slept == 5 * 1000);  // five one-minute gaps at 60x
  CHECK(clock.now_ms() == 5'000'000 + 5000);
  std::vector<std::string> lines = lines_of(out);
  std::fclose(out);
  REQUIRE(lines.size() == 6);
  CHECK(lines.front().find(format_utc(start + 2 * kMsPerMinute)) != std::string::npos);

  std::FILE* all = std::tmpfile();
  NdjsonWriter all_writer(all);
  ReplayOptions everything;
  everything.timeframe = Timeframe{1};
  REQUIRE(replay(db, everything, all_writer, clock, sleep)->written == 20);
  lines = lines_of(all);
  std::fclose(all);
  CHECK(lines[0].find("\"AAA\"") != std::string::npos);  // ts, then symbol
  CHECK(lines[1].find("\"BBB\"") != std::string::npos);
}

TEST_CASE("replay speeds") {
  CHECK(*parse_speed("max") == 0);
  CHECK(*parse_speed("realtime") == 1);
  CHECK(*parse_speed("2.5") == 2.5);
  CHECK_FALSE(parse_speed("0").ok());
  CHECK_FALSE(parse_speed("-1").ok());
  CHECK_FALSE(parse_speed("fast").ok());
}

TEST_CASE("a file of which no row is accepted is a failure; partial drops are counted per file") {
  QuietLog quiet;
  IssueReporter issues(quiet.log, false);
  MarketDataSink sink(nullptr, nullptr, nullptr, {}, [](const Status&) {});
  const std::string header = "Date,Symbol,Open,High,Low,Close,Volume\n";
  const std::string bad_rows =
      "2020-31-01,ABC,10,11,9,10.5,100\n"
      "2020-01-02,ABC,10,9,11,10.5,100\n";

  Result<FileReport> partial = ingest_csv(header + "2020-01-03,ABC,10,11,9,10.5,100\n" + bad_rows,
                                          "p.csv", {}, sink, issues);
  REQUIRE(partial.ok());
  CHECK(partial->accepted == 1);
  CHECK(partial->dropped == 2);
  CHECK(partial->issues ==
        std::map<std::string, std::int64_t>{{"high_below_low", 1}, {"unparsable_timestamp", 1}});
  CHECK(require_rows_accepted("p.csv", *partial).ok());

  // Counts are per file, not for the run so far.
  Result<FileReport> dropped = ingest_csv(header + bad_rows, "d.csv", {}, sink, issues);
  REQUIRE(dropped.ok());
  CHECK(dropped->dropped == 2);
  const Status nothing = require_rows_accepted("d.csv", *dropped);
  REQUIRE_FALSE(nothing.ok());
  CHECK(nothing.code() == ErrorCode::kParseError);
  CHECK(nothing.message() ==
        "d.csv: nothing stored: none of its 2 data rows could be used (high_below_low 1, "
        "unparsable_timestamp 1)");

  for (const std::string& text : {std::string(), header}) {
    Result<FileReport> empty = ingest_csv(text, "e.csv", {}, sink, issues);
    REQUIRE(empty.ok());
    CHECK(require_rows_accepted("e.csv", *empty).message() ==
          "e.csv: nothing stored: the file has no data rows");
  }
}
