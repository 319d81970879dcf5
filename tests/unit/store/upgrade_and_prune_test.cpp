// Data safety over time: pruning old ticks leaves everything else alone, and a database made by an
// older release is upgraded in place by the current programs without losing a row.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "sqlite/connection.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/trading_records.h"
#include "support/older_release_database.h"
#include "support/temp_database.h"
#include "support/temp_dir.h"

using sm::store::Database;
using sm::testing::TempDir;

namespace {

const sm::TimestampMs kDayOne = sm::from_ist({2024, 3, 26}, 9, 15);
const sm::TimestampMs kDayThree = sm::from_ist({2024, 3, 28}, 9, 15);

std::vector<sm::Tick> ticks_at(const std::string& symbol, sm::TimestampMs from, int count) {
  std::vector<sm::Tick> ticks;
  for (int i = 0; i < count; ++i) {
    sm::Tick tick;
    tick.symbol = symbol;
    tick.ts = from + i * 1000;
    tick.price = 100'00 + i;
    tick.qty = 1;
    ticks.push_back(tick);
  }
  return ticks;
}

sm::Bar bar_at(const std::string& symbol, sm::TimestampMs ts) {
  sm::Bar bar;
  bar.symbol = symbol;
  bar.ts = ts;
  bar.open = bar.high = bar.low = bar.close = 100'00;
  bar.volume = 1;
  return bar;
}

std::int64_t count(Database& db, const std::string& sql) { return *db.query_int64(sql); }

}  // namespace

TEST_CASE("prune_ticks deletes old ticks only and keeps the series summary in step") {
  sm::testing::TempDatabase t;
  REQUIRE(sm::store::insert_ticks(t.db, ticks_at("TCS", kDayOne, 10)).ok());
  REQUIRE(sm::store::insert_ticks(t.db, ticks_at("TCS", kDayThree, 4)).ok());
  REQUIRE(sm::store::insert_ticks(t.db, ticks_at("INFY", kDayOne, 6)).ok());
  const std::vector<sm::Bar> bars = {bar_at("TCS", kDayOne), bar_at("INFY", kDayOne)};
  REQUIRE(sm::store::insert_bars(t.db, bars).ok());
  REQUIRE(t.db.execute("INSERT INTO orders (client_order_id, strategy, symbol, side, qty, "
                       "order_type, product, created_ms, updated_ms) VALUES ('c1', 'trend', 'TCS', "
                       "'BUY', 1, 'MARKET', 'CNC', 1, 1)")
              .ok());
  sm::Fill fill;
  fill.trade_id = "T1";
  fill.strategy = "trend";
  fill.symbol = "TCS";
  fill.qty = 1;
  fill.price = 100'00;
  fill.ts = kDayOne;
  REQUIRE(sm::store::insert_fill(t.db, fill).ok());
  const std::int64_t audit_rows =
      count(t.db, "SELECT count(*) FROM order_events") + count(t.db, "SELECT count(*) FROM fills") +
      count(t.db, "SELECT count(*) FROM positions") + count(t.db, "SELECT count(*) FROM orders");

  auto deleted = sm::store::prune_ticks(t.db, sm::from_ist({2024, 3, 27}, 0, 0));
  REQUIRE(deleted.ok());
  CHECK(*deleted == 16);
  CHECK(count(t.db, "SELECT count(*) FROM ticks") == 4);
  CHECK(count(t.db, "SELECT count(*) FROM ticks WHERE symbol = 'TCS' AND ts_ms >= " +
                        std::to_string(kDayThree)) == 4);
  CHECK(count(t.db, "SELECT count(*) FROM bars") == 2);
  CHECK(count(t.db, "SELECT count(*) FROM order_events") +
            count(t.db, "SELECT count(*) FROM fills") +
            count(t.db, "SELECT count(*) FROM positions") +
            count(t.db, "SELECT count(*) FROM orders") ==
        audit_rows);

  auto series = sm::store::list_series(t.db);
  REQUIRE(series.ok());
  std::vector<std::string> tick_series;
  for (const sm::store::SeriesInfo& info : *series) {
    if (!info.is_tick) continue;
    tick_series.push_back(info.symbol);
    CHECK(info.first_ts == kDayThree);
    CHECK(info.last_ts == kDayThree + 3000);
    CHECK(info.rows == 4);
  }
  CHECK(tick_series == std::vector<std::string>{"TCS"});
  auto last = sm::store::last_tick(t.db, "TCS");
  REQUIRE(last.ok());
  CHECK((*last)->ts == kDayThree + 3000);

  auto again = sm::store::prune_ticks(t.db, sm::from_ist({2024, 3, 27}, 0, 0));
  REQUIRE(again.ok());
  CHECK(*again == 0);
}

TEST_CASE("a database made three releases ago is upgraded at open without losing a row") {
  TempDir dir;
  const std::string path = dir.file("stalkmarket.db");
  REQUIRE(sm::testing::make_older_release_database(path).ok());
  {
    auto old = sm::sqlite::Connection::open_readonly(path);
    REQUIRE(old.ok());
    REQUIRE(*old->schema_version() == sm::testing::older_release_version());
    REQUIRE(sm::testing::older_release_version() < sm::store::latest_schema_version());
  }

  auto db = Database::open(path);  // what every program does at start
  REQUIRE(db.ok());
  CHECK(*db->schema_version() == sm::store::latest_schema_version());
  for (const char* table : sm::testing::kOlderReleaseTables) {
    INFO(table);
    CHECK(count(*db, std::string("SELECT count(*) FROM ") + table) == 1);
  }
  auto order = sm::store::find_order(*db, "c1");
  REQUIRE(order.ok());
  REQUIRE(order->has_value());
  CHECK((*order)->filled_qty == 5);
  auto positions = sm::store::list_positions(*db);
  REQUIRE(positions.ok());
  REQUIRE(positions->size() == 1);
  CHECK(positions->front().cost == 1750000);
  auto last = sm::store::last_bar(*db, "TCS", sm::Timeframe{1});
  REQUIRE(last.ok());
  CHECK((*last)->close == 350500);

  // The upgraded database takes new rows the way the current release writes them.
  sm::Fill fill;
  fill.trade_id = "T2";
  fill.strategy = "trend";
  fill.symbol = "TCS";
  fill.side = sm::Side::kSell;
  fill.qty = 5;
  fill.price = 360000;
  fill.ts = 1711597560000;
  REQUIRE(sm::store::insert_fill(*db, fill).ok());
  CHECK(sm::store::list_positions(*db)->empty());
}
