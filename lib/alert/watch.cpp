#include "alert/watch.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/money.h"
#include "core/timestamp.h"
#include "store/rows.h"

namespace sm::alert {
namespace {

constexpr std::string_view kResolvedSuffix = "_resolved";

std::string seconds(std::int64_t ms) {
  if (ms >= 120000) return fmt::format("{} min", ms / 60000);
  return fmt::format("{} s", ms / 1000);
}

Status watch_error(const Config& config, std::string_view key, std::string_view what) {
  return error(ErrorCode::kConfigError, fmt::format("{}: {} {}", config.source(), key, what));
}

bool terminal(std::string_view status) {
  return status == "COMPLETE" || status == "CANCELLED" || status == "REJECTED";
}

// The key of an incident from its dedup key "<key>:<start ms>".
std::string key_of(std::string_view dedup_key) {
  const size_t colon = dedup_key.rfind(':');
  return std::string(colon == std::string_view::npos ? dedup_key : dedup_key.substr(0, colon));
}

}  // namespace

Result<WatchSettings> load_watch_settings(const Config& config) {
  WatchSettings settings;
  struct Limit {
    std::string_view key;
    std::int64_t* value;
    std::int64_t scale;
    bool zero_allowed;
  };
  std::int64_t interval_s = settings.interval_ms / 1000;
  std::int64_t market_s = settings.market_data_max_age_ms / 1000;
  std::int64_t fills_s = settings.fills_max_wait_ms / 1000;
  const Limit limits[] = {
      {"alert.watch.interval_s", &interval_s, 1000, false},
      {"alert.watch.market_data_max_age_s", &market_s, 1000, true},
      {"alert.watch.fills_max_wait_s", &fills_s, 1000, true},
      {"alert.watch.dependency_warn_days", &settings.dependency_warn_days, 1, true},
  };
  for (const Limit& limit : limits) {
    Result<std::int64_t> value = config.get_int(limit.key, *limit.value);
    if (!value.ok()) return value.status();
    if (*value < 0 || (*value == 0 && !limit.zero_allowed)) {
      return watch_error(config, limit.key,
                         limit.zero_allowed ? "must not be negative" : "must be positive");
    }
    *limit.value = *value;
  }
  settings.interval_ms = interval_s * 1000;
  settings.market_data_max_age_ms = market_s * 1000;
  settings.fills_max_wait_ms = fills_s * 1000;

  Result<nlohmann::json> beats = config.get_section("alert.watch.heartbeats");
  if (!beats.ok()) return beats.status();
  if (config.has("alert.watch.heartbeats")) {  // {} watches none
    settings.heartbeat_max_age_ms.clear();
    for (const auto& [program, limit] : beats->items()) {
      if (!limit.is_number_integer() || limit.get<std::int64_t>() <= 0) {
        return watch_error(config, "alert.watch.heartbeats." + program,
                           "must be a positive number of seconds");
      }
      settings.heartbeat_max_age_ms[program] = limit.get<std::int64_t>() * 1000;
    }
  }
  Result<std::string> session = config.get_string("alert.watch.session", "nse");
  if (!session.ok()) return session.status();
  if (*session != "nse" && *session != "always") {
    return watch_error(config, "alert.watch.session", "must be nse or always");
  }
  settings.always_in_session = *session == "always";
  return settings;
}

CheckResult check_system(const WatchSettings& settings, const store::StatusReport& report,
                         const std::vector<store::DatedDependency>& dependencies,
                         time::Session session, TimestampMs now) {
  CheckResult result;
  const bool in_session = settings.always_in_session || session != time::Session::kClosed;
  const bool continuous = settings.always_in_session || session == time::Session::kContinuous;
  auto found = [&result](std::string event, std::string key, Severity severity, std::string text) {
    result.findings.push_back({std::move(event), std::move(key), severity, std::move(text)});
  };

  if (in_session) {
    for (const auto& [program, max_age] : settings.heartbeat_max_age_ms) {
      const std::string key = "heartbeat:" + program;
      result.checked_keys.push_back(key);
      auto beat = std::find_if(report.heartbeats.begin(), report.heartbeats.end(),
                               [&](const Heartbeat& h) { return h.component == program; });
      if (beat == report.heartbeats.end()) {
        found("heartbeat_stale", key, Severity::kCritical,
              fmt::format("{} has no heartbeat in the database during the session (limit {})",
                          program, seconds(max_age)));
      } else if (now - beat->ts > max_age) {
        found("heartbeat_stale", key, Severity::kCritical,
              fmt::format("{}'s last heartbeat was {} ago, at {} (limit {}; status then: {})",
                          program, seconds(now - beat->ts), format_ist(beat->ts), seconds(max_age),
                          beat->status));
      }
    }
  }
  for (const Heartbeat& beat : report.heartbeats) {
    const std::string key = "degraded:" + beat.component;
    result.checked_keys.push_back(key);
    if (beat.status == "degraded") {
      found("program_degraded", key, Severity::kWarning,
            fmt::format("{} reports degraded since its heartbeat at {}: {}", beat.component,
                        format_ist(beat.ts), beat.detail.empty() ? "(no detail)" : beat.detail));
    }
  }
  if (continuous && settings.market_data_max_age_ms > 0 && !report.series.empty()) {
    result.checked_keys.push_back("market_data");
    auto newest = std::max_element(report.series.begin(), report.series.end(),
                                   [](const store::SeriesStatus& a, const store::SeriesStatus& b) {
                                     return a.known_ts < b.known_ts;
                                   });
    if (now - newest->known_ts > settings.market_data_max_age_ms) {
      found("market_data_stale", "market_data", Severity::kCritical,
            fmt::format("the newest market data ({} at {}) is {} old (limit {})",
                        newest->series.symbol, format_ist(newest->known_ts),
                        seconds(now - newest->known_ts), seconds(settings.market_data_max_age_ms)));
    }
  }
  if (continuous && settings.fills_max_wait_ms > 0) {
    for (const store::OrderRecord& order : report.open_orders) {
      if (terminal(order.status)) continue;
      const std::string key = "fills:" + order.intent.client_order_id;
      result.checked_keys.push_back(key);
      const TimestampMs last = std::max(order.updated_ms, order.created_ms);
      if (now - last > settings.fills_max_wait_ms) {
        found("fills_stalled", key, Severity::kWarning,
              fmt::format("order {} ({} {} {}, {} filled) has had no fill or update for {} "
                          "(status {} since {})",
                          order.intent.client_order_id, side_name(order.intent.side),
                          order.intent.qty, order.intent.symbol, order.filled_qty,
                          seconds(now - last), order.status, format_ist(last)));
      }
    }
  }
  for (const store::DatedDependency& dependency : dependencies) {
    const bool watched = dependency.counts_for_expiry || dependency.name == "broker_token";
    if (!watched) continue;
    const std::string key = "dependency:" + dependency.name;
    result.checked_keys.push_back(key);
    const bool bad_token = dependency.name == "broker_token" && in_session &&
                           (dependency.state == "expired" || dependency.state == "expiring");
    const bool bad_file = dependency.counts_for_expiry &&
                          (dependency.state == "expiring" || dependency.state == "expired" ||
                           dependency.state == "missing" || dependency.state == "error");
    if (bad_token || bad_file) {
      found("dated_dependency_expiring", key,
            dependency.state == "expiring" ? Severity::kWarning : Severity::kCritical,
            fmt::format("{} is {}: {}", dependency.name, dependency.state, dependency.detail));
    }
  }
  return result;
}

Result<std::map<std::string, Alert>> open_watch_incidents(store::Database& db) {
  Result<store::Statement> stmt = db.prepare(
      "SELECT a.ts_ms, a.severity, a.event, a.text, a.dedup_key FROM alerts a "
      "WHERE a.component = ?1 AND a.event NOT LIKE '%\\_resolved' ESCAPE '\\' "
      "AND a.dedup_key <> '' AND NOT EXISTS (SELECT 1 FROM alerts r WHERE r.component = "
      "a.component AND r.dedup_key = a.dedup_key AND r.event = a.event || '_resolved') "
      "ORDER BY a.id");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, kWatchComponent);
  Result<std::vector<Alert>> alerts = store::collect<Alert>(*stmt, [](const store::Statement& s) {
    Alert a;
    a.ts = s.column_int64(0);
    if (Result<Severity> severity = parse_severity(s.column_text_view(1)); severity.ok()) {
      a.severity = *severity;
    }
    a.component = std::string(kWatchComponent);
    a.event = s.column_text(2);
    a.text = s.column_text(3);
    a.dedup_key = s.column_text(4);
    return a;
  });
  if (!alerts.ok()) return alerts.status();
  std::map<std::string, Alert> open;
  for (Alert& a : *alerts) open[key_of(a.dedup_key)] = std::move(a);
  return open;
}

std::vector<Alert> incident_changes(const CheckResult& check,
                                    const std::map<std::string, Alert>& open, TimestampMs now) {
  std::vector<Alert> changes;
  for (const Finding& finding : check.findings) {
    if (open.count(finding.key) > 0) continue;
    Alert a;
    a.ts = now;
    a.severity = finding.severity;
    a.component = std::string(kWatchComponent);
    a.event = finding.event;
    a.text = finding.text;
    a.dedup_key = fmt::format("{}:{}", finding.key, now);
    changes.push_back(std::move(a));
  }
  for (const auto& [key, incident] : open) {
    const bool checked = std::find(check.checked_keys.begin(), check.checked_keys.end(), key) !=
                         check.checked_keys.end();
    const bool still = std::any_of(check.findings.begin(), check.findings.end(),
                                   [&](const Finding& f) { return f.key == key; });
    if (!checked || still) continue;
    Alert a;
    a.ts = now;
    a.severity = Severity::kInfo;
    a.component = std::string(kWatchComponent);
    a.event = incident.event + std::string(kResolvedSuffix);
    a.text = fmt::format("cleared after {} (raised {})", seconds(now - incident.ts),
                         format_ist(incident.ts));
    a.dedup_key = incident.dedup_key;
    changes.push_back(std::move(a));
  }
  return changes;
}

}  // namespace sm::alert
