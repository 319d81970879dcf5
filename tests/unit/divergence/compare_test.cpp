#include "divergence/compare.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sm::divergence::compare_day;
using sm::divergence::LiveDay;
using sm::divergence::Report;
using sm::divergence::Thresholds;

namespace {

constexpr sm::TimestampMs kBar = 1'700'000'000'000;  // the deciding bar
constexpr sm::TimestampMs kDecided = kBar + 60'000;

sm::Signal signal(std::string symbol, sm::SignalAction action, sm::Quantity qty, sm::Paise price,
                  sm::TimestampMs ts = kBar) {
  sm::Signal s;
  s.ts = ts;
  s.strategy = "sma";
  s.symbol = std::move(symbol);
  s.action = action;
  s.qty = qty;
  s.price = price;
  return s;
}

sm::RiskDecision approve(const sm::Signal& s, std::string client_order_id) {
  sm::RiskDecision d;
  d.ts = kDecided;
  d.strategy = s.strategy;
  d.symbol = s.symbol;
  d.action = s.action;
  d.signal_ts = s.ts;
  d.approved = true;
  d.code = "APPROVED";
  d.client_order_id = std::move(client_order_id);
  return d;
}

sm::Fill fill(const std::string& client_order_id, const sm::Signal& s, sm::Quantity qty,
              sm::Paise price, sm::TimestampMs ts = kDecided + 1000) {
  sm::Fill f;
  f.ts = ts;
  f.client_order_id = client_order_id;
  f.trade_id = client_order_id + "-" + std::to_string(ts);
  f.strategy = s.strategy;
  f.symbol = s.symbol;
  f.side = s.action == sm::SignalAction::kEnterLong ? sm::Side::kBuy : sm::Side::kSell;
  f.qty = qty;
  f.price = price;
  return f;
}

// A day with a buy of 100 TCS at 3000.00 and a sell of 50 INFY at 1500.00, both approved and
// filled in full at their signal prices within a second; closes 3010.00 and 1490.00.
LiveDay clean_day() {
  LiveDay day;
  const sm::Signal buy = signal("TCS", sm::SignalAction::kEnterLong, 100, 300'000);
  const sm::Signal sell = signal("INFY", sm::SignalAction::kExitLong, 50, 150'000);
  day.signals = {buy, sell};
  day.decisions = {approve(buy, "o1"), approve(sell, "o2")};
  day.fills = {fill("o1", buy, 100, 300'000), fill("o2", sell, 50, 150'000)};
  day.order_qty = {{"o1", 100}, {"o2", 50}};
  day.closes = {{"TCS", 301'000}, {"INFY", 149'000}};
  return day;
}

}  // namespace

TEST_CASE("a day executed exactly as the replay expects shows no divergence") {
  const LiveDay day = clean_day();
  const Report r = compare_day("2023-11-14", day, day.signals, Thresholds{});
  CHECK_FALSE(r.diverged());
  CHECK(r.breaches.empty());
  CHECK(r.missed_signals.empty());
  CHECK(r.extra_signals.empty());
  REQUIRE(r.orders.size() == 2);
  CHECK(r.fills_missed == 0);
  CHECK(r.fills_late == 0);
  CHECK(r.slippage_bps_mean == 0);
  CHECK(r.slippage_bps_worst == 0);
  CHECK(r.pnl_difference == 0);
  CHECK(r.orders[0].delay_ms == 1000);
}

TEST_CASE("slippage is in basis points, positive when worse for us, and costs P&L") {
  LiveDay day = clean_day();
  // TCS bought at 3006.00 instead of 3000.00: 20 bps worse, 100 * 6.00 = 600.00 rupees less.
  day.fills[0].price = 300'600;
  // INFY sold at 1501.50 instead of 1500.00: 10 bps better, 50 * 1.50 = 75.00 rupees more.
  day.fills[1].price = 150'150;
  Thresholds limits;
  limits.max_slippage_bps = 15;
  const Report r = compare_day("2023-11-14", day, day.signals, limits);
  REQUIRE(r.orders.size() == 2);
  CHECK(r.orders[0].slippage_bps == Approx(20.0));
  CHECK(r.orders[1].slippage_bps == Approx(-10.0));
  CHECK(r.slippage_bps_worst == Approx(20.0));
  CHECK(r.slippage_bps_mean == Approx((20.0 * 100 - 10.0 * 50) / 150));
  CHECK(r.pnl_difference == -60'000 + 7'500);
  REQUIRE(r.breaches.size() == 1);
  CHECK(r.breaches[0] == "slippage 20.0 bps > 15.0");
}

TEST_CASE("an approved order with no fill is a missed fill; its expected P&L is the difference") {
  LiveDay day = clean_day();
  day.fills.erase(day.fills.begin());  // TCS never filled (rejected by the broker)
  const Report r = compare_day("2023-11-14", day, day.signals, Thresholds{});
  CHECK(r.fills_missed == 1);
  CHECK(r.orders[0].missed);
  CHECK(r.orders[0].filled_qty == 0);
  CHECK_FALSE(r.orders[0].delay_ms.has_value());
  // Expected: 100 bought at 3000.00 marked to 3010.00 = +1,000.00 rupees, which live lacks.
  CHECK(r.pnl_difference == -100'000);
  CHECK(r.diverged());
  nlohmann::json json = nlohmann::json::parse(sm::divergence::report_json(r));
  CHECK(json["type"] == "divergence");
  CHECK(json["fills_missed"] == 1);
  CHECK(json["orders"][0]["average_price"].is_null());
  CHECK(json["pnl_difference"] == -1000.0);
}

TEST_CASE("a partial fill is missed, an order never placed counts its signal's quantity") {
  LiveDay day = clean_day();
  day.fills[0].qty = 40;
  day.order_qty.erase("o2");
  day.fills.pop_back();
  const Report r = compare_day("2023-11-14", day, day.signals, Thresholds{});
  CHECK(r.orders[0].missed);
  CHECK(r.orders[0].filled_qty == 40);
  CHECK(r.orders[1].ordered_qty == 50);
  CHECK(r.fills_missed == 2);
}

TEST_CASE("a fill later than late_fill_ms after the decision is late") {
  LiveDay day = clean_day();
  day.fills[0].ts = kDecided + 90'000;
  Thresholds limits;
  limits.late_fill_ms = 60'000;
  const Report r = compare_day("2023-11-14", day, day.signals, limits);
  CHECK(r.orders[0].late);
  CHECK(r.orders[0].delay_ms == 90'000);
  CHECK(r.fills_late == 1);
  CHECK(r.diverged());
  limits.max_late_fills = 1;
  CHECK_FALSE(compare_day("2023-11-14", day, day.signals, limits).diverged());
}

TEST_CASE("signals the replay expects but live lacks are missed; the converse extra") {
  LiveDay day = clean_day();
  std::vector<sm::Signal> expected = day.signals;
  expected.push_back(signal("WIPRO", sm::SignalAction::kEnterLong, 10, 40'000));
  // Live gave INFY at another quantity: one missed (the expected one), one extra (the live one).
  expected[1].qty = 60;
  const Report r = compare_day("2023-11-14", day, expected, Thresholds{});
  REQUIRE(r.missed_signals.size() == 2);
  CHECK(r.missed_signals[0].signal.symbol == "INFY");
  CHECK(r.missed_signals[1].signal.symbol == "WIPRO");
  REQUIRE(r.extra_signals.size() == 1);
  CHECK(r.extra_signals[0].signal.qty == 50);
  CHECK(r.breaches.front() == "signals missed or extra 3 > 0");
}

TEST_CASE("missed and extra signals are priced: the backtest's trade and the live fills") {
  // Closes: TCS 3010.00, INFY 1490.00, WIPRO 398.00, HDFC 1610.00.
  LiveDay day = clean_day();
  day.closes["WIPRO"] = 39'800;
  day.closes["HDFC"] = 161'000;
  std::vector<sm::Signal> expected = day.signals;
  // Missed: the replay bought 20 HDFC at 1600.00 at 10:00; live never did. Held to 1610.00 the
  // backtest's trade made 20 * 10.00 = +200.00 rupees.
  expected.push_back(signal("HDFC", sm::SignalAction::kEnterLong, 20, 160'000));
  // Extra: live bought 30 WIPRO at 400.00 (filled at 400.50), which the replay never did. Marked
  // to 398.00 the live trade made 30 * -2.50 = -75.00 rupees.
  const sm::Signal wipro = signal("WIPRO", sm::SignalAction::kEnterLong, 30, 40'000);
  day.signals.push_back(wipro);
  day.decisions.push_back(approve(wipro, "o3"));
  day.fills.push_back(fill("o3", wipro, 30, 40'050));
  day.order_qty["o3"] = 30;
  // Extra and denied: nothing traded, nothing made.
  const sm::Signal denied = signal("TCS", sm::SignalAction::kExitLong, 100, 300'500);
  day.signals.push_back(denied);
  sm::RiskDecision no = approve(denied, "");
  no.approved = false;
  day.decisions.push_back(no);
  // And the matched TCS buy filled 1.00 worse: 100 * -1.00 = -100.00 rupees against the replay.
  day.fills[0].price = 300'100;

  const Report r = compare_day("2023-11-14", day, expected, Thresholds{});
  REQUIRE(r.missed_signals.size() == 1);
  CHECK(r.missed_signals[0].signal.symbol == "HDFC");
  CHECK(r.missed_signals[0].pnl == 20'000);
  REQUIRE(r.extra_signals.size() == 2);
  CHECK(r.extra_signals[0].signal.symbol == "WIPRO");
  CHECK(r.extra_signals[0].pnl == -7'500);
  CHECK(r.extra_signals[1].pnl == 0);
  CHECK(r.pnl_missed_signals == 20'000);
  CHECK(r.pnl_extra_signals == -7'500);
  REQUIRE(r.orders.size() == 3);
  CHECK_FALSE(r.orders[0].extra);
  CHECK(r.orders[0].pnl_difference == -10'000);
  CHECK(r.orders[2].extra);
  CHECK(r.orders[2].pnl_difference == -7'500);
  // Live minus expected: -100.00 (TCS) + 0 (INFY) - 75.00 (WIPRO, live only) - 200.00 (HDFC,
  // backtest only) = -375.00 rupees.
  CHECK(r.pnl_difference == -37'500);

  nlohmann::json json = nlohmann::json::parse(sm::divergence::report_json(r));
  CHECK(json["pnl_missed_signals"] == 200.0);
  CHECK(json["pnl_extra_signals"] == -75.0);
  CHECK(json["missed_signals"][0]["pnl"] == 200.0);
  CHECK(json["extra_signals"][0]["pnl"] == -75.0);
  CHECK(json["orders"][2]["extra"] == true);
  CHECK(json["pnl_difference"] == -375.0);
  nlohmann::json detail = nlohmann::json::parse(sm::divergence::to_record(r, 1).detail_json);
  CHECK(detail["pnl_missed_signals"] == 200.0);
  CHECK(detail["extra_signals"][0]["pnl"] == -75.0);
  CHECK(sm::divergence::summary_text(r).find("1 signal(s) missed (the backtest's trades made "
                                             "200.00 rupees), 2 extra (made -75.00 rupees live)") !=
        std::string::npos);
}

TEST_CASE("denied signals are not orders; P&L beyond its limit is a breach") {
  LiveDay day = clean_day();
  day.decisions[1].approved = false;
  day.decisions[1].client_order_id.clear();
  day.fills.pop_back();
  day.fills[0].price = 301'000;  // 10.00 rupees a share worse on 100: -1,000.00
  Thresholds limits;
  limits.max_slippage_bps = 100;
  limits.max_pnl_difference = 50'000;
  const Report r = compare_day("2023-11-14", day, day.signals, limits);
  CHECK(r.orders.size() == 1);
  CHECK(r.pnl_difference == -100'000);
  REQUIRE(r.breaches.size() == 1);
  CHECK(r.breaches[0] == "P&L difference -1000.00 rupees beyond 500.00");
}

TEST_CASE("the stored record carries the counts and the lists") {
  LiveDay day = clean_day();
  day.fills.pop_back();
  const Report r = compare_day("2023-11-14", day, day.signals, Thresholds{});
  const sm::store::DivergenceRecord record = sm::divergence::to_record(r, 42);
  CHECK(record.date == "2023-11-14");
  CHECK(record.computed_ms == 42);
  CHECK(record.orders_checked == 2);
  CHECK(record.fills_missed == 1);
  CHECK(record.breaches == "fills missed 1 > 0");
  nlohmann::json detail = nlohmann::json::parse(record.detail_json);
  CHECK(detail["orders"].size() == 2);
  CHECK(detail["orders"][1]["missed"] == true);
}
