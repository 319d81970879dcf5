// The trading record: signals, risk decisions, strategy state, orders with their append-only event
// log, fills and the positions they build. Every write that a restarted program may repeat is
// idempotent on a natural key, so replaying after a crash never double-counts. Writes commit with
// the connection's synchronous setting, which must be FULL for these tables (docs/SCHEMA.md);
// functions here refuse with kInvalidArgument on a connection set lower, rather than risk losing an
// order or a fill on a power cut (signals and strategy state excepted, as noted there). Each
// function is one transaction (a SAVEPOINT inside a caller's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/position.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

// Stores a signal. Idempotent on (strategy, symbol, action, ts): returns true when stored, false
// when that signal was already there. Accepted below synchronous=FULL: sm-signal writes its
// signals at NORMAL, and the risk gateway stores each one again with its decision at FULL
// (docs/SCHEMA.md, "Durability").
Result<bool> record_signal(Database& db, const Signal& signal);

// Stores the risk gateway's verdict. One decision per signal, keyed by (strategy, symbol, action,
// signal_ts): returns true when stored, false when a decision for that signal already exists (the
// first one stands). Strategy and symbol are stored as given, even empty (the denial of a
// malformed signal); fails with kInvalidArgument when the code is empty. order, when given, is the
// intent the approval releases: kept with it (as its NDJSON text, order_json) so sm-order can catch
// it up from the store.
Result<bool> record_risk_decision(Database& db, const RiskDecision& decision,
                                  const OrderIntent* order = nullptr);

// A row of the signals table.
struct StoredSignal {
  std::int64_t id = 0;
  TimestampMs recorded_ms = 0;
  Signal signal;
};
struct SignalScan {
  std::vector<StoredSignal> undecided;  // oldest first
  // Every signal with an id up to this one was recorded by recorded_to: the next scan starts
  // after it (a signal recorded later, still on its way, is looked at again).
  std::int64_t scanned_to = 0;
};
// The signals with id > after_id, recorded within [recorded_from, recorded_to], that have no risk
// decision: what the risk gateway has not decided. sm-signal stores a signal before writing it
// on, so one lost between the stages (a FIFO whose reader died) is here.
Result<SignalScan> undecided_signals(Database& db, std::int64_t after_id, TimestampMs recorded_from,
                                     TimestampMs recorded_to);

// An approval whose order intent sm-order has not recorded.
struct UnrecordedIntent {
  std::int64_t decision_id = 0;
  TimestampMs decided_ms = 0;  // when the gateway recorded the approval (recorded_ms)
  OrderIntent intent;
};
struct IntentScan {
  std::vector<UnrecordedIntent> unrecorded;  // oldest first
  std::int64_t scanned_to = 0;               // as SignalScan's
  std::int64_t undecodable = 0;              // stored intents that do not decode (skipped)
};
// The approvals with id > after_id, recorded by recorded_to, whose order intent (order_json) has
// no row in orders: what sm-order must still place or expire.
Result<IntentScan> approvals_without_order(Database& db, std::int64_t after_id,
                                           TimestampMs recorded_to);

// A strategy instance's state, saved as JSON so a restart resumes where it left off.
struct StrategyState {
  std::string strategy;
  std::string state_json;      // any valid JSON text
  TimestampMs event_ts = 0;    // market time of the last event the state reflects
  TimestampMs updated_ms = 0;  // wall-clock time it was saved
};
// Replaces the saved state of state.strategy. Fails with kInvalidArgument when state_json is not
// valid JSON or the strategy name is empty. Accepted below synchronous=FULL: a state lost to a
// power cut is rebuilt by feeding the bars after the one it was saved with again.
Status save_strategy_state(Database& db, const StrategyState& state);
Result<std::optional<StrategyState>> load_strategy_state(Database& db, std::string_view strategy);

// Kite's terminal order statuses. Every other status (including our own PENDING, "recorded, not yet
// acknowledged by the broker") is an open order.
bool is_terminal_order_status(std::string_view status);

struct OrderRecord {
  OrderIntent intent;
  std::string broker_order_id;  // empty until the broker acknowledges
  std::string status;           // PENDING, then the broker's status text
  Quantity filled_qty = 0;
  Paise average_price = 0;
  std::string status_message;
  TimestampMs created_ms = 0;  // the intent's ts
  TimestampMs updated_ms = 0;  // ts of the last update applied
};

// Records an order intent with status PENDING and appends an "intent_recorded" order event, in one
// transaction. Idempotent on client_order_id: returns true when recorded, false when an identical
// intent (same strategy, symbol, exchange, side, qty, type, product, prices) is already stored.
// Fails with kConflict when the stored intent with that id differs (two different orders must
// never share an id), and with kInvalidArgument when client_order_id, strategy or symbol is empty
// or qty <= 0.
Result<bool> upsert_order_intent(Database& db, const OrderIntent& intent);

// One entry of an order's audit log. detail_json must be a JSON object text ("{}" when empty).
struct OrderEvent {
  std::string client_order_id;
  TimestampMs ts = 0;
  std::string
      event;  // e.g. intent_recorded, submit_requested, broker_update, fill, cancel_requested
  std::string status;  // the order status after the event, when known
  std::string detail_json = "{}";
};
// Appends to order_events (which refuses UPDATE and DELETE). Fails with kNotFound when the order
// is unknown, kInvalidArgument when detail_json is not valid JSON.
Status append_order_event(Database& db, const OrderEvent& event);
// All events of an order, oldest first.
Result<std::vector<OrderEvent>> order_events(Database& db, std::string_view client_order_id);
// The times of every placement attempt (submit_requested event) at or after since_ms, oldest
// first: what the client-side rate limiter must count again after a restart.
Result<std::vector<TimestampMs>> placement_times_since(Database& db, TimestampMs since_ms);

// Applies a broker update to the order: broker_order_id (kept once known), status, filled and
// pending quantities, average price and status message, plus a "broker_update" order event, in one
// transaction. An update that changes none of those fields (a repeated poll) writes nothing and
// returns false; otherwise true. Fails with kNotFound when client_order_id is unknown, and with
// kConflict when the update carries a broker_order_id different from the one already stored.
Result<bool> apply_order_update(Database& db, const OrderUpdate& update);

Result<std::optional<OrderRecord>> find_order(Database& db, std::string_view client_order_id);
Result<std::optional<OrderRecord>> find_order_by_broker_id(Database& db,
                                                           std::string_view broker_order_id);
// Orders whose status is not terminal, oldest first.
Result<std::vector<OrderRecord>> list_open_orders(Database& db);
// How many there are (the partial index orders_open answers it without reading the orders).
Result<std::int64_t> count_open_orders(Database& db);

// A position per (strategy, symbol); strategy "" holds fills not attributed to a strategy (manual
// trades). qty, cost and realised_pnl are sm::Position's (core/position.h), moved by apply_fill.
struct Position : sm::Position {
  std::string strategy;
  std::string symbol;
  Paise charges = 0;  // cumulative
  TimestampMs opened_ms = 0;
  TimestampMs updated_ms = 0;
};

struct FillOutcome {
  bool inserted = false;   // false: that trade_id was already stored, nothing changed
  Paise realised_pnl = 0;  // P&L this fill realised (0 when it only added to the position)
  Position position;       // the position after the fill
};

// Stores a fill and applies it to its position (average-cost method; a fill that crosses zero
// closes the old side and opens the new one at the fill price), appending a "fill" order event when
// the order is known, all in one transaction. Idempotent on trade_id: a repeated fill returns
// inserted = false with the current position. Fails with kConflict when a stored fill with that
// trade_id differs in symbol, side, qty or price, and with kInvalidArgument on an empty trade_id or
// symbol, qty <= 0, price <= 0 or negative charges.
Result<FillOutcome> insert_fill(Database& db, const Fill& fill);

// Positions ordered by strategy then symbol; open_only drops flat ones.
Result<std::vector<Position>> list_positions(Database& db, bool open_only = true);
Result<std::optional<Position>> find_position(Database& db, std::string_view strategy,
                                              std::string_view symbol);

// True when a SELL fill of symbol from a delivery (CNC) order of ours, other than trade_id, is
// stored with ts in [from, to): the DP charge of that day has then been levied already.
Result<bool> delivery_sell_stored(Database& db, std::string_view symbol, TimestampMs from,
                                  TimestampMs to, std::string_view trade_id);

// Fills with ts in [from, to), oldest first.
Result<std::vector<Fill>> list_fills(Database& db, TimestampMs from, TimestampMs to);

}  // namespace sm::store
