#include "sqlite/idle_checkpoint.h"

#include <catch2/catch.hpp>

#include "sqlite/connection.h"
#include "support/captured_log.h"
#include "support/temp_dir.h"

using sm::sqlite::Connection;
using sm::sqlite::IdleCheckpoint;
using sm::sqlite::OpenOptions;

namespace {

// A file database whose connection leaves checkpoints to the caller, with a table of pages.
Connection open_manual(const std::string& path) {
  OpenOptions options;
  options.auto_checkpoint = false;
  options.synchronous = sm::sqlite::Synchronous::kOff;  // thousands of commits, none synced
  auto db = Connection::open(path, options);
  REQUIRE(db.ok());
  REQUIRE(db->execute("CREATE TABLE IF NOT EXISTS pages (id INTEGER PRIMARY KEY, body BLOB)").ok());
  return std::move(db.value());
}

// Commits `count` rows of about one page each, one commit per row.
void write_pages(Connection& db, int count) {
  for (int i = 0; i < count; ++i) {
    REQUIRE(db.execute("INSERT INTO pages (body) VALUES (zeroblob(4000))").ok());
  }
}

}  // namespace

TEST_CASE("without the automatic checkpoint the WAL grows until checkpoint(), which restarts it") {
  sm::testing::TempDir dir;
  Connection db = open_manual(dir.file("t.db"));
  REQUIRE(db.execute("PRAGMA user_version=7").ok());
  write_pages(db, 1100);
  // SQLite's own checkpoint would have run at 1,000 pages and started the WAL over.
  CHECK(db.wal_frames() > 1100);
  REQUIRE(db.checkpoint().ok());
  CHECK(db.wal_frames() == 0);
  write_pages(db, 1);
  // The checkpoint copied every page and restarted the WAL with its own commit: the next commit
  // writes after that one, at the start of the file.
  CHECK(db.wal_frames() < 10);
  CHECK(*db.schema_version() == 7);
  auto reader = Connection::open_readonly(dir.file("t.db"));
  REQUIRE(reader.ok());
  CHECK(*reader->query_int64("SELECT count(*) FROM pages") == 1101);
}

TEST_CASE("a connection with the automatic checkpoint counts no WAL pages") {
  sm::testing::TempDir dir;
  auto db = Connection::open(dir.file("t.db"));
  REQUIRE(db.ok());
  REQUIRE(db->execute("CREATE TABLE t (x)").ok());
  CHECK(db->wal_frames() == 0);
}

TEST_CASE("an idle checkpoint waits for a quiet input once the WAL is long") {
  sm::testing::TempDir dir;
  sm::testing::CapturedLog log;
  Connection db = open_manual(dir.file("t.db"));
  IdleCheckpoint idle(db, log.log());
  write_pages(db, 10);
  CHECK(idle.wait_ms(1000) == 1000);
  idle.after_wait(false);
  CHECK(db.wal_frames() >= 10);  // not due yet

  write_pages(db, IdleCheckpoint::kDueFrames);
  CHECK(idle.wait_ms(1000) == IdleCheckpoint::kQuietMs);
  CHECK(idle.wait_ms(3) == 3);
  idle.after_wait(true);  // input came: not idle
  CHECK(db.wal_frames() >= IdleCheckpoint::kDueFrames);
  idle.after_wait(false);
  CHECK(db.wal_frames() == 0);
  CHECK(idle.wait_ms(1000) == 1000);
  CHECK(log.text().empty());
}

TEST_CASE("input that never pauses still gets the WAL checkpointed past the limit") {
  sm::testing::TempDir dir;
  sm::testing::CapturedLog log;
  Connection db = open_manual(dir.file("t.db"));
  IdleCheckpoint idle(db, log.log());
  write_pages(db, IdleCheckpoint::kForceFrames);
  idle.after_wait(true);
  CHECK(db.wal_frames() == 0);
}
