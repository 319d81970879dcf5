#include "store/database.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "store/ops_records.h"
#include "store/trading_records.h"
#include "support/temp_database.h"
#include "time/clock.h"

using sm::ErrorCode;
using sm::store::Database;
using sm::store::OpenOptions;
using sm::store::Synchronous;
using sm::testing::TempDir;

namespace {
std::string pragma_text(Database& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt.ok());
  auto row = stmt->step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return stmt->column_text(0);
}
}  // namespace

TEST_CASE("open creates the parent directory, migrates and sets the connection pragmas") {
  TempDir dir;
  const std::string path = dir.file("nested/deeper/stalk.db");
  auto db = Database::open(path);
  REQUIRE(db.ok());
  CHECK(std::filesystem::exists(path));
  CHECK(*db->schema_version() == sm::store::latest_schema_version());
  CHECK(db->has_schema());
  CHECK(pragma_text(*db, "PRAGMA journal_mode") == "wal");
  CHECK(*db->query_int64("PRAGMA foreign_keys") == 1);
  CHECK(*db->query_int64("PRAGMA busy_timeout") == 5000);
  CHECK(*db->query_int64("PRAGMA synchronous") == 2);  // FULL
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'orders'") == 1);
}

TEST_CASE("opening twice keeps the schema version and the data") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('TCS', 1)").ok());
  }
  auto again = Database::open(path);
  REQUIRE(again.ok());
  CHECK(*again->schema_version() == sm::store::latest_schema_version());
  CHECK(*again->query_int64("SELECT count(*) FROM instruments") == 1);
}

TEST_CASE("a database from a newer version is refused with the path in the message") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(db->execute("PRAGMA user_version = 999").ok());
  }
  auto db = Database::open(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == ErrorCode::kDatabaseError);
  CHECK_THAT(db.status().message(), Catch::Contains(path) && Catch::Contains("999"));
}

TEST_CASE("a file that is not a database fails with the path in the message") {
  TempDir dir;
  const std::string path = dir.file("junk.db");
  std::ofstream(path) << "this is not an SQLite database, just some text that is long enough\n";
  auto db = Database::open(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == ErrorCode::kDatabaseError);
  CHECK_THAT(db.status().message(), Catch::Contains(path));
  auto reader = Database::open_readonly(path);
  REQUIRE_FALSE(reader.ok());
  CHECK_THAT(reader.status().message(), Catch::Contains(path));
}

TEST_CASE("open fails clearly when the parent directory cannot be created") {
  TempDir dir;
  const std::string blocker = dir.file("plainfile");
  std::ofstream(blocker) << "x";
  auto db = Database::open(blocker + "/sub/stalk.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == ErrorCode::kDatabaseError);
  CHECK_THAT(db.status().message(), Catch::Contains("plainfile"));
}

TEST_CASE("open_readonly does not create a missing file") {
  TempDir dir;
  const std::string path = dir.file("missing/stalk.db");
  auto db = Database::open_readonly(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == ErrorCode::kNotFound);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
}

TEST_CASE("open_readonly on an empty file reports no schema and cannot write") {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  auto db = Database::open_readonly(path);
  REQUIRE(db.ok());
  CHECK(*db->schema_version() == 0);
  CHECK_FALSE(db->has_schema());
  CHECK(db->read_only());
  CHECK_FALSE(db->execute("CREATE TABLE t (x INTEGER)").ok());
}

TEST_CASE("open_readonly reads what a writer committed") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  auto writer = Database::open(path);
  REQUIRE(writer.ok());
  REQUIRE(writer->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('INFY', 1)").ok());
  auto reader = Database::open_readonly(path);
  REQUIRE(reader.ok());
  CHECK(reader->has_schema());
  CHECK(*reader->query_int64("SELECT count(*) FROM instruments") == 1);
}

TEST_CASE("a transaction rolls back unless committed") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    CHECK(db->in_transaction());
    REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('A', 1)").ok());
  }
  CHECK_FALSE(db->in_transaction());
  CHECK(*db->query_int64("SELECT count(*) FROM instruments") == 0);
  {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('B', 1)").ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(*db->query_int64("SELECT count(*) FROM instruments") == 1);
}

TEST_CASE("a nested transaction is a savepoint that rolls back alone") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  auto outer = db->begin();
  REQUIRE(outer.ok());
  REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('A', 1)").ok());
  {
    auto inner = db->begin();
    REQUIRE(inner.ok());
    REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('B', 1)").ok());
  }
  {
    auto inner = db->begin();
    REQUIRE(inner.ok());
    REQUIRE(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('C', 1)").ok());
    REQUIRE(inner->commit().ok());
  }
  REQUIRE(outer->commit().ok());
  auto stmt = db->prepare(
      "SELECT group_concat(symbol, ',') FROM (SELECT symbol FROM instruments ORDER BY symbol)");
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->step());
  CHECK(stmt->column_text(0) == "A,C");
}

TEST_CASE("statements bind every type and the same SQL can be in use twice") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  const char* sql = "SELECT ?1, ?2, ?3, ?4, ?5";
  auto first = db->prepare(sql);
  REQUIRE(first.ok());
  first->bind_all(std::int64_t{1} << 40, 2.5, "text", true, nullptr);
  REQUIRE(*first->step());
  CHECK(first->column_int64(0) == (std::int64_t{1} << 40));
  CHECK(first->column_double(1) == 2.5);
  CHECK(first->column_text(2) == "text");
  CHECK(first->column_int64(3) == 1);
  CHECK(first->column_is_null(4));
  auto second = db->prepare(sql);  // first is still checked out
  REQUIRE(second.ok());
  second->bind_all(7, 0.0, std::string("x"), false, nullptr);
  REQUIRE(*second->step());
  CHECK(second->column_int64(0) == 7);
  CHECK(first->column_int64(0) == (std::int64_t{1} << 40));
}

TEST_CASE("a bind to a missing parameter is reported by step") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  auto stmt = db->prepare("SELECT ?1");
  REQUIRE(stmt.ok());
  stmt->bind(3, 1);
  auto row = stmt->step();
  REQUIRE_FALSE(row.ok());
  CHECK(row.status().code() == ErrorCode::kDatabaseError);
}

TEST_CASE("a failing statement names the SQL and SQLite's reason") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  auto stmt = db->prepare("SELECT * FROM no_such_table");
  REQUIRE_FALSE(stmt.ok());
  CHECK_THAT(stmt.status().message(), Catch::Contains("no_such_table"));
  auto bad =
      db->prepare("INSERT INTO instruments (symbol, updated_ms, lot_size) VALUES ('A', 1, 0)");
  REQUIRE(bad.ok());
  auto run = bad->run();
  REQUIRE_FALSE(run.ok());
  CHECK_THAT(run.message(), Catch::Contains("CHECK constraint failed"));
}

TEST_CASE("synchronous is a per-connection setting that can change") {
  TempDir dir;
  OpenOptions options;
  options.synchronous = Synchronous::kNormal;
  auto db = Database::open(dir.file("stalk.db"), options);
  REQUIRE(db.ok());
  CHECK(db->synchronous() == Synchronous::kNormal);
  CHECK(*db->query_int64("PRAGMA synchronous") == 1);
  REQUIRE(db->set_synchronous(Synchronous::kFull).ok());
  CHECK(*db->query_int64("PRAGMA synchronous") == 2);
}

TEST_CASE("ScopedSynchronous switches for its scope, and not inside an open transaction") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  {
    sm::store::ScopedSynchronous relaxed(*db, Synchronous::kNormal);
    CHECK(db->synchronous() == Synchronous::kNormal);
    CHECK(*db->query_int64("PRAGMA synchronous") == 1);
  }
  CHECK(db->synchronous() == Synchronous::kFull);
  CHECK(*db->query_int64("PRAGMA synchronous") == 2);
  auto tx = db->begin();
  REQUIRE(tx.ok());
  {
    sm::store::ScopedSynchronous relaxed(*db, Synchronous::kNormal);
    CHECK(db->synchronous() == Synchronous::kFull);  // the outer transaction's setting stands
  }
  REQUIRE(tx->commit().ok());
  CHECK(db->synchronous() == Synchronous::kFull);
}

TEST_CASE("DeferredSync commits at NORMAL and lets the FULL tables through only in its scope") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  sm::Halt halt;
  halt.ts = 1'700'000'000'000;
  halt.action = "halt";
  halt.level = "halt";
  halt.trigger = "manual";
  halt.reason = "test";
  halt.by = "test";
  {
    sm::store::ScopedSynchronous relaxed(*db, Synchronous::kNormal);
    CHECK(sm::store::set_halt(*db, halt).status().code() == ErrorCode::kInvalidArgument);
  }
  {
    sm::store::DeferredSync deferred(*db);
    CHECK(db->sync_deferred());
    CHECK(*db->query_int64("PRAGMA synchronous") == 1);
    auto tx = db->begin();
    REQUIRE(tx.ok());
    REQUIRE(sm::store::set_halt(*db, halt).ok());
    REQUIRE(tx->commit().ok());
    // What nothing later makes durable is synced by its owner.
    CHECK(db->sync_wal().ok());
  }
  CHECK_FALSE(db->sync_deferred());
  CHECK(db->synchronous() == Synchronous::kFull);
  CHECK(*db->query_int64("SELECT count(*) FROM halts") == 1);
  {
    sm::store::ScopedSynchronous relaxed(*db, Synchronous::kNormal);
    CHECK(sm::store::set_halt(*db, halt).status().code() == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a moved database keeps working, statements included") {
  TempDir dir;
  auto opened = Database::open(dir.file("stalk.db"));
  REQUIRE(opened.ok());
  Database db = std::move(*opened);
  CHECK(*db.query_int64("SELECT 41 + 1") == 42);
  Database other;
  other = std::move(db);
  CHECK(*other.query_int64("SELECT 41 + 1") == 42);
}

TEST_CASE("foreign keys are enforced") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  sm::Status status = db->execute(
      "INSERT INTO order_events (client_order_id, ts_ms, event, recorded_ms) "
      "VALUES ('nope', 1, 'x', 1)");
  CHECK_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("FOREIGN KEY"));
}

TEST_CASE("an empty string_view binds as empty text, not NULL") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  auto stmt = db->prepare("SELECT ?1 IS NULL, length(?1)");
  REQUIRE(stmt.ok());
  stmt->bind(1, std::string_view());
  REQUIRE(*stmt->step());
  CHECK(stmt->column_int64(0) == 0);
  CHECK(stmt->column_int64(1) == 0);
}

TEST_CASE("an in-memory database migrates and accepts every write") {
  sm::store::OpenOptions options;
  options.synchronous = Synchronous::kOff;  // durability does not apply in memory
  auto db = Database::open(":memory:", options);
  REQUIRE(db.ok());
  CHECK(db->has_schema());
  CHECK(db->execute("INSERT INTO instruments (symbol, updated_ms) VALUES ('TCS', 1)").ok());
}

TEST_CASE("recorded_ms comes from the clock the database was opened with") {
  sm::time::ManualClock clock(1711597500000);
  sm::store::OpenOptions options;
  options.clock = &clock;
  auto db = Database::open(":memory:", options);
  REQUIRE(db.ok());
  sm::Signal signal;
  signal.ts = 1711500000000;
  signal.strategy = "sma";
  signal.symbol = "TCS";
  signal.qty = 1;
  REQUIRE(sm::store::record_signal(*db, signal).ok());
  CHECK(*db->query_int64("SELECT recorded_ms FROM signals") == 1711597500000);
  clock.advance(1000);
  sm::Heartbeat heartbeat;
  heartbeat.component = "sm-risk";
  heartbeat.ts = 1711500000000;
  REQUIRE(sm::store::record_heartbeat(*db, heartbeat).ok());
  CHECK(*db->query_int64("SELECT recorded_ms FROM heartbeats") == 1711597501000);
}
