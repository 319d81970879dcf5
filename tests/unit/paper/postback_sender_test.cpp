// PostbackSender against a receiver on 127.0.0.1: which states Kite would post, and that what is
// posted is a body a client verifies with the api secret.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/kite_json.h"
#include "paper/postback_sender.h"

using namespace sm;
using namespace sm::paper;

namespace {

broker::Order order_in(std::string status, Quantity filled = 0, bool modified = false) {
  broker::Order o;
  o.order_id = "260101000000001";
  o.status = std::move(status);
  o.order_timestamp = 1'767'240'000'000;  // 2026-01-01 09:30:00 IST
  o.exchange = "NSE";
  o.tradingsymbol = "INFY";
  o.side = Side::kBuy;
  o.order_type = "LIMIT";
  o.product = "CNC";
  o.variety = "regular";
  o.validity = "DAY";
  o.quantity = 10;
  o.filled_quantity = filled;
  o.pending_quantity = 10 - filled;
  o.price = 150000;
  o.modified = modified;
  o.tag = "smTag0001";
  return o;
}

}  // namespace

TEST_CASE("postbacks go out for final states and for updates of open orders, as Kite sends them") {
  CHECK(postback_status(order_in("COMPLETE", 10)) == "COMPLETE");
  CHECK(postback_status(order_in("CANCELLED")) == "CANCELLED");
  CHECK(postback_status(order_in("REJECTED")) == "REJECTED");
  CHECK(postback_status(order_in("OPEN", 0, true)) == "UPDATE");
  CHECK(postback_status(order_in("OPEN", 4)) == "UPDATE");
  CHECK_FALSE(postback_status(order_in("OPEN")).has_value());
  CHECK_FALSE(postback_status(order_in("PUT ORDER REQ RECEIVED")).has_value());
  CHECK_FALSE(postback_status(order_in("VALIDATION PENDING")).has_value());
}

TEST_CASE("the sender posts each postback once, signed so that the receiver can verify it") {
  httplib::Server receiver;
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::vector<std::string> content_types;
  receiver.Post("/postback", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex);
    bodies.push_back(req.body);
    content_types.push_back(req.get_header_value("Content-Type"));
    res.status = 200;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread serving([&] { receiver.listen_after_bind(); });

  PostbackSender sender(
      {"http://127.0.0.1:" + std::to_string(port) + "/postback", "PAPER1", 7, "papersecret", 2000},
      nullptr);
  sender.on_order(order_in("OPEN"));  // no postback
  sender.on_order(order_in("COMPLETE", 10));
  sender.on_order(order_in("OPEN", 0, true));
  sender.stop();
  receiver.stop();
  serving.join();

  REQUIRE(bodies.size() == 2);
  CHECK(sender.counters().sent == 2);
  CHECK(sender.counters().failed == 0);
  CHECK(content_types.front().rfind("application/json", 0) == 0);
  Result<broker::Order> first = broker::parse_verified_postback(bodies[0], "papersecret");
  REQUIRE(first.ok());
  CHECK(first->status == "COMPLETE");
  CHECK(first->tag == "smTag0001");
  CHECK(first->unfilled_quantity == 0);
  Result<broker::Order> second = broker::parse_verified_postback(bodies[1], "papersecret");
  REQUIRE(second.ok());
  CHECK(second->status == "UPDATE");
  CHECK(broker::parse_verified_postback(bodies[0], "othersecret").status().code() ==
        ErrorCode::kAuthError);
}

TEST_CASE("a receiver that is down costs a logged failure, not a hang or a retry loop") {
  httplib::Server probe;
  const int port = probe.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  probe.stop();  // the port is free again: nobody listens there
  PostbackSender sender(
      {"http://127.0.0.1:" + std::to_string(port) + "/postback", "PAPER1", 7, "papersecret", 1000},
      nullptr);
  sender.on_order(order_in("CANCELLED"));
  sender.stop();
  CHECK(sender.counters().sent == 0);
  CHECK(sender.counters().failed == 1);
}
