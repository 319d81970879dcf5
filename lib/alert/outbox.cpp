#include "alert/outbox.h"

#include <fmt/format.h>

#include <limits>

#include "store/rows.h"

namespace sm::alert {
namespace {

using store::Statement;

constexpr std::string_view kColumns =
    "id, channel, incident_key, action, mode, alert_id, severity, event, text, created_ms, "
    "attempts, next_try_ms, delivered_ms, combined_into, last_error";

OutboxEntry read_entry(const Statement& s) {
  OutboxEntry e;
  e.id = s.column_int64(0);
  e.channel = s.column_text(1);
  e.incident_key = s.column_text(2);
  e.action = s.column_text(3);
  e.mode = s.column_text(4);
  if (!s.column_is_null(5)) e.alert_id = s.column_int64(5);
  if (Result<Severity> severity = parse_severity(s.column_text_view(6)); severity.ok()) {
    e.severity = *severity;
  }
  e.event = s.column_text(7);
  e.text = s.column_text(8);
  e.created_ms = s.column_int64(9);
  e.attempts = s.column_int64(10);
  e.next_try_ms = s.column_int64(11);
  if (!s.column_is_null(12)) e.delivered_ms = s.column_int64(12);
  if (!s.column_is_null(13)) e.combined_into = s.column_int64(13);
  e.last_error = s.column_text(14);
  return e;
}

}  // namespace

Result<bool> enqueue(store::Database& db, const OutboxEntry& entry) {
  if (entry.channel.empty() || entry.incident_key.empty()) {
    return error(ErrorCode::kInvalidArgument,
                 "an outbox entry needs a channel and an incident key");
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO alert_outbox (channel, incident_key, action, mode, alert_id, severity, event, "
      "text, created_ms, next_try_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT (channel, incident_key, action) DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(entry.channel, entry.incident_key, entry.action, entry.mode);
  if (entry.alert_id) {
    stmt->bind(5, *entry.alert_id);
  } else {
    stmt->bind(5, nullptr);
  }
  stmt->bind(6, severity_name(entry.severity))
      .bind(7, entry.event)
      .bind(8, entry.text)
      .bind(9, entry.created_ms)
      .bind(10, entry.next_try_ms);
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Result<std::vector<OutboxEntry>> pending_entries(store::Database& db, std::string_view channel,
                                                 std::optional<TimestampMs> due_before) {
  Result<Statement> stmt = db.prepare(fmt::format(
      "SELECT {} FROM alert_outbox o WHERE channel = ?1 AND delivered_ms IS NULL "
      "AND combined_into IS NULL AND next_try_ms <= ?2 AND (action = 'trigger' OR NOT EXISTS "
      "(SELECT 1 FROM alert_outbox t WHERE t.channel = o.channel AND t.incident_key = "
      "o.incident_key AND t.action = 'trigger' AND t.delivered_ms IS NULL AND t.combined_into IS "
      "NULL)) ORDER BY id",
      kColumns));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, channel).bind(2, due_before.value_or(std::numeric_limits<std::int64_t>::max()));
  return store::collect<OutboxEntry>(*stmt, read_entry);
}

Result<std::optional<TimestampMs>> next_try(store::Database& db) {
  Result<Statement> stmt = db.prepare(
      "SELECT MIN(next_try_ms) FROM alert_outbox WHERE delivered_ms IS NULL AND combined_into IS "
      "NULL");
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->column_is_null(0)) return std::optional<TimestampMs>();
  return std::optional<TimestampMs>(stmt->column_int64(0));
}

Result<std::int64_t> pending_count(store::Database& db) {
  return db.query_int64(
      "SELECT COUNT(*) FROM alert_outbox WHERE delivered_ms IS NULL AND combined_into IS NULL");
}

Result<bool> claim(store::Database& db, const OutboxEntry& entry, TimestampMs lease_until_ms) {
  Result<Statement> stmt = db.prepare(
      "UPDATE alert_outbox SET attempts = attempts + 1, next_try_ms = ?3 WHERE id = ?1 AND "
      "attempts = ?2 AND delivered_ms IS NULL AND combined_into IS NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, entry.id).bind(2, entry.attempts).bind(3, lease_until_ms);
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Status mark_delivered(store::Database& db, std::int64_t id, std::int64_t attempt,
                      TimestampMs delivered_ms) {
  Result<Statement> stmt = db.prepare(
      "UPDATE alert_outbox SET delivered_ms = ?3, last_error = '' WHERE id = ?1 AND attempts = ?2 "
      "AND delivered_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id).bind(2, attempt).bind(3, delivered_ms);
  return stmt->run();
}

Status record_failure(store::Database& db, std::int64_t id, std::int64_t attempt,
                      std::string_view error_text, TimestampMs next_try_ms) {
  Result<Statement> stmt = db.prepare(
      "UPDATE alert_outbox SET next_try_ms = ?3, last_error = ?4 WHERE id = ?1 AND attempts = ?2 "
      "AND delivered_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, id).bind(2, attempt).bind(3, next_try_ms);
  stmt->bind(4, error_text.empty() ? std::string_view("failed") : error_text);
  return stmt->run();
}

Result<std::int64_t> combine(store::Database& db, const std::vector<std::int64_t>& ids,
                             OutboxEntry summary) {
  summary.mode = std::string(kModeCombined);
  Result<store::Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<bool> added = enqueue(db, summary);
  if (!added.ok()) return added.status();
  if (!*added) {
    return error(ErrorCode::kConflict, fmt::format("outbox already holds {} on {}",
                                                   summary.incident_key, summary.channel));
  }
  const std::int64_t summary_id = db.last_insert_rowid();
  Result<Statement> stmt = db.prepare(
      "UPDATE alert_outbox SET combined_into = ?1 WHERE id = ?2 AND delivered_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  for (std::int64_t id : ids) {
    stmt->reset();
    stmt->bind(1, summary_id).bind(2, id);
    SM_RETURN_IF_ERROR(stmt->run());
  }
  SM_RETURN_IF_ERROR(tx->commit());
  return summary_id;
}

Result<std::optional<TimestampMs>> flood_window_start(store::Database& db, std::string_view channel,
                                                      TimestampMs since_ms) {
  Result<Statement> stmt = db.prepare(
      "SELECT MAX(created_ms) FROM alert_outbox WHERE channel = ?1 AND mode = 'combined' AND "
      "event = 'flood' AND created_ms >= ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, channel).bind(2, since_ms);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row || stmt->column_is_null(0)) return std::optional<TimestampMs>();
  return std::optional<TimestampMs>(stmt->column_int64(0));
}

Result<std::int64_t> delivered_since(store::Database& db, std::string_view channel,
                                     TimestampMs since_ms) {
  Result<Statement> stmt = db.prepare(
      "SELECT COUNT(*) FROM alert_outbox WHERE channel = ?1 AND delivered_ms >= ?2 AND "
      "combined_into IS NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, channel).bind(2, since_ms);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return stmt->column_int64(0);
}

Result<std::vector<Triggered>> triggers_of(store::Database& db, std::string_view incident) {
  Result<Statement> stmt = db.prepare(
      "SELECT channel, severity, event FROM alert_outbox WHERE incident_key = ?1 AND action = "
      "'trigger' ORDER BY channel");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, incident);
  return store::collect<Triggered>(*stmt, [](const Statement& s) {
    Triggered t;
    t.channel = s.column_text(0);
    if (Result<Severity> severity = parse_severity(s.column_text_view(1)); severity.ok()) {
      t.severity = *severity;
    }
    t.event = s.column_text(2);
    return t;
  });
}

Result<std::int64_t> cursor(store::Database& db, std::string_view name) {
  Result<Statement> stmt = db.prepare("SELECT last_id FROM alert_cursors WHERE name = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, name);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return *row ? stmt->column_int64(0) : 0;
}

Status set_cursor(store::Database& db, std::string_view name, std::int64_t last_id) {
  Result<Statement> stmt = db.prepare(
      "INSERT INTO alert_cursors (name, last_id) VALUES (?1, ?2) "
      "ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, name).bind(2, last_id);
  return stmt->run();
}

Result<std::vector<StoredAlert>> alerts_after(store::Database& db, std::int64_t after_id,
                                              int limit) {
  Result<Statement> stmt = db.prepare(
      "SELECT id, ts_ms, severity, component, event, text, dedup_key FROM alerts WHERE id > ?1 "
      "ORDER BY id LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, after_id).bind(2, limit);
  return store::collect<StoredAlert>(*stmt, [](const Statement& s) {
    StoredAlert stored;
    stored.id = s.column_int64(0);
    stored.alert.ts = s.column_int64(1);
    if (Result<Severity> severity = parse_severity(s.column_text_view(2)); severity.ok()) {
      stored.alert.severity = *severity;
    }
    stored.alert.component = s.column_text(3);
    stored.alert.event = s.column_text(4);
    stored.alert.text = s.column_text(5);
    stored.alert.dedup_key = s.column_text(6);
    return stored;
  });
}

std::string incident_key(const Alert& alert, std::int64_t alert_id) {
  if (!alert.dedup_key.empty()) return fmt::format("{}:{}", alert.component, alert.dedup_key);
  return fmt::format("{}:{}:{}", alert.component, alert.event, alert_id);
}

Result<std::vector<LiftedHalt>> lifted_halts(store::Database& db, TimestampMs now_ms) {
  // The trigger rows of the alerts that announced each lifted halt, without a resolve on the same
  // channel yet.
  Result<Statement> stmt = db.prepare(
      "SELECT t.channel, t.incident_key, t.severity, t.event, h.level, h.trigger_name, "
      "COALESCE(h.cleared_ms, h.until_ms), COALESCE(h.cleared_by, ''), "
      "COALESCE(h.clear_reason, '') "
      "FROM halts h JOIN alerts a ON a.ts_ms = h.created_ms AND "
      "(a.dedup_key = 'manual_halt:' || h.id OR a.event LIKE 'kill_switch_%') "
      "JOIN alert_outbox t ON t.alert_id = a.id AND t.action = 'trigger' "
      "WHERE (h.cleared_ms IS NOT NULL OR (h.until_ms IS NOT NULL AND h.until_ms <= ?1)) "
      "AND NOT EXISTS (SELECT 1 FROM alert_outbox r WHERE r.channel = t.channel AND "
      "r.incident_key = t.incident_key AND r.action = 'resolve') ORDER BY t.id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, now_ms);
  return store::collect<LiftedHalt>(*stmt, [](const Statement& s) {
    LiftedHalt lifted;
    lifted.channel = s.column_text(0);
    lifted.incident_key = s.column_text(1);
    if (Result<Severity> severity = parse_severity(s.column_text_view(2)); severity.ok()) {
      lifted.severity = *severity;
    }
    lifted.event = s.column_text(3);
    lifted.level = s.column_text(4);
    lifted.trigger = s.column_text(5);
    lifted.lifted_ms = s.column_int64(6);
    lifted.cleared_by = s.column_text(7);
    lifted.clear_reason = s.column_text(8);
    return lifted;
  });
}

}  // namespace sm::alert
