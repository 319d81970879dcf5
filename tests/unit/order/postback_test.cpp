// Postbacks end to end in one process: the paper engine's fills go out through PostbackSender,
// arrive at sm-order's PostbackReceiver, and the manager follows the order at once instead of at
// its next poll. Forged postbacks are refused.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "broker/curl_http_client.h"
#include "broker/kite_json.h"
#include "order/order_manager.h"
#include "order/postback_receiver.h"
#include "order_rig.h"
#include "paper/postback_sender.h"

using namespace sm;
using namespace sm::order;
using sm::order::test::intent;
using sm::order::test::OrderRig;

namespace {

std::vector<PostbackHint> wait_for_hints(PostbackReceiver& receiver, size_t n) {
  std::vector<PostbackHint> all;
  for (int i = 0; i < 200 && all.size() < n; ++i) {
    for (PostbackHint& h : receiver.take()) all.push_back(std::move(h));
    if (all.size() < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return all;
}

}  // namespace

TEST_CASE("a postback makes the manager follow the order now, not at its next poll") {
  sm::order::test::RigOptions options = sm::order::test::default_options();
  options.manager.poll_interval_ms = 3'600'000;  // the manual clock never reaches the next poll
  OrderRig rig(options);
  rig.price("INFY", "1500");
  rig.recover();

  PostbackReceiver receiver({"127.0.0.1", 0, "/postback", "appsecret"}, nullptr);
  Result<int> port = receiver.start();
  REQUIRE(port.ok());
  paper::PostbackSender sender(
      {"http://127.0.0.1:" + std::to_string(*port) + "/postback", "PAPER1", 1, "appsecret", 2000},
      nullptr);
  rig.engine->set_order_observer([&](const broker::Order& o) { sender.on_order(o); });

  REQUIRE(
      rig.manager->submit(intent("smB1", "INFY", Side::kBuy, 3, OrderType::kLimit, 140000)).ok());
  REQUIRE(rig.order("smB1").status == "OPEN");
  REQUIRE(rig.manager->tick().ok());
  rig.price("INFY", "1399");  // the paper broker fills the resting buy
  REQUIRE(rig.manager->tick().ok());
  CHECK(rig.order("smB1").status == "OPEN");  // no poll due: without a postback nothing moves

  const std::vector<PostbackHint> hints = wait_for_hints(receiver, 1);
  REQUIRE(hints.size() == 1);
  CHECK(hints.front().status == "COMPLETE");
  CHECK(hints.front().tag == "smB1");
  REQUIRE(rig.manager->on_postback(hints.front().order_id, hints.front().tag, hints.front().status)
              .ok());
  CHECK(rig.order("smB1").status == "COMPLETE");
  CHECK(rig.position("rig", "INFY") == 3);
  const std::vector<std::string> events = rig.events("smB1");
  CHECK(std::find(events.begin(), events.end(), "postback") != events.end());
  CHECK(rig.manager->counters().postbacks == 1);

  // The same postback again (Kite may repeat one) changes nothing.
  const size_t fills_before = rig.emitted<Fill>().size();
  REQUIRE(rig.manager->on_postback(hints.front().order_id, hints.front().tag, hints.front().status)
              .ok());
  CHECK(rig.emitted<Fill>().size() == fills_before);
  CHECK(rig.position("rig", "INFY") == 3);
  rig.engine->set_order_observer(nullptr);
  sender.stop();
}

TEST_CASE("a postback signed with another secret, or not signed, is refused with 401") {
  PostbackReceiver receiver({"127.0.0.1", 0, "/postback", "appsecret"}, nullptr);
  Result<int> port = receiver.start();
  REQUIRE(port.ok());
  broker::CurlHttpClient http;
  auto post = [&](const std::string& body) {
    broker::HttpRequest r;
    r.method = broker::HttpMethod::kPost;
    r.url = "http://127.0.0.1:" + std::to_string(*port) + "/postback";
    r.set_json(body);
    broker::HttpOutcome outcome = http.send(r);
    REQUIRE(outcome.ok());
    return outcome.response().status;
  };
  broker::Order o;
  o.order_id = "1";
  o.order_timestamp = 1'767'240'000'000;
  o.status = "COMPLETE";
  o.tag = "smX";
  CHECK(post(broker::postback_to_json(o, "U", 1, "wrongsecret").dump()) == 401);
  nlohmann::json unsigned_body = broker::order_to_json(o);
  CHECK(post(unsigned_body.dump()) == 401);
  CHECK(post("{\"order_id\": ") == 400);
  CHECK(post(broker::postback_to_json(o, "U", 1, "appsecret").dump()) == 200);
  CHECK(receiver.counters().refused == 3);
  CHECK(receiver.counters().accepted == 1);
  const std::vector<PostbackHint> hints = receiver.take();
  REQUIRE(hints.size() == 1);
  CHECK(hints.front().order_id == "1");
}
