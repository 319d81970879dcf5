// The trading database: a SQLite connection with the house settings (sqlite/connection.h) and the
// StalkMarket schema migrated to the version this program knows. docs/SCHEMA.md describes the
// tables and the durability policy.
//
// Threading: as for sqlite::Connection, a Database and everything made from it belong to one thread
// at a time; concurrency comes from each thread or process having its own Database on the file.
#pragma once

#include <string>
#include <utility>

#include "core/status.h"
#include "sqlite/connection.h"
#include "time/clock.h"

namespace sm::store {

using sqlite::Statement;
using sqlite::Synchronous;
using sqlite::synchronous_name;
using sqlite::Transaction;

// The schema version this build migrates to (PRAGMA user_version). See docs/SCHEMA.md.
int latest_schema_version();

struct OpenOptions {
  int busy_timeout_ms = 5000;
  // For everything the connection writes outside the market-data bulk functions. Orders, fills,
  // positions, halts and audit tables require kFull; keep the default unless the connection only
  // ever writes market data.
  Synchronous synchronous = Synchronous::kFull;
  // What insert_bars/insert_ticks switch the connection to for their own transaction (then switch
  // back). Market data can be re-ingested, so it trades the last few batches for speed.
  Synchronous market_data_synchronous = Synchronous::kNormal;
  // Create the parent directory of the file when it is missing.
  bool create_parent_directory = true;
  // sqlite::OpenOptions::auto_checkpoint: false for the programs on the live order path.
  bool auto_checkpoint = true;
  // What stamps the recorded_ms columns: when a row was written, as opposed to the market time it
  // is about. Null means the wall clock. Not owned; REQUIRES: outlives the Database.
  const time::Clock* clock = nullptr;
};

class Database : public sqlite::Connection {
 public:
  // Opens (creating if missing) the database at path for reading and writing with the house
  // settings (sqlite::Connection::open) and forward-only migrations up to latest_schema_version().
  // Fails with kDatabaseError naming the path when the file cannot be opened, is not a database,
  // or has a schema newer than this build knows. ":memory:" opens a private in-memory database.
  static Result<Database> open(const std::string& path, OpenOptions options = {});

  // Opens an existing database read-only for reports such as sm-status. Never creates the file or
  // its directory and never migrates. Fails with kNotFound when the file does not exist, and with
  // kDatabaseError when it cannot be opened. A new or empty file opens fine with
  // schema_version() == 0: callers then report "no data" (has_schema() is false). Works for a
  // user who may not write the file or its directory: when SQLite cannot create the WAL's -shm
  // and no -wal file exists (no writer is running), the file is opened immutable.
  static Result<Database> open_readonly(const std::string& path, int busy_timeout_ms = 5000);

  Database();

  // True when the database carries the StalkMarket schema (version >= 1).
  bool has_schema();

  const OpenOptions& options() const { return options_; }
  // True inside a DeferredSync scope.
  bool sync_deferred() const { return sync_deferred_; }
  // Syncs the WAL file to disk now, as a synchronous=FULL commit does: every transaction
  // committed on the file so far, by any connection, survives a power cut once it returns ok.
  // Nothing to do (ok) without a WAL file open. Fails with kDatabaseError.
  Status sync_wal();
  // The clock that stamps recorded_ms columns (OpenOptions::clock, else the wall clock).
  const time::Clock& clock() const;

 private:
  Database(sqlite::Connection connection, OpenOptions options)
      : sqlite::Connection(std::move(connection)), options_(options) {}

  friend class DeferredSync;
  OpenOptions options_;
  bool sync_deferred_ = false;
};

// Switches a connection to `mode` for the transaction its owner is about to begin, and back when
// the scope ends. Inside a transaction already open nothing is switched: synchronous applies at
// commit, so the outer transaction's setting stands. If the switch fails the connection keeps its
// setting (the writes are then only more durable than asked).
class ScopedSynchronous {
 public:
  ScopedSynchronous(Database& db, Synchronous mode);
  ~ScopedSynchronous();
  ScopedSynchronous(const ScopedSynchronous&) = delete;
  ScopedSynchronous& operator=(const ScopedSynchronous&) = delete;

 private:
  Database& db_;
  Synchronous saved_;
  bool switched_ = false;
};

// For records that a later durable commit on the same file always follows before anything acts
// on them (sm-risk's decisions: sm-order commits the intent at FULL before calling the broker).
// Switches the connection to synchronous=NORMAL for the transaction its owner is about to begin
// and lets the writes that otherwise require FULL (orders, fills, halts, audit) through for the
// scope. Why that is safe: in WAL mode every connection appends its commits to one log, in
// commit order, and a FULL commit syncs the whole log, so the next hop's commit makes these
// records durable with its own; a power cut before it can take them only together with
// everything after them, so no later record is left without them. What no later commit follows
// (a halt) must be made durable with Database::sync_wal() after the commit. Inside a transaction
// already open nothing is switched (the outer commit's setting stands). docs/SCHEMA.md,
// "Durability".
class DeferredSync {
 public:
  explicit DeferredSync(Database& db);
  ~DeferredSync();
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;

 private:
  Database& db_;
  ScopedSynchronous normal_;
  bool saved_;
};

}  // namespace sm::store
