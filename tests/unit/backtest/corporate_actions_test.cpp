// Corporate actions: the file format, the price factors of splits and bonuses, back-adjustment,
// and the data-quality checks that report what the data holds.
#include <catch2/catch.hpp>

#include "backtest/corporate_actions.h"
#include "backtest/data_quality.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::bar;
using sm::backtest::testing::rs;

TEST_CASE("the corporate-actions file is read with its ratios as announced",
          "[backtest][actions]") {
  auto actions = parse_corporate_actions(
      "# bonus and splits\nsymbol,ex_date,kind,ratio\nwipro,2019-03-06,bonus,1:3\n"
      "HDFCBANK,2011-07-14,split,1:5\nTEST,2024-01-03,bonus,1:1\n",
      "ca.csv");
  REQUIRE(actions.ok());
  REQUIRE(actions->size() == 3);
  const CorporateAction& hdfc = (*actions)[0];  // sorted by symbol
  CHECK(hdfc.symbol == "HDFCBANK");
  CHECK(hdfc.numerator() == 1);
  CHECK(hdfc.denominator() == 5);
  const CorporateAction& wipro = (*actions)[2];
  CHECK(wipro.symbol == "WIPRO");
  CHECK(wipro.numerator() == 3);  // 1 bonus for 3 held: 3 shares become 4
  CHECK(wipro.denominator() == 4);
  CHECK((*actions)[1].describe() == "bonus 1:1 (x0.5)");
}

TEST_CASE("a bad corporate-actions file is refused with its line", "[backtest][actions]") {
  auto no_header = parse_corporate_actions("", "ca.csv");
  CHECK(no_header.status().code() == ErrorCode::kParseError);
  auto kind =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nX,2024-01-01,merger,1:1\n", "ca.csv");
  CHECK(kind.status().message().find("ca.csv:2") != std::string::npos);
  CHECK_FALSE(
      parse_corporate_actions("symbol,ex_date,kind,ratio\nX,2024-13-01,split,1:2\n", "c").ok());
  CHECK_FALSE(
      parse_corporate_actions("symbol,ex_date,kind,ratio\nX,2024-01-01,split,0:2\n", "c").ok());
  CHECK_FALSE(
      parse_corporate_actions("symbol,ex_date,kind,ratio\nX,2024-01-01,split,2\n", "c").ok());
  CHECK_FALSE(
      parse_corporate_actions(
          "symbol,ex_date,kind,ratio\nX,2024-01-01,split,1:2\nX,2024-01-01,bonus,1:1\n", "c")
          .ok());
  CHECK_FALSE(parse_corporate_actions("symbol,date,kind,ratio\n", "c").ok());
}

TEST_CASE("adjusting multiplies earlier prices by the factors and divides volumes",
          "[backtest][actions]") {
  SymbolSeries s{
      "TEST",
      {bar(0, 200, 210, 190, 201.01, "TEST", 1000), bar(1, 200, 200, 100, 100, "TEST", 999),
       bar(2, 100, 101, 99, 100, "TEST", 1000), bar(3, 20, 21, 19, 20, "TEST", 5000)}};
  auto actions = parse_corporate_actions(
      "symbol,ex_date,kind,ratio\nTEST,2024-01-03,bonus,1:1\nTEST,2024-01-04,split,1:5\n"
      "OTHER,2024-01-02,split,1:2\n",
      "ca.csv");
  REQUIRE(actions.ok());
  std::vector<Adjustment> done = adjust_for_actions(s, *actions);
  REQUIRE(done.size() == 2);
  CHECK(done[0].bars_adjusted == 2);  // bonus on day 2: days 0 and 1
  CHECK(done[1].bars_adjusted == 3);  // split on day 3: days 0, 1, 2
  // Day 0: x 1/2 x 1/5 = 1/10; 201.01 -> 20.101 -> 20.10 (half away from zero).
  CHECK(s.bars[0].close == rs(20.10));
  CHECK(s.bars[0].high == rs(21));
  CHECK(s.bars[0].volume == 10000);
  CHECK(s.bars[1].volume == 9990);
  CHECK(s.bars[2].close == rs(20));  // split only
  CHECK(s.bars[2].volume == 5000);
  CHECK(s.bars[3].close == rs(20));  // the ex-date bar is unchanged
  CHECK(s.bars[3].volume == 5000);
}

TEST_CASE("data quality: weekend sessions, suspected unadjusted actions, listed ones",
          "[backtest][quality]") {
  // 2024-01-06 (day 5) is a Saturday and 2024-01-07 (day 6) a Sunday.
  SymbolSeries s{"TEST",
                 {bar(0, 100, 101, 99, 100), bar(1, 100, 101, 99, 100), bar(2, 50, 51, 49, 50),
                  bar(3, 50, 51, 49, 50), bar(4, 50, 51, 49, 50), bar(5, 37.5, 38, 37, 37.5),
                  bar(6, 37.5, 40, 37, 45)}};
  s.bars[6].open = rs(41);  // open outside [low, high]
  std::vector<QualityIssue> issues = check_series(s, {}, QualityOptions{});
  auto count = [&](std::string_view kind) {
    return std::count_if(issues.begin(), issues.end(),
                         [&](const QualityIssue& q) { return q.kind == kind; });
  };
  CHECK(count("weekend_session") == 2);
  CHECK(count("suspected_corporate_action") == 2);
  CHECK(count("open_close_outside_range") == 1);
  for (const QualityIssue& q : issues) {
    if (q.kind == "suspected_corporate_action" && q.ts == s.bars[2].ts) {
      CHECK(q.detail.find("bonus 1:1 or split 1:2") != std::string::npos);
    }
    if (q.kind == "suspected_corporate_action" && q.ts == s.bars[5].ts) {
      CHECK(q.detail.find("bonus 1:3") != std::string::npos);
    }
    CHECK(!q.action.empty());
  }

  auto listed =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nTEST,2024-01-03,bonus,1:1\n", "c");
  REQUIRE(listed.ok());
  QualityOptions options;
  options.check_ohlc = false;
  issues = check_series(s, *listed, options);
  CHECK(count("corporate_action") == 1);
  CHECK(count("suspected_corporate_action") == 1);  // the 1:3 fall is still unexplained
  CHECK(count("open_close_outside_range") == 0);
}

TEST_CASE(
    "intraday bars: an action is found on every bar of its ex-date and adjusts the bars "
    "before the date's first instant (IST)",
    "[backtest][actions]") {
  // Hourly bars from 2024-01-02 22:00 to 2024-01-03 03:00 IST, halving at midnight.
  SymbolSeries s{"TEST", {}};
  for (int h = 0; h < 6; ++h) {
    Bar b;
    b.symbol = "TEST";
    b.timeframe = Timeframe{60};
    b.ts = from_ist(Date{2024, 1, 2}, 22, 0) + h * kMsPerHour;
    b.open = b.high = b.low = b.close = h < 2 ? rs(100) : rs(50);
    b.volume = 1000;
    s.bars.push_back(b);
  }
  auto listed =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nTEST,2024-01-03,bonus,1:1\n", "c");
  REQUIRE(listed.ok());
  for (const std::ptrdiff_t first :
       {0, 2}) {  // the series from the day before, or from the ex-date
    INFO("first bar " << first);
    SymbolSeries from{"TEST", {s.bars.begin() + first, s.bars.end()}};
    const std::vector<QualityIssue> issues = check_series(from, *listed, QualityOptions{});
    REQUIRE(issues.size() == 4);
    for (std::size_t i = 0; i < issues.size(); ++i) {
      CHECK(issues[i].kind == "corporate_action");
      CHECK(issues[i].ts == s.bars[2 + i].ts);
    }
  }
  std::vector<Adjustment> done = adjust_for_actions(s, *listed);
  REQUIRE(done.size() == 1);
  CHECK(done[0].bars_adjusted == 2);
  CHECK(s.bars[1].close == rs(50));  // 23:00 IST on the day before: adjusted
  CHECK(s.bars[1].volume == 2000);
  CHECK(s.bars[2].close == rs(50));  // 00:00 IST on the ex-date: unchanged
  CHECK(s.bars[2].volume == 1000);
}

TEST_CASE("data quality checked in parts finds what one pass finds, in the same order",
          "[backtest][quality]") {
  // Three-hourly bars over three weeks: weekend sessions of several bars (cut anywhere by the
  // parts), halvings on listed ex-dates and unlisted ones, and open/close outside the range.
  SymbolSeries s{"TEST", {}};
  Paise price = rs(400);
  for (int i = 0; i < 8 * 21; ++i) {
    Bar b;
    b.symbol = "TEST";
    b.timeframe = Timeframe{180};
    b.ts = from_ist(Date{2024, 1, 1}, 0, 0) + static_cast<TimestampMs>(i) * 3 * kMsPerHour;
    if (i % 17 == 16) price /= 2;
    b.open = b.high = b.low = b.close = price;
    if (i % 23 == 5) b.open = price + rs(1);
    b.volume = 1000;
    s.bars.push_back(b);
  }
  auto listed = parse_corporate_actions(
      "symbol,ex_date,kind,ratio\nTEST,2024-01-03,bonus,1:1\nTEST,2024-01-07,split,1:2\n"
      "TEST,2024-01-14,bonus,1:1\nOTHER,2024-01-05,split,1:2\n",
      "ca.csv");
  REQUIRE(listed.ok());
  const std::vector<QualityIssue> one_pass = check_series(s, *listed, QualityOptions{});
  auto count = [&](std::string_view kind) {
    return std::count_if(one_pass.begin(), one_pass.end(),
                         [&](const QualityIssue& q) { return q.kind == kind; });
  };
  REQUIRE(count("weekend_session") == 6);
  REQUIRE(count("corporate_action") > 0);
  REQUIRE(count("suspected_corporate_action") > 0);
  REQUIRE(count("open_close_outside_range") > 0);
  for (std::size_t parts = 2; parts <= 40; ++parts) {
    INFO(parts << " parts");
    const std::vector<QualityIssue> in_parts = check_series(s, *listed, QualityOptions{}, parts);
    REQUIRE(in_parts.size() == one_pass.size());
    for (std::size_t i = 0; i < one_pass.size(); ++i) {
      CHECK(in_parts[i].ts == one_pass[i].ts);
      CHECK(in_parts[i].kind == one_pass[i].kind);
      CHECK(in_parts[i].detail == one_pass[i].detail);
      CHECK(in_parts[i].action == one_pass[i].action);
    }
  }
}
