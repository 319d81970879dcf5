// sm-order's engine: turns approved order intents into broker orders exactly once and follows them
// to a final state, keeping every step in the database (docs/ORDERS.md).
//
// Crash-only: the database is the state. Start-up after a crash or a clean stop is the same path
// (recover()), so SIGKILL at any instant loses nothing and never places an order twice:
//   1. submit() records the intent (synchronous=FULL commit) and a "submit_requested" event BEFORE
//      the broker is called; the client order id is the Kite tag.
//   2. A placement that fails with an unknown outcome (timeout after sending, dropped connection,
//      5xx) is never placed again by itself: the order is "in doubt" and is resolved by looking its
//      tag up in the order book, for as long as the broker may still act on the request
//      (ManagerOptions::in_doubt_resolve_ms after it was sent) and once more after the book has
//      settled (in_doubt_settle_ms later). Found -> that order is adopted; never found -> the
//      intent is closed as CANCELLED ("in_doubt_expired" event) with a critical alert naming it.
//      Later intents wait for the first in_doubt_ms only (the time a broker normally takes).
//   3. recover() treats every intent without a broker order id whose last placement request may
//      have reached the broker as in doubt (horizon counted from that request), so a kill between
//      sending and storing the broker id is resolved the same way; an intent surely never sent is
//      placed after one lookup.
//   4. Following an order, fills are stored before the order state that reports them, so an order
//      is never recorded as COMPLETE with a fill missing.
// Broker failures are handled here by class (broker/retry.h already retried what is safe to retry):
// rejections close the order as REJECTED and raise an alert; TokenException stops placing until
// token_renewed(); transport failures leave intents queued and retry later. Only database failures
// are returned as errors: without the database nothing can be done safely.
//
// Single-threaded: call everything from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/sleeper.h"
#include "core/corporate_action.h"
#include "core/log.h"
#include "core/messages.h"
#include "core/status.h"
#include "costs/cost_model.h"
#include "store/database.h"
#include "store/trading_records.h"
#include "time/clock.h"

namespace sm::order {

struct Difference;  // order/reconcile.h

struct ManagerOptions {
  std::string component = "sm-order";
  std::string variety = "regular";
  // How often open orders are polled (order book, then history and trades of changed orders).
  std::int64_t poll_interval_ms = 1000;
  // How long after a placement request was sent the broker normally acts on it: later intents wait
  // this long behind an order in doubt, then are placed while its lookups go on. Must exceed the
  // HTTP timeout.
  std::int64_t in_doubt_ms = 10000;
  // How long after a placement request was sent the broker may still act on it: an order in doubt
  // is looked up until then. REQUIRES: >= in_doubt_ms.
  std::int64_t in_doubt_resolve_ms = 180000;
  // After in_doubt_resolve_ms, one last lookup this much later (the order book has settled); an
  // order still not found is expired.
  std::int64_t in_doubt_settle_ms = 10000;
  // Between tag lookups while an order is in doubt.
  std::int64_t lookup_interval_ms = 500;
  // After the broker could not be reached (nothing sent), wait this long before placing again.
  std::int64_t retry_after_ms = 2000;
  // Without any broker contact for this long, probe it (GET /user/margins) so the heartbeat's
  // connectivity stays true.
  std::int64_t probe_interval_ms = 5000;
  // An intent that could not be placed for this long after it arrived (token expired, broker
  // unreachable) is closed as CANCELLED with an alert instead of being placed late; 0 = never.
  std::int64_t max_queue_ms = 120000;
  // Prices each live fill's charges (order/fill_charges.h); null records charges 0.
  std::shared_ptr<const costs::CostModel> cost_model;
  // Start even when reconciliation finds drift (otherwise recover() fails with kConflict).
  bool allow_drift = false;
  // While the broker cannot be reached, start-up reconciliation and connectivity probes are retried
  // after 1 s, then twice as long each time, up to this cap; the first answer resets the wait.
  std::int64_t max_reconnect_backoff_ms = 30000;
  // Bonuses and splits: start-up reconciliation first adjusts our positions for those due
  // (order/reconcile.h apply_due_corporate_actions), so the broker's adjusted holdings match.
  std::vector<CorporateAction> corporate_actions;
};

// Where the manager's messages go (order_update, fill, alert): the program writes them as NDJSON.
using EmitFn = std::function<void(const Message&)>;

enum class BrokerHealth { kUnknown, kConnected, kDisconnected, kAuthExpired };
std::string_view broker_health_name(
    BrokerHealth health);  // unknown, connected, disconnected, auth_expired

class OrderManager {
 public:
  // Does not own db, broker, clock or log; REQUIRES: they outlive the manager, db is opened with
  // synchronous=FULL.
  OrderManager(store::Database& db, broker::Broker& broker, const time::Clock& clock,
               ManagerOptions options, EmitFn emit, const Logger& log);

  // Start-up: reconciles with the broker, then queues every intent without a broker order id as in
  // doubt (resolved by tick() through tag lookups) and polls open orders. Returns true when done,
  // false when the broker could not be read (call again later; until the backoff has passed,
  // calls return false at once without contacting the broker), kConflict when reconciliation
  // found drift and allow_drift is off, or a database error. Intents submitted before it succeeds
  // are recorded and queued, and placed after it.
  Result<bool> recover();
  bool recovered() const { return recovered_; }

  // Handles one intent: records it durably, then places it now if placing is allowed (no order in
  // doubt, no earlier intent queued, token valid), else queues it. A second intent with the same
  // client_order_id and the same fields does nothing; one with different fields is refused
  // (logged, alerted) without touching the stored one. Fails only on database errors.
  Status submit(const OrderIntent& intent);

  // Group commit (issue 14): the intents read in one pass, handled as submit() handles each, in
  // order, but all recorded in ONE transaction (one fsync) before the first is placed. Each one
  // that is to be placed at once is recorded with its "submit_requested" event in that
  // transaction, so it is durable as possibly sent before any request leaves. One that cannot be
  // placed when its turn comes (an earlier one went in doubt, the broker went away or the token
  // expired) gets a "submit_deferred" event (surely not sent) and is queued. Cost of the
  // grouping: a crash between two placements of a pass leaves the later intents in doubt (looked
  // up, never placed twice) instead of placed. Fails only on database errors.
  Status submit_all(const std::vector<OrderIntent>& intents);

  // An approved intent that reaches sm-order too late (caught up from the risk gateway's record
  // after its age limit, order/catch_up.h): recorded with an "intent_expired" event and closed at
  // once as CANCELLED with a warning alert naming it; never placed. One already recorded (it did
  // arrive) is left alone. Fails only on database errors.
  Status expire(const OrderIntent& intent, const std::string& why);

  // Does whatever is due: resolves orders in doubt, places queued intents, polls open orders,
  // probes the broker. Call it whenever input is idle and at least every next_due_ms().
  Status tick();
  // Milliseconds until tick() (or, before recovery, recover()) next has something to do (0 = now).
  std::int64_t next_due_ms() const;

  // A verified postback (PostbackReceiver): the broker says order_id changed. Recorded as an
  // order event; an open order of ours is followed now (its history is the record, the postback
  // only the prompt), an in-doubt one looked up now. Others' orders are left to reconciliation.
  // Fails only on database errors.
  Status on_postback(const std::string& order_id, const std::string& tag,
                     const std::string& status);

  // The access token was replaced: placing may resume.
  void token_renewed();

  // Clean stop. With cancel_open, asks the broker to cancel every open order (intents never sent
  // are closed locally as CANCELLED unless in doubt) and follows them for at most wait_ms.
  Status shutdown(bool cancel_open, std::int64_t wait_ms);

  // The heartbeat now: status ok (broker connected, placing allowed), degraded (detail's "reason"
  // says why), or stopping; detail is a JSON object text (docs/ORDERS.md "Heartbeat"). Records it
  // in the database and emits it.
  Status beat(bool stopping = false);
  Heartbeat heartbeat(bool stopping = false) const;

  BrokerHealth health() const { return health_; }
  bool placing_blocked() const { return auth_blocked_; }
  size_t queued() const { return queue_.size(); }
  size_t in_doubt() const { return in_doubt_.size(); }
  // Open orders in the database as of the last tick (a placement counts at once, not only at
  // the next poll: the end-of-input check must not stop with a just-placed order unfollowed).
  size_t open_orders() const { return open_count_; }

  struct Counters {
    std::int64_t intents = 0;
    std::int64_t placed = 0;
    std::int64_t resolved_found = 0;      // in-doubt placements found at the broker
    std::int64_t resolved_not_found = 0;  // in-doubt placements never found: expired
    std::int64_t rejected = 0;
    std::int64_t fills = 0;
    std::int64_t illegal_transitions = 0;
    std::int64_t postbacks = 0;  // verified postbacks about orders of ours
    std::int64_t broker_errors = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  // What record_intent did with an intent.
  struct IntentRecording {
    bool is_new = false;  // false: a repeat, already recorded and handled or queued
    Status refusal;       // not ok when the store refused the intent (nothing recorded)
  };
  // Records intent inside tx. A refusal (its client order id names another order, or the store
  // cannot take it as given) rolls tx back and is logged as intent_refused: the caller goes on
  // with the next intent. Fails with any other store failure, after rolling tx back.
  Result<IntentRecording> record_intent(const OrderIntent& intent, store::Transaction& tx);
  // The order record_intent stored, read back after the commit.
  Result<store::OrderRecord> recorded_order(const std::string& client_order_id);
  Status place_front();
  Status place(const store::OrderRecord& order);
  Result<int> report_drift(const std::vector<Difference>& differences, TimestampMs now);
  Status resolve_in_doubt();
  Status poll_open();
  Status count_open();
  // Reads the order's history (and trades when its filled quantity grew) and stores what is new in
  // one transaction. link_to: the broker id just returned by a placement, stored in the same
  // transaction.
  Status follow(const store::OrderRecord& order, const std::string& link_to = {});
  // follow's steps. The order's trades, when its history reports more filled than we hold (none
  // when the broker fails to answer).
  std::vector<broker::Trade> trades_if_filled(const store::OrderRecord& order,
                                              const std::vector<broker::Order>& states);
  // Stores the trades as fills (the newly inserted ones go to new_fills). Returns the quantity the
  // stored fills account for: the order's filled quantity when there are no trades.
  Result<Quantity> record_trades(const store::OrderRecord& order,
                                 const std::vector<broker::Trade>& trades,
                                 std::vector<Fill>& new_fills);
  // Stores the states from start on that the recorded fills cover; what to write out goes to
  // to_emit, each new fill before the first state that reports it.
  Status apply_states(const store::OrderRecord& order, const std::vector<broker::Order>& states,
                      size_t start, Quantity recorded_fills, std::vector<Fill>& new_fills,
                      std::vector<Message>& to_emit);
  Status note_illegal_transition(const store::OrderRecord& order, const std::string& from_status,
                                 Quantity from_filled, const broker::Order& to,
                                 const Status& reason);
  // After the commit: writes out what follow stored and raises the alerts it found.
  void emit_followed(std::vector<Message>& to_emit);
  Status link(const store::OrderRecord& order, const std::string& broker_order_id,
              std::string_view event, const nlohmann::json& detail);
  Status reject_locally(const store::OrderRecord& order, const std::string& message);
  // Closes an intent that never reached the broker as CANCELLED, with an alert.
  Status close_unsent(const store::OrderRecord& order, const std::string& message);
  // Closes an intent the broker never took with status (REJECTED, CANCELLED): stored, logged and
  // alerted as event, written out.
  Status close_locally(const store::OrderRecord& order, std::string_view status,
                       std::string_view event, const std::string& message, std::string alert_text,
                       Severity severity = Severity::kWarning);
  // Closes an order in doubt that was never found at the broker (CANCELLED, critical alert).
  Status expire_in_doubt(const store::OrderRecord& order);
  // True while an order in doubt makes later intents wait.
  bool holding_queue() const;
  Status event(const std::string& client_order_id, std::string_view name, std::string_view status,
               const nlohmann::json& detail);
  void note_broker(const broker::BrokerError* error);
  // The wait before the next reconnection attempt; doubles it for the one after, up to the cap.
  std::int64_t next_reconnect_wait_ms();
  void raise_alert(Severity severity, std::string event, std::string text, std::string dedup_key);
  bool can_place() const;

  store::Database& db_;
  broker::Broker& broker_;
  const time::Clock& clock_;
  ManagerOptions options_;
  EmitFn emit_;
  const Logger& log_;

  bool recovered_ = false;
  bool auth_blocked_ = false;
  BrokerHealth health_ = BrokerHealth::kUnknown;
  TimestampMs last_contact_ms_ = 0;     // last time the broker answered
  TimestampMs down_since_ms_ = 0;       // first failure since the last answer; 0 while connected
  TimestampMs retry_at_ms_ = 0;         // no placing before this (broker unreachable)
  TimestampMs recover_at_ms_ = 0;       // no start-up reconciliation attempt before this
  std::int64_t reconnect_wait_ms_ = 0;  // next reconnection backoff; 0 = the first (1 s)
  std::string broker_problem_;          // the last broker failure's message, for the heartbeat
  bool reconcile_failure_logged_ = false;
  TimestampMs next_poll_ms_ = 0;
  TimestampMs next_lookup_ms_ = 0;
  TimestampMs next_probe_ms_ = 0;
  std::deque<std::string> queue_;  // intents without a broker id, oldest first
  struct InDoubt {
    TimestampMs hold_until = 0;   // later intents wait until a lookup at or after this misses it
    TimestampMs look_until = 0;   // lookups go on until this, then one more after the settle time
    bool outcome_unknown = true;  // false: surely never sent; one lookup settles it (then placed)
    bool holding = true;
  };
  std::map<std::string, InDoubt> in_doubt_;  // by client order id
  std::set<std::string> reported_illegal_;   // "id|status|filled" already recorded
  struct PendingAlert {
    Severity severity;
    std::string event;
    std::string text;
    std::string dedup_key;
  };
  std::vector<PendingAlert> pending_alerts_;  // raised after the transaction that found them
  size_t open_count_ = 0;
  bool open_count_stale_ = false;  // an order was linked to a broker id since the last count
  Counters counters_;
};

}  // namespace sm::order
