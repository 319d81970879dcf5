// The report texts: every NDJSON line is one JSON object with exact money, the summary JSON and
// equity CSV carry what they say, and the HTML is self-contained.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backtest/html_report.h"
#include "backtest/metrics.h"
#include "backtest/report.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using namespace sm::backtest::testing;

namespace {

MarketData sample_data(const std::string& symbol = "M&M") {
  return data_of({{bar(0, 100, 101, 99, 100, symbol), bar(1, 100, 103, 100, 102.5, symbol),
                   bar(2, 103, 104, 102, 103, symbol), bar(3, 103, 103, 98, 99, symbol),
                   bar(4, 98, 99, 97, 98, symbol), bar(40, 98, 103, 97, 102, symbol),
                   bar(41, 102, 103, 101, 102.5, symbol)}});
}

BacktestResult sample(const std::string& symbol = "M&M") {
  auto model = costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  return run(sample_data(symbol), EngineConfig{}, {breakout_1_1()}, &*model);
}

std::vector<std::string> labels_of(const std::vector<AxisTick>& ticks) {
  std::vector<std::string> out;
  for (const AxisTick& t : ticks) out.push_back(t.label);
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    REQUIRE(parsed.is_object());
    out.push_back(parsed);
  }
  return out;
}

}  // namespace

TEST_CASE("trades, fills and signals are NDJSON with exact two-decimal money",
          "[backtest][report]") {
  BacktestResult r = sample();
  auto trades = lines_of(trades_ndjson(r));
  REQUIRE(trades.size() == r.trades.size() + r.open_positions.size());
  CHECK(trades[0]["type"] == "trade");
  CHECK(trades[0]["charges_detail"]["total"].get<double>() > 0);
  CHECK(trades.back()["type"] == "open_position");
  const std::string fills = fills_ndjson(r);
  CHECK(fills.find("\"price\":103.00") != std::string::npos);
  auto fill_lines = lines_of(fills);
  REQUIRE(fill_lines.size() == r.fills.size());
  CHECK(fill_lines[0]["type"] == "fill");
  CHECK(fill_lines[0]["side"] == "BUY");
  CHECK(fill_lines[0]["trade_id"] == "bt00000001");
  auto signals = lines_of(signals_ndjson(r));
  REQUIRE(signals.size() == r.signals.size());
  CHECK(signals[0]["type"] == "signal");
  CHECK(signals[0]["outcome"] == "filled");
  CHECK(signals[0]["gate_code"] == "APPROVED");
}

TEST_CASE("the summary JSON holds the configuration, the metrics and the open positions",
          "[backtest][report]") {
  BacktestResult r = sample();
  Summary s = summarize(r);
  RunInfo info;
  info.inputs = {"x.csv"};
  info.data_issues = {{"weekend_session", 2}};
  auto j = nlohmann::json::parse(summary_json(r, s, info));
  CHECK(j["type"] == "backtest_summary");
  CHECK(j["fill"] == "next-open");
  CHECK(j["costs"] == "india-equity");
  CHECK(j["trades"] == s.trades);
  CHECK(j["data_quality"]["weekend_session"] == 2);
  CHECK(j["open_positions"].size() == 1);
  CHECK(*paise_from_double(j["net_pnl"].get<double>()) == s.net_pnl);
  CHECK(*paise_from_double(j["charges_paid"].get<double>()) == s.charges_paid);
  for (const char* key : {"total_return", "cagr", "max_drawdown", "sharpe", "sortino", "calmar",
                          "win_rate", "profit_factor", "average_win", "average_loss", "exposure",
                          "traded_value", "turnover_ratio", "max_drawdown_days"}) {
    CHECK(j.contains(key));
  }
  const std::string table = summary_table(r, s, info);
  CHECK(table.find("Sharpe") != std::string::npos);
  CHECK(table.find("Open at end") != std::string::npos);
  CHECK(table.find("no corporate-actions file") != std::string::npos);
}

TEST_CASE("every report says which corporate actions were applied", "[backtest][report]") {
  BacktestResult r = sample();
  const Summary s = summarize(r);
  auto actions = parse_corporate_actions(
      "symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\nWIPRO,2019-03-06,bonus,1:3\n", "c");
  REQUIRE(actions.ok());
  RunInfo info;
  info.corporate_actions_file = "data/corporate-actions.csv";
  info.adjusted = true;
  info.applied = {{(*actions)[0], 845}, {(*actions)[1], 1035}};
  info.corporate_actions_applied = 2;
  auto j = nlohmann::json::parse(summary_json(r, s, info));
  CHECK(j["corporate_actions_applied"] == 2);
  CHECK(j["corporate_actions"]["file"] == "data/corporate-actions.csv");
  CHECK(j["corporate_actions"]["adjusted"] == true);
  REQUIRE(j["corporate_actions"]["applied"].size() == 2);
  CHECK(j["corporate_actions"]["applied"][0]["symbol"] == "TCS");
  CHECK(j["corporate_actions"]["applied"][0]["ex_date"] == "2018-05-31");
  CHECK(j["corporate_actions"]["applied"][1]["ratio"] == "1:3");
  CHECK(j["corporate_actions"]["applied"][1]["bars_adjusted"] == 1035);
  const std::string note =
      "2 applied from data/corporate-actions.csv: TCS bonus 1:1 on 2018-05-31, WIPRO bonus 1:3 on "
      "2019-03-06 (earlier prices back-adjusted)";
  CHECK(summary_table(r, s, info).find(note) != std::string::npos);
  CHECK(render_html(r, s, info, HtmlOptions{}).find(note) != std::string::npos);

  info.adjusted = false;
  info.applied.clear();
  CHECK(corporate_actions_note(info).find("not applied (--no-adjust)") == 0);
  info.adjusted = true;
  CHECK(corporate_actions_note(info) == "none in the data (listed in data/corporate-actions.csv)");
}

TEST_CASE("the equity CSV has one row per bar time", "[backtest][report]") {
  BacktestResult r = sample();
  const std::string csv = equity_csv(r);
  CHECK(csv.rfind("ts,date,cash,positions_value,equity,drawdown,invested\n", 0) == 0);
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == r.equity.size() + 1);
}

TEST_CASE("percentages have two decimals and a dash for no value", "[backtest][report]") {
  CHECK(format_percent(std::nullopt) == "-");
  CHECK(format_percent(0.12345) == "12.35%");
}

TEST_CASE("the HTML report is self-contained, escaped and has its charts", "[backtest][report]") {
  BacktestResult r = sample();
  Summary s = summarize(r);
  HtmlOptions options;
  options.title = "A <test> & more";
  options.quality.push_back({"M&M", r.equity[0].ts, "weekend_session", "a Saturday", "kept"});
  const std::string html = render_html(r, s, RunInfo{}, options);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("A &lt;test&gt; &amp; more") != std::string::npos);
  CHECK(html.find("M&amp;M") != std::string::npos);
  CHECK(std::count(html.begin(), html.end(), '\n') > 10);
  std::size_t svgs = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1))
    ++svgs;
  CHECK(svgs == 3);  // equity, drawdown, trade P&L
  CHECK(html.find("Monthly returns") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // The only URL is the SVG namespace name, which browsers never fetch.
  std::size_t http = 0;
  for (std::size_t at = html.find("http://"); at != std::string::npos;
       at = html.find("http://", at + 1)) {
    CHECK(html.compare(at, 26, "http://www.w3.org/2000/svg") == 0);
    ++http;
  }
  CHECK(http == 3);
}

// Regression: a drawdown axis down to -2.4 % printed "0%, -0%, -1%, -2%, -2%" (whole percents for
// a half-percent step, and a zero that came out negative).
TEST_CASE("axis labels are distinct, as precise as the step and never -0", "[backtest][report]") {
  CHECK(labels_of(axis_ticks(-0.024, 0, 5, AxisUnit::kFraction)) ==
        std::vector<std::string>{"-2.0%", "-1.5%", "-1.0%", "-0.5%", "0.0%"});
  CHECK(labels_of(axis_ticks(-0.31, 0, 5, AxisUnit::kFraction)) ==
        std::vector<std::string>{"-30%", "-20%", "-10%", "0%"});
  CHECK(labels_of(axis_ticks(-0.0004, 0.0001, 5, AxisUnit::kFraction)) ==
        std::vector<std::string>{"-0.04%", "-0.03%", "-0.02%", "-0.01%", "0.00%", "0.01%"});
  // Rupees switch to lakh and crore by magnitude and keep the step's digits.
  CHECK(labels_of(axis_ticks(100000, 100600, 5, AxisUnit::kRupees)) ==
        std::vector<std::string>{"1.000 L", "1.002 L", "1.004 L", "1.006 L"});
  CHECK(labels_of(axis_ticks(0, 25000000, 5, AxisUnit::kRupees)) ==
        std::vector<std::string>{"0.0 cr", "0.5 cr", "1.0 cr", "1.5 cr", "2.0 cr", "2.5 cr"});
  CHECK(labels_of(axis_ticks(950, 1010, 5, AxisUnit::kRupees)) ==
        std::vector<std::string>{"960", "980", "1000"});
}

TEST_CASE("the HTML drawdown axis prints no -0% and no repeated label", "[backtest][report]") {
  BacktestResult r = sample();
  const std::string html = render_html(r, summarize(r), RunInfo{}, HtmlOptions{});
  CHECK(html.find(">-0%<") == std::string::npos);
  CHECK(html.find(">-0.0%<") == std::string::npos);
  std::vector<std::string> labels;
  for (std::size_t at = html.find("class=\"tick\""); at != std::string::npos;
       at = html.find("class=\"tick\"", at + 1)) {
    const std::size_t open = html.find('>', at) + 1;
    labels.push_back(html.substr(open, html.find('<', open) - open));
  }
  REQUIRE(labels.size() >= 4);
  for (std::size_t i = 1; i < labels.size(); ++i) CHECK(labels[i] != labels[i - 1]);
}

TEST_CASE("with the bars, the HTML has a benchmark, price charts with fills and corporate actions",
          "[backtest][report]") {
  const MarketData data = sample_data();
  BacktestResult r = sample();
  HtmlOptions options;
  options.data = &data;
  options.quality.push_back(
      {"M&M", r.equity[3].ts, "suspected_corporate_action", "close 103 to open 50", "kept"});
  const std::string html = render_html(r, summarize(r), RunInfo{}, options);
  CHECK(html.find("buy and hold") != std::string::npos);
  CHECK(html.find("<h3>M&amp;M</h3>") != std::string::npos);
  CHECK(count_of(html, "<svg") == 4);  // equity, drawdown, M&M's price, trade P&L
  std::size_t buys = 0, sells = 0;
  for (const FillRecord& f : r.fills) (f.fill.side == Side::kBuy ? buys : sells)++;
  REQUIRE(buys > 0);
  CHECK(count_of(html, "class=\"entry\"") == buys);
  CHECK(count_of(html, "class=\"exit\"") == sells);
  CHECK(count_of(html, "class=\"corporate-action\"") == 2);  // on the equity and price charts
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
}
