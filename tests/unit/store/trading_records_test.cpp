#include "store/trading_records.h"

#include <catch2/catch.hpp>

#include <tuple>
#include <vector>

#include "support/temp_database.h"

using sm::ErrorCode;
using sm::Side;
using sm::store::Database;
using sm::testing::TempDir;

namespace {

constexpr sm::TimestampMs kT0 = 1711597500000;  // 2024-03-28 09:15 IST

sm::OrderIntent make_intent(std::string id, Side side = Side::kBuy, sm::Quantity qty = 10) {
  sm::OrderIntent intent;
  intent.ts = kT0;
  intent.client_order_id = std::move(id);
  intent.strategy = "sma";
  intent.symbol = "TCS";
  intent.side = side;
  intent.qty = qty;
  intent.order_type = sm::OrderType::kLimit;
  intent.price = 400000;
  intent.signal_ts = kT0 - 60000;
  return intent;
}

sm::Fill make_fill(std::string trade_id, Side side, sm::Quantity qty, sm::Paise price,
                   std::string strategy = "sma") {
  sm::Fill fill;
  fill.ts = kT0 + 1000;
  fill.trade_id = std::move(trade_id);
  fill.strategy = std::move(strategy);
  fill.symbol = "TCS";
  fill.side = side;
  fill.qty = qty;
  fill.price = price;
  return fill;
}

using Fixture = sm::testing::TempDatabase;

}  // namespace

TEST_CASE("record_signal is idempotent on strategy, symbol, action and ts") {
  Fixture f;
  sm::Signal signal;
  signal.ts = kT0;
  signal.strategy = "sma";
  signal.symbol = "TCS";
  signal.qty = 5;
  signal.price = 400000;
  signal.reason = "cross";
  CHECK(*sm::store::record_signal(f.db, signal));
  CHECK_FALSE(*sm::store::record_signal(f.db, signal));
  signal.action = sm::SignalAction::kExitLong;
  CHECK(*sm::store::record_signal(f.db, signal));
  CHECK(*f.db.query_int64("SELECT count(*) FROM signals") == 2);
  signal.strategy.clear();
  CHECK(sm::store::record_signal(f.db, signal).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("record_risk_decision keeps the first decision per signal") {
  Fixture f;
  sm::RiskDecision decision;
  decision.ts = kT0;
  decision.strategy = "sma";
  decision.symbol = "TCS";
  decision.signal_ts = kT0 - 60000;
  decision.approved = true;
  decision.code = "APPROVED";
  decision.client_order_id = "abc123";
  CHECK(*sm::store::record_risk_decision(f.db, decision));
  decision.approved = false;
  decision.code = "MAX_ORDER_VALUE_EXCEEDED";
  CHECK_FALSE(*sm::store::record_risk_decision(f.db, decision));
  CHECK(*f.db.query_int64("SELECT approved FROM risk_decisions") == 1);
}

TEST_CASE("the denial of a malformed signal with an empty symbol is stored; an empty code is not") {
  Fixture f;
  sm::RiskDecision decision;
  decision.ts = kT0;
  decision.strategy = "sma";
  decision.signal_ts = kT0 - 60000;
  decision.code = "INVALID_SIGNAL";
  decision.detail = "strategy and symbol must be non-empty single lines";
  CHECK(*sm::store::record_risk_decision(f.db, decision));
  CHECK(*f.db.query_int64("SELECT count(*) FROM risk_decisions WHERE symbol = ''") == 1);
  decision.code.clear();
  decision.signal_ts += 1;
  CHECK(sm::store::record_risk_decision(f.db, decision).status().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("strategy state is saved, replaced and loaded, and invalid JSON is refused") {
  Fixture f;
  CHECK_FALSE(sm::store::load_strategy_state(f.db, "sma")->has_value());
  REQUIRE(sm::store::save_strategy_state(f.db, {"sma", R"({"fast":[1,2]})", kT0, 0}).ok());
  REQUIRE(sm::store::save_strategy_state(f.db, {"sma", R"({"fast":[3]})", kT0 + 60000, 0}).ok());
  auto state = sm::store::load_strategy_state(f.db, "sma");
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->state_json == R"({"fast":[3]})");
  CHECK((*state)->event_ts == kT0 + 60000);
  CHECK((*state)->updated_ms > 0);
  auto bad = sm::store::save_strategy_state(f.db, {"sma", "{not json", kT0, 0});
  CHECK(bad.code() == ErrorCode::kInvalidArgument);
}

TEST_CASE(
    "an order intent is recorded once with an audit event and a different one with the same id "
    "conflicts") {
  Fixture f;
  const sm::OrderIntent intent = make_intent("abc123");
  CHECK(*sm::store::upsert_order_intent(f.db, intent));
  CHECK_FALSE(*sm::store::upsert_order_intent(f.db, intent));
  auto order = sm::store::find_order(f.db, "abc123");
  REQUIRE(order.ok());
  REQUIRE(order->has_value());
  CHECK((*order)->status == "PENDING");
  CHECK((*order)->intent.price == 400000);
  CHECK((*order)->intent.order_type == sm::OrderType::kLimit);
  CHECK((*order)->intent.signal_ts == kT0 - 60000);
  auto events = sm::store::order_events(f.db, "abc123");
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].event == "intent_recorded");

  sm::OrderIntent other = make_intent("abc123", Side::kSell);
  auto conflict = sm::store::upsert_order_intent(f.db, other);
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.status().code() == ErrorCode::kConflict);
  CHECK(sm::store::upsert_order_intent(f.db, make_intent("")).status().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("broker updates change the order and append events, repeats write nothing") {
  Fixture f;
  REQUIRE(*sm::store::upsert_order_intent(f.db, make_intent("abc123")));
  sm::OrderUpdate update;
  update.ts = kT0 + 500;
  update.client_order_id = "abc123";
  update.broker_order_id = "240328000000001";
  update.status = "OPEN";
  update.qty = 10;
  update.pending_qty = 10;
  CHECK(*sm::store::apply_order_update(f.db, update));
  CHECK_FALSE(*sm::store::apply_order_update(f.db, update));  // same poll again
  CHECK(sm::store::list_open_orders(f.db)->size() == 1);
  CHECK(*sm::store::count_open_orders(f.db) == 1);

  update.ts = kT0 + 900;
  update.status = "COMPLETE";
  update.filled_qty = 10;
  update.pending_qty = 0;
  update.average_price = 399950;
  CHECK(*sm::store::apply_order_update(f.db, update));
  auto order = sm::store::find_order_by_broker_id(f.db, "240328000000001");
  REQUIRE(order.ok());
  REQUIRE(order->has_value());
  CHECK((*order)->status == "COMPLETE");
  CHECK((*order)->filled_qty == 10);
  CHECK((*order)->average_price == 399950);
  CHECK((*order)->updated_ms == kT0 + 900);
  CHECK(sm::store::list_open_orders(f.db)->empty());
  CHECK(*sm::store::count_open_orders(f.db) == 0);
  auto events = sm::store::order_events(f.db, "abc123");
  REQUIRE(events->size() == 3);
  CHECK((*events)[2].status == "COMPLETE");

  update.broker_order_id = "999";
  CHECK(sm::store::apply_order_update(f.db, update).status().code() == ErrorCode::kConflict);
  update.client_order_id = "nope";
  CHECK(sm::store::apply_order_update(f.db, update).status().code() == ErrorCode::kNotFound);
}

TEST_CASE("order events are append-only and need a known order") {
  Fixture f;
  REQUIRE(*sm::store::upsert_order_intent(f.db, make_intent("abc123")));
  REQUIRE(sm::store::append_order_event(
              f.db, {"abc123", kT0 + 1, "submit_requested", "PENDING", R"({"attempt":1})"})
              .ok());
  CHECK(sm::store::append_order_event(f.db, {"zzz", kT0, "submit_requested", "", "{}"}).code() ==
        ErrorCode::kNotFound);
  CHECK(sm::store::append_order_event(f.db, {"abc123", kT0, "x", "", "[1]"}).code() ==
        ErrorCode::kInvalidArgument);
  CHECK_FALSE(f.db.execute("UPDATE order_events SET event = 'forged'").ok());
  CHECK_FALSE(f.db.execute("DELETE FROM order_events").ok());
  CHECK(sm::store::order_events(f.db, "abc123")->size() == 2);
}

TEST_CASE("placement times since a moment: submit_requested events only, oldest first") {
  Fixture f;
  REQUIRE(*sm::store::upsert_order_intent(f.db, make_intent("abc123")));
  REQUIRE(*sm::store::upsert_order_intent(f.db, make_intent("abc124")));
  for (const auto& [id, ts, event] :
       std::vector<std::tuple<std::string, sm::TimestampMs, std::string>>{
           {"abc123", kT0 - 5, "submit_requested"},
           {"abc124", kT0 + 9, "submit_requested"},
           {"abc123", kT0 + 3, "submit_requested"},
           {"abc123", kT0 + 4, "broker_update"}}) {
    REQUIRE(sm::store::append_order_event(f.db, {id, ts, event, "", "{}"}).ok());
  }
  sm::Result<std::vector<sm::TimestampMs>> times = sm::store::placement_times_since(f.db, kT0);
  REQUIRE(times.ok());
  CHECK(*times == std::vector<sm::TimestampMs>{kT0 + 3, kT0 + 9});
}

TEST_CASE("fills build positions exactly with average cost, and a repeated trade counts once") {
  Fixture f;
  REQUIRE(*sm::store::upsert_order_intent(f.db, make_intent("abc123")));
  sm::Fill buy1 = make_fill("T1", Side::kBuy, 3, 100000);
  buy1.client_order_id = "abc123";
  buy1.charges = 25;
  auto first = sm::store::insert_fill(f.db, buy1);
  REQUIRE(first.ok());
  CHECK(first->inserted);
  CHECK(first->position.qty == 3);
  CHECK(first->position.cost == 300000);
  auto repeat = sm::store::insert_fill(f.db, buy1);
  REQUIRE(repeat.ok());
  CHECK_FALSE(repeat->inserted);
  CHECK(repeat->position.qty == 3);

  REQUIRE(sm::store::insert_fill(f.db, make_fill("T2", Side::kBuy, 4, 100001)).ok());
  // 7 shares cost 700004 paise (average 1000.0057...); sell 2 at 1010.00.
  auto sell = sm::store::insert_fill(f.db, make_fill("T3", Side::kSell, 2, 101000));
  REQUIRE(sell.ok());
  // cost removed = round(700004 * 2 / 7) = round(200001.14) = 200001
  CHECK(sell->realised_pnl == 202000 - 200001);
  CHECK(sell->position.qty == 5);
  CHECK(sell->position.cost == 500003);
  auto close = sm::store::insert_fill(f.db, make_fill("T4", Side::kSell, 5, 99000));
  REQUIRE(close.ok());
  CHECK(close->position.qty == 0);
  CHECK(close->position.cost == 0);
  // The round trip is exact: proceeds - cost = (202000 + 495000) - 700004.
  CHECK(close->position.realised_pnl == 202000 + 495000 - 700004);
  CHECK(close->position.charges == 25);
  CHECK(sm::store::list_positions(f.db, true)->empty());
  CHECK(sm::store::list_positions(f.db, false)->size() == 1);
  CHECK(*f.db.query_int64("SELECT count(*) FROM order_events WHERE event = 'fill'") == 1);
  CHECK(sm::store::list_fills(f.db, kT0, kT0 + 2000)->size() == 4);
}

TEST_CASE("a fill that crosses zero closes the long and opens a short at the fill price") {
  Fixture f;
  REQUIRE(sm::store::insert_fill(f.db, make_fill("T1", Side::kBuy, 2, 100000)).ok());
  auto flip = sm::store::insert_fill(f.db, make_fill("T2", Side::kSell, 5, 110000));
  REQUIRE(flip.ok());
  CHECK(flip->realised_pnl == 2 * 10000);
  CHECK(flip->position.qty == -3);
  CHECK(flip->position.cost == -330000);
  auto cover = sm::store::insert_fill(f.db, make_fill("T3", Side::kBuy, 3, 105000));
  REQUIRE(cover.ok());
  CHECK(cover->realised_pnl == 3 * 5000);
  CHECK(cover->position.qty == 0);
}

TEST_CASE("positions are kept per strategy and unattributed fills go to the empty strategy") {
  Fixture f;
  REQUIRE(sm::store::insert_fill(f.db, make_fill("T1", Side::kBuy, 2, 100000, "a")).ok());
  REQUIRE(sm::store::insert_fill(f.db, make_fill("T2", Side::kBuy, 3, 100000, "")).ok());
  auto positions = sm::store::list_positions(f.db);
  REQUIRE(positions.ok());
  REQUIRE(positions->size() == 2);
  CHECK((*positions)[0].strategy.empty());
  CHECK((*positions)[0].qty == 3);
  CHECK((*positions)[1].strategy == "a");
}

TEST_CASE("a trade id reused with different details is a conflict, and bad fills are refused") {
  Fixture f;
  REQUIRE(sm::store::insert_fill(f.db, make_fill("T1", Side::kBuy, 2, 100000)).ok());
  auto conflict = sm::store::insert_fill(f.db, make_fill("T1", Side::kBuy, 3, 100000));
  CHECK(conflict.status().code() == ErrorCode::kConflict);
  CHECK(sm::store::insert_fill(f.db, make_fill("", Side::kBuy, 2, 100000)).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(sm::store::insert_fill(f.db, make_fill("T9", Side::kBuy, 0, 100000)).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(sm::store::find_position(f.db, "sma", "TCS")->value().qty == 2);
  CHECK_FALSE(f.db.execute("DELETE FROM fills").ok());
}

TEST_CASE("trading records are refused on a connection below synchronous=FULL") {
  TempDir dir;
  sm::store::OpenOptions options;
  options.synchronous = sm::store::Synchronous::kNormal;
  auto db = Database::open(dir.file("stalk.db"), options);
  REQUIRE(db.ok());
  auto result = sm::store::insert_fill(*db, make_fill("T1", Side::kBuy, 2, 100000));
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(result.status().message(), Catch::Contains("synchronous=NORMAL"));
  CHECK(*db->query_int64("SELECT count(*) FROM fills") == 0);
}

TEST_CASE("signals and strategy states are accepted at synchronous=NORMAL (sm-signal's commit)") {
  // The risk gateway stores each signal again with its decision at FULL, and a lost state is
  // rebuilt from the bars, so these two need no fsync of their own (docs/SCHEMA.md).
  TempDir dir;
  sm::store::OpenOptions options;
  options.synchronous = sm::store::Synchronous::kNormal;
  auto db = Database::open(dir.file("stalk.db"), options);
  REQUIRE(db.ok());
  sm::Signal signal;
  signal.ts = 1'700'000'000'000;
  signal.strategy = "sma";
  signal.symbol = "TCS";
  signal.action = sm::SignalAction::kEnterLong;
  signal.qty = 1;
  auto recorded = sm::store::record_signal(*db, signal);
  REQUIRE(recorded.ok());
  CHECK(*recorded);
  sm::store::StrategyState state;
  state.strategy = "sma/TCS";
  state.state_json = "{}";
  state.event_ts = signal.ts;
  CHECK(sm::store::save_strategy_state(*db, state).ok());
  CHECK(*db->query_int64("SELECT count(*) FROM strategy_state") == 1);
}

TEST_CASE("an in-memory database (backtests) records fills whatever its synchronous setting") {
  sm::store::OpenOptions options;
  options.synchronous = sm::store::Synchronous::kOff;
  auto db = Database::open(":memory:", options);
  REQUIRE(db.ok());
  auto stored = sm::store::insert_fill(*db, make_fill("T1", Side::kBuy, 2, 100000));
  REQUIRE(stored.ok());
  CHECK(stored->position.qty == 2);
}
