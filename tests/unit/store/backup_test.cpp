#include "store/backup.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/trading_records.h"
#include "support/temp_dir.h"
#include "trend_fill.h"

using sm::ErrorCode;
using sm::store::Database;
using sm::testing::TempDir;

namespace {

// 2024-03-28 09:15 IST and its neighbours.
const sm::TimestampMs kMorning = sm::from_ist({2024, 3, 28}, 9, 15);

// A database with market data, a fill (and so a position) and a halt: rows in the tables an
// operator cares about most.
void fill_database(Database& db) {
  std::vector<sm::Bar> bars;
  std::vector<sm::Tick> ticks;
  for (int i = 0; i < 50; ++i) {
    sm::Bar bar;
    bar.symbol = i % 2 == 0 ? "TCS" : "INFY";
    bar.timeframe = sm::Timeframe{1};
    bar.ts = kMorning + i * 60'000;
    bar.open = bar.high = bar.low = bar.close = 100'00 + i;
    bar.volume = 10;
    bars.push_back(bar);
    sm::Tick tick;
    tick.symbol = bar.symbol;
    tick.ts = bar.ts;
    tick.price = bar.close;
    tick.qty = 1;
    ticks.push_back(tick);
  }
  REQUIRE(sm::store::insert_bars(db, bars).ok());
  REQUIRE(sm::store::insert_ticks(db, ticks).ok());
  REQUIRE(sm::store::insert_fill(
              db, sm::testing::trend_fill("T1", "TCS", sm::Side::kBuy, 5, 3500'00, kMorning))
              .ok());
  sm::Halt halt;
  halt.level = "halt";
  halt.trigger = "daily_loss";
  halt.reason = "test";
  halt.ts = kMorning;
  REQUIRE(sm::store::set_halt(db, halt).ok());
}

// Row count of every table in the file, by table name.
std::map<std::string, std::int64_t> row_counts(const std::string& path) {
  auto db = sm::sqlite::Connection::open_readonly(path);
  REQUIRE(db.ok());
  std::vector<std::string> tables;
  {
    auto stmt = db->prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    REQUIRE(stmt.ok());
    while (*stmt->step()) tables.push_back(stmt->column_text(0));
  }
  std::map<std::string, std::int64_t> counts;
  for (const std::string& table : tables) {
    counts[table] = *db->query_int64("SELECT count(*) FROM \"" + table + "\"");
  }
  return counts;
}

void touch(const std::string& path) { std::ofstream(path) << "x"; }

std::vector<std::string> names(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    out.push_back(std::filesystem::path(path).filename().string());
  }
  return out;
}

}  // namespace

TEST_CASE("a backup is named after the database and the IST time it was taken") {
  CHECK(sm::store::backup_file_name("var/stalkmarket.db", kMorning) ==
        "stalkmarket-2024-03-28T091500.db");
  CHECK(sm::store::backup_file_name("/srv/x/paper.db", kMorning + 45'000) ==
        "paper-2024-03-28T091545.db");
}

TEST_CASE("backup, delete, restore: the restored database is sound and has every row") {
  TempDir dir;
  const std::string db_path = dir.file("var/stalkmarket.db");
  {
    auto db = Database::open(db_path);
    REQUIRE(db.ok());
    fill_database(*db);
  }
  const auto before = row_counts(db_path);
  REQUIRE(before.at("bars") == 50);
  REQUIRE(before.at("fills") == 1);

  auto backup = sm::store::backup_database(db_path, dir.file("backups"), kMorning);
  INFO(backup.status().message());
  REQUIRE(backup.ok());
  CHECK(*backup == dir.file("backups/stalkmarket-2024-03-28T091500.db"));
  CHECK_FALSE(std::filesystem::exists(*backup + ".partial"));

  std::filesystem::remove(db_path);
  REQUIRE(sm::store::restore_database(*backup, db_path).ok());
  auto report = sm::store::check_database(db_path);
  REQUIRE(report.ok());
  CHECK(report->ok());
  CHECK(report->schema_version == sm::store::latest_schema_version());
  CHECK(row_counts(db_path) == before);
  auto reopened = Database::open(db_path);
  REQUIRE(reopened.ok());
  auto positions = sm::store::list_positions(*reopened);
  REQUIRE(positions.ok());
  REQUIRE(positions->size() == 1);
  CHECK(positions->front().qty == 5);
}

TEST_CASE("restore replaces a corrupted database and drops its stale WAL") {
  TempDir dir;
  const std::string db_path = dir.file("stalkmarket.db");
  {
    auto db = Database::open(db_path);
    REQUIRE(db.ok());
    fill_database(*db);
  }
  const auto before = row_counts(db_path);
  auto backup = sm::store::backup_database(db_path, dir.file("backups"), kMorning);
  INFO(backup.status().message());
  REQUIRE(backup.ok());
  {
    // Overwrite the header and the first pages, as a bad disk or a stray dd would.
    std::fstream file(db_path, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(16384, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  touch(db_path + "-wal");
  CHECK_FALSE(Database::open(db_path).ok());

  REQUIRE(sm::store::restore_database(*backup, db_path).ok());
  CHECK_FALSE(std::filesystem::exists(db_path + "-wal"));
  CHECK(sm::store::check_database(db_path)->ok());
  CHECK(row_counts(db_path) == before);
}

TEST_CASE("the check finds a damaged file and restore refuses it") {
  TempDir dir;
  const std::string db_path = dir.file("stalkmarket.db");
  {
    auto db = Database::open(db_path);
    REQUIRE(db.ok());
    fill_database(*db);
  }
  auto backup = sm::store::backup_database(db_path, dir.file("backups"), kMorning);
  INFO(backup.status().message());
  REQUIRE(backup.ok());
  const auto size = std::filesystem::file_size(*backup);
  {
    // Damage the last pages (table data), keeping the header readable.
    std::fstream file(*backup, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - 8192));
    const std::string garbage(8192, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto report = sm::store::check_database(*backup);
  if (report.ok()) {
    CHECK_FALSE(report->ok());
  } else {
    CHECK(report.status().code() == ErrorCode::kDatabaseError);
  }
  const auto untouched = row_counts(db_path);
  CHECK_FALSE(sm::store::restore_database(*backup, db_path).ok());
  CHECK(row_counts(db_path) == untouched);
}

TEST_CASE("restore refuses a backup from a newer schema") {
  TempDir dir;
  const std::string db_path = dir.file("stalkmarket.db");
  REQUIRE(Database::open(db_path).ok());
  auto backup = sm::store::backup_database(db_path, dir.file("backups"), kMorning);
  INFO(backup.status().message());
  REQUIRE(backup.ok());
  {
    auto raw = sm::sqlite::Connection::open(*backup);
    REQUIRE(raw.ok());
    REQUIRE(raw->execute("PRAGMA user_version = " +
                         std::to_string(sm::store::latest_schema_version() + 1))
                .ok());
  }
  auto restored = sm::store::restore_database(*backup, dir.file("other.db"));
  CHECK(restored.code() == ErrorCode::kConflict);
  CHECK_FALSE(std::filesystem::exists(dir.file("other.db")));
}

TEST_CASE("a backup of a missing database is kNotFound and writes nothing") {
  TempDir dir;
  auto backup = sm::store::backup_database(dir.file("none.db"), dir.file("backups"), kMorning);
  CHECK(backup.status().code() == ErrorCode::kNotFound);
  CHECK_FALSE(std::filesystem::exists(dir.file("none.db")));
}

TEST_CASE("a second backup in the same second is refused, the first stays") {
  TempDir dir;
  const std::string db_path = dir.file("stalkmarket.db");
  REQUIRE(Database::open(db_path).ok());
  REQUIRE(sm::store::backup_database(db_path, dir.file("b"), kMorning).ok());
  auto again = sm::store::backup_database(db_path, dir.file("b"), kMorning);
  CHECK(again.status().code() == ErrorCode::kConflict);
  CHECK(sm::store::list_backups(db_path, dir.file("b"))->size() == 1);
}

TEST_CASE("retention keeps the newest backup of each of the last N days and nothing else") {
  TempDir dir;
  const std::string db_path = dir.file("stalkmarket.db");
  const std::string backups = dir.file("backups");
  std::filesystem::create_directories(backups);
  for (const char* name : {"stalkmarket-2024-03-25T200000.db", "stalkmarket-2024-03-26T200000.db",
                           "stalkmarket-2024-03-27T093000.db", "stalkmarket-2024-03-27T200000.db",
                           "stalkmarket-2024-03-28T200000.db",
                           // Not backups of this database: never touched.
                           "paper-2024-03-20T200000.db", "stalkmarket-2024-03-20T200000.db.partial",
                           "stalkmarket-latest.db", "notes.txt"}) {
    touch(backups + "/" + name);
  }
  auto listed = sm::store::list_backups(db_path, backups);
  REQUIRE(listed.ok());
  CHECK(names(*listed) == std::vector<std::string>{"stalkmarket-2024-03-25T200000.db",
                                                   "stalkmarket-2024-03-26T200000.db",
                                                   "stalkmarket-2024-03-27T093000.db",
                                                   "stalkmarket-2024-03-27T200000.db",
                                                   "stalkmarket-2024-03-28T200000.db"});

  auto removed = sm::store::prune_backups(db_path, backups, 2);
  REQUIRE(removed.ok());
  CHECK(names(*removed) == std::vector<std::string>{"stalkmarket-2024-03-25T200000.db",
                                                    "stalkmarket-2024-03-26T200000.db",
                                                    "stalkmarket-2024-03-27T093000.db"});
  CHECK(names(*sm::store::list_backups(db_path, backups)) ==
        std::vector<std::string>{"stalkmarket-2024-03-27T200000.db",
                                 "stalkmarket-2024-03-28T200000.db"});
  for (const char* kept : {"paper-2024-03-20T200000.db", "stalkmarket-2024-03-20T200000.db.partial",
                           "stalkmarket-latest.db", "notes.txt"}) {
    CHECK(std::filesystem::exists(backups + "/" + kept));
  }
  CHECK(sm::store::prune_backups(db_path, backups, 0).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(sm::store::prune_backups(db_path, dir.file("missing"), 3)->empty());
}
