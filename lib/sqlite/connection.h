// A generic SQLite connection with the house settings (WAL, busy timeout, foreign keys,
// per-connection durability), cached prepared statements, write transactions and forward-only
// migrations. It knows no schema: the trading database (store::Database) and the paper broker's
// state file (paper::PaperStore) each bring their own.
//
// Threading: a Connection, and every Statement and Transaction made from it, belong to one thread
// at a time. Concurrency between threads or processes comes from each having its own Connection on
// the same file; WAL lets readers run while one writer writes, and writers queue on BEGIN
// IMMEDIATE for at most busy_timeout_ms.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sm::sqlite {

// PRAGMA synchronous for the connection. In WAL mode kFull syncs the WAL on every commit (a
// committed transaction survives a power cut); kNormal syncs only at checkpoints (the database
// stays consistent but the last transactions may be lost on a power cut).
enum class Synchronous { kOff, kNormal, kFull };
std::string_view synchronous_name(Synchronous mode);

struct OpenOptions {
  int busy_timeout_ms = 5000;
  Synchronous synchronous = Synchronous::kFull;
  // Create the parent directory of the file when it is missing.
  bool create_parent_directory = true;
  // SQLite checkpoints the WAL inside whichever commit takes it past 1,000 pages: that commit also
  // copies the pages into the database and fsyncs it. False for the programs on the live order
  // path, whose commits must not carry that; they checkpoint when idle (IdleCheckpoint) instead.
  bool auto_checkpoint = true;
};

// One step of a schema: migration i (0-based) takes a database from PRAGMA user_version i to i + 1.
// Released migrations are never edited; a change is a new migration appended to the list.
struct Migration {
  std::string_view description;
  std::string_view sql;  // one or more statements, run inside one transaction
};

class Connection;

// A prepared statement borrowed from its Connection's cache. Destroying it resets it, clears its
// bindings and gives it back to the cache, so preparing the same SQL again is cheap.
// REQUIRES: destroyed before the Connection it came from.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based parameter index. Text is copied. A bind failure is remembered and returned by
  // the next step()/run(), so binds can be chained without checking each one.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, bool value) {
    return bind(index, static_cast<std::int64_t>(value ? 1 : 0));
  }
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::nullptr_t);
  // Binds text WITHOUT copying it (SQLITE_STATIC), for bulk inserts where the copy is measurable.
  // REQUIRES: value's bytes stay valid and unchanged until the statement is next reset, re-bound at
  // this index, or destroyed.
  Statement& bind_static(int index, std::string_view value);
  // bind_all(a, b, c) binds parameters 1, 2, 3.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances one row: true when a row is available through column_*, false when the statement is
  // done. Fails with kDatabaseError (message names the SQL and SQLite's reason) on any error,
  // including SQLITE_BUSY after the busy timeout.
  Result<bool> step();
  // Steps until done, ignoring any rows (INSERT, UPDATE, DELETE).
  Status run();
  // Rows changed by the last run()/step() of an INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const;
  // Makes the statement ready to run again with new bindings.
  void reset();
  // The same, but the old bindings stay until re-bound: for bulk inserts that bind every parameter
  // again, where clearing hundreds of parameters first is measurable. REQUIRES: the caller binds
  // every parameter before the next step (a stale one would be written again otherwise).
  void reset_keeping_bindings();

  // 0-based column index of the current row. Text views stay valid until the next step/reset.
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string_view column_text_view(int column) const;
  std::string column_text(int column) const { return std::string(column_text_view(column)); }
  bool column_is_null(int column) const;

  bool valid() const { return stmt_ != nullptr; }

 private:
  friend class Connection;
  struct Cache;
  Statement(sqlite3_stmt* stmt, Cache* cache) : stmt_(stmt), cache_(cache) {}
  void release();
  sqlite3_stmt* stmt_ = nullptr;
  Cache* cache_ = nullptr;
  Status bind_error_;
};

// A write transaction. Connection::begin() starts BEGIN IMMEDIATE (the write lock is taken up
// front, so a writer waits for busy_timeout instead of failing later on lock upgrade); inside an
// already open transaction it nests as a SAVEPOINT. Destroying it without commit() rolls back.
// REQUIRES: destroyed before its Connection; nested transactions end before the enclosing one.
class Transaction {
 public:
  Transaction() = default;
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // COMMIT (or RELEASE for a nested one). After a failed commit the transaction is rolled back.
  Status commit();
  // Explicit rollback; also what the destructor does when commit() was not called.
  void rollback();
  bool active() const { return db_ != nullptr; }

 private:
  friend class Connection;
  Transaction(sqlite3* db, int savepoint) : db_(db), savepoint_(savepoint) {}
  sqlite3* db_ = nullptr;
  int savepoint_ = 0;  // 0 for the outermost BEGIN IMMEDIATE
};

class Connection {
 public:
  // Opens (creating if missing) the database at path for reading and writing: WAL journal,
  // busy_timeout, foreign_keys=ON and the synchronous setting from options. Applies no schema (see
  // migrate()). Fails with kDatabaseError naming the path when the file cannot be opened or is not
  // a database. ":memory:" opens a private in-memory database.
  static Result<Connection> open(const std::string& path, OpenOptions options = {});

  // Opens an existing database read-only. Never creates the file or its directory. Fails with
  // kNotFound when the file does not exist, and with kDatabaseError when it cannot be opened or is
  // not a database. A new or empty file opens fine with schema_version() == 0.
  static Result<Connection> open_readonly(const std::string& path, int busy_timeout_ms = 5000);

  Connection();
  ~Connection();
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Applies migrations[schema_version()...] in order, each with its PRAGMA user_version bump in its
  // own BEGIN IMMEDIATE, so concurrent openers are safe. Fails with kDatabaseError naming the path
  // when the file's version is newer than migrations.size() (an older program must not write a
  // schema it does not know) or a migration fails (that migration is rolled back).
  Status migrate(std::span<const Migration> migrations);

  // Runs SQL without parameters (may hold several statements), e.g. PRAGMAs or DDL.
  Status execute(std::string_view sql);
  // A prepared statement for sql, from the cache when it has been prepared before. A statement can
  // be prepared again while an earlier one for the same SQL is still in use (e.g. a query run
  // from inside a for_each visitor): the second is a fresh prepare.
  Result<Statement> prepare(std::string_view sql);
  // Starts a write transaction (see Transaction).
  Result<Transaction> begin();
  // Runs a query whose first column of the first row is an integer; fails with kNotFound when it
  // returns no row.
  Result<std::int64_t> query_int64(std::string_view sql);

  // PRAGMA user_version: 0 for a new or empty file.
  Result<int> schema_version();

  Synchronous synchronous() const { return synchronous_; }
  Status set_synchronous(Synchronous mode);
  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }
  bool in_transaction() const;
  std::int64_t last_insert_rowid() const;
  std::int64_t changes() const;
  // Pages in the WAL after this connection's last commit (other connections' included), counted
  // only when OpenOptions::auto_checkpoint was false; 0 after checkpoint().
  int wal_frames() const { return wal_frames_ ? *wal_frames_ : 0; }
  // A PASSIVE checkpoint: copies what it can of the WAL into the database without waiting for
  // readers or writers; ok (having done nothing) when another connection is checkpointing. When
  // it copied the whole WAL, also restarts the WAL with a commit of its own (which writes and syncs
  // the WAL's header). Fails with kDatabaseError.
  Status checkpoint();
  // The raw connection, for things this wrapper does not cover. Do not close it.
  sqlite3* handle() const { return db_; }

 private:
  Status configure(const OpenOptions& options);
  Status error_status(std::string_view what) const;

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statement::Cache> cache_;
  std::string path_;
  Synchronous synchronous_ = Synchronous::kFull;
  bool read_only_ = false;
  // The WAL hook's count when auto_checkpoint is off; on the heap, where the hook keeps its address
  // while the Connection moves.
  std::unique_ptr<int> wal_frames_;
};

}  // namespace sm::sqlite
