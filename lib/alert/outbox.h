// The delivery outbox (table alert_outbox, docs/ALERTS.md): one row per incident, action
// (trigger or resolve) and channel, with attempts, the next try, the delivery time and the last
// error. Rows are written before anything is sent, so a restart or a channel outage loses
// nothing; the UNIQUE (channel, incident_key, action) key keeps an incident from being queued
// twice. Writers need a synchronous=FULL connection like every audit table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::alert {

inline constexpr std::string_view kActionTrigger = "trigger";
inline constexpr std::string_view kActionResolve = "resolve";
// How a row is sent: now (on its own), digest (folded into the next digest message), combined (a
// digest or flood summary made of other rows).
inline constexpr std::string_view kModeNow = "now";
inline constexpr std::string_view kModeDigest = "digest";
inline constexpr std::string_view kModeCombined = "combined";

struct OutboxEntry {
  std::int64_t id = 0;
  std::string channel;
  std::string incident_key;
  std::string action{kActionTrigger};
  std::string mode{kModeNow};
  std::optional<std::int64_t> alert_id;
  Severity severity = Severity::kInfo;
  std::string event;
  std::string text;  // the message for people, before a channel's own formatting
  TimestampMs created_ms = 0;
  std::int64_t attempts = 0;
  TimestampMs next_try_ms = 0;
  std::optional<TimestampMs> delivered_ms;
  std::optional<std::int64_t> combined_into;
  std::string last_error;
};

// Adds entry (its id, attempts, delivered_ms, combined_into and last_error are ignored) unless the
// outbox already has a row with its channel, incident key and action. Returns whether it was added.
Result<bool> enqueue(store::Database& db, const OutboxEntry& entry);

// Rows of channel not delivered and not combined into another, oldest first. A resolve is left out
// while the trigger of its incident in the same channel is still undelivered (a resolve must never
// overtake its trigger). due_before: only rows whose next try is at or before it.
Result<std::vector<OutboxEntry>> pending_entries(store::Database& db, std::string_view channel,
                                                 std::optional<TimestampMs> due_before = {});

// The earliest next try of any pending row, or nullopt when nothing is pending.
Result<std::optional<TimestampMs>> next_try(store::Database& db);
// How many pending rows there are, in every channel.
Result<std::int64_t> pending_count(store::Database& db);

// Before a send: claims row entry (as read, with its attempts) for one attempt, so that of two
// deliverers on one database (sm-alert.service and `sm-alert unit-failed`) only one sends it.
// In one statement: if the row still has entry.attempts attempts and is neither delivered nor
// combined, its attempts become entry.attempts + 1 (the claim) and its next try lease_until_ms,
// the lease: no one tries it again before then, so lease_until_ms must lie beyond the longest a
// send can take; if sm-alert dies mid-send the row is tried again after it. Returns whether
// this caller holds the claim; false means another deliverer claimed, delivered or combined it
// since it was read.
Result<bool> claim(store::Database& db, const OutboxEntry& entry, TimestampMs lease_until_ms);
// After the send of the claim that made attempts = attempt. A deliverer whose claim was taken
// over (its lease ran out) changes nothing.
Status mark_delivered(store::Database& db, std::int64_t id, std::int64_t attempt,
                      TimestampMs delivered_ms);
// After a failed send. error must not contain a secret.
Status record_failure(store::Database& db, std::int64_t id, std::int64_t attempt,
                      std::string_view error, TimestampMs next_try_ms);

// In one transaction: adds summary (mode combined) and marks every row of ids as combined into it.
// Returns the summary's id. Fails with kConflict when the summary's key is already taken.
// Callers that chose ids from a read made outside their own transaction must re-read inside one:
// another deliverer may have claimed or combined them meanwhile.
Result<std::int64_t> combine(store::Database& db, const std::vector<std::int64_t>& ids,
                             OutboxEntry summary);

// The start (created_ms) of the newest flood summary of channel created at or after since_ms, or
// nullopt when there is none: the open flood window, kept in the outbox so that a restart, or a
// second deliverer, sees the same window.
Result<std::optional<TimestampMs>> flood_window_start(store::Database& db, std::string_view channel,
                                                      TimestampMs since_ms);

// Messages (rows not combined into another) delivered on channel at or after since_ms: what the
// flood limit counts.
Result<std::int64_t> delivered_since(store::Database& db, std::string_view channel,
                                     TimestampMs since_ms);

// The channels that hold a trigger of incident_key, and the trigger's severity and event.
struct Triggered {
  std::string channel;
  Severity severity = Severity::kInfo;
  std::string event;
};
Result<std::vector<Triggered>> triggers_of(store::Database& db, std::string_view incident_key);

// How far sm-alert has followed a table (alerts): the last id handled, 0 at first.
Result<std::int64_t> cursor(store::Database& db, std::string_view name);
Status set_cursor(store::Database& db, std::string_view name, std::int64_t last_id);

// An alert as stored in the alerts table, with its id.
struct StoredAlert {
  std::int64_t id = 0;
  Alert alert;
};
// Alerts with id > after_id, in id order, at most limit.
Result<std::vector<StoredAlert>> alerts_after(store::Database& db, std::int64_t after_id,
                                              int limit);

// The incident an alert belongs to: "<component>:<dedup_key>", or, for an alert without a dedup
// key, "<component>:<event>:<id>" (each such alert is an incident of its own).
std::string incident_key(const Alert& alert, std::int64_t alert_id);

// A halt that has lifted (cleared by a person, or past its automatic reset time) whose incident
// was triggered on some channel and not yet resolved there. Kill-switch alerts and the halt they
// announce are written together with the same time; a manual halt's alert names the halt's id.
struct LiftedHalt {
  std::string channel;
  std::string incident_key;
  Severity severity = Severity::kInfo;
  std::string event;
  std::string level;
  std::string trigger;
  TimestampMs lifted_ms = 0;
  std::string cleared_by;
  std::string clear_reason;
};
Result<std::vector<LiftedHalt>> lifted_halts(store::Database& db, TimestampMs now_ms);

}  // namespace sm::alert
