#include "alert/deliverer.h"

#include <fmt/format.h>

#include <algorithm>

#include "alert/message_text.h"

namespace sm::alert {
namespace {

constexpr std::string_view kAlertsCursor = "alerts";
constexpr int kBatch = 200;
constexpr std::string_view kResolvedSuffix = "_resolved";
constexpr TimestampMs kMinuteMs = TimestampMs{60} * 1000;
// A flood window lasts the minute the message budget counts.
constexpr TimestampMs kFloodWindowMs = kMinuteMs;
// How much longer a claim on a row lasts than the channel's longest send.
constexpr TimestampMs kLeaseMarginMs = 5000;
constexpr std::string_view kFlood = "flood";
constexpr std::string_view kDigest = "digest";

bool is_resolution(std::string_view event) {
  return event.size() > kResolvedSuffix.size() &&
         event.substr(event.size() - kResolvedSuffix.size()) == kResolvedSuffix;
}

int severity_rank(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return 0;
    case Severity::kWarning:
      return 1;
    case Severity::kCritical:
      return 2;
  }
  return 0;
}

}  // namespace

Deliverer::Deliverer(store::Database& db, const AlertSettings& settings,
                     std::vector<std::unique_ptr<Channel>> channels, const time::Clock& clock,
                     const Logger& log)
    : db_(db), settings_(settings), channels_(std::move(channels)), clock_(clock), log_(log) {}

Channel* Deliverer::find_channel(std::string_view name) {
  for (const std::unique_ptr<Channel>& channel : channels_) {
    if (channel->name() == name) return channel.get();
  }
  return nullptr;
}

std::int64_t Deliverer::backoff_ms(std::int64_t attempts) const {
  std::int64_t wait = settings_.initial_backoff_ms;
  for (std::int64_t i = 1; i < attempts && wait < settings_.max_backoff_ms; ++i) wait *= 2;
  return std::min(wait, settings_.max_backoff_ms);
}

Status Deliverer::queue_alert(const StoredAlert& stored, TimestampMs now) {
  const Alert& alert = stored.alert;
  ++counts_.alerts_read;
  const RuleAction action = decide(settings_.rules, alert);
  if (action == RuleAction::kDrop) {
    ++counts_.dropped;
    return Status();
  }
  if (is_resolution(alert.event) && !alert.dedup_key.empty()) {
    const std::string incident = incident_key(alert, stored.id);
    Result<std::vector<Triggered>> triggered = triggers_of(db_, incident);
    if (!triggered.ok()) return triggered.status();
    for (const Triggered& t : *triggered) {
      if (find_channel(t.channel) == nullptr) continue;
      OutboxEntry entry;
      entry.channel = t.channel;
      entry.incident_key = incident;
      entry.action = std::string(kActionResolve);
      entry.alert_id = stored.id;
      entry.severity = t.severity;
      entry.event = t.event;
      entry.text = resolved_text(t.event, alert.text, alert.ts);
      entry.created_ms = alert.ts;
      entry.next_try_ms = now;
      Result<bool> added = enqueue(db_, entry);
      if (!added.ok()) return added.status();
      if (*added) ++counts_.queued;
    }
    return Status();
  }
  const bool digest = action == RuleAction::kDigest;
  const std::string text = phone_text(alert);
  for (const std::unique_ptr<Channel>& channel : channels_) {
    if (!channel->accepts(alert.severity, digest)) continue;
    OutboxEntry entry;
    entry.channel = std::string(channel->name());
    entry.incident_key = incident_key(alert, stored.id);
    entry.mode = std::string(digest && channel->combines() ? kModeDigest : kModeNow);
    entry.alert_id = stored.id;
    entry.severity = alert.severity;
    entry.event = alert.event;
    entry.text = text;
    entry.created_ms = alert.ts;
    entry.next_try_ms = entry.mode == kModeDigest ? now + settings_.digest_interval_ms : now;
    Result<bool> added = enqueue(db_, entry);
    if (!added.ok()) return added.status();
    if (*added) ++counts_.queued;
  }
  return Status();
}

Status Deliverer::queue_lifted_halts(TimestampMs now) {
  Result<std::vector<LiftedHalt>> lifted = lifted_halts(db_, now);
  if (!lifted.ok()) return lifted.status();
  for (const LiftedHalt& halt : *lifted) {
    if (find_channel(halt.channel) == nullptr) continue;
    OutboxEntry entry;
    entry.channel = halt.channel;
    entry.incident_key = halt.incident_key;
    entry.action = std::string(kActionResolve);
    entry.severity = halt.severity;
    entry.event = halt.event;
    const std::string why =
        halt.cleared_by.empty()
            ? fmt::format("{} ({}) lifted at its reset time", halt.level, halt.trigger)
            : fmt::format("{} ({}) lifted by {}: {}", halt.level, halt.trigger, halt.cleared_by,
                          halt.clear_reason);
    entry.text = resolved_text(halt.event, why, halt.lifted_ms);
    entry.created_ms = halt.lifted_ms;
    entry.next_try_ms = now;
    Result<bool> added = enqueue(db_, entry);
    if (!added.ok()) return added.status();
    if (*added) ++counts_.queued;
  }
  return Status();
}

Status Deliverer::collect() {
  Result<std::int64_t> last = cursor(db_, kAlertsCursor);
  if (!last.ok()) return last.status();
  while (true) {
    Result<std::vector<StoredAlert>> batch = alerts_after(db_, *last, kBatch);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    const TimestampMs now = clock_.now_ms();
    // The rows and the cursor move together: a crash re-reads the whole batch or none of it.
    Result<store::Transaction> tx = db_.begin();
    if (!tx.ok()) return tx.status();
    for (const StoredAlert& stored : *batch) SM_RETURN_IF_ERROR(queue_alert(stored, now));
    *last = batch->back().id;
    SM_RETURN_IF_ERROR(set_cursor(db_, kAlertsCursor, *last));
    SM_RETURN_IF_ERROR(tx->commit());
  }
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  SM_RETURN_IF_ERROR(queue_lifted_halts(clock_.now_ms()));
  return tx->commit();
}

Status Deliverer::fold(Channel& channel, std::string_view kind, TimestampMs now) {
  // Re-read inside the write transaction: another deliverer on the same database may have
  // claimed, combined or opened a flood window since this one looked.
  Result<store::Transaction> tx = db_.begin();
  if (!tx.ok()) return tx.status();
  const bool flood = kind == kFlood;
  if (flood) {
    Result<std::optional<TimestampMs>> window =
        flood_window_start(db_, channel.name(), now - kFloodWindowMs + 1);
    if (!window.ok()) return window.status();
    if (window->has_value()) return Status();
  }
  Result<std::vector<OutboxEntry>> pending =
      flood ? pending_entries(db_, channel.name(), now) : pending_entries(db_, channel.name());
  if (!pending.ok()) return pending.status();
  std::vector<OutboxEntry> entries;
  for (OutboxEntry& e : *pending) {
    if (e.mode == (flood ? kModeNow : kModeDigest)) entries.push_back(std::move(e));
  }
  if (entries.empty() || (flood && entries.size() < 2)) return Status();
  OutboxEntry summary;
  summary.channel = std::string(channel.name());
  summary.incident_key = fmt::format("{}:{}-{}", kind, entries.front().id, entries.back().id);
  summary.event = std::string(kind);
  summary.created_ms = now;
  summary.next_try_ms = now;
  std::vector<std::int64_t> ids;
  for (const OutboxEntry& e : entries) {
    ids.push_back(e.id);
    if (severity_rank(e.severity) > severity_rank(summary.severity)) summary.severity = e.severity;
  }
  const std::string heading =
      flood ? fmt::format("FLOOD · {} alerts at once (more than {} a minute), in one message",
                          entries.size(), settings_.max_messages_per_minute)
            : fmt::format("DIGEST · {} alert(s)", entries.size());
  summary.text = combined_text(heading, entries);
  Result<std::int64_t> id = combine(db_, ids, summary);
  if (!id.ok()) return id.status();
  SM_RETURN_IF_ERROR(tx->commit());
  counts_.combined += static_cast<std::int64_t>(ids.size());
  log_.info("alerts_combined", {{"channel", channel.name()},
                                {"kind", kind},
                                {"rows", ids.size()},
                                {"message", summary.incident_key}});
  return Status();
}

Result<std::int64_t> Deliverer::send_rows(Channel& channel, const std::vector<OutboxEntry>& rows,
                                          std::int64_t limit) {
  std::int64_t sent = 0;
  for (const OutboxEntry& row : rows) {
    if (sent >= limit) break;
    const std::int64_t attempt = row.attempts + 1;
    // The claim is written before the send and lasts beyond the longest send: no other deliverer
    // on this database sends the row meanwhile, and if sm-alert dies waiting for the service the
    // row is tried again after it, not at once in a crash loop.
    const TimestampMs lease_ms =
        std::max(backoff_ms(attempt), channel.longest_send_ms() + kLeaseMarginMs);
    Result<bool> claimed = claim(db_, row, clock_.now_ms() + lease_ms);
    if (!claimed.ok()) return claimed.status();
    if (!*claimed) continue;  // another deliverer has it
    Outgoing message;
    message.incident_key = row.incident_key;
    message.action = row.action;
    message.severity = row.severity;
    message.event = row.event;
    message.text = row.text;
    message.ts = row.created_ms;
    SendOutcome outcome = channel.send(message);
    const TimestampMs now = clock_.now_ms();
    if (outcome.delivered) {
      SM_RETURN_IF_ERROR(mark_delivered(db_, row.id, attempt, now));
      ++counts_.delivered;
      ++sent;
      log_.info("alert_delivered", {{"channel", channel.name()},
                                    {"incident_key", row.incident_key},
                                    {"action", row.action},
                                    {"attempt", attempt}});
      continue;
    }
    ++counts_.failed;
    // What a 429 asked for wins over our own backoff, both ways: waiting longer than asked
    // delays the message, retrying sooner earns another 429.
    const std::int64_t wait = outcome.retry_after_ms > 0 ? outcome.retry_after_ms
                              : outcome.permanent        ? settings_.max_backoff_ms
                                                         : backoff_ms(attempt);
    SM_RETURN_IF_ERROR(record_failure(db_, row.id, attempt, outcome.error, now + wait));
    log_.warn("alert_delivery_failed", {{"channel", channel.name()},
                                        {"incident_key", row.incident_key},
                                        {"attempt", attempt},
                                        {"error", outcome.error},
                                        {"retry_in_ms", wait}});
    // A failing or throttled channel gets no more requests this pass.
    break;
  }
  return sent;
}

Status Deliverer::deliver_channel(Channel& channel, TimestampMs now) {
  Result<std::vector<OutboxEntry>> due = pending_entries(db_, channel.name(), now);
  if (!due.ok()) return due.status();
  if (due->empty()) return Status();
  if (!channel.combines()) return send_rows(channel, *due, kBatch).status();

  const bool digest_due = std::any_of(due->begin(), due->end(),
                                      [](const OutboxEntry& e) { return e.mode == kModeDigest; });
  if (digest_due) SM_RETURN_IF_ERROR(fold(channel, kDigest, now));
  Result<std::int64_t> recent = delivered_since(db_, channel.name(), now - kMinuteMs);
  if (!recent.ok()) return recent.status();
  const std::int64_t budget = settings_.max_messages_per_minute - *recent;
  Result<std::vector<OutboxEntry>> ready = pending_entries(db_, channel.name(), now);
  if (!ready.ok()) return ready.status();
  const auto sent_alone = [](const OutboxEntry& e) { return e.mode == kModeNow; };
  if (static_cast<std::int64_t>(ready->size()) > std::max<std::int64_t>(budget, 0) &&
      std::count_if(ready->begin(), ready->end(), sent_alone) > 1) {
    // A flood: more due than the channel may carry this minute. One summary, sent as soon as
    // the budget allows, instead of a backlog trailing behind for minutes; nothing is dropped.
    SM_RETURN_IF_ERROR(fold(channel, kFlood, now));
  }
  Result<std::optional<TimestampMs>> window =
      flood_window_start(db_, channel.name(), now - kFloodWindowMs + 1);
  if (!window.ok()) return window.status();
  ready = pending_entries(db_, channel.name(), now);
  if (!ready.ok()) return ready.status();
  if (window->has_value()) {
    // One flood summary per window: what falls due while it is open waits for it to close
    // rather than becoming a second summary (or a trail of single messages) in the same minute.
    ready->erase(std::remove_if(ready->begin(), ready->end(), sent_alone), ready->end());
  }
  if (budget <= 0) return Status();  // the rows stay due; the next minute has room
  return send_rows(channel, *ready, budget).status();
}

Status Deliverer::deliver_due() {
  for (const std::unique_ptr<Channel>& channel : channels_) {
    SM_RETURN_IF_ERROR(deliver_channel(*channel, clock_.now_ms()));
  }
  return Status();
}

Result<std::optional<TimestampMs>> Deliverer::next_due() { return next_try(db_); }

}  // namespace sm::alert
