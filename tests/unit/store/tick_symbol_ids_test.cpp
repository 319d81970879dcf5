// The ticks' move to an integer symbol id in their key (docs/SCHEMA.md "ticks", "Migrations"):
// every tick a database of the previous schema holds is there afterwards with the same fields,
// arrival and read order; the arrival counter goes on where it was; `ticks` still answers the
// queries people and the views run on it, and plain-SQL inserts and deletes on it still work.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "sqlite/connection.h"
#include "store/database.h"
#include "store/market_data.h"
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

// Every stored tick, every column, in key order: what must survive the migration unchanged.
template <typename Db>
std::vector<std::string> all_ticks(Db& db) {
  auto stmt = db.prepare(
      "SELECT symbol, ts_ms, price_paise, qty, volume, seq, arrival FROM ticks "
      "ORDER BY symbol, ts_ms, price_paise, qty, volume, seq");
  REQUIRE(stmt.ok());
  std::vector<std::string> rows;
  while (true) {
    auto row = stmt->step();
    REQUIRE(row.ok());
    if (!*row) break;
    std::string text(stmt->column_text_view(0));
    for (int c = 1; c < 7; ++c) text += ' ' + std::to_string(stmt->column_int64(c));
    rows.push_back(text);
  }
  return rows;
}

}  // namespace

TEST_CASE("ticks stored before the symbol-id migration keep every field, their order and key") {
  TempDir dir;
  const std::string path = dir.file("stalkmarket.db");
  std::vector<std::string> before_rows;
  std::int64_t next_arrival = 0;
  {
    auto old = sm::sqlite::Connection::open(path);
    REQUIRE(old.ok());
    const int before = schema_version_before("ticks keyed on an integer symbol id");
    REQUIRE(old->migrate(sm::store::schema_migrations().first(static_cast<size_t>(before))).ok());
    REQUIRE(*old->schema_version() == before);
    // As the previous schema's insert_ticks left them: three symbols, two identical ticks (seq 0
    // and 1), prices at one time stored out of price order (arrival says the order), and the
    // counter above the newest arrival.
    const std::string t0 = std::to_string(kT0);
    const std::string t1 = std::to_string(kT0 + 1000);
    REQUIRE(
        old->execute("INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume, seq, arrival) "
                     "VALUES ('TCS', " +
                     t0 + ", 300000, 1, 0, 0, 1), ('INFY', " + t0 +
                     ", 150000, 1, 0, 0, 2), ('TCS', " + t0 + ", 100000, 1, 0, 0, 3), ('TCS', " +
                     t0 + ", 100000, 1, 0, 1, 4), ('M&M', " + t0 +
                     ", 210000, 1, 0, 0, 5), ('TCS', " + t0 + ", 200000, 1, 0, 0, 6), ('INFY', " +
                     t1 + ", 150100, 1, 0, 0, 7), ('TCS', " + t1 +
                     ", 250000, 1, 0, 0, 8);"
                     "UPDATE tick_arrivals SET next_arrival = 9;"
                     "INSERT INTO market_series VALUES ('TCS', 'tick', 0, " +
                     t0 + ", " + t1 + ", 5), ('INFY', 'tick', 0, " + t0 + ", " + t1 +
                     ", 2), ('M&M', 'tick', 0, " + t0 + ", " + t0 + ", 1);")
            .ok());
    before_rows = all_ticks(*old);
    next_arrival = *old->query_int64("SELECT next_arrival FROM tick_arrivals");
  }
  REQUIRE(before_rows.size() == 8);

  auto db = Database::open(path);
  REQUIRE(db.ok());
  CHECK(*db->schema_version() == sm::store::latest_schema_version());
  CHECK(all_ticks(*db) == before_rows);
  CHECK(*db->query_int64("SELECT next_arrival FROM tick_arrivals") == next_arrival);
  CHECK(*db->query_int64("SELECT count(*) FROM tick_symbols") == 3);
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'ticks' "
                         "AND type = 'view'") == 1);
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'tick_rows' "
                         "AND sql LIKE '%WITHOUT ROWID%'") == 1);
  CHECK(stored_prices(*db, "TCS") ==
        std::vector<sm::Paise>{300000, 100000, 100000, 200000, 250000});
  CHECK(stored_prices(*db, "INFY") == std::vector<sm::Paise>{150000, 150100});
  CHECK(*db->query_int64("SELECT price_paise FROM last_prices WHERE symbol = 'TCS'") == 250000);

  // The key still refuses a second copy, by insert_ticks and by plain SQL through the view.
  const std::vector<sm::Tick> same = {tick_of("TCS", kT0, 300000)};
  auto again = sm::store::insert_ticks(*db, same);
  REQUIRE(again.ok());
  CHECK(again->inserted == 0);
  CHECK(again->duplicates == 1);
  CHECK_FALSE(db->execute("INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume) VALUES "
                          "('TCS', " +
                          std::to_string(kT0) + ", 300000, 1, 0)")
                  .ok());

  // New ticks, of a stored symbol and of a new one, are read after the old ones at their time.
  const std::vector<sm::Tick> later = {tick_of("TCS", kT0, 50000), tick_of("WIPRO", kT0, 40000)};
  auto added = sm::store::insert_ticks(*db, later);
  REQUIRE(added.ok());
  CHECK(added->inserted == 2);
  CHECK(stored_prices(*db, "TCS") ==
        std::vector<sm::Paise>{300000, 100000, 100000, 200000, 50000, 250000});
  CHECK(stored_prices(*db, "WIPRO") == std::vector<sm::Paise>{40000});
  CHECK(*db->query_int64("SELECT count(*) FROM tick_symbols") == 4);

  // A tick inserted with SQL gets the next arrival number (the three insert_ticks calls above
  // reserved one each per tick) and a new symbol its id; a delete on the view deletes the row.
  REQUIRE(db->execute("INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume) VALUES "
                      "('HDFC', " +
                      std::to_string(kT0) + ", 160000, 2, 2)")
              .ok());
  CHECK(*db->query_int64("SELECT arrival FROM ticks WHERE symbol = 'HDFC'") == next_arrival + 3);
  CHECK(*db->query_int64("SELECT next_arrival FROM tick_arrivals") == next_arrival + 4);
  REQUIRE(db->execute("DELETE FROM ticks WHERE symbol = 'INFY'").ok());
  CHECK(*db->query_int64("SELECT count(*) FROM tick_rows") == 9);
  CHECK(*db->query_int64("SELECT count(*) FROM ticks WHERE symbol = 'INFY'") == 0);
}
