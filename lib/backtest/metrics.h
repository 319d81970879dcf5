// Performance metrics of a backtest. docs/BACKTEST.md defines each one; in short:
//   - the daily equity series is the starting cash followed by the equity at the last bar of each
//     IST trading date; daily returns are the relative changes between consecutive values;
//   - annualisation uses 252 trading days; the risk-free rate is 0 unless configured (an annual
//     rate, taken as rate / 252 per day);
//   - money is exact integer paise; averages of money are rounded half to even to the paisa;
//     ratios are double, and a ratio that is not defined (no losing trade, no volatility) is
//     nullopt (null in JSON, "-" in tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/engine.h"
#include "core/status.h"

namespace sm::backtest {

struct DailyEquity {
  Date date;
  Paise equity = 0;
  bool invested = false;  // a position was open at that day's last bar
};

// The equity at the last point of each IST date, oldest first.
std::vector<DailyEquity> daily_equity(const std::vector<EquityPoint>& equity);

struct MonthlyReturn {
  int year = 0;
  int month = 0;   // 1..12
  double ret = 0;  // month-end equity / previous month-end (or starting cash) - 1
};
std::vector<MonthlyReturn> monthly_returns(const std::vector<DailyEquity>& days,
                                           Paise starting_cash);

struct YearlyReturn {
  int year = 0;
  double ret = 0;
};
std::vector<YearlyReturn> yearly_returns(const std::vector<DailyEquity>& days, Paise starting_cash);

// Drawdown at each daily point: 1 - equity / running peak (the starting cash is the first peak).
std::vector<double> drawdowns(const std::vector<DailyEquity>& days, Paise starting_cash);

struct Summary {
  Paise starting_cash = 0;
  Paise final_equity = 0;
  Paise net_pnl = 0;       // final_equity - starting_cash (after charges, open positions marked)
  Paise realized_pnl = 0;  // sum of closed trades' gross P&L
  Paise realized_net_pnl = 0;  // the same after their charges
  Paise unrealized_pnl = 0;    // sum over open positions (gross)
  Paise charges_paid = 0;
  costs::Charges charges;  // itemised, every fill
  Paise traded_value = 0;  // turnover: sum of every fill's price * qty

  std::string first_date;  // of the equity series (IST dates)
  std::string last_date;
  std::int64_t days = 0;  // daily returns
  std::int64_t bars = 0;  // bars traded over (warm-up excluded)

  double total_return = 0;
  std::optional<double> cagr;
  std::optional<double> volatility;  // annualised standard deviation of daily returns
  double max_drawdown = 0;           // largest 1 - equity / peak, a fraction >= 0
  Paise max_drawdown_value = 0;      // peak - trough of that drawdown, in paise
  std::string max_drawdown_peak_date;
  std::string max_drawdown_trough_date;
  std::string max_drawdown_recovery_date;  // empty when not recovered by the end
  std::int64_t max_drawdown_days = 0;      // trading days from its peak to recovery (or the end)
  std::int64_t max_drawdown_calendar_days = 0;
  std::int64_t longest_drawdown_days = 0;  // the longest peak-to-recovery stretch of any drawdown
  std::optional<double> sharpe;
  std::optional<double> sortino;
  std::optional<double> calmar;
  double risk_free_rate = 0;

  std::int64_t trades = 0;   // closed round trips
  std::int64_t winners = 0;  // net P&L > 0
  std::int64_t losers = 0;   // net P&L < 0
  std::optional<double> win_rate;
  std::optional<double> profit_factor;  // sum of winners' net P&L / -(sum of losers')
  Paise average_win = 0;
  Paise average_loss = 0;  // negative (or 0 when none)
  Paise largest_win = 0;
  Paise largest_loss = 0;
  std::optional<double> average_bars_held;
  double exposure = 0;        // fraction of daily points with a position open
  double turnover_ratio = 0;  // traded_value / starting_cash
  std::int64_t open_positions = 0;
  std::int64_t signals = 0;
  std::int64_t denied = 0;
  std::int64_t fills = 0;
};

// REQUIRES: risk_free_rate is finite.
Summary summarize(const BacktestResult& result, double risk_free_rate = 0);

// Metrics a sweep can rank by; higher is better (max-drawdown is ranked by its negative).
enum class Metric {
  kSharpe,
  kSortino,
  kCalmar,
  kCagr,
  kTotalReturn,
  kNetPnl,
  kProfitFactor,
  kWinRate,
  kMaxDrawdown,
};
// "sharpe", "sortino", "calmar", "cagr", "total-return", "net-pnl", "profit-factor", "win-rate",
// "max-drawdown". Fails with kInvalidArgument listing them.
Result<Metric> parse_metric(std::string_view text);
std::string_view metric_name(Metric metric);
// The value ranked on (nullopt ranks last).
std::optional<double> metric_value(const Summary& summary, Metric metric);

}  // namespace sm::backtest
