// A self-contained HTML report of one backtest: the key metrics, the equity curve and drawdown as
// inline SVG charts, a monthly returns table, each trade's P&L as an SVG bar chart and the trade
// list. No scripts and no external resources (styles are inline), so it opens offline, can be
// mailed, and renders the same in any browser.
#pragma once

#include <string>
#include <vector>

#include "backtest/data_quality.h"
#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/report.h"

namespace sm::backtest {

struct HtmlOptions {
  std::string title = "Backtest report";
  std::size_t max_trades = 2000;      // the trade list is cut after this many rows (said so)
  std::vector<QualityIssue> quality;  // listed in a section when not empty (first 200)
};

std::string render_html(const BacktestResult& result, const Summary& summary, const RunInfo& info,
                        const HtmlOptions& options);

// Escapes & < > " ' for HTML text and attributes.
std::string html_escape(std::string_view text);

}  // namespace sm::backtest
