// sm-alert's delivery loop, one pass at a time (docs/ALERTS.md "How delivery works"):
//   collect()     follows the alerts table by id (a cursor in alert_cursors), so alerts written
//                 while sm-alert was down are delivered too; the rules decide send, digest or drop;
//                 each kept alert becomes one outbox row per channel that accepts it. An alert
//                 whose event ends in "_resolved", and a halt that lifted, queue a resolve for the
//                 incident on every channel that had its trigger.
//   deliver_due() sends what is due on each channel, oldest first: digests and floods (more due
//                 messages than the channel's per-minute budget) are folded into one message, never
//                 dropped; a flood opens a window of a minute in which no second summary and no
//                 single message goes out on that channel (what falls due waits for the window to
//                 close); a failure is retried with exponential backoff, or after what a 429
//                 asked.
// Every row is written before it is sent, claimed for longer than the send can take (so two
// deliverers on one database never both send it) and marked after; a crash between the claim
// and the mark sends that one message again after the claim runs out (at least once); nothing is
// ever lost, and an incident is queued once per channel. All state, the flood window included,
// is in the database, so a restart changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "alert/channels.h"
#include "alert/outbox.h"
#include "alert/settings.h"
#include "core/log.h"
#include "store/database.h"
#include "time/clock.h"

namespace sm::alert {

struct DeliveryCounts {
  std::int64_t alerts_read = 0;  // from the alerts table
  std::int64_t dropped = 0;      // by a rule
  std::int64_t queued = 0;       // outbox rows added (alerts and resolves, per channel)
  std::int64_t delivered = 0;    // messages sent
  std::int64_t failed = 0;       // failed attempts (kept for a retry)
  std::int64_t combined = 0;     // rows folded into a digest or flood summary
};

class Deliverer {
 public:
  // None of the references is owned; REQUIRES: they outlive the Deliverer.
  Deliverer(store::Database& db, const AlertSettings& settings,
            std::vector<std::unique_ptr<Channel>> channels, const time::Clock& clock,
            const Logger& log);

  Status collect();
  Status deliver_due();
  // The earliest next try of any undelivered row, or nullopt when the outbox is empty.
  Result<std::optional<TimestampMs>> next_due();
  const DeliveryCounts& counts() const { return counts_; }

 private:
  Status queue_alert(const StoredAlert& stored, TimestampMs now);
  Status queue_lifted_halts(TimestampMs now);
  // Folds the channel's pending digest rows, or (kind "flood") its due rows sent on their own
  // unless a flood window is already open, into one summary row; the summary opens the window.
  Status fold(Channel& channel, std::string_view kind, TimestampMs now);
  // Sends rows in order until one fails or limit are sent; returns how many were sent.
  Result<std::int64_t> send_rows(Channel& channel, const std::vector<OutboxEntry>& rows,
                                 std::int64_t limit);
  Status deliver_channel(Channel& channel, TimestampMs now);
  std::int64_t backoff_ms(std::int64_t attempts) const;
  Channel* find_channel(std::string_view name);

  store::Database& db_;
  const AlertSettings& settings_;
  std::vector<std::unique_ptr<Channel>> channels_;
  const time::Clock& clock_;
  const Logger& log_;
  DeliveryCounts counts_;
};

}  // namespace sm::alert
