#include "backtest/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace sm::backtest {
namespace {

constexpr double kChartWidth = 1000;
constexpr double kPlotLeft = 90;
constexpr double kPlotRight = 985;

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char* kStyle = R"(
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
.sub{color:#5a6672;font-size:13px;margin-bottom:16px}
table{border-collapse:collapse;font-size:12px}
td,th{padding:3px 8px;border:1px solid #e1e6ea;text-align:right;white-space:nowrap}
td.w{white-space:normal;max-width:420px}
th{background:#f3f5f7}td.l,th.l{text-align:left}
.metrics{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:8px 12px;min-width:150px}
.card .k{font-size:11px;color:#5a6672;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:18px;font-weight:bold;margin-top:2px}
.pos{color:#137333}.neg{color:#b3261e}
svg text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:11px;fill:#5a6672}
.note{font-size:12px;color:#5a6672}
)";

// Charts are drawn on a 1000-unit-wide canvas and scale down with the page.
std::string svg_open(double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" "
      "style=\"width:100%;max-width:{0}px;height:auto\" role=\"img\">",
      kChartWidth, height);
}

// A percentage for a table cell; values that round to zero print without a sign.
std::string cell_percent(double ret) {
  const double percent = ret * 100;
  return std::fabs(percent) < 0.005 ? "0.00%" : fmt::format("{:.2f}%", percent);
}

std::string cls(Paise value) { return value > 0 ? "pos" : value < 0 ? "neg" : ""; }

std::string date_of(TimestampMs ts) { return format_date(ist_date(ts)); }

// Round numbers for an axis: about `count` ticks covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int count) {
  std::vector<double> out;
  if (!(hi > lo)) {
    out.push_back(lo);
    return out;
  }
  const double raw = (hi - lo) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(v);
  return out;
}

std::string compact_rupees(double rupees) {
  const double a = std::fabs(rupees);
  if (a >= 1e7) return fmt::format("{:.2f} cr", rupees / 1e7);
  if (a >= 1e5) return fmt::format("{:.2f} L", rupees / 1e5);
  return fmt::format("{:.0f}", rupees);
}

struct Series {
  std::vector<std::int64_t> day;  // days since epoch
  std::vector<double> value;
};

// A line (or filled area down to baseline) chart of one series with axes.
std::string line_chart(const Series& s, double height, const std::string& color, bool area,
                       bool percent, std::optional<double> floor_at,
                       std::optional<double> ceiling_at) {
  std::string out = svg_open(height);
  const double top = 10, bottom = height - 24;
  if (s.value.empty()) return out + "<text x=\"20\" y=\"30\">no data</text></svg>";
  double lo = *std::min_element(s.value.begin(), s.value.end());
  double hi = *std::max_element(s.value.begin(), s.value.end());
  if (floor_at) lo = std::min(lo, *floor_at);
  if (ceiling_at) hi = std::max(hi, *ceiling_at);
  if (hi - lo < 1e-12) {
    hi += 1;
    lo -= 1;
  }
  // Breathing room, except against a fixed bound (the drawdown's 0 line).
  const double pad = (hi - lo) * 0.05;
  if (!ceiling_at || hi != *ceiling_at) hi += pad;
  if (!floor_at || lo != *floor_at) lo -= pad;
  const double x0 = static_cast<double>(s.day.front());
  const double x1 = static_cast<double>(std::max(s.day.back(), s.day.front() + 1));
  auto x = [&](std::int64_t d) {
    return kPlotLeft + (static_cast<double>(d) - x0) / (x1 - x0) * (kPlotRight - kPlotLeft);
  };
  auto y = [&](double v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
  // Horizontal grid and labels.
  for (double t : nice_ticks(lo, hi, 5)) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                   "stroke=\"#e1e6ea\"/><text x=\"{:.1f}\" y=\"{:.1f}\" "
                   "text-anchor=\"end\">{}</text>",
                   kPlotLeft, y(t), kPlotRight, y(t), kPlotLeft - 6, y(t) + 4,
                   percent ? fmt::format("{:.0f}%", t * 100) : compact_rupees(t));
  }
  // Year ticks.
  int last_year = -1;
  for (std::size_t i = 0; i < s.day.size(); ++i) {
    const Date d = civil_from_days(s.day[i]);
    if (d.year != last_year) {
      if (last_year != -1 || i == 0) {
        fmt::format_to(std::back_inserter(out),
                       "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                       "stroke=\"#eef1f4\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                       "text-anchor=\"middle\">{4}</text>",
                       x(s.day[i]), top, bottom, height - 8, d.year);
      }
      last_year = d.year;
    }
  }
  std::string points;
  points.reserve(s.value.size() * 16);
  for (std::size_t i = 0; i < s.value.size(); ++i) {
    fmt::format_to(std::back_inserter(points), "{:.1f},{:.1f} ", x(s.day[i]), y(s.value[i]));
  }
  if (area) {
    const double base = y(std::clamp(0.0, lo, hi));
    fmt::format_to(std::back_inserter(out),
                   "<polygon points=\"{:.1f},{:.1f} {}{:.1f},{:.1f}\" fill=\"{}\" "
                   "fill-opacity=\"0.35\" stroke=\"{}\" stroke-width=\"1\"/>",
                   x(s.day.front()), base, points, x(s.day.back()), base, color, color);
  } else {
    fmt::format_to(std::back_inserter(out),
                   "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"/>",
                   points, color);
  }
  fmt::format_to(std::back_inserter(out),
                 "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>"
                 "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>",
                 kPlotLeft, top, bottom, kPlotRight);
  return out + "</svg>";
}

std::string trade_bars(const std::vector<TradeRecord>& trades) {
  const double height = 180, top = 10, bottom = height - 20;
  std::string out = svg_open(height);
  if (trades.empty()) return out + "<text x=\"20\" y=\"30\">no closed trades</text></svg>";
  double most = 1;
  for (const TradeRecord& t : trades) most = std::max(most, std::fabs(to_rupees(t.net_pnl)));
  const double mid = (top + bottom) / 2;
  const double slot = (kPlotRight - kPlotLeft) / static_cast<double>(trades.size());
  const double width = std::max(0.5, slot * 0.8);
  for (std::size_t i = 0; i < trades.size(); ++i) {
    const double v = to_rupees(trades[i].net_pnl);
    const double h = std::fabs(v) / most * (bottom - top) / 2;
    fmt::format_to(std::back_inserter(out),
                   "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                   "fill=\"{}\"><title>{} {} {}</title></rect>",
                   kPlotLeft + static_cast<double>(i) * slot, v >= 0 ? mid - h : mid, width,
                   std::max(h, 0.5), v >= 0 ? "#1e8e3e" : "#d93025", html_escape(trades[i].symbol),
                   date_of(trades[i].exit_ts), format_rupees(trades[i].net_pnl));
  }
  fmt::format_to(std::back_inserter(out),
                 "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#9aa5b1\"/>"
                 "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">+{5}</text>"
                 "<text x=\"{3}\" y=\"{6:.1f}\" text-anchor=\"end\">-{5}</text>"
                 "<text x=\"{3}\" y=\"{7:.1f}\" text-anchor=\"end\">0</text>",
                 kPlotLeft, mid, kPlotRight, kPlotLeft - 6, top + 8, compact_rupees(most), bottom,
                 mid + 4);
  return out + "</svg>";
}

std::string heat(double ret) {
  const double strength = std::min(1.0, std::fabs(ret) / 0.1);
  const int fade = static_cast<int>(255 - strength * 140);
  return ret >= 0 ? fmt::format("background:rgb({},{},{})", fade, 255, fade)
                  : fmt::format("background:rgb({},{},{})", 255, fade, fade);
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_html(const BacktestResult& result, const Summary& s, const RunInfo& info,
                        const HtmlOptions& options) {
  std::string out;
  auto add = [&](std::string_view text) { out += text; };
  add("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
  add(html_escape(options.title));
  add("</title><style>");
  add(kStyle);
  add("</style></head><body>\n<h1>");
  add(html_escape(options.title));
  add("</h1>\n<div class=\"sub\">");
  std::string strategies;
  for (const StrategySpec& spec : result.strategies) {
    if (!strategies.empty()) strategies += "; ";
    strategies += spec.id + " " + (spec.params.is_null() ? "{}" : spec.params.dump());
  }
  std::string inputs;
  for (const std::string& input : info.inputs) inputs += (inputs.empty() ? "" : ", ") + input;
  add(html_escape(fmt::format(
      "{} | {} .. {} ({} bars) | fill {}, {} entries, slippage {}, costs {} ({}), gate {} | {}",
      strategies, s.first_date, s.last_date, s.bars, fill_timing_name(result.config.fill),
      entry_order_name(result.config.entry_order), slippage_name(result.config.slippage),
      result.cost_model, product_name(result.config.product), result.gate_name, inputs)));
  add("</div>\n<div class=\"metrics\">");
  auto card = [&](std::string_view key, const std::string& value, const std::string& klass) {
    fmt::format_to(
        std::back_inserter(out),
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v {}\">{}</div></div>", key,
        klass, html_escape(value));
  };
  card("Net P&amp;L", format_rupees_grouped(s.net_pnl), cls(s.net_pnl));
  card("Final equity", format_rupees_grouped(s.final_equity), "");
  card("Total return", format_percent(s.total_return),
       s.total_return > 0   ? "pos"
       : s.total_return < 0 ? "neg"
                            : "");
  card("CAGR", format_percent(s.cagr), "");
  card("Max drawdown", format_percent(s.max_drawdown), s.max_drawdown > 0 ? "neg" : "");
  card("Sharpe", format_ratio(s.sharpe), "");
  card("Sortino", format_ratio(s.sortino), "");
  card("Calmar", format_ratio(s.calmar), "");
  card("Trades", fmt::format("{}", s.trades), "");
  card("Win rate", format_percent(s.win_rate), "");
  card("Profit factor", format_ratio(s.profit_factor), "");
  card("Exposure", format_percent(s.exposure), "");
  card("Charges paid", format_rupees_grouped(s.charges_paid), s.charges_paid > 0 ? "neg" : "");
  add("</div>\n");

  const std::vector<DailyEquity> days = daily_equity(result.equity);
  Series equity, drawdown;
  const std::vector<double> dd = drawdowns(days, result.config.starting_cash);
  for (std::size_t i = 0; i < days.size(); ++i) {
    const std::int64_t d = days_from_civil(days[i].date);
    equity.day.push_back(d);
    equity.value.push_back(to_rupees(days[i].equity));
    drawdown.day.push_back(d);
    drawdown.value.push_back(-dd[i]);
  }
  add("<h2>Equity curve</h2>\n");
  add(line_chart(equity, 300, "#1a73e8", false, false, std::nullopt, std::nullopt));
  fmt::format_to(
      std::back_inserter(out),
      "\n<h2>Drawdown</h2>\n<div class=\"note\">Maximum {} ({}) from {} to {}, {} "
      "trading days{}.</div>\n",
      format_percent(s.max_drawdown), format_rupees_grouped(s.max_drawdown_value),
      s.max_drawdown_peak_date.empty() ? "-" : s.max_drawdown_peak_date,
      s.max_drawdown_trough_date.empty() ? "-" : s.max_drawdown_trough_date, s.max_drawdown_days,
      s.max_drawdown_recovery_date.empty() ? ", not recovered"
                                           : ", recovered " + s.max_drawdown_recovery_date);
  add(line_chart(drawdown, 180, "#d93025", true, true, std::nullopt, 0.0));

  add("\n<h2>Monthly returns</h2>\n<table><tr><th class=\"l\">Year</th>");
  for (const char* m : kMonths) fmt::format_to(std::back_inserter(out), "<th>{}</th>", m);
  add("<th>Year</th></tr>\n");
  std::map<int, std::map<int, double>> months;
  for (const MonthlyReturn& m : monthly_returns(days, result.config.starting_cash)) {
    months[m.year][m.month] = m.ret;
  }
  std::map<int, double> years;
  for (const YearlyReturn& y : yearly_returns(days, result.config.starting_cash)) {
    years[y.year] = y.ret;
  }
  for (const auto& [year, by_month] : months) {
    fmt::format_to(std::back_inserter(out), "<tr><td class=\"l\">{}</td>", year);
    for (int m = 1; m <= 12; ++m) {
      auto it = by_month.find(m);
      if (it == by_month.end()) {
        add("<td></td>");
      } else {
        fmt::format_to(std::back_inserter(out), "<td style=\"{}\">{}</td>", heat(it->second),
                       cell_percent(it->second));
      }
    }
    fmt::format_to(std::back_inserter(out), "<td style=\"{}\"><b>{}</b></td></tr>\n",
                   heat(years[year]), cell_percent(years[year]));
  }
  add("</table>\n");

  add("<h2>Trades</h2>\n");
  add(trade_bars(result.trades));
  add("\n<table><tr><th>#</th><th class=\"l\">Strategy</th><th class=\"l\">Symbol</th>"
      "<th>Entry</th><th>Entry price</th><th>Exit</th><th>Exit price</th><th>Qty</th>"
      "<th>Gross P&amp;L</th><th>Charges</th><th>Net P&amp;L</th><th>Bars</th>"
      "<th class=\"l\">Exit reason</th></tr>\n");
  const std::size_t shown = std::min(result.trades.size(), options.max_trades);
  for (std::size_t i = 0; i < shown; ++i) {
    const TradeRecord& t = result.trades[i];
    fmt::format_to(std::back_inserter(out),
                   "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td>"
                   "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>"
                   "<td>{}</td><td class=\"{}\">{}</td><td>{}</td><td class=\"l\">{}</td></tr>\n",
                   i + 1, html_escape(t.strategy), html_escape(t.symbol), date_of(t.entry_ts),
                   format_rupees(t.entry_price()), date_of(t.exit_ts),
                   format_rupees(t.exit_price()), t.qty, cls(t.gross_pnl),
                   format_rupees_grouped(t.gross_pnl), format_rupees_grouped(t.charges.total()),
                   cls(t.net_pnl), format_rupees_grouped(t.net_pnl), t.bars_held,
                   html_escape(t.exit_reason));
  }
  for (const OpenPosition& open : result.open_positions) {
    fmt::format_to(std::back_inserter(out),
                   "<tr><td>open</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td>"
                   "<td>{}</td><td>{} (mark)</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>"
                   "<td>{}</td><td></td><td></td><td class=\"l\">open at the end</td></tr>\n",
                   html_escape(open.strategy), html_escape(open.symbol), date_of(open.entry_ts),
                   format_rupees(open.entry_price), date_of(open.mark_ts),
                   format_rupees(open.mark_price), open.qty, cls(open.unrealized_pnl),
                   format_rupees_grouped(open.unrealized_pnl),
                   format_rupees_grouped(open.charges.total()));
  }
  add("</table>\n");
  if (shown < result.trades.size()) {
    fmt::format_to(
        std::back_inserter(out),
        "<p class=\"note\">Showing the first {} of {} trades; trades.ndjson has all.</p>\n", shown,
        result.trades.size());
  }

  if (!options.quality.empty() || !info.data_issues.empty()) {
    add("<h2>Data quality</h2>\n<table><tr><th class=\"l\">Problem</th><th>Count</th></tr>\n");
    for (const auto& [kind, count] : info.data_issues) {
      fmt::format_to(std::back_inserter(out), "<tr><td class=\"l\">{}</td><td>{}</td></tr>\n",
                     html_escape(kind), count);
    }
    add("</table>\n");
    if (!options.quality.empty()) {
      add("<table><tr><th class=\"l\">Symbol</th><th>Date</th><th class=\"l\">Problem</th>"
          "<th class=\"l\">Detail</th><th class=\"l\">Rule applied</th></tr>\n");
      const std::size_t n = std::min<std::size_t>(options.quality.size(), 200);
      for (std::size_t i = 0; i < n; ++i) {
        const QualityIssue& q = options.quality[i];
        fmt::format_to(std::back_inserter(out),
                       "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td>"
                       "<td class=\"l w\">{}</td><td class=\"l w\">{}</td></tr>\n",
                       html_escape(q.symbol), date_of(q.ts), html_escape(q.kind),
                       html_escape(q.detail), html_escape(q.action));
      }
      add("</table>\n");
    }
  }
  fmt::format_to(std::back_inserter(out),
                 "<p class=\"note\">Money is exact to the paisa. Returns are daily (the last bar "
                 "of each IST date); Sharpe and Sortino are annualised with 252 days and a "
                 "risk-free rate of {:.2f}%. docs/BACKTEST.md defines every figure.</p>\n",
                 s.risk_free_rate * 100);
  add("</body></html>\n");
  return out;
}

}  // namespace sm::backtest
