// Operational records: heartbeats, alerts, kill-switch halts, configuration changes and instrument
// reference data. Like trading_records.h, writes are idempotent where they may be repeated and
// require a synchronous=FULL connection (halts and config changes are audit records).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

// Stores the component's latest heartbeat (replacing the previous one) and, when its status or pid
// changed since the last one (a state change or a restart), also a row in heartbeat_history.
// Heartbeats older than the stored one are ignored. Fails with kInvalidArgument on an empty
// component.
Status record_heartbeat(Database& db, const Heartbeat& heartbeat);
// The latest heartbeat of every component, ordered by component.
Result<std::vector<Heartbeat>> last_heartbeats(Database& db);

// Stores an alert. Idempotent on (component, event, dedup_key, ts): returns false when that alert
// was already stored.
Result<bool> record_alert(Database& db, const Alert& alert);
// The most recent alerts, newest first.
Result<std::vector<Alert>> recent_alerts(Database& db, int limit);

// Stores an error a program met (the errors table), as data for sm-risk's error-rate kill switch.
// error.event names what failed (empty: its code, else "error"); error.message is the reason.
// Idempotent on the whole record: returns false when it was already stored. Fails with
// kInvalidArgument on an empty component.
Result<bool> record_error(Database& db, const ErrorRecord& error);
struct StoredError {
  std::int64_t id = 0;
  ErrorRecord error;
};
// Stored errors with id > after_id, oldest first (the error-rate switch reads them by row id, as
// it reads fills).
Result<std::vector<StoredError>> errors_after(Database& db, std::int64_t after_id);

// While it lives, every error line log writes is also stored (record_error) with log's component,
// the line's event, and its "code" and "message" fields (the reason; the whole fields object when
// it has no message): every program's errors as data for sm-risk's error-rate kill switch. Only
// errors logged on the thread that made it are stored (db belongs to that thread); an error met
// while storing one is logged as a warning, error_not_recorded, and not stored. An error logged
// inside a transaction of db is stored with it, so a rolled-back transaction loses it.
// REQUIRES: log and db outlive it (declare it after the database it writes to).
class ErrorRecorder {
 public:
  ErrorRecorder(const Logger& log, Database& db);
  ~ErrorRecorder();
  ErrorRecorder(const ErrorRecorder&) = delete;
  ErrorRecorder& operator=(const ErrorRecorder&) = delete;

 private:
  const Logger& log_;
};

// A kill-switch halt as stored. It is active while not cleared and, when until_ms is set, before
// until_ms (an automatic reset time).
struct HaltRecord {
  std::int64_t id = 0;
  std::string level;    // block_entries, halt or pause
  std::string trigger;  // e.g. daily_loss_5pct, manual
  std::string reason;
  std::string set_by;
  TimestampMs created_ms = 0;
  std::optional<TimestampMs> until_ms;
  std::optional<TimestampMs> cleared_ms;
  std::string cleared_by;
  std::string clear_reason;
};

// Records a halt (halt.action must be "halt"; level one of block_entries, halt, pause). Idempotent
// while it lasts: when an active halt with the same level and trigger exists (as of halt.ts), that
// one is returned and nothing is written, so a kill switch that fires on every bar records one
// halt. Halt::until == 0 means "until a person clears it". Fails with kInvalidArgument on an
// unknown level or action, or an empty trigger.
Result<HaltRecord> set_halt(Database& db, const Halt& halt);

// Clears every active halt (as of ts) whose level is `level`, or all active halts when level is
// empty. Returns how many were cleared (0 is not an error).
Result<std::int64_t> clear_halts(Database& db, std::string_view level, std::string_view by,
                                 std::string_view reason, TimestampMs ts);

// Halts active at now_ms, oldest first.
Result<std::vector<HaltRecord>> active_halts(Database& db, TimestampMs now_ms);
// Every halt set at or after since_ms, lifted or not, oldest first.
Result<std::vector<HaltRecord>> halts_set_since(Database& db, TimestampMs since_ms);

// Records the configuration a program loaded, only when hash differs from the last one recorded
// for that program. Returns true when a row was written. Fails with kInvalidArgument on an empty
// program or hash. Callers pass the content with secrets already removed.
Result<bool> record_config_change(Database& db, std::string_view program, std::string_view content,
                                  std::string_view hash, std::string_view changed_by = {},
                                  TimestampMs ts = 0 /* 0 = db.clock() now */);

// Records config's canonical content (record_config_change) when its hash differs from the one
// last recorded for program: the audit trail of every configuration a program ran with. Logs
// config_change_recorded when it wrote a row. changed_by: who started the program; empty =
// default_actor(). ts: 0 = db.clock() now. Returns whether a row was written.
Result<bool> record_config(Database& db, std::string_view program, const Config& config,
                           const Logger& log, std::string_view changed_by = {}, TimestampMs ts = 0);

struct ConfigChange {
  std::int64_t id = 0;
  std::string program;
  std::string hash;
  std::string content;
  TimestampMs ts = 0;
  std::string changed_by;
};
// The configuration last recorded for program, or nullopt.
Result<std::optional<ConfigChange>> last_config_change(Database& db, std::string_view program);

struct Instrument {
  std::string symbol;
  std::string exchange = "NSE";
  std::string name;
  std::string isin;
  std::optional<std::int64_t> instrument_token;
  Paise tick_size = 5;
  Quantity lot_size = 1;
};
// Inserts or replaces the instrument's reference data. Fails with kInvalidArgument on an empty
// symbol, tick_size <= 0 or lot_size <= 0.
Status upsert_instrument(Database& db, const Instrument& instrument);
Result<std::optional<Instrument>> find_instrument(Database& db, std::string_view symbol);

}  // namespace sm::store
