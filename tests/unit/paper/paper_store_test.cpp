// The paper broker's state file: what load() keeps in memory and what stays on disk.
#include <catch2/catch.hpp>

#include "paper/paper_store.h"
#include "sqlite/connection.h"
#include "support/temp_dir.h"

using namespace sm;
using broker::Order;

namespace {

Order order_state(const std::string& order_id, const std::string& status) {
  Order o;
  o.order_id = order_id;
  o.status = status;
  o.variety = "regular";
  o.exchange = "NSE";
  o.tradingsymbol = "INFY";
  o.order_type = "MARKET";
  o.product = "MIS";
  o.validity = "DAY";
  o.quantity = 1;
  o.order_timestamp = 1'700'000'000'000;
  return o;
}

// An order with its states in one batch, as the engine commits a new order.
paper::Batch placed(const std::string& order_id, std::int64_t seq,
                    const std::vector<std::string>& statuses) {
  paper::StoredOrder stored;
  stored.seq = seq;
  for (const std::string& status : statuses) {
    stored.order = order_state(order_id, status);
    stored.history.push_back(stored.order);
  }
  paper::Batch batch;
  batch.orders.push_back(std::move(stored));
  return batch;
}

std::vector<std::string> statuses(const std::vector<Order>& history) {
  std::vector<std::string> out;
  for (const Order& o : history) out.push_back(o.status);
  return out;
}

}  // namespace

TEST_CASE(
    "the paper store loads orders without their histories, which it reads one order at a "
    "time") {
  testing::TempDir dir;
  const std::string path = dir.file("paper.db");
  {
    Result<std::unique_ptr<paper::PaperStore>> store = paper::PaperStore::open(path);
    REQUIRE(store.ok());
    REQUIRE(store.value()->commit(placed("1", 1, {"OPEN PENDING", "OPEN"})).ok());
    REQUIRE(store.value()->commit(placed("1", 1, {"COMPLETE"})).ok());
    REQUIRE(store.value()->commit(placed("2", 2, {"OPEN PENDING", "REJECTED"})).ok());
  }
  Result<std::unique_ptr<paper::PaperStore>> store = paper::PaperStore::open(path);
  REQUIRE(store.ok());
  Result<paper::PaperStore::Snapshot> snapshot = store.value()->load();
  REQUIRE(snapshot.ok());
  REQUIRE(snapshot->orders.size() == 2);
  CHECK(snapshot->orders[0].order.status == "COMPLETE");
  CHECK(snapshot->orders[0].history.empty());
  CHECK(snapshot->orders[1].history.empty());

  Result<std::vector<Order>> first = store.value()->load_order_history("1");
  REQUIRE(first.ok());
  CHECK(statuses(*first) == std::vector<std::string>{"OPEN PENDING", "OPEN", "COMPLETE"});
  Result<std::vector<Order>> second = store.value()->load_order_history("2");
  REQUIRE(second.ok());
  CHECK(statuses(*second) == std::vector<std::string>{"OPEN PENDING", "REJECTED"});
  Result<std::vector<Order>> unknown = store.value()->load_order_history("3");
  REQUIRE(unknown.ok());
  CHECK(unknown->empty());
}

TEST_CASE("a damaged history row is a parse error naming the order when its history is read") {
  testing::TempDir dir;
  const std::string path = dir.file("paper.db");
  {
    Result<std::unique_ptr<paper::PaperStore>> store = paper::PaperStore::open(path);
    REQUIRE(store.ok());
    REQUIRE(store.value()->commit(placed("7", 1, {"OPEN PENDING", "COMPLETE"})).ok());
  }
  {
    Result<sqlite::Connection> db = sqlite::Connection::open(path, sqlite::OpenOptions{});
    REQUIRE(db.ok());
    REQUIRE(db->execute("UPDATE paper_order_history SET body = '{' WHERE step = 2").ok());
  }
  Result<std::unique_ptr<paper::PaperStore>> store = paper::PaperStore::open(path);
  REQUIRE(store.ok());
  REQUIRE(store.value()->load().ok());
  Result<std::vector<Order>> history = store.value()->load_order_history("7");
  REQUIRE_FALSE(history.ok());
  CHECK(history.status().code() == ErrorCode::kParseError);
  CHECK_THAT(history.status().message(), Catch::Contains("paper_order_history 7"));
}
