#include "store/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

#include "sqlite/connection.h"
#include "store/database.h"

namespace sm::store {

namespace {

namespace fs = std::filesystem;

Status io_error(const std::string& path, std::string_view what) {
  return error(ErrorCode::kIoError, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// fsync of a file or directory by path: the data of a renamed file, or the rename itself.
Status sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return io_error(path, "open for sync");
  const bool synced = ::fsync(fd) == 0;
  Status failed = synced ? Status() : io_error(path, "sync");
  ::close(fd);
  return failed;
}

std::string parent_of(const std::string& path) {
  const std::string parent = fs::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

void remove_quietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

// The date and time part of a backup name of this stem ("2026-12-07T203000"), or empty when name
// is not one.
std::string backup_stamp(const std::string& stem, const std::string& name) {
  const std::string prefix = stem + "-";
  constexpr std::string_view kSuffix = ".db";
  constexpr std::size_t kStampLength = std::string_view("YYYY-MM-DDTHHMMSS").size();
  if (name.size() != prefix.size() + kStampLength + kSuffix.size()) return {};
  if (name.compare(0, prefix.size(), prefix) != 0 || !name.ends_with(kSuffix)) return {};
  std::string stamp = name.substr(prefix.size(), kStampLength);
  for (std::size_t i = 0; i < stamp.size(); ++i) {
    const bool digit = stamp[i] >= '0' && stamp[i] <= '9';
    const char expected = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : '0';
    if (expected == '0' ? !digit : stamp[i] != expected) return {};
  }
  return stamp;
}

std::string stem_of(const std::string& db_path) { return fs::path(db_path).stem().string(); }

// Copies the database at from into a new file at to with SQLite's online backup API in one step:
// one read transaction on the source, so the copy is a consistent snapshot while writers go on
// (WAL lets them). Not VACUUM INTO: from a read-only connection it fails on this schema with
// SQLite 3.40.1 ("table vacuum_db.signals has 10 columns but 11 values were supplied"). The
// destination is a plain connection rather than a house sqlite::Connection: the backup API refuses
// a WAL destination whose page size differs from the source's. The copy is left in rollback-journal
// mode, one self-contained file with no -wal beside it; the programs switch it back to WAL when
// they open it.
Status copy_database(const std::string& from, const std::string& to) {
  Result<sqlite::Connection> source = sqlite::Connection::open_readonly(from);
  if (!source.ok()) return source.status();
  sqlite3* destination = nullptr;
  int rc = sqlite3_open_v2(to.c_str(), &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_backup* backup = sqlite3_backup_init(destination, "main", source->handle(), "main");
    if (backup == nullptr) {
      rc = sqlite3_errcode(destination);
    } else {
      rc = sqlite3_backup_step(backup, -1);
      const int finished = sqlite3_backup_finish(backup);
      rc = rc == SQLITE_DONE ? finished : rc;
    }
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(destination, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  }
  Status copied = rc == SQLITE_OK
                      ? Status()
                      : error(ErrorCode::kDatabaseError,
                              fmt::format("copy {} to {}: {}", from, to,
                                          destination != nullptr ? sqlite3_errmsg(destination)
                                                                 : sqlite3_errstr(rc)));
  if (sqlite3_close(destination) != SQLITE_OK && copied.ok()) {
    copied = error(ErrorCode::kDatabaseError, fmt::format("close {}", to));
  }
  return copied;
}

}  // namespace

std::string backup_file_name(const std::string& db_path, TimestampMs taken_at) {
  std::string stamp = format_ist(taken_at, false);  // "2026-12-07 20:30:00"
  stamp[10] = 'T';
  stamp.erase(std::remove(stamp.begin() + 11, stamp.end(), ':'), stamp.end());
  return fmt::format("{}-{}.db", stem_of(db_path), stamp);
}

Result<std::string> backup_database(const std::string& db_path, const std::string& directory,
                                    TimestampMs now) {
  if (!fs::exists(db_path)) {
    return error(ErrorCode::kNotFound, fmt::format("database {} does not exist", db_path));
  }
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    return error(ErrorCode::kIoError,
                 fmt::format("create backup directory {}: {}", directory, ec.message()));
  }
  const std::string path = (fs::path(directory) / backup_file_name(db_path, now)).string();
  if (fs::exists(path)) {
    return error(ErrorCode::kConflict, fmt::format("backup {} exists already", path));
  }
  const std::string partial = path + ".partial";
  remove_quietly(partial);  // left by a backup that died; never a finished backup
  Status copied = copy_database(db_path, partial);
  if (copied.ok()) {
    Result<IntegrityReport> report = check_database(partial);
    if (!report.ok()) {
      copied = report.status();
    } else if (!report->ok()) {
      copied = error(ErrorCode::kDatabaseError,
                     fmt::format("backup of {} fails its check: {}", db_path, report->problems[0]));
    }
  }
  if (copied.ok()) copied = sync_path(partial, false);
  if (copied.ok() && ::rename(partial.c_str(), path.c_str()) != 0) {
    copied = io_error(path, "rename backup to");
  }
  if (!copied.ok()) {
    remove_quietly(partial);
    return copied;
  }
  SM_RETURN_IF_ERROR(sync_path(parent_of(path), true));
  return path;
}

Result<std::vector<std::string>> list_backups(const std::string& db_path,
                                              const std::string& directory) {
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::exists(directory, ec)) return found;
  const std::string stem = stem_of(db_path);
  std::map<std::string, std::string> by_stamp;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string stamp = backup_stamp(stem, entry.path().filename().string());
    if (!stamp.empty()) by_stamp.emplace(stamp, entry.path().string());
  }
  if (ec) {
    return error(ErrorCode::kIoError,
                 fmt::format("list backup directory {}: {}", directory, ec.message()));
  }
  for (auto& [stamp, path] : by_stamp) found.push_back(std::move(path));
  return found;
}

Result<std::vector<std::string>> prune_backups(const std::string& db_path,
                                               const std::string& directory, int keep_days) {
  if (keep_days < 1) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("keep at least one day of backups, not {}", keep_days));
  }
  Result<std::vector<std::string>> backups = list_backups(db_path, directory);
  if (!backups.ok()) return backups.status();
  // Newest first: the first backup seen of a day is the one kept for it.
  std::reverse(backups->begin(), backups->end());
  const std::string stem = stem_of(db_path);
  std::vector<std::string> removed;
  std::string last_day;
  int days_kept = 0;
  for (const std::string& backup : *backups) {
    const std::string day =
        backup_stamp(stem, fs::path(backup).filename().string()).substr(0, 10);  // YYYY-MM-DD
    const bool new_day = day != last_day;
    last_day = day;
    if (new_day && days_kept < keep_days) {
      ++days_kept;
      continue;
    }
    std::error_code ec;
    if (!fs::remove(backup, ec) && ec) {
      return error(ErrorCode::kIoError, fmt::format("remove backup {}: {}", backup, ec.message()));
    }
    removed.push_back(backup);
  }
  std::reverse(removed.begin(), removed.end());
  if (!removed.empty()) SM_RETURN_IF_ERROR(sync_path(directory, true));
  return removed;
}

Result<IntegrityReport> check_database(const std::string& path) {
  Result<sqlite::Connection> db = sqlite::Connection::open_readonly(path);
  if (!db.ok()) return db.status();
  IntegrityReport report;
  report.path = path;
  Result<int> version = db->schema_version();
  if (!version.ok()) return version.status();
  report.schema_version = *version;
  Result<sqlite::Statement> integrity = db->prepare("PRAGMA integrity_check");
  if (!integrity.ok()) return integrity.status();
  while (true) {
    Result<bool> row = integrity->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (integrity->column_text_view(0) != "ok")
      report.problems.push_back(integrity->column_text(0));
  }
  Result<sqlite::Statement> foreign_keys = db->prepare("PRAGMA foreign_key_check");
  if (!foreign_keys.ok()) return foreign_keys.status();
  while (true) {
    Result<bool> row = foreign_keys->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    report.problems.push_back(
        fmt::format("row {} of {} refers to a missing row of {}", foreign_keys->column_int64(1),
                    foreign_keys->column_text_view(0), foreign_keys->column_text_view(2)));
  }
  return report;
}

Status restore_database(const std::string& backup_path, const std::string& db_path) {
  Result<IntegrityReport> report = check_database(backup_path);
  if (!report.ok()) return report.status();
  if (!report->ok()) {
    return error(ErrorCode::kDatabaseError,
                 fmt::format("backup {} fails its check: {}", backup_path, report->problems[0]));
  }
  if (report->schema_version > latest_schema_version()) {
    return error(ErrorCode::kConflict,
                 fmt::format("backup {} has schema version {}, newer than this build's {}",
                             backup_path, report->schema_version, latest_schema_version()));
  }
  std::error_code ec;
  fs::create_directories(parent_of(db_path), ec);
  const std::string partial = db_path + ".restoring";
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) remove_quietly(partial + suffix);
  Status restored = copy_database(backup_path, partial);
  if (restored.ok()) restored = sync_path(partial, false);
  if (!restored.ok()) {
    remove_quietly(partial);
    return restored;
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string stale = db_path + suffix;
    if (::unlink(stale.c_str()) != 0 && errno != ENOENT) {
      Status failed = io_error(stale, "remove");
      remove_quietly(partial);
      return failed;
    }
  }
  if (::rename(partial.c_str(), db_path.c_str()) != 0) {
    Status failed = io_error(db_path, "rename restored database to");
    remove_quietly(partial);
    return failed;
  }
  return sync_path(parent_of(db_path), true);
}

}  // namespace sm::store
