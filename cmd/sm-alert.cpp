// sm-alert: deliver alerts to a person (Telegram, Discord, PagerDuty, a JSON webhook, stdout)
// through an outbox in the database, from `alert` lines on stdin and the alerts table.
// See man/sm-alert.1 and docs/ALERTS.md.
#include <csignal>

#include "alert/program.h"
#include "cli/program.h"
#include "core/log.h"

int main(int argc, char** argv) {
  sm::Logger log("sm-alert");
  CLI::App app{
      "Deliver alerts from `alert` lines on stdin and the alerts table to the configured "
      "channels, through an outbox that survives restarts and channel outages.",
      "sm-alert"};
  app.footer(
      "Subcommands: deliver (the default), watch (alert on stale heartbeats, degraded "
      "programs, stale market data, stalled fills, expiring dependencies), summary (the daily "
      "summary), token-reminder (the morning login reminder), unit-failed (alert that a systemd "
      "unit failed).\n"
      "Secrets: SM_TELEGRAM_BOT_TOKEN, SM_DISCORD_WEBHOOK_URL, SM_PAGERDUTY_ROUTING_KEY, "
      "SM_ALERT_WEBHOOK_URL, SM_SMTP_PASSWORD, SM_ALERT_PING_URL (watch) from the environment, "
      "NAME_FILE or "
      "--secrets-file.\n"
      "Exit status: 0 ok (undelivered messages stay queued), 1 database failure, 2 usage, "
      "4 configuration error.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::alert::DeliverArgs deliver;
  auto add_deliver_options = [&deliver](CLI::App& command) {
    command.add_option("--secrets-file", deliver.secrets_file, "0600 KEY=VALUE secrets file");
    command.add_flag("--follow", deliver.follow,
                     "keep following the alerts table after stdin ends (until SIGTERM)");
    command.add_flag("--no-stdin", deliver.no_stdin, "do not read stdin; follow the table only");
    command
        .add_option("--drain-ms", deliver.drain_ms,
                    "after stdin ends, keep delivering what falls due within this long")
        ->capture_default_str();
  };
  add_deliver_options(app);
  CLI::App* deliver_command = app.add_subcommand(
      "deliver", "the default: deliver from stdin and the alerts table (same options)");
  deliver_command->fallthrough();

  sm::alert::WatchArgs watch;
  CLI::App* watch_command = app.add_subcommand(
      "watch",
      "check heartbeats, market data, open orders and dated dependencies; raise and "
      "resolve alerts; ping the dead-man's switch while all is well");
  watch_command->fallthrough();
  watch_command->add_option("--secrets-file", watch.secrets_file, "0600 KEY=VALUE secrets file");
  watch_command->add_flag("--once", watch.once, "check once and exit");

  sm::alert::SummaryArgs summary;
  CLI::App* summary_command = app.add_subcommand(
      "summary", "store and print the daily summary (positions, trades, P&L, halts, warnings)");
  summary_command->fallthrough();

  sm::alert::TokenReminderArgs token_reminder;
  CLI::App* token_reminder_command = app.add_subcommand(
      "token-reminder",
      "on a trading day, store a warning when the Kite token file holds no login made after "
      "today's 06:00 IST (sm-reminders.service, before the pre-open)");
  token_reminder_command->fallthrough();
  token_reminder_command->add_option(
      "--at", token_reminder.at, "check as if the time were AT (ISO 8601; without a zone, IST)");

  sm::alert::UnitFailedArgs unit_failed;
  CLI::App* unit_failed_command = app.add_subcommand(
      "unit-failed",
      "store the critical alert unit_failed for a failed systemd unit and deliver it "
      "(sm-alert@.service, started by every unit's OnFailure=)");
  unit_failed_command->fallthrough();
  unit_failed_command->add_option("UNIT", unit_failed.unit, "the unit that failed")->required();

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // A reader that goes away (| head) must not kill us mid-transaction.
    std::signal(SIGPIPE, SIG_IGN);
    if (summary_command->parsed()) {
      summary.db_path = common.db_path;
      summary.config_path = common.config_path;
      return sm::alert::run_summary(summary, log, sm::time::SystemClock());
    }
    if (watch_command->parsed()) {
      watch.db_path = common.db_path;
      watch.config_path = common.config_path;
      return sm::alert::run_watch(watch, log, sm::time::SystemClock());
    }
    if (token_reminder_command->parsed()) {
      token_reminder.db_path = common.db_path;
      token_reminder.config_path = common.config_path;
      return sm::alert::run_token_reminder(token_reminder, log, sm::time::SystemClock());
    }
    if (unit_failed_command->parsed()) {
      unit_failed.deliver = deliver;
      unit_failed.deliver.db_path = common.db_path;
      unit_failed.deliver.config_path = common.config_path;
      return sm::alert::run_unit_failed(unit_failed, log, sm::time::SystemClock());
    }
    deliver.db_path = common.db_path;
    deliver.config_path = common.config_path;
    return sm::alert::run_deliver(deliver, log, sm::time::SystemClock());
  });
}
