#include "alert/program.h"

#include <unistd.h>

#include <cstdio>
#include <vector>

#include "alert/channels.h"
#include "alert/deliverer.h"
#include "alert/settings.h"
#include "broker/curl_http_client.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/input_pump.h"
#include "core/shutdown.h"
#include "store/database.h"
#include "store/ops_records.h"

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

}  // namespace

int run_deliver(const DeliverArgs& args, const Logger& log, const time::Clock& clock) {
  if (args.drain_ms < 0) {
    return report_usage_error(
        log, error(ErrorCode::kInvalidArgument, "--drain-ms must not be negative"));
  }
  store::OpenOptions options;
  options.clock = &clock;
  Result<store::Database> db = store::Database::open(args.db_path, options);
  if (!db.ok()) return report_failure(log, "database_error", db.status(), kExitFailure);
  Result<Config> config = load_config(args.config_path, log);
  if (!config.ok()) return report_failure(log, "config_error", config.status(), kExitConfigError);
  Result<AlertSettings> settings = load_alert_settings(*config);
  if (!settings.ok()) {
    return report_failure(log, "config_error", settings.status(), kExitConfigError);
  }
  Result<bool> recorded = store::record_config(*db, "sm-alert", *config, log);
  if (!recorded.ok()) return report_failure(log, "database_error", recorded.status(), kExitFailure);
  broker::CurlHttpClient http;
  Result<std::vector<std::unique_ptr<Channel>>> channels =
      make_channels(*settings, http, stdout, args.secrets_file);
  if (!channels.ok()) {
    return report_failure(log, "config_error", channels.status(), kExitConfigError);
  }
  Deliverer deliverer(*db, *settings, std::move(*channels), clock, log);
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
      Status stored = store_alert_lines(*db, decoder, lines, log);
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
  Result<std::int64_t> pending = pending_count(*db);
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
