// The sm-db commands, as functions from parsed command-line text to an exit code, so the
// program's main only declares flags. Each writes one NDJSON record per result on stdout (with
// the time it ran in "ts") and one JSON diagnostic on stderr when it fails. man/sm-db.1 and
// docs/OPERATIONS.md ("Backup and restore", "Prune") describe them.
// Exit codes: 0 done; 1 a database or file failure; 2 usage (restore over an existing database
// without --replace, an unreadable --before); 3 check found damage.
#pragma once

#include <cstdint>
#include <string>

#include "core/log.h"
#include "core/timestamp.h"

namespace sm::store {

// What the command line asked for; each command reads the fields it names.
struct DbCommandArgs {
  std::string db_path;               // --db: every command
  std::string directory;             // --dir: backup, prune-backups
  int keep_days = 0;                 // --keep-days: backup (0: keep all), prune-backups
  std::string file;                  // check (empty: db_path), restore
  bool replace = false;              // restore --replace
  std::int64_t older_than_days = 0;  // prune-ticks --older-than-days; or
  std::string before_text;           // prune-ticks --before (ISO 8601, IST by default)
};

// backup: a consistent copy of db_path into directory (backup_written), then, with keep_days,
// the retention of prune_backups (one backup_removed per file).
int run_backup(const DbCommandArgs& args, TimestampMs now, const Logger& log);
// prune-backups: keeps the newest backup of each of the last keep_days days in directory.
int run_prune_backups(const DbCommandArgs& args, const Logger& log);
// check: integrity and foreign keys of file (database_checked); 3 when it found damage.
int run_check(const DbCommandArgs& args, const Logger& log);
// restore: file over db_path (database_restored); 2 when db_path exists and replace is false.
int run_restore(const DbCommandArgs& args, const Logger& log);
// migrate: opens db_path, which brings its schema to this build's version (schema_migrated).
int run_migrate(const DbCommandArgs& args, const Logger& log);
// prune-ticks: deletes the ticks before before_text, else older than older_than_days before now
// (ticks_pruned); opening the database migrates it first.
int run_prune_ticks(const DbCommandArgs& args, TimestampMs now, const Logger& log);

}  // namespace sm::store
