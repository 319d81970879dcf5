// The gateway over a real SQLite file: what it loads, what it stores, and that the stored state
// (halts, decisions, orders) carries across a restart.
#include "gateway/gateway.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "gateway_fixture.h"
#include "risk/book.h"
#include "store/prices.h"
#include "store/todays_pnl.h"

using namespace sm;
using namespace sm::gateway;
using namespace sm::gateway::testing;

namespace {

const TimestampMs kNextSession = from_ist(Date{2024, 4, 1}, 9, 0);

Result<Disposition> send(RiskGateway& g, const Message& m, TimestampMs now,
                         std::vector<Message>& out) {
  return g.handle(m, now, out);
}

RiskDecision decide(RiskGateway& g, const Signal& s, TimestampMs now) {
  std::vector<Message> out;
  Result<Disposition> d = g.handle(s, now, out);
  REQUIRE(d.ok());
  CHECK(*d == Disposition::kConsumed);
  std::vector<RiskDecision> decisions = of_type<RiskDecision>(out);
  REQUIRE_FALSE(decisions.empty());
  return decisions.back();
}

// The quantity of the position the book holds; a missing position fails the test case (a
// dereference of nullptr would crash the whole binary).
Quantity qty_held(const risk::Book& book, const std::string& strategy, const std::string& symbol) {
  const risk::PositionState* position = book.find_position(strategy, symbol);
  REQUIRE(position != nullptr);
  return position->qty;
}

}  // namespace

TEST_CASE("every decision is stored, with its signal, before the order is released") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  std::vector<Message> out;
  Result<Disposition> d = send(*g, entry("TCS", 10, rupees(3000)), kTen, out);
  REQUIRE(d.ok());
  CHECK(*d == Disposition::kConsumed);
  REQUIRE(out.size() == 2);
  const RiskDecision decision = std::get<RiskDecision>(out[0]);
  const OrderIntent order = std::get<OrderIntent>(out[1]);
  CHECK(decision.client_order_id == order.client_order_id);
  auto stored =
      t.rows("SELECT code, detail, client_order_id, approved, signal_ts_ms FROM risk_decisions", 5);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0][0] == "APPROVED");
  CHECK(stored[0][1] == "side=BUY, qty=10, price=3000.00, value=30000.00");
  CHECK(stored[0][2] == order.client_order_id);
  CHECK(stored[0][3] == "1");
  CHECK(stored[0][4] == std::to_string(kTen));
  CHECK(t.one("SELECT strategy || ' ' || symbol || ' ' || qty FROM signals") == "trend TCS 10");
  // Order intents are sm-order's to record.
  CHECK(t.one("SELECT count(*) FROM orders") == "0");
}

TEST_CASE("each check's denial is stored with its code and numbers") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  struct Case {
    Signal signal;
    std::string code;
  };
  Signal stale = entry("SBIN", 1, rupees(600), kTen - 400'000, "stale");
  std::vector<Case> cases = {
      {entry("SBIN", 1001, rupees(600), kTen, "a"), "MAX_ORDER_QTY_EXCEEDED"},
      {entry("INFY", 100, rupees(1500), kTen, "b"), "MAX_ORDER_VALUE_EXCEEDED"},
      {entry("TCS", 1, rupees(3200), kTen, "c"), "PRICE_OUT_OF_BAND"},
      {entry("WIPRO", 1, rupees(500), kTen, "d"), "PRICE_UNAVAILABLE"},
      {entry("TCS", 0, rupees(3000), kTen, "e"), "INVALID_SIGNAL"},
      {stale, "SIGNAL_STALE"},
      {exit_signal("INFY", 0, rupees(1500), kTen, "f"), "NO_POSITION"},
  };
  for (const Case& c : cases) {
    INFO(c.code);
    CHECK(decide(*g, c.signal, kTen).code == c.code);
  }
  auto stored = t.rows("SELECT strategy, code, detail FROM risk_decisions ORDER BY id", 3);
  REQUIRE(stored.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    CHECK(stored[i][0] == cases[i].signal.strategy);
    CHECK(stored[i][1] == cases[i].code);
    CHECK_FALSE(stored[i][2].empty());
  }
  CHECK(stored[1][2] == "value=150000.00, max=100000.00");
}

TEST_CASE("today's P&L marks a position carried in from yesterday at yesterday's last price") {
  TestDb t;
  const Date yesterday{2024, 3, 27};
  t.fill("trend", "TCS", Side::kBuy, 100, rupees(2800), at(11, 0, 0, yesterday));
  t.tick("TCS", rupees(2900), at(15, 29, 0, yesterday));
  t.fill("trend", "TCS", Side::kSell, 40, rupees(3000), kTen - 60'000);  // realises 8,000
  t.live();                                                              // TCS 3,000 now
  auto g = t.gateway(kTen);
  // Held 100 from 2,900 to 3,000 today: 40 sold at 3,000 and 60 still held at 3,000.
  CHECK(g->engine().state().realised_today == rupees(8000));
  CHECK(g->engine().state().day_start_unrealised == rupees(10'000));
  CHECK(g->engine().daily_pnl() == rupees(10'000));
  // The store's one definition, which sm-status shows, says the same.
  Result<store::TodaysPnl> stored = store::todays_pnl(t.db, kTen);
  REQUIRE(stored.ok());
  CHECK(stored->net == g->engine().daily_pnl());

  // The same figure when the engine builds it from the same fills itself.
  risk::RiskEngine engine(test_config(), &test_calendar());
  std::vector<Message> out;
  Fill buy;
  buy.ts = at(11, 0, 0, yesterday);
  buy.trade_id = "x1";
  buy.strategy = "trend";
  buy.symbol = "TCS";
  buy.qty = 100;
  buy.price = rupees(2800);
  engine.on_fill(buy, buy.ts, out);
  engine.on_price("TCS", rupees(2900), at(15, 29, 0, yesterday), at(15, 29, 0, yesterday), out);
  Fill sell = buy;
  sell.ts = kTen - 60'000;
  sell.trade_id = "x2";
  sell.side = Side::kSell;
  sell.qty = 40;
  sell.price = rupees(3000);
  engine.on_fill(sell, sell.ts, out);
  engine.on_price("TCS", rupees(3000), kTen - 1000, kTen, out);
  CHECK(engine.daily_pnl() == g->engine().daily_pnl());
}

TEST_CASE("a fill on the input is stored and counted once even when the database has it too") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  Fill fill;
  fill.ts = kTen - 500;
  fill.trade_id = "K1";
  fill.strategy = "trend";
  fill.symbol = "SBIN";
  fill.side = Side::kBuy;
  fill.qty = 10;
  fill.price = rupees(600);
  REQUIRE(store::insert_fill(t.db, fill).ok());  // sm-order stored it first
  std::vector<Message> out;
  Result<Disposition> d = send(*g, fill, kTen, out);
  REQUIRE(d.ok());
  CHECK(*d == Disposition::kPassThrough);
  CHECK(qty_held(g->engine().state().book, "trend", "SBIN") == 10);
  REQUIRE(g->tick(kTen + 1000, out).ok());
  CHECK(qty_held(g->engine().state().book, "trend", "SBIN") == 10);
  CHECK(t.one("SELECT count(*) FROM fills") == "1");
}

TEST_CASE("kill switches store their halts, forced exits and alerts") {
  TestDb t;
  t.live();
  risk::RiskConfig config = test_config();
  config.max_total_exposure = rupees(2'000'000);
  t.fill("trend", "TCS", Side::kBuy, 200, rupees(3000), kTen - 5000);
  t.fill("trend", "INFY", Side::kBuy, 400, rupees(1500), kTen - 5000);
  t.fill("swing", "SBIN", Side::kBuy, 500, rupees(600), kTen - 5000);
  auto g = t.gateway(kTen, config);
  std::vector<Message> out;

  SECTION("daily loss over 3%: a daily block_entries halt") {
    t.tick("TCS", rupees(2880), kTen);
    t.tick("INFY", rupees(1440), kTen);  // -48,000: 4.8%
    REQUIRE(g->tick(kTen + 1000, out).ok());
    auto halts = t.rows("SELECT level, trigger_name, set_by, until_ms, reason FROM halts", 5);
    REQUIRE(halts.size() == 1);
    CHECK(halts[0][0] == "block_entries");
    CHECK(halts[0][1] == "daily_loss_block");
    CHECK(halts[0][2] == "sm-risk");
    CHECK(halts[0][3] == std::to_string(kNextSession));
    CHECK(halts[0][4] == "daily loss 4.80% of capital (48000.00) > 3.00%");
    CHECK(t.one("SELECT event FROM alerts") == "kill_switch_daily_loss_block");
    CHECK(decide(*g, entry("SBIN", 1, rupees(600), kTen + 1000, "new"), kTen + 1000).code ==
          "ENTRIES_BLOCKED");

    // It survives a restart, and lifts at the next session start.
    auto restarted = t.gateway(kTen + 2000, config);
    CHECK(
        decide(*restarted, entry("SBIN", 1, rupees(600), kTen + 2000, "new2"), kTen + 2000).code ==
        "ENTRIES_BLOCKED");
    const TimestampMs monday = from_ist(Date{2024, 4, 1}, 10, 0);
    t.live(monday);
    t.tick("WIPRO", rupees(500), monday - 1000);
    auto next_week = t.gateway(monday, config);
    CHECK(next_week->engine().state().halts.empty());
    const RiskDecision monday_entry =
        decide(*next_week, entry("WIPRO", 1, rupees(500), monday, "new3"), monday);
    INFO(monday_entry.code << " " << monday_entry.detail);
    CHECK(monday_entry.approved);
  }
  SECTION("daily loss over 5%: forced exits stored as decisions, then a daily halt") {
    t.tick("TCS", rupees(2880), kTen);
    t.tick("INFY", rupees(1440), kTen);
    t.tick("SBIN", rupees(576), kTen);  // -60,000: 6%
    REQUIRE(g->tick(kTen + 1000, out).ok());
    auto exits = t.rows(
        "SELECT strategy, symbol, action, code, approved, client_order_id FROM risk_decisions "
        "ORDER BY id",
        6);
    REQUIRE(exits.size() == 3);
    for (const auto& row : exits) {
      CHECK(row[2] == "exit_long");
      CHECK(row[3] == "FORCED_EXIT");
      CHECK(row[4] == "1");
    }
    CHECK(of_type<OrderIntent>(out).size() == 3);
    // The loss passes 3% on the way (prices are re-read one symbol at a time), then 5%.
    CHECK(t.one("SELECT group_concat(level || ':' || trigger_name) FROM halts WHERE until_ms = " +
                std::to_string(kNextSession)) ==
          "block_entries:daily_loss_block,halt:daily_loss_halt");
    CHECK(t.one("SELECT count(*) FROM alerts WHERE event = 'kill_switch_daily_loss_halt'") == "1");
    // A restart does not send the exits again.
    auto restarted = t.gateway(kTen + 2000, config);
    std::vector<Message> again;
    REQUIRE(restarted->tick(kTen + 3000, again).ok());
    CHECK(of_type<OrderIntent>(again).empty());
  }
  SECTION("unrealised loss over 5% on one position: a stored forced exit and alert") {
    t.tick("SBIN", rupees(565), kTen);  // -5.83% on SBIN; daily loss 1.75%
    REQUIRE(g->tick(kTen + 1000, out).ok());
    auto exits = t.rows("SELECT strategy, symbol, code, detail FROM risk_decisions", 4);
    REQUIRE(exits.size() == 1);
    CHECK(exits[0][0] == "swing");
    CHECK(exits[0][1] == "SBIN");
    CHECK(exits[0][2] == "FORCED_EXIT");
    CHECK(t.one("SELECT event FROM alerts") == "kill_switch_position_loss");
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
  }
  SECTION("broker disconnected for over 30 s: a halt only a person lifts") {
    t.heartbeat("sm-order", "degraded", kTen);
    REQUIRE(g->tick(kTen + 10'000, out).ok());
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
    t.heartbeat("sm-order", "degraded", kTen + 20'000);
    REQUIRE(g->tick(kTen + 31'000, out).ok());
    auto halts = t.rows("SELECT level, trigger_name, until_ms FROM halts", 3);
    REQUIRE(halts.size() == 1);
    CHECK(halts[0][0] == "halt");
    CHECK(halts[0][1] == "broker_disconnected");
    CHECK(halts[0][2] == "NULL");
    CHECK(t.one("SELECT event FROM alerts") == "kill_switch_broker_disconnected");
  }
  SECTION("unexpected errors over the limit: a halt and an alert") {
    ErrorRecord e;
    e.component = "sm-signal";
    e.code = "internal";
    e.message = "boom";
    for (int i = 0; i < 11; ++i) {
      e.ts = kTen + i;
      REQUIRE(send(*g, e, kTen + i, out).ok());
    }
    CHECK(t.one("SELECT level || ':' || trigger_name FROM halts") == "halt:error_rate");
    CHECK(t.one("SELECT event FROM alerts") == "kill_switch_error_rate");
    CHECK(t.one("SELECT count(*) FROM errors WHERE component = 'sm-signal'") == "11");
  }
}

namespace {

ErrorRecord order_error(TimestampMs ts) {
  ErrorRecord e;
  e.ts = ts;
  e.component = "sm-order";
  e.event = "broker_call_failed";
  e.code = "unavailable";
  e.message = "HTTP 503";
  return e;
}

}  // namespace

TEST_CASE("errors other programs store count for the error-rate switch") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  std::vector<Message> out;
  SECTION("ten in a minute are within the limit, the eleventh halts") {
    for (int i = 0; i < 10; ++i) REQUIRE(store::record_error(t.db, order_error(kTen + i)).ok());
    REQUIRE(g->tick(kTen + 1000, out).ok());
    CHECK(g->engine().assess(kTen + 1000).errors_last_minute == 10);
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
    REQUIRE(store::record_error(t.db, order_error(kTen + 10)).ok());
    REQUIRE(g->tick(kTen + 2000, out).ok());
    CHECK(t.one("SELECT level || ':' || trigger_name FROM halts") == "halt:error_rate");
  }
  SECTION("an error both stored by its program and passed on as a line counts once") {
    for (int i = 0; i < 6; ++i) {
      REQUIRE(store::record_error(t.db, order_error(kTen + i)).ok());
      REQUIRE(send(*g, order_error(kTen + i), kTen + 100 + i, out).ok());
    }
    CHECK(g->engine().assess(kTen + 200).errors_last_minute == 6);
    CHECK(t.one("SELECT count(*) FROM errors") == "6");
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
  }
  SECTION("the gateway's own stored errors are not counted twice") {
    ErrorRecord own = order_error(kTen);
    own.component = "sm-risk";
    for (int i = 0; i < 20; ++i) {
      own.ts = kTen + i;
      REQUIRE(store::record_error(t.db, own).ok());
    }
    REQUIRE(g->tick(kTen + 1000, out).ok());
    CHECK(g->engine().assess(kTen + 1000).errors_last_minute == 0);
  }
  SECTION("a restarted gateway still counts the last minute's errors") {
    for (int i = 0; i < 11; ++i) {
      REQUIRE(store::record_error(t.db, order_error(kTen - 30'000 + i)).ok());
    }
    REQUIRE(store::record_error(t.db, order_error(kTen - 61'000)).ok());
    auto restarted = t.gateway(kTen);
    CHECK(restarted->engine().assess(kTen).errors_last_minute == 11);
    REQUIRE(restarted->tick(kTen + 1, out).ok());
    CHECK(t.one("SELECT level || ':' || trigger_name FROM halts") == "halt:error_rate");
  }
}

TEST_CASE("order-rate pause and latency block are stored") {
  TestDb t;
  SECTION("more than 50 requests in 5 minutes") {
    risk::RiskConfig config = test_config();
    config.max_orders_per_minute = 1000;
    auto g = t.gateway(kTen, config);
    for (std::int64_t i = 0; i <= 50; ++i) {
      const TimestampMs now = kTen + i * 5000;
      t.live(now + 1);
      decide(*g, entry("SBIN", 1, rupees(600), now, risk::testing::numbered("bot", i)), now + 1);
    }
    CHECK(t.one("SELECT code FROM risk_decisions ORDER BY id DESC LIMIT 1") == "ORDER_RATE_PAUSE");
    CHECK(t.one("SELECT level || ':' || trigger_name || ':' || coalesce(until_ms, 'NULL') FROM "
                "halts") == "pause:order_rate:NULL");
    // Restarted, the pause is still there.
    auto restarted = t.gateway(kTen + 300'000, config);
    t.live(kTen + 300'000);
    CHECK(decide(*restarted, entry("SBIN", 1, rupees(600), kTen + 300'000, "x"), kTen + 300'000)
              .code == "TRADING_PAUSED");
  }
  SECTION("critical-path latency") {
    t.live();
    auto g = t.gateway(kTen);
    for (int i = 0; i < 3; ++i) {
      decide(*g, entry("SBIN", 1, rupees(600), kTen - 6000, risk::testing::numbered("slow", i)),
             kTen);
    }
    CHECK(t.one("SELECT level || ':' || trigger_name FROM halts") == "block_entries:latency");
    CHECK(t.one("SELECT event FROM alerts") == "kill_switch_latency");
  }
}

TEST_CASE("manual halt and resume are recorded and take effect at the next signal") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  CHECK(decide(*g, entry("TCS", 1, rupees(3000), kTen, "a"), kTen).approved);

  // From another connection, as `sm-risk halt` would.
  Result<store::Database> other = store::Database::open(t.path);
  REQUIRE(other.ok());
  Result<std::vector<Message>> halted =
      manual_halt(*other, "halt", "checking fills", "asha", kTen + 1);
  REQUIRE(halted.ok());
  REQUIRE(halted->size() == 2);
  CHECK(std::get<Halt>((*halted)[0]).by == "asha");
  CHECK(std::get<Alert>((*halted)[1]).event == "manual_halt");
  const RiskDecision denied = decide(*g, entry("TCS", 1, rupees(3000), kTen + 2, "b"), kTen + 2);
  CHECK(denied.code == "TRADING_HALTED");
  CHECK(denied.detail == "trigger=manual: checking fills");

  Result<ResumeOutcome> resumed = manual_resume(*other, "", "fills reconciled", "ravi", kTen + 3);
  REQUIRE(resumed.ok());
  CHECK(resumed->lifted == 1);
  CHECK(std::get<Halt>(resumed->messages[0]).action == "resume");
  auto row = t.rows(
      "SELECT set_by, reason, created_ms, cleared_by, clear_reason, cleared_ms FROM halts", 6);
  REQUIRE(row.size() == 1);
  CHECK(row[0] == std::vector<std::string>{"asha", "checking fills", std::to_string(kTen + 1),
                                           "ravi", "fills reconciled", std::to_string(kTen + 3)});
  CHECK(decide(*g, entry("TCS", 1, rupees(3000), kTen - 70'000, "c"), kTen + 4).approved);

  CHECK_FALSE(manual_halt(*other, "stop", "x", "asha", kTen).ok());
  CHECK_FALSE(manual_halt(*other, "halt", "", "asha", kTen).ok());
}

TEST_CASE("a restart restores the rate windows, duplicates and unfilled orders") {
  TestDb t;
  t.live();
  risk::RiskConfig config = test_config();
  config.max_orders_per_minute = 2;
  config.max_symbol_exposure = rupees(150'000);
  std::string first_id;
  {
    auto g = t.gateway(kTen, config);
    std::vector<Message> out;
    REQUIRE(send(*g, entry("INFY", 60, rupees(1500), kTen, "a"), kTen, out).ok());
    first_id = of_type<OrderIntent>(out).at(0).client_order_id;
    // sm-order records it and it is partly filled.
    REQUIRE(store::upsert_order_intent(t.db, of_type<OrderIntent>(out).at(0)).ok());
    CHECK(decide(*g, entry("SBIN", 1, rupees(600), kTen, "b"), kTen).approved);
  }
  auto g = t.gateway(kTen + 1000, config);
  // The same signal again is a duplicate; the window still holds two approvals.
  CHECK(decide(*g, entry("INFY", 60, rupees(1500), kTen, "a"), kTen + 1000).code ==
        "DUPLICATE_SIGNAL");
  CHECK(decide(*g, entry("SBIN", 1, rupees(600), kTen + 1000, "c"), kTen + 1000).code ==
        "MAX_ORDERS_PER_MINUTE_EXCEEDED");
  // The unfilled INFY order (90,000) counts towards INFY's exposure (cap 1,50,000).
  REQUIRE(g->engine().state().pending.count(first_id) == 1);
  t.live(kTen + 61'000);
  CHECK(decide(*g, entry("INFY", 66, rupees(1500), kTen + 61'000, "d"), kTen + 61'000).code ==
        "MAX_SYMBOL_EXPOSURE_EXCEEDED");
  // Once the broker rejects it, it no longer counts.
  OrderUpdate rejected;
  rejected.ts = kTen + 62'000;
  rejected.client_order_id = first_id;
  rejected.status = "REJECTED";
  rejected.qty = 60;
  REQUIRE(store::apply_order_update(t.db, rejected).ok());
  t.live(kTen + 62'000);
  std::vector<Message> out;
  REQUIRE(g->tick(kTen + 62'000, out).ok());
  CHECK(g->engine().state().pending.count(first_id) == 0);
  const RiskDecision after =
      decide(*g, entry("INFY", 66, rupees(1500), kTen + 62'000, "e"), kTen + 62'000);
  INFO(after.code << " " << after.detail);
  CHECK(after.approved);
}

TEST_CASE("fail closed: no price, stale heartbeat, no calendar, state or store unavailable") {
  TestDb t;
  SECTION("no market data for the symbol") {
    t.heartbeat("sm-order", "ok", kTen - 1000);
    auto g = t.gateway(kTen);
    const RiskDecision d = decide(*g, entry("TCS", 1, rupees(3000)), kTen);
    CHECK(d.code == "PRICE_UNAVAILABLE");
    CHECK(t.one("SELECT code FROM risk_decisions") == "PRICE_UNAVAILABLE");
  }
  SECTION("sm-order's heartbeat is missing, then stale") {
    t.tick("TCS", rupees(3000), kTen - 1000);
    auto g = t.gateway(kTen);
    CHECK(decide(*g, entry("TCS", 1, rupees(3000), kTen, "a"), kTen).code == "HEARTBEAT_MISSING");
    risk::RiskConfig config = test_config();
    config.broker_component = "none";  // keep the broker switch out of this
    t.heartbeat("sm-order", "ok", kTen - 45'000);
    auto g2 = t.gateway(kTen, config);
    CHECK(decide(*g2, entry("TCS", 1, rupees(3000), kTen, "b"), kTen).code == "HEARTBEAT_STALE");
  }
  SECTION("no calendar") {
    t.live();
    Result<std::unique_ptr<RiskGateway>> g = RiskGateway::open(t.db, test_config(), nullptr, kTen);
    REQUIRE(g.ok());
    CHECK(decide(**g, entry("TCS", 1, rupees(3000)), kTen).code == "CALENDAR_UNAVAILABLE");
  }
  SECTION("the decision cannot be stored: no order is released") {
    t.live();
    Result<store::Database> readonly = store::Database::open_readonly(t.path);
    REQUIRE(readonly.ok());
    Result<std::unique_ptr<RiskGateway>> g =
        RiskGateway::open(*readonly, test_config(), &test_calendar(), kTen);
    REQUIRE(g.ok());
    std::vector<Message> out;
    Result<Disposition> d = (*g)->handle(entry("TCS", 1, rupees(3000)), kTen, out);
    CHECK_FALSE(d.ok());
    CHECK(of_type<OrderIntent>(out).empty());
    const std::vector<RiskDecision> decisions = of_type<RiskDecision>(out);
    REQUIRE(decisions.size() == 1);
    CHECK_FALSE(decisions[0].approved);
    CHECK(decisions[0].code == "STORE_FAILED");
    CHECK(decisions[0].client_order_id.empty());
    CHECK((*g)->store_failures() == 1);
    CHECK((*g)->engine().state().pending.empty());
  }
}

TEST_CASE("an order intent on the input is refused, never passed on") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  OrderIntent sneaky;
  sneaky.ts = kTen;
  sneaky.client_order_id = "sm0000";
  sneaky.strategy = "x";
  sneaky.symbol = "TCS";
  sneaky.qty = 1;
  std::vector<Message> out;
  Result<Disposition> d = send(*g, sneaky, kTen, out);
  REQUIRE(d.ok());
  CHECK(*d == Disposition::kRefused);
  CHECK(of_type<OrderIntent>(out).empty());
  CHECK(of_type<Alert>(out).at(0).event == "order_on_input_refused");
  CHECK(t.one("SELECT event FROM alerts") == "order_on_input_refused");
}

TEST_CASE("latest price: the newest of ticks and bar closes, a daily bar known at 15:30") {
  TestDb t;
  Bar daily;
  daily.symbol = "TCS";
  daily.ts = at(9, 15, 0, Date{2024, 3, 27});
  daily.timeframe = Timeframe{Timeframe::kDailyMinutes};
  daily.open = daily.high = daily.low = daily.close = rupees(2950);
  REQUIRE(store::insert_bars(t.db, std::vector<Bar>{daily}).ok());
  Result<std::optional<store::PricePoint>> p = store::latest_price(t.db, "TCS", kTen);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->price == rupees(2950));
  CHECK((*p)->ts == at(15, 30, 0, Date{2024, 3, 27}));
  Bar minute = daily;
  minute.ts = kTen - 120'000;
  minute.timeframe = Timeframe{1};
  minute.close = minute.high = rupees(2990);
  REQUIRE(store::insert_bars(t.db, std::vector<Bar>{minute}).ok());
  p = store::latest_price(t.db, "TCS", kTen);
  CHECK((*p)->price == rupees(2990));
  CHECK((*p)->ts == kTen - 60'000);
  t.tick("TCS", rupees(2991), kTen - 90'000);  // older than the minute bar's end
  p = store::latest_price(t.db, "TCS", kTen);
  CHECK((*p)->price == rupees(2990));
  Result<std::optional<store::PricePoint>> before =
      store::price_before(t.db, "TCS", from_ist(Date{2024, 3, 28}, 0, 0));
  REQUIRE(before.ok());
  CHECK((*before)->price == rupees(2950));
  CHECK_FALSE(store::latest_price(t.db, "NONE", kTen)->has_value());
}

// Regression (issue 12): with a whole stored day replayed (systemd/sm-feed-replay.service), the
// latest price was the day's last bar, known hours after the replayed time, so every replayed
// signal was denied PRICE_OUT_OF_BAND.
TEST_CASE("latest price ignores stored data known only after now") {
  TestDb t;
  std::vector<Bar> day;
  for (std::int64_t minute = 0; minute < 375; ++minute) {
    Bar b;
    b.symbol = "TCS";
    b.timeframe = Timeframe{1};
    b.ts = at(9, 15) + minute * 60'000;
    b.open = b.high = b.low = b.close = rupees(2900) + minute * 100;
    day.push_back(b);
  }
  REQUIRE(store::insert_bars(t.db, day).ok());
  Result<std::optional<store::PricePoint>> p = store::latest_price(t.db, "TCS", kTen + 30'000);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  CHECK((*p)->ts == kTen);  // the 09:59 bar, known at 10:00
  CHECK((*p)->price == rupees(2900 + 44));
  Result<std::map<std::string, store::PricePoint>> all =
      store::latest_prices(t.db, {"TCS"}, kTen + 30'000);
  REQUIRE(all.ok());
  CHECK(all->at("TCS").ts == kTen);
  CHECK_FALSE(store::latest_price(t.db, "TCS", at(9, 15))->has_value());  // nothing known yet
  CHECK(store::latest_prices(t.db, {"TCS"}, at(9, 15))->empty());
}

// Regression: the kill switches ran before the database was re-read, so a gateway whose last poll
// was older than the heartbeat limit halted trading on a heartbeat it had simply not read yet.
TEST_CASE("kill switches judge the state re-read from the database, not the last poll's") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  const TimestampMs later = kTen + 45'000;
  t.live(later);  // sm-order beat 1 s ago; the gateway last read it 46 s ago
  const RiskDecision d = decide(*g, entry("TCS", 1, rupees(3000), later), later);
  INFO(d.code << " " << d.detail);
  CHECK(d.approved);
  CHECK(t.one("SELECT count(*) FROM halts") == "0");

  // And a switch that does fire on the re-read state denies the signal in the same step.
  t.heartbeat("sm-order", "degraded", later + 1000);
  t.tick("TCS", rupees(3000), later + 40'000);
  t.heartbeat("sm-order", "degraded", later + 40'000);
  const RiskDecision halted =
      decide(*g, entry("TCS", 1, rupees(3000), later + 41'000, "b"), later + 41'000);
  CHECK(halted.code == "TRADING_HALTED");
  CHECK(t.one("SELECT trigger_name FROM halts") == "broker_disconnected");
}

TEST_CASE("known_at: a replayed bar counts from its close, other messages from their ts") {
  // sm-risk --event-time takes "now" from this, so a daily bar must not make it 09:15 IST while
  // its 15:30 close is already applied (docs/BACKTEST.md "Parity").
  Bar daily;
  daily.ts = from_ist(Date{2024, 3, 28}, 9, 15);
  daily.symbol = "INFY";
  daily.timeframe = Timeframe{Timeframe::kDailyMinutes};
  daily.open = daily.high = daily.low = daily.close = 150000;
  CHECK(known_at(Message{daily}) == from_ist(Date{2024, 3, 28}, 15, 30));
  Bar minute = daily;
  minute.timeframe = Timeframe{5};
  CHECK(known_at(Message{minute}) == from_ist(Date{2024, 3, 28}, 9, 20));
  minute.partial = true;  // still forming: known as of its own time only
  CHECK(known_at(Message{minute}) == from_ist(Date{2024, 3, 28}, 9, 15));
  Signal signal;
  signal.ts = from_ist(Date{2024, 3, 28}, 15, 30);
  CHECK(known_at(Message{signal}) == signal.ts);
  Tick tick;
  tick.ts = from_ist(Date{2024, 3, 28}, 10, 0);
  CHECK(known_at(Message{tick}) == tick.ts);
}

namespace {

// Stores a signal as sm-signal does (before writing it on), recorded at recorded_ms.
void store_signal(TestDb& t, const Signal& signal, TimestampMs recorded_ms) {
  time::ManualClock clock(recorded_ms);
  store::OpenOptions options;
  options.clock = &clock;
  Result<store::Database> signal_db = store::Database::open(t.path, options);
  REQUIRE(signal_db.ok());
  REQUIRE(store::record_signal(*signal_db, signal).ok());
}

}  // namespace

TEST_CASE("a stored signal that never arrived is decided from the store, and its order kept") {
  // Issue 11: a FIFO loses what is in it when its reader dies; sm-signal stored the signal first.
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  store_signal(t, entry("TCS", 10, rupees(3000), kTen - 5000), kTen - 5000);
  std::vector<Message> out;
  std::int64_t caught = 0;
  REQUIRE(g->catch_up(kTen, out, caught).ok());
  CHECK(caught == 1);
  std::vector<RiskDecision> decisions = of_type<RiskDecision>(out);
  std::vector<OrderIntent> orders = of_type<OrderIntent>(out);
  REQUIRE(decisions.size() == 1);
  REQUIRE(orders.size() == 1);
  CHECK(decisions[0].approved);
  // The approval keeps its intent, for sm-order's catch-up.
  const std::string order_json =
      t.one("SELECT order_json FROM risk_decisions WHERE client_order_id = '" +
            orders[0].client_order_id + "'");
  CHECK(order_json == to_json(Message{orders[0]}));
  // Looked at once: a second call finds nothing, and the signal arriving late is a duplicate.
  out.clear();
  REQUIRE(g->catch_up(kTen + 1000, out, caught).ok());
  CHECK(caught == 1);
  CHECK(out.empty());
  RiskDecision late = decide(*g, entry("TCS", 10, rupees(3000), kTen - 5000), kTen + 2000);
  CHECK(late.code == "DUPLICATE_SIGNAL");
  CHECK(t.one("SELECT count(*) FROM risk_decisions WHERE approved = 1") == "1");
}

TEST_CASE("a stored signal found past the age limit is denied as stale, never approved late") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  const TimestampMs old = kTen - 10 * kMsPerMinute;  // beyond the 5 minutes signals live
  store_signal(t, entry("TCS", 10, rupees(3000), old), old);
  // A signal recorded a moment ago may still be on its way on the input: left alone for now.
  store_signal(t, entry("INFY", 10, rupees(1500), kTen - 500), kTen - 500);
  std::vector<Message> out;
  std::int64_t caught = 0;
  REQUIRE(g->catch_up(kTen, out, caught).ok());
  CHECK(caught == 1);
  std::vector<RiskDecision> decisions = of_type<RiskDecision>(out);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].symbol == "TCS");
  CHECK_FALSE(decisions[0].approved);
  CHECK(decisions[0].code == "SIGNAL_STALE");
  CHECK(of_type<OrderIntent>(out).empty());
  CHECK(t.one("SELECT code FROM risk_decisions WHERE symbol = 'TCS'") == "SIGNAL_STALE");
  CHECK(t.one("SELECT count(*) FROM risk_decisions WHERE order_json IS NOT NULL") == "0");
  // After the grace, the younger one is decided (approved: it is still fresh).
  out.clear();
  REQUIRE(g->catch_up(kTen + 2000, out, caught).ok());
  CHECK(caught == 2);
  decisions = of_type<RiskDecision>(out);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].symbol == "INFY");
  CHECK(decisions[0].approved);
}

namespace {

// A 1:1 bonus of TCS whose ex-date is the test day (Thursday 2024-03-28).
GatewayOptions with_tcs_bonus() {
  auto actions =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nTCS,2024-03-28,bonus,1:1\n", "test");
  REQUIRE(actions.ok());
  GatewayOptions options;
  options.corporate_actions = *actions;
  return options;
}

}  // namespace

TEST_CASE("a position held into a bonus's ex-date is adjusted once and nothing fires") {
  TestDb t;
  const Date yesterday{2024, 3, 27};
  risk::RiskConfig config = test_config();
  config.max_total_exposure = rupees(2'000'000);
  config.max_order_value = rupees(1'000'000);
  t.fill("trend", "TCS", Side::kBuy, 200, rupees(3000), at(11, 0, 0, yesterday));
  t.tick("TCS", rupees(3000), at(15, 29, 0, yesterday));
  t.heartbeat("sm-order", "ok", kTen - 1000);
  t.tick("TCS", rupees(1505), kTen - 1000);  // the ex-date's price: half, and 5.00 up

  SECTION("with the action known: 400 shares, today's P&L is the move, no halt, no exit") {
    Result<std::unique_ptr<RiskGateway>> g =
        RiskGateway::open(t.db, config, &test_calendar(), kTen, with_tcs_bonus());
    REQUIRE(g.ok());
    CHECK(qty_held((*g)->engine().state().book, "trend", "TCS") == 400);
    CHECK(t.one("SELECT qty FROM positions WHERE symbol = 'TCS'") == "400");
    CHECK(t.one("SELECT qty_before || '>' || qty_after || ' ' || recorded_by FROM "
                "corporate_action_adjustments") == "200>400 sm-risk");
    std::vector<Message> out;
    REQUIRE((*g)->tick(kTen + 1000, out).ok());
    CHECK((*g)->engine().daily_pnl() == rupees(2000));  // 400 x (1505 - 1500)
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
    CHECK(t.one("SELECT count(*) FROM risk_decisions") == "0");
    // Selling the real 400 is an ordinary exit, within the price band.
    const RiskDecision sell =
        decide(**g, exit_signal("TCS", 400, rupees(1505), kTen + 2000), kTen + 2000);
    INFO(sell.code << " " << sell.detail);
    CHECK(sell.approved);

    // A restart finds it done: still 400, one audit row.
    auto again = RiskGateway::open(t.db, config, &test_calendar(), kTen + 3000, with_tcs_bonus());
    REQUIRE(again.ok());
    CHECK(qty_held((*again)->engine().state().book, "trend", "TCS") == 400);
    CHECK((*again)->engine().daily_pnl() == rupees(2000));
    CHECK(t.one("SELECT count(*) FROM corporate_action_adjustments") == "1");
  }
  SECTION("a gateway running since before the ex-date adjusts at the new day's first look") {
    Result<std::unique_ptr<RiskGateway>> g = RiskGateway::open(
        t.db, config, &test_calendar(), at(15, 30, 0, yesterday), with_tcs_bonus());
    REQUIRE(g.ok());
    CHECK(qty_held((*g)->engine().state().book, "trend", "TCS") == 200);
    std::vector<Message> out;
    REQUIRE((*g)->tick(kTen, out).ok());
    CHECK(qty_held((*g)->engine().state().book, "trend", "TCS") == 400);
    CHECK(t.one("SELECT count(*) FROM halts") == "0");
    CHECK(t.one("SELECT count(*) FROM risk_decisions") == "0");
  }
  SECTION("without it (the regression): the bonus looks like a 50% loss and the switches fire") {
    Result<std::unique_ptr<RiskGateway>> g =
        RiskGateway::open(t.db, config, &test_calendar(), kTen);
    REQUIRE(g.ok());
    std::vector<Message> out;
    REQUIRE((*g)->tick(kTen + 1000, out).ok());
    CHECK(t.one("SELECT count(*) FROM halts") != "0");
  }
}

namespace {

// Counts the commits of a connection (sqlite3_commit_hook); with fail set, turns the next commit
// into a rollback, as a failing disk would.
struct CommitCounter {
  explicit CommitCounter(store::Database& db) : db_(db) {
    sqlite3_commit_hook(db_.handle(), &CommitCounter::on_commit, this);
  }
  ~CommitCounter() { sqlite3_commit_hook(db_.handle(), nullptr, nullptr); }
  static int on_commit(void* self) {
    auto* counter = static_cast<CommitCounter*>(self);
    ++counter->commits;
    counter->synchronous.push_back(counter->db_.synchronous());
    return counter->fail ? 1 : 0;
  }
  store::Database& db_;
  int commits = 0;
  std::vector<store::Synchronous> synchronous;  // the connection's setting at each commit
  bool fail = false;
};

}  // namespace

TEST_CASE("signals read in one pass are stored in one commit, before any of them is written") {
  // Issue 14, group commit: a burst costs one fsync, not one per signal.
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  CommitCounter counter(t.db);
  std::vector<std::vector<Message>> outs(3);
  g->begin_batch();
  REQUIRE(send(*g, entry("TCS", 10, rupees(3000)), kTen, outs[0]).ok());
  REQUIRE(send(*g, entry("INFY", 10, rupees(1500)), kTen, outs[1]).ok());
  REQUIRE(send(*g, entry("SBIN", 10, rupees(600)), kTen, outs[2]).ok());
  CHECK(counter.commits == 0);
  // Nothing is visible to another connection (sm-order's catch-up) before the batch commits.
  Result<store::Database> other = store::Database::open(t.path);
  REQUIRE(other.ok());
  CHECK(other->query_int64("SELECT count(*) FROM risk_decisions").value() == 0);
  REQUIRE(g->end_batch(kTen, outs).ok());
  CHECK(counter.commits == 1);
  CHECK(other->query_int64("SELECT count(*) FROM risk_decisions WHERE approved = 1").value() == 3);
  CHECK(other->query_int64("SELECT count(*) FROM signals").value() == 3);
  for (const std::vector<Message>& out : outs) {
    REQUIRE(out.size() == 2);
    CHECK(std::get<RiskDecision>(out[0]).approved);
    CHECK(std::get<OrderIntent>(out[1]).client_order_id ==
          std::get<RiskDecision>(out[0]).client_order_id);
  }
  // Without a batch each message commits on its own.
  std::vector<Message> out;
  REQUIRE(send(*g, exit_signal("TCS", 10, rupees(3000), kTen + 1000), kTen + 1000, out).ok());
  CHECK(counter.commits == 2);
}

TEST_CASE("a batch whose commit fails releases none of its approvals") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  CommitCounter counter(t.db);
  std::vector<std::vector<Message>> outs(2);
  g->begin_batch();
  REQUIRE(send(*g, entry("TCS", 10, rupees(3000)), kTen, outs[0]).ok());
  REQUIRE(send(*g, entry("INFY", 10, rupees(1500)), kTen, outs[1]).ok());
  counter.fail = true;
  CHECK_FALSE(g->end_batch(kTen, outs).ok());
  counter.fail = false;
  for (const std::vector<Message>& out : outs) {
    CHECK(of_type<OrderIntent>(out).empty());
    const std::vector<RiskDecision> decisions = of_type<RiskDecision>(out);
    REQUIRE(decisions.size() == 1);
    CHECK_FALSE(decisions[0].approved);
    CHECK(decisions[0].code == "STORE_FAILED");
  }
  CHECK(g->store_failures() == 1);
  CHECK(g->engine().state().pending.empty());
  CHECK(t.one("SELECT count(*) FROM risk_decisions") == "0");
  CHECK(t.one("SELECT count(*) FROM signals") == "0");
}

TEST_CASE("a backlog of stored signals is caught up in one commit") {
  TestDb t;
  t.live();
  auto g = t.gateway(kTen);
  store_signal(t, entry("TCS", 10, rupees(3000), kTen - 5000), kTen - 5000);
  store_signal(t, entry("INFY", 10, rupees(1500), kTen - 4000), kTen - 4000);
  store_signal(t, entry("SBIN", 10, rupees(600), kTen - 3000), kTen - 3000);
  CommitCounter counter(t.db);
  std::vector<Message> out;
  std::int64_t caught = 0;
  REQUIRE(g->catch_up(kTen, out, caught).ok());
  CHECK(caught == 3);
  CHECK(of_type<OrderIntent>(out).size() == 3);
  CHECK(counter.commits == 1);
  CHECK(t.one("SELECT count(*) FROM risk_decisions WHERE approved = 1") == "3");
}

TEST_CASE(
    "with the decision sync deferred, a batch commits at NORMAL and the connection stays FULL") {
  // Issue 14: one fsync between a signal and the broker; sm-order's FULL commit of the intent
  // syncs the shared WAL, and the decision with it (docs/SCHEMA.md, "Durability").
  TestDb t;
  t.live();
  GatewayOptions options;
  options.defer_decision_sync = true;
  Result<std::unique_ptr<RiskGateway>> g =
      RiskGateway::open(t.db, test_config(), &test_calendar(), kTen, options);
  REQUIRE(g.ok());
  CommitCounter counter(t.db);
  std::vector<std::vector<Message>> outs(1);
  (*g)->begin_batch();
  REQUIRE(send(**g, entry("TCS", 10, rupees(3000)), kTen, outs[0]).ok());
  REQUIRE((*g)->end_batch(kTen, outs).ok());
  REQUIRE(counter.synchronous.size() == 1);
  CHECK(counter.synchronous[0] == store::Synchronous::kNormal);
  CHECK(t.db.synchronous() == store::Synchronous::kFull);
  CHECK(t.one("SELECT count(*) FROM risk_decisions WHERE approved = 1") == "1");
  // The orders tables still refuse a NORMAL connection outside the gateway's batch.
  {
    store::ScopedSynchronous normal(t.db, store::Synchronous::kNormal);
    CHECK(store::record_risk_decision(t.db, std::get<RiskDecision>(outs[0][0]), nullptr)
              .status()
              .code() == ErrorCode::kInvalidArgument);
  }
  // Without the option the batch commits at FULL.
  auto plain = t.gateway(kTen);
  std::vector<std::vector<Message>> more(1);
  plain->begin_batch();
  REQUIRE(send(*plain, entry("INFY", 10, rupees(1500)), kTen, more[0]).ok());
  REQUIRE(plain->end_batch(kTen, more).ok());
  REQUIRE(counter.synchronous.size() == 2);
  CHECK(counter.synchronous[1] == store::Synchronous::kFull);
}
