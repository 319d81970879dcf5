// Following orders through states the paper broker does not produce, with a scripted broker.
#include <catch2/catch.hpp>

#include "fake_broker.h"
#include "order/order_manager.h"
#include "order_rig.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

using namespace sm;
using namespace sm::order;
using sm::order::test::FakeBroker;
using sm::order::test::intent;

namespace {

struct Harness : sm::testing::TempDatabase {
  FakeBroker broker;
  time::ManualClock clock{test::rig_start()};
  Logger log{"order-test", LogLevel::kError};
  std::vector<Message> out;
  std::unique_ptr<OrderManager> manager;

  Harness() : TempDatabase("orders.db") {
    ManagerOptions options;
    options.poll_interval_ms = 100;
    manager = std::make_unique<OrderManager>(
        db, broker, clock, options, [this](const Message& m) { out.push_back(m); }, log);
    REQUIRE(manager->recover().ok());
  }
  void poll() {
    clock.advance(200);
    REQUIRE(manager->tick().ok());
  }
  store::OrderRecord order(const std::string& id) {
    Result<std::optional<store::OrderRecord>> o = store::find_order(db, id);
    REQUIRE(o.ok());
    REQUIRE(o->has_value());
    return **o;
  }
  std::vector<store::OrderEvent> events(const std::string& id) {
    Result<std::vector<store::OrderEvent>> e = store::order_events(db, id);
    REQUIRE(e.ok());
    return *e;
  }
  Quantity position(const std::string& symbol) {
    Result<std::optional<store::Position>> p = store::find_position(db, "rig", symbol);
    REQUIRE(p.ok());
    return p->has_value() ? (*p)->qty : 0;
  }
};

}  // namespace

TEST_CASE("partial fills: OPEN with filled 4 stores that fill, then COMPLETE stores the rest") {
  Harness h;
  REQUIRE(h.manager->submit(intent("smF1", "INFY", Side::kBuy, 10)).ok());
  REQUIRE(h.broker.placed.size() == 1);
  CHECK(h.broker.placed.front().tag == "smF1");
  auto& states = h.broker.history["F1"];
  states.push_back(FakeBroker::order("F1", "smF1", "INFY", "OPEN", 10, 0));
  states.push_back(FakeBroker::order("F1", "smF1", "INFY", "OPEN", 10, 4, 150000));
  h.broker.order_trade_list["F1"] = {FakeBroker::trade("T1", "F1", "INFY", Side::kBuy, 4, 150000)};
  h.poll();
  CHECK(h.order("smF1").status == "OPEN");
  CHECK(h.order("smF1").filled_qty == 4);
  CHECK(h.position("INFY") == 4);

  states.push_back(FakeBroker::order("F1", "smF1", "INFY", "COMPLETE", 10, 10, 150060));
  h.broker.order_trade_list["F1"].push_back(
      FakeBroker::trade("T2", "F1", "INFY", Side::kBuy, 6, 150100));
  h.poll();
  CHECK(h.order("smF1").status == "COMPLETE");
  CHECK(h.order("smF1").filled_qty == 10);
  CHECK(h.order("smF1").average_price == 150060);
  CHECK(h.position("INFY") == 10);
  int fills = 0;
  for (const Message& m : h.out) fills += std::holds_alternative<Fill>(m) ? 1 : 0;
  CHECK(fills == 2);
}

TEST_CASE("an order state is not stored before the trades that make it up") {
  Harness h;
  REQUIRE(h.manager->submit(intent("smF2", "TCS", Side::kBuy, 5)).ok());
  h.broker.history["F1"].push_back(FakeBroker::order("F1", "smF2", "TCS", "OPEN", 5, 0));
  h.broker.history["F1"].push_back(
      FakeBroker::order("F1", "smF2", "TCS", "COMPLETE", 5, 5, 350000));
  h.poll();  // the broker has no trades to show yet
  CHECK(h.order("smF2").status == "OPEN");
  CHECK(h.order("smF2").filled_qty == 0);
  h.broker.order_trade_list["F1"] = {FakeBroker::trade("T9", "F1", "TCS", Side::kBuy, 5, 350000)};
  h.poll();
  CHECK(h.order("smF2").status == "COMPLETE");
  CHECK(h.position("TCS") == 5);
}

TEST_CASE("a broker that reports an order going backwards is ignored, recorded and alerted") {
  Harness h;
  REQUIRE(h.manager->submit(intent("smF3", "WIPRO", Side::kBuy, 1)).ok());
  auto& states = h.broker.history["F1"];
  states.push_back(FakeBroker::order("F1", "smF3", "WIPRO", "OPEN", 1, 0));
  h.poll();
  CHECK(h.order("smF3").status == "OPEN");
  states.push_back(FakeBroker::order("F1", "smF3", "WIPRO", "VALIDATION PENDING", 1, 0));
  h.poll();
  h.poll();  // reported once, not on every poll
  CHECK(h.order("smF3").status == "OPEN");
  int illegal = 0;
  for (const store::OrderEvent& e : h.events("smF3")) {
    if (e.event == "illegal_transition") {
      ++illegal;
      CHECK(e.detail_json.find("VALIDATION PENDING") != std::string::npos);
    }
  }
  CHECK(illegal == 1);
  CHECK(h.manager->counters().illegal_transitions == 1);
  int alerts = 0;
  for (const Message& m : h.out) {
    if (const Alert* a = std::get_if<Alert>(&m)) alerts += a->event == "illegal_transition" ? 1 : 0;
  }
  CHECK(alerts == 1);
  // The broker then completing the order is still accepted.
  states.push_back(FakeBroker::order("F1", "smF3", "WIPRO", "COMPLETE", 1, 1, 40000));
  h.broker.order_trade_list["F1"] = {FakeBroker::trade("T3", "F1", "WIPRO", Side::kBuy, 1, 40000)};
  h.poll();
  CHECK(h.order("smF3").status == "COMPLETE");
}

TEST_CASE("a COMPLETE order reported OPEN again stays COMPLETE") {
  Harness h;
  REQUIRE(h.manager->submit(intent("smF4", "INFY", Side::kBuy, 2)).ok());
  auto& states = h.broker.history["F1"];
  states.push_back(FakeBroker::order("F1", "smF4", "INFY", "COMPLETE", 2, 2, 100000));
  h.broker.order_trade_list["F1"] = {FakeBroker::trade("T4", "F1", "INFY", Side::kBuy, 2, 100000)};
  h.poll();
  REQUIRE(h.order("smF4").status == "COMPLETE");
  // Terminal orders are no longer polled; a late "OPEN" cannot reach them through following.
  states.push_back(FakeBroker::order("F1", "smF4", "INFY", "OPEN", 2, 0));
  h.poll();
  CHECK(h.order("smF4").status == "COMPLETE");
  CHECK(h.order("smF4").filled_qty == 2);
}
