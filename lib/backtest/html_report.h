// A self-contained HTML report of one backtest: the key metrics, the equity curve (with an
// equal-weight buy-and-hold benchmark) and drawdown as inline SVG charts, each symbol's price with
// the entry and exit fills and the suspected corporate actions marked, a monthly returns table,
// each trade's P&L as an SVG bar chart and the trade list. No scripts and no external resources
// (styles are inline), so it opens offline, can be mailed, and renders the same in any browser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backtest/data_quality.h"
#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/report.h"

namespace sm::backtest {

// What the price charts read of a fill: kept by runs whose fill records are not kept.
struct FillMark {
  TimestampMs ts = 0;
  Paise price = 0;
  Quantity qty = 0;
  std::uint32_t series = 0;  // index in HtmlOptions::data's series
  Side side = Side::kBuy;
};

struct HtmlOptions {
  std::string title = "Backtest report";
  std::size_t max_trades = 2000;      // the trade list is cut after this many rows (said so)
  std::vector<QualityIssue> quality;  // listed in a section when not empty (first 200)
  // The bars the backtest replayed: the price charts and the buy-and-hold benchmark. Both are left
  // out when null. Not owned; must outlive render_html.
  const MarketData* data = nullptr;
  std::size_t max_price_charts = 12;  // symbols after this many get no price chart (said so)
  // The fills marked on the price charts, in fill order, when result.fills is empty because the
  // records went to a sink (engine.h); those of uncharted symbols may be left out.
  std::vector<FillMark> fill_marks;
};

std::string render_html(const BacktestResult& result, const Summary& summary, const RunInfo& info,
                        const HtmlOptions& options);

// What an axis measures: rupees (labelled in rupees, lakh or crore by magnitude) or a fraction
// (0.01 is labelled 1%).
enum class AxisUnit { kRupees, kFraction };

struct AxisTick {
  double value = 0;
  std::string label;
};

// About `count` round values covering [lo, hi] (one value when hi <= lo), labelled with the fewest
// decimals that show the step exactly, so the labels are distinct and a zero never prints as -0.
std::vector<AxisTick> axis_ticks(double lo, double hi, int count, AxisUnit unit);

}  // namespace sm::backtest
