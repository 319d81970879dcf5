// Data-quality checks on a loaded series: the problems real NSE files have that a loader cannot
// simply drop, each reported with the rule applied (docs/BACKTEST.md, "Data quality"):
//   weekend_session            a bar on a Saturday or Sunday (Budget days, Muhurat and special
//                              sessions are real): kept as an ordinary bar;
//   open_close_outside_range   open or close outside [low, high]: kept as printed; fills are
//                              clamped into [low, high];
//   suspected_corporate_action a fall of at least `drop_fraction` from one close to the next
//                              bar's open or close that no corporate action explains, naming the
//                              nearest common split/bonus factor: kept unadjusted (adjust with a
//                              corporate-actions file);
//   corporate_action           a listed action on that ex-date: reported with the adjustment
//                              when --adjust is on, else "not adjusted".
// Duplicates, unsorted rows and unreadable rows are found by the CSV reader (lib/ingest) and
// reported by the loader (lib/history); they never reach a SymbolSeries.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "backtest/corporate_actions.h"
#include "backtest/market_data.h"

namespace sm::backtest {

struct QualityIssue {
  std::string symbol;
  TimestampMs ts = 0;  // the bar concerned
  std::string kind;    // see above (snake_case)
  std::string detail;  // the numbers
  std::string action;  // what was done: "kept", "kept unadjusted", "adjusted", ...
};

struct QualityOptions {
  double drop_fraction = 0.2;  // a fall of 20 % or more between consecutive bars is suspicious
  bool adjusted = false;       // the series was adjusted for `actions`
  bool check_ohlc = true;  // report open/close outside [low, high] (the CSV reader already does)
};

// Checks one series (ascending bars). actions may hold other symbols' actions (ignored). The bars
// are checked in `parts` stretches at once (sm::run_in_parts); the findings and their order are
// those of one pass.
std::vector<QualityIssue> check_series(const SymbolSeries& series,
                                       const std::vector<CorporateAction>& actions,
                                       const QualityOptions& options, std::size_t parts = 1);

// check_series one bar at a time, for bars checked as they are read: the same findings in the
// same order. REQUIRES: actions outlives the checker.
class SeriesChecker {
 public:
  SeriesChecker(std::string symbol, const std::vector<CorporateAction>& actions,
                const QualityOptions& options);
  // Checks the series' next bar (ascending ts, before any adjustment), appending to out.
  void check(const Bar& bar, std::vector<QualityIssue>& out);

 private:
  std::string symbol_;
  std::vector<const CorporateAction*> listed_;  // this symbol's, ascending ex-date
  QualityOptions options_;
  std::size_t next_action_ = 0;
  std::optional<Date> last_weekend_;
  // The IST date of the bars in [day_from_, day_to_), its weekday and action: intraday bars share a
  // date, so the calendar arithmetic is done once per date.
  TimestampMs day_from_ = 0;
  TimestampMs day_to_ = 0;
  Date day_date_;
  int day_weekday_ = 0;
  const CorporateAction* day_listed_ = nullptr;  // the first of listed_ with day_date_'s ex-date
  bool first_ = true;
  Paise previous_close_ = 0;
};

}  // namespace sm::backtest
