// Backups of the trading database: a consistent copy taken while the programs run, kept for a
// number of days, checked, and restored over a damaged or lost database. sm-db is the program;
// docs/OPERATIONS.md, "Backup and restore", is the procedure.
//
// These live in the store because they are about the one file the store owns: the same module
// that opens it (WAL, synchronous=FULL) is the one that knows how to copy it without a torn page
// and which schema versions it may hand back to the programs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/timestamp.h"

namespace sm::store {

// A backup file's name: "<stem>-YYYY-MM-DDTHHMMSS.db", the stem of the database file it copies
// ("stalkmarket" for var/stalkmarket.db) and the IST wall-clock time it was taken. IST because the
// trading day is an IST day: a nightly backup after the close is named after the day it keeps.
std::string backup_file_name(const std::string& db_path, TimestampMs taken_at);

// Writes a consistent snapshot of the database at db_path into directory (created when missing)
// and returns the new file's path. The snapshot is one read transaction (SQLite's online backup
// API in one step), so writers keep writing while it is taken and it holds every transaction
// committed before it began; the copy is one file in rollback-journal mode. It is
// written beside its final name, checked with PRAGMA integrity_check, fsynced and only then renamed
// into place, so a file carrying the backup name is always a whole, sound database.
// Fails with kNotFound when db_path does not exist, kConflict when a backup of the same name
// exists (taken within the same second), kDatabaseError when SQLite fails or the check finds
// damage, kIoError when the file cannot be synced or renamed (nothing is left behind).
Result<std::string> backup_database(const std::string& db_path, const std::string& directory,
                                    TimestampMs now);

// Backup files of the database at db_path in directory, oldest first (by the time in the name).
// Files not matching backup_file_name's pattern for that stem are not listed. A missing directory
// has no backups.
Result<std::vector<std::string>> list_backups(const std::string& db_path,
                                              const std::string& directory);

// Retention of daily backups: keeps the newest backup of each of the keep_days most recent days
// that have one, and removes every other backup of db_path in directory (earlier days, and the
// earlier backups of a kept day). Returns the removed paths, oldest first. Files that are not
// backups of db_path are never touched. kInvalidArgument when keep_days < 1.
Result<std::vector<std::string>> prune_backups(const std::string& db_path,
                                               const std::string& directory, int keep_days);

// What a check of a database file found.
struct IntegrityReport {
  std::string path;
  int schema_version = 0;
  // integrity_check lines and foreign keys that point nowhere; empty when sound
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Opens path read-only and runs PRAGMA integrity_check and PRAGMA foreign_key_check. Damage is a
// finding (problems), not an error. Fails with kNotFound when path does not exist and with
// kDatabaseError when it is not a database at all.
Result<IntegrityReport> check_database(const std::string& path);

// Replaces the database at db_path with the backup at backup_path. The backup is checked first
// (check_database, and a schema no newer than this build knows); the copy is made beside db_path,
// synced, the old database's -wal and -shm files are removed (they belong to the old file and
// would be replayed into the new one) and the copy is renamed over db_path. A database at an
// older schema version is migrated forward by the next program that opens it.
// REQUIRES: no program has db_path open (stop stalkmarket.target first).
// Fails with kNotFound when the backup does not exist, kDatabaseError when it is damaged or not a
// database, kConflict when its schema is newer than this build, kIoError when the copy cannot be
// synced or renamed; db_path is then unchanged.
Status restore_database(const std::string& backup_path, const std::string& db_path);

}  // namespace sm::store
