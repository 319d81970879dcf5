// sm-alert: deliver alerts to a person (Telegram, Discord, PagerDuty, a JSON webhook, stdout)
// through an outbox in the database, from `alert` lines on stdin and the alerts table.
// See man/sm-alert.1 and docs/ALERTS.md.
#include <csignal>

#include "alert/program.h"
#include "cli/program.h"
#include "core/log.h"

namespace {

// The subcommands, and the arguments each fills.
struct Commands {
  sm::alert::DeliverArgs deliver;
  sm::alert::WatchArgs watch;
  sm::alert::SummaryArgs summary;
  sm::alert::TokenReminderArgs token_reminder;
  sm::alert::UnitFailedArgs unit_failed;
  CLI::App* watch_command = nullptr;
  CLI::App* summary_command = nullptr;
  CLI::App* token_reminder_command = nullptr;
  CLI::App* unit_failed_command = nullptr;
};

void add_commands(CLI::App& app, Commands& c) {
  auto add_deliver_options = [&c](CLI::App& command) {
    command.add_option("--secrets-file", c.deliver.secrets_file, "0600 KEY=VALUE secrets file");
    command.add_flag("--follow", c.deliver.follow,
                     "keep following the alerts table after stdin ends (until SIGTERM)");
    command.add_flag("--no-stdin", c.deliver.no_stdin, "do not read stdin; follow the table only");
    command
        .add_option("--drain-ms", c.deliver.drain_ms,
                    "after stdin ends, keep delivering what falls due within this long")
        ->capture_default_str();
  };
  add_deliver_options(app);
  app.add_subcommand("deliver",
                     "the default: deliver from stdin and the alerts table (same options)")
      ->fallthrough();

  c.watch_command = app.add_subcommand(
      "watch",
      "check heartbeats, market data, open orders and dated dependencies; raise and "
      "resolve alerts; ping the dead-man's switch while all is well");
  c.watch_command->fallthrough();
  c.watch_command->add_option("--secrets-file", c.watch.secrets_file,
                              "0600 KEY=VALUE secrets file");
  c.watch_command->add_flag("--once", c.watch.once, "check once and exit");

  c.summary_command = app.add_subcommand(
      "summary", "store and print the daily summary (positions, trades, P&L, halts, warnings)");
  c.summary_command->fallthrough();

  c.token_reminder_command = app.add_subcommand(
      "token-reminder",
      "on a trading day, store a warning when the Kite token file holds no login made after "
      "today's 06:00 IST (sm-reminders.service, before the pre-open)");
  c.token_reminder_command->fallthrough();
  c.token_reminder_command->add_option(
      "--at", c.token_reminder.at, "check as if the time were AT (ISO 8601; without a zone, IST)");

  c.unit_failed_command = app.add_subcommand(
      "unit-failed",
      "store the critical alert unit_failed for a failed systemd unit and deliver it "
      "(sm-alert@.service, started by every unit's OnFailure=)");
  c.unit_failed_command->fallthrough();
  c.unit_failed_command->add_option("UNIT", c.unit_failed.unit, "the unit that failed")->required();
}

int run_command(Commands& c, const sm::cli::CommonOptions& common, const sm::Logger& log) {
  // A reader that goes away (| head) must not kill us mid-transaction.
  std::signal(SIGPIPE, SIG_IGN);
  const sm::time::SystemClock clock;
  if (c.summary_command->parsed()) {
    c.summary.db_path = common.db_path;
    c.summary.config_path = common.config_path;
    return sm::alert::run_summary(c.summary, log, clock);
  }
  if (c.watch_command->parsed()) {
    c.watch.db_path = common.db_path;
    c.watch.config_path = common.config_path;
    return sm::alert::run_watch(c.watch, log, clock);
  }
  if (c.token_reminder_command->parsed()) {
    c.token_reminder.db_path = common.db_path;
    c.token_reminder.config_path = common.config_path;
    return sm::alert::run_token_reminder(c.token_reminder, log, clock);
  }
  if (c.unit_failed_command->parsed()) {
    c.unit_failed.deliver = c.deliver;
    c.unit_failed.deliver.db_path = common.db_path;
    c.unit_failed.deliver.config_path = common.config_path;
    return sm::alert::run_unit_failed(c.unit_failed, log, clock);
  }
  c.deliver.db_path = common.db_path;
  c.deliver.config_path = common.config_path;
  return sm::alert::run_deliver(c.deliver, log, clock);
}

}  // namespace

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

  Commands commands;
  add_commands(app, commands);
  return sm::cli::run(app, argc, argv, log,
                      [&]() -> int { return run_command(commands, common, log); });
}
