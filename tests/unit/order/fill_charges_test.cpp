// Charges of live fills (issue 11): sm-order used to record every fill with charges 0.
#include <catch2/catch.hpp>

#include <memory>

#include "costs/cost_model.h"
#include "order/fill_charges.h"
#include "order_rig.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

using namespace sm;
using namespace sm::order;
using sm::order::test::intent;
using sm::order::test::OrderRig;

namespace {

std::shared_ptr<const costs::CostModel> charge_rates() {
  Result<costs::IndianEquityCostModel> model =
      costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  return std::make_shared<costs::IndianEquityCostModel>(std::move(model.value()));
}

Fill sell_fill(const std::string& id, const std::string& trade_id, TimestampMs ts) {
  Fill f;
  f.ts = ts;
  f.client_order_id = id;
  f.trade_id = trade_id;
  f.strategy = "s";
  f.symbol = "INFY";
  f.side = Side::kSell;
  f.qty = 10;
  f.price = 150000;
  return f;
}

}  // namespace

TEST_CASE("a delivery sell pays the DP charge once per symbol and IST day, not per fill") {
  sm::testing::TempDatabase t;
  const auto model = charge_rates();
  OrderIntent sell = intent("smDP1", "INFY", Side::kSell, 30);
  sell.product = Product::kDelivery;
  REQUIRE(store::upsert_order_intent(t.db, sell).ok());
  const TimestampMs morning = from_ist(Date{2026, 4, 6}, 10, 0);

  Fill first = sell_fill("smDP1", "T1", morning);
  Result<costs::Charges> c1 = fill_charges(t.db, *model, first, Product::kDelivery);
  REQUIRE(c1.ok());
  CHECK(c1->dp == 1593);
  first.charges = c1->total();
  REQUIRE(store::insert_fill(t.db, first).ok());

  Result<costs::Charges> c2 =
      fill_charges(t.db, *model, sell_fill("smDP1", "T2", morning + 60000), Product::kDelivery);
  REQUIRE(c2.ok());
  CHECK(c2->dp == 0);
  CHECK(c2->stt == 1500);  // 0.1 % of 15,000
  // Re-reading the first trade (a restart) still prices it as the day's first sell.
  Result<costs::Charges> again = fill_charges(t.db, *model, first, Product::kDelivery);
  REQUIRE(again.ok());
  CHECK(again->dp == 1593);

  Result<costs::Charges> next_day =
      fill_charges(t.db, *model, sell_fill("smDP1", "T3", morning + 86400000), Product::kDelivery);
  REQUIRE(next_day.ok());
  CHECK(next_day->dp == 1593);
  // Intraday sells have no DP charge.
  Result<costs::Charges> mis =
      fill_charges(t.db, *model, sell_fill("smDP1", "T4", morning), Product::kIntraday);
  REQUIRE(mis.ok());
  CHECK(mis->dp == 0);
}

TEST_CASE("a live fill is stored with its charges, and its position carries them") {
  test::RigOptions options = test::default_options();
  options.manager.cost_model = charge_rates();
  OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();
  REQUIRE(rig.manager->submit(intent("smCh1", "INFY", Side::kBuy, 100)).ok());
  REQUIRE(rig.tick_until([&] { return rig.order("smCh1").status == "COMPLETE"; }));
  // MIS buy of 100 at 1,500 on 2024-03-28: brokerage capped at 20, exchange 0.00335 %, SEBI fee,
  // stamp 0.003 %, GST 18 % on brokerage + exchange + SEBI fee.
  const Paise expected =
      options.manager.cost_model
          ->charges_for({Date{2024, 3, 28}, Product::kIntraday, Side::kBuy, 150000, 100, false})
          ->total();
  CHECK(expected > 2000 + 450);  // at least the capped brokerage and the stamp duty
  Result<std::vector<Fill>> fills = store::list_fills(rig.db, 0, from_ist(Date{2030, 1, 1}, 0, 0));
  REQUIRE(fills.ok());
  REQUIRE(fills->size() == 1);
  CHECK(fills->front().charges == expected);
  Result<std::optional<store::Position>> p = store::find_position(rig.db, "rig", "INFY");
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->charges == expected);
  for (const Fill& f : rig.emitted<Fill>()) CHECK(f.charges == expected);
}
