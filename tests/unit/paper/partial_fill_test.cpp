// Partial fills under EngineOptions::volume_cap_bps: an order takes at most a share of each price
// update's volume, each piece its own trade, and stays OPEN until nothing is pending.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/postback_sender.h"
#include "paper/price_source.h"
#include "paper_rig.h"
#include "support/temp_dir.h"
#include "time/clock.h"

using namespace sm;
using namespace sm::broker;

namespace {

constexpr Paise kRupee = kPaisePerRupee;

// An engine without HTTP on a manual clock, fed 1-minute INFY bars that end at the clock's time.
class Desk {
 public:
  explicit Desk(std::int64_t cap_bps, Paise cash = 1'000'000 * kRupee,
                std::unique_ptr<costs::CostModel> costs = std::make_unique<costs::ZeroCostModel>())
      : clock_(test::paper_start()), costs_(std::move(costs)) {
    options_.volume_cap_bps = cap_bps;
    options_.initial_cash = cash;
    state_ = dir_.file("paper.db");
    open();
  }

  void open() {
    Result<std::unique_ptr<paper::PaperEngine>> e =
        paper::PaperEngine::open(state_, options_, clock_, prices_, *costs_);
    REQUIRE(e.ok());
    engine = std::move(e.value());
  }
  // The process stops and starts again on the same state file (the prices go: they are memory).
  void restart() {
    engine.reset();
    prices_ = std::make_unique<paper::InMemoryPriceSource>();
    open();
  }

  // The next 1-minute bar: the clock goes to its end, it is applied and matched, and the clock
  // moves one second on (orders placed now come after this bar and before the next).
  void bar(Paise low, Paise high, Paise close, Quantity volume) {
    next_end_ += kMsPerMinute;
    clock_.set(next_end_);
    Bar b;
    b.symbol = "INFY";
    b.ts = next_end_ - kMsPerMinute;
    b.open = close;
    b.low = low;
    b.high = high;
    b.close = close;
    b.volume = volume;
    prices_->apply_bar("NSE", b);
    REQUIRE(engine->on_price("NSE", "INFY").ok());
    clock_.advance(1000);
  }
  void bar(Paise close, Quantity volume) { bar(close, close, close, volume); }

  Order order(const std::string& id) {
    for (const Order& o : engine->orders()) {
      if (o.order_id == id) return o;
    }
    FAIL("no order " << id);
    return {};
  }
  std::vector<Trade> trades(const std::string& id) { return *engine->order_trades(id); }

  std::unique_ptr<paper::PaperEngine> engine;

 private:
  // The engine holds a reference to the price source: restart() swaps it before reopening.
  struct Prices final : paper::PriceSource {
    std::unique_ptr<paper::InMemoryPriceSource> inner =
        std::make_unique<paper::InMemoryPriceSource>();
    std::optional<paper::MarketPrice> latest(std::string_view exchange,
                                             std::string_view symbol) const override {
      return inner->latest(exchange, symbol);
    }
    Prices& operator=(std::unique_ptr<paper::InMemoryPriceSource> p) {
      inner = std::move(p);
      return *this;
    }
    paper::InMemoryPriceSource* operator->() { return inner.get(); }
  };

  testing::TempDir dir_;
  std::string state_;
  paper::EngineOptions options_;
  time::ManualClock clock_;
  TimestampMs next_end_ = test::paper_start();
  Prices prices_;
  std::unique_ptr<costs::CostModel> costs_;
};

std::string place(Desk& desk, const OrderRequest& r) {
  BrokerResult<std::string> id = desk.engine->place_order(r);
  REQUIRE(id.ok());
  return *id;
}

}  // namespace

TEST_CASE("volume cap: a market order larger than the cap fills over several bars") {
  Desk desk(1000);  // 10 % of each bar's volume
  desk.bar(150000, 300);
  const std::string id = place(desk, test::market_buy("INFY", 100, "p1"));

  Order o = desk.order(id);  // 30 of the placement bar's 300
  CHECK(o.status == "OPEN");
  CHECK(o.filled_quantity == 30);
  CHECK(o.pending_quantity == 70);
  CHECK(o.average_price == 150000);

  desk.bar(151000, 300);
  desk.bar(150505, 200);  // cap 20
  o = desk.order(id);
  CHECK(o.status == "OPEN");
  CHECK(o.filled_quantity == 80);
  CHECK(o.pending_quantity == 20);
  // (30 x 1500 + 30 x 1510 + 20 x 1505.05) / 80 = 1505.0125: rounded half-even to 1505.01.
  CHECK(o.average_price == 150501);

  desk.bar(149000, 1000);  // cap 100, but only 20 are left
  o = desk.order(id);
  CHECK(o.status == "COMPLETE");
  CHECK(o.filled_quantity == 100);
  CHECK(o.pending_quantity == 0);
  CHECK(o.average_price == 150201);  // 15020100 / 100 exactly

  const std::vector<Trade> trades = desk.trades(id);
  REQUIRE(trades.size() == 4);
  const std::vector<Quantity> sizes{30, 30, 20, 20};
  const std::vector<Paise> prices{150000, 151000, 150505, 149000};
  for (size_t i = 0; i < trades.size(); ++i) {
    CHECK(trades[i].quantity == sizes[i]);
    CHECK(trades[i].average_price == prices[i]);
    for (size_t j = 0; j < i; ++j) CHECK(trades[i].trade_id != trades[j].trade_id);
  }
  CHECK(desk.engine->cash() == 1'000'000 * kRupee - 15'020'100);
  CHECK(desk.engine->available_margin() == desk.engine->cash());
  const Positions p = desk.engine->positions();
  REQUIRE(p.net.size() == 1);
  CHECK(p.net[0].quantity == 100);
  CHECK(p.net[0].buy_value == 15'020'100);

  // Every state is in the history: OPEN after each partial fill, with the quantities of then.
  std::vector<Quantity> open_fills;
  const std::vector<Order> history = *desk.engine->order_history(id);
  for (const Order& h : history) {
    if (h.status == "OPEN" && h.filled_quantity > 0) open_fills.push_back(h.filled_quantity);
  }
  CHECK(open_fills == std::vector<Quantity>{30, 60, 80});
  CHECK(history.back().status == "COMPLETE");
}

TEST_CASE("volume cap: blocked margin follows the pending quantity, charges are per trade") {
  Desk desk(1000, 1'000'000 * kRupee,
            std::make_unique<costs::SimpleCostModel>(costs::Rate{0}, 20 * kRupee));
  desk.bar(100000, 100);
  const Paise cash0 = desk.engine->cash();
  const std::string id = place(desk, test::limit("INFY", Side::kBuy, 25, 100000, "p2"));
  // 10 filled at placement (Rs 20 charges); 15 pending block 15 x 1000.
  CHECK(desk.engine->cash() == cash0 - 10 * 100000 - 20 * kRupee);
  CHECK(desk.engine->available_margin() == desk.engine->cash() - 15 * 100000);
  desk.bar(99000, 100000, 100000, 100);
  desk.bar(99500, 100000, 99500, 100);
  CHECK(desk.order(id).status == "COMPLETE");
  CHECK(desk.trades(id).size() == 3);
  CHECK(desk.engine->cash() == cash0 - 25 * 100000 - 3 * 20 * kRupee);
  CHECK(desk.engine->available_margin() == desk.engine->cash());
  CHECK(desk.engine->summary()["charges"] == "60.00");
}

TEST_CASE("volume cap: a limit order fills only while the price crosses, not without volume") {
  Desk desk(1000);
  desk.bar(150000, 300);
  const std::string id = place(desk, test::limit("INFY", Side::kBuy, 100, 150000, "p3"));
  CHECK(desk.order(id).filled_quantity == 30);

  desk.bar(150200, 151000, 150800, 5000);  // moved away: nothing
  Order o = desk.order(id);
  CHECK(o.filled_quantity == 30);
  CHECK(o.status == "OPEN");
  CHECK(desk.trades(id).size() == 1);

  desk.bar(149900, 150400, 150300, 100);  // the range reaches the limit: 10 at the limit
  o = desk.order(id);
  CHECK(o.filled_quantity == 40);
  CHECK(o.pending_quantity == 60);
  CHECK(desk.trades(id).back().average_price == 150000);

  desk.bar(149000, 0);  // no volume: nothing, whatever the price
  CHECK(desk.order(id).filled_quantity == 40);
  desk.bar(149000, 3);  // some volume: at least one share
  CHECK(desk.order(id).filled_quantity == 41);
}

TEST_CASE("volume cap: cancelling a partly filled order cancels the rest") {
  Desk desk(1000);
  desk.bar(150000, 300);
  const std::string id = place(desk, test::market_buy("INFY", 100, "p4"));
  desk.bar(150000, 300);
  const Paise cash = desk.engine->cash();
  REQUIRE(desk.engine->cancel_order("regular", id).ok());
  Order o = desk.order(id);
  CHECK(o.status == "CANCELLED");
  CHECK(o.filled_quantity == 60);
  CHECK(o.cancelled_quantity == 40);
  CHECK(o.pending_quantity == 0);
  CHECK(o.average_price == 150000);
  CHECK(cash == 1'000'000 * kRupee - 60 * 150000);
  CHECK(desk.engine->available_margin() == cash);  // nothing blocked any more
  desk.bar(150000, 300);
  CHECK(desk.trades(id).size() == 2);
  CHECK(desk.engine->positions().net[0].quantity == 60);
}

TEST_CASE("volume cap: a restarted paper broker continues the partly filled order") {
  Desk desk(1000);
  desk.bar(150000, 300);
  const std::string id = place(desk, test::market_buy("INFY", 100, "p5"));
  const Paise available = desk.engine->available_margin();
  const size_t history = desk.engine->order_history(id)->size();

  desk.restart();

  Order o = desk.order(id);
  CHECK(o.status == "OPEN");
  CHECK(o.filled_quantity == 30);
  CHECK(o.pending_quantity == 70);
  CHECK(desk.engine->order_history(id)->size() == history);
  CHECK(desk.engine->cash() == 1'000'000 * kRupee - 30 * 150000);
  desk.bar(151000, 500);  // the price is new to the restarted broker: 50 more
  CHECK(available == 1'000'000 * kRupee - 100 * 150000);
  CHECK(desk.engine->available_margin() ==
        1'000'000 * kRupee - 30 * 150000 - 50 * 151000 - 20 * 151000);
  desk.bar(152000, 500);
  o = desk.order(id);
  CHECK(o.status == "COMPLETE");
  CHECK(desk.trades(id).size() == 3);
  CHECK(o.average_price == (30 * 150000 + 50 * 151000 + 20 * 152000) / 100);
  CHECK(desk.trades(id)[0].trade_id != desk.trades(id)[1].trade_id);
}

TEST_CASE("volume cap: a fill never takes cash below zero, the unpayable rest is cancelled") {
  Desk desk(1000, 50'000 * kRupee);
  desk.bar(150000, 100);
  const std::string id = place(desk, test::market_buy("INFY", 30, "p6"));  // Rs 45000 of 50000
  CHECK(desk.order(id).filled_quantity == 10);
  desk.bar(200000, 100);  // 10 at 2000: cash 15000
  desk.bar(200000, 100);  // 10 more would cost 20000: 7 do
  Order o = desk.order(id);
  CHECK(o.filled_quantity == 27);
  CHECK(desk.engine->cash() == 1000 * kRupee);
  desk.bar(200000, 100);  // not one share is payable
  o = desk.order(id);
  CHECK(o.status == "CANCELLED");
  CHECK(o.filled_quantity == 27);
  CHECK(o.cancelled_quantity == 3);
  CHECK(o.status_message == "Insufficient funds for the rest of the order");
  CHECK(desk.engine->cash() == 1000 * kRupee);
}

TEST_CASE("volume cap: an order takes from one update once; IOC keeps what filled at placement") {
  Desk desk(1000);
  desk.bar(150000, 300);
  const std::string id = place(desk, test::limit("INFY", Side::kBuy, 100, 150000, "p7"));
  ModifyRequest m;
  m.order_id = id;
  m.price = 150100;
  REQUIRE(desk.engine->modify_order(m).ok());
  CHECK(desk.order(id).filled_quantity == 30);  // the same bar: no second helping
  ModifyRequest to_filled;
  to_filled.order_id = id;
  to_filled.quantity = 30;
  CHECK_FALSE(desk.engine->modify_order(to_filled).ok());

  OrderRequest ioc = test::limit("INFY", Side::kBuy, 100, 150000, "p8");
  ioc.validity = "IOC";
  const std::string ioc_id = place(desk, ioc);
  const Order o = desk.order(ioc_id);
  CHECK(o.status == "CANCELLED");
  CHECK(o.filled_quantity == 30);
  CHECK(o.cancelled_quantity == 70);
}

TEST_CASE("volume cap: a triggered stop-loss market order fills over several bars at market") {
  Desk desk(1000);
  desk.bar(150000, 1000);
  OrderRequest buy = test::market_buy("INFY", 100, "p9");
  buy.product = Product::kIntraday;
  REQUIRE(desk.engine->place_order(buy).ok());
  desk.bar(150000, 0);
  OrderRequest stop;
  stop.tradingsymbol = "INFY";
  stop.side = Side::kSell;
  stop.product = Product::kIntraday;
  stop.order_type = OrderType::kStopLossMarket;
  stop.quantity = 100;
  stop.trigger_price = 149000;
  stop.market_protection = -1;
  const std::string id = place(desk, stop);
  CHECK(desk.order(id).status == "TRIGGER PENDING");
  desk.bar(148500, 150000, 148800, 400);  // triggers: 40 at the worse of trigger and last
  Order o = desk.order(id);
  CHECK(o.status == "OPEN");
  CHECK(o.filled_quantity == 40);
  CHECK(desk.trades(id).back().average_price == 148800);
  desk.bar(149500, 400);  // a market order now, whatever the trigger
  desk.bar(149600, 400);
  o = desk.order(id);
  CHECK(o.status == "COMPLETE");
  CHECK(desk.trades(id).size() == 3);
  CHECK(desk.engine->positions().net[0].quantity == 0);
}

TEST_CASE("volume cap off: an order larger than the volume still fills whole") {
  Desk desk(0);
  desk.bar(150000, 10);
  const std::string id = place(desk, test::market_buy("INFY", 100, "p10"));
  const Order o = desk.order(id);
  CHECK(o.status == "COMPLETE");
  CHECK(o.filled_quantity == 100);
  CHECK(desk.trades(id).size() == 1);
}

TEST_CASE("volume cap: every partial fill is told to the observer and posts an UPDATE") {
  Desk desk(1000);
  std::vector<std::string> told;
  desk.engine->set_order_observer([&](const Order& o) {
    std::optional<std::string> postback = paper::postback_status(o);
    told.push_back(o.status + " " + std::to_string(o.filled_quantity) + " " +
                   postback.value_or("-"));
  });
  desk.bar(150000, 300);
  place(desk, test::market_buy("INFY", 50, "p11"));
  desk.bar(150000, 300);
  CHECK(told == std::vector<std::string>{"OPEN 30 UPDATE", "COMPLETE 50 COMPLETE"});
}
