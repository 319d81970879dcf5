#include "store/database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "store/schema.h"

namespace sm::store {

Database::Database() = default;

Result<Database> Database::open(const std::string& path, OpenOptions options) {
  sqlite::OpenOptions connection_options;
  connection_options.busy_timeout_ms = options.busy_timeout_ms;
  connection_options.synchronous = options.synchronous;
  connection_options.create_parent_directory = options.create_parent_directory;
  connection_options.auto_checkpoint = options.auto_checkpoint;
  Result<sqlite::Connection> connection = sqlite::Connection::open(path, connection_options);
  if (!connection.ok()) return connection.status();
  Database db(std::move(connection.value()), options);
  SM_RETURN_IF_ERROR(db.migrate(schema_migrations()));
  return db;
}

Result<Database> Database::open_readonly(const std::string& path, int busy_timeout_ms) {
  Result<sqlite::Connection> connection = sqlite::Connection::open_readonly(path, busy_timeout_ms);
  if (!connection.ok()) return connection.status();
  OpenOptions options;
  options.busy_timeout_ms = busy_timeout_ms;
  return Database(std::move(connection.value()), options);
}

bool Database::has_schema() {
  Result<int> version = schema_version();
  return version.ok() && *version >= 1;
}

const time::Clock& Database::clock() const {
  static const time::SystemClock wall_clock;
  return options_.clock != nullptr ? *options_.clock : wall_clock;
}

ScopedSynchronous::ScopedSynchronous(Database& db, Synchronous mode)
    : db_(db), saved_(db.synchronous()) {
  if (!db.in_transaction() && mode != saved_) switched_ = db.set_synchronous(mode).ok();
}

ScopedSynchronous::~ScopedSynchronous() {
  if (switched_) (void)db_.set_synchronous(saved_);
}

Status Database::sync_wal() {
  // In WAL mode the pager's journal file is the WAL (SQLITE_FCNTL_JOURNAL_POINTER).
  sqlite3_file* wal = nullptr;
  int rc = sqlite3_file_control(handle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc == SQLITE_OK && wal != nullptr && wal->pMethods != nullptr) {
    rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  }
  if (rc == SQLITE_OK) return Status();
  return error(ErrorCode::kDatabaseError,
               fmt::format("{}: sync of the WAL failed: {}", path(), sqlite3_errstr(rc)));
}

DeferredSync::DeferredSync(Database& db)
    : db_(db), normal_(db, Synchronous::kNormal), saved_(db.sync_deferred_) {
  db_.sync_deferred_ = true;
}

DeferredSync::~DeferredSync() { db_.sync_deferred_ = saved_; }

int latest_schema_version() { return static_cast<int>(schema_migrations().size()); }

}  // namespace sm::store
