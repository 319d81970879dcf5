#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "ingest/csv_reader.h"
#include "ingest/line_reader.h"
#include "support/fixtures.h"

using namespace sm;
using namespace sm::ingest;

namespace {

struct Outcome {
  std::string status;  // "ok", or the error
  std::vector<std::string> issues;
  std::vector<std::string> bars;
  std::vector<std::string> ticks;
  std::string fields;
  bool read_whole = false;
};

std::string describe(const RowIssue& issue) {
  return fmt::format("{}:{}:{}:{}:{}:{}", issue.input, issue.line, issue.field,
                     reason_name(issue.reason), issue.detail, issue.dropped);
}
std::string describe(const Bar& bar) {
  return fmt::format("{} {} {} {} {} {} {} {} {}", bar.ts, bar.symbol, bar.timeframe.minutes,
                     bar.open, bar.high, bar.low, bar.close, bar.volume, bar.partial);
}
std::string describe(const Tick& tick) {
  return fmt::format("{} {} {} {} {}", tick.ts, tick.symbol, tick.price, tick.qty, tick.volume);
}
std::string describe(const CsvResult& r) {
  return fmt::format(
      "kind={} tf={} detected={} label={} evidence='{}' doubtful={} columns='{}' format='{}' "
      "format_detected={} rows={} series={} prints={} rounded={} unsorted={}",
      static_cast<int>(r.kind), r.timeframe.minutes, r.timeframe_detected,
      time_label_name(r.time_label), r.time_label_evidence, r.time_label_doubtful, r.columns,
      r.date_format, r.date_format_detected, r.rows_read, r.series_skipped, r.opening_prints_merged,
      r.prices_rounded, r.rows_out_of_order);
}

// Stops at the first dropped row when strict, as IssueReporter does.
IssueHandler collect(std::vector<std::string>& issues, bool strict) {
  return [&issues, strict](const RowIssue& issue) {
    issues.push_back(describe(issue));
    return !(strict && issue.dropped);
  };
}

Outcome whole(std::string_view text, const CsvOptions& options, bool strict) {
  Outcome out;
  Result<CsvResult> result = read_csv(text, "in.csv", options, collect(out.issues, strict));
  if (!result.ok()) {
    out.status = result.status().to_string();
    return out;
  }
  out.status = "ok";
  for (const Bar& bar : result->bars) out.bars.push_back(describe(bar));
  for (const Tick& tick : result->ticks) out.ticks.push_back(describe(tick));
  out.fields = describe(*result);
  return out;
}

Outcome streamed(LineReader lines, const CsvOptions& options, bool strict) {
  Outcome out;
  Result<std::unique_ptr<CsvStream>> stream =
      CsvStream::open(std::move(lines), "in.csv", options, collect(out.issues, strict));
  if (!stream.ok()) {
    out.status = stream.status().to_string();
    return out;
  }
  out.status = "ok";
  Bar bar;
  for (;;) {
    Result<bool> got = (*stream)->next(bar);
    REQUIRE(got.ok());
    if (!*got) break;
    out.bars.push_back(describe(bar));
  }
  for (const Tick& tick : (*stream)->result().ticks) out.ticks.push_back(describe(tick));
  out.fields = describe((*stream)->result());
  out.read_whole = (*stream)->read_whole();
  return out;
}

// Runs read with TMPDIR naming no directory, so that CsvStream cannot make its spill file (its
// later passes then parse the text again).
template <typename Read>
Outcome without_spill_file(Read read) {
  const char* saved = std::getenv("TMPDIR");
  const std::string before = saved != nullptr ? saved : "";
  ::setenv("TMPDIR", "/nonexistent/sm-no-such-dir", 1);
  Outcome outcome = read();
  if (saved != nullptr) {
    ::setenv("TMPDIR", before.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  return outcome;
}

// read_csv on several threads gives what it gives on one, wherever the parts are cut: status,
// every issue in order (a stop at the same line), the bars, the fields.
void require_same_on_threads(const std::string& text, const CsvOptions& options, bool strict,
                             const Outcome& expected) {
  for (const unsigned threads : {2u, 3u, 7u}) {
    CsvOptions parallel = options;
    parallel.threads = threads;
    const Outcome parts = whole(text, parallel, strict);
    INFO(threads << " threads");
    CHECK(parts.status == expected.status);
    CHECK(parts.issues == expected.issues);
    CHECK(parts.bars == expected.bars);
    CHECK(parts.ticks == expected.ticks);
    CHECK(parts.fields == expected.fields);
  }
}

// The stream gives what read_csv gives: status, every issue in order, the bars, the fields;
// with its later passes reading the survey's spill file, and parsing the text again. Returns
// whether the stream had to read the file whole. read_csv on several threads is checked too.
bool require_same(const std::string& text, const CsvOptions& options, bool strict = false) {
  const Outcome expected = whole(text, options, strict);
  require_same_on_threads(text, options, strict, expected);
  const Outcome actual = streamed(LineReader::over_text(text), options, strict);
  const Outcome reparsed =
      without_spill_file([&] { return streamed(LineReader::over_text(text), options, strict); });
  for (const Outcome* stream : {&actual, &reparsed}) {
    CHECK(stream->status == expected.status);
    CHECK(stream->issues == expected.issues);
    CHECK(stream->bars == expected.bars);
    CHECK(stream->ticks == expected.ticks);
    if (expected.status == "ok") CHECK(stream->fields == expected.fields);
  }
  CHECK(reparsed.read_whole == actual.read_whole);
  return actual.read_whole;
}

CsvOptions with_symbol(std::string symbol) {
  CsvOptions options;
  options.symbol = std::move(symbol);
  return options;
}

std::vector<CsvOptions> option_variants() {
  std::vector<CsvOptions> variants(1);
  variants.emplace_back().timeframe = Timeframe{1};
  variants.emplace_back().timeframe = Timeframe{Timeframe::kDailyMinutes};
  variants.emplace_back().time_label = TimeLabel::kEnd;
  variants.emplace_back().time_label = TimeLabel::kStart;
  variants.emplace_back().limits.not_after = 1'506'400'000'000;  // 2017-09-26 04:26:40Z
  variants.emplace_back().series = {};
  return variants;
}

}  // namespace

TEST_CASE("LineReader splits a file in blocks exactly as the whole text splits") {
  std::string text = "\xEF\xBB\xBFhead\r\n\n";
  std::mt19937 random(7);
  for (int i = 0; i < 60'000; ++i) {
    text += std::string(random() % 40, 'x') + (i % 7 == 0 ? "\r\n" : "\n");
  }
  text += std::string(3'000'000, 'y');  // a last line longer than a block, without "\n"
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("sm-lines-{}.txt", random());
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  Result<LineReader> file = LineReader::open_file(path.string());
  REQUIRE(file.ok());
  LineReader memory = LineReader::over_text(text);
  for (int pass = 0; pass < 2; ++pass) {
    std::int64_t count = 0;
    Line a, b;
    for (;;) {
      Result<bool> from_file = file->next(a);
      Result<bool> from_text = memory.next(b);
      REQUIRE(from_file.ok());
      REQUIRE(*from_text == *from_file);
      if (!*from_file) break;
      ++count;
      REQUIRE(a.number == count);
      REQUIRE(b.number == count);
      REQUIRE(a.text == b.text);
      if (count == 1) REQUIRE(a.text == "head");
    }
    REQUIRE(count == 60'003);
    REQUIRE(file->rewind().ok());
    REQUIRE(memory.rewind().ok());
  }
  std::filesystem::remove(path);
  CHECK(LineReader::open_file(path.string()).status().code() == ErrorCode::kNotFound);
}

TEST_CASE("CsvStream gives read_csv's bars, issues and fields for the fixtures and samples") {
  for (const std::string name :
       {"ingest/IBULHSGFIN_1min.csv", "ingest/NIFTY_1min_2017-09-26.csv",
        "ingest/RELIANCE_5min_excerpt.csv", "ingest/candles_IBULHSGFIN_15min.csv",
        "ingest/candles_IBULHSGFIN_5min.csv"}) {
    const std::string text = sm::testing::read_fixture(name);
    for (CsvOptions options : option_variants()) {
      options.symbol = name.find("NIFTY") != std::string::npos ? "NIFTY 50" : "IBULHSGFIN";
      INFO(name);
      require_same(text, options);
      require_same(text, options, /*strict=*/true);
    }
  }
  for (const char* name : {"INFY.csv", "RELIANCE.csv", "TCS.csv", "WIPRO.csv",
                           "IBULHSGFIN_1min.csv", "NIFTY_ticks_2022-10-14_0900-0945.csv"}) {
    std::ifstream in(std::string(SM_DATA_DIR) + "/sample/" + name, std::ios::binary);
    REQUIRE(in.good());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (CsvOptions options : option_variants()) {
      options.symbol = "SAMPLE";
      INFO(name);
      require_same(text, options);
    }
  }
}

TEST_CASE("CsvStream streams in-order bars and reads out-of-order files whole, alike") {
  const std::string header = "symbol,date,open,high,low,close,volume\n";
  SECTION("one symbol in order, with bad rows: streamed") {
    const std::string text = header +
                             "ABC,2024-01-01,10,11,9,10.5,100\n"
                             "ABC,2024-01-02,10,9,11,10.5,100\n"  // high below low
                             "ABC,2024-01-03,10,11,9,12,100\n"    // close outside: kept
                             "ABC,2024-01-04,10,11,9,x,100\n"
                             "ABC,2024-01-05,10,11,9,10,100,7\n"
                             "ABC,2024-01-08,\"10,11,9,10,100\n";
    CHECK_FALSE(require_same(text, {}));
    CHECK_FALSE(require_same(text, {}, /*strict=*/true));
  }
  SECTION("duplicate dates are merged and reported in the same order: streamed") {
    const std::string text = header +
                             "ABC,2024-01-01,10,11,9,10.5,100\n"
                             "ABC,2024-01-01,10,11,9,10.5,300\n"
                             "ABC,2024-01-01,10,11,9,10.5,100\n"
                             "ABC,2024-01-02,10,9,11,10.5,100\n"
                             "ABC,2024-01-03,10,11,9,10.5,100\n"
                             "ABC,2024-01-03,10,11,9,10.5,100\n";
    CHECK_FALSE(require_same(text, {}));
    CHECK_FALSE(require_same(text, {}, /*strict=*/true));
  }
  SECTION("symbols in blocks, in symbol order: streamed") {
    const std::string text = header +
                             "ABC,2024-01-01,10,11,9,10.5,100\n"
                             "ABC,2024-01-02,10,11,9,10.5,100\n"
                             "XYZ,2024-01-01,10,11,9,10.5,100\n"
                             "XYZ,2024-01-02,10,11,9,10.5,100\n";
    CHECK_FALSE(require_same(text, {}));
  }
  SECTION("interleaved symbols, newest first, a symbol twice: read whole") {
    for (const std::string rows : {"ABC,2024-01-01,10,11,9,10.5,100\n"
                                   "XYZ,2024-01-01,10,11,9,10.5,100\n"
                                   "ABC,2024-01-02,10,11,9,10.5,100\n",
                                   "ABC,2024-01-02,10,11,9,10.5,100\n"
                                   "ABC,2024-01-01,10,11,9,10.5,100\n"
                                   "ABC,2024-01-01,10,11,9,10.5,200\n",
                                   "XYZ,2024-01-01,10,11,9,10.5,100\n"
                                   "ABC,2024-01-01,10,11,9,10.5,100\n"}) {
      CHECK(require_same(header + rows, {}));
      require_same(header + rows, {}, /*strict=*/true);
    }
  }
  SECTION("ticks: read whole") {
    CHECK(require_same("ts,price,qty\n2024-01-01 09:15:01,10,5\n2024-01-01 09:15:02,10.5,5\n",
                       with_symbol("ABC")));
  }
  SECTION("end-labelled minutes with opening prints: streamed, prints merged") {
    std::string text = "ts,open,high,low,close,volume\n";
    for (int day = 1; day <= 3; ++day) {
      text += fmt::format("2024-01-0{} 09:15:00,100,100,100,100,50\n", day + 1);
      for (int minute = 16; minute <= 30; ++minute) {
        text += fmt::format("2024-01-0{} 09:{}:00,100,101,99,100,10\n", day + 1, minute);
      }
      text += fmt::format("2024-01-0{} 15:30:00,100,101,99,100,10\n", day + 1);
    }
    CHECK_FALSE(require_same(text, with_symbol("ABC")));
    CsvOptions five = with_symbol("ABC");
    five.timeframe = Timeframe{5};  // a row one minute after the print: out of order once labelled
    five.time_label = TimeLabel::kEnd;
    CHECK(require_same(text, five));
  }
  SECTION("day-first dates decided by a row far down the file") {
    std::string text = "Date,Open,High,Low,Close,Volume\n";
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 12; ++day) {
        text += fmt::format("{:02}/{:02}/2019,10,11,9,10,100\n", day, month);
      }
    }
    text += "31/12/2019,10,11,9,10,100\n";
    CHECK_FALSE(require_same(text, with_symbol("ABC")));
    require_same("Date,Close\n01/02/2019,1\n02/01/2019,1\n", with_symbol("ABC"));  // undecided
  }
  SECTION("headers: none, yfinance's three lines, only a header, empty") {
    CHECK_FALSE(require_same("2024-01-01,10,11,9,10.5,100\n2024-01-02,10,11,9,10.5,100\n",
                             with_symbol("ABC")));
    CHECK_FALSE(
        require_same("Price,Close,High,Low,Open,Volume\nTicker,RELIANCE.NS,RELIANCE.NS,"
                     "RELIANCE.NS,RELIANCE.NS,RELIANCE.NS\nDate,,,,,\n\n"
                     "2024-01-01,10.5,11,9,10,100\n2024-01-02,10.5,11,9,10,100\n",
                     {}));
    CHECK_FALSE(require_same(header, {}));
    CHECK_FALSE(require_same("\n\n", {}));
    CHECK_FALSE(require_same("a,b,c,d\n1,2,3,4\n", {}));
  }
  SECTION("bars in the future are refused after the duplicates, as read_csv refuses them") {
    CsvOptions options;
    options.limits.not_after = from_ist(Date{2024, 1, 2}, 20, 0);
    const std::string text = header +
                             "ABC,2024-01-01,10,11,9,10.5,100\n"
                             "ABC,2024-01-02,10,11,9,10.5,100\n"
                             "ABC,2024-01-03,10,11,9,10.5,100\n"
                             "ABC,2024-01-03,10,11,9,10.5,100\n";
    CHECK_FALSE(require_same(text, options));
    CHECK_FALSE(require_same(text, options, /*strict=*/true));
  }
}

TEST_CASE("the spill file gives back the rows of any values, across its buffers") {
  // Rows whose numbers take from one to ten bytes each: prices and volumes at the limits the plain
  // parsers take, times jumping years ahead, bad rows
  // between them, and enough rows to fill several of the spill file's buffers.
  std::string text = "symbol,ts,open,high,low,close,volume\n";
  std::mt19937 random(5);
  TimestampMs ts = from_ist(Date{1985, 1, 1}, 9, 15);
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t rupees =
        i % 7 == 0 ? 9'999'999'999'999 : 1 + static_cast<std::int64_t>(random() % 100'000);
    const std::int64_t volume =
        i % 5 == 0 ? 999'999'999'999'999 : static_cast<std::int64_t>(random() % 1000);
    ts += i % 1000 == 999 ? TimestampMs{3 * 365} * kMsPerDay : kMsPerMinute;
    text += fmt::format("{},{},{}.{:02},{}.99,{}.00,{}.{:02},{}\n",
                        i % 3000 == 2999 ? "bad!" : "SYM", format_utc(ts), rupees, random() % 100,
                        rupees, rupees, rupees, random() % 100, volume);
  }
  CHECK_FALSE(require_same(text, {}));
  CHECK_FALSE(require_same(text, {}, /*strict=*/true));
  // Out of order: the rows then come from reading the file whole, whatever the survey spilled.
  text += fmt::format("SYM,{},10,11,9,10,5\n", format_utc(from_ist(Date{1990, 1, 1}, 9, 15)));
  CHECK(require_same(text, {}));
}

TEST_CASE("CsvStream reads a large file with a bounded buffer, as read_csv reads it") {
  std::string text = "symbol,ts,open,high,low,close,volume\n";
  TimestampMs ts = from_ist(Date{2020, 1, 1}, 9, 15);
  for (int i = 0; i < 40'000; ++i) {
    text += fmt::format("BIG,{},100.{:02},101,99,100,{}\n", format_utc(ts), i % 100, i);
    ts += kMsPerMinute;
  }
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("sm-stream-{}.csv", ::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  const Outcome expected = whole(text, {}, false);
  std::vector<std::string> issues;
  Result<std::unique_ptr<CsvStream>> stream =
      CsvStream::open_file(path.string(), {}, collect(issues, false));
  REQUIRE(stream.ok());
  CHECK_FALSE((*stream)->read_whole());
  std::vector<std::string> bars;
  Bar bar;
  while (*(*stream)->next(bar)) bars.push_back(describe(bar));
  std::filesystem::remove(path);
  CHECK(bars.size() == 40'000);
  CHECK(bars == expected.bars);
  CHECK(issues == expected.issues);
}

TEST_CASE("read_csv on several threads gives what it gives on one, wherever the text is cut") {
  // Every kind of line near every possible cut: bad rows, CRLF, blank and comment lines, quoted
  // cells (one left open), several symbols out of order, duplicates; with and without a header,
  // a byte order mark, a final newline.
  std::mt19937 random(11);
  std::string rows;
  for (int i = 0; i < 400; ++i) {
    const int day = 1 + (i / 3) % 28;
    const char* symbol = i % 3 == 0 ? "ABC" : i % 3 == 1 ? "\"XYZ\"" : "MNO";
    switch (random() % 12) {
      case 0:
        rows += fmt::format("{},2024-02-{:02},10,9,11,10.5,100\n", symbol, day);  // high < low
        break;
      case 1:
        rows += fmt::format("{},2024-02-{:02},10,11,9,x,100\r\n", symbol, day);
        break;
      case 2:
        rows += "\n# a comment\n";
        break;
      case 3:
        rows += fmt::format("{},2024-02-{:02},\"10,11,9,10,100\n", symbol, day);  // open quote
        break;
      case 4:
        rows += fmt::format("{},2024-02-{:02},10,11,9,10.5\n", symbol, day);  // a cell short
        break;
      default:
        rows += fmt::format("{},2024-02-{:02},10,11,9,10.{},{}\r\n", symbol, day, random() % 10,
                            100 + random() % 5);
    }
  }
  const std::string header = "symbol,date,open,high,low,close,volume\n";
  for (const std::string& text :
       {header + rows, "\xEF\xBB\xBF" + header + rows, rows,
        header + rows + "ABC,2024-03-01,10,11,9,10,100", std::string("\n\n") + header}) {
    for (const bool strict : {false, true}) {
      const Outcome expected = whole(text, {}, strict);
      require_same_on_threads(text, {}, strict, expected);
      for (const unsigned threads : {16u, 64u}) {
        CsvOptions parallel;
        parallel.threads = threads;
        const Outcome parts = whole(text, parallel, strict);
        CHECK(parts.status == expected.status);
        CHECK(parts.issues == expected.issues);
        CHECK(parts.bars == expected.bars);
        CHECK(parts.fields == expected.fields);
      }
    }
  }
}
