// sm-db: looks after the database file: a consistent backup while the programs run, retention of
// daily backups, an integrity check, a restore, pruning of old ticks and the schema migration.
// See man/sm-db.1 and docs/OPERATIONS.md.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/program.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "core/timestamp.h"
#include "sqlite/connection.h"
#include "store/backup.h"
#include "store/database.h"
#include "store/market_data.h"
#include "time/clock.h"

namespace {

constexpr std::int64_t kMsPerDay = 24LL * 60 * 60 * 1000;

// What the command line asked for.
struct Args {
  sm::cli::CommonOptions common;
  std::string directory;             // backup, prune-backups
  int keep_days = 0;                 // backup, prune-backups
  std::string file;                  // check, restore
  bool replace = false;              // restore
  std::int64_t older_than_days = 0;  // prune-ticks
  std::string before_text;           // prune-ticks
};

struct Commands {
  CLI::App* backup = nullptr;
  CLI::App* prune_backups = nullptr;
  CLI::App* check = nullptr;
  CLI::App* restore = nullptr;
  CLI::App* prune_ticks = nullptr;
  CLI::App* migrate = nullptr;
};

// One NDJSON record on stdout: type, ts (now), then fields.
void print_record(std::string_view type, const nlohmann::json& fields) {
  nlohmann::json record = {{"type", type},
                           {"ts", sm::format_utc(sm::time::SystemClock().now_ms())}};
  record.update(fields);
  std::printf("%s\n", record.dump().c_str());
}

int print_removed(const sm::Result<std::vector<std::string>>& removed, const sm::Logger& log) {
  if (!removed.ok()) return sm::report_failure(log, "prune_backups_failed", removed.status());
  for (const std::string& path : *removed) print_record("backup_removed", {{"path", path}});
  return sm::kExitOk;
}

// The schema version of the file at path, 0 when it does not exist yet.
sm::Result<int> version_on_disk(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  sm::Result<sm::sqlite::Connection> db = sm::sqlite::Connection::open_readonly(path);
  if (!db.ok()) return db.status();
  return db->schema_version();
}

Commands add_commands(CLI::App& app, Args& args) {
  Commands commands;
  commands.backup = app.add_subcommand(
      "backup", "write a consistent copy of --db into DIR (safe while the programs run)");
  commands.backup->add_option("--dir", args.directory, "backup directory")->required();
  commands.backup
      ->add_option("--keep-days", args.keep_days,
                   "then keep only the newest backup of each of the last N days")
      ->check(CLI::Range(1, 36500));
  commands.prune_backups = app.add_subcommand(
      "prune-backups", "keep only the newest backup of each of the last N days in DIR");
  commands.prune_backups->add_option("--dir", args.directory, "backup directory")->required();
  commands.prune_backups->add_option("--keep-days", args.keep_days, "days to keep")
      ->required()
      ->check(CLI::Range(1, 36500));
  commands.check = app.add_subcommand("check", "integrity and foreign-key check of a database");
  commands.check->add_option("file", args.file, "database or backup file (default: --db)");
  commands.restore = app.add_subcommand(
      "restore", "replace --db with a checked backup (stop stalkmarket.target first)");
  commands.restore->add_option("backup", args.file, "backup file")->required();
  commands.restore->add_flag("--replace", args.replace,
                             "replace an existing --db (required when it exists)");
  commands.prune_ticks = app.add_subcommand(
      "prune-ticks", "delete ticks older than a date; bars, orders, fills and audit stay");
  CLI::Option* older = commands.prune_ticks
                           ->add_option("--older-than-days", args.older_than_days,
                                        "delete ticks more than N days old")
                           ->check(CLI::Range(1, 36500));
  commands.prune_ticks
      ->add_option("--before", args.before_text, "delete ticks before TS (ISO 8601, IST default)")
      ->excludes(older);
  commands.prune_ticks->require_option(1);
  commands.migrate = app.add_subcommand(
      "migrate",
      "bring the schema to this build's version (every program also does this at start)");
  // --db, --config and --log-level may also follow the subcommand.
  for (CLI::App* command : {commands.backup, commands.prune_backups, commands.check,
                            commands.restore, commands.prune_ticks, commands.migrate}) {
    command->fallthrough();
  }
  return commands;
}

int run_backup(const Args& args, sm::TimestampMs now, const sm::Logger& log) {
  sm::Result<std::string> path =
      sm::store::backup_database(args.common.db_path, args.directory, now);
  if (!path.ok()) return sm::report_failure(log, "backup_failed", path.status());
  print_record(
      "backup_written",
      {{"db", args.common.db_path}, {"path", *path}, {"bytes", std::filesystem::file_size(*path)}});
  if (args.keep_days == 0) return sm::kExitOk;
  return print_removed(
      sm::store::prune_backups(args.common.db_path, args.directory, args.keep_days), log);
}

int run_check(const Args& args, const sm::Logger& log) {
  const std::string path = args.file.empty() ? args.common.db_path : args.file;
  sm::Result<sm::store::IntegrityReport> report = sm::store::check_database(path);
  if (!report.ok()) return sm::report_failure(log, "check_failed", report.status());
  print_record("database_checked", {{"path", path},
                                    {"schema_version", report->schema_version},
                                    {"ok", report->ok()},
                                    {"problems", report->problems}});
  return report->ok() ? sm::kExitOk : sm::kExitDataError;
}

int run_restore(const Args& args, const sm::Logger& log) {
  if (std::filesystem::exists(args.common.db_path) && !args.replace) {
    log.error("usage_error", {{"message", args.common.db_path + " exists; add --replace"}});
    return sm::kExitUsage;
  }
  const sm::Status restored = sm::store::restore_database(args.file, args.common.db_path);
  if (!restored.ok()) return sm::report_failure(log, "restore_failed", restored);
  print_record("database_restored", {{"db", args.common.db_path}, {"backup", args.file}});
  return sm::kExitOk;
}

// migrate, or prune-ticks: both open the database, which migrates it.
int run_on_database(const Args& args, bool migrate_only, sm::TimestampMs now,
                    const sm::Logger& log) {
  sm::Result<int> from_version = version_on_disk(args.common.db_path);
  if (!from_version.ok()) return sm::report_failure(log, "open_failed", from_version.status());
  sm::Result<sm::store::Database> db = sm::store::Database::open(args.common.db_path);
  if (!db.ok()) return sm::report_failure(log, "open_failed", db.status());
  if (migrate_only) {
    print_record("schema_migrated", {{"db", args.common.db_path},
                                     {"from_version", *from_version},
                                     {"to_version", sm::store::latest_schema_version()}});
    return sm::kExitOk;
  }
  sm::TimestampMs before = now - args.older_than_days * kMsPerDay;
  if (!args.before_text.empty()) {
    sm::Result<sm::TimestampMs> parsed =
        sm::parse_timestamp(args.before_text, sm::kIstOffsetMinutes);
    if (!parsed.ok()) return sm::report_usage_error(log, parsed.status());
    before = *parsed;
  }
  sm::Result<std::int64_t> deleted = sm::store::prune_ticks(*db, before);
  if (!deleted.ok()) return sm::report_failure(log, "prune_ticks_failed", deleted.status());
  print_record(
      "ticks_pruned",
      {{"db", args.common.db_path}, {"before", sm::format_utc(before)}, {"deleted", *deleted}});
  return sm::kExitOk;
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
  Args args;
  sm::cli::add_common_options(app, args.common);
  const Commands commands = add_commands(app, args);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // No section is read, but a --config that is missing or wrong is refused as in every program.
    sm::Result<sm::Config> config = sm::load_config(args.common.config_path, log);
    if (!config.ok()) {
      return sm::report_failure(log, "config_error", config.status(), sm::kExitConfigError);
    }
    const sm::TimestampMs now = sm::time::SystemClock().now_ms();
    if (commands.backup->parsed()) return run_backup(args, now, log);
    if (commands.prune_backups->parsed()) {
      return print_removed(
          sm::store::prune_backups(args.common.db_path, args.directory, args.keep_days), log);
    }
    if (commands.check->parsed()) return run_check(args, log);
    if (commands.restore->parsed()) return run_restore(args, log);
    return run_on_database(args, commands.migrate->parsed(), now, log);
  });
}
