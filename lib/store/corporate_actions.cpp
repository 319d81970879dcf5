#include "store/corporate_actions.h"

#include <fmt/format.h>

#include <algorithm>

#include "store/durability.h"
#include "store/trading_records.h"

namespace sm::store {
namespace {

constexpr std::string_view kAdjustmentColumns =
    "strategy, symbol, ex_date, kind, ratio, price_numerator, price_denominator, qty_before, "
    "qty_after, cost_paise, fraction_numerator, recorded_ms, recorded_by";

ActionAdjustment read_adjustment(const Statement& s) {
  ActionAdjustment a;
  a.strategy = s.column_text(0);
  a.symbol = s.column_text(1);
  if (Result<Date> date = parse_date(s.column_text_view(2)); date.ok()) a.ex_date = *date;
  a.kind = s.column_text(3);
  a.ratio = s.column_text(4);
  a.price_numerator = s.column_int64(5);
  a.price_denominator = s.column_int64(6);
  a.qty_before = s.column_int64(7);
  a.qty_after = s.column_int64(8);
  a.cost = s.column_int64(9);
  a.fraction_numerator = s.column_int64(10);
  a.recorded_ms = s.column_int64(11);
  a.recorded_by = s.column_text(12);
  return a;
}

Result<std::vector<ActionAdjustment>> read_adjustments(Statement& stmt) {
  std::vector<ActionAdjustment> out;
  while (true) {
    Result<bool> row = stmt.step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(read_adjustment(stmt));
  }
  return out;
}

// Writes one adjustment (audit row first: its UNIQUE key is the guard). False when the audit
// already had it.
Result<bool> record_adjustment(Database& db, const ActionAdjustment& a) {
  Result<Statement> insert =
      db.prepare(fmt::format("INSERT OR IGNORE INTO corporate_action_adjustments ({}) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                             kAdjustmentColumns));
  if (!insert.ok()) return insert.status();
  insert->bind_all(a.strategy, a.symbol, format_date(a.ex_date), a.kind, a.ratio, a.price_numerator,
                   a.price_denominator, a.qty_before, a.qty_after, a.cost, a.fraction_numerator,
                   a.recorded_ms, a.recorded_by);
  SM_RETURN_IF_ERROR(insert->run());
  if (insert->changes() == 0) return false;
  Result<Statement> update = db.prepare(
      "UPDATE positions SET qty = ?3, updated_ms = MAX(updated_ms, ?4) "
      "WHERE strategy = ?1 AND symbol = ?2 AND qty = ?5");
  if (!update.ok()) return update.status();
  update->bind_all(a.strategy, a.symbol, a.qty_after, from_ist(a.ex_date, 0, 0), a.qty_before);
  SM_RETURN_IF_ERROR(update->run());
  if (update->changes() != 1) {
    return error(ErrorCode::kInternal,
                 fmt::format("position {} {} changed while being adjusted", a.strategy, a.symbol));
  }
  return true;
}

}  // namespace

Result<std::vector<ActionAdjustment>> apply_corporate_actions(
    Database& db, const std::vector<CorporateAction>& actions, TimestampMs now,
    std::string_view recorded_by) {
  std::vector<ActionAdjustment> applied;
  if (actions.empty()) return applied;
  SM_RETURN_IF_ERROR(require_durable(db, "apply_corporate_actions"));
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::vector<Position>> positions = list_positions(db, true);
  if (!positions.ok()) return positions.status();
  const Date today = ist_date(now);
  for (const Position& held : *positions) {
    sm::Position position = held;
    for (const CorporateAction& action :
         actions_crossed(actions, held.symbol, ist_date(held.updated_ms), today)) {
      const PositionAdjustment adjusted = adjust_position(position, action);
      if (adjusted.overflow) {
        return error(ErrorCode::kInternal,
                     fmt::format("{} {}: {} on {} would overflow the quantity", held.strategy,
                                 held.symbol, action.describe(), format_date(action.ex_date)));
      }
      ActionAdjustment a;
      a.strategy = held.strategy;
      a.symbol = held.symbol;
      a.ex_date = action.ex_date;
      a.kind = action.kind_name();
      a.ratio = action.ratio();
      a.price_numerator = action.numerator();
      a.price_denominator = action.denominator();
      a.qty_before = position.qty;
      a.qty_after = adjusted.position.qty;
      a.cost = position.cost;
      a.fraction_numerator = adjusted.fraction_numerator;
      a.recorded_ms = now;
      a.recorded_by = std::string(recorded_by);
      Result<bool> recorded = record_adjustment(db, a);
      if (!recorded.ok()) return recorded.status();
      // Already in the audit: another program applied this one and every earlier one.
      if (!*recorded) continue;
      position = adjusted.position;
      applied.push_back(std::move(a));
    }
  }
  SM_RETURN_IF_ERROR(tx->commit());
  return applied;
}

Result<std::vector<ActionAdjustment>> adjustments_on(Database& db, Date day) {
  Result<Statement> stmt =
      db.prepare(fmt::format("SELECT {} FROM corporate_action_adjustments WHERE ex_date = ?1 "
                             "ORDER BY strategy, symbol",
                             kAdjustmentColumns));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, format_date(day));
  return read_adjustments(*stmt);
}

Result<std::vector<ActionAdjustment>> list_adjustments(Database& db) {
  Result<Statement> stmt = db.prepare(
      fmt::format("SELECT {} FROM corporate_action_adjustments ORDER BY id", kAdjustmentColumns));
  if (!stmt.ok()) return stmt.status();
  return read_adjustments(*stmt);
}

}  // namespace sm::store
