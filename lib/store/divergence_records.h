// What the divergence report (lib/divergence) reads from and writes to the store: the day's
// signals and risk decisions, and one divergence_reports row per IST trading day, which sm-status
// shows and sm-alert's daily summary reads. docs/SCHEMA.md ("divergence_reports").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

// Signals with ts in [from, to), in ts then id order.
Result<std::vector<Signal>> list_signals(Database& db, TimestampMs from, TimestampMs to);
// Risk decisions about signals with signal_ts in [from, to), in signal_ts then id order.
Result<std::vector<RiskDecision>> list_decisions(Database& db, TimestampMs from, TimestampMs to);

// One day's divergence, as stored. Counts and figures are those of lib/divergence's report.
struct DivergenceRecord {
  std::string date;  // the IST trading day, YYYY-MM-DD
  TimestampMs computed_ms = 0;
  std::int64_t signals_live = 0;
  std::int64_t signals_expected = 0;
  std::int64_t signals_missed = 0;  // expected by the replay, not given live
  std::int64_t signals_extra = 0;   // given live, not expected
  std::int64_t orders_checked = 0;  // approved live signals whose execution was checked
  std::int64_t fills_missed = 0;    // of those, not (fully) filled within the day
  std::int64_t fills_late = 0;      // of those, filled later than the late-fill limit
  double slippage_bps_mean = 0;     // quantity-weighted; positive = worse than the signal price
  double slippage_bps_worst = 0;
  Paise pnl_difference = 0;  // live minus expected (each signal filled at its price), to the close
  std::string breaches;      // thresholds exceeded, comma-separated; empty = none
  std::string detail_json;   // the lists, a JSON object
};

// Stores the day's record, replacing an earlier one of the same date.
Status record_divergence(Database& db, const DivergenceRecord& record);
// The record of the latest date; nullopt when there is none or the database predates the table
// (sm-status reads databases of any version without migrating them).
Result<std::optional<DivergenceRecord>> latest_divergence(Database& db);

}  // namespace sm::store
