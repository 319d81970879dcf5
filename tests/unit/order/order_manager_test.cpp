// OrderManager against the paper broker over real HTTP on 127.0.0.1: placement, following, every
// error_type and HTTP status class, outcome-unknown placements, rate limits, token expiry and
// renewal, restarts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "order/order_manager.h"
#include "order_rig.h"
#include "paper/paper_server.h"
#include "store/ops_records.h"

using namespace sm;
using namespace sm::order;
using sm::order::test::intent;
using sm::order::test::OrderRig;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

size_t count(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<size_t>(std::count(v.begin(), v.end(), x));
}

// Checks, at the moment the broker is asked to place, that the intent and its submit_requested
// event are already committed: it reads them through a second connection, as another process would.
class DurabilitySpy final : public broker::Broker {
 public:
  DurabilitySpy(broker::Broker& inner, std::string db_path)
      : inner_(inner), db_path_(std::move(db_path)) {}
  broker::BrokerResult<std::string> place_order(const broker::OrderRequest& r) override {
    Result<store::Database> other = store::Database::open(db_path_);
    REQUIRE(other.ok());
    Result<std::optional<store::OrderRecord>> o = store::find_order(*other, r.tag);
    REQUIRE(o.ok());
    seen_recorded = o->has_value() && (*o)->status == "PENDING" && (*o)->broker_order_id.empty();
    Result<std::vector<store::OrderEvent>> e = store::order_events(*other, r.tag);
    REQUIRE(e.ok());
    seen_submit_event = !e->empty() && e->back().event == "submit_requested";
    if (placements++ == 0) {
      // At the first placement, which of the expected intents are durable as possibly sent.
      for (const std::string& id : expect_recorded) {
        Result<std::vector<store::OrderEvent>> events = store::order_events(*other, id);
        REQUIRE(events.ok());
        if (!events->empty() && events->back().event == "submit_requested") {
          recorded_at_first.push_back(id);
        }
      }
      if (unreachable_first) {
        broker::BrokerError refused;
        refused.code = ErrorCode::kNetworkError;
        refused.message = "connection refused (injected)";
        return refused;
      }
    }
    return inner_.place_order(r);
  }
  broker::BrokerResult<std::string> modify_order(const broker::ModifyRequest& r) override {
    return inner_.modify_order(r);
  }
  broker::BrokerResult<std::string> cancel_order(std::string_view v, std::string_view id) override {
    return inner_.cancel_order(v, id);
  }
  broker::BrokerResult<std::vector<broker::Order>> orders() override { return inner_.orders(); }
  broker::BrokerResult<std::vector<broker::Order>> order_history(std::string_view id) override {
    return inner_.order_history(id);
  }
  broker::BrokerResult<std::vector<broker::Trade>> trades() override { return inner_.trades(); }
  broker::BrokerResult<std::vector<broker::Trade>> order_trades(std::string_view id) override {
    return inner_.order_trades(id);
  }
  broker::BrokerResult<broker::Positions> positions() override { return inner_.positions(); }
  broker::BrokerResult<std::vector<broker::Holding>> holdings() override {
    return inner_.holdings();
  }
  broker::BrokerResult<broker::Margins> margins() override { return inner_.margins(); }
  broker::BrokerResult<std::map<std::string, broker::Quote>> quote(
      const std::vector<std::string>& i) override {
    return inner_.quote(i);
  }
  broker::BrokerResult<std::map<std::string, broker::LtpQuote>> ltp(
      const std::vector<std::string>& i) override {
    return inner_.ltp(i);
  }
  broker::BrokerResult<std::map<std::string, broker::LtpQuote>> ohlc(
      const std::vector<std::string>& i) override {
    return inner_.ohlc(i);
  }
  broker::BrokerResult<std::vector<broker::Instrument>> instruments(std::string_view e) override {
    return inner_.instruments(e);
  }
  bool seen_recorded = false;
  bool seen_submit_event = false;
  int placements = 0;
  std::vector<std::string> expect_recorded;
  std::vector<std::string> recorded_at_first;
  bool unreachable_first = false;  // the first placement fails with nothing sent

 private:
  broker::Broker& inner_;
  std::string db_path_;
};

}  // namespace

TEST_CASE(
    "an intent is committed before the broker is called, placed with its id as tag and followed to "
    "COMPLETE") {
  OrderRig rig;
  rig.price("INFY", "1500.50");
  DurabilitySpy spy(*rig.kite, rig.dir.file("orders.db"));
  rig.make_manager(&spy);
  rig.recover();
  REQUIRE(rig.manager->submit(intent("smA1", "INFY", Side::kBuy, 10)).ok());

  CHECK(spy.seen_recorded);
  CHECK(spy.seen_submit_event);
  const std::vector<broker::Order> at_broker = rig.broker_orders("smA1");
  REQUIRE(at_broker.size() == 1);
  const store::OrderRecord o = rig.order("smA1");
  CHECK(o.broker_order_id == at_broker.front().order_id);
  CHECK(o.status == "COMPLETE");
  CHECK(o.filled_qty == 10);
  CHECK(o.average_price == 150050);
  CHECK(rig.position("rig", "INFY") == 10);
  const std::vector<std::string> events = rig.events("smA1");
  CHECK(events.front() == "intent_recorded");
  CHECK(contains(events, "submit_requested"));
  CHECK(contains(events, "placed"));
  CHECK(contains(events, "fill"));
  CHECK(events.back() == "broker_update");

  const std::vector<OrderUpdate> updates = rig.emitted<OrderUpdate>();
  REQUIRE(!updates.empty());
  CHECK(updates.front().status == "PUT ORDER REQ RECEIVED");
  CHECK(updates.back().status == "COMPLETE");
  const std::vector<Fill> fills = rig.emitted<Fill>();
  REQUIRE(fills.size() == 1);
  CHECK(fills.front().qty == 10);
  CHECK(fills.front().strategy == "rig");
  CHECK(fills.front().client_order_id == "smA1");
}

TEST_CASE(
    "a repeated intent is not placed again, and a different intent under the same id is refused") {
  OrderRig rig;
  rig.price("TCS", "3500");
  rig.recover();
  REQUIRE(rig.manager->submit(intent("smB1", "TCS", Side::kBuy, 2)).ok());
  REQUIRE(rig.manager->submit(intent("smB1", "TCS", Side::kBuy, 2)).ok());
  CHECK(rig.broker_orders("smB1").size() == 1);
  REQUIRE(rig.manager->submit(intent("smB1", "TCS", Side::kBuy, 3)).ok());
  CHECK(rig.broker_orders("smB1").size() == 1);
  CHECK(rig.order("smB1").intent.qty == 2);
  bool alerted = false;
  for (const Alert& a : rig.emitted<Alert>()) alerted = alerted || a.event == "intent_refused";
  CHECK(alerted);
}

TEST_CASE("a client order id that Kite would not take as a tag is rejected locally, never sent") {
  OrderRig rig;
  rig.price("TCS", "3500");
  rig.recover();
  REQUIRE(rig.manager->submit(intent("bad-id_with-punct", "TCS", Side::kBuy, 1)).ok());
  const store::OrderRecord o = rig.order("bad-id_with-punct");
  CHECK(o.status == "REJECTED");
  CHECK(o.status_message.find("tag") != std::string::npos);
  CHECK(rig.engine->orders().empty());
}

TEST_CASE(
    "each refusing error_type closes the order as REJECTED without a retry and raises an alert") {
  struct Case {
    const char* error_type;
    int status;
  };
  const Case cases[] = {{"InputException", 400},
                        {"OrderException", 400},
                        {"MarginException", 400},
                        {"HoldingException", 400},
                        {"UserException", 403},
                        {"PermissionException", 403},
                        {"PermissionError", 403},
                        {"GeneralException", 400},
                        {"", 400},
                        {"", 404},
                        {"", 405},
                        {"", 410}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.error_type << " HTTP " << c.status) {
      OrderRig rig;
      rig.price("INFY", "1500");
      rig.recover();
      std::string rule =
          R"({"kind":"http_error","method":"POST","path":"/orders","count":0,"status":)" +
          std::to_string(c.status);
      if (*c.error_type != '\0') rule += std::string(R"(,"error_type":")") + c.error_type + "\"";
      rig.fault(nlohmann::json::parse(rule + "}"));
      REQUIRE(rig.manager->submit(intent("smE1", "INFY", Side::kBuy, 1)).ok());
      const store::OrderRecord o = rig.order("smE1");
      CHECK(o.status == "REJECTED");
      CHECK(o.broker_order_id.empty());
      if (*c.error_type != '\0') CHECK(o.status_message.find(c.error_type) != std::string::npos);
      // One request, no retry: the fault counts what it answered.
      CHECK(rig.server->faults().to_json()["rules"][0]["fired"] == 1);
      CHECK_FALSE(rig.manager->placing_blocked());
      bool alerted = false;
      for (const Alert& a : rig.emitted<Alert>()) alerted = alerted || a.event == "order_rejected";
      CHECK(alerted);
      CHECK(count(rig.events("smE1"), "submit_failed") == 1);
    }
  }
}

TEST_CASE("a rejection by the broker's risk system arrives as a REJECTED order with its reason") {
  test::RigOptions options = test::default_options();
  options.engine.rms_rejections_as_orders = true;
  test::OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();
  REQUIRE(
      rig.manager->submit(intent("smR1", "INFY", Side::kBuy, 100000)).ok());  // far beyond the cash
  const store::OrderRecord o = rig.order("smR1");
  CHECK(o.status == "REJECTED");
  CHECK_FALSE(o.broker_order_id.empty());
  CHECK_FALSE(o.status_message.empty());
  CHECK(rig.broker_orders("smR1").size() == 1);
}

TEST_CASE("HTTP 429 on placing is retried with backoff and places exactly one order") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  rig.fault(nlohmann::json::parse(
      R"({"kind":"http_error","status":429,"method":"POST","path":"/orders","count":2})"));
  REQUIRE(rig.manager->submit(intent("smT1", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.broker_orders("smT1").size() == 1);
  CHECK(rig.order("smT1").status == "COMPLETE");
  CHECK(rig.sleeper.total_ms() > 0);  // it backed off
}

TEST_CASE(
    "5xx on placing leaves the outcome unknown: never re-sent, later intents go after the "
    "window, and it expires unfound") {
  for (int status : {500, 502, 503, 504}) {
    DYNAMIC_SECTION("HTTP " << status) {
      OrderRig rig;
      rig.price("INFY", "1500");
      rig.recover();
      rig.fault(nlohmann::json::parse(
          R"({"kind":"http_error","method":"POST","path":"/orders","status":)" +
          std::to_string(status) + "}"));
      REQUIRE(rig.manager->submit(intent("smU1", "INFY", Side::kBuy, 1)).ok());
      CHECK(rig.manager->in_doubt() == 1);
      CHECK(rig.broker_orders("smU1").empty());
      CHECK(contains(rig.events("smU1"), "submit_unknown"));
      // A second intent must wait: nothing is sent while an outcome is unknown.
      REQUIRE(rig.manager->submit(intent("smU2", "INFY", Side::kBuy, 1)).ok());
      CHECK(rig.broker_orders("smU2").empty());
      REQUIRE(rig.manager->tick().ok());
      CHECK(rig.broker_orders("smU1").empty());
      // After the window later intents go ahead; smU1 itself is only ever looked up.
      rig.manual_client_clock.advance(5001);
      REQUIRE(rig.tick_until([&] { return rig.order("smU2").status == "COMPLETE"; }));
      CHECK(rig.broker_orders("smU1").empty());
      CHECK(rig.broker_orders("smU2").size() == 1);
      CHECK(rig.manager->in_doubt() == 1);
      rig.manual_client_clock.advance(test::kResolveMs + test::kSettleMs);
      REQUIRE(rig.tick_until([&] { return rig.order("smU1").status == "CANCELLED"; }));
      CHECK(rig.broker_orders("smU1").empty());
      CHECK(count(rig.events("smU1"), "submit_requested") == 1);
      CHECK(contains(rig.events("smU1"), "in_doubt_expired"));
    }
  }
}

TEST_CASE(
    "a connection dropped after the broker accepted the order is resolved by its tag, not "
    "re-sent") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  rig.fault(
      nlohmann::json::parse(R"({"kind":"drop_after_accept","method":"POST","path":"/orders"})"));
  REQUIRE(rig.manager->submit(intent("smD1", "INFY", Side::kBuy, 3)).ok());
  CHECK(rig.manager->in_doubt() == 0);  // the immediate lookup found it
  REQUIRE(rig.tick_until([&] { return rig.order("smD1").status == "COMPLETE"; }));
  CHECK(rig.broker_orders("smD1").size() == 1);
  CHECK(contains(rig.events("smD1"), "resolved"));
  CHECK(rig.position("rig", "INFY") == 3);
  CHECK(rig.manager->counters().resolved_found == 1);
}

TEST_CASE(
    "a timeout after sending: the broker acts late, the lookup waits for it and nothing is "
    "doubled") {
  test::RigOptions options = test::default_options();
  options.timeout_ms = 300;
  test::OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();
  rig.fault(
      nlohmann::json::parse(R"({"kind":"delay","delay_ms":900,"method":"POST","path":"/orders"})"));
  REQUIRE(rig.manager->submit(intent("smS1", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.manager->in_doubt() == 1);
  REQUIRE(rig.manager->submit(intent("smS2", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.manager->queued() == 1);  // smS2; smS1 is never queued again
  // Real time passes; the paper broker places smS1 when its delay ends; the window (manual clock)
  // has not passed, so the lookup keeps waiting rather than placing again.
  for (int i = 0; i < 40 && rig.manager->in_doubt() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(rig.manager->tick().ok());
  }
  CHECK(rig.manager->in_doubt() == 0);
  REQUIRE(rig.tick_until([&] { return rig.order("smS2").status == "COMPLETE"; }));
  CHECK(rig.broker_orders("smS1").size() == 1);
  CHECK(rig.broker_orders("smS2").size() == 1);
  CHECK(count(rig.events("smS1"), "submit_requested") == 1);
}

TEST_CASE(
    "a connection dropped before the broker handled the order is never placed again: it "
    "expires") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  rig.fault(nlohmann::json::parse(R"({"kind":"drop_before","method":"POST","path":"/orders"})"));
  REQUIRE(rig.manager->submit(intent("smX1", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.manager->in_doubt() == 1);
  rig.manual_client_clock.advance(4000);
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.broker_orders("smX1").empty());
  rig.manual_client_clock.advance(1001);
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.broker_orders("smX1").empty());  // past the window: still only looked up
  rig.manual_client_clock.advance(test::kResolveMs + test::kSettleMs);
  REQUIRE(rig.tick_until([&] { return rig.order("smX1").status == "CANCELLED"; }));
  CHECK(rig.broker_orders("smX1").empty());
  CHECK(rig.manager->counters().resolved_not_found == 1);
}

TEST_CASE("reads that fail with 5xx or time out are retried and the order is still followed") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  rig.fault(nlohmann::json::parse(
      R"({"kind":"http_error","status":503,"method":"GET","path":"/orders/","count":2})"));
  REQUIRE(rig.manager->submit(intent("smG1", "INFY", Side::kBuy, 1)).ok());
  REQUIRE(rig.tick_until([&] { return rig.order("smG1").status == "COMPLETE"; }));
  CHECK(rig.broker_orders("smG1").size() == 1);
}

TEST_CASE("the client rate limiter spaces order placements") {
  test::RigOptions options = test::default_options();
  options.rate_limits.order_per_second = 2;
  test::OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();
  const TimestampMs before = rig.manual_client_clock.now_ms();
  for (int i = 0; i < 5; ++i) {
    REQUIRE(rig.manager->submit(intent("smL" + std::to_string(i), "INFY", Side::kBuy, 1)).ok());
  }
  // Five placements at 2/s need at least four half-second gaps.
  CHECK(rig.manual_client_clock.now_ms() - before >= 2000);
  for (int i = 0; i < 5; ++i) CHECK(rig.broker_orders("smL" + std::to_string(i)).size() == 1);
}

TEST_CASE(
    "the broker's own 429s (its per-second limit) are ridden out: every intent placed exactly "
    "once") {
  test::RigOptions options = test::default_options();
  options.server.enforce_rate_limits = true;
  options.system_clock = true;
  options.manager.retry_after_ms = 200;
  test::OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();
  const int n = 25;
  for (int i = 0; i < n; ++i) {
    REQUIRE(rig.manager->submit(intent("smP" + std::to_string(i), "INFY", Side::kBuy, 1)).ok());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto all_done = [&] {
    for (int i = 0; i < n; ++i) {
      if (rig.order("smP" + std::to_string(i)).status != "COMPLETE") return false;
    }
    return true;
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(rig.manager->tick().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(all_done());
  for (int i = 0; i < n; ++i) CHECK(rig.broker_orders("smP" + std::to_string(i)).size() == 1);
}

TEST_CASE(
    "a TokenException stops placing and alerts, and a renewed token resumes the queued intents") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  REQUIRE(rig.manager->submit(intent("smK1", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.order("smK1").status == "COMPLETE");
  rig.server->faults().set_token_expire_after(1);  // one more call works, then tokens die
  REQUIRE(rig.manager->submit(intent("smK2", "INFY", Side::kBuy, 1)).ok());  // the place works
  REQUIRE(rig.manager->submit(intent("smK3", "INFY", Side::kBuy, 1)).ok());
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.manager->placing_blocked());
  CHECK(rig.manager->health() == BrokerHealth::kAuthExpired);
  CHECK(rig.manager->heartbeat().status == "degraded");
  CHECK(rig.broker_orders("smK3").empty());
  bool alerted = false;
  for (const Alert& a : rig.emitted<Alert>())
    alerted = alerted || a.event == "broker_token_expired";
  CHECK(alerted);
  // More intents while blocked are recorded and queued, not sent.
  REQUIRE(rig.manager->submit(intent("smK4", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.broker_orders("smK4").empty());
  CHECK(rig.order("smK4").status == "PENDING");

  // `sm-order login` does this exchange; the program then calls token_renewed().
  rig.server->faults().set_token_expire_after(0);  // (a login re-arms the injected expiry)
  broker::BrokerResult<broker::Session> session = rig.kite->login("rt1", test::kApiSecret);
  REQUIRE(session.ok());
  rig.manager->token_renewed();
  REQUIRE(rig.tick_until([&] {
    return rig.order("smK3").status == "COMPLETE" && rig.order("smK4").status == "COMPLETE" &&
           rig.order("smK2").status == "COMPLETE";
  }));
  CHECK_FALSE(rig.manager->placing_blocked());
  for (const char* id : {"smK2", "smK3", "smK4"}) CHECK(rig.broker_orders(id).size() == 1);
}

TEST_CASE("a token past its 06:00 IST expiry is refused locally and blocks placing") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.kite->set_access_token(test::kAccessToken, test::rig_start() - 24 * 3600 * 1000);
  Result<bool> r = rig.manager->recover();
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  CHECK(rig.manager->placing_blocked());
  rig.kite->set_access_token(test::kAccessToken, test::rig_start());
  rig.manager->token_renewed();
  rig.recover();
  REQUIRE(rig.manager->submit(intent("smZ1", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.order("smZ1").status == "COMPLETE");
}

TEST_CASE(
    "after a kill right after submit_requested, start-up only looks the tag up: never placed, "
    "then expired") {
  OrderRig rig;
  rig.price("INFY", "1500");
  // What a killed sm-order left: the intent and its submit_requested, nothing at the broker.
  REQUIRE(store::upsert_order_intent(rig.db, intent("smC1", "INFY", Side::kBuy, 4)).ok());
  REQUIRE(store::append_order_event(rig.db, {"smC1", rig.manual_client_clock.now_ms(),
                                             "submit_requested", "PENDING", "{}"})
              .ok());
  rig.recover();
  CHECK(rig.manager->in_doubt() == 1);
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.broker_orders("smC1").empty());
  // Whether the request left before the kill is unknown, so it is never sent again by itself.
  rig.manual_client_clock.advance(test::kResolveMs + test::kSettleMs);
  REQUIRE(rig.tick_until([&] { return rig.order("smC1").status == "CANCELLED"; }));
  CHECK(rig.broker_orders("smC1").empty());
  CHECK(rig.position("rig", "INFY") == 0);
}

TEST_CASE("an intent recorded without a submit event is placed right after one lookup") {
  OrderRig rig;
  rig.price("INFY", "1500");
  REQUIRE(store::upsert_order_intent(rig.db, intent("smC2", "INFY", Side::kBuy, 1)).ok());
  rig.recover();
  REQUIRE(rig.tick_until([&] { return rig.order("smC2").status == "COMPLETE"; }, 3));
  CHECK(rig.broker_orders("smC2").size() == 1);
}

TEST_CASE(
    "after a kill between the broker accepting and our storing its id, start-up links the order") {
  OrderRig rig;
  rig.price("INFY", "1500");
  const OrderIntent i = intent("smC3", "INFY", Side::kBuy, 5);
  REQUIRE(store::upsert_order_intent(rig.db, i).ok());
  REQUIRE(store::append_order_event(rig.db, {"smC3", rig.manual_client_clock.now_ms(),
                                             "submit_requested", "PENDING", "{}"})
              .ok());
  broker::OrderRequest r;
  r.tradingsymbol = "INFY";
  r.quantity = 5;
  r.product = Product::kIntraday;
  r.tag = "smC3";
  REQUIRE(rig.kite->place_order(r).ok());
  rig.recover();
  CHECK(rig.manager->in_doubt() == 0);
  REQUIRE(rig.tick_until([&] { return rig.order("smC3").status == "COMPLETE"; }));
  CHECK(rig.broker_orders("smC3").size() == 1);
  CHECK(rig.position("rig", "INFY") == 5);
  CHECK(contains(rig.events("smC3"), "resolved"));
}

TEST_CASE(
    "an order placed between polls counts as open at once, so end of input waits to follow it") {
  // The crash test found this: sm-order stops at end of input when nothing is open, queued or in
  // doubt. A placement whose first history read left the order open must count before the next
  // poll is due, or sm-order exits with the order unfollowed and its fill never recorded.
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  REQUIRE(rig.manager->tick().ok());  // a poll with nothing open: the poll is not due again soon
  CHECK(rig.manager->open_orders() == 0);
  REQUIRE(
      rig.manager->submit(intent("smP1", "INFY", Side::kBuy, 1, OrderType::kLimit, 140000)).ok());
  REQUIRE(rig.order("smP1").status == "OPEN");
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.manager->open_orders() == 1);
}

TEST_CASE("open orders are resumed after a restart and --cancel-on-exit cancels them") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  REQUIRE(
      rig.manager->submit(intent("smO1", "INFY", Side::kBuy, 1, OrderType::kLimit, 140000)).ok());
  CHECK(rig.order("smO1").status == "OPEN");
  rig.make_manager();  // a restart
  rig.recover();
  rig.price("INFY", "1399");  // crosses the limit: the paper broker fills it
  REQUIRE(rig.tick_until([&] { return rig.order("smO1").status == "COMPLETE"; }));
  CHECK(rig.position("rig", "INFY") == 1);

  REQUIRE(
      rig.manager->submit(intent("smO2", "INFY", Side::kBuy, 1, OrderType::kLimit, 130000)).ok());
  CHECK(rig.order("smO2").status == "OPEN");
  REQUIRE(rig.manager->shutdown(true, 2000).ok());
  CHECK(rig.order("smO2").status == "CANCELLED");
  CHECK(contains(rig.events("smO2"), "cancel_requested"));
}

TEST_CASE(
    "the heartbeat says ok while the broker answers and degraded with the outage time when it does "
    "not") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  Heartbeat h = rig.manager->heartbeat();
  CHECK(h.status == "ok");
  CHECK(h.component == "sm-order");
  nlohmann::json detail = nlohmann::json::parse(h.detail);
  CHECK(detail["broker"] == "connected");
  REQUIRE(rig.manager->beat().ok());
  Result<std::vector<Heartbeat>> stored = store::last_heartbeats(rig.db);
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  CHECK(stored->front().status == "ok");

  rig.fault(nlohmann::json::parse(
      R"({"kind":"drop_before","count":0})"));  // every request: connection closed unanswered
  rig.manual_client_clock.advance(10000);
  REQUIRE(rig.manager->tick().ok());  // the probe fails
  rig.manual_client_clock.advance(2000);
  h = rig.manager->heartbeat();
  CHECK(h.status == "degraded");
  detail = nlohmann::json::parse(h.detail);
  CHECK(detail["broker"] == "disconnected");
  CHECK(detail["broker_down_ms"].get<std::int64_t>() >= 2000);
  CHECK(rig.manager->heartbeat(true).status == "stopping");
}

TEST_CASE("an intent that waited too long for a token is dropped with an alert, not placed late") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.recover();
  rig.server->faults().set_token_expire_after(1);
  REQUIRE(rig.manager->submit(intent("smW1", "INFY", Side::kBuy, 1)).ok());  // placed, then dies
  REQUIRE(rig.manager->tick().ok());
  REQUIRE(rig.manager->placing_blocked());
  REQUIRE(rig.manager->submit(intent("smW2", "INFY", Side::kBuy, 1)).ok());
  CHECK(rig.order("smW2").status == "PENDING");
  rig.manual_client_clock.advance(121000);  // longer than max_queue_ms (120 s)
  rig.server->faults().set_token_expire_after(0);
  REQUIRE(rig.kite->login("rt2", test::kApiSecret).ok());
  rig.manager->token_renewed();
  REQUIRE(rig.manager->submit(intent("smW3", "INFY", Side::kBuy, 1)).ok());
  REQUIRE(rig.tick_until([&] { return rig.order("smW3").status == "COMPLETE"; }));
  const store::OrderRecord dropped = rig.order("smW2");
  CHECK(dropped.status == "CANCELLED");
  CHECK(dropped.status_message.find("not placed within 120 s") != std::string::npos);
  CHECK(rig.broker_orders("smW2").empty());
  bool alerted = false;
  for (const Alert& a : rig.emitted<Alert>()) alerted = alerted || a.event == "intent_dropped";
  CHECK(alerted);
}

TEST_CASE(
    "regression: an unreachable broker at start-up is retried with capped exponential backoff, "
    "logged once, and the heartbeat says why it is degraded") {
  test::RigOptions options = test::default_options();
  options.manager.max_reconnect_backoff_ms = 8000;
  test::OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.fault(nlohmann::json::parse(
      R"({"kind":"drop_before","count":0})"));  // every request: connection closed unanswered
  std::vector<std::int64_t> waits;
  for (int attempt = 0; attempt < 6; ++attempt) {
    Result<bool> r = rig.manager->recover();
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
    const std::int64_t wait = rig.manager->next_due_ms();
    waits.push_back(wait);
    // Before the wait is over, recover() does not contact the broker.
    rig.manual_client_clock.advance(wait / 2);
    REQUIRE(rig.manager->recover().ok());
    CHECK(rig.manager->next_due_ms() == wait - wait / 2);
    rig.manual_client_clock.advance(wait - wait / 2);
  }
  CHECK(waits == std::vector<std::int64_t>{1000, 2000, 4000, 8000, 8000, 8000});
  const Heartbeat h = rig.manager->heartbeat();
  CHECK(h.status == "degraded");
  const nlohmann::json detail = nlohmann::json::parse(h.detail);
  CHECK(detail["broker"] == "disconnected");
  CHECK_THAT(detail["reason"].get<std::string>(),
             Catch::StartsWith("the broker cannot be reached"));

  rig.server->faults().clear();
  rig.manual_client_clock.advance(rig.manager->next_due_ms());
  rig.recover();
  CHECK(rig.manager->heartbeat().status == "ok");
  CHECK_FALSE(nlohmann::json::parse(rig.manager->heartbeat().detail).contains("reason"));
}

TEST_CASE("intents read together are recorded in one commit before the first is placed") {
  // Issue 14, group commit: one fsync for the pass, each intent durable before its request.
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.price("TCS", "3500");
  rig.price("SBIN", "600");
  DurabilitySpy spy(*rig.kite, rig.dir.file("orders.db"));
  spy.expect_recorded = {"smG1", "smG2", "smG3"};
  rig.make_manager(&spy);
  rig.recover();
  REQUIRE(
      rig.manager
          ->submit_all({intent("smG1", "INFY", Side::kBuy, 1), intent("smG2", "TCS", Side::kBuy, 2),
                        intent("smG3", "SBIN", Side::kBuy, 3)})
          .ok());
  CHECK(spy.recorded_at_first == spy.expect_recorded);
  for (const std::string& id : spy.expect_recorded) {
    CHECK(rig.broker_orders(id).size() == 1);
    CHECK(rig.order(id).status == "COMPLETE");
  }
  CHECK(rig.manager->counters().intents == 3);
  CHECK(rig.manager->counters().placed == 3);
  // A repeat of the pass places nothing again.
  REQUIRE(rig.manager
              ->submit_all(
                  {intent("smG1", "INFY", Side::kBuy, 1), intent("smG2", "TCS", Side::kBuy, 2)})
              .ok());
  CHECK(rig.broker_orders("smG1").size() == 1);
  CHECK(rig.broker_orders("smG2").size() == 1);
}

TEST_CASE(
    "an intent of the pass that could not be sent after an earlier one failed is deferred, and a "
    "restart places it instead of holding it in doubt") {
  OrderRig rig;
  rig.price("INFY", "1500");
  rig.price("TCS", "3500");
  DurabilitySpy spy(*rig.kite, rig.dir.file("orders.db"));
  spy.unreachable_first = true;
  rig.make_manager(&spy);
  rig.recover();
  REQUIRE(rig.manager
              ->submit_all(
                  {intent("smH1", "INFY", Side::kBuy, 1), intent("smH2", "TCS", Side::kBuy, 2)})
              .ok());
  CHECK(spy.placements == 1);
  CHECK(rig.manager->queued() == 2);
  const std::vector<std::string> events = rig.events("smH2");
  CHECK(contains(events, "submit_requested"));
  CHECK(events.back() == "submit_deferred");
  // A restart now: smH1's request failed with nothing sent and smH2's was never made, so both
  // are placed after one lookup each; neither is taken for a placement in doubt.
  rig.make_manager(&spy);
  rig.recover();
  CHECK(rig.tick_until([&] {
    return rig.broker_orders("smH1").size() == 1 && rig.broker_orders("smH2").size() == 1;
  }));
  CHECK(rig.manager->counters().resolved_not_found == 0);
  CHECK(rig.broker_orders("smH2").size() == 1);
  CHECK(count(rig.events("smH2"), "submit_requested") == 2);
}
