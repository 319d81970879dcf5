#include "store/divergence_records.h"

#include "store/rows.h"

namespace sm::store {

namespace {

// The rows read makes into a value; a row it returns nullopt for (an action text this build does
// not know: the schema admits any) is left out.
template <typename T, typename Read>
Result<std::vector<T>> collect_known(Statement& stmt, Read read) {
  Result<std::vector<std::optional<T>>> rows = collect<std::optional<T>>(stmt, read);
  if (!rows.ok()) return rows.status();
  std::vector<T> out;
  for (std::optional<T>& row : *rows) {
    if (row) out.push_back(std::move(*row));
  }
  return out;
}

}  // namespace

Result<std::vector<Signal>> list_signals(Database& db, TimestampMs from, TimestampMs to) {
  Result<Statement> stmt = db.prepare(
      "SELECT ts_ms, strategy, symbol, action, qty, price_paise, stop_paise, reason FROM signals "
      "WHERE ts_ms >= ?1 AND ts_ms < ?2 ORDER BY ts_ms, id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(from, to);
  return collect_known<Signal>(*stmt, [](const Statement& row) -> std::optional<Signal> {
    Result<SignalAction> action = parse_signal_action(row.column_text_view(3));
    if (!action.ok()) return std::nullopt;
    Signal signal;
    signal.ts = row.column_int64(0);
    signal.strategy = row.column_text(1);
    signal.symbol = row.column_text(2);
    signal.action = *action;
    signal.qty = row.column_int64(4);
    signal.price = row.column_int64(5);
    signal.stop = row.column_int64(6);
    signal.reason = row.column_text(7);
    return signal;
  });
}

Result<std::vector<RiskDecision>> list_decisions(Database& db, TimestampMs from, TimestampMs to) {
  Result<Statement> stmt = db.prepare(
      "SELECT ts_ms, strategy, symbol, action, signal_ts_ms, approved, code, detail, "
      "COALESCE(client_order_id, '') FROM risk_decisions "
      "WHERE signal_ts_ms >= ?1 AND signal_ts_ms < ?2 ORDER BY signal_ts_ms, id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(from, to);
  return collect_known<RiskDecision>(
      *stmt, [](const Statement& row) -> std::optional<RiskDecision> {
        Result<SignalAction> action = parse_signal_action(row.column_text_view(3));
        if (!action.ok()) return std::nullopt;
        RiskDecision d;
        d.ts = row.column_int64(0);
        d.strategy = row.column_text(1);
        d.symbol = row.column_text(2);
        d.action = *action;
        d.signal_ts = row.column_int64(4);
        d.approved = row.column_int64(5) != 0;
        d.code = row.column_text(6);
        d.detail = row.column_text(7);
        d.client_order_id = row.column_text(8);
        return d;
      });
}

Status record_divergence(Database& db, const DivergenceRecord& r) {
  Result<Statement> stmt = db.prepare(
      "INSERT OR REPLACE INTO divergence_reports (date, computed_ms, signals_live, "
      "signals_expected, signals_missed, signals_extra, orders_checked, fills_missed, fills_late, "
      "slippage_bps_mean, slippage_bps_worst, pnl_difference_paise, breaches, detail_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(r.date, r.computed_ms, r.signals_live, r.signals_expected, r.signals_missed,
                 r.signals_extra, r.orders_checked, r.fills_missed, r.fills_late,
                 r.slippage_bps_mean, r.slippage_bps_worst, r.pnl_difference, r.breaches,
                 r.detail_json.empty() ? std::string("{}") : r.detail_json);
  return stmt->run();
}

Result<std::optional<DivergenceRecord>> latest_divergence(Database& db) {
  Result<Statement> exists = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'divergence_reports'");
  if (!exists.ok()) return exists.status();
  Result<bool> found = exists->step();
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<DivergenceRecord>();
  Result<Statement> stmt = db.prepare(
      "SELECT date, computed_ms, signals_live, signals_expected, signals_missed, signals_extra, "
      "orders_checked, fills_missed, fills_late, slippage_bps_mean, slippage_bps_worst, "
      "pnl_difference_paise, breaches, detail_json FROM divergence_reports "
      "ORDER BY date DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  return first_row<DivergenceRecord>(*stmt, [](const Statement& s) {
    DivergenceRecord r;
    r.date = s.column_text(0);
    r.computed_ms = s.column_int64(1);
    r.signals_live = s.column_int64(2);
    r.signals_expected = s.column_int64(3);
    r.signals_missed = s.column_int64(4);
    r.signals_extra = s.column_int64(5);
    r.orders_checked = s.column_int64(6);
    r.fills_missed = s.column_int64(7);
    r.fills_late = s.column_int64(8);
    r.slippage_bps_mean = s.column_double(9);
    r.slippage_bps_worst = s.column_double(10);
    r.pnl_difference = s.column_int64(11);
    r.breaches = s.column_text(12);
    r.detail_json = s.column_text(13);
    return r;
  });
}

}  // namespace sm::store
