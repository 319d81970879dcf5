#include "backtest/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>

#include "html/page.h"

namespace sm::backtest {
namespace {

constexpr double kChartWidth = 1200;
constexpr double kPlotLeft = 90;
constexpr double kPlotRight = 1185;

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

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

struct Plot;

struct Chart {
  double height = 300;
  AxisUnit unit = AxisUnit::kRupees;
  bool area = false;                 // fill the first line down to zero
  std::optional<double> ceiling_at;  // the axis reaches at least this value, with no padding
  std::vector<Line> lines;
  std::vector<Marker> markers;
  std::vector<DayMark> marks;
  // Markers read from disk while the chart is drawn (after `markers`: a run's fill marks, which
  // are not kept in memory), and the range of their values, which the plot must hold.
  std::optional<std::pair<double, double>> streamed_range;
  std::function<void(const Plot&, std::string&)> draw_streamed;
};

constexpr const char* kMarkColor = "#e37400";

// Where a chart's values and days land: the value range [lo, hi] between the y pixels bottom and
// top, the day range [x0, x1] between the plot's left and right edges.
struct Plot {
  double top = 0;
  double bottom = 0;
  double lo = 0;
  double hi = 0;
  double x0 = 0;
  double x1 = 0;
  std::int64_t first_day = 0;
  std::int64_t last_day = 0;

  double x(std::int64_t d) const {
    return kPlotLeft + (static_cast<double>(d) - x0) / (x1 - x0) * (kPlotRight - kPlotLeft);
  }
  double y(double v) const { return bottom - (v - lo) / (hi - lo) * (bottom - top); }
};

// The plot that holds every line and marker; nullopt when no line has data.
std::optional<Plot> fit_plot(const Chart& chart) {
  Plot plot;
  plot.top = chart.lines.size() > 1 || !chart.marks.empty() ? 26 : 10;
  plot.bottom = chart.height - 24;
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
  if (first_day > last_day) return std::nullopt;
  for (const Marker& m : chart.markers) {
    lo = std::min(lo, m.value);
    hi = std::max(hi, m.value);
  }
  if (chart.streamed_range) {
    lo = std::min(lo, chart.streamed_range->first);
    hi = std::max(hi, chart.streamed_range->second);
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
  plot.lo = lo;
  plot.hi = hi;
  plot.first_day = first_day;
  plot.last_day = last_day;
  plot.x0 = static_cast<double>(first_day);
  plot.x1 = static_cast<double>(std::max(last_day, first_day + 1));
  return plot;
}

// Value ticks on the left; year ticks at each 1 January, and at the first day unless the next one
// is too close to read.
void draw_grid(const Chart& chart, const Plot& plot, std::string& out) {
  for (const AxisTick& tick : axis_ticks(plot.lo, plot.hi, 5, chart.unit)) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
                   "stroke=\"#e1e6ea\"/><text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" "
                   "text-anchor=\"end\">{}</text>",
                   kPlotLeft, plot.y(tick.value), kPlotRight, plot.y(tick.value), kPlotLeft - 6,
                   plot.y(tick.value) + 4, tick.label);
  }
  for (int year = civil_from_days(plot.first_day).year; year <= civil_from_days(plot.last_day).year;
       ++year) {
    const std::int64_t day = std::max(plot.first_day, days_from_civil(Date{year, 1, 1}));
    if (day == plot.first_day && plot.x(days_from_civil(Date{year + 1, 1, 1})) - plot.x(day) < 40)
      continue;
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" "
                   "stroke=\"#eef1f4\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" "
                   "text-anchor=\"middle\">{4}</text>",
                   plot.x(day), plot.top, plot.bottom, chart.height - 8, year);
  }
}

void draw_lines(const Chart& chart, const Plot& plot, std::string& out) {
  for (std::size_t i = 0; i < chart.lines.size(); ++i) {
    const Line& line = chart.lines[i];
    if (line.series.day.empty()) continue;
    std::string points;
    points.reserve(line.series.value.size() * 16);
    for (std::size_t k = 0; k < line.series.value.size(); ++k) {
      fmt::format_to(std::back_inserter(points), "{:.1f},{:.1f} ", plot.x(line.series.day[k]),
                     plot.y(line.series.value[k]));
    }
    if (chart.area && i == 0) {
      const double base = plot.y(std::clamp(0.0, plot.lo, plot.hi));
      fmt::format_to(std::back_inserter(out),
                     "<polygon points=\"{:.1f},{:.1f} {}{:.1f},{:.1f}\" fill=\"{}\" "
                     "fill-opacity=\"0.35\" stroke=\"{}\" stroke-width=\"1\"/>",
                     plot.x(line.series.day.front()), base, points, plot.x(line.series.day.back()),
                     base, line.color, line.color);
    } else {
      fmt::format_to(std::back_inserter(out),
                     "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{}/>",
                     points, line.color, line.dashed ? " stroke-dasharray=\"6 4\"" : "");
    }
  }
}

// Corporate-action marks: dashed vertical lines.
void draw_marks(const Chart& chart, const Plot& plot, std::string& out) {
  for (const DayMark& mark : chart.marks) {
    fmt::format_to(std::back_inserter(out),
                   "<line class=\"corporate-action\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" "
                   "y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\">"
                   "<title>{4}</title></line>",
                   plot.x(mark.day), plot.top, plot.bottom, kMarkColor, html::escape(mark.title));
  }
}

// A trade's entry or exit triangle.
void draw_marker(const Marker& m, const Plot& plot, std::string& out) {
  const double cx = plot.x(m.day), cy = plot.y(m.value);
  // The triangle's tip touches the fill price: below it for a buy, above it for a sell.
  const double base_y = m.up ? cy + 11 : cy - 11;
  fmt::format_to(std::back_inserter(out),
                 "<polygon class=\"{}\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\" "
                 "fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.8\"><title>{}</title></polygon>",
                 m.up ? "entry" : "exit", cx, cy, cx - 5, base_y, cx + 5, base_y,
                 m.up ? "#1e8e3e" : "#d93025", html::escape(m.title));
}

void draw_markers(const Chart& chart, const Plot& plot, std::string& out) {
  for (const Marker& m : chart.markers) draw_marker(m, plot, out);
  if (chart.draw_streamed) chart.draw_streamed(plot, out);
}

// The legend, top left: named lines when there are several, and the corporate-action mark.
void draw_legend(const Chart& chart, std::string& out) {
  double legend_x = kPlotLeft + 8;
  auto legend = [&](const std::string& color, const std::string& label, bool dashed) {
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{0:.1f}\" y1=\"12\" x2=\"{1:.1f}\" y2=\"12\" stroke=\"{2}\" "
                   "stroke-width=\"2\"{3}/><text x=\"{4:.1f}\" y=\"16\">{5}</text>",
                   legend_x, legend_x + 22, color, dashed ? " stroke-dasharray=\"4 3\"" : "",
                   legend_x + 28, html::escape(label));
    legend_x += 40 + 6.5 * static_cast<double>(label.size());
  };
  if (chart.lines.size() > 1) {
    for (const Line& line : chart.lines) {
      if (!line.label.empty()) legend(line.color, line.label, line.dashed);
    }
  }
  if (!chart.marks.empty()) legend(kMarkColor, "suspected corporate action", true);
}

void render_chart(const Chart& chart, std::string& out) {
  out += svg_open(chart.height);
  const std::optional<Plot> plot = fit_plot(chart);
  if (!plot) {
    out += "<text x=\"20\" y=\"30\">no data</text></svg>";
    return;
  }
  draw_grid(chart, *plot, out);
  draw_marks(chart, *plot, out);
  draw_lines(chart, *plot, out);
  draw_markers(chart, *plot, out);
  draw_legend(chart, out);
  fmt::format_to(std::back_inserter(out),
                 "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>"
                 "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#9aa5b1\"/>",
                 kPlotLeft, plot->top, plot->bottom, kPlotRight);
  out += "</svg>";
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

// Each round trip's net P&L as a bar, in close order, scaled to the largest |P&L| (at least one
// rupee): open, add every trade, close.
struct TradeBars {
  static constexpr double kHeight = 180, kTop = 10, kBottom = kHeight - 20;
  TradeBars(std::size_t trades, double largest) : count(trades), most(largest) {}
  std::size_t count;
  double most;
  double mid = (kTop + kBottom) / 2;
  double slot = count > 0 ? (kPlotRight - kPlotLeft) / static_cast<double>(count) : 0;
  double width = std::max(0.5, slot * 0.8);

  void open(std::string& out) const {
    out += svg_open(kHeight);
    if (count == 0) out += "<text x=\"20\" y=\"30\">no closed trades</text></svg>";
  }
  void add(std::size_t i, const TradeRecord& t, std::string& out) const {
    const double v = to_rupees(t.net_pnl);
    const double h = std::fabs(v) / most * (kBottom - kTop) / 2;
    fmt::format_to(std::back_inserter(out),
                   "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" "
                   "fill=\"{}\"><title>{} {} {}</title></rect>",
                   kPlotLeft + static_cast<double>(i) * slot, v >= 0 ? mid - h : mid, width,
                   std::max(h, 0.5), v >= 0 ? "#1e8e3e" : "#d93025", html::escape(t.symbol),
                   date_of(t.exit_ts), format_rupees(t.net_pnl));
  }
  void close(std::string& out) const {
    if (count == 0) return;
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#9aa5b1\"/>"
                   "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">+{5}</text>"
                   "<text x=\"{3}\" y=\"{6:.1f}\" text-anchor=\"end\">-{5}</text>"
                   "<text x=\"{3}\" y=\"{7:.1f}\" text-anchor=\"end\">0</text>",
                   kPlotLeft, mid, kPlotRight, kPlotLeft - 6, kTop + 8, compact_rupees(most),
                   kBottom, mid + 4);
    out += "</svg>";
  }
};

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

namespace {

// Each write_* below appends one part of the page to out, in page order.

// The title and the line under it: strategies, period, fill and cost settings, inputs.
void write_heading(const BacktestResult& result, const Summary& s, const RunInfo& info,
                   const HtmlOptions& options, std::string& out) {
  html::open_page(out, options.title);
  out += "<div class=\"sub\">";
  std::string strategies;
  for (const StrategySpec& spec : result.strategies) {
    if (!strategies.empty()) strategies += "; ";
    strategies += spec.id + " " + (spec.params.is_null() ? "{}" : spec.params.dump());
  }
  std::string inputs;
  for (const std::string& input : info.inputs) inputs += (inputs.empty() ? "" : ", ") + input;
  out += html::escape(fmt::format(
      "{} | {} .. {} ({} bars) | fill {}, {} entries, slippage {}, costs {} ({}), gate {} | {}",
      strategies, s.first_date, s.last_date, s.bars, fill_timing_name(result.config.fill),
      entry_order_name(result.config.entry_order), slippage_name(result.config.slippage),
      result.cost_model, product_name(result.config.product), result.gate_name, inputs));
  out += "</div>\n<div class=\"sub\">Corporate actions: ";
  out += html::escape(corporate_actions_note(info));
  out += "</div>\n";
}

// The headline figures, one card each.
void write_metrics(const Summary& s, std::string& out) {
  out += "<div class=\"metrics\">";
  auto card = [&](std::string_view key, const std::string& value, std::string_view klass) {
    html::card(out, key, value, klass);
  };
  card("Net P&amp;L", format_rupees_grouped(s.net_pnl), html::sign_class(s.net_pnl));
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
  out += "</div>\n";
}

// The equity curve (against buy and hold when the data is given) and the drawdown under it; the
// equity series, whose days the price charts span.
Series write_equity_charts(const BacktestResult& result, const Summary& s,
                           const std::vector<DailyEquity>& days, const HtmlOptions& options,
                           std::string& out) {
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
  out += "<h2>Equity curve</h2>\n";
  render_chart(equity_chart, out);
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
  render_chart(drawdown_chart, out);
  return equity;
}

// One daily-close chart per symbol (up to options.max_price_charts) over the equity's days, with
// the fills (of result, or read from spilled) and suspected corporate actions marked. Fails with
// spilled's error.
Status write_price_charts(const BacktestResult& result, const Series& equity,
                          const HtmlOptions& options, SpilledRecords* spilled, HtmlSink& sink) {
  std::string& out = sink.buffer();
  Status read;
  if (options.data == nullptr || equity.day.empty()) return read;
  out +=
      "\n<h2>Prices</h2>\n<div class=\"note\">Daily closes; &#9650; entry fills, &#9660; exit "
      "fills.</div>\n";
  const std::span<const SymbolSeries> all = options.data->series();
  const std::size_t charted = std::min(all.size(), options.max_price_charts);
  for (std::size_t i = 0; i < charted; ++i) {
    const SymbolSeries& series = all[i];
    Chart price_chart;
    price_chart.height = 220;
    price_chart.lines.push_back(
        {daily_closes(series, equity.day.front(), equity.day.back()), "#3c4043", "", false});
    auto marker = [&](TimestampMs ts, Side side, Quantity qty, Paise price) {
      const bool buy = side == Side::kBuy;
      return Marker{days_from_civil(ist_date(ts)), to_rupees(price), buy,
                    fmt::format("{} {} {} @ {} ({})", buy ? "buy" : "sell", qty, series.symbol,
                                format_rupees(price), date_of(ts))};
    };
    for (const FillRecord& f : result.fills) {
      if (f.fill.symbol == series.symbol) {
        price_chart.markers.push_back(marker(f.fill.ts, f.fill.side, f.fill.qty, f.fill.price));
      }
    }
    const auto index = static_cast<std::uint32_t>(i);
    if (spilled != nullptr) {
      if (const auto range = spilled->fill_mark_range(index)) {
        price_chart.streamed_range = {to_rupees(range->first), to_rupees(range->second)};
      }
      price_chart.draw_streamed = [&](const Plot& plot, std::string& text) {
        Status done = spilled->read_fill_marks(index, [&](const FillMark& f) {
          draw_marker(marker(f.ts, f.side, f.qty, f.price), plot, text);
          sink.flush_if_full();
        });
        if (read.ok()) read = std::move(done);
      };
    }
    for (const QualityIssue& q : options.quality) {
      if (q.kind == "suspected_corporate_action" && q.symbol == series.symbol) {
        price_chart.marks.push_back(
            {days_from_civil(ist_date(q.ts)), fmt::format("{}: {}", date_of(q.ts), q.detail)});
      }
    }
    fmt::format_to(std::back_inserter(out), "<h3>{}</h3>\n", html::escape(series.symbol));
    render_chart(price_chart, out);
    out += "\n";
    sink.flush_if_full();
  }
  if (charted < all.size()) {
    fmt::format_to(std::back_inserter(out),
                   "<p class=\"note\">Price charts for the first {} of {} symbols.</p>\n", charted,
                   all.size());
  }
  return read;
}

// A year per row, a month per column, and the year's return last.
void write_monthly_returns(const std::vector<DailyEquity>& days, Paise starting_cash,
                           std::string& out) {
  out += "\n<h2>Monthly returns</h2>\n<table><tr><th class=\"l\">Year</th>";
  for (const char* m : kMonths) fmt::format_to(std::back_inserter(out), "<th>{}</th>", m);
  out += "<th>Year</th></tr>\n";
  std::map<int, std::map<int, double>> months;
  for (const MonthlyReturn& m : monthly_returns(days, starting_cash)) {
    months[m.year][m.month] = m.ret;
  }
  std::map<int, double> years;
  for (const YearlyReturn& y : yearly_returns(days, starting_cash)) years[y.year] = y.ret;
  for (const auto& [year, by_month] : months) {
    fmt::format_to(std::back_inserter(out), "<tr><td class=\"l\">{}</td>", year);
    for (int m = 1; m <= 12; ++m) {
      auto it = by_month.find(m);
      if (it == by_month.end()) {
        out += "<td></td>";
      } else {
        fmt::format_to(std::back_inserter(out), "<td style=\"{}\">{}</td>", heat(it->second),
                       cell_percent(it->second));
      }
    }
    fmt::format_to(std::back_inserter(out), "<td style=\"{}\"><b>{}</b></td></tr>\n",
                   heat(years[year]), cell_percent(years[year]));
  }
  out += "</table>\n";
}

void append_trade_row(std::size_t number, const TradeRecord& t, std::string& out) {
  fmt::format_to(std::back_inserter(out),
                 "<tr><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td>"
                 "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>"
                 "<td>{}</td><td class=\"{}\">{}</td><td>{}</td><td class=\"l\">{}</td></tr>\n",
                 number, html::escape(t.strategy), html::escape(t.symbol), date_of(t.entry_ts),
                 format_rupees(t.entry_price()), date_of(t.exit_ts), format_rupees(t.exit_price()),
                 t.qty, html::sign_class(t.gross_pnl), format_rupees_grouped(t.gross_pnl),
                 format_rupees_grouped(t.charges.total()), html::sign_class(t.net_pnl),
                 format_rupees_grouped(t.net_pnl), t.bars_held, html::escape(t.exit_reason));
}

// The trade bars, then the table of trades (up to options.max_trades) and positions still open.
// The trades (result's, or spilled's) are read once: the bars go out as they are drawn, and the
// table's rows, which follow the chart, wait in a buffer of at most max_trades rows. Fails with
// spilled's error.
Status write_trades(const BacktestResult& result, const HtmlOptions& options,
                    SpilledRecords* spilled, HtmlSink& sink) {
  std::string& out = sink.buffer();
  out += "<h2>Trades</h2>\n";
  std::size_t count = 0;
  double most = 1;
  if (spilled != nullptr) {
    // The largest |P&L| of all the trades is the larger of the largest win and loss.
    const TradeTotals& totals = result.trade_totals;
    count = static_cast<std::size_t>(totals.trades);
    most = std::max({most, std::fabs(to_rupees(totals.largest_win)),
                     std::fabs(to_rupees(totals.largest_loss))});
  } else {
    count = result.trades.size();
    for (const TradeRecord& t : result.trades)
      most = std::max(most, std::fabs(to_rupees(t.net_pnl)));
  }
  const TradeBars bars(count, most);
  const std::size_t shown = std::min(count, options.max_trades);
  std::string rows;
  std::size_t index = 0;
  auto visit = [&](const TradeRecord& t) {
    bars.add(index, t, out);
    if (index < shown) append_trade_row(index + 1, t, rows);
    ++index;
    sink.flush_if_full();
  };
  bars.open(out);
  Status read;
  if (spilled != nullptr) {
    read = spilled->read_trades(visit);
  } else {
    for (const TradeRecord& t : result.trades) visit(t);
  }
  bars.close(out);
  out +=
      "\n<table><tr><th>#</th><th class=\"l\">Strategy</th><th class=\"l\">Symbol</th>"
      "<th>Entry</th><th>Entry price</th><th>Exit</th><th>Exit price</th><th>Qty</th>"
      "<th>Gross P&amp;L</th><th>Charges</th><th>Net P&amp;L</th><th>Bars</th>"
      "<th class=\"l\">Exit reason</th></tr>\n";
  out += rows;
  for (const OpenPosition& open : result.open_positions) {
    fmt::format_to(std::back_inserter(out),
                   "<tr><td>open</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td>"
                   "<td>{}</td><td>{} (mark)</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>"
                   "<td>{}</td><td></td><td></td><td class=\"l\">open at the end</td></tr>\n",
                   html::escape(open.strategy), html::escape(open.symbol), date_of(open.entry_ts),
                   format_rupees(open.entry_price), date_of(open.mark_ts),
                   format_rupees(open.mark_price), open.qty, html::sign_class(open.unrealized_pnl),
                   format_rupees_grouped(open.unrealized_pnl),
                   format_rupees_grouped(open.charges.total()));
  }
  out += "</table>\n";
  if (shown < count) {
    fmt::format_to(
        std::back_inserter(out),
        "<p class=\"note\">Showing the first {} of {} trades; trades.ndjson has all.</p>\n", shown,
        count);
  }
  return read;
}

// Counts of the data problems found while loading, then the first 200 quality findings.
void write_data_quality(const RunInfo& info, const HtmlOptions& options, std::string& out) {
  if (options.quality.empty() && info.data_issues.empty()) return;
  out += "<h2>Data quality</h2>\n<table><tr><th class=\"l\">Problem</th><th>Count</th></tr>\n";
  for (const auto& [kind, count] : info.data_issues) {
    fmt::format_to(std::back_inserter(out), "<tr><td class=\"l\">{}</td><td>{}</td></tr>\n",
                   html::escape(kind), count);
  }
  out += "</table>\n";
  if (options.quality.empty()) return;
  out +=
      "<table><tr><th class=\"l\">Symbol</th><th>Date</th><th class=\"l\">Problem</th>"
      "<th class=\"l\">Detail</th><th class=\"l\">Rule applied</th></tr>\n";
  const std::size_t n = std::min<std::size_t>(options.quality.size(), 200);
  for (std::size_t i = 0; i < n; ++i) {
    const QualityIssue& q = options.quality[i];
    fmt::format_to(std::back_inserter(out),
                   "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td>"
                   "<td class=\"l w\">{}</td><td class=\"l w\">{}</td></tr>\n",
                   html::escape(q.symbol), date_of(q.ts), html::escape(q.kind),
                   html::escape(q.detail), html::escape(q.action));
  }
  out += "</table>\n";
}

}  // namespace

Status write_html(const BacktestResult& result, const Summary& s, const RunInfo& info,
                  const HtmlOptions& options, SpilledRecords* spilled, HtmlSink& sink) {
  std::string& out = sink.buffer();
  write_heading(result, s, info, options, out);
  write_metrics(s, out);
  const std::vector<DailyEquity> days = daily_equity(result.equity);
  const Series equity = write_equity_charts(result, s, days, options, out);
  sink.flush_if_full();
  Status read = write_price_charts(result, equity, options, spilled, sink);
  write_monthly_returns(days, result.config.starting_cash, out);
  sink.flush_if_full();
  Status trades = write_trades(result, options, spilled, sink);
  if (read.ok()) read = std::move(trades);
  write_data_quality(info, options, out);
  fmt::format_to(std::back_inserter(out),
                 "<p class=\"note\">Money is exact to the paisa. Returns are daily (the last bar "
                 "of each IST date); Sharpe and Sortino are annualised with 252 days and a "
                 "risk-free rate of {:.2f}%. docs/BACKTEST.md defines every figure.</p>\n",
                 s.risk_free_rate * 100);
  html::close_page(out);
  return read;
}

std::string render_html(const BacktestResult& result, const Summary& s, const RunInfo& info,
                        const HtmlOptions& options) {
  // The whole page in one string: nothing to flush, and nothing to read that can fail.
  struct WholePage : HtmlSink {
    std::string text;
    std::string& buffer() override { return text; }
    void flush_if_full() override {}
  } page;
  (void)write_html(result, s, info, options, nullptr, page);
  return std::move(page.text);
}

}  // namespace sm::backtest
