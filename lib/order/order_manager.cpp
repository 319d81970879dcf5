#include "order/order_manager.h"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "broker/types.h"
#include "core/stage_trace.h"
#include "order/fill_charges.h"
#include "order/reconcile.h"
#include "order/state_machine.h"
#include "store/ops_records.h"

namespace sm::order {
namespace {

using nlohmann::json;

json error_json(const broker::BrokerError& e) {
  json j = {{"code", error_code_name(e.code)}, {"message", e.message}, {"attempts", e.attempts}};
  if (!e.error_type.empty()) j["error_type"] = e.error_type;
  if (e.http_status > 0) j["http_status"] = e.http_status;
  if (e.outcome_unknown) j["outcome_unknown"] = true;
  return j;
}

broker::OrderRequest request_for(const OrderIntent& intent, const std::string& variety) {
  broker::OrderRequest r;
  r.variety = variety;
  r.exchange = intent.exchange;
  r.tradingsymbol = intent.symbol;
  r.side = intent.side;
  r.order_type = intent.order_type;
  r.product = intent.product;
  r.quantity = intent.qty;
  if (intent.order_type == OrderType::kLimit || intent.order_type == OrderType::kStopLoss)
    r.price = intent.price;
  if (intent.order_type == OrderType::kStopLoss ||
      intent.order_type == OrderType::kStopLossMarket) {
    r.trigger_price = intent.trigger_price;
  }
  r.tag = intent.client_order_id;
  return r;
}

// now: sm-order's clock, which stamps the update when the broker's order carries no time.
OrderUpdate update_from(const store::OrderRecord& ours, const broker::Order& o, TimestampMs now) {
  OrderUpdate u;
  u.ts = broker_state_time(o, now);
  u.recorded_ts = now;
  u.client_order_id = ours.intent.client_order_id;
  u.broker_order_id = o.order_id;
  u.symbol = ours.intent.symbol;
  u.side = ours.intent.side;
  u.status = o.status;
  u.qty = o.quantity > 0 ? o.quantity : ours.intent.qty;
  u.filled_qty = o.filled_quantity;
  u.pending_qty = o.pending_quantity;
  u.average_price = o.average_price;
  u.status_message = o.status_message;
  return u;
}

// An error with an HTTP status came from the broker (it is up); 429 included. Transport failures
// and 5xx mean we cannot trade through it right now.
bool broker_answered(const broker::BrokerError& e) {
  return e.http_status > 0 && e.http_status < 500;
}

bool transport_failure(const broker::BrokerError& e) {
  return (e.http_status == 0 || e.http_status >= 500) &&
         (e.code == ErrorCode::kNetworkError || e.code == ErrorCode::kTimeout ||
          e.code == ErrorCode::kUnavailable);
}

// The broker did not serve the request: no answer (or one we could not read), a server error, or
// its rate limit (HTTP 429). Not our own checks (a bad request, our client-side rate limit, an
// expired token found locally), which fail with http_status 0 and another code.
bool broker_failed(const broker::BrokerError& e) {
  if (e.http_status >= 500 || e.http_status == 429) return true;
  if (e.http_status != 0) return false;
  return e.code == ErrorCode::kNetworkError || e.code == ErrorCode::kTimeout ||
         e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kParseError;
}

}  // namespace

std::string_view broker_health_name(BrokerHealth health) {
  switch (health) {
    case BrokerHealth::kUnknown:
      return "unknown";
    case BrokerHealth::kConnected:
      return "connected";
    case BrokerHealth::kDisconnected:
      return "disconnected";
    case BrokerHealth::kAuthExpired:
      return "auth_expired";
  }
  return "unknown";
}

OrderManager::OrderManager(store::Database& db, broker::Broker& broker, const time::Clock& clock,
                           ManagerOptions options, EmitFn emit, const Logger& log)
    : db_(db),
      broker_(broker),
      clock_(clock),
      options_(std::move(options)),
      emit_(std::move(emit)),
      log_(log) {}

void OrderManager::note_broker(const broker::BrokerError* e) {
  const TimestampMs now = clock_.now_ms();
  if (e == nullptr || broker_answered(*e)) {
    last_contact_ms_ = now;
    down_since_ms_ = 0;
    reconnect_wait_ms_ = 0;
    if (e == nullptr) broker_problem_.clear();
    if (e != nullptr && e->code == ErrorCode::kAuthError) {
      health_ = BrokerHealth::kAuthExpired;
    } else if (!auth_blocked_) {
      if (health_ == BrokerHealth::kDisconnected) log_.info("broker_reconnected");
      health_ = BrokerHealth::kConnected;
    }
  } else if (e->code == ErrorCode::kAuthError) {
    // The local expiry check (the token died at 06:00 IST) answers without sending anything.
    health_ = BrokerHealth::kAuthExpired;
  } else if (transport_failure(*e)) {
    if (down_since_ms_ == 0) down_since_ms_ = now;
    if (health_ != BrokerHealth::kDisconnected && health_ != BrokerHealth::kAuthExpired) {
      log_.warn("broker_disconnected", {{"error", error_json(*e)}});
      health_ = BrokerHealth::kDisconnected;
    }
  }
  if (e != nullptr) {
    ++counters_.broker_errors;
    broker_problem_ = e->message;
  }
  if (e != nullptr && e->code == ErrorCode::kAuthError && !auth_blocked_) {
    auth_blocked_ = true;
    health_ = BrokerHealth::kAuthExpired;
    log_.error("token_invalid", {{"error", error_json(*e)}});
    raise_alert(Severity::kCritical, "broker_token_expired",
                "Kite rejected the access token: placing is stopped until `sm-order login` stores "
                "a new one (" +
                    e->message + ")",
                "broker_token_expired");
  }
}

void OrderManager::raise_alert(Severity severity, std::string event_name, std::string text,
                               std::string dedup_key) {
  Alert a;
  a.ts = clock_.now_ms();
  a.severity = severity;
  a.component = options_.component;
  a.event = std::move(event_name);
  a.text = std::move(text);
  a.dedup_key = std::move(dedup_key);
  Result<bool> recorded = store::record_alert(db_, a);
  if (!recorded.ok()) log_.error_status("alert_not_recorded", recorded.status());
  emit_(a);
}

Status OrderManager::event(const std::string& client_order_id, std::string_view name,
                           std::string_view status, const json& detail) {
  return store::append_order_event(db_, {client_order_id, clock_.now_ms(), std::string(name),
                                         std::string(status), detail.dump()});
}

std::int64_t OrderManager::next_reconnect_wait_ms() {
  const std::int64_t cap = std::max<std::int64_t>(1, options_.max_reconnect_backoff_ms);
  const std::int64_t wait =
      reconnect_wait_ms_ > 0 ? reconnect_wait_ms_ : std::min<std::int64_t>(1000, cap);
  reconnect_wait_ms_ = std::min(wait * 2, cap);
  return wait;
}

bool OrderManager::holding_queue() const {
  return std::any_of(in_doubt_.begin(), in_doubt_.end(),
                     [](const auto& entry) { return entry.second.holding; });
}

bool OrderManager::can_place() const {
  return recovered_ && !auth_blocked_ && !holding_queue() && clock_.now_ms() >= retry_at_ms_;
}

void OrderManager::token_renewed() {
  if (auth_blocked_) log_.info("token_renewed", {{"queued", queue_.size()}});
  auth_blocked_ = false;
  health_ = BrokerHealth::kUnknown;
  retry_at_ms_ = 0;
  recover_at_ms_ = 0;
  next_poll_ms_ = 0;
  next_lookup_ms_ = 0;
}

// Logs every difference and alerts on those that are drift; with drift not allowed, drift is an
// error (sm-order must not trade on a state it cannot trust). Returns how many are drift.
Result<int> OrderManager::report_drift(const std::vector<Difference>& differences,
                                       TimestampMs now) {
  for (const Difference& d : differences) {
    log_.log(d.drift ? LogLevel::kWarning : LogLevel::kInfo, "reconcile_difference",
             json::parse(difference_to_json(d, now)));
  }
  const int drift = count_drift(differences);
  if (drift > 0) {
    raise_alert(
        Severity::kCritical, "reconcile_drift",
        fmt::format(
            "{} difference{} between the database and the broker that sm-order cannot settle; "
            "run sm-reconcile (--apply adopts the broker's state)",
            drift, drift == 1 ? "" : "s"),
        "reconcile_drift");
    if (!options_.allow_drift) {
      return error(ErrorCode::kConflict,
                   fmt::format("reconciliation found {} unresolved difference{}", drift,
                               drift == 1 ? "" : "s"));
    }
  }
  return drift;
}

Result<bool> OrderManager::recover() {
  const TimestampMs now = clock_.now_ms();
  if (now < recover_at_ms_) return false;
  SM_RETURN_IF_ERROR(
      apply_due_corporate_actions(db_, options_.corporate_actions, now, options_.component, log_));
  Result<Snapshot> snapshot = take_snapshot(db_, broker_, now);
  if (!snapshot.ok()) {
    const ErrorCode code = snapshot.status().code();
    if (code == ErrorCode::kDatabaseError || code == ErrorCode::kInternal) return snapshot.status();
    broker::BrokerError e;
    e.code = code;
    e.message = snapshot.status().message();
    note_broker(&e);
    // Once per outage, like broker_disconnected: the heartbeat carries the state meanwhile.
    if (!reconcile_failure_logged_) {
      log_.warn("reconcile_unavailable", {{"message", snapshot.status().message()}});
      reconcile_failure_logged_ = true;
    }
    recover_at_ms_ = clock_.now_ms() + next_reconnect_wait_ms();
    return false;
  }
  note_broker(nullptr);
  const std::vector<Difference> differences = compare(*snapshot);
  // The broker's auto square-off of our MIS positions is expected: recorded, not drift.
  if (Result<ApplyReport> known =
          record_known_classes(db_, *snapshot, differences, now, options_.cost_model.get());
      !known.ok()) {
    return known.status();
  }
  Result<int> drift = report_drift(differences, now);
  if (!drift.ok()) return drift.status();

  Result<std::vector<store::OrderRecord>> open = store::list_open_orders(db_);
  if (!open.ok()) return open.status();
  queue_.clear();
  in_doubt_.clear();
  for (const store::OrderRecord& o : *open) {
    if (!o.broker_order_id.empty()) continue;
    Result<std::vector<store::OrderEvent>> events =
        store::order_events(db_, o.intent.client_order_id);
    if (!events.ok()) return events.status();
    // The horizon runs from the last request that may have reached the broker. A known failure
    // (nothing sent) or a lookup of a never-sent intent ends the doubt.
    InDoubt doubt{now, now, false, true};
    for (const store::OrderEvent& e : *events) {
      if (e.event == "submit_requested" || e.event == "submit_unknown") {
        doubt = {std::max(now, e.ts + options_.in_doubt_ms),
                 std::max(now, e.ts + options_.in_doubt_resolve_ms), true, true};
      } else if (e.event == "submit_failed" || e.event == "submit_deferred" ||
                 e.event == "resolved") {
        doubt = {now, now, false, true};
      }
    }
    if (!doubt.outcome_unknown) queue_.push_back(o.intent.client_order_id);
    in_doubt_[o.intent.client_order_id] = doubt;
  }
  recovered_ = true;
  next_poll_ms_ = 0;
  next_lookup_ms_ = 0;
  log_.info("recovered", {{"differences", differences.size()},
                          {"drift", *drift},
                          {"to_resolve", in_doubt_.size()},
                          {"open_orders", open->size()}});
  if (!in_doubt_.empty()) SM_RETURN_IF_ERROR(resolve_in_doubt());
  SM_RETURN_IF_ERROR(poll_open());
  return true;
}

Result<OrderManager::IntentRecording> OrderManager::record_intent(const OrderIntent& intent,
                                                                  store::Transaction& tx) {
  Result<bool> recorded = store::upsert_order_intent(db_, intent);
  if (recorded.ok()) return IntentRecording{*recorded, Status()};
  tx.rollback();
  if (recorded.status().code() != ErrorCode::kConflict &&
      recorded.status().code() != ErrorCode::kInvalidArgument) {
    return recorded.status();
  }
  log_.error_status("intent_refused", recorded.status(),
                    {{"client_order_id", intent.client_order_id}});
  return IntentRecording{false, recorded.status()};
}

Result<store::OrderRecord> OrderManager::recorded_order(const std::string& client_order_id) {
  Result<std::optional<store::OrderRecord>> stored = store::find_order(db_, client_order_id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return error(ErrorCode::kInternal, "intent vanished after recording");
  return std::move(**stored);
}

Status OrderManager::submit(const OrderIntent& intent) {
  ++counters_.intents;
  const bool placeable = broker::validate_tag(intent.client_order_id).ok();
  const bool place_now = placeable && can_place() && queue_.empty();
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  Result<IntentRecording> recording = record_intent(intent, *tx);
  if (!recording.ok()) return recording.status();
  if (!recording->refusal.ok()) {
    raise_alert(
        Severity::kWarning, "intent_refused",
        fmt::format("intent {} refused: {}", intent.client_order_id, recording->refusal.message()),
        "intent_refused:" + intent.client_order_id);
    return Status();
  }
  if (!recording->is_new) {
    // A repeat (a restarted upstream re-sending its output): already recorded and handled or
    // queued.
    log_.debug("intent_repeated", {{"client_order_id", intent.client_order_id}});
    return tx->commit();
  }
  // Either way the order gets an event stamped with our clock: the age of a queued intent is
  // measured from it (intent.ts may be market time, e.g. in a replay).
  if (placeable) {
    SM_RETURN_IF_ERROR(
        event(intent.client_order_id, place_now ? "submit_requested" : "queued", kStatusPending,
              place_now ? nlohmann::json{{"attempt", 1}} : nlohmann::json::object()));
  }
  SM_RETURN_IF_ERROR(tx->commit());
  stage_trace().mark("order.durable", intent.symbol);
  Result<store::OrderRecord> stored = recorded_order(intent.client_order_id);
  if (!stored.ok()) return stored.status();
  if (!placeable) {
    return reject_locally(*stored, broker::validate_tag(intent.client_order_id).message() +
                                       " (the client order id is sent as the Kite tag)");
  }
  if (place_now) return place(*stored);
  queue_.push_back(intent.client_order_id);
  log_.info("intent_queued",
            {{"client_order_id", intent.client_order_id},
             {"reason", auth_blocked_                          ? "token expired"
                        : holding_queue()                      ? "an earlier placement is in doubt"
                        : !queue_.empty() && queue_.size() > 1 ? "earlier intents queued"
                                                               : "broker unreachable"}});
  return Status();
}

Status OrderManager::submit_all(const std::vector<OrderIntent>& intents) {
  if (intents.size() == 1) return submit(intents.front());
  const bool place_now = can_place() && queue_.empty();
  std::vector<const OrderIntent*> fresh;
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  for (const OrderIntent& intent : intents) {
    ++counters_.intents;
    // Each in a savepoint: a refused intent is rolled back alone.
    Result<store::Transaction> one = db_.begin();
    if (!one.ok()) return one.status();
    Result<IntentRecording> recording = record_intent(intent, *one);
    if (!recording.ok()) return recording.status();
    if (!recording->refusal.ok()) {
      raise_alert(Severity::kWarning, "intent_refused",
                  fmt::format("intent {} refused: {}", intent.client_order_id,
                              recording->refusal.message()),
                  "intent_refused:" + intent.client_order_id);
      continue;
    }
    if (recording->is_new && broker::validate_tag(intent.client_order_id).ok()) {
      SM_RETURN_IF_ERROR(
          event(intent.client_order_id, place_now ? "submit_requested" : "queued", kStatusPending,
                place_now ? nlohmann::json{{"attempt", 1}} : nlohmann::json::object()));
    }
    SM_RETURN_IF_ERROR(one->commit());
    if (recording->is_new) {
      fresh.push_back(&intent);
    } else {
      log_.debug("intent_repeated", {{"client_order_id", intent.client_order_id}});
    }
  }
  SM_RETURN_IF_ERROR(tx->commit());
  for (const OrderIntent* intent : fresh) stage_trace().mark("order.durable", intent->symbol);
  for (const OrderIntent* intent : fresh) {
    const std::string& id = intent->client_order_id;
    Result<store::OrderRecord> stored = recorded_order(id);
    if (!stored.ok()) return stored.status();
    if (Status tag = broker::validate_tag(id); !tag.ok()) {
      SM_RETURN_IF_ERROR(reject_locally(
          *stored, tag.message() + " (the client order id is sent as the Kite tag)"));
      continue;
    }
    if (place_now && can_place() && queue_.empty()) {
      SM_RETURN_IF_ERROR(place(*stored));
      continue;
    }
    if (place_now) {
      // Recorded as possibly sent, but it was not: say so, or a restart would take it for a
      // placement in doubt.
      SM_RETURN_IF_ERROR(event(id, "submit_deferred", kStatusPending,
                               {{"reason",
                                 "an earlier intent of the same input could not be "
                                 "placed; queued behind it"}}));
    }
    queue_.push_back(id);
    log_.info("intent_queued", {{"client_order_id", id},
                                {"reason", auth_blocked_       ? "token expired"
                                           : holding_queue()   ? "an earlier placement is in doubt"
                                           : queue_.size() > 1 ? "earlier intents queued"
                                                               : "broker unreachable"}});
  }
  return Status();
}

Status OrderManager::expire(const OrderIntent& intent, const std::string& why) {
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  Result<IntentRecording> recording = record_intent(intent, *tx);
  if (!recording.ok()) return recording.status();
  if (!recording->refusal.ok()) return Status();
  if (!recording->is_new) return tx->commit();  // it arrived after all: handled by submit()
  SM_RETURN_IF_ERROR(
      event(intent.client_order_id, "intent_expired", kStatusPending, {{"reason", why}}));
  SM_RETURN_IF_ERROR(tx->commit());
  Result<store::OrderRecord> stored = recorded_order(intent.client_order_id);
  if (!stored.ok()) return stored.status();
  return close_locally(
      *stored, broker::kStatusCancelled, "intent_expired", why,
      fmt::format("{} {} {} ({}) expired before it was placed: {}", side_name(intent.side),
                  intent.qty, intent.symbol, intent.client_order_id, why));
}

Status OrderManager::place_front() {
  while (!queue_.empty() && can_place()) {
    Result<std::optional<store::OrderRecord>> found = store::find_order(db_, queue_.front());
    if (!found.ok()) return found.status();
    if (!found->has_value() || !(*found)->broker_order_id.empty() ||
        store::is_terminal_order_status((*found)->status)) {
      queue_.pop_front();
      continue;
    }
    Result<std::vector<store::OrderEvent>> events = store::order_events(db_, queue_.front());
    if (!events.ok()) return events.status();
    // A request deferred before it was sent (submit_all) was not an attempt.
    const auto attempts =
        std::count_if(events->begin(), events->end(),
                      [](const store::OrderEvent& e) { return e.event == "submit_requested"; }) -
        std::count_if(events->begin(), events->end(),
                      [](const store::OrderEvent& e) { return e.event == "submit_deferred"; });
    // The risk gateway approved this intent for the market as it was then. One that could not be
    // placed for longer than max_queue_ms (token expired, broker away) is dropped, not placed
    // late. A queued intent surely never reached the broker (one in doubt is never queued).
    TimestampMs arrived = 0;
    for (const store::OrderEvent& e : *events) {
      if (e.event == "queued" || e.event == "submit_requested") {
        arrived = e.ts;
        break;
      }
    }
    if (options_.max_queue_ms > 0 && arrived > 0 &&
        clock_.now_ms() - arrived > options_.max_queue_ms) {
      const store::OrderRecord stale = **found;
      queue_.pop_front();
      SM_RETURN_IF_ERROR(close_unsent(
          stale, fmt::format("not placed within {} s of arriving (broker unreachable or token "
                             "expired): dropped, not placed late",
                             options_.max_queue_ms / 1000)));
      continue;
    }
    SM_RETURN_IF_ERROR(
        event(queue_.front(), "submit_requested", kStatusPending, {{"attempt", attempts + 1}}));
    const store::OrderRecord order = **found;
    queue_.pop_front();
    SM_RETURN_IF_ERROR(place(order));
  }
  return Status();
}

Status OrderManager::place(const store::OrderRecord& order) {
  const std::string& id = order.intent.client_order_id;
  const TimestampMs sent_ms = clock_.now_ms();
  broker::OrderRequest request = request_for(order.intent, options_.variety);
  stage_trace().mark("order.sent", order.intent.symbol);
  broker::BrokerResult<std::string> placed = broker_.place_order(request);
  stage_trace().mark("order.answered", order.intent.symbol);
  if (placed.ok()) {
    note_broker(nullptr);
    ++counters_.placed;
    // The broker id is stored together with the first states (one commit); a crash before that
    // commit is settled at start-up by looking the tag up.
    return follow(order, *placed);
  }
  const broker::BrokerError& e = placed.error();
  note_broker(&e);
  // A placement the broker failed to serve is an error (stored as data by the program, so sm-risk's
  // error-rate switch counts it); one it refused, or that our own checks stopped, is a warning.
  // Probes and lookups while it is away are not counted: the broker-disconnected switch covers
  // those, and only during the session.
  const LogLevel level = broker_failed(e) ? LogLevel::kError : LogLevel::kWarning;
  const json problem = {{"client_order_id", id},
                        {"code", error_code_name(e.code)},
                        {"message", e.message},
                        {"error", error_json(e)}};
  if (e.outcome_unknown) {
    log_.log(level, "placement_in_doubt", problem);
    SM_RETURN_IF_ERROR(event(id, "submit_unknown", kStatusPending, {{"error", error_json(e)}}));
    // Never queued again: only a lookup of its tag settles it (or its expiry).
    in_doubt_[id] = {sent_ms + options_.in_doubt_ms, sent_ms + options_.in_doubt_resolve_ms, true,
                     true};
    next_lookup_ms_ = 0;
    return resolve_in_doubt();
  }
  const bool retry_later = e.code == ErrorCode::kAuthError || e.code == ErrorCode::kNetworkError ||
                           e.code == ErrorCode::kTimeout || e.code == ErrorCode::kRateLimited ||
                           e.code == ErrorCode::kUnavailable;
  SM_RETURN_IF_ERROR(event(id, "submit_failed", kStatusPending,
                           {{"error", error_json(e)}, {"will_retry", retry_later}}));
  if (retry_later) {
    // Nothing was placed (the request never arrived, or was refused unread): keep it first in line.
    queue_.push_front(id);
    if (e.code != ErrorCode::kAuthError) retry_at_ms_ = clock_.now_ms() + options_.retry_after_ms;
    log_.log(level, "placement_postponed", problem);
    return Status();
  }
  // The broker refused the order itself (Input/Order/Margin/Holding/Permission exception, or our
  // own check), or failed it in a way a retry would not change (a server's GeneralException).
  if (level == LogLevel::kError) log_.error("placement_failed", problem);
  return reject_locally(order, e.status().message());
}

Status OrderManager::reject_locally(const store::OrderRecord& order, const std::string& message) {
  const OrderIntent& in = order.intent;
  Status closed = close_locally(order, broker::kStatusRejected, "order_rejected", message,
                                fmt::format("{} {} {} ({}) rejected: {}", side_name(in.side),
                                            in.qty, in.symbol, in.client_order_id, message));
  if (closed.ok()) ++counters_.rejected;
  return closed;
}

Status OrderManager::close_locally(const store::OrderRecord& order, std::string_view status,
                                   std::string_view event, const std::string& message,
                                   std::string alert_text, Severity severity) {
  OrderUpdate u;
  u.ts = clock_.now_ms();
  u.recorded_ts = u.ts;
  u.client_order_id = order.intent.client_order_id;
  u.symbol = order.intent.symbol;
  u.side = order.intent.side;
  u.status = std::string(status);
  u.qty = order.intent.qty;
  u.status_message = message;
  Result<bool> applied = store::apply_order_update(db_, u);
  if (!applied.ok()) return applied.status();
  log_.warn(event, {{"client_order_id", u.client_order_id}, {"message", message}});
  emit_(u);
  raise_alert(severity, std::string(event), std::move(alert_text),
              std::string(event) + ":" + u.client_order_id);
  return Status();
}

Status OrderManager::expire_in_doubt(const store::OrderRecord& order) {
  const OrderIntent& in = order.intent;
  const std::string message = fmt::format(
      "placement outcome unknown and no order with tag {} at the broker {} s after the request: "
      "expired, not placed again",
      in.client_order_id, (options_.in_doubt_resolve_ms + options_.in_doubt_settle_ms) / 1000);
  // The event and the closing state in one commit: a restart in between would expire it twice.
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  SM_RETURN_IF_ERROR(event(in.client_order_id, "in_doubt_expired", order.status,
                           {{"found", false}, {"message", message}}));
  SM_RETURN_IF_ERROR(
      close_locally(order, broker::kStatusCancelled, "in_doubt_expired", message,
                    fmt::format("{} {} {} ({}): {}; check the broker's order book",
                                side_name(in.side), in.qty, in.symbol, in.client_order_id, message),
                    Severity::kCritical));
  return tx->commit();
}

Status OrderManager::link(const store::OrderRecord& order, const std::string& broker_order_id,
                          std::string_view name, const json& detail) {
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  OrderUpdate u;
  u.ts = clock_.now_ms();
  u.recorded_ts = u.ts;
  u.client_order_id = order.intent.client_order_id;
  u.broker_order_id = broker_order_id;
  u.symbol = order.intent.symbol;
  u.side = order.intent.side;
  u.qty = order.intent.qty;
  u.filled_qty = order.filled_qty;
  u.average_price = order.average_price;
  u.status_message = order.status_message;
  Result<bool> applied = store::apply_order_update(db_, u);  // empty status: stays PENDING
  if (!applied.ok()) return applied.status();
  SM_RETURN_IF_ERROR(event(order.intent.client_order_id, name, order.status, detail));
  open_count_stale_ = true;
  return tx->commit();
}

Status OrderManager::resolve_in_doubt() {
  if (in_doubt_.empty() || auth_blocked_ || clock_.now_ms() < next_lookup_ms_) return Status();
  next_lookup_ms_ = clock_.now_ms() + options_.lookup_interval_ms;
  broker::BrokerResult<std::vector<broker::Order>> book = broker_.orders();
  if (!book.ok()) {
    note_broker(&book.error());
    log_.warn("lookup_failed",
              {{"in_doubt", in_doubt_.size()}, {"error", error_json(book.error())}});
    return Status();
  }
  note_broker(nullptr);
  // The first order placed with a tag is the one that counts (broker::find_order_by_tag's rule).
  std::unordered_map<std::string, const broker::Order*> by_tag;
  for (const broker::Order& o : *book) {
    if (o.tag.empty()) continue;
    auto [it, fresh] = by_tag.emplace(o.tag, &o);
    if (!fresh && o.order_timestamp < it->second->order_timestamp) it->second = &o;
  }
  const TimestampMs now = clock_.now_ms();
  TimestampMs next_lookup = 0;  // the earliest lookup an entry still needs; 0 = none
  for (auto it = in_doubt_.begin(); it != in_doubt_.end();) {
    const std::string id = it->first;
    InDoubt& doubt = it->second;
    Result<std::optional<store::OrderRecord>> ours = store::find_order(db_, id);
    if (!ours.ok()) return ours.status();
    if (!ours->has_value() || !(*ours)->broker_order_id.empty() ||
        store::is_terminal_order_status((*ours)->status)) {
      it = in_doubt_.erase(it);
      continue;
    }
    auto found = by_tag.find(id);
    if (found != by_tag.end()) {
      ++counters_.resolved_found;
      log_.info(
          "in_doubt_resolved",
          {{"client_order_id", id}, {"found", true}, {"broker_order_id", found->second->order_id}});
      SM_RETURN_IF_ERROR(link(**ours, found->second->order_id, "resolved",
                              {{"found", true}, {"broker_order_id", found->second->order_id}}));
      queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
      it = in_doubt_.erase(it);
      next_poll_ms_ = 0;
      continue;
    }
    if (!doubt.outcome_unknown) {
      // Surely never sent and not at the broker: it stays queued and is placed.
      log_.info("in_doubt_resolved", {{"client_order_id", id}, {"found", false}});
      SM_RETURN_IF_ERROR(event(id, "resolved", kStatusPending, {{"found", false}}));
      it = in_doubt_.erase(it);
      continue;
    }
    if (now >= doubt.hold_until && doubt.holding) {
      doubt.holding = false;
      log_.warn("in_doubt_unresolved", {
                                           {"client_order_id", id},
                                           {"looking_until", format_utc(doubt.look_until)},
                                       });
    }
    const TimestampMs final_lookup = doubt.look_until + options_.in_doubt_settle_ms;
    if (now >= final_lookup) {
      ++counters_.resolved_not_found;
      const store::OrderRecord order = **ours;
      it = in_doubt_.erase(it);
      SM_RETURN_IF_ERROR(expire_in_doubt(order));
      continue;
    }
    // Until the horizon every lookup_interval_ms; past it, once more when the book has settled.
    const TimestampMs due =
        now < doubt.look_until ? now + options_.lookup_interval_ms : final_lookup;
    next_lookup = next_lookup == 0 ? due : std::min(next_lookup, due);
    ++it;
  }
  if (next_lookup > 0) next_lookup_ms_ = next_lookup;
  return Status();
}

Status OrderManager::count_open() {
  Result<std::int64_t> open = store::count_open_orders(db_);
  if (!open.ok()) return open.status();
  open_count_ = static_cast<size_t>(*open);
  open_count_stale_ = false;
  return Status();
}

Status OrderManager::poll_open() {
  next_poll_ms_ = clock_.now_ms() + options_.poll_interval_ms;
  Result<std::vector<store::OrderRecord>> open = store::list_open_orders(db_);
  if (!open.ok()) return open.status();
  open_count_ = open->size();
  open_count_stale_ = false;
  std::vector<const store::OrderRecord*> placed;
  for (const store::OrderRecord& o : *open) {
    if (!o.broker_order_id.empty()) placed.push_back(&o);
  }
  if (placed.empty()) return Status();
  // With several open orders one book request tells which changed; only those need their history.
  std::unordered_map<std::string, broker::Order> book;
  if (placed.size() > 1) {
    broker::BrokerResult<std::vector<broker::Order>> fetched = broker_.orders();
    if (!fetched.ok()) {
      note_broker(&fetched.error());
      return Status();
    }
    note_broker(nullptr);
    for (broker::Order& o : fetched.value()) book.emplace(o.order_id, std::move(o));
  }
  for (const store::OrderRecord* o : placed) {
    if (placed.size() > 1) {
      auto it = book.find(o->broker_order_id);
      if (it != book.end() && it->second.status == o->status &&
          it->second.filled_quantity == o->filled_qty) {
        continue;
      }
    }
    SM_RETURN_IF_ERROR(follow(*o));
    if (auth_blocked_) break;
  }
  return Status();
}

namespace {

// The index of the first state after the last one we already hold (a restart re-reads the whole
// history).
size_t resume_index(const store::OrderRecord& order, const std::vector<broker::Order>& states) {
  if (order.status == kStatusPending || states.empty()) return 0;
  for (size_t i = states.size(); i-- > 0;) {
    if (states[i].status == order.status && states[i].filled_quantity == order.filled_qty) {
      return i + 1;
    }
  }
  return states.size() - 1;
}

}  // namespace

std::vector<broker::Trade> OrderManager::trades_if_filled(
    const store::OrderRecord& order, const std::vector<broker::Order>& states) {
  if (states.empty() || states.back().filled_quantity <= order.filled_qty) return {};
  broker::BrokerResult<std::vector<broker::Trade>> fetched =
      broker_.order_trades(order.broker_order_id);
  if (!fetched.ok()) {
    note_broker(&fetched.error());
    return {};
  }
  return std::move(fetched.value());
}

Result<Quantity> OrderManager::record_trades(const store::OrderRecord& order,
                                             const std::vector<broker::Trade>& trades,
                                             std::vector<Fill>& new_fills) {
  if (trades.empty()) return order.filled_qty;
  Quantity recorded_fills = 0;
  for (const broker::Trade& t : trades) {
    Fill f;
    f.ts = t.fill_timestamp > 0       ? t.fill_timestamp
           : t.exchange_timestamp > 0 ? t.exchange_timestamp
                                      : clock_.now_ms();
    f.client_order_id = order.intent.client_order_id;
    f.broker_order_id = order.broker_order_id;
    f.trade_id = t.trade_id;
    f.strategy = order.intent.strategy;
    f.symbol = order.intent.symbol;
    f.side = order.intent.side;
    f.qty = t.quantity;
    f.price = t.average_price;
    if (options_.cost_model) {
      Result<costs::Charges> charges =
          fill_charges(db_, *options_.cost_model, f, order.intent.product);
      if (charges.ok()) {
        f.charges = charges->total();
      } else if (charges.status().code() == ErrorCode::kDatabaseError) {
        return charges.status();
      } else {
        // Stored anyway: a fill is a fact; its charges are then missing from net P&L.
        log_.error_status("charges_unavailable", charges.status(), {{"trade_id", t.trade_id}});
      }
    }
    Result<store::FillOutcome> outcome = store::insert_fill(db_, f);
    if (!outcome.ok()) {
      if (outcome.status().code() == ErrorCode::kDatabaseError) return outcome.status();
      log_.error_status("fill_refused", outcome.status(), {{"trade_id", t.trade_id}});
      continue;
    }
    recorded_fills += t.quantity;
    if (outcome->inserted) new_fills.push_back(f);
  }
  return recorded_fills;
}

// An illegal transition is recorded and alerted once per (order, state, filled), however often
// the broker repeats it.
Status OrderManager::note_illegal_transition(const store::OrderRecord& order,
                                             const std::string& from_status, Quantity from_filled,
                                             const broker::Order& to, const Status& reason) {
  const std::string& id = order.intent.client_order_id;
  const std::string key = fmt::format("{}|{}|{}", id, to.status, to.filled_quantity);
  if (!reported_illegal_.insert(key).second) return Status();
  ++counters_.illegal_transitions;
  log_.error("illegal_transition", {{"client_order_id", id},
                                    {"broker_order_id", order.broker_order_id},
                                    {"message", reason.message()}});
  SM_RETURN_IF_ERROR(event(id, "illegal_transition", from_status,
                           {{"from", from_status},
                            {"to", to.status},
                            {"from_filled", from_filled},
                            {"to_filled", to.filled_quantity},
                            {"reason", reason.message()}}));
  pending_alerts_.push_back({Severity::kWarning, "illegal_transition",
                             fmt::format("order {} ({}): broker reported {}; ignored", id,
                                         order.broker_order_id, reason.message()),
                             key});
  return Status();
}

Status OrderManager::apply_states(const store::OrderRecord& order,
                                  const std::vector<broker::Order>& states, size_t start,
                                  Quantity recorded_fills, std::vector<Fill>& new_fills,
                                  std::vector<Message>& to_emit) {
  const std::string& id = order.intent.client_order_id;
  std::string status = order.status;
  Quantity filled = order.filled_qty;
  for (size_t i = start; i < states.size(); ++i) {
    const broker::Order& s = states[i];
    if (s.filled_quantity > recorded_fills) break;  // the broker's trades lag its order state
    Status legal = check_transition(status, filled, s.status, s.filled_quantity);
    if (!legal.ok()) {
      SM_RETURN_IF_ERROR(note_illegal_transition(order, status, filled, s, legal));
      continue;
    }
    const OrderUpdate u = update_from(order, s, clock_.now_ms());
    Result<bool> applied = store::apply_order_update(db_, u);
    if (!applied.ok()) return applied.status();
    status = s.status;
    filled = s.filled_quantity;
    if (!*applied) continue;
    if (s.filled_quantity > order.filled_qty) {
      for (Fill& f : new_fills) to_emit.emplace_back(std::move(f));
      new_fills.clear();
    }
    to_emit.emplace_back(u);
    if (s.status == broker::kStatusRejected) {
      ++counters_.rejected;
      pending_alerts_.push_back(
          {Severity::kWarning, "order_rejected",
           fmt::format("{} {} {} ({}) rejected by the broker: {}", side_name(order.intent.side),
                       order.intent.qty, order.intent.symbol, id,
                       s.status_message.empty() ? s.status_message_raw : s.status_message),
           "order_rejected:" + id});
    }
  }
  return Status();
}

void OrderManager::emit_followed(std::vector<Message>& to_emit) {
  for (const Message& m : to_emit) {
    if (std::holds_alternative<Fill>(m)) ++counters_.fills;
    emit_(m);
  }
  std::vector<PendingAlert> alerts = std::move(pending_alerts_);
  pending_alerts_.clear();
  for (PendingAlert& a : alerts)
    raise_alert(a.severity, std::move(a.event), std::move(a.text), std::move(a.dedup_key));
}

Status OrderManager::follow(const store::OrderRecord& stored, const std::string& link_to) {
  store::OrderRecord order = stored;
  if (!link_to.empty()) order.broker_order_id = link_to;
  broker::BrokerResult<std::vector<broker::Order>> history =
      broker_.order_history(order.broker_order_id);
  if (!history.ok()) {
    note_broker(&history.error());
    log_.warn("history_failed", {{"client_order_id", order.intent.client_order_id},
                                 {"broker_order_id", order.broker_order_id},
                                 {"error", error_json(history.error())}});
    if (!link_to.empty()) return link(stored, link_to, "placed", {{"broker_order_id", link_to}});
    return Status();
  }
  note_broker(nullptr);
  const std::vector<broker::Order>& states = *history;
  const size_t start = resume_index(order, states);

  // Fills first: an order state is stored only once every fill it reports is stored. Everything
  // this history read brings is one transaction (one fsync), and goes to stdout after the commit.
  const std::vector<broker::Trade> trades = trades_if_filled(order, states);
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  if (!link_to.empty())
    SM_RETURN_IF_ERROR(link(stored, link_to, "placed", {{"broker_order_id", link_to}}));
  std::vector<Fill> new_fills;
  Result<Quantity> recorded_fills = record_trades(order, trades, new_fills);
  if (!recorded_fills.ok()) return recorded_fills.status();
  std::vector<Message> to_emit;
  SM_RETURN_IF_ERROR(apply_states(order, states, start, *recorded_fills, new_fills, to_emit));
  for (Fill& f : new_fills) to_emit.emplace_back(std::move(f));
  SM_RETURN_IF_ERROR(tx->commit());
  emit_followed(to_emit);
  return Status();
}

Status OrderManager::on_postback(const std::string& order_id, const std::string& tag,
                                 const std::string& status) {
  Result<std::optional<store::OrderRecord>> ours = store::find_order_by_broker_id(db_, order_id);
  if (!ours.ok()) return ours.status();
  if (!ours->has_value() && !tag.empty()) {
    // Not linked yet: an intent whose placement answer we have not stored (or never got).
    ours = store::find_order(db_, tag);
    if (!ours.ok()) return ours.status();
  }
  if (!ours->has_value()) {
    log_.info("postback_not_ours", {{"broker_order_id", order_id}, {"status", status}});
    return Status();
  }
  const store::OrderRecord& order = **ours;
  const std::string& id = order.intent.client_order_id;
  ++counters_.postbacks;
  SM_RETURN_IF_ERROR(
      event(id, "postback", order.status, {{"broker_order_id", order_id}, {"status", status}}));
  if (order.broker_order_id.empty()) {
    if (in_doubt_.count(id) > 0) next_lookup_ms_ = 0;
    return Status();
  }
  if (store::is_terminal_order_status(order.status) || !recovered_ || auth_blocked_)
    return Status();
  return follow(order);
}

Status OrderManager::tick() {
  if (!recovered_) return Status();
  SM_RETURN_IF_ERROR(resolve_in_doubt());
  SM_RETURN_IF_ERROR(place_front());
  if (clock_.now_ms() >= next_poll_ms_ && !auth_blocked_) SM_RETURN_IF_ERROR(poll_open());
  if (open_count_stale_) SM_RETURN_IF_ERROR(count_open());
  const TimestampMs now = clock_.now_ms();
  if (!auth_blocked_ && now - last_contact_ms_ >= options_.probe_interval_ms &&
      now >= next_probe_ms_) {
    broker::BrokerResult<broker::Margins> probe = broker_.margins();
    note_broker(probe.ok() ? nullptr : &probe.error());
    // While the broker is away, probe after 1 s, then backing off up to the cap, so the heartbeat
    // shows its return promptly without hammering a broker that is down for long.
    next_probe_ms_ =
        clock_.now_ms() + (probe.ok() ? options_.probe_interval_ms : next_reconnect_wait_ms());
  }
  return Status();
}

std::int64_t OrderManager::next_due_ms() const {
  const TimestampMs now = clock_.now_ms();
  if (!recovered_) return std::max<std::int64_t>(0, recover_at_ms_ - now);
  TimestampMs due = next_poll_ms_;
  if (!in_doubt_.empty()) due = std::min(due, next_lookup_ms_);
  if (!queue_.empty() && !auth_blocked_ && !holding_queue()) due = std::min(due, retry_at_ms_);
  if (!auth_blocked_)
    due = std::min(due, std::max(last_contact_ms_ + options_.probe_interval_ms, next_probe_ms_));
  return std::max<std::int64_t>(0, due - now);
}

Status OrderManager::close_unsent(const store::OrderRecord& o, const std::string& message) {
  const OrderIntent& in = o.intent;
  return close_locally(
      o, broker::kStatusCancelled, "intent_dropped", message,
      fmt::format("{} {} {} ({}) cancelled before it was sent: {}", side_name(in.side), in.qty,
                  in.symbol, in.client_order_id, message));
}

Status OrderManager::shutdown(bool cancel_open, std::int64_t wait_ms) {
  if (!cancel_open || !recovered_) return Status();
  Result<std::vector<store::OrderRecord>> open = store::list_open_orders(db_);
  if (!open.ok()) return open.status();
  int cancelling = 0;
  for (const store::OrderRecord& o : *open) {
    const std::string& id = o.intent.client_order_id;
    if (o.broker_order_id.empty()) {
      if (in_doubt_.count(id) != 0) continue;  // may exist at the broker: the next start settles it
      SM_RETURN_IF_ERROR(
          close_unsent(o, "cancelled on exit before it was sent (--cancel-on-exit)"));
      continue;
    }
    broker::BrokerResult<std::string> cancelled =
        broker_.cancel_order(options_.variety, o.broker_order_id);
    SM_RETURN_IF_ERROR(event(id, "cancel_requested", o.status,
                             cancelled.ok() ? json{{"broker_order_id", o.broker_order_id}}
                                            : json{{"broker_order_id", o.broker_order_id},
                                                   {"error", error_json(cancelled.error())}}));
    note_broker(cancelled.ok() ? nullptr : &cancelled.error());
    if (cancelled.ok()) ++cancelling;
  }
  queue_.clear();
  log_.info("cancel_on_exit", {{"cancel_requests", cancelling}});
  const TimestampMs until = clock_.now_ms() + wait_ms;
  while (cancelling > 0 && clock_.now_ms() < until) {
    SM_RETURN_IF_ERROR(poll_open());
    if (open_count_ == 0) break;
    ::usleep(100'000);
  }
  return Status();
}

Heartbeat OrderManager::heartbeat(bool stopping) const {
  const TimestampMs now = clock_.now_ms();
  Heartbeat h;
  h.ts = now;
  h.component = options_.component;
  h.pid = ::getpid();
  const bool healthy = health_ == BrokerHealth::kConnected && !auth_blocked_;
  h.status = stopping ? "stopping" : healthy ? "ok" : "degraded";
  json detail = {{"broker", broker_health_name(health_)},
                 {"broker_down_ms", down_since_ms_ > 0 ? now - down_since_ms_ : 0},
                 {"placing", !auth_blocked_},
                 {"open_orders", open_count_},
                 {"queued", queue_.size()},
                 {"in_doubt", in_doubt_.size()}};
  if (last_contact_ms_ > 0) detail["broker_last_ok"] = format_utc(last_contact_ms_);
  if (!stopping && !healthy) {
    std::string reason = auth_blocked_ || health_ == BrokerHealth::kAuthExpired
                             ? "the access token is missing or rejected"
                         : health_ == BrokerHealth::kDisconnected ? "the broker cannot be reached"
                                                                  : "waiting for the broker";
    if (!broker_problem_.empty()) reason += ": " + broker_problem_;
    detail["reason"] = reason;
  }
  h.detail = detail.dump();
  return h;
}

Status OrderManager::beat(bool stopping) {
  const Heartbeat h = heartbeat(stopping);
  SM_RETURN_IF_ERROR(store::record_heartbeat(db_, h));
  emit_(h);
  return Status();
}

}  // namespace sm::order
