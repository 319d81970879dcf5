// The daily summary (sm-alert summary, run by a timer after the close; docs/ALERTS.md "Daily
// summary"): positions, today's trades, net P&L with charges, halts, alerts and errors of the day,
// divergence from the backtest, and tomorrow's dated-dependency warnings, as one message for a
// phone. It is built on the status report sm-status --json prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "store/database.h"
#include "store/divergence_records.h"
#include "store/ops_records.h"
#include "store/status_report.h"

namespace sm::alert {

// What the summary is made of. The status report supplies positions, today's P&L and the
// dependencies; the rest are the day's records.
struct SummaryInput {
  const store::StatusReport* report = nullptr;  // REQUIRES: not null
  std::vector<Fill> fills;                      // today's fills, oldest first
  std::vector<store::HaltRecord> halts;         // halts set today
  std::int64_t critical_alerts = 0;             // today's alerts by severity, the summary's own
  std::int64_t warning_alerts = 0;              // excluded
  std::int64_t errors = 0;                      // error alerts (kill_switch_error_rate, ...)
  // Divergence from the backtest, one line each (divergence_lines); empty: "not measured".
  std::vector<std::string> divergence;
  std::vector<store::DatedDependency> tomorrow;  // dependencies that run out by tomorrow's close
};

// The summary as text for people (IST, rupees with Indian grouping). At most max_trade_lines
// trades are listed one per line; the rest are counted.
std::string summary_text(const SummaryInput& input, std::size_t max_trade_lines = 20);

// The summary's lines for the day's divergence record (sm-backtest divergence, the
// divergence_reports table): signals missed and extra, fills missed and late, slippage, the P&L
// difference and the thresholds breached. Empty when record is for another day than date
// (YYYY-MM-DD) or absent.
std::vector<std::string> divergence_lines(const std::optional<store::DivergenceRecord>& record,
                                          std::string_view date);

// Fills the day's records of input from db: fills, halts set and alerts raised since day_start
// (IST midnight). Fails with kDatabaseError.
Status load_day_records(store::Database& db, TimestampMs day_start, TimestampMs now,
                        SummaryInput& input);

// Whether the summary alert with this dedup key is already stored.
Result<bool> summary_stored(store::Database& db, std::string_view dedup_key);

// The alert that carries it: component sm-alert, event daily_summary, severity info, dedup key
// daily_summary:<IST date> (one summary per day, however often the timer runs).
Alert summary_alert(const SummaryInput& input, TimestampMs now);

}  // namespace sm::alert
