// The reports of one backtest, rendered to text (the caller writes them where it wants):
//   summary JSON      one object: the run's configuration, every metric of metrics.h, the open
//                     positions, the data-quality counts;
//   trades NDJSON     one "trade" line per round trip (charges itemised) and one "open_position"
//                     line per position still open;
//   fills NDJSON      one "fill" line per simulated execution (docs/PROTOCOL.md fields, plus
//                     charges_detail, order_type, trigger and cash_after);
//   signals NDJSON    one "signal" line per decision (protocol fields, plus outcome, gate_code and
//                     detail saying what became of it);
//   equity CSV        one row per bar time: ts, date, cash, positions, equity, drawdown, invested;
//   table             the summary for people.
// Money is written as rupees with exactly two decimals (exact paise); ratios as shortest doubles;
// an undefined ratio is null (JSON) or "-" (table).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/data_quality.h"
#include "backtest/engine.h"
#include "backtest/metrics.h"

namespace sm::backtest {

// What the summary says about where the data came from and what loading found.
struct RunInfo {
  std::vector<std::string> inputs;                  // files or "db:PATH"
  std::map<std::string, std::int64_t> data_issues;  // kind -> count
  std::int64_t corporate_actions_applied = 0;
  std::string corporate_actions_file;  // the corporate-actions file read; empty: none
  bool adjusted = false;               // prices were back-adjusted for its actions
  std::vector<Adjustment> applied;     // the actions that adjusted bars
};

// "2 applied from FILE: TCS bonus 1:1 on 2018-05-31, ..." / "none in the data (FILE)" /
// "not applied (--no-adjust) ..." / "no file": the corporate-actions line of every report.
std::string corporate_actions_note(const RunInfo& info);

std::string charges_json(const costs::Charges& charges);
std::string summary_json(const BacktestResult& result, const Summary& summary, const RunInfo& info);
std::string trades_ndjson(const BacktestResult& result);
std::string fills_ndjson(const BacktestResult& result);
std::string signals_ndjson(const BacktestResult& result);
std::string equity_csv(const BacktestResult& result);
// One line or row of the files above, for writers that stream the records as a run makes them:
// signals_ndjson is append_signal_line of every signal, fills_ndjson append_fill_line of every
// fill, equity_csv the header and append_equity_row of every point with peak starting at the
// starting cash (each row raises it to that point's equity).
inline constexpr std::string_view kEquityCsvHeader =
    "ts,date,cash,positions_value,equity,drawdown,invested\n";
void append_signal_line(std::string& out, const SignalRecord& record);
// trades_ndjson is append_trade_line of every trade, then open_positions_ndjson.
void append_trade_line(std::string& out, const TradeRecord& trade);
std::string open_positions_ndjson(const BacktestResult& result);
void append_fill_line(std::string& out, const FillRecord& record);
void append_equity_row(std::string& out, const EquityPoint& point, Paise& peak);

std::string summary_table(const BacktestResult& result, const Summary& summary,
                          const RunInfo& info);

// One line per value, for tables: "12.34%", "1.234", "-" for nullopt.
std::string format_percent(std::optional<double> value);
std::string format_ratio(std::optional<double> value);
// Rupees with Indian digit grouping: sm::format_rupees_grouped (core/money.h).

}  // namespace sm::backtest
