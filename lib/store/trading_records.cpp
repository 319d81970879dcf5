#include "store/trading_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "store/durability.h"
#include "store/rows.h"

namespace sm::store {

namespace {

bool valid_json(std::string_view text) { return nlohmann::json::accept(text); }

}  // namespace

Result<bool> record_signal(Database& db, const Signal& signal) {
  if (signal.strategy.empty() || signal.symbol.empty()) {
    return error(ErrorCode::kInvalidArgument, "signal needs a strategy and a symbol");
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO signals (ts_ms, strategy, symbol, action, qty, price_paise, stop_paise, reason, "
      "recorded_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(signal.ts, signal.strategy, signal.symbol, signal_action_name(signal.action),
                 signal.qty, signal.price, signal.stop, signal.reason, db.clock().now_ms());
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Result<bool> record_risk_decision(Database& db, const RiskDecision& decision,
                                  const OrderIntent* order) {
  SM_RETURN_IF_ERROR(require_durable(db, "record_risk_decision"));
  // Strategy and symbol may be empty: a malformed signal is denied (INVALID_SIGNAL) and its
  // denial is kept like any other, with the fields as the signal gave them.
  if (decision.code.empty()) {
    return error(ErrorCode::kInvalidArgument, "risk decision needs a code");
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO risk_decisions (ts_ms, strategy, symbol, action, signal_ts_ms, approved, code, "
      "detail, client_order_id, recorded_ms, order_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(decision.ts, decision.strategy, decision.symbol,
                 signal_action_name(decision.action), decision.signal_ts, decision.approved,
                 decision.code, decision.detail);
  if (decision.client_order_id.empty()) {
    stmt->bind(9, nullptr);
  } else {
    stmt->bind(9, decision.client_order_id);
  }
  stmt->bind(10, db.clock().now_ms());
  if (order != nullptr) {
    stmt->bind(11, to_json(Message{*order}));
  } else {
    stmt->bind(11, nullptr);
  }
  SM_RETURN_IF_ERROR(stmt->run());
  return stmt->changes() == 1;
}

Result<SignalScan> undecided_signals(Database& db, std::int64_t after_id, TimestampMs recorded_from,
                                     TimestampMs recorded_to) {
  Result<Statement> stmt = db.prepare(
      "SELECT s.id, s.recorded_ms, s.ts_ms, s.strategy, s.symbol, s.action, s.qty, s.price_paise, "
      "s.stop_paise, s.reason, EXISTS (SELECT 1 FROM risk_decisions d WHERE "
      "d.strategy = s.strategy AND d.symbol = s.symbol AND d.action = s.action "
      "AND d.signal_ts_ms = s.ts_ms) FROM signals s WHERE s.id > ?1 ORDER BY s.id");
  if (!stmt.ok()) return stmt.status();
  SignalScan scan;
  Result<std::int64_t> scanned_to = scan_recorded(
      *stmt, after_id, recorded_to, [&](Statement& row, std::int64_t id, TimestampMs recorded_ms) {
        if (recorded_ms < recorded_from || row.column_int64(10) != 0) return;
        Result<SignalAction> action = parse_signal_action(row.column_text_view(5));
        if (!action.ok()) return;  // the schema admits any text; only known actions are decided
        StoredSignal stored;
        stored.id = id;
        stored.recorded_ms = recorded_ms;
        stored.signal.ts = row.column_int64(2);
        stored.signal.strategy = row.column_text(3);
        stored.signal.symbol = row.column_text(4);
        stored.signal.action = *action;
        stored.signal.qty = row.column_int64(6);
        stored.signal.price = row.column_int64(7);
        stored.signal.stop = row.column_int64(8);
        stored.signal.reason = row.column_text(9);
        scan.undecided.push_back(std::move(stored));
      });
  if (!scanned_to.ok()) return scanned_to.status();
  scan.scanned_to = *scanned_to;
  return scan;
}

Result<IntentScan> approvals_without_order(Database& db, std::int64_t after_id,
                                           TimestampMs recorded_to) {
  Result<Statement> stmt = db.prepare(
      "SELECT d.id, d.recorded_ms, d.order_json, "
      "EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = d.client_order_id) "
      "FROM risk_decisions d WHERE d.id > ?1 AND d.order_json IS NOT NULL AND d.approved = 1 "
      "ORDER BY d.id");
  if (!stmt.ok()) return stmt.status();
  IntentScan scan;
  MessageDecoder decoder;
  Result<std::int64_t> scanned_to = scan_recorded(
      *stmt, after_id, recorded_to, [&](Statement& row, std::int64_t id, TimestampMs recorded_ms) {
        if (row.column_int64(3) != 0) return;
        Result<Message> decoded = decoder.decode(row.column_text_view(2));
        const OrderIntent* intent = decoded.ok() ? std::get_if<OrderIntent>(&*decoded) : nullptr;
        if (intent == nullptr) {
          ++scan.undecodable;
          return;
        }
        scan.unrecorded.push_back({id, recorded_ms, *intent});
      });
  if (!scanned_to.ok()) return scanned_to.status();
  scan.scanned_to = *scanned_to;
  return scan;
}

Status save_strategy_state(Database& db, const StrategyState& state) {
  if (state.strategy.empty()) return error(ErrorCode::kInvalidArgument, "empty strategy name");
  if (!valid_json(state.state_json)) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("state of strategy {} is not valid JSON", state.strategy));
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO strategy_state (strategy, state_json, event_ts_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (strategy) DO UPDATE SET "
      "state_json = excluded.state_json, event_ts_ms = excluded.event_ts_ms, "
      "updated_ms = excluded.updated_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(state.strategy, state.state_json, state.event_ts,
                 state.updated_ms != 0 ? state.updated_ms : db.clock().now_ms());
  return stmt->run();
}

Result<std::optional<StrategyState>> load_strategy_state(Database& db, std::string_view strategy) {
  Result<Statement> stmt = db.prepare(
      "SELECT strategy, state_json, event_ts_ms, updated_ms FROM strategy_state "
      "WHERE strategy = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, strategy);
  return first_row<StrategyState>(*stmt, [](const Statement& s) {
    StrategyState state;
    state.strategy = s.column_text(0);
    state.state_json = s.column_text(1);
    state.event_ts = s.column_int64(2);
    state.updated_ms = s.column_int64(3);
    return state;
  });
}

bool is_terminal_order_status(std::string_view status) {
  return status == "COMPLETE" || status == "CANCELLED" || status == "REJECTED";
}

namespace {

constexpr std::string_view kOrderColumns =
    "client_order_id, broker_order_id, strategy, symbol, exchange, side, qty, order_type, product, "
    "price_paise, trigger_price_paise, signal_ts_ms, reason, status, filled_qty, "
    "average_price_paise, status_message, created_ms, updated_ms";

OrderRecord read_order(const Statement& stmt) {
  OrderRecord order;
  OrderIntent& intent = order.intent;
  intent.client_order_id = stmt.column_text(0);
  order.broker_order_id = stmt.column_text(1);
  intent.strategy = stmt.column_text(2);
  intent.symbol = stmt.column_text(3);
  intent.exchange = stmt.column_text(4);
  // The schema's CHECKs and our writers only store valid names; a bad one keeps the default.
  if (Result<Side> side = parse_side(stmt.column_text_view(5)); side.ok()) intent.side = *side;
  intent.qty = stmt.column_int64(6);
  if (Result<OrderType> type = parse_order_type(stmt.column_text_view(7)); type.ok()) {
    intent.order_type = *type;
  }
  if (Result<Product> product = parse_product(stmt.column_text_view(8)); product.ok()) {
    intent.product = *product;
  }
  intent.price = stmt.column_int64(9);
  intent.trigger_price = stmt.column_int64(10);
  intent.signal_ts = stmt.column_int64(11);
  intent.reason = stmt.column_text(12);
  order.status = stmt.column_text(13);
  order.filled_qty = stmt.column_int64(14);
  order.average_price = stmt.column_int64(15);
  order.status_message = stmt.column_text(16);
  order.created_ms = stmt.column_int64(17);
  order.updated_ms = stmt.column_int64(18);
  intent.ts = order.created_ms;
  return order;
}

Result<std::optional<OrderRecord>> find_order_where(Database& db, std::string_view column,
                                                    std::string_view value) {
  Result<Statement> stmt =
      db.prepare(fmt::format("SELECT {} FROM orders WHERE {} = ?1", kOrderColumns, column));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, value);
  return first_row<OrderRecord>(*stmt, read_order);
}

bool same_intent(const OrderIntent& a, const OrderIntent& b) {
  return a.strategy == b.strategy && a.symbol == b.symbol && a.exchange == b.exchange &&
         a.side == b.side && a.qty == b.qty && a.order_type == b.order_type &&
         a.product == b.product && a.price == b.price && a.trigger_price == b.trigger_price;
}

Status insert_order_event(Database& db, const OrderEvent& event) {
  Result<Statement> stmt = db.prepare(
      "INSERT INTO order_events (client_order_id, ts_ms, event, status, detail, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(event.client_order_id, event.ts, event.event, event.status,
                 event.detail_json.empty() ? std::string("{}") : event.detail_json,
                 db.clock().now_ms());
  return stmt->run();
}

}  // namespace

Result<bool> upsert_order_intent(Database& db, const OrderIntent& intent) {
  SM_RETURN_IF_ERROR(require_durable(db, "upsert_order_intent"));
  if (intent.client_order_id.empty() || intent.strategy.empty() || intent.symbol.empty() ||
      intent.qty <= 0) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("order intent '{}' needs a client_order_id, strategy, symbol and "
                             "qty > 0",
                             intent.client_order_id));
  }
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::optional<OrderRecord>> existing = find_order(db, intent.client_order_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    if (!same_intent((*existing)->intent, intent)) {
      return error(ErrorCode::kConflict,
                   fmt::format("client_order_id {} is already used by a different order",
                               intent.client_order_id));
    }
    return false;
  }
  Result<Statement> stmt = db.prepare(
      "INSERT INTO orders (client_order_id, strategy, symbol, exchange, side, qty, order_type, "
      "product, price_paise, trigger_price_paise, signal_ts_ms, reason, status, created_ms, "
      "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'PENDING', ?13, "
      "?13)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(intent.client_order_id, intent.strategy, intent.symbol, intent.exchange,
                 side_name(intent.side), intent.qty, order_type_name(intent.order_type),
                 product_name(intent.product), intent.price, intent.trigger_price, intent.signal_ts,
                 intent.reason, intent.ts);
  SM_RETURN_IF_ERROR(stmt->run());
  nlohmann::json detail = {{"side", side_name(intent.side)},
                           {"qty", intent.qty},
                           {"symbol", intent.symbol},
                           {"order_type", order_type_name(intent.order_type)},
                           {"price", format_rupees(intent.price)}};
  SM_RETURN_IF_ERROR(insert_order_event(
      db, {intent.client_order_id, intent.ts, "intent_recorded", "PENDING", detail.dump()}));
  SM_RETURN_IF_ERROR(tx->commit());
  return true;
}

Status append_order_event(Database& db, const OrderEvent& event) {
  SM_RETURN_IF_ERROR(require_durable(db, "append_order_event"));
  if (event.event.empty()) return error(ErrorCode::kInvalidArgument, "order event has no name");
  if (!event.detail_json.empty() &&
      !(valid_json(event.detail_json) && event.detail_json.front() == '{')) {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("order event detail for {} is not a JSON object", event.client_order_id));
  }
  Result<std::optional<OrderRecord>> order = find_order(db, event.client_order_id);
  if (!order.ok()) return order.status();
  if (!order->has_value()) {
    return error(ErrorCode::kNotFound, fmt::format("no order {}", event.client_order_id));
  }
  return insert_order_event(db, event);
}

Result<std::vector<OrderEvent>> order_events(Database& db, std::string_view client_order_id) {
  Result<Statement> stmt = db.prepare(
      "SELECT client_order_id, ts_ms, event, status, detail FROM order_events "
      "WHERE client_order_id = ?1 ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, client_order_id);
  return collect<OrderEvent>(*stmt, [](const Statement& s) {
    return OrderEvent{s.column_text(0), s.column_int64(1), s.column_text(2), s.column_text(3),
                      s.column_text(4)};
  });
}

Result<std::vector<TimestampMs>> placement_times_since(Database& db, TimestampMs since_ms) {
  Result<Statement> stmt = db.prepare(
      "SELECT ts_ms FROM order_events WHERE event = 'submit_requested' AND ts_ms >= ?1 "
      "ORDER BY ts_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, since_ms);
  return collect<TimestampMs>(*stmt, [](const Statement& s) { return s.column_int64(0); });
}

Result<bool> apply_order_update(Database& db, const OrderUpdate& update) {
  SM_RETURN_IF_ERROR(require_durable(db, "apply_order_update"));
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::optional<OrderRecord>> found = find_order(db, update.client_order_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return error(ErrorCode::kNotFound, fmt::format("no order {}", update.client_order_id));
  }
  const OrderRecord& order = **found;
  if (!order.broker_order_id.empty() && !update.broker_order_id.empty() &&
      order.broker_order_id != update.broker_order_id) {
    return error(ErrorCode::kConflict,
                 fmt::format("order {} has broker id {}, update says {}", update.client_order_id,
                             order.broker_order_id, update.broker_order_id));
  }
  const std::string broker_id =
      order.broker_order_id.empty() ? update.broker_order_id : order.broker_order_id;
  const std::string status = update.status.empty() ? order.status : update.status;
  if (broker_id == order.broker_order_id && status == order.status &&
      update.filled_qty == order.filled_qty && update.average_price == order.average_price &&
      update.status_message == order.status_message) {
    return false;
  }
  Result<Statement> stmt = db.prepare(
      "UPDATE orders SET broker_order_id = ?2, status = ?3, filled_qty = ?4, "
      "average_price_paise = ?5, status_message = ?6, updated_ms = max(updated_ms, ?7) "
      "WHERE client_order_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(update.client_order_id);
  if (broker_id.empty()) {
    stmt->bind(2, nullptr);
  } else {
    stmt->bind(2, broker_id);
  }
  stmt->bind(3, status).bind(4, update.filled_qty).bind(5, update.average_price);
  stmt->bind(6, update.status_message).bind(7, update.ts);
  SM_RETURN_IF_ERROR(stmt->run());
  nlohmann::json detail = {{"broker_order_id", broker_id},
                           {"filled_qty", update.filled_qty},
                           {"pending_qty", update.pending_qty},
                           {"average_price", format_rupees(update.average_price)}};
  if (!update.status_message.empty()) detail["status_message"] = update.status_message;
  SM_RETURN_IF_ERROR(insert_order_event(
      db, {update.client_order_id, update.ts, "broker_update", status, detail.dump()}));
  SM_RETURN_IF_ERROR(tx->commit());
  return true;
}

Result<std::optional<OrderRecord>> find_order(Database& db, std::string_view client_order_id) {
  return find_order_where(db, "client_order_id", client_order_id);
}

Result<std::optional<OrderRecord>> find_order_by_broker_id(Database& db,
                                                           std::string_view broker_order_id) {
  return find_order_where(db, "broker_order_id", broker_order_id);
}

Result<std::vector<OrderRecord>> list_open_orders(Database& db) {
  Result<Statement> stmt = db.prepare(
      fmt::format("SELECT {} FROM orders WHERE status NOT IN ('COMPLETE', 'CANCELLED', 'REJECTED') "
                  "ORDER BY created_ms, client_order_id",
                  kOrderColumns));
  if (!stmt.ok()) return stmt.status();
  return collect<OrderRecord>(*stmt, read_order);
}

Result<std::int64_t> count_open_orders(Database& db) {
  Result<Statement> stmt = db.prepare(
      "SELECT count(*) FROM orders WHERE status NOT IN ('COMPLETE', 'CANCELLED', 'REJECTED')");
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return stmt->column_int64(0);
}

Result<bool> delivery_sell_stored(Database& db, std::string_view symbol, TimestampMs from,
                                  TimestampMs to, std::string_view trade_id) {
  Result<Statement> stmt = db.prepare(
      "SELECT EXISTS (SELECT 1 FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id "
      "WHERE f.symbol = ?1 AND f.side = 'SELL' AND o.product = 'CNC' AND f.ts_ms >= ?2 "
      "AND f.ts_ms < ?3 AND f.trade_id <> ?4)");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, symbol);
  stmt->bind(2, from);
  stmt->bind(3, to);
  stmt->bind(4, trade_id);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return stmt->column_int64(0) != 0;
}

namespace {

constexpr std::string_view kPositionColumns =
    "strategy, symbol, qty, cost_paise, realised_pnl_paise, charges_paise, opened_ms, updated_ms";

Position read_position(const Statement& stmt) {
  Position p;
  p.strategy = stmt.column_text(0);
  p.symbol = stmt.column_text(1);
  p.qty = stmt.column_int64(2);
  p.cost = stmt.column_int64(3);
  p.realised_pnl = stmt.column_int64(4);
  p.charges = stmt.column_int64(5);
  p.opened_ms = stmt.column_int64(6);
  p.updated_ms = stmt.column_int64(7);
  return p;
}

}  // namespace

Result<std::optional<Position>> find_position(Database& db, std::string_view strategy,
                                              std::string_view symbol) {
  Result<Statement> stmt = db.prepare(fmt::format(
      "SELECT {} FROM positions WHERE strategy = ?1 AND symbol = ?2", kPositionColumns));
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(strategy, symbol);
  return first_row<Position>(*stmt, read_position);
}

Result<std::vector<Position>> list_positions(Database& db, bool open_only) {
  Result<Statement> stmt =
      db.prepare(fmt::format("SELECT {} FROM positions {} ORDER BY strategy, symbol",
                             kPositionColumns, open_only ? "WHERE qty <> 0" : ""));
  if (!stmt.ok()) return stmt.status();
  return collect<Position>(*stmt, read_position);
}

namespace {

// The outcome of a fill whose trade_id is already stored, or nullopt when it is new. Fails with
// kConflict when the stored fill differs in symbol, side, qty or price.
Result<std::optional<FillOutcome>> find_stored_fill(Database& db, const Fill& fill) {
  Result<Statement> existing = db.prepare(
      "SELECT symbol, side, qty, price_paise, strategy, realised_pnl_paise FROM fills "
      "WHERE trade_id = ?1");
  if (!existing.ok()) return existing.status();
  existing->bind(1, fill.trade_id);
  Result<bool> row = existing->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<FillOutcome>();
  if (existing->column_text_view(0) != fill.symbol ||
      existing->column_text_view(1) != side_name(fill.side) ||
      existing->column_int64(2) != fill.qty || existing->column_int64(3) != fill.price) {
    return error(ErrorCode::kConflict,
                 fmt::format("trade {} is already stored with different details", fill.trade_id));
  }
  FillOutcome outcome;
  const std::string strategy = existing->column_text(4);
  outcome.realised_pnl = existing->column_int64(5);
  Result<std::optional<Position>> position = find_position(db, strategy, fill.symbol);
  if (!position.ok()) return position.status();
  if (position->has_value()) outcome.position = **position;
  return std::optional<FillOutcome>(std::move(outcome));
}

// The fill's position after it, and the P&L it realised.
Result<FillOutcome> position_after(Database& db, const Fill& fill) {
  Result<std::optional<Position>> stored = find_position(db, fill.strategy, fill.symbol);
  if (!stored.ok()) return stored.status();
  FillOutcome outcome;
  Position& position = outcome.position;
  if (stored->has_value()) {
    position = **stored;
  } else {
    position.strategy = fill.strategy;
    position.symbol = fill.symbol;
    position.opened_ms = fill.ts;
  }
  const FillEffect effect = apply_fill(position, fill.side, fill.qty, fill.price);
  if (effect.overflow) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("position {} {} overflows", position.strategy, position.symbol));
  }
  static_cast<sm::Position&>(position) = effect.position;
  if (effect.opened) position.opened_ms = fill.ts;
  position.charges += fill.charges;
  position.updated_ms = std::max(position.updated_ms, fill.ts);
  outcome.realised_pnl = effect.realised;
  return outcome;
}

Status write_fill(Database& db, const Fill& fill, const FillOutcome& outcome) {
  Result<Statement> insert = db.prepare(
      "INSERT INTO fills (trade_id, client_order_id, broker_order_id, strategy, symbol, side, qty, "
      "price_paise, charges_paise, realised_pnl_paise, ts_ms, recorded_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!insert.ok()) return insert.status();
  insert->bind_all(fill.trade_id, fill.client_order_id, fill.broker_order_id, fill.strategy,
                   fill.symbol, side_name(fill.side), fill.qty, fill.price, fill.charges,
                   outcome.realised_pnl, fill.ts, db.clock().now_ms());
  SM_RETURN_IF_ERROR(insert->run());

  const Position& position = outcome.position;
  Result<Statement> upsert = db.prepare(
      "INSERT INTO positions (strategy, symbol, qty, cost_paise, realised_pnl_paise, "
      "charges_paise, opened_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (strategy, symbol) DO UPDATE SET qty = excluded.qty, "
      "cost_paise = excluded.cost_paise, realised_pnl_paise = excluded.realised_pnl_paise, "
      "charges_paise = excluded.charges_paise, opened_ms = excluded.opened_ms, "
      "updated_ms = excluded.updated_ms");
  if (!upsert.ok()) return upsert.status();
  upsert->bind_all(position.strategy, position.symbol, position.qty, position.cost,
                   position.realised_pnl, position.charges, position.opened_ms,
                   position.updated_ms);
  return upsert->run();
}

// Appends a "fill" event to the fill's order when the order is known.
Status record_fill_event(Database& db, const Fill& fill) {
  if (fill.client_order_id.empty()) return Status();
  Result<std::optional<OrderRecord>> order = find_order(db, fill.client_order_id);
  if (!order.ok()) return order.status();
  if (!order->has_value()) return Status();
  nlohmann::json detail = {{"trade_id", fill.trade_id},
                           {"side", side_name(fill.side)},
                           {"qty", fill.qty},
                           {"price", format_rupees(fill.price)},
                           {"charges", format_rupees(fill.charges)}};
  return insert_order_event(
      db, {fill.client_order_id, fill.ts, "fill", (*order)->status, detail.dump()});
}

}  // namespace

Result<FillOutcome> insert_fill(Database& db, const Fill& fill) {
  SM_RETURN_IF_ERROR(require_durable(db, "insert_fill"));
  if (fill.trade_id.empty() || fill.symbol.empty() || fill.qty <= 0 || fill.price <= 0 ||
      fill.charges < 0) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("fill '{}' needs a trade_id, symbol, qty > 0, price > 0 and "
                             "charges >= 0",
                             fill.trade_id));
  }
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::optional<FillOutcome>> stored = find_stored_fill(db, fill);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return std::move(**stored);

  Result<FillOutcome> outcome = position_after(db, fill);
  if (!outcome.ok()) return outcome.status();
  SM_RETURN_IF_ERROR(write_fill(db, fill, *outcome));
  SM_RETURN_IF_ERROR(record_fill_event(db, fill));
  SM_RETURN_IF_ERROR(tx->commit());
  outcome->inserted = true;
  return outcome;
}

Result<std::vector<Fill>> list_fills(Database& db, TimestampMs from, TimestampMs to) {
  Result<Statement> stmt = db.prepare(
      "SELECT ts_ms, client_order_id, broker_order_id, trade_id, strategy, symbol, side, qty, "
      "price_paise, charges_paise FROM fills WHERE ts_ms >= ?1 AND ts_ms < ?2 ORDER BY ts_ms, id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(from, to);
  return collect<Fill>(*stmt, [](const Statement& s) {
    Fill fill;
    fill.ts = s.column_int64(0);
    fill.client_order_id = s.column_text(1);
    fill.broker_order_id = s.column_text(2);
    fill.trade_id = s.column_text(3);
    fill.strategy = s.column_text(4);
    fill.symbol = s.column_text(5);
    if (Result<Side> side = parse_side(s.column_text_view(6)); side.ok()) fill.side = *side;
    fill.qty = s.column_int64(7);
    fill.price = s.column_int64(8);
    fill.charges = s.column_int64(9);
    return fill;
  });
}

}  // namespace sm::store
