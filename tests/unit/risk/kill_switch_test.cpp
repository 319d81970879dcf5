// One scenario per row of the kill-switch table: drive the engine with fills, prices, heartbeats
// and errors and assert the action (forced exits, halt, alert) and what it then allows.
#include <catch2/catch.hpp>

#include "risk/client_order_id.h"
#include "risk/engine.h"
#include "risk_fixture.h"

using namespace sm;
using namespace sm::risk;
using namespace sm::risk::testing;

namespace {

// Thursday 2024-03-28 is followed by Good Friday and a weekend: the next session starts Monday
// 2024-04-01 at 09:00 IST (pre-open).
const TimestampMs kNextSession = from_ist(Date{2024, 4, 1}, 9, 0);

}  // namespace

TEST_CASE("daily loss over 3% of capital blocks new entries until the next session") {
  RiskConfig config = test_config();
  config.max_total_exposure = rupees(2'000'000);
  Harness h(config);
  h.fill("trend", "TCS", Side::kBuy, 200, rupees(3000), kTen - 5000);
  h.fill("trend", "INFY", Side::kBuy, 400, rupees(1500), kTen - 5000);
  h.out.clear();
  h.price("TCS", 291'900, kTen);  // -16,200: 1.62%
  CHECK(h.all<Halt>().empty());
  h.price("INFY", 145'950, kTen);  // -32,400 in all: 3.24%
  CHECK(h.engine.daily_pnl() == -32'400'00);

  const Halt halt = h.last<Halt>();
  CHECK(halt.action == "halt");
  CHECK(halt.level == "block_entries");
  CHECK(halt.trigger == "daily_loss_block");
  CHECK(halt.reason == "daily loss 3.24% of capital (32400.00) > 3.00%");
  CHECK(halt.by == "sm-risk");
  CHECK(halt.until == kNextSession);
  const Alert alert = h.last<Alert>();
  CHECK(alert.event == "kill_switch_daily_loss_block");
  CHECK(alert.severity == Severity::kWarning);
  CHECK(alert.dedup_key == "daily_loss_block:2024-03-28");
  CHECK(h.all<OrderIntent>().empty());  // no exits at 3%

  // Monitored, not re-raised.
  h.out.clear();
  h.price("INFY", 145'900, kTen + 1000);
  CHECK(h.all<Halt>().empty());

  CHECK(h.decide(entry("SBIN", 1, rupees(600)), kTen + 1000).code == "ENTRIES_BLOCKED");
  CHECK(h.decide(exit_signal("TCS", 50, 291'900), kTen + 1000).approved);

  // A person resuming acknowledges it for the day: the same loss does not block again today.
  h.engine.on_resume("", kTen + 2000);
  h.out.clear();
  h.price("INFY", 145'800, kTen + 3000);
  CHECK(h.all<Halt>().empty());
  const RiskDecision& after =
      h.decide(entry("SBIN", 1, rupees(600), kTen + 3000, "fresh"), kTen + 3000);
  INFO(after.code << " " << after.detail);
  CHECK(after.approved);
}

TEST_CASE("daily loss over 5% exits every position and halts for the day") {
  RiskConfig config = test_config();
  config.max_total_exposure = rupees(2'000'000);
  Harness h(config);
  h.fill("trend", "TCS", Side::kBuy, 200, rupees(3000), kTen - 5000);
  h.fill("trend", "INFY", Side::kBuy, 400, rupees(1500), kTen - 5000);
  h.fill("swing", "SBIN", Side::kBuy, 500, rupees(600), kTen - 5000);
  h.out.clear();
  h.price("TCS", rupees(2880), kTen);   // -24,000
  h.price("INFY", rupees(1440), kTen);  // -48,000: 4.80%, entries blocked
  REQUIRE(h.all<Halt>().size() == 1);
  CHECK(h.all<Halt>()[0].level == "block_entries");
  h.out.clear();
  h.price("SBIN", rupees(576), kTen);  // -60,000: 6.00%

  // Exits first, then the halt, then the alert.
  REQUIRE(h.out.size() == 8);
  const std::vector<RiskDecision> exits = h.all<RiskDecision>();
  const std::vector<OrderIntent> orders = h.all<OrderIntent>();
  REQUIRE(exits.size() == 3);
  REQUIRE(orders.size() == 3);
  for (const RiskDecision& d : exits) {
    CHECK(d.approved);
    CHECK(d.code == "FORCED_EXIT");
    CHECK(d.action == SignalAction::kExitLong);
    CHECK(d.signal_ts == from_ist(kDay, 0, 0));
  }
  for (const OrderIntent& o : orders) {
    CHECK(o.side == Side::kSell);
    CHECK(o.order_type == OrderType::kMarket);
    CHECK(o.client_order_id == client_order_id(o.strategy, o.symbol, from_ist(kDay, 0, 0),
                                               "force_exit:daily_loss_halt"));
  }
  CHECK(orders[0].symbol == "SBIN");  // positions in (strategy, symbol) order
  CHECK(orders[0].qty == 500);
  CHECK(orders[1].symbol == "INFY");
  CHECK(orders[1].qty == 400);
  CHECK(orders[2].symbol == "TCS");
  CHECK(orders[2].qty == 200);
  CHECK(std::holds_alternative<Halt>(h.out[6]));
  const Halt halt = std::get<Halt>(h.out[6]);
  CHECK(halt.level == "halt");
  CHECK(halt.trigger == "daily_loss_halt");
  CHECK(halt.until == kNextSession);
  REQUIRE(std::holds_alternative<Alert>(h.out[7]));
  const Alert alert = std::get<Alert>(h.out[7]);
  CHECK(alert.severity == Severity::kCritical);
  CHECK(alert.event == "kill_switch_daily_loss_halt");
  CHECK(alert.text ==
        "daily loss 6.00% of capital (60000.00) > 5.00%: exiting 3 position(s), halted until "
        "2024-04-01 09:00:00 IST");

  // Nothing new until then, not even exits; the exits are not sent twice.
  h.out.clear();
  h.price("SBIN", rupees(570), kTen + 1000);
  CHECK(h.all<OrderIntent>().empty());
  CHECK(h.decide(exit_signal("TCS", 0, rupees(2880), kTen + 1000), kTen + 1000).code ==
        "TRADING_HALTED");

  // Both daily halts lift at the next session start; the new day starts its P&L afresh.
  h.heartbeat("sm-order", "ok", kNextSession);
  h.out.clear();
  h.engine.evaluate(kNextSession, h.out);
  const std::vector<Halt> resumed = h.all<Halt>();
  REQUIRE(resumed.size() == 2);
  CHECK(resumed[0].action == "resume");
  CHECK(resumed[1].action == "resume");
  CHECK(h.engine.state().halts.empty());
  CHECK(h.engine.daily_pnl() == 0);
  const TimestampMs monday = from_ist(Date{2024, 4, 1}, 10, 0);
  h.heartbeat("sm-order", "ok", monday);
  h.price("WIPRO", rupees(500), monday);
  const RiskDecision& monday_entry =
      h.decide(entry("WIPRO", 10, rupees(500), monday, "fresh"), monday);
  INFO(monday_entry.code << " " << monday_entry.detail);
  CHECK(monday_entry.approved);
}

TEST_CASE("an unrealised loss over 5% on one position forces its exit once") {
  Harness h;
  h.fill("trend", "TCS", Side::kBuy, 100, rupees(3000), kTen - 5000);
  h.out.clear();
  h.price("TCS", rupees(2860), kTen);  // -4.67%
  CHECK(h.out.empty());
  h.price("TCS", rupees(2840), kTen + 1000);  // -5.33% (daily loss only 1.6%)
  const std::vector<OrderIntent> orders = h.all<OrderIntent>();
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].side == Side::kSell);
  CHECK(orders[0].qty == 100);
  CHECK(orders[0].client_order_id ==
        client_order_id("trend", "TCS", kTen - 5000, "force_exit:position_loss"));
  const RiskDecision d = h.last<RiskDecision>();
  CHECK(d.code == "FORCED_EXIT");
  CHECK(d.detail ==
        "trigger=position_loss, qty=100: trend TCS: unrealised loss 5.33% (16000.00) > 5.00%, "
        "qty=100, average=3000.00, last=2840.00");
  const Alert alert = h.last<Alert>();
  CHECK(alert.event == "kill_switch_position_loss");
  CHECK(alert.severity == Severity::kCritical);
  CHECK(h.all<Halt>().empty());

  h.out.clear();
  h.price("TCS", rupees(2800), kTen + 2000);
  CHECK(h.out.empty());  // once per position
  CHECK(h.decide(entry("INFY", 1, rupees(1500), kTen + 2000), kTen + 2000).approved);
}

TEST_CASE("more than 50 order requests in 5 minutes pauses until a person resumes") {
  RiskConfig config = test_config();
  config.max_orders_per_minute = 1000;
  Harness h(config);
  for (int i = 0; i < 50; ++i) {
    const TimestampMs now = kTen + i * 5000;
    h.heartbeat("sm-order", "ok", now);
    h.price("SBIN", rupees(600), now);
    REQUIRE(h.decide(entry("SBIN", 1, rupees(600), now, numbered("bot", i)), now).approved);
  }
  const TimestampMs now = kTen + 250'000;
  h.heartbeat("sm-order", "ok", now);
  h.out.clear();
  const RiskDecision& denied = h.decide(entry("SBIN", 1, rupees(600), now, "bot50"), now);
  CHECK(denied.code == "ORDER_RATE_PAUSE");
  CHECK(denied.detail == "requests_last_5_minutes=51, max=50");
  const Halt pause = h.last<Halt>();
  CHECK(pause.level == "pause");
  CHECK(pause.trigger == "order_rate");
  CHECK(pause.until == 0);
  CHECK(h.last<Alert>().event == "kill_switch_order_rate");

  // Still paused an hour later: only a person lifts it.
  const TimestampMs later = now + kMsPerHour;
  h.heartbeat("sm-order", "ok", later);
  h.price("SBIN", rupees(600), later);
  h.engine.evaluate(later, h.out);
  CHECK(h.decide(entry("SBIN", 1, rupees(600), later, "late"), later).code == "TRADING_PAUSED");
  h.engine.on_resume("", later + 1);
  CHECK(h.decide(entry("SBIN", 1, rupees(600), later + 1, "after"), later + 1).approved);
}

TEST_CASE("broker disconnected for more than 30 s halts and alerts") {
  Harness h;
  h.heartbeat("sm-order", "degraded", kTen);
  h.out.clear();
  h.engine.evaluate(kTen + 30'000, h.out);
  CHECK(h.out.empty());
  h.engine.evaluate(kTen + 30'001, h.out);
  const Halt halt = h.last<Halt>();
  CHECK(halt.level == "halt");
  CHECK(halt.trigger == "broker_disconnected");
  CHECK(halt.until == 0);
  CHECK(halt.reason ==
        "broker not connected for 30.001s (status degraded from sm-order since "
        "2024-03-28T04:30:00.000Z) > 30s");
  CHECK(h.last<Alert>().event == "kill_switch_broker_disconnected");
  h.heartbeat("sm-order", "ok", kTen + 40'000);
  h.price("SBIN", rupees(600), kTen + 40'000);
  CHECK(h.decide(entry("SBIN", 1, rupees(600), kTen + 40'000), kTen + 40'000).code ==
        "TRADING_HALTED");

  SECTION("a silent broker component counts too") {
    Harness silent;
    silent.out.clear();
    silent.engine.evaluate(kTen - 1000 + 30'001, silent.out);
    CHECK(silent.last<Halt>().trigger == "broker_disconnected");
  }
  SECTION("not outside market hours") {
    Harness evening;
    const TimestampMs six = at(18, 0);
    evening.heartbeat("sm-order", "stopping", six);
    evening.out.clear();
    evening.engine.evaluate(six + 3'600'000, evening.out);
    CHECK(evening.all<Halt>().empty());
  }
}

TEST_CASE("a feed whose source is disconnected for more than 30 s halts with feed_disconnected") {
  Harness h;
  const auto feed_beat = [&](const std::string& status, const std::string& detail, TimestampMs ts) {
    Heartbeat hb;
    hb.ts = ts;
    hb.component = "sm-ingest";
    hb.status = status;
    hb.detail = detail;
    h.engine.on_heartbeat(hb, ts, h.out);
  };
  feed_beat("degraded", R"({"connected":true,"stale":[{"symbol":"SBIN"}]})", kTen);
  h.heartbeat("sm-order", "ok", kTen + 20'000);
  feed_beat("degraded", R"({"connected":true,"stale":[{"symbol":"SBIN"}]})", kTen + 20'000);
  h.engine.evaluate(kTen + 45'000, h.out);  // stale symbols alone are not a disconnect
  CHECK(h.all<Halt>().empty());

  const std::string down = R"({"connected":false,"disconnected_since":"2024-03-28T04:31:00.000Z"})";
  h.heartbeat("sm-order", "ok", kTen + 61'000);
  feed_beat("degraded", down, kTen + 61'000);  // 04:31 UTC is kTen + 60 s
  h.heartbeat("sm-order", "ok", kTen + 90'000);
  h.engine.evaluate(kTen + 90'000, h.out);
  CHECK(h.all<Halt>().empty());
  feed_beat("degraded", down, kTen + 90'001);
  const Halt halt = h.last<Halt>();
  CHECK(halt.trigger == "feed_disconnected");
  CHECK(halt.level == "halt");
  CHECK(halt.reason ==
        "market data feed down for 30.001s (source disconnected from sm-ingest since "
        "2024-03-28T04:31:00.000Z) > 30s");
  CHECK(h.last<Alert>().event == "kill_switch_feed_disconnected");

  SECTION("a stopped feed counts too; a silent one or one that never beat does not") {
    Harness other;
    other.heartbeat("sm-order", "ok", kTen + 120'000);
    other.engine.evaluate(kTen + 120'000, other.out);
    CHECK(other.all<Halt>().empty());
    Heartbeat hb;
    hb.ts = kTen;
    hb.component = "sm-ingest";
    hb.detail = R"({"connected":true})";
    other.engine.on_heartbeat(hb, kTen, other.out);
    other.engine.evaluate(kTen + 120'001, other.out);  // silent for 120 s: HEARTBEAT_STALE's job
    CHECK(other.all<Halt>().empty());
    hb.ts = kTen + 120'001;
    hb.status = "stopping";
    other.engine.on_heartbeat(hb, kTen + 120'001, other.out);
    other.heartbeat("sm-order", "ok", kTen + 150'002);
    other.engine.evaluate(kTen + 150'002, other.out);
    CHECK(other.last<Halt>().trigger == "feed_disconnected");
  }
}

TEST_CASE("critical-path latency over the limit on consecutive signals blocks entries") {
  RiskConfig config = test_config();
  config.latency_halt_ms = 2000;
  config.latency_breach_count = 3;
  Harness h(config);
  const auto slow = [&](const std::string& strategy, TimestampMs now) {
    return h.decide(entry("SBIN", 1, rupees(600), now - 2500, strategy), now).code;
  };
  CHECK(slow("a", kTen) == "APPROVED");
  CHECK(slow("b", kTen + 10) == "APPROVED");
  CHECK(h.decide(entry("SBIN", 1, rupees(600), kTen + 20, "fast"), kTen + 20).approved);  // resets
  CHECK(slow("c", kTen + 30) == "APPROVED");
  CHECK(slow("d", kTen + 40) == "APPROVED");
  CHECK(h.all<Halt>().empty());
  CHECK(slow("e", kTen + 50) == "APPROVED");
  const Halt halt = h.last<Halt>();
  CHECK(halt.level == "block_entries");
  CHECK(halt.trigger == "latency");
  CHECK(halt.until == 0);
  CHECK(halt.reason ==
        "critical-path latency 2500 ms > 2000 ms on 3 signals in a row (signal time to decision)");
  CHECK(h.last<Alert>().event == "kill_switch_latency");
  CHECK(h.decide(entry("SBIN", 1, rupees(600), kTen + 60, "f"), kTen + 60).code ==
        "ENTRIES_BLOCKED");
}

TEST_CASE("more than N unexpected errors in a minute halts and alerts") {
  RiskConfig config = test_config();
  config.max_errors_per_minute = 3;
  Harness h(config);
  h.out.clear();
  for (int i = 0; i < 3; ++i) h.engine.on_error(kTen + i, kTen + i, h.out);
  CHECK(h.out.empty());
  // Errors older than a minute have left the window.
  h.engine.on_error(kTen + 60'000, kTen + 60'000, h.out);
  CHECK(h.out.empty());
  for (int i = 1; i <= 3; ++i) h.engine.on_error(kTen + 60'000 + i, kTen + 60'000 + i, h.out);
  const Halt halt = h.last<Halt>();
  CHECK(halt.level == "halt");
  CHECK(halt.trigger == "error_rate");
  CHECK(halt.reason == "4 unexpected errors in the last minute > 3");
  CHECK(h.last<Alert>().event == "kill_switch_error_rate");
  // After a person resumes, only new errors count.
  h.engine.on_resume("halt", kTen + 61'000);
  h.out.clear();
  h.engine.on_error(kTen + 62'000, kTen + 62'000, h.out);
  CHECK(h.out.empty());
}
