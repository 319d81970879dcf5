// Positions across a bonus's ex-date: adjusted once, audited, and today's P&L sees no loss.
#include "store/corporate_actions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/market_data.h"
#include "store/todays_pnl.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

using sm::Paise;
using sm::Side;
using sm::TimestampMs;

namespace {

// TCS's real 1:1 bonus: 3514.10 the day before, 1741.05 at the ex-date's close.
const sm::Date kBefore{2018, 5, 30};
const sm::Date kExDate{2018, 5, 31};

std::vector<sm::CorporateAction> tcs_bonus() {
  auto parsed =
      sm::parse_corporate_actions("symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\n", "test");
  REQUIRE(parsed.ok());
  return *parsed;
}

sm::Fill buy(std::string trade_id, sm::Quantity qty, Paise price, TimestampMs ts) {
  sm::Fill f;
  f.ts = ts;
  f.trade_id = std::move(trade_id);
  f.strategy = "trend";
  f.symbol = "TCS";
  f.side = Side::kBuy;
  f.qty = qty;
  f.price = price;
  return f;
}

void tick(sm::store::Database& db, Paise price, TimestampMs ts) {
  sm::Tick t;
  t.ts = ts;
  t.symbol = "TCS";
  t.price = price;
  t.qty = 1;
  REQUIRE(sm::store::insert_ticks(db, std::vector<sm::Tick>{t}).ok());
}

}  // namespace

TEST_CASE("a position held into a 1:1 bonus's ex-date doubles once, with an audit row",
          "[store][actions]") {
  sm::testing::TempDatabase t;
  REQUIRE(sm::store::insert_fill(t.db, buy("T1", 10, 350'000, sm::from_ist(kBefore, 11, 0))).ok());
  const TimestampMs morning = sm::from_ist(kExDate, 9, 0);

  auto applied = sm::store::apply_corporate_actions(t.db, tcs_bonus(), morning, "sm-risk");
  REQUIRE(applied.ok());
  REQUIRE(applied->size() == 1);
  CHECK((*applied)[0].qty_before == 10);
  CHECK((*applied)[0].qty_after == 20);
  auto position = sm::store::find_position(t.db, "trend", "TCS");
  REQUIRE(position.ok());
  REQUIRE(position->has_value());
  CHECK((*position)->qty == 20);
  CHECK((*position)->cost == 3'500'000);  // 10 x 3500.00: the money at stake is unchanged

  // Again later, and from another program: nothing more.
  auto again = sm::store::apply_corporate_actions(t.db, tcs_bonus(), morning + 60'000, "sm-order");
  REQUIRE(again.ok());
  CHECK(again->empty());
  auto next_day = sm::store::apply_corporate_actions(t.db, tcs_bonus(),
                                                     sm::from_ist({2018, 6, 1}, 9, 0), "sm-risk");
  REQUIRE(next_day.ok());
  CHECK(next_day->empty());
  auto audit = sm::store::list_adjustments(t.db);
  REQUIRE(audit.ok());
  REQUIRE(audit->size() == 1);
  CHECK((*audit)[0].recorded_by == "sm-risk");
  CHECK((*audit)[0].ratio == "1:1");
  CHECK((*audit)[0].price_numerator == 1);
  CHECK((*audit)[0].price_denominator == 2);
  CHECK_FALSE(t.db.execute("DELETE FROM corporate_action_adjustments").ok());

  // Selling the 20 real shares is a normal close, not an oversell.
  sm::Fill sell = buy("T2", 20, 174'105, sm::from_ist(kExDate, 15, 0));
  sell.side = Side::kSell;
  auto sold = sm::store::insert_fill(t.db, sell);
  REQUIRE(sold.ok());
  CHECK(sold->position.qty == 0);
}

TEST_CASE("a position bought on the ex-date or not held before it is not adjusted",
          "[store][actions]") {
  sm::testing::TempDatabase t;
  REQUIRE(sm::store::insert_fill(t.db, buy("T1", 10, 174'000, sm::from_ist(kExDate, 10, 0))).ok());
  auto applied = sm::store::apply_corporate_actions(t.db, tcs_bonus(), sm::from_ist(kExDate, 11, 0),
                                                    "sm-risk");
  REQUIRE(applied.ok());
  CHECK(applied->empty());
  // Before the ex-date arrives nothing is due either.
  sm::testing::TempDatabase early;
  REQUIRE(
      sm::store::insert_fill(early.db, buy("T1", 10, 350'000, sm::from_ist(kBefore, 10, 0))).ok());
  auto not_yet = sm::store::apply_corporate_actions(early.db, tcs_bonus(),
                                                    sm::from_ist(kBefore, 15, 0), "sm-risk");
  REQUIRE(not_yet.ok());
  CHECK(not_yet->empty());
}

TEST_CASE("today's P&L on the ex-date counts the move, not the bonus", "[store][actions]") {
  sm::testing::TempDatabase t;
  REQUIRE(sm::store::insert_fill(t.db, buy("T1", 10, 350'000, sm::from_ist(kBefore, 11, 0))).ok());
  tick(t.db, 351'410, sm::from_ist(kBefore, 15, 29));  // the previous close, 3514.10
  REQUIRE(
      sm::store::apply_corporate_actions(t.db, tcs_bonus(), sm::from_ist(kExDate, 9, 0), "x").ok());
  tick(t.db, 174'105, sm::from_ist(kExDate, 15, 29));  // 1741.05
  auto pnl = sm::store::todays_pnl(t.db, sm::from_ist(kExDate, 15, 30));
  REQUIRE(pnl.ok());
  REQUIRE(pnl->rows.size() == 1);
  // 20 shares from 1757.05 (3514.10 halved) to 1741.05: 20 x -16.00 = -320.00, not -35,320.
  CHECK(*pnl->rows[0].start_price == 175'705);
  CHECK(pnl->rows[0].start_qty == 20);
  CHECK(pnl->net == -32'000);
}
