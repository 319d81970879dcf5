// A self-contained HTML report of one backtest: the key metrics, the equity curve (with an
// equal-weight buy-and-hold benchmark) and drawdown as inline SVG charts, each symbol's price with
// the entry and exit fills and the suspected corporate actions marked, a monthly returns table,
// each trade's P&L as an SVG bar chart and the trade list. No scripts and no external resources
// (styles are inline), so it opens offline, can be mailed, and renders the same in any browser.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backtest/data_quality.h"
#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/report.h"

namespace sm::backtest {

// What the price charts read of a fill, for runs whose fill records are not kept.
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
};

// The round trips and fill marks of a run that sent them to a RecordSink (engine.h) instead of
// keeping them in its BacktestResult, read back from where the sink put them. Each call reads its
// records once, in the order the run made them, so a report needs no list of them in memory.
class SpilledRecords {
 public:
  virtual ~SpilledRecords() = default;
  // Calls visit with each round trip in close order. Fails with kIoError when they cannot be read.
  virtual Status read_trades(const std::function<void(const TradeRecord&)>& visit) = 0;
  // Calls visit with each fill mark of series (its index in HtmlOptions::data's series, below
  // max_price_charts), in fill order. Fails with kIoError.
  virtual Status read_fill_marks(std::uint32_t series,
                                 const std::function<void(const FillMark&)>& visit) = 0;
  // The lowest and highest price among series' fill marks; nullopt when it has none.
  virtual std::optional<std::pair<Paise, Paise>> fill_mark_range(std::uint32_t series) const = 0;
};

// Where write_html puts the page as it makes it: text is appended to buffer(), and flush_if_full()
// is called between parts (and inside the long ones: a chart's fill marks, the trade bars), where
// the sink may write the buffer out and clear it, so the page is never held whole.
class HtmlSink {
 public:
  virtual ~HtmlSink() = default;
  virtual std::string& buffer() = 0;
  virtual void flush_if_full() = 0;
};

std::string render_html(const BacktestResult& result, const Summary& summary, const RunInfo& info,
                        const HtmlOptions& options);

// The page of render_html written to out. With spilled, the trade list, the P&L chart and the
// price charts' fills come from it, not from result.trades and result.fills (the page is the same
// as render_html's over a result holding those records). Fails with spilled's error.
// REQUIRES: with spilled, result.trade_totals is of the spilled trades.
Status write_html(const BacktestResult& result, const Summary& summary, const RunInfo& info,
                  const HtmlOptions& options, SpilledRecords* spilled, HtmlSink& out);

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
