#include "store/db_commands.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "core/exit_codes.h"
#include "sqlite/connection.h"
#include "store/backup.h"
#include "store/database.h"
#include "store/market_data.h"
#include "time/clock.h"

namespace sm::store {
namespace {

// One NDJSON record on stdout: type, ts (now), then fields.
void print_record(std::string_view type, const nlohmann::json& fields) {
  nlohmann::json record = {{"type", type}, {"ts", format_utc(time::SystemClock().now_ms())}};
  record.update(fields);
  std::printf("%s\n", record.dump().c_str());
}

int print_removed(const Result<std::vector<std::string>>& removed, const Logger& log) {
  if (!removed.ok()) return report_failure(log, "prune_backups_failed", removed.status());
  for (const std::string& path : *removed) print_record("backup_removed", {{"path", path}});
  return kExitOk;
}

// The schema version of the file at path, 0 when it does not exist yet.
Result<int> version_on_disk(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  Result<sqlite::Connection> db = sqlite::Connection::open_readonly(path);
  if (!db.ok()) return db.status();
  return db->schema_version();
}

// Opens the database at path, which migrates it; from_version gets the schema version it had.
Result<Database> open_migrated(const std::string& path, int& from_version) {
  Result<int> on_disk = version_on_disk(path);
  if (!on_disk.ok()) return on_disk.status();
  from_version = *on_disk;
  return Database::open(path);
}

}  // namespace

int run_backup(const DbCommandArgs& args, TimestampMs now, const Logger& log) {
  Result<std::string> path = backup_database(args.db_path, args.directory, now);
  if (!path.ok()) return report_failure(log, "backup_failed", path.status());
  print_record(
      "backup_written",
      {{"db", args.db_path}, {"path", *path}, {"bytes", std::filesystem::file_size(*path)}});
  if (args.keep_days == 0) return kExitOk;
  return run_prune_backups(args, log);
}

int run_prune_backups(const DbCommandArgs& args, const Logger& log) {
  return print_removed(prune_backups(args.db_path, args.directory, args.keep_days), log);
}

int run_check(const DbCommandArgs& args, const Logger& log) {
  const std::string path = args.file.empty() ? args.db_path : args.file;
  Result<IntegrityReport> report = check_database(path);
  if (!report.ok()) return report_failure(log, "check_failed", report.status());
  print_record("database_checked", {{"path", path},
                                    {"schema_version", report->schema_version},
                                    {"ok", report->ok()},
                                    {"problems", report->problems}});
  return report->ok() ? kExitOk : kExitDataError;
}

int run_restore(const DbCommandArgs& args, const Logger& log) {
  if (std::filesystem::exists(args.db_path) && !args.replace) {
    log.error("usage_error", {{"message", args.db_path + " exists; add --replace"}});
    return kExitUsage;
  }
  const Status restored = restore_database(args.file, args.db_path);
  if (!restored.ok()) return report_failure(log, "restore_failed", restored);
  print_record("database_restored", {{"db", args.db_path}, {"backup", args.file}});
  return kExitOk;
}

int run_migrate(const DbCommandArgs& args, const Logger& log) {
  int from_version = 0;
  Result<Database> db = open_migrated(args.db_path, from_version);
  if (!db.ok()) return report_failure(log, "open_failed", db.status());
  print_record("schema_migrated", {{"db", args.db_path},
                                   {"from_version", from_version},
                                   {"to_version", latest_schema_version()}});
  return kExitOk;
}

int run_prune_ticks(const DbCommandArgs& args, TimestampMs now, const Logger& log) {
  int from_version = 0;
  Result<Database> db = open_migrated(args.db_path, from_version);
  if (!db.ok()) return report_failure(log, "open_failed", db.status());
  TimestampMs before = now - args.older_than_days * kMsPerDay;
  if (!args.before_text.empty()) {
    Result<TimestampMs> parsed = parse_timestamp(args.before_text, kIstOffsetMinutes);
    if (!parsed.ok()) return report_usage_error(log, parsed.status());
    before = *parsed;
  }
  Result<std::int64_t> deleted = prune_ticks(*db, before);
  if (!deleted.ok()) return report_failure(log, "prune_ticks_failed", deleted.status());
  print_record("ticks_pruned",
               {{"db", args.db_path}, {"before", format_utc(before)}, {"deleted", *deleted}});
  return kExitOk;
}

}  // namespace sm::store
