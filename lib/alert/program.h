// The sm-alert commands as functions from parsed flags to an exit code (cmd/sm-alert.cpp only
// declares flags). man/sm-alert.1 and docs/ALERTS.md describe them.
//
// deliver (the default): reads NDJSON on stdin and stores every `alert` line in the alerts table
// (other lines are ignored), follows that table by id, and delivers through the outbox
// (deliverer.h). When stdin ends it keeps delivering what is due within --drain-ms and exits;
// with --follow it keeps following the table until SIGTERM (the systemd service).
//
// Exit codes (every command): 0 done (undelivered messages stay in the outbox for the next run); 1
// database failure; 2 usage; 4 configuration error (the alert section, a missing or unsafe secret).
#pragma once

#include <cstdint>
#include <string>

#include "core/log.h"
#include "time/clock.h"

namespace sm::alert {

struct DeliverArgs {
  std::string db_path;
  std::string config_path;
  std::string secrets_file;       // --secrets-file
  bool follow = false;            // --follow: keep running after stdin ends
  bool no_stdin = false;          // --no-stdin: follow the table only
  std::int64_t drain_ms = 10000;  // --drain-ms: after stdin ends, how long to keep delivering
};
int run_deliver(const DeliverArgs& args, const Logger& log, const time::Clock& clock);

// watch: every alert.watch.interval_s, checks the system (watch.h), records and writes an alert for
// each new problem and a `_resolved` alert for each cleared one, beats its own heartbeat
// (sm-alert-watch), and pings SM_ALERT_PING_URL (when set) after a check that found nothing wrong.
// --once checks once and exits. Exit codes as for deliver.
struct WatchArgs {
  std::string db_path;
  std::string config_path;
  std::string secrets_file;
  bool once = false;
};
int run_watch(const WatchArgs& args, const Logger& log, const time::Clock& clock);

// summary: the daily summary of the IST day so far (summary.h), stored as the alert
// daily_summary:<date> (sm-alert deliver sends it; the default rules send it at once) and written
// to stdout as one daily_summary line. Run again the same day, it stores nothing new.
struct SummaryArgs {
  std::string db_path;
  std::string config_path;
};
int run_summary(const SummaryArgs& args, const Logger& log, const time::Clock& clock);

// token-reminder: on a trading day (by the NSE calendar; without one, every day), stores the
// warning token_login_needed (token_reminder.h) when the token file, found as sm-order finds it
// ($SM_KITE_TOKEN_FILE, else broker.token_file), holds no login good for today's session;
// sm-alert deliver (sm-alert.service) sends it. Writes one token_reminder line on stdout. at:
// the time to check as of (ISO 8601, IST without a zone); empty: now. Exit codes as for deliver;
// a bad --at is 2.
struct TokenReminderArgs {
  std::string db_path;
  std::string config_path;
  std::string at;
};
int run_token_reminder(const TokenReminderArgs& args, const Logger& log, const time::Clock& clock);

// unit-failed: stores the critical alert unit_failed for a systemd unit that failed
// (unit_failure.h; every unit's OnFailure= starts sm-alert@UNIT.service, which runs this), then
// delivers what is due as deliver does without stdin, so the alert goes out even when the unit
// that failed is sm-alert.service itself. While sm-alert.service runs too, the two claim each
// outbox row before sending it, so a channel gets the message once. A unit name that is not one:
// exit 2.
struct UnitFailedArgs {
  DeliverArgs deliver;  // stdin and --follow are not used
  std::string unit;
};
int run_unit_failed(const UnitFailedArgs& args, const Logger& log, const time::Clock& clock);

}  // namespace sm::alert
