#include "backtest/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace sm::backtest {
namespace {

constexpr double kTradingDays = 252.0;

double ratio(Paise a, Paise b) { return static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

std::vector<DailyEquity> daily_equity(const std::vector<EquityPoint>& equity) {
  std::vector<DailyEquity> out;
  for (const EquityPoint& point : equity) {
    const Date date = ist_date(point.ts);
    if (!out.empty() && out.back().date == date) {
      out.back().equity = point.equity();
      out.back().invested = out.back().invested || point.invested;
    } else {
      out.push_back({date, point.equity(), point.invested});
    }
  }
  return out;
}

std::vector<MonthlyReturn> monthly_returns(const std::vector<DailyEquity>& days,
                                           Paise starting_cash) {
  std::vector<MonthlyReturn> out;
  Paise previous = starting_cash;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const bool month_end = i + 1 == days.size() || days[i + 1].date.month != days[i].date.month ||
                           days[i + 1].date.year != days[i].date.year;
    if (!month_end) continue;
    out.push_back({days[i].date.year, days[i].date.month,
                   previous > 0 ? ratio(days[i].equity, previous) - 1 : 0});
    previous = days[i].equity;
  }
  return out;
}

std::vector<YearlyReturn> yearly_returns(const std::vector<DailyEquity>& days,
                                         Paise starting_cash) {
  std::vector<YearlyReturn> out;
  Paise previous = starting_cash;
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (i + 1 < days.size() && days[i + 1].date.year == days[i].date.year) continue;
    out.push_back({days[i].date.year, previous > 0 ? ratio(days[i].equity, previous) - 1 : 0});
    previous = days[i].equity;
  }
  return out;
}

std::vector<double> drawdowns(const std::vector<DailyEquity>& days, Paise starting_cash) {
  std::vector<double> out;
  out.reserve(days.size());
  Paise peak = starting_cash;
  for (const DailyEquity& day : days) {
    peak = std::max(peak, day.equity);
    out.push_back(peak > 0 ? 1.0 - ratio(day.equity, peak) : 0.0);
  }
  return out;
}

namespace {

void summarize_activity(const BacktestResult& result, Summary& s) {
  s.starting_cash = result.config.starting_cash;
  s.final_equity = result.final_equity;
  s.net_pnl = result.final_equity - result.config.starting_cash;
  s.charges = result.charges;
  s.charges_paid = result.charges.total();
  s.traded_value = result.traded_value;
  s.bars = result.trading_bars;
  s.signals = result.signal_count;
  s.denied = result.denied_count;
  s.fills = result.fill_count;
  s.open_positions = static_cast<std::int64_t>(result.open_positions.size());
  for (const OpenPosition& open : result.open_positions) s.unrealized_pnl += open.unrealized_pnl;
  s.turnover_ratio = ratio(result.traded_value, result.config.starting_cash);
}

// From the trades when the result keeps them (a result may also be made by hand), else from the
// totals the engine kept.
void summarize_trades(const BacktestResult& result, Summary& s) {
  TradeTotals totals;
  if (result.config.keep_trades) {
    for (const TradeRecord& trade : result.trades) totals.add(trade);
  } else {
    totals = result.trade_totals;
  }
  s.trades = totals.trades;
  s.realized_pnl = totals.gross_pnl;
  s.realized_net_pnl = totals.net_pnl;
  s.winners = totals.winners;
  s.losers = totals.losers;
  s.largest_win = totals.largest_win;
  s.largest_loss = totals.largest_loss;
  if (s.trades > 0) {
    s.win_rate = static_cast<double>(s.winners) / static_cast<double>(s.trades);
    s.average_bars_held = static_cast<double>(totals.bars_held) / static_cast<double>(s.trades);
  }
  if (totals.losses < 0) s.profit_factor = ratio(totals.wins, -totals.losses);
  s.average_win = mean_half_even(totals.wins, s.winners);
  s.average_loss = mean_half_even(totals.losses, s.losers);
}

void summarize_growth(const std::vector<DailyEquity>& days, Summary& s) {
  const double calendar_days =
      static_cast<double>(days_from_civil(days.back().date) - days_from_civil(days.front().date));
  if (calendar_days > 0) {
    const double growth = ratio(days.back().equity, s.starting_cash);
    s.cagr = growth > 0 ? std::pow(growth, 365.25 / calendar_days) - 1 : -1.0;
  }
}

// Volatility is of the raw daily returns; Sharpe and Sortino use the returns in excess of the
// daily risk-free rate.
void summarize_returns(const std::vector<DailyEquity>& days, Summary& s) {
  std::vector<double> returns;
  returns.reserve(days.size());
  Paise previous = s.starting_cash;
  std::int64_t invested = 0;
  for (const DailyEquity& day : days) {
    returns.push_back(previous > 0 ? ratio(day.equity, previous) - 1 : 0);
    previous = day.equity;
    if (day.invested) ++invested;
  }
  s.exposure = static_cast<double>(invested) / static_cast<double>(days.size());

  const double rf_daily = s.risk_free_rate / kTradingDays;
  const double n = static_cast<double>(returns.size());
  double mean = 0;
  for (double r : returns) mean += r - rf_daily;
  mean /= n;
  if (returns.size() >= 2) {
    double squares = 0;
    for (double r : returns) squares += (r - rf_daily - mean) * (r - rf_daily - mean);
    const double sd = std::sqrt(squares / (n - 1));
    double raw_mean = 0;
    for (double r : returns) raw_mean += r;
    raw_mean /= n;
    double raw_squares = 0;
    for (double r : returns) raw_squares += (r - raw_mean) * (r - raw_mean);
    s.volatility = std::sqrt(raw_squares / (n - 1)) * std::sqrt(kTradingDays);
    if (sd > 0) s.sharpe = mean / sd * std::sqrt(kTradingDays);
    double downside = 0;
    for (double r : returns) {
      const double excess = std::min(0.0, r - rf_daily);
      downside += excess * excess;
    }
    downside = std::sqrt(downside / n);
    if (downside > 0) s.sortino = mean / downside * std::sqrt(kTradingDays);
  }
}

// The running peak starts at the starting cash (index -1). An episode runs from a peak to the
// first later day at or above it (or to the last day when it never recovers).
void summarize_drawdowns(const std::vector<DailyEquity>& days, Summary& s) {
  Paise peak = s.starting_cash;
  std::int64_t peak_index = -1;
  std::int64_t best_peak = -1, best_trough = -1;
  bool in_drawdown = false;
  const std::int64_t last = static_cast<std::int64_t>(days.size()) - 1;
  for (std::int64_t i = 0; i <= last; ++i) {
    const DailyEquity& day = days[static_cast<std::size_t>(i)];
    if (day.equity >= peak) {
      if (in_drawdown) s.longest_drawdown_days = std::max(s.longest_drawdown_days, i - peak_index);
      in_drawdown = false;
      peak = day.equity;
      peak_index = i;
      continue;
    }
    in_drawdown = true;
    const double dd = 1.0 - ratio(day.equity, peak);
    if (dd > s.max_drawdown) {
      s.max_drawdown = dd;
      s.max_drawdown_value = peak - day.equity;
      best_peak = peak_index;
      best_trough = i;
    }
  }
  if (in_drawdown) s.longest_drawdown_days = std::max(s.longest_drawdown_days, last - peak_index);
  if (best_trough >= 0) {
    const Paise peak_value =
        best_peak < 0 ? s.starting_cash : days[static_cast<std::size_t>(best_peak)].equity;
    const Date peak_date =
        best_peak < 0 ? days.front().date : days[static_cast<std::size_t>(best_peak)].date;
    s.max_drawdown_peak_date = format_date(peak_date);
    s.max_drawdown_trough_date = format_date(days[static_cast<std::size_t>(best_trough)].date);
    std::int64_t end = static_cast<std::int64_t>(days.size()) - 1;
    for (std::int64_t i = best_trough + 1; i < static_cast<std::int64_t>(days.size()); ++i) {
      if (days[static_cast<std::size_t>(i)].equity >= peak_value) {
        end = i;
        s.max_drawdown_recovery_date = format_date(days[static_cast<std::size_t>(i)].date);
        break;
      }
    }
    s.max_drawdown_days = end - best_peak;
    s.max_drawdown_calendar_days =
        days_from_civil(days[static_cast<std::size_t>(end)].date) - days_from_civil(peak_date);
  }
}

}  // namespace

Summary summarize(const BacktestResult& result, double risk_free_rate) {
  Summary s;
  s.risk_free_rate = risk_free_rate;
  summarize_activity(result, s);
  summarize_trades(result, s);
  const std::vector<DailyEquity> days = daily_equity(result.equity);
  s.total_return = ratio(s.final_equity, s.starting_cash) - 1;
  if (days.empty()) return s;
  s.first_date = format_date(days.front().date);
  s.last_date = format_date(days.back().date);
  s.days = static_cast<std::int64_t>(days.size());
  summarize_growth(days, s);
  summarize_returns(days, s);
  summarize_drawdowns(days, s);
  if (s.cagr && s.max_drawdown > 0) s.calmar = *s.cagr / s.max_drawdown;
  return s;
}

Result<Metric> parse_metric(std::string_view text) {
  static const std::pair<std::string_view, Metric> kNames[] = {
      {"sharpe", Metric::kSharpe},
      {"sortino", Metric::kSortino},
      {"calmar", Metric::kCalmar},
      {"cagr", Metric::kCagr},
      {"total-return", Metric::kTotalReturn},
      {"net-pnl", Metric::kNetPnl},
      {"profit-factor", Metric::kProfitFactor},
      {"win-rate", Metric::kWinRate},
      {"max-drawdown", Metric::kMaxDrawdown},
  };
  for (const auto& [name, metric] : kNames) {
    if (text == name) return metric;
  }
  return error(
      ErrorCode::kInvalidArgument,
      fmt::format("metric '{}' is not one of: sharpe, sortino, calmar, cagr, total-return, "
                  "net-pnl, profit-factor, win-rate, max-drawdown",
                  text));
}

std::string_view metric_name(Metric metric) {
  switch (metric) {
    case Metric::kSharpe:
      return "sharpe";
    case Metric::kSortino:
      return "sortino";
    case Metric::kCalmar:
      return "calmar";
    case Metric::kCagr:
      return "cagr";
    case Metric::kTotalReturn:
      return "total-return";
    case Metric::kNetPnl:
      return "net-pnl";
    case Metric::kProfitFactor:
      return "profit-factor";
    case Metric::kWinRate:
      return "win-rate";
    case Metric::kMaxDrawdown:
      return "max-drawdown";
  }
  return "sharpe";
}

std::optional<double> metric_value(const Summary& s, Metric metric) {
  switch (metric) {
    case Metric::kSharpe:
      return s.sharpe;
    case Metric::kSortino:
      return s.sortino;
    case Metric::kCalmar:
      return s.calmar;
    case Metric::kCagr:
      return s.cagr;
    case Metric::kTotalReturn:
      return s.total_return;
    case Metric::kNetPnl:
      return static_cast<double>(s.net_pnl);
    case Metric::kProfitFactor:
      return s.profit_factor;
    case Metric::kWinRate:
      return s.win_rate;
    case Metric::kMaxDrawdown:
      return -s.max_drawdown;
  }
  return std::nullopt;
}

}  // namespace sm::backtest
