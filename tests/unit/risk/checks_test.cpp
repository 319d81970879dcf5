// One scenario per pre-trade check: drive the engine with prices, fills and signals and assert the
// decision (code and the numbers in detail) and the order it writes.
#include <catch2/catch.hpp>

#include "risk/client_order_id.h"
#include "risk/engine.h"
#include "risk_fixture.h"

using namespace sm;
using namespace sm::risk;
using namespace sm::risk::testing;

TEST_CASE("an entry inside every limit is approved with a LIMIT order and a deterministic id") {
  Harness h;
  const RiskDecision& d = h.decide(entry("TCS", 10, rupees(3000)), kTen);
  CHECK(d.approved);
  CHECK(d.code == "APPROVED");
  CHECK(d.detail == "side=BUY, qty=10, price=3000.00, value=30000.00");
  const OrderIntent order = h.last<OrderIntent>();
  CHECK(order.client_order_id == d.client_order_id);
  CHECK(order.client_order_id == client_order_id("trend", "TCS", kTen, "enter_long"));
  CHECK(is_valid_order_tag(order.client_order_id));
  CHECK(order.side == Side::kBuy);
  CHECK(order.qty == 10);
  CHECK(order.order_type == OrderType::kLimit);
  CHECK(order.product == Product::kDelivery);
  CHECK(order.price == rupees(3000));
  CHECK(order.signal_ts == kTen);
  CHECK(order.ts == kTen);
  CHECK(order.reason == "test entry");
  // The approved order is now pending and counts in the rate window.
  REQUIRE(h.engine.state().pending.count(order.client_order_id) == 1);
  CHECK(h.engine.state().order_times.size() == 1);
}

TEST_CASE("a malformed signal is denied INVALID_SIGNAL") {
  Harness h;
  CHECK(h.decide(entry("TCS", 0, rupees(3000)), kTen).code == "INVALID_SIGNAL");
  CHECK(h.decide(entry("TCS", 5, 0, kTen + 1), kTen).code == "INVALID_SIGNAL");
  CHECK(h.decide(entry("", 5, rupees(3000), kTen + 2), kTen).code == "INVALID_SIGNAL");
  CHECK(h.all<OrderIntent>().empty());
}

TEST_CASE("max order quantity") {
  RiskConfig config = test_config();
  config.max_order_qty = 20;
  Harness h(config);
  const RiskDecision& d = h.decide(entry("SBIN", 21, rupees(600)), kTen);
  CHECK_FALSE(d.approved);
  CHECK(d.code == "MAX_ORDER_QTY_EXCEEDED");
  CHECK(d.detail == "qty=21, max=20");
  CHECK(h.decide(entry("SBIN", 20, rupees(600), kTen + 1), kTen + 1).approved);
}

TEST_CASE("max order value, with the numbers in the detail") {
  Harness h;                                    // max_order_value 1,00,000
  Signal s = entry("INFY", 100, rupees(1250));  // 1,25,000
  h.price("INFY", rupees(1250), kTen - 500);
  const RiskDecision& d = h.decide(s, kTen);
  CHECK(d.code == "MAX_ORDER_VALUE_EXCEEDED");
  CHECK(d.detail == "value=125000.00, max=100000.00");
  CHECK(h.decide(entry("INFY", 80, rupees(1250), kTen + 1), kTen + 1).approved);
}

TEST_CASE("max orders per minute is a sliding window") {
  RiskConfig config = test_config();
  config.max_orders_per_minute = 3;
  Harness h(config);
  for (int i = 0; i < 3; ++i) {
    h.heartbeat("sm-order", "ok", kTen + i * 10'000);
    REQUIRE(h.decide(entry("SBIN", 1, rupees(600), kTen + i * 10'000, numbered("s", i)),
                     kTen + i * 10'000)
                .approved);
  }
  const RiskDecision& denied =
      h.decide(entry("SBIN", 1, rupees(600), kTen + 30'000, "s9"), kTen + 30'000);
  CHECK(denied.code == "MAX_ORDERS_PER_MINUTE_EXCEEDED");
  CHECK(denied.detail == "orders_last_minute=3, max=3");
  // 60 s after the first approval it has left the window.
  h.heartbeat("sm-order", "ok", kTen + 60'000);
  h.price("SBIN", rupees(600), kTen + 60'000);
  CHECK(h.decide(entry("SBIN", 1, rupees(600), kTen + 60'000, "s10"), kTen + 60'000).approved);
}

TEST_CASE("max total exposure counts positions at their last price and unfilled buys") {
  RiskConfig config = test_config();
  config.max_total_exposure = rupees(150'000);
  config.max_symbol_exposure = rupees(150'000);
  config.max_order_value = rupees(150'000);
  Harness h(config);
  h.fill("trend", "TCS", Side::kBuy, 20, rupees(2900), kTen - 5000);       // worth 60,000 at 3,000
  REQUIRE(h.decide(entry("INFY", 40, rupees(1500)), kTen).approved);       // 60,000 pending
  const RiskDecision& d = h.decide(entry("SBIN", 60, rupees(600)), kTen);  // 36,000
  CHECK(d.code == "MAX_TOTAL_EXPOSURE_EXCEEDED");
  CHECK(d.detail == "exposure=120000.00, order=36000.00, max=150000.00");
  CHECK(h.decide(entry("SBIN", 50, rupees(600), kTen + 1), kTen + 1).approved);  // 30,000 fits
}

TEST_CASE("per-symbol exposure cap across strategies") {
  Harness h;  // symbol cap = capital / 5 = 2,00,000
  h.fill("other", "TCS", Side::kBuy, 50, rupees(3000), kTen - 5000);  // 1,50,000
  const RiskDecision& d = h.decide(entry("TCS", 20, rupees(3000)), kTen);
  CHECK(d.code == "MAX_SYMBOL_EXPOSURE_EXCEEDED");
  CHECK(d.detail == "symbol=TCS, exposure=150000.00, order=60000.00, max=200000.00");
  CHECK(h.decide(entry("TCS", 16, rupees(3000), kTen + 1), kTen + 1).approved);  // 48,000
}

TEST_CASE("max open positions counts distinct symbols held or being bought") {
  RiskConfig config = test_config();
  config.max_open_positions = 2;
  Harness h(config);
  h.fill("trend", "TCS", Side::kBuy, 1, rupees(3000), kTen - 5000);
  REQUIRE(h.decide(entry("INFY", 1, rupees(1500)), kTen).approved);
  const RiskDecision& d = h.decide(entry("SBIN", 1, rupees(600)), kTen);
  CHECK(d.code == "MAX_OPEN_POSITIONS_EXCEEDED");
  CHECK(d.detail == "open=2, new symbol SBIN, max=2");
  // Adding to a symbol already held is not a new position.
  CHECK(h.decide(entry("TCS", 1, rupees(3000)), kTen).approved);
}

TEST_CASE("a canary strategy is held to its capital fraction") {
  RiskConfig config = test_config();
  config.strategy_capital_bps["canary"] = 500;  // 5% of 10,00,000 = 50,000
  Harness h(config);
  h.fill("canary", "INFY", Side::kBuy, 20, rupees(1500), kTen - 5000);                     // 30,000
  const RiskDecision& d = h.decide(entry("SBIN", 40, rupees(600), kTen, "canary"), kTen);  // 24,000
  CHECK(d.code == "STRATEGY_CAPITAL_EXCEEDED");
  CHECK(d.detail ==
        "strategy=canary, exposure=30000.00, order=24000.00, max=50000.00 (5.00% of capital)");
  CHECK(h.decide(entry("SBIN", 30, rupees(600), kTen + 1, "canary"), kTen + 1).approved);  // 18,000
  // Other strategies keep the default (100%).
  CHECK(h.decide(entry("SBIN", 40, rupees(600), kTen, "trend"), kTen).approved);
}

TEST_CASE("price sanity: missing, stale and out-of-band prices are denied") {
  Harness h;
  SECTION("no price for the symbol") {
    const RiskDecision& d = h.decide(entry("WIPRO", 1, rupees(500)), kTen);
    CHECK(d.code == "PRICE_UNAVAILABLE");
    CHECK(d.detail == "no traded price known for WIPRO");
  }
  SECTION("last price older than price_max_age_s") {
    RiskConfig config = test_config();
    config.price_max_age_ms = 300'000;
    Harness fixed(config);
    fixed.price("WIPRO", rupees(500), kTen - 301'000, kTen - 301'000);
    const RiskDecision& d = fixed.decide(entry("WIPRO", 1, rupees(500)), kTen);
    CHECK(d.code == "PRICE_STALE");
    CHECK(d.detail == "last=500.00 at 2024-03-28T04:24:59.000Z, age=301s, max=300s");
  }
  SECTION("by default a price may be two bar lengths old, at least 120 s (issue 12)") {
    h.price("WIPRO", rupees(500), kTen - 121'000, kTen - 121'000);  // a tick: 120 s
    const RiskDecision& tick = h.decide(entry("WIPRO", 1, rupees(500), kTen, "a"), kTen);
    CHECK(tick.code == "PRICE_STALE");
    CHECK(tick.detail == "last=500.00 at 2024-03-28T04:27:59.000Z, age=121s, max=120s");
    // A 5-minute bar's close known 500 s ago is still its latest: fresh up to 600 s.
    std::vector<Message> out;
    h.engine.on_price("ITC", rupees(1500), kTen - 500'000, kTen, out, 5 * kMsPerMinute);
    CHECK(h.decide(entry("ITC", 1, rupees(1500), kTen, "b"), kTen).approved);
    h.engine.on_price("HDFC", rupees(1500), kTen - 601'000, kTen, out, 5 * kMsPerMinute);
    CHECK(h.decide(entry("HDFC", 1, rupees(1500), kTen, "c"), kTen).code == "PRICE_STALE");
  }
  SECTION("signal price more than 3% from the last trade") {
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3100)), kTen);
    CHECK(d.code == "PRICE_OUT_OF_BAND");
    CHECK(d.detail == "price=3100.00, last=3000.00, difference=3.33%, band=3.00%");
    CHECK(h.decide(entry("TCS", 1, rupees(3090), kTen + 1), kTen).approved);  // exactly 3%
  }
}

TEST_CASE("order prices are rounded to the tick: buys down, sells up") {
  RiskConfig config = test_config();
  config.limit_slippage_bps = 10;  // 0.10%
  Harness h(config);
  SECTION("NSE tick 0.05 at 250 and above") {
    REQUIRE(h.decide(entry("TCS", 1, rupees(3000)), kTen).approved);
    CHECK(h.last<OrderIntent>().price == 300'300);  // 3003.00 is on the tick
    h.price("INFY", 150'033, kTen);
    REQUIRE(h.decide(entry("INFY", 1, 150'033), kTen).approved);
    CHECK(h.last<OrderIntent>().price == 150'180);  // 1501.8303 -> 1501.80
  }
  SECTION("tick 0.01 below 250 and an instrument tick overrides") {
    h.price("IDEA", 1'337, kTen);
    REQUIRE(h.decide(entry("IDEA", 1, 1'337), kTen).approved);
    CHECK(h.last<OrderIntent>().price == 1'338);  // 13.3833 -> 13.38
    h.engine.state().tick_sizes["IDEA"] = 5;
    REQUIRE(h.decide(entry("IDEA", 1, 1'337, kTen, "other"), kTen).approved);
    CHECK(h.last<OrderIntent>().price == 1'335);
  }
  SECTION("a sell rounds up") {
    h.fill("trend", "INFY", Side::kBuy, 5, rupees(1500), kTen - 5000);
    h.price("INFY", 150'033, kTen);
    REQUIRE(h.decide(exit_signal("INFY", 0, 150'033), kTen).approved);
    CHECK(h.last<OrderIntent>().price == 149'885);  // 1498.8296 -> 1498.85
  }
}

TEST_CASE("circuit limits, where known, bound the order price") {
  RiskConfig config = test_config();
  config.circuit_limits["SBIN"] = CircuitLimits{rupees(590), rupees(605)};
  Harness h(config);
  h.price("SBIN", rupees(606), kTen);
  const RiskDecision& d = h.decide(entry("SBIN", 1, rupees(606)), kTen);
  CHECK(d.code == "PRICE_OUTSIDE_CIRCUIT");
  CHECK(d.detail == "price=606.00, lower=590.00, upper=605.00");
  h.price("SBIN", rupees(604), kTen + 1);
  CHECK(h.decide(entry("SBIN", 1, rupees(604), kTen + 1), kTen + 1).approved);
}

TEST_CASE("trading session: only continuous trading by default, never on holidays") {
  SECTION("before the open and in pre-open matching") {
    Harness h;
    h.price("TCS", rupees(3000), at(9, 10));
    h.heartbeat("sm-order", "ok", at(9, 10));
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000), at(9, 10)), at(9, 10));
    CHECK(d.code == "OUTSIDE_SESSION");
    CHECK(d.detail == "session=pre_open_matching at 2024-03-28 09:10:00 IST");
  }
  SECTION("pre-open order entry only when allowed") {
    RiskConfig config = test_config();
    Harness closed(config);
    closed.price("TCS", rupees(3000), at(9, 3));
    closed.heartbeat("sm-order", "ok", at(9, 3));
    CHECK(closed.decide(entry("TCS", 1, rupees(3000), at(9, 3)), at(9, 3)).code ==
          "OUTSIDE_SESSION");
    config.allow_pre_open = true;
    Harness open(config);
    open.price("TCS", rupees(3000), at(9, 3));
    open.heartbeat("sm-order", "ok", at(9, 3));
    CHECK(open.decide(entry("TCS", 1, rupees(3000), at(9, 3)), at(9, 3)).approved);
  }
  SECTION("the closing session only when allowed") {
    RiskConfig config = test_config();
    config.allow_closing_session = true;
    Harness h(config);
    h.price("TCS", rupees(3000), at(15, 45));
    h.heartbeat("sm-order", "ok", at(15, 45));
    CHECK(h.decide(entry("TCS", 1, rupees(3000), at(15, 45)), at(15, 45)).approved);
    h.heartbeat("sm-order", "ok", at(15, 35));
    CHECK(h.decide(entry("TCS", 1, rupees(3000), at(15, 35), "x"), at(15, 35)).code ==
          "OUTSIDE_SESSION");
  }
  SECTION("a holiday and a weekend") {
    Harness h;
    const TimestampMs good_friday = at(10, 0, 0, Date{2024, 3, 29});
    h.price("TCS", rupees(3000), good_friday);
    h.heartbeat("sm-order", "ok", good_friday);
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000), good_friday), good_friday);
    CHECK(d.code == "MARKET_CLOSED");
    CHECK(d.detail == "2024-03-29 is a holiday: Good Friday");
    const TimestampMs saturday = at(10, 0, 0, Date{2024, 3, 30});
    h.price("TCS", rupees(3000), saturday);
    h.heartbeat("sm-order", "ok", saturday);
    CHECK(h.decide(entry("TCS", 1, rupees(3000), saturday), saturday).detail ==
          "2024-03-30 is a weekend");
  }
  SECTION("a year the calendar has no data for fails closed") {
    Harness h;
    const TimestampMs unknown = at(10, 0, 0, Date{2027, 3, 3});
    h.price("TCS", rupees(3000), unknown);
    h.heartbeat("sm-order", "ok", unknown);
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000), unknown), unknown);
    CHECK(d.code == "CALENDAR_UNAVAILABLE");
    CHECK_FALSE(d.detail.empty());
  }
  SECTION("no calendar at all fails closed unless session checks are off") {
    Harness h(test_config(), false);
    CHECK(h.decide(entry("TCS", 1, rupees(3000)), kTen).code == "CALENDAR_UNAVAILABLE");
    RiskConfig config = test_config();
    config.session_checks = false;
    Harness off(config, false);
    CHECK(off.decide(entry("TCS", 1, rupees(3000)), kTen).approved);
  }
}

TEST_CASE("duplicate signals are suppressed") {
  Harness h;
  const Signal s = entry("TCS", 1, rupees(3000));
  REQUIRE(h.decide(s, kTen).approved);
  const RiskDecision& again = h.decide(s, kTen + 100);
  CHECK(again.code == "DUPLICATE_SIGNAL");
  CHECK(again.detail == "this signal was already decided");
  // A different signal time for the same strategy, symbol and action inside the window.
  const RiskDecision& near = h.decide(entry("TCS", 1, rupees(3000), kTen + 20'000), kTen + 20'000);
  CHECK(near.code == "DUPLICATE_SIGNAL");
  CHECK(near.detail ==
        "same strategy, symbol and action approved for the signal at 2024-03-28T04:30:00.000Z, "
        "20s apart < window 60s");
  // A denied signal does not start the window; another strategy is not a duplicate.
  const RiskDecision& other = h.decide(entry("TCS", 1, rupees(3000), kTen, "other"), kTen + 20'000);
  INFO(other.code << " " << other.detail);
  CHECK(other.approved);
  CHECK(h.all<OrderIntent>().size() == 2);
}

TEST_CASE("stale and future signals are denied") {
  Harness h;
  const RiskDecision& stale = h.decide(entry("TCS", 1, rupees(3000), kTen - 301'000), kTen);
  CHECK(stale.code == "SIGNAL_STALE");
  CHECK(stale.detail == "age=301s, max=300s");
  const RiskDecision& future = h.decide(entry("TCS", 1, rupees(3000), kTen + 6'000), kTen);
  CHECK(future.code == "SIGNAL_FROM_FUTURE");
}

TEST_CASE("required heartbeats must be present and fresh") {
  SECTION("missing") {
    RiskConfig config = test_config();
    config.required_components = {"sm-order", "sm-ingest"};
    Harness h(config);
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000)), kTen);
    CHECK(d.code == "HEARTBEAT_MISSING");
    CHECK(d.detail == "component=sm-ingest: no heartbeat seen");
  }
  SECTION("stale") {
    RiskConfig config = test_config();
    config.required_components = {"sm-order", "sm-ingest"};
    Harness h(config);
    h.heartbeat("sm-ingest", "ok", kTen - 41'000);
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000)), kTen);
    CHECK(d.code == "HEARTBEAT_STALE");
    CHECK(d.detail == "component=sm-ingest, age=41s, max=30s");
  }
  SECTION("stopping") {
    Harness h;
    h.heartbeat("sm-order", "stopping", kTen);
    CHECK(h.decide(entry("TCS", 1, rupees(3000)), kTen).code == "HEARTBEAT_STALE");
  }
  SECTION("broker not connected: entries denied, exits still allowed") {
    Harness h;
    h.fill("trend", "SBIN", Side::kBuy, 10, rupees(600), kTen - 5000);
    h.heartbeat("sm-order", "degraded", kTen - 500);
    const RiskDecision& d = h.decide(entry("TCS", 1, rupees(3000)), kTen);
    CHECK(d.code == "BROKER_DISCONNECTED");
    CHECK(d.detail == "component=sm-order, status=degraded since 2024-03-28T04:29:59.500Z");
    CHECK(h.decide(exit_signal("SBIN", 0, rupees(600)), kTen).approved);
  }
}

TEST_CASE("exits: capped at the position, reserved by unfilled sells, refused with nothing held") {
  Harness h;
  h.fill("trend", "SBIN", Side::kBuy, 10, rupees(600), kTen - 5000);
  const RiskDecision& none = h.decide(exit_signal("INFY", 0, rupees(1500)), kTen);
  CHECK(none.code == "NO_POSITION");
  CHECK(none.detail == "strategy trend holds 0 of INFY, 0 of it already being sold");
  // Another strategy's position is not ours to sell.
  CHECK(h.decide(exit_signal("SBIN", 0, rupees(600), kTen, "other"), kTen).code == "NO_POSITION");
  REQUIRE(h.decide(exit_signal("SBIN", 4, rupees(600)), kTen).approved);
  CHECK(h.last<OrderIntent>().side == Side::kSell);
  CHECK(h.last<OrderIntent>().qty == 4);
  // qty 0 means "the rest": 6 unreserved.
  REQUIRE(h.decide(exit_signal("SBIN", 0, rupees(600), kTen - 61'000), kTen + 1).approved);
  CHECK(h.last<OrderIntent>().qty == 6);
  const RiskDecision& nothing_left =
      h.decide(exit_signal("SBIN", 0, rupees(600), kTen - 122'000), kTen + 2);
  CHECK(nothing_left.code == "NO_POSITION");
  CHECK(nothing_left.detail == "strategy trend holds 10 of SBIN, 10 of it already being sold");
}

TEST_CASE("halts: entries blocked lets exits through, a halt or pause stops both") {
  Harness h;
  h.fill("trend", "SBIN", Side::kBuy, 10, rupees(600), kTen - 5000);
  ActiveHalt block;
  block.level = "block_entries";
  block.trigger = "manual";
  block.reason = "checking a strategy";
  h.engine.on_halt(block);
  const RiskDecision& blocked = h.decide(entry("TCS", 1, rupees(3000)), kTen);
  CHECK(blocked.code == "ENTRIES_BLOCKED");
  CHECK(blocked.detail == "trigger=manual: checking a strategy");
  CHECK(h.decide(exit_signal("SBIN", 5, rupees(600)), kTen).approved);

  ActiveHalt full;
  full.level = "halt";
  full.trigger = "manual";
  h.engine.on_halt(full);
  CHECK(h.decide(exit_signal("SBIN", 5, rupees(600), kTen - 61'000), kTen + 1).code ==
        "TRADING_HALTED");
  h.engine.on_resume("", kTen + 2);
  CHECK(h.decide(exit_signal("SBIN", 5, rupees(600), kTen - 122'000), kTen + 3).approved);
}
