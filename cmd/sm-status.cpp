// sm-status: what the database says right now, for a person (tables, IST) or a machine (--json).
// See man/sm-status.1.
#include <cstdio>
#include <string>

#include "cli/program.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "core/timestamp.h"
#include "store/status_report.h"
#include "time/clock.h"

int main(int argc, char** argv) {
  sm::Logger log("sm-status");
  CLI::App app{
      "Show the database in use, per-symbol last tick/bar and its age, positions, open orders, "
      "today's P&L, active halts and each component's last heartbeat.",
      "sm-status"};
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);
  bool json = false;
  std::string at;
  app.add_flag("--json", json, "print one JSON object instead of tables");
  app.add_option("--at", at,
                 "report as if the time were AT (ISO 8601; without a zone, IST): ages, today's "
                 "P&L day and halt expiry use it");

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // No key is read yet, but a --config that is missing or wrong is refused as in every program.
    // sm-status is for people: its stderr stays empty when all is well, so config_loaded (info)
    // is not logged.
    const sm::Logger quiet("sm-status", sm::LogLevel::kWarning);
    if (sm::Result<sm::Config> config = sm::load_config(common.config_path, quiet); !config.ok()) {
      return sm::report_failure(log, "config_error", config.status(), sm::kExitConfigError);
    }
    sm::TimestampMs now = sm::time::SystemClock().now_ms();
    if (!at.empty()) {
      sm::Result<sm::TimestampMs> parsed = sm::parse_timestamp(at, sm::kIstOffsetMinutes);
      if (!parsed.ok()) {
        log.error("usage_error", {{"message", "--at: " + parsed.status().message()}});
        return sm::kExitUsage;
      }
      now = *parsed;
    }
    sm::Result<sm::store::StatusReport> report =
        sm::store::build_status_report(common.db_path, now);
    if (!report.ok()) {
      log.error_status("status_failed", report.status(), {{"db", common.db_path}});
      return sm::kExitFailure;
    }
    const std::string out = json ? sm::store::format_status_json(*report) + "\n"
                                 : sm::store::format_status_text(*report);
    if (std::fputs(out.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
      log.error("write_failed", {{"message", "cannot write to stdout"}});
      return sm::kExitFailure;
    }
    return sm::kExitOk;
  });
}
