#include "risk/client_order_id.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using sm::risk::client_order_id;
using sm::risk::is_valid_order_tag;

TEST_CASE("client order ids match an independent SHA-256 of the documented preimage") {
  // Expected values computed with Python's hashlib from "sm-order-id/v1\n" + strategy + "\n" +
  // symbol + "\n" + ms + "\n" + intent. If these change, sm-order would re-place orders after an
  // upgrade: the derivation must not change.
  CHECK(client_order_id("trend", "TCS", 1711600200000, "enter_long") == "sm205472b5d34dc6712c");
  CHECK(client_order_id("trend", "TCS", 1711600200000, "exit_long") == "sm78359098774abbf693");
  CHECK(client_order_id("sma-cross-10-30", "RELIANCE", 1603872000000, "enter_long") ==
        "smbc7c569ab24c47d96d");
}

TEST_CASE("client order ids satisfy Kite's tag rule and differ when any input differs") {
  std::set<std::string> ids;
  const std::string strategies[] = {"a", "b", "ab", "sma-cross-10-30"};
  const std::string symbols[] = {"TCS", "M&M", "BAJAJ-AUTO", "A"};
  const std::string intents[] = {"enter_long", "exit_long", "force_exit:position_loss"};
  int made = 0;
  for (const std::string& strategy : strategies) {
    for (const std::string& symbol : symbols) {
      for (const std::string& intent : intents) {
        for (sm::TimestampMs ts : {0LL, 1LL, 1711600200000LL, -5LL}) {
          const std::string id = client_order_id(strategy, symbol, ts, intent);
          CHECK(id.size() == 20);
          CHECK(id.rfind("sm", 0) == 0);
          CHECK(is_valid_order_tag(id));
          CHECK(id == client_order_id(strategy, symbol, ts, intent));
          ids.insert(id);
          ++made;
        }
      }
    }
  }
  CHECK(ids.size() == static_cast<size_t>(made));
  // Field boundaries are part of the hash: moving a character between fields changes the id.
  CHECK(client_order_id("ab", "C", 1, "x") != client_order_id("a", "bC", 1, "x"));
}

TEST_CASE("order tag validation follows [A-Za-z0-9]{1,20}") {
  CHECK(is_valid_order_tag("a"));
  CHECK(is_valid_order_tag("ABCdef0123456789xyzW"));
  CHECK_FALSE(is_valid_order_tag(""));
  CHECK_FALSE(is_valid_order_tag("ABCdef0123456789xyzW1"));
  CHECK_FALSE(is_valid_order_tag("sm-1"));
  CHECK_FALSE(is_valid_order_tag("sm_1"));
  CHECK_FALSE(is_valid_order_tag("sm 1"));
}
