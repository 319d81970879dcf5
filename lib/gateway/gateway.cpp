#include "gateway/gateway.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <iterator>
#include <map>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/json_writer.h"
#include "core/money.h"
#include "store/corporate_actions.h"
#include "store/market_data.h"
#include "store/prices.h"
#include "store/todays_pnl.h"
#include "store/trading_records.h"
#include "time/bar_time.h"

namespace sm::gateway {

namespace {

constexpr std::string_view kStoreFailed = "STORE_FAILED";
constexpr std::string_view kStateUnavailable = "STATE_UNAVAILABLE";

Result<bool> step(store::Statement& stmt) { return stmt.step(); }

bool is_terminal(std::string_view status) { return store::is_terminal_order_status(status); }

// When the component's current status began: the earliest of the latest run of history rows with
// that status (history has a row per status or pid change); fallback when history says nothing.
Result<TimestampMs> status_since(store::Database& db, const std::string& component,
                                 const std::string& status, TimestampMs fallback) {
  Result<store::Statement> stmt = db.prepare(
      "SELECT ts_ms, status FROM heartbeat_history WHERE component = ?1 ORDER BY id DESC LIMIT 64");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, component);
  TimestampMs since = fallback;
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row || stmt->column_text_view(1) != status) break;
    since = std::min(since, stmt->column_int64(0));
  }
  return since;
}

}  // namespace

RiskGateway::RiskGateway(store::Database& db, risk::RiskConfig config,
                         const time::Calendar* calendar, GatewayOptions options)
    : db_(db), engine_(std::move(config), calendar), options_(std::move(options)) {}

Result<std::unique_ptr<RiskGateway>> RiskGateway::open(store::Database& db, risk::RiskConfig config,
                                                       const time::Calendar* calendar,
                                                       TimestampMs now, GatewayOptions options) {
  std::unique_ptr<RiskGateway> gateway(
      new RiskGateway(db, std::move(config), calendar, std::move(options)));
  // Memory-mapped reads: the decision path reads a few pages of a large file per signal, and
  // every write by another process empties SQLite's own page cache. Best effort.
  (void)db.execute("PRAGMA mmap_size = 268435456");
  // One read transaction, so positions, fills and orders describe the same moment.
  SM_RETURN_IF_ERROR(db.execute("BEGIN"));
  Status loaded = gateway->load(now);
  (void)db.execute(loaded.ok() ? "COMMIT" : "ROLLBACK");
  if (!loaded.ok()) return loaded;
  // A read-only database (sm-risk status) cannot record an adjustment: its positions are then
  // shown as stored.
  SM_RETURN_IF_ERROR(gateway->apply_corporate_actions(now));
  return gateway;
}

Status RiskGateway::load(TimestampMs now) {
  risk::RiskState& state = engine_.state();
  state.day = ist_date(now);
  state.day_start_ms = from_ist(state.day, 0, 0);
  state.day_set = true;
  SM_RETURN_IF_ERROR(load_positions());
  SM_RETURN_IF_ERROR(load_today(now));
  SM_RETURN_IF_ERROR(load_prices(now));
  SM_RETURN_IF_ERROR(load_tick_sizes());
  SM_RETURN_IF_ERROR(load_recent_decisions(now));
  SM_RETURN_IF_ERROR(load_components());
  SM_RETURN_IF_ERROR(load_errors(now));
  SM_RETURN_IF_ERROR(sync_pending());
  SM_RETURN_IF_ERROR(sync_halts(now));
  polled_ = true;
  last_poll_ms_ = now;
  return Status();
}

Status RiskGateway::load_positions() {
  risk::RiskState& state = engine_.state();
  Result<std::vector<store::Position>> positions = store::list_positions(db_, true);
  if (!positions.ok()) return positions.status();
  for (const store::Position& p : *positions) {
    risk::PositionState held;
    held.strategy = p.strategy;
    held.symbol = p.symbol;
    held.qty = p.qty;
    held.cost = p.cost;
    held.realised_pnl = p.realised_pnl;
    held.opened_ms = p.opened_ms;
    state.book.put_position(std::move(held));
  }
  Result<std::int64_t> max_id = db_.query_int64("SELECT COALESCE(MAX(id), 0) FROM fills");
  if (!max_id.ok()) return max_id.status();
  last_fill_id_ = *max_id;
  return Status();
}

Status RiskGateway::load_today(TimestampMs now) {
  risk::RiskState& state = engine_.state();
  // The engine keeps today's P&L current from here on (fills and prices as they arrive); at open
  // it starts from the store's one definition, so both say the same.
  Result<store::TodaysPnl> today = store::todays_pnl(db_, now);
  if (!today.ok()) return today.status();
  state.realised_today = today->realised;
  state.charges_today = today->charges;
  state.day_start_unrealised = today->start_unrealised;
  for (const store::TodaysPnlRow& row : today->rows) {
    if (row.start_price) state.day_start_prices[row.symbol] = *row.start_price;
  }
  return Status();
}

Status RiskGateway::load_prices(TimestampMs now) {
  risk::RiskState& state = engine_.state();
  for (const auto& [key, p] : state.book.positions()) {
    Result<std::optional<store::PricePoint>> price = store::latest_price(db_, p.symbol, now);
    if (!price.ok()) return price.status();
    if (price->has_value()) {
      state.book.put_price(p.symbol,
                           risk::PricePoint{(*price)->price, (*price)->ts, (*price)->interval_ms});
    }
  }
  return Status();
}

Status RiskGateway::load_tick_sizes() {
  Result<store::Statement> stmt = db_.prepare("SELECT symbol, tick_size_paise FROM instruments");
  if (!stmt.ok()) return stmt.status();
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row) break;
    engine_.state().tick_sizes[stmt->column_text(0)] = stmt->column_int64(1);
  }
  return Status();
}

// Recent decisions restore the rate windows and the duplicate window across a restart.
Status RiskGateway::load_recent_decisions(TimestampMs now) {
  const risk::RiskConfig& config = engine_.config();
  Result<store::Statement> stmt = db_.prepare(
      "SELECT ts_ms, approved, code, strategy, symbol, action, signal_ts_ms "
      "FROM risk_decisions ORDER BY id DESC LIMIT ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, config.max_orders_per_5_minutes + config.max_orders_per_minute + 1);
  std::vector<TimestampMs> orders;
  std::vector<TimestampMs> signals;
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row) break;
    const TimestampMs ts = stmt->column_int64(0);
    if (ts <= now - 5 * kMsPerMinute || ts > now) continue;
    const bool approved = stmt->column_int64(1) != 0;
    const bool forced = stmt->column_text_view(2) == risk::code::kForcedExit;
    if (approved) orders.push_back(ts);
    if (!forced) signals.push_back(ts);
    Result<SignalAction> action = parse_signal_action(stmt->column_text_view(5));
    if (approved && !forced && action.ok()) {
      Signal s;
      s.strategy = stmt->column_text(3);
      s.symbol = stmt->column_text(4);
      s.action = *action;
      s.ts = stmt->column_int64(6);
      engine_.mark_approved(s);
    }
  }
  std::sort(orders.begin(), orders.end());
  std::sort(signals.begin(), signals.end());
  risk::RiskState& state = engine_.state();
  state.order_times.assign(orders.begin(), orders.end());
  state.signal_times.assign(signals.begin(), signals.end());
  return Status();
}

Status RiskGateway::load_components() {
  Result<std::vector<Heartbeat>> beats = store::last_heartbeats(db_);
  if (!beats.ok()) return beats.status();
  for (const Heartbeat& hb : *beats) {
    Result<TimestampMs> since = status_since(db_, hb.component, hb.status, hb.ts);
    if (!since.ok()) return since.status();
    engine_.state().components[hb.component] = risk::ComponentStatus{hb.status, hb.ts, *since};
  }
  return Status();
}

Status RiskGateway::load_errors(TimestampMs now) {
  Result<std::int64_t> max_id = db_.query_int64("SELECT COALESCE(MAX(id), 0) FROM errors");
  if (!max_id.ok()) return max_id.status();
  last_error_id_ = *max_id;
  Result<store::Statement> stmt =
      db_.prepare("SELECT ts_ms FROM errors WHERE ts_ms > ?1 AND ts_ms <= ?2 ORDER BY ts_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(now - kMsPerMinute, now);
  std::deque<TimestampMs>& times = engine_.state().error_times;
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row) break;
    times.push_back(stmt->column_int64(0));
  }
  return Status();
}

Status RiskGateway::sync_halts(TimestampMs now) {
  risk::RiskState& state = engine_.state();
  Result<std::vector<store::HaltRecord>> active = store::active_halts(db_, now);
  if (!active.ok()) return active.status();
  // Halts raised here but not stored yet (id 0) stay; everything else is the database's list.
  std::vector<risk::ActiveHalt> halts;
  for (const risk::ActiveHalt& unsaved : state.halts) {
    if (unsaved.id == 0) halts.push_back(unsaved);
  }
  for (const store::HaltRecord& record : *active) {
    risk::ActiveHalt halt;
    halt.id = record.id;
    halt.level = record.level;
    halt.trigger = record.trigger;
    halt.reason = record.reason;
    halt.by = record.set_by;
    halt.since = record.created_ms;
    halt.until = record.until_ms.value_or(0);
    halts.push_back(std::move(halt));
  }
  state.halts = std::move(halts);
  Result<store::Statement> stmt = db_.prepare(
      "SELECT trigger_name, MAX(cleared_ms) FROM halts WHERE cleared_ms IS NOT NULL "
      "GROUP BY trigger_name");
  if (!stmt.ok()) return stmt.status();
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row) break;
    TimestampMs& resumed = state.resumed_ms[stmt->column_text(0)];
    const TimestampMs cleared = stmt->column_int64(1);
    if (cleared > resumed) {
      resumed = cleared;
      if (stmt->column_text_view(0) == risk::trigger::kLatency) state.latency_breaches = 0;
    }
  }
  return Status();
}

Status RiskGateway::sync_pending() {
  risk::RiskState& state = engine_.state();
  Result<std::vector<store::OrderRecord>> open = store::list_open_orders(db_);
  if (!open.ok()) return open.status();
  std::set<std::string> open_ids;
  for (const store::OrderRecord& order : *open) {
    open_ids.insert(order.intent.client_order_id);
    const Quantity unfilled = order.intent.qty - order.filled_qty;
    auto it = state.pending.find(order.intent.client_order_id);
    if (unfilled <= 0) {
      if (it != state.pending.end()) state.pending.erase(it);
      continue;
    }
    if (it == state.pending.end()) {
      risk::PendingOrder pending;
      pending.client_order_id = order.intent.client_order_id;
      pending.strategy = order.intent.strategy;
      pending.symbol = order.intent.symbol;
      pending.side = order.intent.side;
      pending.ts = order.created_ms;
      pending.price = order.intent.price;
      if (pending.price == 0) {
        const risk::PricePoint* last = state.book.find_price(order.intent.symbol);
        pending.price = last != nullptr ? last->price : order.intent.trigger_price;
      }
      it = state.pending.emplace(pending.client_order_id, std::move(pending)).first;
    }
    it->second.qty = unfilled;
  }
  // Pending orders the database does not list as open have either ended at the broker or not
  // reached sm-order yet; only the first may be dropped.
  for (auto it = state.pending.begin(); it != state.pending.end();) {
    if (open_ids.count(it->first) > 0) {
      ++it;
      continue;
    }
    Result<std::optional<store::OrderRecord>> order = store::find_order(db_, it->first);
    if (!order.ok()) return order.status();
    if (order->has_value() && is_terminal((*order)->status)) {
      it = state.pending.erase(it);
    } else {
      ++it;
    }
  }
  return Status();
}

Status RiskGateway::poll_fills(TimestampMs now, std::vector<Message>& out) {
  Result<store::Statement> stmt = db_.prepare(
      "SELECT id, ts_ms, client_order_id, broker_order_id, trade_id, strategy, symbol, side, qty, "
      "price_paise, charges_paise FROM fills WHERE id > ?1 ORDER BY id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, last_fill_id_);
  std::vector<Fill> fills;
  while (true) {
    Result<bool> row = step(*stmt);
    if (!row.ok()) return row.status();
    if (!*row) break;
    last_fill_id_ = stmt->column_int64(0);
    Fill fill;
    fill.ts = stmt->column_int64(1);
    fill.client_order_id = stmt->column_text(2);
    fill.broker_order_id = stmt->column_text(3);
    fill.trade_id = stmt->column_text(4);
    fill.strategy = stmt->column_text(5);
    fill.symbol = stmt->column_text(6);
    fill.side = stmt->column_text_view(7) == "SELL" ? Side::kSell : Side::kBuy;
    fill.qty = stmt->column_int64(8);
    fill.price = stmt->column_int64(9);
    fill.charges = stmt->column_int64(10);
    fills.push_back(std::move(fill));
  }
  for (const Fill& fill : fills) {
    // A fill's symbol may be new to us: its price matters for exposure and the loss switches.
    if (engine_.state().book.find_price(fill.symbol) == nullptr) {
      SM_RETURN_IF_ERROR(refresh_price(fill.symbol, now, out));
    }
    engine_.on_fill(fill, now, out);
  }
  return Status();
}

Status RiskGateway::poll_heartbeats(TimestampMs now, std::vector<Message>& out) {
  Result<std::vector<Heartbeat>> beats = store::last_heartbeats(db_);
  if (!beats.ok()) return beats.status();
  for (const Heartbeat& hb : *beats) {
    auto& components = engine_.state().components;
    auto known = components.find(hb.component);
    if (known != components.end() && hb.ts <= known->second.ts) continue;
    const bool changed = known == components.end() || known->second.status != hb.status;
    TimestampMs since = hb.ts;
    if (changed) {
      Result<TimestampMs> from_history = status_since(db_, hb.component, hb.status, hb.ts);
      if (!from_history.ok()) return from_history.status();
      since = *from_history;
    }
    engine_.on_heartbeat(hb, now, out);
    if (changed) engine_.state().components[hb.component].status_since = since;
  }
  return Status();
}

Status RiskGateway::poll_errors(TimestampMs now, std::vector<Message>& out) {
  Result<std::vector<store::StoredError>> stored = store::errors_after(db_, last_error_id_);
  if (!stored.ok()) return stored.status();
  for (const store::StoredError& e : *stored) {
    last_error_id_ = e.id;
    // Our own errors were counted when they happened (the store may have been what failed).
    if (e.error.component == engine_.config().component) continue;
    engine_.on_error(e.error.ts, now, out);
  }
  return Status();
}

Status RiskGateway::refresh_price(const std::string& symbol, TimestampMs now,
                                  std::vector<Message>& out) {
  Result<std::optional<store::PricePoint>> price = store::latest_price(db_, symbol, now);
  if (!price.ok()) return price.status();
  if (price->has_value()) {
    engine_.on_price(symbol, (*price)->price, (*price)->ts, now, out, (*price)->interval_ms);
  }
  return Status();
}

Status RiskGateway::poll(TimestampMs now, std::vector<Message>& out, bool force) {
  if (!force && polled_ && now >= last_poll_ms_ &&
      now - last_poll_ms_ < options_.poll_interval_ms) {
    return Status();
  }
  SM_RETURN_IF_ERROR(poll_fills(now, out));
  SM_RETURN_IF_ERROR(sync_pending());
  SM_RETURN_IF_ERROR(poll_heartbeats(now, out));
  SM_RETURN_IF_ERROR(poll_errors(now, out));
  std::set<std::string> held;
  for (const auto& [key, position] : engine_.state().book.positions()) {
    if (position.qty != 0) held.insert(position.symbol);
  }
  for (const auto& [id, order] : engine_.state().pending) held.insert(order.symbol);
  Result<std::map<std::string, store::PricePoint>> prices =
      store::latest_prices(db_, std::vector<std::string>(held.begin(), held.end()), now);
  if (!prices.ok()) return prices.status();
  for (const auto& [symbol, point] : *prices) {
    engine_.on_price(symbol, point.price, point.ts, now, out, point.interval_ms);
  }
  polled_ = true;
  last_poll_ms_ = now;
  return Status();
}

Status RiskGateway::mark_if_decided(const Signal& signal) {
  Result<store::Statement> stmt = db_.prepare(
      "SELECT approved FROM risk_decisions WHERE strategy = ?1 AND symbol = ?2 AND action = ?3 "
      "AND signal_ts_ms = ?4");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(signal.strategy, signal.symbol, signal_action_name(signal.action), signal.ts);
  Result<bool> row = step(*stmt);
  if (!row.ok()) return row.status();
  if (*row) engine_.mark_decided(signal);
  return Status();
}

Status RiskGateway::deny_unavailable(const Signal& signal, const Status& why, TimestampMs now,
                                     std::vector<Message>& out) {
  out.emplace_back(
      risk::decision_on(signal, now, false, kStateUnavailable,
                        fmt::format("cannot read the state to decide on: {}", why.to_string())));
  engine_.on_error(now, now, out);
  return why;
}

std::optional<store::Transaction> RiskGateway::try_begin() {
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return std::nullopt;
  return std::move(*tx);
}

Status RiskGateway::apply_corporate_actions(TimestampMs now) {
  const Date today = ist_date(now);
  if (options_.corporate_actions.empty() || db_.read_only() ||
      (actions_applied_day_.has_value() && today <= *actions_applied_day_)) {
    return Status();
  }
  Result<std::vector<store::ActionAdjustment>> applied =
      store::apply_corporate_actions(db_, options_.corporate_actions, now, "sm-risk");
  if (!applied.ok()) return applied.status();
  if (!applied->empty()) needs_sync_ = true;
  // Today's adjustments, whoever recorded them: the engine's positions may predate them and its
  // prices are from before the ex-date either way.
  Result<std::vector<store::ActionAdjustment>> today_adjusted = store::adjustments_on(db_, today);
  if (!today_adjusted.ok()) return today_adjusted.status();
  for (const store::ActionAdjustment& a : *today_adjusted) {
    engine_.on_corporate_action({a.strategy, a.symbol, a.ex_date, a.qty_before, a.qty_after,
                                 a.price_numerator, a.price_denominator});
  }
  actions_applied_day_ = today;
  return Status();
}

Status RiskGateway::refresh(TimestampMs now, std::vector<Message>& out) {
  // Expired daily halts first (the stored list no longer has them), then the database's view,
  // and only then the kill switches: judged on stale state they would fire on old heartbeats.
  // A new day's corporate actions come before its first fill or price.
  engine_.expire_halts(now, out);
  Status refreshed = apply_corporate_actions(now);
  if (refreshed.ok()) refreshed = poll(now, out, false);
  if (refreshed.ok()) refreshed = sync_halts(now);
  if (refreshed.ok()) engine_.evaluate(now, out);
  return refreshed;
}

Result<Disposition> RiskGateway::handle(const Message& message, TimestampMs now,
                                        std::vector<Message>& out) {
  const size_t from = out.size();
  // One write transaction for the whole message: the reads see one moment, the decision is
  // durable at its commit, and SQLite takes its file locks once instead of once per query.
  std::optional<store::Transaction> outer = try_begin();
  Status refreshed = refresh(now, out);

  Disposition disposition = Disposition::kPassThrough;
  const Signal* signal = nullptr;
  Status handled = std::visit(
      [&](const auto& m) -> Status {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Signal>) {
          disposition = Disposition::kConsumed;
          signal = &m;
          Status ready = refreshed;
          if (ready.ok()) ready = refresh_price(m.symbol, now, out);
          if (ready.ok()) ready = mark_if_decided(m);
          if (!ready.ok()) return deny_unavailable(m, ready, now, out);
          engine_.decide(m, now, out);
        } else if constexpr (std::is_same_v<T, Fill>) {
          Result<store::FillOutcome> stored = store::insert_fill(db_, m);
          if (!stored.ok()) return stored.status();
          needs_sync_ = true;
          return poll_fills(now, out);
        } else if constexpr (std::is_same_v<T, Tick>) {
          engine_.on_price(m.symbol, m.price, m.ts, now, out);
        } else if constexpr (std::is_same_v<T, Bar>) {
          engine_.on_price(m.symbol, m.close, time::bar_known_at(m.ts, m.timeframe, m.partial, now),
                           now, out, m.timeframe.minutes * kMsPerMinute);
        } else if constexpr (std::is_same_v<T, OrderUpdate>) {
          engine_.on_order_update(m, now, out);
        } else if constexpr (std::is_same_v<T, Heartbeat>) {
          // Recorded, so a restart and `sm-risk status` see the same liveness as this process.
          SM_RETURN_IF_ERROR(store::record_heartbeat(db_, m));
          engine_.on_heartbeat(m, now, out);
        } else if constexpr (std::is_same_v<T, ErrorRecord>) {
          if (m.component.empty() || m.component == engine_.config().component) {
            engine_.on_error(m.ts, now, out);
            return Status();
          }
          // Stored (its program may have stored it too: one row), then counted once, as read.
          Result<bool> stored = store::record_error(db_, m);
          if (!stored.ok()) return stored.status();
          return poll_errors(now, out);
        } else if constexpr (std::is_same_v<T, Halt>) {
          // Another component asking for a halt is obeyed; lifting one is a person's job.
          if (m.action == "halt") {
            Result<store::HaltRecord> set = store::set_halt(db_, m);
            if (!set.ok()) return set.status();
            needs_sync_ = true;
            return sync_halts(now);
          }
        } else if constexpr (std::is_same_v<T, OrderIntent>) {
          disposition = Disposition::kRefused;
          Alert alert;
          alert.ts = now;
          alert.severity = Severity::kCritical;
          alert.component = engine_.config().component;
          alert.event = "order_on_input_refused";
          alert.text = fmt::format(
              "an order intent ({} {} {} {}) arrived on the risk gateway's input and was dropped: "
              "orders come only from approved signals",
              m.client_order_id, m.symbol, side_name(m.side), m.qty);
          alert.dedup_key = "order_on_input:" + m.client_order_id;
          out.emplace_back(std::move(alert));
          engine_.on_error(now, now, out);
        }
        return Status();
      },
      message);
  if (!handled.ok()) engine_.on_error(now, now, out);
  Status stored = commit(from, signal, now, out, outer);
  if (!stored.ok()) return stored;
  if (!handled.ok()) return handled;
  if (!refreshed.ok()) return refreshed;
  return disposition;
}

Status RiskGateway::tick(TimestampMs now, std::vector<Message>& out) {
  const size_t from = out.size();
  std::optional<store::Transaction> outer = try_begin();
  Status refreshed = refresh(now, out);
  if (!refreshed.ok()) engine_.on_error(now, now, out);
  SM_RETURN_IF_ERROR(commit(from, nullptr, now, out, outer));
  return refreshed;
}

Status RiskGateway::catch_up(TimestampMs now, std::vector<Message>& out, std::int64_t& caught) {
  Result<store::SignalScan> scan =
      store::undecided_signals(db_, caught_up_to_signal_id_, now - options_.catch_up_window_ms,
                               now - options_.catch_up_grace_ms);
  if (!scan.ok()) return scan.status();
  if (scan->undecided.empty()) {
    caught_up_to_signal_id_ = scan->scanned_to;
    return Status();
  }
  // A backlog (a restart after the gateway was down) is decided in one commit.
  begin_batch();
  std::vector<std::vector<Message>> outs;
  Status handled;
  std::int64_t decided = 0;
  for (const store::StoredSignal& stored : scan->undecided) {
    outs.emplace_back();
    Result<Disposition> one = handle(Message{stored.signal}, now, outs.back());
    if (!one.ok()) {
      handled = one.status();
      break;
    }
    ++decided;
  }
  Status committed = end_batch(now, outs);
  for (std::vector<Message>& one : outs) {
    std::move(one.begin(), one.end(), std::back_inserter(out));
  }
  caught += decided;
  if (!committed.ok()) return committed;
  if (!handled.ok()) return handled;
  caught_up_to_signal_id_ = scan->scanned_to;
  return Status();
}

void RiskGateway::begin_batch() {
  if (options_.defer_decision_sync && !db_.read_only() && !db_.in_transaction()) {
    deferred_.emplace(db_);
  }
  needs_sync_ = false;
  batch_ = try_begin();
  if (!batch_) deferred_.reset();
}

Status RiskGateway::end_batch(TimestampMs now, std::vector<std::vector<Message>>& outs) {
  if (!batch_) return Status();
  store::Transaction batch = std::move(*batch_);
  batch_.reset();
  Status committed = batch.commit();
  deferred_.reset();
  if (committed.ok() && needs_sync_) {
    // Committed, but nothing after it would make it durable: a halt must survive a power cut.
    committed = db_.sync_wal();
    if (committed.ok()) return committed;
    ++store_failures_;
    if (outs.empty()) outs.emplace_back();
    engine_.on_error(now, now, outs.back());
    return committed;
  }
  if (committed.ok()) return committed;
  ++store_failures_;
  for (std::vector<Message>& out : outs) withdraw_unsaved(0, committed, out);
  if (outs.empty()) outs.emplace_back();
  engine_.on_error(now, now, outs.back());
  return committed;
}

Result<risk::Assessment> RiskGateway::assess(TimestampMs now) {
  SM_RETURN_IF_ERROR(sync_halts(now));
  return engine_.assess(now);
}

Status RiskGateway::commit(size_t from, const Signal* signal, TimestampMs now,
                           std::vector<Message>& out, std::optional<store::Transaction>& outer) {
  if (from == out.size()) return outer ? outer->commit() : Status();
  Status status = [&]() -> Status {
    std::optional<store::Transaction> own;
    if (!outer) {
      Result<store::Transaction> tx = db_.begin();
      if (!tx.ok()) return tx.status();
      own = std::move(*tx);
    }
    store::Transaction& tx = outer ? *outer : *own;
    bool signal_stored = false;
    for (size_t k = from; k < out.size(); ++k) {
      if (const RiskDecision* d = std::get_if<RiskDecision>(&out[k])) {
        // A malformed signal (INVALID_SIGNAL) is not kept among the signals, whose table
        // requires what it lacks; its denial is stored below like any other.
        if (signal != nullptr && !signal_stored && d->code != risk::code::kForcedExit &&
            d->code != risk::code::kInvalidSignal && d->signal_ts == signal->ts &&
            d->strategy == signal->strategy && d->symbol == signal->symbol) {
          Result<bool> recorded = store::record_signal(db_, *signal);
          if (!recorded.ok()) return recorded.status();
          signal_stored = true;
        }
        // An approval's order intent is kept with it: a restarted sm-order catches up from there.
        const OrderIntent* order = nullptr;
        for (size_t j = k + 1; d->approved && order == nullptr && j < out.size(); ++j) {
          const OrderIntent* o = std::get_if<OrderIntent>(&out[j]);
          if (o != nullptr && o->client_order_id == d->client_order_id) order = o;
        }
        Result<bool> recorded = store::record_risk_decision(db_, *d, order);
        if (!recorded.ok()) return recorded.status();
      } else if (const Halt* h = std::get_if<Halt>(&out[k]); h != nullptr && h->action == "halt") {
        Result<store::HaltRecord> record = store::set_halt(db_, *h);
        if (!record.ok()) return record.status();
        needs_sync_ = true;
        for (risk::ActiveHalt& active : engine_.state().halts) {
          if (active.id == 0 && active.level == h->level && active.trigger == h->trigger) {
            active.id = record->id;
          }
        }
      } else if (const Alert* a = std::get_if<Alert>(&out[k])) {
        Result<bool> recorded = store::record_alert(db_, *a);
        if (!recorded.ok()) return recorded.status();
      }
    }
    return tx.commit();
  }();
  if (status.ok()) return status;
  if (outer) outer->rollback();
  ++store_failures_;
  withdraw_unsaved(from, status, out);
  engine_.on_error(now, now, out);
  return status;
}

void RiskGateway::withdraw_unsaved(size_t from, const Status& why, std::vector<Message>& out) {
  // Nothing unsaved is released: an approval that was not recorded is withdrawn.
  std::vector<Message> kept;
  kept.reserve(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    if (k < from) {
      kept.push_back(std::move(out[k]));
      continue;
    }
    if (const OrderIntent* order = std::get_if<OrderIntent>(&out[k])) {
      engine_.state().pending.erase(order->client_order_id);
      continue;
    }
    if (RiskDecision* d = std::get_if<RiskDecision>(&out[k]); d != nullptr && d->approved) {
      d->approved = false;
      d->detail = fmt::format("{} was decided ({}) but could not be stored: {}", d->code, d->detail,
                              why.to_string());
      d->code = kStoreFailed;
      d->client_order_id.clear();
    }
    kept.push_back(std::move(out[k]));
  }
  out = std::move(kept);
}

namespace {

bool known_level(std::string_view level) {
  return level == risk::kLevelBlockEntries || level == risk::kLevelHalt ||
         level == risk::kLevelPause;
}

}  // namespace

Result<std::vector<Message>> manual_halt(store::Database& db, std::string_view level,
                                         std::string_view reason, std::string_view by,
                                         TimestampMs now) {
  if (!known_level(level)) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("unknown level \"{}\" (block_entries, halt or pause)", level));
  }
  if (reason.empty()) return error(ErrorCode::kInvalidArgument, "a halt needs a reason");
  Halt halt;
  halt.ts = now;
  halt.action = "halt";
  halt.level = level;
  halt.trigger = risk::trigger::kManual;
  halt.reason = reason;
  halt.by = by;
  Result<store::Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<store::HaltRecord> record = store::set_halt(db, halt);
  if (!record.ok()) return record.status();
  const bool existing =
      record->created_ms != now || record->reason != reason || record->set_by != by;
  Alert alert;
  alert.ts = now;
  alert.severity = Severity::kWarning;
  alert.component = "sm-risk";
  alert.event = "manual_halt";
  alert.text =
      existing ? fmt::format("{} asked for {} ({}); already in force since {} by {}: {}", by, level,
                             reason, format_ist(record->created_ms), record->set_by, record->reason)
               : fmt::format("{} set {}: {}", by, level, reason);
  alert.dedup_key = fmt::format("manual_halt:{}", record->id);
  Result<bool> recorded = store::record_alert(db, alert);
  if (!recorded.ok()) return recorded.status();
  SM_RETURN_IF_ERROR(tx->commit());
  halt.ts = record->created_ms;
  halt.reason = record->reason;
  halt.by = record->set_by;
  std::vector<Message> messages;
  messages.emplace_back(std::move(halt));
  messages.emplace_back(std::move(alert));
  return messages;
}

Result<ResumeOutcome> manual_resume(store::Database& db, std::string_view level,
                                    std::string_view reason, std::string_view by, TimestampMs now) {
  if (!level.empty() && !known_level(level)) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("unknown level \"{}\" (block_entries, halt or pause)", level));
  }
  if (reason.empty()) return error(ErrorCode::kInvalidArgument, "a resume needs a reason");
  Result<store::Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<std::vector<store::HaltRecord>> active = store::active_halts(db, now);
  if (!active.ok()) return active.status();
  Result<std::int64_t> cleared = store::clear_halts(db, level, by, reason, now);
  if (!cleared.ok()) return cleared.status();
  ResumeOutcome outcome;
  outcome.lifted = *cleared;
  std::vector<std::string> lifted;
  for (const store::HaltRecord& record : *active) {
    if (!level.empty() && record.level != level) continue;
    Halt resume;
    resume.ts = now;
    resume.action = "resume";
    resume.level = record.level;
    resume.trigger = record.trigger;
    resume.reason = std::string(reason);
    resume.by = std::string(by);
    outcome.messages.emplace_back(std::move(resume));
    lifted.push_back(fmt::format("{} ({})", record.level, record.trigger));
  }
  Alert alert;
  alert.ts = now;
  alert.severity = Severity::kInfo;
  alert.component = "sm-risk";
  alert.event = "manual_resume";
  alert.text = lifted.empty()
                   ? fmt::format("{} resumed ({}); no halt was active", by, reason)
                   : fmt::format("{} resumed {}: {}", by, fmt::join(lifted, ", "), reason);
  alert.dedup_key = fmt::format("manual_resume:{}", now);
  Result<bool> recorded = store::record_alert(db, alert);
  if (!recorded.ok()) return recorded.status();
  SM_RETURN_IF_ERROR(tx->commit());
  outcome.messages.emplace_back(std::move(alert));
  return outcome;
}

TimestampMs known_at(const Message& message) {
  if (const Bar* bar = std::get_if<Bar>(&message); bar != nullptr && !bar->partial) {
    return time::bar_known_at(*bar);
  }
  return std::visit(
      [](const auto& m) -> TimestampMs {
        if constexpr (requires { m.ts; }) {
          return m.ts;
        } else {
          return 0;
        }
      },
      message);
}

}  // namespace sm::gateway
