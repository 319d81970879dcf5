#include "alert/program.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "alert/channels.h"
#include "alert/deliverer.h"
#include "alert/settings.h"
#include "alert/summary.h"
#include "alert/token_reminder.h"
#include "alert/unit_failure.h"
#include "alert/watch.h"
#include "broker/curl_http_client.h"
#include "broker/url_policy.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/input_pump.h"
#include "core/money.h"
#include "core/secrets.h"
#include "core/shutdown.h"
#include "core/timestamp.h"
#include "costs/cost_model.h"
#include "order/dated_dependencies.h"
#include "store/database.h"
#include "store/ops_records.h"
#include "store/status_report.h"
#include "time/calendar.h"

namespace sm::alert {
namespace {

// Stores the alert lines among lines (alerts already stored by their writer are ignored by the
// table's natural key). Other message types are not sm-alert's business; a bad line is reported
// and skipped.
Status store_alert_lines(store::Database& db, MessageDecoder& decoder,
                         const std::vector<InputLine>& lines, const Logger& log) {
  for (const InputLine& line : lines) {
    if (line.too_long) {
      log.warn("bad_line", {{"input", "stdin"}, {"line", line.number}, {"error", "line too long"}});
      continue;
    }
    if (line.text.empty()) continue;
    Result<Message> message = decoder.decode(line.text);
    if (!message.ok()) {
      log.warn("bad_line",
               {{"input", "stdin"}, {"line", line.number}, {"error", message.status().message()}});
      continue;
    }
    const Alert* alert = std::get_if<Alert>(&*message);
    if (alert == nullptr) continue;
    Result<bool> recorded = store::record_alert(db, *alert);
    if (!recorded.ok()) {
      if (recorded.status().code() == ErrorCode::kInvalidArgument) {
        log.warn(
            "bad_line",
            {{"input", "stdin"}, {"line", line.number}, {"error", recorded.status().message()}});
        continue;
      }
      return recorded.status();
    }
  }
  return Status();
}

// The database and the configuration every command starts from, the configuration recorded as
// program's (config_changes). Returns kExitOk, or the exit code of the failure it logged.
int open_resources(const std::string& db_path, const std::string& config_path,
                   std::string_view program, const time::Clock& clock, const Logger& log,
                   store::Database& db, std::optional<Config>& config) {
  store::OpenOptions options;
  options.clock = &clock;
  Result<store::Database> opened = store::Database::open(db_path, options);
  if (!opened.ok()) return report_failure(log, "database_error", opened.status(), kExitFailure);
  db = std::move(*opened);
  Result<Config> loaded = load_config(config_path, log);
  if (!loaded.ok()) return report_failure(log, "config_error", loaded.status(), kExitConfigError);
  config = std::move(*loaded);
  Result<bool> recorded = store::record_config(db, program, *config, log);
  if (!recorded.ok()) return report_failure(log, "database_error", recorded.status(), kExitFailure);
  return kExitOk;
}

}  // namespace

int run_deliver(const DeliverArgs& args, const Logger& log, const time::Clock& clock) {
  if (args.drain_ms < 0) {
    return report_usage_error(
        log, error(ErrorCode::kInvalidArgument, "--drain-ms must not be negative"));
  }
  store::Database db;
  std::optional<Config> config;
  if (int code = open_resources(args.db_path, args.config_path, "sm-alert", clock, log, db, config);
      code != kExitOk) {
    return code;
  }
  Result<AlertSettings> settings = load_alert_settings(*config);
  if (!settings.ok()) {
    return report_failure(log, "config_error", settings.status(), kExitConfigError);
  }
  broker::CurlHttpClient http;
  Result<std::vector<std::unique_ptr<Channel>>> channels =
      make_channels(*settings, http, stdout, args.secrets_file);
  if (!channels.ok()) {
    return report_failure(log, "config_error", channels.status(), kExitConfigError);
  }
  Deliverer deliverer(db, *settings, std::move(*channels), clock, log);
  log.info("started", {{"channels", settings->channels}, {"follow", args.follow}});

  InputPump pump(STDIN_FILENO);
  MessageDecoder decoder;
  bool input_open = !args.no_stdin;
  TimestampMs drain_until = 0;
  while (!stop_requested()) {
    if (input_open) {
      std::vector<InputLine> lines;
      Status read = pump.read(settings->poll_interval_ms, lines);
      if (!read.ok()) {
        log.error_status("input_error", read);
        input_open = false;
      }
      Status stored = store_alert_lines(db, decoder, lines, log);
      if (!stored.ok()) return report_failure(log, "database_error", stored, kExitFailure);
      if (pump.eof()) input_open = false;
    }
    Status collected = deliverer.collect();
    if (!collected.ok()) return report_failure(log, "database_error", collected, kExitFailure);
    Status delivered = deliverer.deliver_due();
    if (!delivered.ok()) return report_failure(log, "database_error", delivered, kExitFailure);
    if (input_open) continue;
    if (!args.follow) {
      const TimestampMs now = clock.now_ms();
      if (drain_until == 0) drain_until = now + args.drain_ms;
      Result<std::optional<TimestampMs>> next = deliverer.next_due();
      if (!next.ok()) return report_failure(log, "database_error", next.status(), kExitFailure);
      if (!next->has_value() || **next > drain_until || now >= drain_until) break;
    }
    pause_for(settings->poll_interval_ms);
  }
  Result<std::int64_t> pending = pending_count(db);
  const DeliveryCounts& c = deliverer.counts();
  log.info("finished", {{"alerts_read", c.alerts_read},
                        {"dropped", c.dropped},
                        {"queued", c.queued},
                        {"delivered", c.delivered},
                        {"failed_attempts", c.failed},
                        {"combined", c.combined},
                        {"pending", pending.ok() ? *pending : -1},
                        {"stopped_by_signal", stop_requested()}});
  return kExitOk;
}

}  // namespace sm::alert

namespace sm::alert {
namespace {

// Where the watcher reads the dated dependencies: the default calendar and charges files, and the
// token file as sm-order finds it ($SM_KITE_TOKEN_FILE, else broker.token_file).
order::DependencySources watch_sources(const Config& config) {
  order::DependencySources sources;
  if (Result<std::string> path = time::Calendar::default_path(); path.ok()) {
    sources.calendar_path = *path;
  }
  if (Result<std::string> path = costs::IndianEquityCostModel::default_path(); path.ok()) {
    sources.charges_path = *path;
  }
  const char* env = std::getenv("SM_KITE_TOKEN_FILE");
  Result<std::string> configured = config.get_string("broker.token_file", "var/kite_token");
  if (env != nullptr && *env != '\0') {
    sources.token_file = env;
  } else if (configured.ok()) {
    sources.token_file = *configured;
  }
  return sources;
}

// The dead-man's switch URL, or "" when SM_ALERT_PING_URL is not set anywhere.
Result<std::string> ping_url(const std::string& secrets_file) {
  Result<std::string> url = read_secret("SM_ALERT_PING_URL", secrets_file);
  if (!url.ok()) {
    if (url.status().code() == ErrorCode::kAuthError) return std::string();
    return url.status();
  }
  if (!broker::check_secret_safe_url(*url, "SM_ALERT_PING_URL").ok()) {
    return error(ErrorCode::kConfigError,
                 "SM_ALERT_PING_URL must be an https URL (plain http only to 127.0.0.1 or "
                 "localhost)");
  }
  return url;
}

// One check: returns how many problems were found, after recording and writing the changes.
Result<std::size_t> watch_once(store::Database& db, const std::string& db_path,
                               const WatchSettings& settings,
                               const order::DependencySources& sources,
                               const std::optional<time::Calendar>& calendar, TimestampMs now,
                               const Logger& log) {
  Result<store::StatusReport> report = store::build_status_report(db_path, now);
  if (!report.ok()) return report.status();
  const std::vector<store::DatedDependency> dependencies =
      order::check_dated_dependencies(sources, *report, now, settings.dependency_warn_days);
  time::Session session = time::Session::kContinuous;  // no calendar: watch everything
  if (calendar) {
    if (Result<time::Session> at = calendar->session_at(now); at.ok()) session = *at;
  }
  const CheckResult check = check_system(settings, *report, dependencies, session, now);
  Result<std::map<std::string, Alert>> open = open_watch_incidents(db);
  if (!open.ok()) return open.status();
  const std::vector<Alert> changes = incident_changes(check, *open, now);
  if (!changes.empty()) {
    Result<store::Transaction> tx = db.begin();
    if (!tx.ok()) return tx.status();
    for (const Alert& alert : changes) {
      Result<bool> recorded = store::record_alert(db, alert);
      if (!recorded.ok()) return recorded.status();
    }
    SM_RETURN_IF_ERROR(tx->commit());
    // Stored first: a reader of stdout that acts on a line finds it in the table.
    for (const Alert& alert : changes) {
      std::fputs((to_json(Message(alert)) + "\n").c_str(), stdout);
      log.info("watch_alert", {{"event", alert.event}, {"dedup_key", alert.dedup_key}});
    }
    std::fflush(stdout);
  }
  return check.findings.size();
}

}  // namespace

int run_watch(const WatchArgs& args, const Logger& log, const time::Clock& clock) {
  store::Database db;
  std::optional<Config> config;
  if (int code =
          open_resources(args.db_path, args.config_path, "sm-alert-watch", clock, log, db, config);
      code != kExitOk) {
    return code;
  }
  Result<WatchSettings> settings = load_watch_settings(*config);
  if (!settings.ok()) {
    return report_failure(log, "config_error", settings.status(), kExitConfigError);
  }
  Result<std::string> ping = ping_url(args.secrets_file);
  if (!ping.ok()) return report_failure(log, "config_error", ping.status(), kExitConfigError);
  const order::DependencySources sources = watch_sources(*config);
  std::optional<time::Calendar> calendar;
  if (Result<time::Calendar> loaded = time::Calendar::load_default(); loaded.ok()) {
    calendar = std::move(*loaded);
  } else if (!settings->always_in_session) {
    log.warn("calendar_unavailable", {{"error", loaded.status().message()},
                                      {"effect", "every check runs as if the market were open"}});
  }
  broker::CurlHttpClient http;
  log.info("watch_started", {{"interval_ms", settings->interval_ms}, {"ping", !ping->empty()}});
  while (!stop_requested()) {
    const TimestampMs now = clock.now_ms();
    Result<std::size_t> problems =
        watch_once(db, args.db_path, *settings, sources, calendar, now, log);
    if (!problems.ok())
      return report_failure(log, "database_error", problems.status(), kExitFailure);
    Heartbeat beat;
    beat.ts = now;
    beat.component = "sm-alert-watch";
    beat.status = "ok";
    beat.pid = static_cast<std::int64_t>(::getpid());
    beat.detail = nlohmann::json{{"problems", *problems}}.dump();
    Status beaten = store::record_heartbeat(db, beat);
    if (!beaten.ok()) return report_failure(log, "database_error", beaten, kExitFailure);
    if (*problems == 0 && !ping->empty()) {
      broker::HttpRequest request;
      request.url = *ping;
      request.timeout_ms = 10000;
      broker::HttpOutcome sent = http.send(request);
      if (!sent.ok() || sent.response().status < 200 || sent.response().status >= 300) {
        // The URL is a secret (it identifies the check): only the outcome is logged.
        log.warn("ping_failed",
                 {{"error",
                   sent.ok() ? fmt::format("HTTP {}", sent.response().status)
                             : std::string(broker::transport_failure_name(sent.error().failure))}});
      }
    }
    if (args.once) break;
    pause_for(settings->interval_ms);
  }
  return kExitOk;
}

int run_summary(const SummaryArgs& args, const Logger& log, const time::Clock& clock) {
  store::Database db;
  std::optional<Config> config;
  if (int code = open_resources(args.db_path, args.config_path, "sm-alert-summary", clock, log, db,
                                config);
      code != kExitOk) {
    return code;
  }
  const TimestampMs now = clock.now_ms();
  Result<store::StatusReport> report = store::build_status_report(args.db_path, now);
  if (!report.ok()) return report_failure(log, "database_error", report.status(), kExitFailure);
  SummaryInput input;
  input.report = &*report;
  Status day = load_day_records(db, report->pnl.day_start, now, input);
  if (!day.ok()) return report_failure(log, "database_error", day, kExitFailure);
  input.divergence = divergence_lines(report->divergence, format_date(ist_date(now)));
  // Tomorrow's warnings: the data files that run out within a day. The broker token runs out
  // every morning and is renewed by the login, so it is not one.
  for (store::DatedDependency& d :
       order::check_dated_dependencies(watch_sources(*config), *report, now, 1)) {
    if (d.counts_for_expiry && d.state != "ok" && d.state != "no_end_date") {
      input.tomorrow.push_back(std::move(d));
    }
  }
  const Alert alert = summary_alert(input, now);
  // One summary a day: the first one stored is the one delivered (its incident is the date).
  Result<bool> already = summary_stored(db, alert.dedup_key);
  if (!already.ok()) return report_failure(log, "database_error", already.status(), kExitFailure);
  Result<bool> stored = *already ? Result<bool>(false) : store::record_alert(db, alert);
  if (!stored.ok()) return report_failure(log, "database_error", stored.status(), kExitFailure);
  nlohmann::json line = {{"type", "daily_summary"},
                         {"ts", format_utc(now)},
                         {"date", format_date(ist_date(now))},
                         {"net", format_rupees(report->pnl.net)},
                         {"charges", format_rupees(report->pnl.charges)},
                         {"fills", input.fills.size()},
                         {"open_positions", report->positions.size()},
                         {"halts", input.halts.size()},
                         {"stored", *stored},
                         {"text", alert.text}};
  std::fputs((line.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);
  log.info("summary_recorded", {{"dedup_key", alert.dedup_key}, {"new", *stored}});
  return kExitOk;
}

int run_token_reminder(const TokenReminderArgs& args, const Logger& log, const time::Clock& clock) {
  TimestampMs now = clock.now_ms();
  if (!args.at.empty()) {
    Result<TimestampMs> at = parse_timestamp(args.at, kIstOffsetMinutes);
    if (!at.ok()) {
      return report_usage_error(
          log, error(ErrorCode::kInvalidArgument, "--at: " + at.status().message()));
    }
    now = *at;
  }
  store::Database db;
  std::optional<Config> config;
  if (int code = open_resources(args.db_path, args.config_path, "sm-alert-token-reminder", clock,
                                log, db, config);
      code != kExitOk) {
    return code;
  }
  bool trading_day = true;
  if (Result<time::Calendar> calendar = time::Calendar::load_default(); !calendar.ok()) {
    log.warn("calendar_unavailable", {{"error", calendar.status().message()},
                                      {"effect", "the token is checked as on a trading day"}});
  } else if (Result<bool> trades = calendar->is_trading_day(ist_date(now)); trades.ok()) {
    trading_day = *trades;
  } else {
    log.warn("calendar_unavailable", {{"error", trades.status().message()},
                                      {"effect", "the token is checked as on a trading day"}});
  }
  const std::string token_file = watch_sources(*config).token_file;
  std::optional<Alert> alert;
  if (trading_day) alert = token_reminder_alert(read_token_login(token_file), now);
  if (alert) {
    Result<bool> stored = store::record_alert(db, *alert);
    if (!stored.ok()) return report_failure(log, "database_error", stored.status(), kExitFailure);
  }
  nlohmann::json line = {{"type", "token_reminder"},           {"ts", format_utc(now)},
                         {"date", format_date(ist_date(now))}, {"trading_day", trading_day},
                         {"token_file", token_file},           {"login_needed", alert.has_value()}};
  if (alert) line["text"] = alert->text;
  std::fputs((line.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

int run_unit_failed(const UnitFailedArgs& args, const Logger& log, const time::Clock& clock) {
  if (Status name = check_unit_name(args.unit); !name.ok()) return report_usage_error(log, name);
  {
    Result<store::Database> db = store::Database::open(args.deliver.db_path);
    if (!db.ok()) return report_failure(log, "database_error", db.status(), kExitFailure);
    Result<bool> stored = store::record_alert(*db, unit_failed_alert(args.unit, clock.now_ms()));
    if (!stored.ok()) return report_failure(log, "database_error", stored.status(), kExitFailure);
  }
  DeliverArgs deliver = args.deliver;
  deliver.no_stdin = true;
  deliver.follow = false;
  return run_deliver(deliver, log, clock);
}

}  // namespace sm::alert
