#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <random>

#include "ingest/csv_reader.h"
#include "support/fixtures.h"

using namespace sm;
using namespace sm::ingest;

namespace {

std::string fixture(const std::string& name) { return sm::testing::read_fixture("ingest/" + name); }

struct Collected {
  std::vector<RowIssue> issues;
  IssueHandler handler() {
    return [this](const RowIssue& issue) {
      issues.push_back(issue);
      return true;
    };
  }
  std::vector<RowIssue> with(Reason reason) const {
    std::vector<RowIssue> out;
    for (const auto& issue : issues) {
      if (issue.reason == reason) out.push_back(issue);
    }
    return out;
  }
};

CsvResult read_ok(std::string_view text, const CsvOptions& options, Collected& issues) {
  Result<CsvResult> result = read_csv(text, "test.csv", options, issues.handler());
  INFO(result.status().to_string());
  REQUIRE(result.ok());
  return std::move(result).value();
}

Paise rupees(std::string_view text) { return *parse_rupees(text); }

}  // namespace

TEST_CASE("csv lines split with quotes, escaped quotes and spaces") {
  std::vector<std::string> cells;
  REQUIRE(split_csv_line(R"(a, "b,c" ,"say ""hi""",,d )", ',', cells));
  REQUIRE(cells.size() == 5);
  CHECK(cells[0] == "a");
  CHECK(cells[1] == "b,c");
  CHECK(cells[2] == "say \"hi\"");
  CHECK(cells[3].empty());
  CHECK(cells[4] == "d");
  CHECK_FALSE(split_csv_line(R"(a,"unterminated)", ',', cells));
}

TEST_CASE("nsepy daily layout uses Close (not Last), keeps EQ rows and labels days 09:15 IST") {
  const std::string text =
      "Date,Symbol,Series,Prev "
      "Close,Open,High,Low,Last,Close,VWAP,Volume,Turnover,Trades,Deliverable "
      "Volume,%Deliverble\n"
      "2015-01-01,RELIANCE,EQ,891.15,886.3,892.0,883.65,888.0,887.9,887.62,677439,60130585235000.0,"
      "16263,286377,"
      "0.4227\n"
      "2015-01-02,RELIANCE,EQ,887.9,888.1,896.05,884.3,884.95,885.55,889.39,1675827,"
      "149046112025000.0,31269,"
      "1048543,0.6257\n"
      "2015-01-02,RELIANCE,BE,887.9,1.0,1.0,1.0,1.0,1.0,1.0,5,5.0,1,1,1.0\n";
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  CHECK(issues.issues.empty());
  CHECK(result.kind == RecordKind::kBars);
  CHECK(result.timeframe.is_daily());
  CHECK(result.rows_read == 3);
  CHECK(result.series_skipped == 1);
  REQUIRE(result.bars.size() == 2);
  const Bar& first = result.bars[0];
  CHECK(first.symbol == "RELIANCE");
  CHECK(first.ts == from_ist(Date{2015, 1, 1}, 9, 15));
  CHECK(first.open == rupees("886.3"));
  CHECK(first.high == rupees("892.0"));
  CHECK(first.low == rupees("883.65"));
  CHECK(first.close == rupees("887.9"));  // Close, not Last (888.0)
  CHECK(first.volume == 677439);
  CHECK_FALSE(first.partial);
}

TEST_CASE("long history newest first is sorted and duplicate dates keep the largest volume") {
  const std::string text =
      "StockName,Symbol,Date,Open,High,Low,Close,PrevClose,Volume\n"
      "Infosys Limited,INFY,2022-08-09,1500.0,1510.0,1490.0,1505.0,1500.0,5000\n"
      "Infosys Limited,INFY,2022-08-08,1499.0,1499.0,1499.0,1499.0,1490.0,9000\n"  // flat extra
                                                                                   // row, larger
      "Infosys Limited,INFY,2022-08-08,1490.0,1502.0,1480.0,1500.0,1490.0,7000\n"
      "Infosys Limited,INFY,2020-07-13,900.0,910.0,890.0,905.0,899.0,100\n"
      "Infosys Limited,INFY,2020-07-13,900.0,910.0,890.0,905.0,899.0,100\n";  // exact copy
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  REQUIRE(result.bars.size() == 3);
  CHECK(ist_date(result.bars[0].ts) == Date{2020, 7, 13});
  CHECK(ist_date(result.bars[1].ts) == Date{2022, 8, 8});
  CHECK(ist_date(result.bars[2].ts) == Date{2022, 8, 9});
  CHECK(result.bars[1].volume == 9000);  // the rule is applied as written, even to the flat row
  CHECK(result.bars[1].close == rupees("1499.0"));
  const auto duplicates = issues.with(Reason::kDuplicateTimestamp);
  REQUIRE(duplicates.size() == 2);
  CHECK(duplicates[0].line == 6);  // the second copy of 2020-07-13 (first on ties is kept)
  CHECK(duplicates[0].detail == "identical to line 5");
  CHECK(duplicates[1].line == 4);
  CHECK(duplicates[1].dropped);
}

TEST_CASE("headerless IBULHSGFIN 1-minute file is detected as end-of-minute labelled") {
  Collected issues;
  const CsvResult result = read_ok(fixture("IBULHSGFIN_1min.csv"), {}, issues);
  CHECK(issues.issues.empty());
  CHECK(result.timeframe == Timeframe{1});
  CHECK(result.timeframe_detected);
  CHECK(result.time_label == TimeLabel::kEnd);
  CHECK_FALSE(result.time_label_doubtful);
  REQUIRE(result.bars.size() == 3712);
  CHECK(result.bars.front().symbol == "IBULHSGFIN");
  CHECK(result.bars.front().ts == from_ist(Date{2017, 9, 26}, 9, 15));  // stamped 09:16
  CHECK(result.bars.front().open == rupees("1215.95"));
  CHECK(result.bars.back().ts == from_ist(Date{2017, 10, 10}, 15, 29));  // stamped 15:30
}

TEST_CASE("NIFTY 1-minute: the 09:15 opening print is folded into the first bar") {
  Collected issues;
  const CsvResult result = read_ok(fixture("NIFTY_1min_2017-09-26.csv"), {}, issues);
  CHECK(issues.issues.empty());
  CHECK(result.time_label == TimeLabel::kEnd);
  CHECK(result.opening_prints_merged == 1);
  REQUIRE(result.bars.size() == 375);  // 376 rows: the print and 375 minutes
  const Bar& first = result.bars.front();
  CHECK(first.ts == from_ist(Date{2017, 9, 26}, 9, 15));
  CHECK(first.open == rupees("9875.25"));  // the print
  CHECK(first.high == rupees("9875.35"));  // from the 09:16 row
  CHECK(first.low == rupees("9860.20"));
  CHECK(first.close == rupees("9860.20"));
  CHECK_FALSE(first.partial);
  CHECK(result.bars.back().ts == from_ist(Date{2017, 9, 26}, 15, 29));
}

TEST_CASE("an explicit time label that contradicts the file is applied but flagged") {
  CsvOptions options;
  options.time_label = TimeLabel::kStart;
  Collected issues;
  const CsvResult result = read_ok(fixture("IBULHSGFIN_1min.csv"), options, issues);
  CHECK(result.time_label == TimeLabel::kStart);
  CHECK(result.time_label_doubtful);
  CHECK(result.bars.front().ts == from_ist(Date{2017, 9, 26}, 9, 16));
}

TEST_CASE(
    "5-minute ISO offset file: start labels, duplicate sessions dropped, special sessions kept") {
  CsvOptions options;
  options.symbol = "reliance";
  Collected issues;
  const CsvResult result = read_ok(fixture("RELIANCE_5min_excerpt.csv"), options, issues);
  CHECK(result.timeframe == Timeframe{5});
  CHECK(result.time_label == TimeLabel::kStart);
  CHECK(result.rows_read == 303);
  CHECK(issues.with(Reason::kDuplicateTimestamp).size() == 75);  // 2023-10-09 appears twice
  REQUIRE(result.bars.size() == 66 + 75 + 75 + 12);
  CHECK(result.bars.front().symbol == "RELIANCE");
  CHECK(result.bars.front().ts ==
        from_ist(Date{2023, 7, 20}, 10, 0));  // the late start is kept as is
  CHECK(result.bars.back().ts == from_ist(Date{2023, 11, 12}, 19, 10));  // Muhurat session
}

TEST_CASE("price-only tick file with CRLF needs --symbol and yields ticks") {
  const std::string text = "2022-10-14 09:15:00,17322.3\r\n2022-10-14 09:15:01,17330.05\r\n";
  Collected issues;
  const Result<CsvResult> without = read_csv(text, "ticks.csv", {}, issues.handler());
  CHECK_FALSE(without.ok());
  CHECK(without.status().message().find("--symbol") != std::string::npos);
  CsvOptions options;
  options.symbol = "NIFTY";
  const CsvResult result = read_ok(text, options, issues);
  CHECK(result.kind == RecordKind::kTicks);
  REQUIRE(result.ticks.size() == 2);
  CHECK(result.ticks[0].ts == from_ist(Date{2022, 10, 14}, 9, 15));
  CHECK(result.ticks[1].price == rupees("17330.05"));
  CHECK(result.ticks[1].qty == 0);
}

TEST_CASE("Kite historical export with +0530 offsets") {
  const std::string text =
      "date,open,high,low,close,volume\n"
      "2024-01-02T09:15:00+0530,2590.0,2598.5,2586.1,2597.0,120345\n"
      "2024-01-02T09:16:00+0530,2597.0,2599.95,2595.0,2596.2,45678\n";
  CsvOptions options;
  options.symbol = "NSE:RELIANCE";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  CHECK(result.timeframe == Timeframe{1});
  CHECK(result.time_label == TimeLabel::kStart);
  REQUIRE(result.bars.size() == 2);
  CHECK(result.bars[0].symbol == "RELIANCE");
  CHECK(result.bars[0].ts == from_ist(Date{2024, 1, 2}, 9, 15));
}

TEST_CASE("TradingView export with Unix-second times and a capitalised Volume") {
  const std::string text =
      "time,open,high,low,close,Volume\n"
      "1704166500,2590,2598.5,2586.1,2597,120345\n"
      "1704166800,2597,2599.95,2595,2596.2,45678\n";
  CsvOptions options;
  options.symbol = "RELIANCE";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  CHECK(result.timeframe == Timeframe{5});
  REQUIRE(result.bars.size() == 2);
  CHECK(result.bars[0].ts == from_ist(Date{2024, 1, 2}, 9, 5));
  CHECK(result.bars[1].volume == 45678);
}

TEST_CASE("yfinance three-line header: ticker line gives the symbol, Adj Close is ignored") {
  const std::string text =
      "Price,Adj Close,Close,High,Low,Open,Volume\n"
      "Ticker,RELIANCE.NS,RELIANCE.NS,RELIANCE.NS,RELIANCE.NS,RELIANCE.NS,RELIANCE.NS\n"
      "Date,,,,,,\n"
      "2024-01-01 00:00:00+00:00,2571.2,2590.199951171875,2601.0,2580.5,2585.0,5000000\n"
      "2024-01-02 00:00:00+00:00,2561.0,2580.0,2595.0,2570.0,2590.0,6000000\n";
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  CHECK(result.timeframe.is_daily());
  CHECK(result.prices_rounded == 1);
  REQUIRE(result.bars.size() == 2);
  CHECK(result.bars[0].symbol == "RELIANCE");
  CHECK(result.bars[0].ts == from_ist(Date{2024, 1, 1}, 9, 15));
  CHECK(result.bars[0].close == rupees("2590.20"));
  CHECK(result.bars[0].open == rupees("2585.0"));
}

TEST_CASE("old yfinance layout with Adj Close and intraday UTC timestamps") {
  const std::string text =
      "Datetime,Open,High,Low,Close,Adj Close,Volume\n"
      "2024-01-02 03:45:00+00:00,100.5,101,100,100.75,100.75,10\n"
      "2024-01-02 03:50:00+00:00,100.75,101.5,100.5,101.25,101.25,20\n";
  CsvOptions options;
  options.symbol = "TCS.NS";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  CHECK(result.timeframe == Timeframe{5});
  REQUIRE(result.bars.size() == 2);
  CHECK(result.bars[0].ts == from_ist(Date{2024, 1, 2}, 9, 15));
  CHECK(result.bars[1].close == rupees("101.25"));
}

TEST_CASE("the map option picks other columns by name or 1-based index") {
  const std::string text =
      "Date,Symbol,Series,Prev Close,Open,High,Low,Last,Close,VWAP,Volume\n"
      "2015-01-01,RELIANCE,EQ,891.15,886.3,892.0,883.65,888.0,887.9,887.62,677439\n";
  CsvOptions options;
  options.column_map.push_back(*parse_column_mapping("close=last"));
  Collected issues;
  CsvResult result = read_ok(text, options, issues);
  REQUIRE(result.bars.size() == 1);
  CHECK(result.bars[0].close == rupees("888.0"));

  options.column_map = {*parse_column_mapping("close=9")};
  result = read_ok(text, options, issues);
  CHECK(result.bars[0].close == rupees("887.9"));

  // A headerless close-only series (symbol, date, close) read as flat daily bars.
  const std::string headerless = "RELIANCE,2015-01-01,887.9\nRELIANCE,2015-01-02,885.55\n";
  options = CsvOptions{};
  for (const char* map : {"symbol=1", "ts=2", "open=3", "high=3", "low=3", "close=3"}) {
    options.column_map.push_back(*parse_column_mapping(map));
  }
  result = read_ok(headerless, options, issues);
  REQUIRE(result.kind == RecordKind::kBars);
  REQUIRE(result.bars.size() == 2);
  CHECK(result.timeframe.is_daily());
  CHECK(result.bars[1].open == rupees("885.55"));
  CHECK(result.bars[1].low == rupees("885.55"));
  CHECK(result.bars[1].volume == 0);
}

TEST_CASE("mapping errors are usage errors and layout errors name the file") {
  CsvOptions options;
  options.column_map.push_back(*parse_column_mapping("close=Nope"));
  Collected issues;
  const auto bad_map = read_csv("Date,Open,High,Low,Close\n2015-01-01,1,2,1,2\n", "f.csv", options,
                                issues.handler());
  CHECK(bad_map.status().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(parse_column_mapping("close").ok());
  CHECK_FALSE(parse_column_mapping("bogus=Close").ok());
  const auto no_close =
      read_csv("Date,Symbol,Open,High,Low\n2015-01-01,X,1,2,1\n", "f.csv", {}, issues.handler());
  CHECK(no_close.status().code() == ErrorCode::kParseError);
  CHECK(no_close.status().message().find("f.csv") != std::string::npos);
  const auto no_date =
      read_csv("Symbol,Open,High,Low,Close\nX,1,2,1,2\n", "f.csv", {}, issues.handler());
  CHECK_FALSE(no_date.ok());
}

TEST_CASE("every kind of bad row is reported with its line and reason; good rows survive") {
  const std::string text =
      "Date,Symbol,Open,High,Low,Close,Volume\n"
      "2020-01-01,ABC,10,11,9,10.5,100\n"    // 2 good
      "2020-01-02,ABC,,11,9,10.5,100\n"      // 3 missing open
      "2020-01-03,ABC,-10,11,9,10.5,100\n"   // 4 negative price
      "2020-01-04,ABC,0,11,9,10.5,100\n"     // 5 zero price
      "2020-01-05,ABC,10,9,11,10.5,100\n"    // 6 high < low
      "2020-01-06,ABC,12,11,9,10.5,100\n"    // 7 open above high: kept, flagged
      "2020-01-07,ABC,NaN,11,9,10.5,100\n"   // 8 NaN
      "2020-01-08,ABC,1e30,11,9,10.5,100\n"  // 9 huge
      "2020-13-09,ABC,10,11,9,10.5,100\n"    // 10 bad date
      "2020-01-10,ABC,10,11,9,10.5,-1\n"     // 11 negative volume
      "2020-01-11,ABC,10,11,9,10.5,100\n"    // 12 good
      "2020-01-11,ABC,10,11,9,10.5,50\n"     // 13 duplicate date, smaller volume
      "2020-01-12,A B,10,11,9,10.5,100\n"    // 14 bad symbol
      "1970-01-13,ABC,10,11,9,10.5,100\n"    // 15 too old
      "2020-01-14,ABC,10,11,9,10.5,12.5\n"   // 16 fractional volume
      "2020-01-15,ABC,10,11\n";              // 17 truncated line
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  CHECK(result.rows_read == 16);
  REQUIRE(result.bars.size() == 3);
  CHECK(ist_date(result.bars[1].ts) == Date{2020, 1, 6});
  CHECK(result.bars[2].volume == 100);
  auto line_of = [&](Reason reason) {
    const auto found = issues.with(reason);
    return found.size() == 1 ? found[0].line : -static_cast<std::int64_t>(found.size());
  };
  CHECK(line_of(Reason::kMissingField) == 3);
  CHECK(issues.with(Reason::kNonPositivePrice).size() == 2);
  CHECK(line_of(Reason::kHighBelowLow) == 6);
  CHECK(line_of(Reason::kOpenCloseOutsideRange) == 7);
  CHECK_FALSE(issues.with(Reason::kOpenCloseOutsideRange)[0].dropped);
  CHECK(issues.with(Reason::kOpenCloseOutsideRange)[0].field == "open");
  CHECK(issues.with(Reason::kUnparsableNumber).size() == 2);  // NaN and 12.5 shares
  CHECK(line_of(Reason::kNumberOutOfRange) == 9);
  CHECK(line_of(Reason::kUnparsableTimestamp) == 10);
  CHECK(line_of(Reason::kNegativeVolume) == 11);
  CHECK(line_of(Reason::kDuplicateTimestamp) == 13);
  CHECK(line_of(Reason::kBadSymbol) == 14);
  CHECK(line_of(Reason::kTimestampOutOfRange) == 15);
  CHECK(line_of(Reason::kWrongColumnCount) == 17);
  CHECK(issues.issues.size() == 14);
}

TEST_CASE("a handler that says stop ends reading with an error naming the line") {
  const std::string text =
      "Date,Symbol,Open,High,Low,Close,Volume\n"
      "2020-01-01,ABC,10,11,9,10.5,100\n"
      "2020-01-02,ABC,10,9,11,10.5,100\n"
      "2020-01-03,ABC,10,11,9,10.5,100\n";
  int seen = 0;
  const auto result = read_csv(text, "s.csv", {}, [&](const RowIssue&) {
    ++seen;
    return false;
  });
  CHECK_FALSE(result.ok());
  CHECK(result.status().message().find("s.csv:3") != std::string::npos);
  CHECK(seen == 1);
}

TEST_CASE("empty input, header only and blank lines are not errors") {
  Collected issues;
  CHECK(read_ok("", {}, issues).bars.empty());
  CHECK(read_ok("\n\n", {}, issues).bars.empty());
  const CsvResult header_only = read_ok("Date,Symbol,Open,High,Low,Close,Volume\n", {}, issues);
  CHECK(header_only.rows_read == 0);
  CHECK(issues.issues.empty());
}

TEST_CASE("a file whose spacing is not a bar length asks for --timeframe") {
  const std::string text =
      "ts,symbol,open,high,low,close\n"
      "2024-01-02 09:15:00,ABC,1,1,1,1\n"
      "2024-01-02 09:15:07,ABC,1,1,1,1\n";
  Collected issues;
  const auto result = read_csv(text, "x.csv", {}, issues.handler());
  CHECK_FALSE(result.ok());
  CHECK(result.status().message().find("--timeframe") != std::string::npos);
}

TEST_CASE("random garbage never crashes the reader; every row is either accepted or reported") {
  std::mt19937 random(20240328);  // fixed seed: the same garbage every run
  const std::string alphabet = "0123456789.,-+:eE \"\tNaInfTZ/abcxyz\r";
  const std::string header = "Date,Symbol,Open,High,Low,Close,Volume\n";
  for (int round = 0; round < 200; ++round) {
    std::string text = round % 2 == 0 ? header : "";
    const int rows = 1 + static_cast<int>(random() % 20);
    for (int r = 0; r < rows; ++r) {
      if (random() % 3 == 0) {
        text += "2020-01-0" + std::to_string(1 + random() % 9) + ",ABC,10,11,9,10.5,100\n";
        continue;
      }
      const int length = static_cast<int>(random() % 60);
      for (int c = 0; c < length; ++c) text.push_back(alphabet[random() % alphabet.size()]);
      text.push_back('\n');
    }
    std::int64_t reported = 0;
    const auto result = read_csv(text, "garbage.csv", {}, [&](const RowIssue& issue) {
      CHECK(issue.line >= 1);
      ++reported;
      return true;
    });
    if (result.ok()) {
      CHECK(static_cast<std::int64_t>(result->bars.size() + result->ticks.size()) <=
            result->rows_read);
    }
  }
}

TEST_CASE("volumes beyond any real market are out of range") {
  const std::string text =
      "Date,Symbol,Open,High,Low,Close,Volume\n"
      "2020-01-01,ABC,10,11,9,10.5,9000000000000000\n"
      "2020-01-02,ABC,10,11,9,10.5,100\n";
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  CHECK(result.bars.size() == 1);
  REQUIRE(issues.with(Reason::kNumberOutOfRange).size() == 1);
  CHECK(issues.with(Reason::kNumberOutOfRange)[0].field == "volume");
}

TEST_CASE("split_csv_cells gives the cells split_csv_line gives") {
  std::vector<std::string> texts = {"",
                                    ",",
                                    "a,",
                                    ",a",
                                    "a,,b",
                                    "a,b,,,",
                                    " a , b ",
                                    "\ta\t,\tb\t",
                                    "a\tb,c",
                                    "a;b;c",
                                    "a, \"b,c\" ,\"say \"\"hi\"\"\",,d ",
                                    "\"unterminated",
                                    "a,\"b\"x,c",
                                    "a,b\r",
                                    "2024-01-02 09:15:00,ABC,1.5,2,1,2,100"};
  std::mt19937 random(42);
  const std::string alphabet = "ab1.,;\t \"\r";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const auto length = random() % 24;
    for (unsigned k = 0; k < length; ++k) text.push_back(alphabet[random() % alphabet.size()]);
    texts.push_back(text);
  }
  std::vector<std::string> expected;
  std::vector<std::string> scratch;
  std::vector<std::string_view> cells;
  for (const std::string& text : texts) {
    for (char delimiter : {',', '\t', ';'}) {
      INFO("'" << text << "' split at '" << delimiter << "'");
      const bool general = split_csv_line(text, delimiter, expected);
      REQUIRE(split_csv_cells(text, delimiter, scratch, cells) == general);
      if (!general) continue;
      REQUIRE(cells.size() == expected.size());
      for (size_t i = 0; i < cells.size(); ++i) CHECK(cells[i] == expected[i]);
    }
  }
}

namespace {

// Every cell wrapped in quotes: such lines take the general (copying) split.
std::string quote_every_cell(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::vector<std::string> cells;
    split_csv_line(text.substr(start, end - start), ',', cells);
    for (size_t i = 0; i < cells.size(); ++i) out += (i > 0 ? ",\"" : "\"") + cells[i] + "\"";
    out += '\n';
    start = end + 1;
  }
  return out;
}

void check_same_reading(std::string_view a, std::string_view b, const CsvOptions& options) {
  Collected issues_a, issues_b;
  const Result<CsvResult> ra = read_csv(a, "same.csv", options, issues_a.handler());
  const Result<CsvResult> rb = read_csv(b, "same.csv", options, issues_b.handler());
  REQUIRE(ra.ok() == rb.ok());
  if (!ra.ok()) {
    CHECK(ra.status().message() == rb.status().message());
    return;
  }
  REQUIRE(ra->bars.size() == rb->bars.size());
  for (size_t i = 0; i < ra->bars.size(); ++i) {
    const Bar& x = ra->bars[i];
    const Bar& y = rb->bars[i];
    CHECK(x.ts == y.ts);
    CHECK(x.symbol == y.symbol);
    CHECK(x.timeframe.minutes == y.timeframe.minutes);
    CHECK((x.open == y.open && x.high == y.high && x.low == y.low && x.close == y.close));
    CHECK(x.volume == y.volume);
    CHECK(x.partial == y.partial);
  }
  REQUIRE(ra->ticks.size() == rb->ticks.size());
  for (size_t i = 0; i < ra->ticks.size(); ++i) {
    CHECK(ra->ticks[i].ts == rb->ticks[i].ts);
    CHECK(ra->ticks[i].price == rb->ticks[i].price);
    CHECK(ra->ticks[i].qty == rb->ticks[i].qty);
  }
  CHECK(ra->rows_read == rb->rows_read);
  CHECK(ra->prices_rounded == rb->prices_rounded);
  CHECK(ra->rows_out_of_order == rb->rows_out_of_order);
  REQUIRE(issues_a.issues.size() == issues_b.issues.size());
  for (size_t i = 0; i < issues_a.issues.size(); ++i) {
    const RowIssue& x = issues_a.issues[i];
    const RowIssue& y = issues_b.issues[i];
    CHECK(x.line == y.line);
    CHECK(x.field == y.field);
    CHECK(x.reason == y.reason);
    CHECK(x.detail == y.detail);
    CHECK(x.dropped == y.dropped);
  }
}

}  // namespace

TEST_CASE("quoted cells, CRLF line ends and plain cells read the same, bad rows included") {
  const std::string text =
      "Date,Symbol,Open,High,Low,Close,Volume\n"
      "2020-01-01,ABC,10,11,9,10.5,100\n"
      "2020-01-02,ABC,,11,9,10.5,100\n"
      "2020-01-03,ABC,-10,11,9,10.5,100\n"
      "2020-01-04,ABC,0,11,9,10.5,100\n"
      "2020-01-05,ABC,10,9,11,10.5,100\n"
      "2020-01-06,ABC,12,11,9,10.5,100\n"
      "2020-01-07,ABC,NaN,11,9,10.5,100\n"
      "2020-01-08,ABC,1e30,11,9,10.5,100\n"
      "2020-01-08,ABC,99999999999999,11,9,10.5,100\n"
      "2020-13-09,ABC,10,11,9,10.5,100\n"
      "2020-02-30,ABC,10,11,9,10.5,100\n"
      "2020-01-10,ABC,10,11,9,10.5,-1\n"
      "2020-01-11,ABC,10,11,9,10.5,100\n"
      "2020-01-11,ABC,10,11,9,10.5,50\n"
      "2020-01-12,A B,10,11,9,10.5,100\n"
      "1970-01-13,ABC,10,11,9,10.5,100\n"
      "2020-01-14,ABC,10,11,9,10.5,12.5\n"
      "2020-01-15,ABC,10,11\n"
      "2020-01-16,ABC,10,11,9,10.5,100,\n"
      "2020-01-17,abc.ns,10.123,11.00000,9.0,10.5,100.0\n"
      "2020-01-18,ABC,10.199951171875,11,9,10.5,9000000000000000\n"
      "2020-01-19,ABC,10,11,9,10.5,\n"
      ",ABC,10,11,9,10.5,100\n"
      "2020-01-20 09:15:00,ABC,10,11,9,10.5,100\n"
      "2020-01-21,ABC,inf,11,9,10.5,100\n"
      "2020-01-22,XYZ,10,11,9,10.5,100\n"
      "2020-01-23,ABC,10,11,9,10.5,1.2e3\n";
  check_same_reading(text, quote_every_cell(text), {});
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  check_same_reading(text, crlf, {});

  const std::string minutes =
      "ABC,2024-01-02,09:15,10,10,10,10,5\n"
      "ABC,2024-01-02,09:16,10,11,9,10.5,100\n"
      "ABC,2024-01-02,09:17,10,11,9,10.5,100\n"
      "ABC,2024-01-02,9:18,10,11,9,10.5,100\n"
      "ABC,2024-01-02,09:19:60,10,11,9,10.5,100\n"
      "ABC,2024-01-02,25:00,10,11,9,10.5,100\n"
      "ABC,2024-01-02,15:30,10,11,9,10.5,100\n";
  check_same_reading(minutes, quote_every_cell(minutes), {});
}

TEST_CASE("interleaved symbols come out grouped and sorted, and a shuffled file reads the same") {
  std::vector<std::string> rows;
  for (int day = 1; day <= 9; ++day) {
    for (std::string_view symbol : {"ZED", "ABC", "M&M"}) {
      rows.push_back(fmt::format("2020-01-0{},{},10,11,9,10.5,{}\n", day, symbol, 100 + day));
    }
  }
  const std::string header = "Date,Symbol,Open,High,Low,Close,Volume\n";
  std::string in_order = header;
  for (const std::string& row : rows) in_order += row;
  Collected issues;
  const CsvResult sorted = read_ok(in_order, {}, issues);
  CHECK(sorted.rows_out_of_order == 0);
  REQUIRE(sorted.bars.size() == 27);
  CHECK(sorted.bars[0].symbol == "ABC");
  CHECK(sorted.bars[9].symbol == "M&M");
  CHECK(sorted.bars[18].symbol == "ZED");
  for (size_t i = 1; i < sorted.bars.size(); ++i) {
    if (sorted.bars[i].symbol == sorted.bars[i - 1].symbol) {
      CHECK(sorted.bars[i].ts > sorted.bars[i - 1].ts);
    }
  }
  std::mt19937 random(3);
  std::shuffle(rows.begin(), rows.end(), random);
  std::string shuffled = header;
  for (const std::string& row : rows) shuffled += row;
  const CsvResult from_shuffled = read_ok(shuffled, {}, issues);
  CHECK(from_shuffled.rows_out_of_order > 0);
  REQUIRE(from_shuffled.bars.size() == sorted.bars.size());
  for (size_t i = 0; i < sorted.bars.size(); ++i) {
    CHECK(from_shuffled.bars[i].symbol == sorted.bars[i].symbol);
    CHECK(from_shuffled.bars[i].ts == sorted.bars[i].ts);
    CHECK(from_shuffled.bars[i].volume == sorted.bars[i].volume);
  }
  CHECK(issues.issues.empty());

  // A late duplicate (same volume, other prices) puts the file out of order; the first in the file
  // is kept, as before.
  const std::string with_duplicate = in_order + "2020-01-05,M&M,10,11,9,10.1,105\n";
  const CsvResult deduplicated = read_ok(with_duplicate, {}, issues);
  CHECK(deduplicated.rows_out_of_order == 1);
  REQUIRE(deduplicated.bars.size() == 27);
  CHECK(deduplicated.bars[13].symbol == "M&M");
  CHECK(ist_date(deduplicated.bars[13].ts) == Date{2020, 1, 5});
  CHECK(deduplicated.bars[13].close == 1050);
  REQUIRE(issues.with(Reason::kDuplicateTimestamp).size() == 1);
  CHECK(issues.with(Reason::kDuplicateTimestamp)[0].line == 29);
}

TEST_CASE("an end-labelled opening print with no bar of its own becomes the first bar") {
  // 09:16 (the end of the 09:15 bar) is missing, so the 09:15 print stands alone.
  const std::string text =
      "ABC,2024-01-02,09:15,10,10,10,10,5\n"
      "ABC,2024-01-02,09:17,10,11,9,10.5,100\n"
      "ABC,2024-01-02,09:18,10,11,9,10.5,100\n"
      "ABC,2024-01-02,15:30,10,11,9,10.5,100\n";
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  CHECK(result.time_label == TimeLabel::kEnd);
  CHECK(result.opening_prints_merged == 1);
  REQUIRE(result.bars.size() == 4);
  CHECK(result.bars[0].ts == from_ist(Date{2024, 1, 2}, 9, 15));
  CHECK(result.bars[0].partial);
  CHECK(result.bars[1].ts == from_ist(Date{2024, 1, 2}, 9, 16));
  CHECK_FALSE(result.bars[1].partial);
}

TEST_CASE("day-first dates are detected from the whole file and never swapped") {
  const std::string text =
      "Date,Open,High,Low,Close,Volume\n"
      "01/02/2019,10,11,9,10.5,100\n"
      "02/02/2019,10,11,9,10.5,100\n"
      "13/02/2019,10,11,9,10.5,100\n";
  CsvOptions options;
  options.symbol = "ABC";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  CHECK(issues.issues.empty());
  CHECK(result.date_format == "%d/%m/%Y");
  CHECK(result.date_format_detected);
  REQUIRE(result.bars.size() == 3);
  CHECK(result.bars[0].ts == from_ist(Date{2019, 2, 1}, 9, 15));
  CHECK(result.bars[2].ts == from_ist(Date{2019, 2, 13}, 9, 15));
  CHECK(result.timeframe.is_daily());
}

TEST_CASE("day-first timestamps in a headerless 1-minute file with date and time columns") {
  const std::string text =
      "31-12-2019,09:15,10,11,9,10.5,100\n"
      "31-12-2019,09:16,10,11,9,10.5,100\n"
      "31-12-2019,09:17,10,11,9,10.5,100\n";
  CsvOptions options;
  options.symbol = "ABC";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  CHECK(issues.issues.empty());
  CHECK(result.timeframe.minutes == 1);
  REQUIRE(result.bars.size() == 3);
  CHECK(result.bars[0].ts == from_ist(Date{2019, 12, 31}, 9, 15));
}

TEST_CASE("dates that may be day-first or month-first are refused naming --date-format") {
  const std::string text =
      "Date,Open,High,Low,Close\n"
      "01-01-2019 09:15,10,11,9,10.5\n"
      "02-01-2019 09:15,10,11,9,10.5\n";
  CsvOptions options;
  options.symbol = "ABC";
  Collected issues;
  const auto refused = read_csv(text, "vendor.csv", options, issues.handler());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == ErrorCode::kParseError);
  CHECK(refused.status().message().find("vendor.csv") != std::string::npos);
  CHECK(refused.status().message().find("--date-format") != std::string::npos);
  CHECK(issues.issues.empty());

  options.date_format = *parse_date_format("%d-%m-%Y %H:%M");
  const CsvResult result = read_ok(text, options, issues);
  CHECK_FALSE(result.date_format_detected);
  REQUIRE(result.bars.size() == 2);
  CHECK(result.bars[1].ts == from_ist(Date{2019, 1, 2}, 9, 15));
}

TEST_CASE("a row whose date does not fit the layout is a bad row naming its line and field") {
  const std::string text =
      "Date,Open,High,Low,Close\n"
      "31/01/2019,10,11,9,10.5\n"
      "2019-02-01,10,11,9,10.5\n"
      "30/02/2019,10,11,9,10.5\n"
      "04/02/2019,10,11,9,10.5\n";
  CsvOptions options;
  options.symbol = "ABC";
  Collected issues;
  const CsvResult result = read_ok(text, options, issues);
  REQUIRE(result.bars.size() == 2);
  const auto bad = issues.with(Reason::kUnparsableTimestamp);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].line == 3);
  CHECK(bad[0].field == "date");
  CHECK(bad[0].input == "test.csv");
  CHECK(bad[0].detail.find("%d/%m/%Y") != std::string::npos);
  CHECK(bad[1].line == 4);
}

TEST_CASE("a yfinance index file takes the NSE index name; a BSE index needs --symbol") {
  const std::string text =
      "Price,Close,High,Low,Open,Volume\n"
      "Ticker,^NSEI,^NSEI,^NSEI,^NSEI,^NSEI\n"
      "Date,,,,,\n"
      "2024-01-01,21741.9,21834.35,21680.85,21727.75,154000\n";
  Collected issues;
  const CsvResult result = read_ok(text, {}, issues);
  REQUIRE(result.bars.size() == 1);
  CHECK(result.bars[0].symbol == "NIFTY 50");

  std::string sensex = text;
  for (size_t at = sensex.find("^NSEI"); at != std::string::npos; at = sensex.find("^NSEI")) {
    sensex.replace(at, 5, "^BSESN");
  }
  const auto refused = read_csv(sensex, "sensex.csv", {}, issues.handler());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("sensex.csv") != std::string::npos);
  CHECK(refused.status().message().find("BSE") != std::string::npos);
  CsvOptions named;
  named.symbol = "SENSEX";
  CHECK(read_ok(sensex, named, issues).bars.at(0).symbol == "SENSEX");
}
