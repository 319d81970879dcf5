// The sm-status report: what is in the database right now, for a person (tables, IST times) or a
// machine (one JSON object). Reading only: the report opens the database read-only and never
// creates, migrates or locks it for writing, so it is safe to run beside the live programs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "store/divergence_records.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/todays_pnl.h"
#include "store/trading_records.h"

namespace sm::store {

// The newest row of one stored series (a symbol's ticks, or its bars of one timeframe).
struct SeriesStatus {
  SeriesInfo series;
  TimestampMs last_ts = 0;  // tick ts, or the start of the newest bar
  Paise last_price = 0;     // tick price or bar close
  bool partial = false;     // newest bar is still forming
  // When last_price became known: the tick's ts, or the bar's end (15:30 IST of its day for a
  // daily bar; no later than the report's time for a bar still forming).
  TimestampMs known_ts = 0;
};

struct PositionStatus {
  Position position;
  std::optional<Paise> last_price;  // nullopt when the symbol has no market data
  std::optional<TimestampMs> last_price_ts;
  std::optional<Paise> unrealised;  // qty * last price - cost
};

// The risk gateway's state as the stored halts and decisions show it (`sm-risk status` adds the
// figures the kill switches watch): the most severe active halt decides the state.
struct RiskSummary {
  std::string state = "active";      // active, entries_blocked, halted or paused
  std::vector<std::string> reasons;  // "level (trigger) by who: reason", most severe first
  std::int64_t approved_today = 0;   // risk decisions with ts on the report's IST day
  std::int64_t denied_today = 0;
  std::optional<RiskDecision> last_denial;  // the latest denial today
};

// Since the database began, over every position, open and closed (positions table).
struct PnlToDate {
  Paise realised = 0;
  Paise charges = 0;
};

// Something with a date after which trading stops or goes wrong: the calendar's last listed year,
// the charge rates, the broker's access token, the instruments dump (man/sm-status.1, "Dated
// dependencies"). Filled by the caller (order/dated_dependencies.h); the report only prints it.
struct DatedDependency {
  std::string name;   // "calendar", "charge_rates", "broker_token", "instruments"
  std::string state;  // "ok", "expiring", "expired", "no_end_date", "missing" or "error"
  std::optional<TimestampMs> valid_until;  // the first moment it no longer holds; nullopt: no end
  std::optional<TimestampMs> as_of;        // when it was made or last revised, when known
  // Whether `sm-status --expiring-within` looks at it. The token is renewed by a login every
  // morning and the instruments dump has no end date, so only the data files count.
  bool counts_for_expiry = false;
  std::string source;  // the file it was read from
  std::string detail;  // one line for people
};

struct StatusReport {
  TimestampMs now = 0;
  std::string database_path;
  int schema_version = 0;  // 0: new or empty file (no StalkMarket schema yet)
  int known_schema_version = 0;
  std::vector<SeriesStatus> series;
  std::vector<PositionStatus> positions;
  std::vector<OrderRecord> open_orders;
  TodaysPnl pnl;  // store/todays_pnl.h: the one definition of today's P&L
  PnlToDate pnl_to_date;
  std::vector<HaltRecord> halts;
  std::vector<Heartbeat> heartbeats;
  RiskSummary risk;
  std::int64_t instruments = 0;                       // rows of the instruments table
  std::optional<TimestampMs> instruments_updated_ms;  // the newest row's updated_ms
  std::vector<DatedDependency> dependencies;
  // The latest day `sm-backtest divergence` compared; nullopt when none was (docs/BACKTEST.md).
  std::optional<DivergenceRecord> divergence;

  // False for a new or empty database: the report then says "no data".
  bool has_data() const { return schema_version >= 1; }
};

// Builds the report as of now_ms. Fails with kNotFound naming the path when the database file
// does not exist (a mistyped --db must not look like an empty system), and never creates it. A
// new or empty file is not an error (schema_version = 0) and is left alone. Fails with
// kDatabaseError when the file exists but cannot be read (not a database, permissions, corrupt).
Result<StatusReport> build_status_report(const std::string& database_path, TimestampMs now_ms);

// Human tables with IST times and rupee amounts with Indian digit grouping, ending in a newline.
std::string format_status_text(const StatusReport& report);
// One JSON object on one line (no newline): times as ISO 8601 UTC, money in rupees with two
// decimals, ages in ms. docs/SCHEMA.md ("sm-status --json") lists the fields.
std::string format_status_json(const StatusReport& report);

}  // namespace sm::store
