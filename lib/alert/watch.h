// sm-alert watch: looks at the system from outside, as the database shows it, and raises an alert
// when something is wrong and its `_resolved` alert when it clears (docs/ALERTS.md "Watching"):
//   heartbeat_stale            a watched program's last heartbeat is older than its limit, during
//                              the session (or it never beat);
//   program_degraded           a program's last heartbeat says `degraded`;
//   market_data_stale          the newest tick or bar is older than the limit, in continuous
//                              trading;
//   fills_stalled              an open order has had no update (fill or status) for longer than
//                              the limit, in continuous trading;
//   dated_dependency_expiring  a dated dependency (the calendar, the charge rates, the broker
//                              token) runs out within the warning window, or has run out.
// The alerts go to the alerts table (sm-alert deliver sends them) and to stdout as alert lines.
// An incident's dedup key is the condition and the time it began ("heartbeat:sm-order:<ms>"); the
// open incidents are found in the alerts table, so a restarted watcher resolves what an earlier one
// raised and does not raise it again.
// The dead-man's switch: when nothing is wrong after a check, the watcher pings a URL
// (healthchecks style), so a dead machine or a dead watcher is noticed by the service that stops
// hearing the pings.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/http_client.h"
#include "core/config.h"
#include "core/log.h"
#include "core/messages.h"
#include "order/dated_dependencies.h"
#include "store/database.h"
#include "store/status_report.h"
#include "time/calendar.h"

namespace sm::alert {

struct WatchSettings {
  std::int64_t interval_ms = 15000;
  // Program -> the oldest heartbeat that is still fine (each beats every 5 s by default).
  std::map<std::string, std::int64_t> heartbeat_max_age_ms{
      {"sm-order", 30000}, {"sm-risk", 30000}, {"sm-signal", 30000}};
  std::int64_t market_data_max_age_ms = std::int64_t{5} * 60 * 1000;  // 0: not watched
  std::int64_t fills_max_wait_ms = std::int64_t{10} * 60 * 1000;      // 0: not watched
  std::int64_t dependency_warn_days = 3;
  bool always_in_session = false;  // alert.watch.session "always" (tests, 24/7 markets)
};

// Reads alert.watch. Fails with kConfigError naming the key on a bad value.
Result<WatchSettings> load_watch_settings(const Config& config);

// One condition as found by a check.
struct Finding {
  std::string event;  // heartbeat_stale, program_degraded, ...
  std::string key;    // what it is about: "heartbeat:sm-order", "market_data", ...
  Severity severity = Severity::kWarning;
  std::string text;  // for people
};

// What is wrong at now according to report and dependencies, plus the keys of the conditions that
// were looked at (a condition not looked at, e.g. heartbeats outside the session, neither raises
// nor resolves). Pure: no I/O.
struct CheckResult {
  std::vector<Finding> findings;
  std::vector<std::string> checked_keys;  // every key looked at, wrong or not
};
CheckResult check_system(const WatchSettings& settings, const store::StatusReport& report,
                         const std::vector<store::DatedDependency>& dependencies,
                         time::Session session, TimestampMs now);

// The incidents the watcher raised and has not resolved: key -> the alert (its dedup key names
// when it began).
Result<std::map<std::string, Alert>> open_watch_incidents(store::Database& db);

// Compares a check with the open incidents: an alert for each new finding, a `<event>_resolved`
// alert for each open incident whose key was checked and is no longer found. Pure.
std::vector<Alert> incident_changes(const CheckResult& check,
                                    const std::map<std::string, Alert>& open, TimestampMs now);

inline constexpr std::string_view kWatchComponent = "sm-alert";

}  // namespace sm::alert
