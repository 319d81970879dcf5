// sm-order's catch-up from the risk gateway's record (issue 11): an approval whose intent never
// arrived is placed from the store while young, expired (recorded, never placed) when old, and
// never placed twice.
#include "order/catch_up.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include "order_rig.h"
#include "store/trading_records.h"

using namespace sm;
using namespace sm::order;
using sm::order::test::intent;
using sm::order::test::OrderRig;

namespace {

// Stores an approval with its intent as the risk gateway does, recorded at decided_ms (another
// connection, as sm-risk is another process).
void approve(OrderRig& rig, const OrderIntent& order, TimestampMs decided_ms) {
  time::ManualClock clock(decided_ms);
  store::OpenOptions options;
  options.clock = &clock;
  Result<store::Database> gateway_db = store::Database::open(rig.dir.file("orders.db"), options);
  REQUIRE(gateway_db.ok());
  RiskDecision decision;
  decision.ts = decided_ms;
  decision.strategy = order.strategy;
  decision.symbol = order.symbol;
  decision.action = order.side == Side::kBuy ? SignalAction::kEnterLong : SignalAction::kExitLong;
  decision.signal_ts = order.signal_ts;
  decision.approved = true;
  decision.code = "APPROVED";
  decision.client_order_id = order.client_order_id;
  REQUIRE(store::record_risk_decision(*gateway_db, decision, &order).ok());
}

// What every test here starts from: the rig quotes INFY and has recovered, and an approval to buy
// 10 INFY as client_order_id was recorded age_ms before now. Returns now.
TimestampMs arrange_approval(OrderRig& rig, const std::string& client_order_id,
                             TimestampMs age_ms) {
  rig.price("INFY", "1500.50");
  rig.recover();
  const TimestampMs now = rig.manual_client_clock.now_ms();
  approve(rig, intent(client_order_id, "INFY", Side::kBuy, 10), now - age_ms);
  return now;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

TEST_CASE("an approval whose intent never reached sm-order is placed from the store, once") {
  OrderRig rig;
  const TimestampMs now = arrange_approval(rig, "smC1", 5000);
  IntentCatchUp catch_up(rig.db, *rig.manager, CatchUpOptions{}, rig.log);
  REQUIRE(catch_up.run(now).ok());
  CHECK(catch_up.counts().submitted == 1);
  REQUIRE(rig.broker_orders("smC1").size() == 1);
  CHECK(rig.order("smC1").status == "COMPLETE");
  CHECK(rig.position("rig", "INFY") == 10);

  // Found again by a restarted sm-order (a new catch-up from the start), or arriving late on
  // stdin: still one order.
  IntentCatchUp again(rig.db, *rig.manager, CatchUpOptions{}, rig.log);
  REQUIRE(again.run(now + 1000).ok());
  CHECK(again.counts().submitted == 0);
  REQUIRE(rig.manager->submit(intent("smC1", "INFY", Side::kBuy, 10)).ok());
  CHECK(rig.broker_orders("smC1").size() == 1);
}

TEST_CASE("an approval past the age limit is expired and recorded as such, never placed") {
  OrderRig rig;
  const TimestampMs now = arrange_approval(rig, "smC2", 121000);
  CatchUpOptions options;
  options.max_age_ms = 120000;
  IntentCatchUp catch_up(rig.db, *rig.manager, options, rig.log);
  REQUIRE(catch_up.run(now).ok());
  CHECK(catch_up.counts().expired == 1);
  CHECK(catch_up.counts().submitted == 0);
  CHECK(rig.broker_orders("smC2").empty());
  const store::OrderRecord order = rig.order("smC2");
  CHECK(order.status == "CANCELLED");
  CHECK(order.status_message.find("expired") != std::string::npos);
  CHECK(has(rig.events("smC2"), "intent_expired"));
  const std::vector<Alert> alerts = rig.emitted<Alert>();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts.front().event == "intent_expired");
  CHECK(alerts.front().text.find("smC2") != std::string::npos);
  // The intent arriving on stdin after all is a repeat: still nothing placed.
  REQUIRE(rig.manager->submit(intent("smC2", "INFY", Side::kBuy, 10)).ok());
  CHECK(rig.broker_orders("smC2").empty());
}

TEST_CASE("an approval younger than the grace is left to stdin; a denial is never caught up") {
  OrderRig rig;
  const TimestampMs now = arrange_approval(rig, "smC3", 500);
  IntentCatchUp catch_up(rig.db, *rig.manager, CatchUpOptions{}, rig.log);
  REQUIRE(catch_up.run(now).ok());
  CHECK(catch_up.counts().submitted == 0);
  CHECK(rig.broker_orders("smC3").empty());
  // Once the grace has passed it is this catch-up's (the scan did not move past it).
  REQUIRE(catch_up.run(now + 2000).ok());
  CHECK(catch_up.counts().submitted == 1);
  CHECK(rig.broker_orders("smC3").size() == 1);

  RiskDecision denial;
  denial.ts = now;
  denial.strategy = "rig";
  denial.symbol = "INFY";
  denial.signal_ts = now - 60000;
  denial.code = "MAX_ORDER_VALUE_EXCEEDED";
  REQUIRE(store::record_risk_decision(rig.db, denial).ok());
  IntentCatchUp fresh(rig.db, *rig.manager, CatchUpOptions{}, rig.log);
  REQUIRE(fresh.run(now + 600000).ok());
  CHECK(fresh.counts().submitted == 0);
  CHECK(fresh.counts().expired == 0);
}

// Under sm-risk --event-time the decision's time is the replay's (here two years back), while the
// gateway records the approval on the wall clock.
TEST_CASE(
    "a replay's approval, decided at a market time long past, is judged on one clock at a time") {
  OrderRig rig;
  rig.price("INFY", "1500.50");
  rig.recover();
  const TimestampMs now = rig.manual_client_clock.now_ms();
  const TimestampMs market = now - 2 * 365 * kMsPerDay;
  OrderIntent young = intent("smC4", "INFY", Side::kBuy, 10);
  young.ts = market;
  approve(rig, young, now - 5000);
  OrderIntent stale = intent("smC5", "INFY", Side::kBuy, 10);
  stale.ts = market;
  stale.signal_ts = young.signal_ts + 60000;  // another signal: a decision of its own
  approve(rig, stale, now - 5000);
  CatchUpOptions options;
  options.max_age_ms = 120000;

  SECTION("recorded seconds ago and no market time seen yet: placed, not expired") {
    IntentCatchUp catch_up(rig.db, *rig.manager, options, rig.log);
    REQUIRE(catch_up.run(now).ok());
    CHECK(catch_up.counts().submitted == 2);
    CHECK(catch_up.counts().expired == 0);
    CHECK(rig.broker_orders("smC4").size() == 1);
  }
  SECTION("the replay's market has moved on past the limit: expired, though recorded just now") {
    IntentCatchUp catch_up(rig.db, *rig.manager, options, rig.log);
    REQUIRE(catch_up.run(now, market + 121000).ok());
    CHECK(catch_up.counts().expired == 2);
    CHECK(rig.broker_orders("smC5").empty());
    CHECK(rig.order("smC5").status == "CANCELLED");
  }
  SECTION("the replay's market is within the limit: placed") {
    IntentCatchUp catch_up(rig.db, *rig.manager, options, rig.log);
    REQUIRE(catch_up.run(now, market + 60000).ok());
    CHECK(catch_up.counts().submitted == 2);
    CHECK(catch_up.counts().expired == 0);
  }
}
