// sm-db: looks after the database file: a consistent backup while the programs run, retention of
// daily backups, an integrity check, a restore, pruning of old ticks and the schema migration.
// See man/sm-db.1 and docs/OPERATIONS.md.
#include <string>

#include "cli/program.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "store/db_commands.h"
#include "time/clock.h"

namespace {

using sm::store::DbCommandArgs;

CLI::App* add_backup_command(CLI::App& app, DbCommandArgs& args) {
  CLI::App* backup = app.add_subcommand(
      "backup", "write a consistent copy of --db into DIR (safe while the programs run)");
  backup->add_option("--dir", args.directory, "backup directory")->required();
  backup
      ->add_option("--keep-days", args.keep_days,
                   "then keep only the newest backup of each of the last N days")
      ->check(CLI::Range(1, 36500));
  return backup;
}

CLI::App* add_prune_backups_command(CLI::App& app, DbCommandArgs& args) {
  CLI::App* prune_backups = app.add_subcommand(
      "prune-backups", "keep only the newest backup of each of the last N days in DIR");
  prune_backups->add_option("--dir", args.directory, "backup directory")->required();
  prune_backups->add_option("--keep-days", args.keep_days, "days to keep")
      ->required()
      ->check(CLI::Range(1, 36500));
  return prune_backups;
}

CLI::App* add_restore_command(CLI::App& app, DbCommandArgs& args) {
  CLI::App* restore = app.add_subcommand(
      "restore", "replace --db with a checked backup (stop stalkmarket.target first)");
  restore->add_option("backup", args.file, "backup file")->required();
  restore->add_flag("--replace", args.replace,
                    "replace an existing --db (required when it exists)");
  return restore;
}

CLI::App* add_prune_ticks_command(CLI::App& app, DbCommandArgs& args) {
  CLI::App* prune_ticks = app.add_subcommand(
      "prune-ticks", "delete ticks older than a date; bars, orders, fills and audit stay");
  CLI::Option* older = prune_ticks
                           ->add_option("--older-than-days", args.older_than_days,
                                        "delete ticks more than N days old")
                           ->check(CLI::Range(1, 36500));
  prune_ticks
      ->add_option("--before", args.before_text, "delete ticks before TS (ISO 8601, IST default)")
      ->excludes(older);
  prune_ticks->require_option(1);
  return prune_ticks;
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-db");
  CLI::App app{
      "Back up, check, restore and prune the StalkMarket database, and migrate its schema.",
      "sm-db"};
  app.footer(
      "Exit status: 0 done, 1 database or file failure, 2 usage, 3 check found damage, "
      "4 configuration error.");
  app.require_subcommand(1);
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);
  DbCommandArgs args;
  CLI::App* backup = add_backup_command(app, args);
  CLI::App* prune_backups = add_prune_backups_command(app, args);
  CLI::App* check = app.add_subcommand("check", "integrity and foreign-key check of a database");
  check->add_option("file", args.file, "database or backup file (default: --db)");
  CLI::App* restore = add_restore_command(app, args);
  CLI::App* prune_ticks = add_prune_ticks_command(app, args);
  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "bring the schema to this build's version (every program also does this at start)");
  // --db, --config and --log-level may also follow the subcommand.
  for (CLI::App* command : {backup, prune_backups, check, restore, prune_ticks, migrate}) {
    command->fallthrough();
  }

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // No section is read, but a --config that is missing or wrong is refused as in every program.
    sm::Result<sm::Config> config = sm::load_config(common.config_path, log);
    if (!config.ok()) {
      return sm::report_failure(log, "config_error", config.status(), sm::kExitConfigError);
    }
    args.db_path = common.db_path;
    const sm::TimestampMs now = sm::time::SystemClock().now_ms();
    if (backup->parsed()) return sm::store::run_backup(args, now, log);
    if (prune_backups->parsed()) return sm::store::run_prune_backups(args, log);
    if (check->parsed()) return sm::store::run_check(args, log);
    if (restore->parsed()) return sm::store::run_restore(args, log);
    if (migrate->parsed()) return sm::store::run_migrate(args, log);
    return sm::store::run_prune_ticks(args, now, log);
  });
}
