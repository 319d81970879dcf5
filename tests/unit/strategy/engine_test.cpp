// The engine around every rule: bar validation, sizing of entries, pending orders, signals.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;
using nlohmann::json;
using sm::strategy::testing::make_bar;

namespace {

std::unique_ptr<Strategy> make(const std::string& name, const json& params) {
  auto made = make_strategy(name, params);
  REQUIRE(made.ok());
  return std::move(made).value();
}

// donchian(1, 1): enters when the close is above the previous high.
std::unique_ptr<Strategy> one_bar_breakout(const json& sizing = json::object()) {
  json params = sizing;
  params["entry_bars"] = 1;
  params["exit_bars"] = 1;
  return make("donchian", params);
}

}  // namespace

TEST_CASE("on_bar rejects bad bars and leaves the state unchanged", "[engine]") {
  auto strategy = one_bar_breakout();
  PositionView flat;
  REQUIRE(strategy->on_bar(make_bar(1, 10, 10, 9, 9.5), flat).ok());
  CHECK(strategy->symbol() == "TEST");

  auto same_time = strategy->on_bar(make_bar(1, 10, 12, 9, 11), flat);
  CHECK(same_time.status().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(same_time.status().message(), Catch::Contains("not after the previous bar"));
  CHECK_FALSE(strategy->on_bar(make_bar(0, 10, 12, 9, 11), flat).ok());
  auto other = strategy->on_bar(make_bar(2, 10, 12, 9, 11, "OTHER"), flat);
  CHECK_THAT(other.status().message(), Catch::Contains("trades TEST"));
  Bar inverted = make_bar(2, 10, 9, 12, 11);
  CHECK_THAT(strategy->on_bar(inverted, flat).status().message(),
             Catch::Contains("low is above high"));
  Bar zero = make_bar(2, 10, 12, 9, 11);
  zero.open = 0;
  CHECK_FALSE(strategy->on_bar(zero, flat).ok());
  PositionView short_position;
  short_position.qty = -5;
  CHECK_FALSE(strategy->on_bar(make_bar(2, 10, 12, 9, 11), short_position).ok());
  Bar nameless = make_bar(2, 10, 12, 9, 11);
  nameless.symbol.clear();
  CHECK_FALSE(strategy->on_bar(nameless, flat).ok());
  CHECK(strategy->bars_seen() == 1);

  // None of that was taken in: the next good bar still compares with the first bar's high (10).
  auto decision = strategy->on_bar(make_bar(2, 10, 12, 9, 11), flat);
  REQUIRE(decision.ok());
  CHECK(decision->action == Action::kEnterLong);
  CHECK(decision->reason == "close 11.00 above the 1-bar high 10.00");
}

TEST_CASE("no entry or exit while an order is pending", "[engine]") {
  auto strategy = one_bar_breakout();
  PositionView pending;
  pending.order_pending = true;
  REQUIRE(strategy->on_bar(make_bar(1, 10, 10, 9, 9.5), pending).ok());
  CHECK(strategy->on_bar(make_bar(2, 10, 12, 9, 11), pending)->action == Action::kHold);
  pending.qty = 100;
  CHECK(strategy->on_bar(make_bar(3, 10, 12, 5, 6), pending)->action == Action::kHold);
}

TEST_CASE("an exit sells the whole position the caller reports", "[engine]") {
  auto strategy = make("donchian", {{"entry_bars", 1}, {"exit_bars", 1}, {"qty", 100}});
  PositionView held;
  held.qty = 37;  // e.g. after a partial fill
  REQUIRE(strategy->on_bar(make_bar(1, 10, 10, 9, 9.5), held).ok());
  auto exit = strategy->on_bar(make_bar(2, 9, 9, 8, 8.5), held);
  REQUIRE(exit.ok());
  CHECK(exit->action == Action::kExitLong);
  CHECK(exit->qty == 37);
  CHECK(exit->price == 850);
}

TEST_CASE("entries are sized by the instance's sizing rule", "[engine]") {
  // Risk 1 % of a 5 % slice of 10 lakh rupees: 500 rupees; entry 11.00, stop 9.00 (the prior
  // low): 2 rupees per share -> 250 shares.
  auto strategy = one_bar_breakout({{"sizing", "risk"}, {"capital_fraction", 0.05}});
  PositionView flat;
  flat.capital = 100'000'000;
  REQUIRE(strategy->on_bar(make_bar(1, 10, 10, 9, 9.5), flat).ok());
  auto entry = strategy->on_bar(make_bar(2, 10, 12, 9.5, 11), flat);
  REQUIRE(entry.ok());
  CHECK(entry->action == Action::kEnterLong);
  CHECK(entry->stop == 900);
  CHECK(entry->qty == 250);
}

TEST_CASE("an entry sized to zero shares becomes a hold that says why", "[engine]") {
  auto strategy = one_bar_breakout({{"sizing", "risk"}});
  PositionView broke;  // capital 0
  REQUIRE(strategy->on_bar(make_bar(1, 10, 10, 9, 9.5), broke).ok());
  auto entry = strategy->on_bar(make_bar(2, 10, 12, 9.5, 11), broke);
  REQUIRE(entry.ok());
  CHECK(entry->action == Action::kHold);
  CHECK(entry->qty == 0);
  CHECK(entry->reason ==
        "entry not taken (sizing gives 0 shares): close 11.00 above the 1-bar high 10.00");

  // A rule without a usable stop under risk sizing: donchian(1, 2) has no 2-bar low yet.
  auto early = make("donchian", {{"entry_bars", 1}, {"exit_bars", 2}, {"sizing", "risk"}});
  PositionView rich;
  rich.capital = 100'000'000;
  REQUIRE(early->on_bar(make_bar(1, 10, 10, 9, 9.5), rich).ok());
  auto no_stop = early->on_bar(make_bar(2, 10, 12, 9.5, 11), rich);
  CHECK(no_stop->action == Action::kHold);
  CHECK_THAT(no_stop->reason, Catch::StartsWith("entry not taken (risk sizing needs a stop"));
}

TEST_CASE("make_signal turns a decision into the signal message", "[engine]") {
  Decision entry = Decision::enter_long(900, "close 11.00 above the 1-bar high 10.00");
  entry.qty = 250;
  entry.price = 1100;
  Bar daily = make_bar(2, 10, 12, 9.5, 11);
  Signal signal = make_signal(entry, "donchian-canary", daily);
  CHECK(signal.strategy == "donchian-canary");
  CHECK(signal.symbol == "TEST");
  CHECK(signal.action == SignalAction::kEnterLong);
  CHECK(signal.qty == 250);
  CHECK(signal.price == 1100);
  CHECK(signal.stop == 900);
  CHECK(signal.reason == entry.reason);
  CHECK(format_ist(signal.ts) == "2024-01-03 15:30:00 IST");  // a daily bar closes at 15:30 IST

  Bar five_minute = daily;
  five_minute.timeframe = Timeframe{5};
  five_minute.ts = from_ist(Date{2024, 1, 3}, 9, 15);
  Signal exit = make_signal(Decision::exit_long("x"), "i", five_minute);
  CHECK(exit.action == SignalAction::kExitLong);
  CHECK(format_ist(exit.ts) == "2024-01-03 09:20:00 IST");
}

TEST_CASE("stop_below rounds down to the NSE tick", "[engine]") {
  CHECK(stop_below(30'000, 1.234) == 29'875);  // 298.766 -> 298.76 -> 0.05 tick above 250
  CHECK(stop_below(10'000, 1.234) == 9'876);   // 98.766 -> 98.76, 0.01 tick below 250
  CHECK(stop_below(10'000, 100.0) == 0);       // nothing left above zero
  CHECK(stop_below(10'000, 0.0) == 0);         // a stop at the price is no stop
  CHECK(stop_below(10'000, std::nan("")) == 0);
}

TEST_CASE("action names are the wire names", "[engine]") {
  CHECK(action_name(Action::kHold) == "hold");
  CHECK(action_name(Action::kEnterLong) == "enter_long");
  CHECK(action_name(Action::kExitLong) == "exit_long");
}
