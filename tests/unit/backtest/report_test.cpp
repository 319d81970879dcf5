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

BacktestResult sample(const std::string& symbol = "M&M") {
  std::vector<Bar> bars = {
      bar(0, 100, 101, 99, 100, symbol),    bar(1, 100, 103, 100, 102.5, symbol),
      bar(2, 103, 104, 102, 103, symbol),   bar(3, 103, 103, 98, 99, symbol),
      bar(4, 98, 99, 97, 98, symbol),       bar(40, 98, 103, 97, 102, symbol),
      bar(41, 102, 103, 101, 102.5, symbol)};
  auto model = costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  return run(data_of({bars}), EngineConfig{}, {breakout_1_1()}, &*model);
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
  const std::string table = summary_table(r, s);
  CHECK(table.find("Sharpe") != std::string::npos);
  CHECK(table.find("Open at end") != std::string::npos);
}

TEST_CASE("the equity CSV has one row per bar time", "[backtest][report]") {
  BacktestResult r = sample();
  const std::string csv = equity_csv(r);
  CHECK(csv.rfind("ts,date,cash,positions_value,equity,drawdown,invested\n", 0) == 0);
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == r.equity.size() + 1);
}

TEST_CASE("rupees are grouped the Indian way", "[backtest][report]") {
  CHECK(format_rupees_grouped(123456789012) == "1,23,45,67,890.12");
  CHECK(format_rupees_grouped(-1234567) == "-12,345.67");
  CHECK(format_rupees_grouped(99999) == "999.99");
  CHECK(format_rupees_grouped(0) == "0.00");
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
