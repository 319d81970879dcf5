#include "store/ops_records.h"

#include <fmt/format.h>

#include <thread>

#include "store/durability.h"
#include "store/rows.h"
#include "store/trading_records.h"

namespace sm::store {

namespace {

bool known_halt_level(std::string_view level) {
  return level == "block_entries" || level == "halt" || level == "pause";
}

}  // namespace

// Heartbeats and alerts are not refused at synchronous=NORMAL: losing the last few on a power cut
// loses nothing a restart does not re-create.

Status record_heartbeat(Database& db, const Heartbeat& heartbeat) {
  if (heartbeat.component.empty()) {
    return error(ErrorCode::kInvalidArgument, "heartbeat has no component");
  }
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<Statement> previous =
      db.prepare("SELECT ts_ms, status, pid FROM heartbeats WHERE component = ?1");
  if (!previous.ok()) return previous.status();
  previous->bind(1, heartbeat.component);
  Result<bool> row = previous->step();
  if (!row.ok()) return row.status();
  bool changed = true;
  if (*row) {
    if (previous->column_int64(0) > heartbeat.ts) return Status();  // stale, out of order
    changed = previous->column_text_view(1) != heartbeat.status ||
              previous->column_int64(2) != heartbeat.pid;
  }
  previous->reset();
  Result<Statement> upsert = db.prepare(
      "INSERT INTO heartbeats (component, ts_ms, status, pid, detail, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (component) DO UPDATE SET "
      "ts_ms = excluded.ts_ms, status = excluded.status, pid = excluded.pid, "
      "detail = excluded.detail, recorded_ms = excluded.recorded_ms");
  if (!upsert.ok()) return upsert.status();
  upsert->bind_all(heartbeat.component, heartbeat.ts, heartbeat.status, heartbeat.pid,
                   heartbeat.detail, db.clock().now_ms());
  SM_RETURN_IF_ERROR(upsert->run());
  if (changed) {
    Result<Statement> history = db.prepare(
        "INSERT INTO heartbeat_history (component, ts_ms, status, pid, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!history.ok()) return history.status();
    history->bind_all(heartbeat.component, heartbeat.ts, heartbeat.status, heartbeat.pid,
                      heartbeat.detail);
    SM_RETURN_IF_ERROR(history->run());
  }
  return tx->commit();
}

Result<std::vector<Heartbeat>> last_heartbeats(Database& db) {
  Result<Statement> stmt =
      db.prepare("SELECT component, ts_ms, status, pid, detail FROM heartbeats ORDER BY component");
  if (!stmt.ok()) return stmt.status();
  return collect<Heartbeat>(*stmt, [](const Statement& s) {
    Heartbeat hb;
    hb.component = s.column_text(0);
    hb.ts = s.column_int64(1);
    hb.status = s.column_text(2);
    hb.pid = s.column_int64(3);
    hb.detail = s.column_text(4);
    return hb;
  });
}

Result<bool> record_alert(Database& db, const Alert& alert) {
  if (alert.component.empty() || alert.event.empty()) {
    return error(ErrorCode::kInvalidArgument, "alert needs a component and an event");
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO alerts (ts_ms, severity, component, event, text, dedup_key, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(alert.ts, severity_name(alert.severity), alert.component, alert.event, alert.text,
                 alert.dedup_key, db.clock().now_ms());
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Result<std::vector<Alert>> recent_alerts(Database& db, int limit) {
  Result<Statement> stmt = db.prepare(
      "SELECT ts_ms, severity, component, event, text, dedup_key FROM alerts "
      "ORDER BY ts_ms DESC, id DESC LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, limit);
  return collect<Alert>(*stmt, [](const Statement& s) {
    Alert alert;
    alert.ts = s.column_int64(0);
    if (Result<Severity> severity = parse_severity(s.column_text_view(1)); severity.ok()) {
      alert.severity = *severity;
    }
    alert.component = s.column_text(2);
    alert.event = s.column_text(3);
    alert.text = s.column_text(4);
    alert.dedup_key = s.column_text(5);
    return alert;
  });
}

Result<bool> record_error(Database& db, const ErrorRecord& error) {
  if (error.component.empty()) {
    return sm::error(ErrorCode::kInvalidArgument, "an error record needs a component");
  }
  std::string_view event = error.event;
  if (event.empty()) event = error.code.empty() ? std::string_view("error") : error.code;
  Result<Statement> stmt = db.prepare(
      "INSERT INTO errors (ts_ms, component, event, code, reason, input, line, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(error.ts, error.component, event, error.code, error.message, error.input,
                 error.line, db.clock().now_ms());
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Result<std::vector<StoredError>> errors_after(Database& db, std::int64_t after_id) {
  Result<Statement> stmt = db.prepare(
      "SELECT id, ts_ms, component, event, code, reason, input, line FROM errors WHERE id > ?1 "
      "ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, after_id);
  return collect<StoredError>(*stmt, [](const Statement& s) {
    StoredError stored;
    stored.id = s.column_int64(0);
    stored.error.ts = s.column_int64(1);
    stored.error.component = s.column_text(2);
    stored.error.event = s.column_text(3);
    stored.error.code = s.column_text(4);
    stored.error.message = s.column_text(5);
    stored.error.input = s.column_text(6);
    stored.error.line = s.column_int64(7);
    return stored;
  });
}

ErrorRecorder::ErrorRecorder(const Logger& log, Database& db) : log_(log) {
  const std::thread::id owner = std::this_thread::get_id();
  const Logger* reporter = &log;
  log.set_error_hook([&db, owner, reporter](std::string_view event, const nlohmann::json& fields) {
    // Storing an error may itself fail and log; that one is not stored again.
    thread_local bool storing = false;
    if (storing || std::this_thread::get_id() != owner) return;
    storing = true;
    ErrorRecord e;
    e.ts = db.clock().now_ms();
    e.component = reporter->component();
    e.event = std::string(event);
    if (fields.is_object()) {
      auto code = fields.find("code");
      if (code != fields.end() && code->is_string()) e.code = code->get<std::string>();
      auto message = fields.find("message");
      if (message != fields.end() && message->is_string()) {
        e.message = message->get<std::string>();
      } else {
        e.message = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      auto input = fields.find("input");
      if (input != fields.end() && input->is_string()) e.input = input->get<std::string>();
      auto line = fields.find("line");
      if (line != fields.end() && line->is_number_integer()) e.line = line->get<std::int64_t>();
    }
    Result<bool> stored = record_error(db, e);
    if (!stored.ok()) {
      reporter->warn("error_not_recorded",
                     {{"failed_event", e.event}, {"message", stored.status().message()}});
    }
    storing = false;
  });
}

ErrorRecorder::~ErrorRecorder() { log_.set_error_hook(nullptr); }

namespace {

constexpr std::string_view kHaltColumns =
    "id, level, trigger_name, reason, set_by, created_ms, until_ms, cleared_ms, cleared_by, "
    "clear_reason";
// Active as of ?1.
constexpr std::string_view kActiveHalt =
    "cleared_ms IS NULL AND (until_ms IS NULL OR until_ms > ?1)";

HaltRecord read_halt(const Statement& s) {
  HaltRecord halt;
  halt.id = s.column_int64(0);
  halt.level = s.column_text(1);
  halt.trigger = s.column_text(2);
  halt.reason = s.column_text(3);
  halt.set_by = s.column_text(4);
  halt.created_ms = s.column_int64(5);
  if (!s.column_is_null(6)) halt.until_ms = s.column_int64(6);
  if (!s.column_is_null(7)) halt.cleared_ms = s.column_int64(7);
  halt.cleared_by = s.column_text(8);
  halt.clear_reason = s.column_text(9);
  return halt;
}

}  // namespace

Result<HaltRecord> set_halt(Database& db, const Halt& halt) {
  SM_RETURN_IF_ERROR(require_durable(db, "set_halt"));
  if (halt.action != "halt") {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("set_halt needs action \"halt\", not \"{}\"", halt.action));
  }
  if (!known_halt_level(halt.level)) {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("unknown halt level \"{}\" (block_entries, halt or pause)", halt.level));
  }
  if (halt.trigger.empty()) return error(ErrorCode::kInvalidArgument, "halt has no trigger");
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<Statement> existing =
      db.prepare(fmt::format("SELECT {} FROM halts WHERE {} AND level = ?2 AND trigger_name = ?3 "
                             "ORDER BY id LIMIT 1",
                             kHaltColumns, kActiveHalt));
  if (!existing.ok()) return existing.status();
  existing->bind_all(halt.ts, halt.level, halt.trigger);
  Result<bool> row = existing->step();
  if (!row.ok()) return row.status();
  if (*row) return read_halt(*existing);
  existing->reset();
  Result<Statement> insert = db.prepare(
      "INSERT INTO halts (level, trigger_name, reason, set_by, created_ms, until_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  insert->bind_all(halt.level, halt.trigger, halt.reason, halt.by, halt.ts);
  if (halt.until == 0) {
    insert->bind(6, nullptr);
  } else {
    insert->bind(6, halt.until);
  }
  SM_RETURN_IF_ERROR(insert->run());
  HaltRecord record;
  record.id = db.last_insert_rowid();
  record.level = halt.level;
  record.trigger = halt.trigger;
  record.reason = halt.reason;
  record.set_by = halt.by;
  record.created_ms = halt.ts;
  if (halt.until != 0) record.until_ms = halt.until;
  SM_RETURN_IF_ERROR(tx->commit());
  return record;
}

Result<std::int64_t> clear_halts(Database& db, std::string_view level, std::string_view by,
                                 std::string_view reason, TimestampMs ts) {
  SM_RETURN_IF_ERROR(require_durable(db, "clear_halts"));
  if (!level.empty() && !known_halt_level(level)) {
    return error(ErrorCode::kInvalidArgument, fmt::format("unknown halt level \"{}\"", level));
  }
  Result<Statement> stmt =
      db.prepare(fmt::format("UPDATE halts SET cleared_ms = ?1, cleared_by = ?2, clear_reason = ?3 "
                             "WHERE {} AND (?4 = '' OR level = ?4)",
                             kActiveHalt));
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(ts, by, reason, level);
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes();
}

Result<std::vector<HaltRecord>> active_halts(Database& db, TimestampMs now_ms) {
  Result<Statement> stmt = db.prepare(fmt::format(
      "SELECT {} FROM halts WHERE {} ORDER BY created_ms, id", kHaltColumns, kActiveHalt));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, now_ms);
  return collect<HaltRecord>(*stmt, read_halt);
}

Result<std::vector<HaltRecord>> halts_set_since(Database& db, TimestampMs since_ms) {
  Result<Statement> stmt = db.prepare(fmt::format(
      "SELECT {} FROM halts WHERE created_ms >= ?1 ORDER BY created_ms, id", kHaltColumns));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, since_ms);
  return collect<HaltRecord>(*stmt, read_halt);
}

Result<std::optional<ConfigChange>> last_config_change(Database& db, std::string_view program) {
  Result<Statement> stmt = db.prepare(
      "SELECT id, program, hash, content, ts_ms, changed_by FROM config_changes "
      "WHERE program = ?1 ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, program);
  return first_row<ConfigChange>(*stmt, [](const Statement& s) {
    ConfigChange change;
    change.id = s.column_int64(0);
    change.program = s.column_text(1);
    change.hash = s.column_text(2);
    change.content = s.column_text(3);
    change.ts = s.column_int64(4);
    change.changed_by = s.column_text(5);
    return change;
  });
}

Result<bool> record_config_change(Database& db, std::string_view program, std::string_view content,
                                  std::string_view hash, std::string_view changed_by,
                                  TimestampMs ts) {
  SM_RETURN_IF_ERROR(require_durable(db, "record_config_change"));
  if (program.empty() || hash.empty()) {
    return error(ErrorCode::kInvalidArgument, "config change needs a program and a hash");
  }
  // Inside one write transaction, so two instances starting together record one row, not two.
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::optional<ConfigChange>> last = last_config_change(db, program);
  if (!last.ok()) return last.status();
  if (last->has_value() && (*last)->hash == hash) return false;
  Result<Statement> stmt = db.prepare(
      "INSERT INTO config_changes (program, hash, content, ts_ms, changed_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(program, hash, content, ts != 0 ? ts : db.clock().now_ms(), changed_by);
  SM_RETURN_IF_ERROR(stmt->run());
  SM_RETURN_IF_ERROR(tx->commit());
  return true;
}

Result<bool> record_config(Database& db, std::string_view program, const Config& config,
                           const Logger& log, std::string_view changed_by, TimestampMs ts) {
  const std::string hash = config.content_hash();
  const std::string by = changed_by.empty() ? default_actor() : std::string(changed_by);
  Result<bool> recorded = record_config_change(db, program, config.canonical_text(), hash, by, ts);
  if (recorded.ok() && *recorded) log.info("config_change_recorded", {{"hash", hash}});
  return recorded;
}

Status upsert_instrument(Database& db, const Instrument& instrument) {
  if (instrument.symbol.empty() || instrument.tick_size <= 0 || instrument.lot_size <= 0) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("instrument '{}' needs a symbol, tick size > 0 and lot size > 0",
                             instrument.symbol));
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO instruments (symbol, exchange, name, isin, instrument_token, tick_size_paise, "
      "lot_size, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (symbol) DO UPDATE SET exchange = excluded.exchange, name = excluded.name, "
      "isin = excluded.isin, instrument_token = excluded.instrument_token, "
      "tick_size_paise = excluded.tick_size_paise, lot_size = excluded.lot_size, "
      "updated_ms = excluded.updated_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(instrument.symbol, instrument.exchange, instrument.name, instrument.isin);
  if (instrument.instrument_token) {
    stmt->bind(5, *instrument.instrument_token);
  } else {
    stmt->bind(5, nullptr);
  }
  stmt->bind(6, instrument.tick_size).bind(7, instrument.lot_size).bind(8, db.clock().now_ms());
  return stmt->run();
}

Result<std::optional<Instrument>> find_instrument(Database& db, std::string_view symbol) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol, exchange, name, isin, instrument_token, tick_size_paise, lot_size "
      "FROM instruments WHERE symbol = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, symbol);
  return first_row<Instrument>(*stmt, [](const Statement& s) {
    Instrument instrument;
    instrument.symbol = s.column_text(0);
    instrument.exchange = s.column_text(1);
    instrument.name = s.column_text(2);
    instrument.isin = s.column_text(3);
    if (!s.column_is_null(4)) instrument.instrument_token = s.column_int64(4);
    instrument.tick_size = s.column_int64(5);
    instrument.lot_size = s.column_int64(6);
    return instrument;
  });
}

}  // namespace sm::store
