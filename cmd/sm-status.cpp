// sm-status: what the database says right now, for a person (tables, IST) or a machine (--json).
// See man/sm-status.1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/program.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "core/timestamp.h"
#include "costs/cost_model.h"
#include "order/dated_dependencies.h"
#include "store/status_report.h"
#include "time/calendar.h"
#include "time/clock.h"
#include "time/market_day.h"

namespace {

// A dependency within this many days shows as "expiring" (the same lead sm-risk gives).
constexpr std::int64_t kExpiryWarningDays = 14;

// Where the dependencies are read from: the default calendar and charges files, and the token file
// as sm-order finds it (--token-file, else $SM_KITE_TOKEN_FILE, else broker.token_file).
sm::order::DependencySources dependency_sources(const sm::Config& config,
                                                const std::string& token_flag) {
  sm::order::DependencySources sources;
  if (sm::Result<std::string> path = sm::time::Calendar::default_path(); path.ok()) {
    sources.calendar_path = *path;
  }
  if (sm::Result<std::string> path = sm::costs::IndianEquityCostModel::default_path(); path.ok()) {
    sources.charges_path = *path;
  }
  sources.token_file = token_flag;
  if (sources.token_file.empty()) {
    const char* env = std::getenv("SM_KITE_TOKEN_FILE");
    sm::Result<std::string> configured = config.get_string("broker.token_file", "var/kite_token");
    if (env != nullptr && *env != '\0') {
      sources.token_file = env;
    } else if (configured.ok()) {
      sources.token_file = *configured;
    }
  }
  return sources;
}

// `sm-status calendar`: the market day at `now` as one JSON line; with a question
// (--trading-today or --in-session), kExitMarketClosed when the answer is no.
int run_calendar(const sm::Logger& log, sm::TimestampMs now, bool trading_today, bool in_session) {
  sm::Result<sm::time::Calendar> calendar = sm::time::Calendar::load_default();
  if (!calendar.ok()) return sm::report_failure(log, "calendar_unavailable", calendar.status());
  sm::Result<sm::time::MarketDay> day = sm::time::market_day_at(*calendar, now);
  if (!day.ok()) return sm::report_failure(log, "calendar_unavailable", day.status());
  const std::string out = sm::time::format_market_day_json(*day, calendar->path()) + "\n";
  if (std::fputs(out.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    log.error("write_failed", {{"message", "cannot write to stdout"}});
    return sm::kExitFailure;
  }
  if ((trading_today && !day->trading) || (in_session && !day->in_session())) {
    return sm::kExitMarketClosed;
  }
  return sm::kExitOk;
}

}  // namespace

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
  std::string token_file;
  std::int64_t expiring_within_days = -1;
  app.add_option("--token-file", token_file,
                 "the broker token file whose expiry to show (default: as sm-order finds it)");
  app.add_option("--expiring-within", expiring_within_days,
                 "exit 8 when the calendar or the charge rates run out within DAYS days (or "
                 "cannot be read)")
      ->type_name("DAYS")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--at", at,
                 "report as if the time were AT (ISO 8601; without a zone, IST): ages, today's "
                 "P&L day and halt expiry use it");

  CLI::App* calendar_command = app.add_subcommand(
      "calendar",
      "Print whether the market trades today and its session now, by the NSE calendar "
      "(for systemd's ExecCondition=: exit 9 when the answer asked for is no)");
  bool trading_today = false;
  bool in_session = false;
  CLI::Option* trading_flag = calendar_command->add_flag(
      "--trading-today", trading_today, "exit 9 unless the market trades today (IST)");
  calendar_command
      ->add_flag("--in-session", in_session,
                 "exit 9 unless now is within today's sessions (pre-open to the closing session)")
      ->excludes(trading_flag);
  calendar_command->add_option("--at", at,
                               "answer for the time AT (ISO 8601; without a zone, IST)");

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // Only broker.token_file is read, but a --config that is missing or wrong is refused as in
    // every program.
    // sm-status is for people: its stderr stays empty when all is well, so config_loaded (info)
    // is not logged.
    const sm::Logger quiet("sm-status", sm::LogLevel::kWarning);
    sm::Result<sm::Config> config = sm::load_config(common.config_path, quiet);
    if (!config.ok()) {
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
    if (calendar_command->parsed()) return run_calendar(log, now, trading_today, in_session);
    sm::Result<sm::store::StatusReport> report =
        sm::store::build_status_report(common.db_path, now);
    if (!report.ok()) {
      log.error_status("status_failed", report.status(), {{"db", common.db_path}});
      return sm::kExitFailure;
    }
    report->dependencies = sm::order::check_dated_dependencies(
        dependency_sources(*config, token_file), *report, now, kExpiryWarningDays);
    const std::string out = json ? sm::store::format_status_json(*report) + "\n"
                                 : sm::store::format_status_text(*report);
    if (std::fputs(out.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
      log.error("write_failed", {{"message", "cannot write to stdout"}});
      return sm::kExitFailure;
    }
    if (expiring_within_days >= 0 &&
        sm::order::any_expiring_within(report->dependencies, now, expiring_within_days)) {
      return sm::kExitExpiring;
    }
    return sm::kExitOk;
  });
}
