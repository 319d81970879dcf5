#include "backtest/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <span>

namespace sm::backtest {
namespace {

constexpr double kChartWidth = 1200;
constexpr double kPlotLeft = 90;
constexpr double kPlotRight = 1185;

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char* kStyle = R"(
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 2px}
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

// Charts are drawn on a 1200-unit-wide canvas and take the page's width (up to 1800 px, past which
// the text would grow too large).
std::string svg_open(double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" "
      "style=\"width:100%;max-width:1800px;height:auto\" role=\"img\">",
      kChartWidth, height);
}

// A percentage for a table cell; values that round to zero print without a sign.
std::string cell_percent(double ret) {
  const double percent = ret * 100;
  return std::fabs(percent) < 0.005 ? "0.00%" : fmt::format("{:.2f}%", percent);
}

std::string cls(Paise value) { return value > 0 ? "pos" : value < 0 ? "neg" : ""; }

std::string date_of(TimestampMs ts) { return format_date(ist_date(ts)); }

std::string compact_rupees(double rupees) {
  const double a = std::fabs(rupees);
  if (a >= 1e7) return fmt::format("{:.2f} cr", rupees / 1e7);
  if (a >= 1e5) return fmt::format("{:.2f} L", rupees / 1e5);
  return fmt::format("{:.0f}", rupees);
}

// How many decimals print `step` (in the label's unit) exactly; at most 6.
int decimals_for(double step) {
  for (int decimals = 0; decimals < 6; ++decimals) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) return decimals;
  }
  return 6;
}

struct Series {
  std::vector<std::int64_t> day;  // days since epoch
  std::vector<double> value;
};

struct Line {
  Series series;
  std::string color;
  std::string label;  // in the legend when not empty
  bool dashed = false;
};

// A fill drawn on a price chart: a triangle pointing up (buy) or down (sell).
struct Marker {
  std::int64_t day = 0;
  double value = 0;
  bool up = true;
  std::string title;
};

// A vertical line across the plot at one day (a suspected corporate action).
struct DayMark {
  std::int64_t day = 0;
  std::string title;
};

struct Chart {
  double height = 300;
  AxisUnit unit = AxisUnit::kRupees;
  bool area = false;                 // fill the first line down to zero
  std::optional<double> ceiling_at;  // the axis reaches at least this value, with no padding
  std::vector<Line> lines;
  std::vector<Marker> markers;
  std::vector<DayMark> marks;
};

constexpr const char* kMarkColor = "#e37400";

std::string render_chart(const Chart& chart) {
  const double height = chart.height;
  std::string out = svg_open(height);
  const double top = chart.lines.size() > 1 || !chart.marks.empty() ? 26 : 10;
  const double bottom = height - 24;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  std::int64_t first_day = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_day = std::numeric_limits<std::int64_t>::min();
  for (const Line& line : chart.lines) {
    for (double v : line.series.value) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (!line.series.day.empty()) {
      first_day = std::min(first_day, line.series.day.front());
      last_day = std::max(last_day, line.series.day.back());
    }
  }
  if (first_day > last_day) return out + "<text x=\"20\" y=\"30\">no data</text></svg>";
  for (const Marker& m : chart.markers) {
    lo = std::min(lo, m.value);
    hi = std::max(hi, m.value);
  }
  if (chart.ceiling_at) hi = std::max(hi, *chart.ceiling_at);
  if (hi - lo < 1e-12) {
    hi += chart.unit == AxisUnit::kFraction ? 0.01 : 1;
    lo -= chart.unit == AxisUnit::kFraction ? 0.01 : 1;
  }
  // Breathing room, except against a fixed bound (the drawdown's 0 line).
  const double pad = (hi - lo) * 0.05;
  if (!chart.ceiling_at || hi != *chart.ceiling_at) hi += pad;
  lo -= pad;
  const double x0 = static_cast<double>(first_day);
  const double x1 = static_cast<double>(std::max(last_day, first_day + 1));
  auto x = [&](std::int64_t d) {
    return kPlotLeft + (static_cast<double>(d) - x0) / (x1 - x0) * (kPlotRight - kPlotLeft);
  };
  auto y = [&](double v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
  for (const AxisTick& tick : axis_ticks(lo, hi, 5, chart.unit)) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                   "stroke=\"#e1e6ea\"/><text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" "
                   "text-anchor=\"end\">{}</text>",
                   kPlotLeft, y(tick.value), kPlotRight, y(tick.value), kPlotLeft - 6,
                   y(tick.value) + 4, tick.label);
  }
  // Year ticks at each 1 January, and at the first day unless the next one is too close to read.
  for (int year = civil_from_days(first_day).year; year <= civil_from_days(last_day).year; ++year) {
    const std::int64_t day = std::max(first_day, days_from_civil(Date{year, 1, 1}));
    if (day == first_day && x(days_from_civil(Date{year + 1, 1, 1})) - x(day) < 40) continue;
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                   "stroke=\"#eef1f4\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                   "text-anchor=\"middle\">{4}</text>",
                   x(day), top, bottom, height - 8, year);
  }
  for (const DayMark& mark : chart.marks) {
    fmt::format_to(std::back_inserter(out),
                   "<line class=\"corporate-action\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
                   "y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\">"
                   "<title>{4}</title></line>",
                   x(mark.day), top, bottom, kMarkColor, html_escape(mark.title));
  }
  for (std::size_t i = 0; i < chart.lines.size(); ++i) {
    const Line& line = chart.lines[i];
    if (line.series.day.empty()) continue;
    std::string points;
    points.reserve(line.series.value.size() * 16);
    for (std::size_t k = 0; k < line.series.value.size(); ++k) {
      fmt::format_to(std::back_inserter(points), "{:.1f},{:.1f} ", x(line.series.day[k]),
                     y(line.series.value[k]));
    }
    if (chart.area && i == 0) {
      const double base = y(std::clamp(0.0, lo, hi));
      fmt::format_to(std::back_inserter(out),
                     "<polygon points=\"{:.1f},{:.1f} {}{:.1f},{:.1f}\" fill=\"{}\" "
                     "fill-opacity=\"0.35\" stroke=\"{}\" stroke-width=\"1\"/>",
                     x(line.series.day.front()), base, points, x(line.series.day.back()), base,
                     line.color, line.color);
    } else {
      fmt::format_to(std::back_inserter(out),
                     "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{}/>",
                     points, line.color, line.dashed ? " stroke-dasharray=\"6 4\"" : "");
    }
  }
  for (const Marker& m : chart.markers) {
    const double cx = x(m.day), cy = y(m.value);
    // The triangle's tip touches the fill price: below it for a buy, above it for a sell.
    const double base_y = m.up ? cy + 11 : cy - 11;
    fmt::format_to(std::back_inserter(out),
                   "<polygon class=\"{}\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" "
                   "fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.8\"><title>{}</title></polygon>",
                   m.up ? "entry" : "exit", cx, cy, cx - 5, base_y, cx + 5, base_y,
                   m.up ? "#1e8e3e" : "#d93025", html_escape(m.title));
  }
  // Legend, top left.
  double legend_x = kPlotLeft + 8;
  auto legend = [&](const std::string& color, const std::string& label, bool dashed) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{0:.1f}\" y1=\"12\" x2=\"{1:.1f}\" y2=\"12\" stroke=\"{2}\" "
                   "stroke-width=\"2\"{3}/><text x=\"{4:.1f}\" y=\"16\">{5}</text>",
                   legend_x, legend_x + 22, color, dashed ? " stroke-dasharray=\"4 3\"" : "",
                   legend_x + 28, html_escape(label));
    legend_x += 40 + 6.5 * static_cast<double>(label.size());
  };
  if (chart.lines.size() > 1) {
    for (const Line& line : chart.lines) {
      if (!line.label.empty()) legend(line.color, line.label, line.dashed);
    }
  }
  if (!chart.marks.empty()) legend(kMarkColor, "suspected corporate action", true);
  fmt::format_to(std::back_inserter(out),
                 "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>"
                 "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>",
                 kPlotLeft, top, bottom, kPlotRight);
  return out + "</svg>";
}

// The last close of each IST date, for the days in [from_day, to_day].
Series daily_closes(const SymbolSeries& series, std::int64_t from_day, std::int64_t to_day) {
  Series out;
  for (const Bar& bar : series.bars) {
    const std::int64_t day = days_from_civil(ist_date(bar.ts));
    if (day < from_day || day > to_day) continue;
    if (!out.day.empty() && out.day.back() == day) {
      out.value.back() = to_rupees(bar.close);
    } else {
      out.day.push_back(day);
      out.value.push_back(to_rupees(bar.close));
    }
  }
  return out;
}

// Equal weights of the starting cash in every symbol at its first close on or after the first
// day, held to the end without costs; a symbol's share is cash until its first bar.
Series buy_and_hold(const MarketData& data, const Series& days, double starting_rupees) {
  Series out;
  if (days.day.empty() || data.series().empty()) return out;
  const double share = starting_rupees / static_cast<double>(data.series().size());
  std::vector<Series> closes;
  for (const SymbolSeries& series : data.series()) {
    closes.push_back(daily_closes(series, days.day.front(), days.day.back()));
  }
  std::vector<std::size_t> next(closes.size(), 0);
  std::vector<double> first_close(closes.size(), 0), last_close(closes.size(), 0);
  for (const std::int64_t day : days.day) {
    double value = 0;
    for (std::size_t i = 0; i < closes.size(); ++i) {
      while (next[i] < closes[i].day.size() && closes[i].day[next[i]] <= day) {
        last_close[i] = closes[i].value[next[i]++];
        if (first_close[i] == 0) first_close[i] = last_close[i];
      }
      value += first_close[i] > 0 ? share * last_close[i] / first_close[i] : share;
    }
    out.day.push_back(day);
    out.value.push_back(value);
  }
  return out;
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

std::vector<AxisTick> axis_ticks(double lo, double hi, int count, AxisUnit unit) {
  if (!(hi > lo)) return {AxisTick{lo, ""}};
  const double raw = (hi - lo) / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  // Multiples of the step, counted in integers so that float steps do not drift.
  std::vector<double> values;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k) {
    values.push_back(k == 0 ? 0.0 : k * step);
  }
  double scale = 1;
  std::string_view suffix;
  if (unit == AxisUnit::kFraction) {
    scale = 100;
    suffix = "%";
  } else {
    const double largest = std::max(std::fabs(lo), std::fabs(hi));
    if (largest >= 1e7) {
      scale = 1e-7;
      suffix = " cr";
    } else if (largest >= 1e5) {
      scale = 1e-5;
      suffix = " L";
    }
  }
  const int decimals = decimals_for(step * scale);
  std::vector<AxisTick> ticks;
  for (double v : values) {
    std::string label = fmt::format("{:.{}f}{}", v * scale, decimals, suffix);
    ticks.push_back({v, std::move(label)});
  }
  return ticks;
}

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
  std::vector<DayMark> corporate_actions;
  for (const QualityIssue& q : options.quality) {
    if (q.kind != "suspected_corporate_action") continue;
    corporate_actions.push_back({days_from_civil(ist_date(q.ts)),
                                 fmt::format("{} {}: {}", q.symbol, date_of(q.ts), q.detail)});
  }
  Chart equity_chart;
  equity_chart.lines.push_back({equity, "#1a73e8", "strategy", false});
  if (options.data != nullptr) {
    equity_chart.lines.push_back(
        {buy_and_hold(*options.data, equity, to_rupees(result.config.starting_cash)), "#80868b",
         "buy and hold (equal weights, no costs)", true});
  }
  equity_chart.marks = corporate_actions;
  add("<h2>Equity curve</h2>\n");
  add(render_chart(equity_chart));
  fmt::format_to(
      std::back_inserter(out),
      "\n<h2>Drawdown</h2>\n<div class=\"note\">Maximum {} ({}) from {} to {}, {} "
      "trading days{}.</div>\n",
      format_percent(s.max_drawdown), format_rupees_grouped(s.max_drawdown_value),
      s.max_drawdown_peak_date.empty() ? "-" : s.max_drawdown_peak_date,
      s.max_drawdown_trough_date.empty() ? "-" : s.max_drawdown_trough_date, s.max_drawdown_days,
      s.max_drawdown_recovery_date.empty() ? ", not recovered"
                                           : ", recovered " + s.max_drawdown_recovery_date);
  Chart drawdown_chart;
  drawdown_chart.height = 180;
  drawdown_chart.unit = AxisUnit::kFraction;
  drawdown_chart.area = true;
  drawdown_chart.ceiling_at = 0.0;
  drawdown_chart.lines.push_back({drawdown, "#d93025", "", false});
  add(render_chart(drawdown_chart));

  if (options.data != nullptr && !equity.day.empty()) {
    add("\n<h2>Prices</h2>\n<div class=\"note\">Daily closes; &#9650; entry fills, &#9660; exit "
        "fills.</div>\n");
    const std::span<const SymbolSeries> all = options.data->series();
    const std::size_t charted = std::min(all.size(), options.max_price_charts);
    for (std::size_t i = 0; i < charted; ++i) {
      const SymbolSeries& series = all[i];
      Chart price_chart;
      price_chart.height = 220;
      price_chart.lines.push_back(
          {daily_closes(series, equity.day.front(), equity.day.back()), "#3c4043", "", false});
      for (const FillRecord& f : result.fills) {
        if (f.fill.symbol != series.symbol) continue;
        const bool buy = f.fill.side == Side::kBuy;
        price_chart.markers.push_back(
            {days_from_civil(ist_date(f.fill.ts)), to_rupees(f.fill.price), buy,
             fmt::format("{} {} {} @ {} ({})", buy ? "buy" : "sell", f.fill.qty, series.symbol,
                         format_rupees(f.fill.price), date_of(f.fill.ts))});
      }
      for (const QualityIssue& q : options.quality) {
        if (q.kind == "suspected_corporate_action" && q.symbol == series.symbol) {
          price_chart.marks.push_back(
              {days_from_civil(ist_date(q.ts)), fmt::format("{}: {}", date_of(q.ts), q.detail)});
        }
      }
      fmt::format_to(std::back_inserter(out), "<h3>{}</h3>\n", html_escape(series.symbol));
      add(render_chart(price_chart));
      add("\n");
    }
    if (charted < all.size()) {
      fmt::format_to(std::back_inserter(out),
                     "<p class=\"note\">Price charts for the first {} of {} symbols.</p>\n",
                     charted, all.size());
    }
  }

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
