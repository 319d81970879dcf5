#include "store/todays_pnl.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/market_data.h"
#include "store/status_report.h"
#include "store/trading_records.h"
#include "support/temp_database.h"
#include "trend_fill.h"

using sm::Paise;
using sm::Side;
using sm::TimestampMs;
using sm::store::TodaysPnl;
using sm::store::TodaysPnlRow;
using sm::testing::trend_fill;

namespace {

const sm::Date kToday{2024, 3, 28};
const sm::Date kYesterday{2024, 3, 27};
const TimestampMs kNow = sm::from_ist(kToday, 15, 0);

constexpr Paise rupees(std::int64_t r) { return r * 100; }

void tick(sm::store::Database& db, std::string symbol, Paise price, TimestampMs ts) {
  sm::Tick t;
  t.ts = ts;
  t.symbol = std::move(symbol);
  t.price = price;
  t.qty = 1;
  REQUIRE(sm::store::insert_ticks(db, std::vector<sm::Tick>{t}).ok());
}

// Yesterday: 10 TCS bought at 3850, last traded at 3900 (the previous close). Today: 4 sold at
// 3950, TCS now 3960; 5 INFY bought at 1500, now 1510.
void populate(sm::store::Database& db) {
  tick(db, "TCS", rupees(3900), sm::from_ist(kYesterday, 15, 29));
  REQUIRE(sm::store::insert_fill(db, trend_fill("T1", "TCS", Side::kBuy, 10, rupees(3850),
                                                sm::from_ist(kYesterday, 10, 30), 600))
              .ok());
  REQUIRE(sm::store::insert_fill(db, trend_fill("T2", "TCS", Side::kSell, 4, rupees(3950),
                                                sm::from_ist(kToday, 11, 0), 325))
              .ok());
  REQUIRE(sm::store::insert_fill(db, trend_fill("T3", "INFY", Side::kBuy, 5, rupees(1500),
                                                sm::from_ist(kToday, 11, 30), 100))
              .ok());
  tick(db, "TCS", rupees(3960), sm::from_ist(kToday, 14, 59));
  tick(db, "INFY", rupees(1510), sm::from_ist(kToday, 14, 59, 30));
}

const TodaysPnlRow& row_of(const TodaysPnl& pnl, const std::string& symbol) {
  for (const TodaysPnlRow& row : pnl.rows) {
    if (row.symbol == symbol) return row;
  }
  FAIL("no row for " << symbol);
  return pnl.rows.front();
}

}  // namespace

// Worked by hand (the same figures as tests/cli/sm-status.bats):
//   TCS  realised 4 x (3950 - 3850) = 400.00, charges 3.25; unrealised at the previous close
//        10 x (3900 - 3850) = 500.00, now 6 x (3960 - 3850) = 660.00; net 400 - 3.25 + 160 = 556.75
//   INFY opened today: charges 1.00; unrealised now 5 x 10 = 50.00, at the previous close 0;
//        net 49.00
//   total 400.00 - 4.25 + (710.00 - 500.00) = 605.75
TEST_CASE(
    "today's P&L is realised today less charges plus the change of unrealised since the "
    "previous close") {
  sm::testing::TempDatabase t;
  populate(t.db);
  sm::Result<TodaysPnl> pnl = sm::store::todays_pnl(t.db, kNow);
  REQUIRE(pnl.ok());
  CHECK(pnl->ist_date == kToday);
  CHECK(pnl->realised == rupees(400));
  CHECK(pnl->charges == 425);
  CHECK(pnl->start_unrealised == rupees(500));
  CHECK(pnl->unrealised == rupees(710));
  CHECK(pnl->unrealised_change == rupees(210));
  CHECK(pnl->net == 60575);
  CHECK(pnl->unpriced_positions == 0);

  const TodaysPnlRow& tcs = row_of(*pnl, "TCS");
  CHECK(tcs.fills == 1);  // yesterday's buy is not today's
  CHECK(tcs.start_qty == 10);
  CHECK(tcs.start_price == rupees(3900));
  CHECK(tcs.qty == 6);
  CHECK(tcs.price == rupees(3960));
  CHECK(tcs.net() == 55675);
  const TodaysPnlRow& infy = row_of(*pnl, "INFY");
  CHECK(infy.start_qty == 0);
  CHECK_FALSE(infy.start_price.has_value());
  CHECK(infy.net() == rupees(49));
}

TEST_CASE("sm-status's report shows the store's today's P&L") {
  sm::testing::TempDatabase t;
  populate(t.db);
  sm::Result<TodaysPnl> pnl = sm::store::todays_pnl(t.db, kNow);
  REQUIRE(pnl.ok());
  sm::Result<sm::store::StatusReport> report =
      sm::store::build_status_report(t.dir.file("stalk.db"), kNow);
  REQUIRE(report.ok());
  CHECK(report->pnl.net == pnl->net);
  CHECK(report->pnl.net == 60575);
  CHECK_THAT(sm::store::format_status_json(*report),
             Catch::Contains(R"("unrealised_change":210.00,"net":605.75)"));
}

TEST_CASE("a position held at the start of the day without an earlier price counts from its cost") {
  sm::testing::TempDatabase t;
  REQUIRE(sm::store::insert_fill(t.db, trend_fill("T1", "TCS", Side::kBuy, 2, rupees(100),
                                                  sm::from_ist(kYesterday, 10, 0), 0))
              .ok());
  tick(t.db, "TCS", rupees(110), sm::from_ist(kToday, 10, 0));
  sm::Result<TodaysPnl> pnl = sm::store::todays_pnl(t.db, kNow);
  REQUIRE(pnl.ok());
  CHECK(pnl->start_unrealised == 0);
  CHECK(pnl->net == rupees(20));
}

TEST_CASE("the todays_pnl view, a second definition, is dropped by the migration") {
  sm::testing::TempDatabase t;
  CHECK(*t.db.query_int64("SELECT count(*) FROM sqlite_master WHERE name = 'todays_pnl'") == 0);
}
