// The risk engine behind the backtest's gate: denials, approvals with the engine's order ids,
// cancelled orders releasing exposure, and kill-switch exits handed to the engine.
#include <catch2/catch.hpp>

#include "backtest/engine.h"
#include "backtest/risk_gate.h"
#include "strategy/strategy.h"
#include "support/temp_dir.h"
#include "time/bar_time.h"
#include "time/calendar.h"

using namespace sm;

namespace {

risk::RiskConfig config() {
  risk::RiskConfig c;
  c.capital = 10'000'000'00;
  c.max_order_qty = 50;
  c.max_order_value = 10'000'000'00;
  c.session_checks = false;
  c.max_symbol_exposure = 10'000'000'00;
  c.max_total_exposure = 10'000'000'00;
  c.max_open_positions = 1;
  c.position_loss_exit_bps = 500;
  REQUIRE(risk::validate(c).ok());
  return c;
}

Bar day_bar(int day, Paise close, const std::string& symbol = "TCS") {
  Bar b;
  b.ts = from_ist(add_days(Date{2024, 1, 1}, day), 9, 15);
  b.symbol = symbol;
  b.timeframe = Timeframe{Timeframe::kDailyMinutes};
  b.open = b.high = b.low = b.close = close;
  return b;
}

Signal entry(const Bar& bar, Quantity qty, const std::string& symbol = "TCS") {
  Signal s;
  s.ts = time::bar_known_at(bar);
  s.strategy = "sma-cross";
  s.symbol = symbol;
  s.action = SignalAction::kEnterLong;
  s.qty = qty;
  s.price = bar.close;
  return s;
}

}  // namespace

TEST_CASE("the risk gate denies what the risk engine denies and approves the rest",
          "[backtest][risk]") {
  backtest::RiskGate gate(config(), nullptr, "test");
  Bar bar = day_bar(0, 100000);
  gate.on_bar(bar);
  backtest::GateDecision too_big = gate.review(entry(bar, 100), {});
  CHECK_FALSE(too_big.approved);
  CHECK(too_big.code == "MAX_ORDER_QTY_EXCEEDED");
  // Each signal is decided once (a repeat is a duplicate), so the next ones are on later bars.
  Bar next = day_bar(1, 100000);
  gate.on_bar(next);
  backtest::GateDecision ok = gate.review(entry(next, 40), {});
  CHECK(ok.approved);
  CHECK(ok.client_order_id.rfind("sm", 0) == 0);
  // The order is pending: a second symbol would exceed max_open_positions = 1 ...
  Bar other = day_bar(1, 100000, "INFY");
  gate.on_bar(other);
  CHECK(gate.review(entry(other, 10, "INFY"), {}).code == "MAX_OPEN_POSITIONS_EXCEEDED");
  // ... until the backtest reports the order ended unfilled.
  backtest::OrderDone done{ok.client_order_id, "sma-cross",          "TCS", Side::kBuy, 40, 0,
                           "CANCELLED",        day_bar(2, 100000).ts};
  gate.on_order_done(done);
  Bar later = day_bar(2, 100000, "INFY");
  gate.on_bar(later);
  CHECK(gate.review(entry(later, 10, "INFY"), {}).approved);
  CHECK(gate.name() == "risk:test");
}

TEST_CASE("a position-loss kill switch becomes a forced exit for the engine", "[backtest][risk]") {
  backtest::RiskGate gate(config(), nullptr, "test");
  Bar bar = day_bar(0, 100000);
  gate.on_bar(bar);
  backtest::GateDecision ok = gate.review(entry(bar, 40), {});
  REQUIRE(ok.approved);
  Fill fill;
  fill.ts = day_bar(1, 100000).ts;
  fill.client_order_id = ok.client_order_id;
  fill.trade_id = "t1";
  fill.strategy = "sma-cross";
  fill.symbol = "TCS";
  fill.side = Side::kBuy;
  fill.qty = 40;
  fill.price = 100000;
  gate.on_fill(fill, {});
  CHECK(gate.take_forced_exits().empty());
  gate.on_bar(day_bar(1, 90000));  // -10 % > 5 %
  std::vector<backtest::ForcedExit> forced = gate.take_forced_exits();
  REQUIRE(forced.size() == 1);
  CHECK(forced[0].symbol == "TCS");
  CHECK(forced[0].qty == 40);
  CHECK(forced[0].code == "FORCED_EXIT");
  CHECK(forced[0].client_order_id.rfind("sm", 0) == 0);
  CHECK(gate.take_forced_exits().empty());
  bool alert = false;
  for (const Message& m : gate.events()) alert = alert || std::holds_alternative<Alert>(m);
  CHECK(alert);
}

TEST_CASE("a daily-loss halt lifts at the next session's first bar, as sm-risk lifts it",
          "[backtest][risk]") {
  // sm-risk looks at expired halts before every message, bars included; the gate did so only
  // at signals, so a halted backtest stayed halted (and refused forced exits) until the next one.
  Result<time::Calendar> calendar = time::Calendar::parse(
      "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
      "closing_session_end,source\n"
      "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test\n"
      "2024,year_covered,2024 holidays,,,,,,,test\n",
      "test-calendar");
  REQUIRE(calendar.ok());
  risk::RiskConfig c = config();
  c.capital = 100'000'00;  // 1 lakh: a 10,000 loss is 10 %
  c.max_order_value = 100'000'00;
  c.max_symbol_exposure = 100'000'00;
  c.max_total_exposure = 100'000'00;
  REQUIRE(risk::validate(c).ok());
  backtest::RiskGate gate(c, &*calendar, "test");
  Bar monday = day_bar(0, 100000);
  gate.on_bar(monday);
  backtest::GateDecision ok = gate.review(entry(monday, 50), {});
  REQUIRE(ok.approved);
  Fill fill;
  fill.ts = time::bar_known_at(monday);
  fill.client_order_id = ok.client_order_id;
  fill.trade_id = "t1";
  fill.strategy = "sma-cross";
  fill.symbol = "TCS";
  fill.side = Side::kBuy;
  fill.qty = 50;
  fill.price = 100000;
  gate.on_fill(fill, {});
  gate.on_bar(day_bar(1, 80000));  // Tuesday: -10,000 = 10 % of capital > 5 %: halt
  auto halts = [&](const std::string& action) {
    std::vector<Halt> found;
    for (const Message& m : gate.events()) {
      if (const Halt* h = std::get_if<Halt>(&m); h != nullptr && h->action == action) {
        found.push_back(*h);
      }
    }
    return found;
  };
  REQUIRE(halts("halt").size() == 1);
  CHECK(halts("halt")[0].until == from_ist(Date{2024, 1, 3}, 9, 0));
  CHECK(halts("resume").empty());
  Bar wednesday = day_bar(2, 80000);
  gate.on_bar(wednesday);  // no signal on Wednesday: the bar alone ends the halt
  REQUIRE(halts("resume").size() == 1);
  CHECK(halts("resume")[0].ts == time::bar_known_at(wednesday));
}

TEST_CASE("a risk configuration file that is missing or invalid is a config error",
          "[backtest][risk]") {
  CHECK(backtest::load_backtest_risk_config("/nonexistent/risk.jsonc").status().code() ==
        ErrorCode::kConfigError);
}

TEST_CASE("a risk configuration file with an unknown key or section is a config error naming both",
          "[backtest][risk]") {
  testing::TempDir dir;
  const std::string typo =
      dir.write("typo.jsonc", R"({"risk": {"capital": "100000", "max_ordr_qty": 5}})");
  Result<risk::RiskConfig> key = backtest::load_backtest_risk_config(typo);
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(key.status().message(), Catch::Contains(typo) && Catch::Contains("risk.max_ordr_qty"));

  const std::string section = dir.write("section.jsonc", R"({"riks": {"capital": "100000"}})");
  Result<risk::RiskConfig> unknown = backtest::load_backtest_risk_config(section);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(unknown.status().message(), Catch::Contains(section) && Catch::Contains("riks"));
}
