// The ticks table's move to WITHOUT ROWID (docs/SCHEMA.md, "Migrations"): ticks stored by the
// rowid table are all there afterwards, read back in the order they were stored, and the natural
// key still refuses a second copy of a tick.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "sqlite/connection.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/prices.h"
#include "store/schema.h"
#include "support/temp_dir.h"
#include "tick_migrations.h"

using sm::store::Database;
using sm::testing::schema_version_before;
using sm::testing::stored_prices;
using sm::testing::TempDir;
using sm::testing::tick_of;

namespace {

const sm::TimestampMs kT0 = sm::from_ist({2024, 3, 28}, 9, 15);

}  // namespace

TEST_CASE("ticks stored before the WITHOUT ROWID migration keep every row, their order and key") {
  TempDir dir;
  const std::string path = dir.file("stalkmarket.db");
  {
    auto old = sm::sqlite::Connection::open(path);
    REQUIRE(old.ok());
    const int before = schema_version_before("ticks WITHOUT ROWID");
    REQUIRE(old->migrate(sm::store::schema_migrations().first(static_cast<size_t>(before))).ok());
    // Three TCS ticks at one time, stored in an order that is not their price order, and one at a
    // later time; the rowids are what the read order was.
    const std::string t0 = std::to_string(kT0);
    const std::string t1 = std::to_string(kT0 + 1000);
    REQUIRE(old->execute("INSERT INTO ticks (id, symbol, ts_ms, price_paise, qty, volume) VALUES "
                         "(7, 'TCS', " +
                         t0 + ", 300000, 1, 0), (8, 'TCS', " + t0 +
                         ", 100000, 1, 0), (9, 'INFY', " + t0 + ", 150000, 1, 0), (12, 'TCS', " +
                         t0 + ", 200000, 1, 0), (13, 'TCS', " + t1 +
                         ", 250000, 1, 0);"
                         "INSERT INTO market_series VALUES ('TCS', 'tick', 0, " +
                         t0 + ", " + t1 + ", 4), ('INFY', 'tick', 0, " + t0 + ", " + t0 + ", 1);")
                .ok());
  }

  auto db = Database::open(path);
  REQUIRE(db.ok());
  CHECK(*db->schema_version() == sm::store::latest_schema_version());
  // The rows live in tick_rows since the symbol-id migration (tick_symbol_ids_test.cpp).
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'tick_rows' "
                         "AND sql LIKE '%WITHOUT ROWID%'") == 1);
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'tick_rows' "
                         "AND type = 'index' AND sql IS NOT NULL") == 0);  // one B-tree
  CHECK(*db->query_int64("SELECT count(*) FROM ticks") == 5);
  CHECK(stored_prices(*db, "TCS") == std::vector<sm::Paise>{300000, 100000, 200000, 250000});
  CHECK(stored_prices(*db, "INFY") == std::vector<sm::Paise>{150000});

  // The views read the new table: the last TCS tick at its newest time.
  CHECK(*db->query_int64("SELECT price_paise FROM last_prices WHERE symbol = 'TCS'") == 250000);

  // The natural key: the same ticks again are duplicates, by insert_ticks and by plain SQL.
  const std::vector<sm::Tick> same = {tick_of("TCS", kT0, 300000), tick_of("TCS", kT0, 100000),
                                      tick_of("TCS", kT0, 200000)};
  auto again = sm::store::insert_ticks(*db, same);
  REQUIRE(again.ok());
  CHECK(again->inserted == 0);
  CHECK(again->duplicates == 3);
  CHECK_FALSE(db->execute("INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume, seq, "
                          "arrival) VALUES ('TCS', " +
                          std::to_string(kT0) + ", 300000, 1, 0, 0, 99)")
                  .ok());

  // A tick stored now at the same time as the old ones is read after them, whatever its price:
  // the arrival counter starts above the old rowids.
  const std::vector<sm::Tick> later = {tick_of("TCS", kT0, 50000)};
  REQUIRE(sm::store::insert_ticks(*db, later).ok());
  CHECK(stored_prices(*db, "TCS") == std::vector<sm::Paise>{300000, 100000, 200000, 50000, 250000});
}

TEST_CASE(
    "a tick stored by a later call at an already stored time is read after the earlier ones") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  const std::vector<sm::Tick> first = {tick_of("TCS", kT0, 400000), tick_of("TCS", kT0, 400200)};
  const std::vector<sm::Tick> second = {tick_of("TCS", kT0, 399000)};
  REQUIRE(sm::store::insert_ticks(*db, first).ok());
  REQUIRE(sm::store::insert_ticks(*db, second).ok());
  CHECK(stored_prices(*db, "TCS") == std::vector<sm::Paise>{400000, 400200, 399000});
  auto last = sm::store::last_tick(*db, "TCS");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->price == 399000);
  auto latest = sm::store::latest_prices(*db, {"TCS"}, kT0 + 60'000);
  REQUIRE(latest.ok());
  CHECK(latest->at("TCS").price == 399000);
  auto one = sm::store::latest_price(*db, "TCS", kT0 + 60'000);
  REQUIRE(one.ok());
  REQUIRE(one->has_value());
  CHECK((*one)->price == 399000);
  auto before = sm::store::price_before(*db, "TCS", kT0 + 1);
  REQUIRE(before.ok());
  REQUIRE(before->has_value());
  CHECK((*before)->price == 399000);
}
