// Metrics on a small hand-made result whose figures were worked out by hand (and checked with a
// few lines of Python): returns, drawdown and its duration, Sharpe, Sortino, trade statistics.
#include <catch2/catch.hpp>
#include <cmath>

#include "backtest/metrics.h"
#include "test_bars.h"

using namespace sm;
using namespace sm::backtest;
using sm::backtest::testing::rs;

namespace {

BacktestResult hand_made() {
  BacktestResult r;
  r.config.starting_cash = rs(1000);
  const double values[] = {1100, 990, 1210, 1080, 1300};
  for (int day = 0; day < 5; ++day) {
    EquityPoint p;
    p.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
    p.cash = rs(values[day]);
    p.invested = day % 2 == 0;
    r.equity.push_back(p);
  }
  r.final_equity = rs(1300);
  r.final_cash = rs(1300);
  for (Paise net : {Paise{10001}, Paise{10000}, Paise{-3}, Paise{-4}, Paise{0}}) {
    TradeRecord t;
    t.gross_pnl = net;
    t.net_pnl = net;
    t.bars_held = 2;
    r.trades.push_back(t);
  }
  r.traded_value = rs(5000);
  return r;
}

}  // namespace

TEST_CASE("return, CAGR, volatility, Sharpe and Sortino follow their definitions",
          "[backtest][metrics]") {
  const Summary s = summarize(hand_made());
  CHECK(s.net_pnl == rs(300));
  CHECK(s.total_return == Approx(0.3));
  CHECK(s.days == 5);
  REQUIRE(s.cagr);
  CHECK(*s.cagr == Approx(std::pow(1.3, 365.25 / 4) - 1));
  REQUIRE(s.sharpe);
  CHECK(*s.sharpe == Approx(6.3280249735188425).epsilon(1e-12));
  REQUIRE(s.sortino);
  CHECK(*s.sortino == Approx(15.40479273360494).epsilon(1e-12));
  REQUIRE(s.volatility);
  CHECK(*s.volatility == Approx(2.5366193560836825).epsilon(1e-12));
  const Summary with_rf = summarize(hand_made(), 0.0252);
  CHECK(*with_rf.sharpe == Approx(6.318090491256235).epsilon(1e-12));
  CHECK(s.exposure == Approx(0.6));
  CHECK(s.turnover_ratio == Approx(5.0));
}

TEST_CASE("max drawdown, its dates and its duration", "[backtest][metrics]") {
  const Summary s = summarize(hand_made());
  CHECK(s.max_drawdown == Approx(1 - 1080.0 / 1210.0));
  CHECK(s.max_drawdown_value == rs(130));
  CHECK(s.max_drawdown_peak_date == "2024-01-03");
  CHECK(s.max_drawdown_trough_date == "2024-01-04");
  CHECK(s.max_drawdown_recovery_date == "2024-01-05");
  CHECK(s.max_drawdown_days == 2);
  CHECK(s.max_drawdown_calendar_days == 2);
  CHECK(s.longest_drawdown_days == 2);
  REQUIRE(s.calmar);
  CHECK(*s.calmar == Approx(*s.cagr / s.max_drawdown));

  // Not recovered by the end: the duration runs to the last day.
  BacktestResult down = hand_made();
  down.equity.back().cash = rs(1200);
  down.final_equity = rs(1200);
  const Summary d = summarize(down);
  CHECK(d.max_drawdown_recovery_date.empty());
  CHECK(d.max_drawdown_days == 2);
  CHECK(d.longest_drawdown_days == 2);
}

TEST_CASE("trade statistics: win rate, profit factor, averages rounded half to even",
          "[backtest][metrics]") {
  const Summary s = summarize(hand_made());
  CHECK(s.trades == 5);
  CHECK(s.winners == 2);
  CHECK(s.losers == 2);
  CHECK(*s.win_rate == Approx(0.4));
  CHECK(*s.profit_factor == Approx(20001.0 / 7.0));
  CHECK(s.average_win == 10000);  // 10000.5 -> even
  CHECK(s.average_loss == -4);    // -3.5 -> even
  CHECK(s.largest_win == 10001);
  CHECK(s.largest_loss == -4);
  CHECK(*s.average_bars_held == Approx(2.0));
}

TEST_CASE("undefined ratios are empty rather than invented", "[backtest][metrics]") {
  BacktestResult flat;
  flat.config.starting_cash = rs(1000);
  flat.final_equity = rs(1000);
  for (int day = 0; day < 3; ++day) {
    EquityPoint p;
    p.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
    p.cash = rs(1000);
    flat.equity.push_back(p);
  }
  const Summary s = summarize(flat);
  CHECK_FALSE(s.sharpe);
  CHECK_FALSE(s.sortino);
  CHECK_FALSE(s.calmar);
  CHECK_FALSE(s.win_rate);
  CHECK_FALSE(s.profit_factor);
  CHECK(s.max_drawdown == 0);
}

TEST_CASE("daily equity keeps the last point of each IST date, monthly and yearly returns chain",
          "[backtest][metrics]") {
  std::vector<EquityPoint> points;
  auto add = [&](Date date, int hour, double rupees) {
    EquityPoint p;
    p.ts = from_ist(date, hour, 0);
    p.cash = rs(rupees);
    points.push_back(p);
  };
  add({2023, 12, 29}, 10, 1000);
  add({2023, 12, 29}, 15, 1100);  // the same day: this one counts
  add({2024, 1, 31}, 15, 1210);
  add({2024, 2, 1}, 15, 1089);
  const std::vector<DailyEquity> days = daily_equity(points);
  REQUIRE(days.size() == 3);
  CHECK(days[0].equity == rs(1100));
  const std::vector<MonthlyReturn> months = monthly_returns(days, rs(1000));
  REQUIRE(months.size() == 3);
  CHECK(months[0].ret == Approx(0.1));
  CHECK(months[1].ret == Approx(0.1));
  CHECK(months[2].ret == Approx(-0.1));
  const std::vector<YearlyReturn> years = yearly_returns(days, rs(1000));
  REQUIRE(years.size() == 2);
  CHECK(years[1].ret == Approx(1089.0 / 1100.0 - 1));
  const std::vector<double> dd = drawdowns(days, rs(1000));
  CHECK(dd[2] == Approx(0.1));
}

TEST_CASE("metrics are named and ranked higher-is-better", "[backtest][metrics]") {
  CHECK(*parse_metric("sharpe") == Metric::kSharpe);
  CHECK(*parse_metric("max-drawdown") == Metric::kMaxDrawdown);
  CHECK_FALSE(parse_metric("alpha").ok());
  Summary s;
  s.max_drawdown = 0.2;
  CHECK(*metric_value(s, Metric::kMaxDrawdown) == Approx(-0.2));
  for (Metric m :
       {Metric::kSharpe, Metric::kSortino, Metric::kCalmar, Metric::kCagr, Metric::kTotalReturn,
        Metric::kNetPnl, Metric::kProfitFactor, Metric::kWinRate, Metric::kMaxDrawdown}) {
    CHECK(*parse_metric(metric_name(m)) == m);
  }
}

namespace {

// 15-minute bars over `days` sessions whose closes zigzag, so that the 1-bar breakout trades
// within and across dates, and a position is often open over a date's last bar.
std::vector<Bar> intraday_zigzag(int days) {
  std::vector<Bar> bars;
  int step = 0;
  for (int day = 0; day < days; ++day) {
    for (int slot = 0; slot < 25; ++slot, ++step) {
      const double close = 100 + (step % 7) * 1.5 - (step % 3) * 2.25 + day * 0.5;
      Bar b = sm::backtest::testing::bar(0, close - 0.5, close + 1, close - 1, close);
      b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15) + slot * 15 * kMsPerMinute;
      b.timeframe = Timeframe{15};
      bars.push_back(b);
    }
  }
  return bars;
}

}  // namespace

TEST_CASE("without detail records the equity curve keeps one point per IST date, same metrics",
          "[backtest][metrics]") {
  for (bool close_at_end : {false, true}) {
    const MarketData data = sm::backtest::testing::data_of({intraday_zigzag(12)});
    EngineConfig config;
    config.close_at_end = close_at_end;
    const BacktestResult full = sm::backtest::testing::run(data, config);
    config.record_details = false;
    const BacktestResult daily = sm::backtest::testing::run(data, config);

    REQUIRE(full.trades.size() > 10);
    CHECK(full.equity.size() == 12 * 25);
    CHECK(daily.equity.size() == 12);
    CHECK(daily.first_ts == full.first_ts);
    CHECK(daily.last_ts == full.last_ts);
    CHECK(daily.trades.size() == full.trades.size());
    for (std::size_t i = 0; i < full.trades.size(); ++i) {
      CHECK(daily.trades[i].net_pnl == full.trades[i].net_pnl);
      CHECK(daily.trades[i].exit_ts == full.trades[i].exit_ts);
    }
    const std::vector<DailyEquity> full_days = daily_equity(full.equity);
    const std::vector<DailyEquity> daily_days = daily_equity(daily.equity);
    REQUIRE(full_days.size() == daily_days.size());
    for (std::size_t i = 0; i < full_days.size(); ++i) {
      CHECK(daily_days[i].date == full_days[i].date);
      CHECK(daily_days[i].equity == full_days[i].equity);
      CHECK(daily_days[i].invested == full_days[i].invested);
    }
    const Summary a = summarize(full);
    const Summary b = summarize(daily);
    CHECK(b.final_equity == a.final_equity);
    CHECK(b.first_date == a.first_date);
    CHECK(b.last_date == a.last_date);
    CHECK(b.days == a.days);
    CHECK(b.bars == a.bars);
    CHECK(b.sharpe == a.sharpe);
    CHECK(b.max_drawdown == a.max_drawdown);
    CHECK(b.exposure == a.exposure);
    CHECK(b.trades == a.trades);
    CHECK(b.signals == a.signals);
  }
}
