// Each built-in's rule on small hand-made bar sequences, with the reference fill rule (orders
// decided at a close fill at the next open).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "strategy/registry.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;
using nlohmann::json;
using sm::strategy::testing::make_bar;
using sm::strategy::testing::make_builtin;
using sm::strategy::testing::NextOpenFills;

namespace {

// Runs bars through the strategy; returns the action of each bar.
std::vector<Action> run(Strategy& strategy, const std::vector<Bar>& bars,
                        std::vector<Decision>* decisions = nullptr) {
  NextOpenFills fills;
  std::vector<Action> actions;
  for (const Bar& bar : bars) {
    Decision d = fills.step(strategy, bar);
    actions.push_back(d.action);
    if (decisions) decisions->push_back(d);
  }
  return actions;
}

constexpr Action H = Action::kHold;
constexpr Action E = Action::kEnterLong;
constexpr Action X = Action::kExitLong;

}  // namespace

TEST_CASE("sma-cross enters on a cross up and exits on a cross down", "[rules][sma-cross]") {
  auto strategy = make_builtin("sma-cross", {{"fast", 2}, {"slow", 3}, {"qty", 7}});
  // Row 4: fast (10+12)/2 = 11 > slow 32/3; row 6: fast 11 < slow 34/3.
  std::vector<Decision> decisions;
  auto actions =
      run(*strategy, testing::bars_from_closes({10, 10, 10, 10, 12, 13, 9, 8}), &decisions);
  CHECK(actions == std::vector<Action>{H, H, H, H, E, H, X, H});
  CHECK(decisions[4].qty == 7);
  CHECK(decisions[4].stop == 0);
  CHECK(decisions[4].price == 1200);
  CHECK(decisions[4].reason == "sma(2) 11.0000 crossed above sma(3) 10.6667");
  CHECK(decisions[6].qty == 7);
  CHECK_THAT(decisions[6].reason, Catch::Contains("crossed below"));
}

TEST_CASE("sma-cross: means already apart when first defined are not a cross",
          "[rules][sma-cross]") {
  auto strategy = make_builtin("sma-cross", {{"fast", 2}, {"slow", 3}});
  CHECK(run(*strategy, testing::bars_from_closes({1, 2, 3, 4, 5, 6})) == std::vector<Action>(6, H));
}

TEST_CASE("sma-cross: an exact tie while long is not a cross down", "[rules][sma-cross]") {
  // fast 2 / slow 3 tie when the newest two closes sum to twice the one before: 12 + 8 = 2 * 10.
  auto strategy = make_builtin("sma-cross", {{"fast", 2}, {"slow", 3}});
  auto actions = run(*strategy, testing::bars_from_closes({10, 10, 10, 10, 12, 8, 17}));
  // Row 5 touches (equal means) from above while long: no exit; row 6 rises again: no re-entry.
  CHECK(actions == std::vector<Action>{H, H, H, H, E, H, H});
}

TEST_CASE("sma-cross: a tie then a rise while flat is a cross up", "[rules][sma-cross]") {
  // fast 2 / slow 3: the sign of mean(fast) - mean(slow) is that of b + c - 2a for closes a, b, c.
  // Row 2: 9 + 9 - 20 < 0; row 3: 9 + 9 - 18 = 0 (tie); row 4: 9 + 10 - 18 > 0: the cross is on
  // row 4, the first bar strictly above.
  auto strategy = make_builtin("sma-cross", {{"fast", 2}, {"slow", 3}});
  CHECK(run(*strategy, testing::bars_from_closes({10, 9, 9, 9, 10})) ==
        std::vector<Action>{H, H, H, H, E});
}

TEST_CASE("sma-cross compares the means exactly, not in floating point", "[rules][sma-cross]") {
  // fast 3 / slow 7. Row 6: sum3 = 0.60, sum7 = 1.40: equal means (0.2), but as doubles
  // (0.1 + 0.2 + 0.3) / 3 = 0.20000000000000004 > 1.4 / 7. Row 7: clearly above. Exactly, row 6
  // is a tie and row 7 a cross up; in floating point both rows would be "above" and no cross.
  auto strategy = make_builtin("sma-cross", {{"fast", 3}, {"slow", 7}});
  std::vector<double> closes{0.20, 0.20, 0.10, 0.30, 0.10, 0.20, 0.30, 0.50};
  CHECK(run(*strategy, testing::bars_from_closes(closes)) ==
        std::vector<Action>{H, H, H, H, H, H, H, E});
}

TEST_CASE("sma-cross compares exactly when the products of its sums pass 64 bits",
          "[rules][sma-cross]") {
  // The tie-then-rise case above with every close times k = 3e17 paise: the sums still fit in 64
  // bits, slow * sum(fast) (up to 3 * 2 * 10k) does not, so the comparison takes 128 bits.
  constexpr Paise k = 300'000'000'000'000'000;
  std::vector<Bar> bars;
  Date day{2024, 1, 1};
  for (Paise units : {10, 9, 9, 9, 10}) {
    const Paise close = units * k;
    bars.push_back(testing::daily_bar("TEST", day, close, close + 100, close - 100, close, 1000));
    day = add_days(day, 1);
  }
  auto strategy = make_builtin("sma-cross", {{"fast", 2}, {"slow", 3}});
  CHECK(run(*strategy, bars) == std::vector<Action>{H, H, H, H, E});
}

TEST_CASE("donchian enters above the prior N-bar high and exits below the prior M-bar low",
          "[rules][donchian]") {
  auto strategy = make_builtin("donchian", {{"entry_bars", 3}, {"exit_bars", 2}});
  std::vector<Bar> bars{
      make_bar(0, 9.5, 10, 9, 9.5),      make_bar(1, 9.5, 10, 9, 9.5), make_bar(2, 9.5, 10, 9, 9.5),
      make_bar(3, 9.9, 10.5, 9.8, 10.0),  // close 10 is not above the 3-bar high 10: strict
      make_bar(4, 10, 11, 10, 10.8),      // 10.8 > 10.5 (rows 1-3): entry, stop = low of 2-3 = 9
      make_bar(5, 10.9, 11.2, 10.5, 11),  // filled at 10.90; 11 is not below 9.8 (rows 3-4)
      make_bar(6, 10.8, 11, 9.7, 9.8),    // 9.8 < 10 (rows 4-5): exit
      make_bar(7, 9.8, 10, 9.5, 9.9),
  };
  std::vector<Decision> decisions;
  auto actions = run(*strategy, bars, &decisions);
  CHECK(actions == std::vector<Action>{H, H, H, H, E, H, X, H});
  CHECK(decisions[4].stop == 900);
  CHECK(decisions[4].reason == "close 10.80 above the 3-bar high 10.50");
  CHECK(decisions[6].reason == "close 9.80 below the 2-bar low 10.00");
}

TEST_CASE("donchian can exit on the bar its entry filled", "[rules][donchian]") {
  auto strategy = make_builtin("donchian", {{"entry_bars", 2}, {"exit_bars", 2}});
  std::vector<Bar> bars{
      make_bar(0, 10, 10, 9, 9.5), make_bar(1, 10, 10, 9, 9.5),
      make_bar(2, 10, 11, 10, 10.5),  // entry
      make_bar(3, 9, 9.2, 8, 8.5),    // filled at 9.00, closes below the prior low 9: exit
  };
  CHECK(run(*strategy, bars) == std::vector<Action>{H, H, E, X});
}

TEST_CASE("donchian compares equal prices as equal (no breakout on a tie)", "[rules][donchian]") {
  auto strategy = make_builtin("donchian", {{"entry_bars", 1}, {"exit_bars", 1}});
  std::vector<Bar> bars{make_bar(0, 10, 10.1, 9.9, 10), make_bar(1, 10, 10.1, 10, 10.1),
                        make_bar(2, 10, 10.2, 10.05, 10.15), make_bar(3, 10, 10.2, 10.05, 10.05)};
  // Row 1 close equals the prior high: no entry. Row 2 above 10.1: entry. Row 3 close equals the
  // prior low 10.05: no exit.
  CHECK(run(*strategy, bars) == std::vector<Action>{H, H, E, H});
}

TEST_CASE("breakout enters above a confirmed swing high and exits at the ATR stop",
          "[rules][breakout]") {
  auto strategy = make_builtin(
      "breakout",
      {{"swing_strength", 1}, {"swing_lookback", 10}, {"atr_period", 2}, {"stop_atr_multiple", 1}});
  std::vector<Bar> bars{
      make_bar(0, 9.5, 10, 9, 9.5),
      make_bar(1, 10, 12, 10, 11),        // high 12 above row 0's: a swing high once confirmed
      make_bar(2, 11, 11, 10, 10.5),      // confirms it (11 <= 12)
      make_bar(3, 11, 11.5, 10.5, 11.8),  // 11.8 is not above 12
      make_bar(4, 12, 12.6, 11.5, 12.4),  // above 12: entry; ATR 1.2375 -> stop 11.16
      make_bar(5, 12.3, 11.5 + 1, 11.0, 11.2),
      make_bar(6, 11.2, 11.3, 11.0, 11.16),  // at the stop: exit
  };
  std::vector<Decision> decisions;
  auto actions = run(*strategy, bars, &decisions);
  CHECK(actions == std::vector<Action>{H, H, H, H, E, H, X});
  CHECK(decisions[4].stop == 1116);
  CHECK(decisions[4].reason == "close 12.40 above the swing high 12.00 of 3 bars ago");
  CHECK(decisions[6].reason == "close 11.16 at or below the stop 11.16");
}

TEST_CASE("breakout uses each swing high for one entry only", "[rules][breakout]") {
  auto strategy = make_builtin("breakout", {{"swing_strength", 1},
                                            {"swing_lookback", 10},
                                            {"atr_period", 2},
                                            {"stop_atr_multiple", 0.5}});
  std::vector<Bar> bars{
      make_bar(0, 9.5, 10, 9, 9.5),        make_bar(1, 10, 12, 10, 11),
      make_bar(2, 11, 11, 10, 10.5),        // swing high 12 confirmed
      make_bar(3, 11, 12.5, 11, 12.2),      // entry; ATR 1.875 -> stop 12.2 - 0.9375 = 11.26
      make_bar(4, 12, 12.6, 11, 11.1),      // stop hit: exit (highs keep rising: no new swing high)
      make_bar(5, 11.5, 12.7, 11.5, 12.3),  // above 12 again, but that swing high was used
      make_bar(6, 12.3, 12.8, 12, 12.5),
  };
  std::vector<Decision> decisions;
  CHECK(run(*strategy, bars, &decisions) == std::vector<Action>{H, H, H, E, X, H, H});
  CHECK(decisions[3].stop == 1126);
}

TEST_CASE("breakout forgets swing highs older than swing_lookback", "[rules][breakout]") {
  std::vector<Bar> bars{
      make_bar(0, 9.5, 10, 9, 9.5),      make_bar(1, 10, 12, 10, 11),
      make_bar(2, 11, 11, 10, 10.5),     make_bar(3, 11, 11.5, 10.5, 11.8),
      make_bar(4, 12, 12.6, 11.5, 12.4),  // 3 bars after the swing high of row 1
  };
  json params{{"swing_strength", 1}, {"atr_period", 2}};
  params["swing_lookback"] = 3;
  auto keeps = make_builtin("breakout", params);
  CHECK(run(*keeps, bars).back() == E);
  params["swing_lookback"] = 2;
  auto forgets = make_builtin("breakout", params);
  CHECK(run(*forgets, bars).back() == H);
}

TEST_CASE("breakout puts a stop under a position it did not enter", "[rules][breakout]") {
  auto strategy = make_builtin(
      "breakout", {{"swing_strength", 1}, {"atr_period", 2}, {"stop_atr_multiple", 1}});
  PositionView held;
  held.qty = 10;
  held.average_price = 1500;  // 15.00
  // ATR(2) over TR 2, 2 -> 2.0: stop 13.00; close 13.5 holds, close 12.9 exits.
  REQUIRE((*strategy).on_bar(make_bar(0, 14, 15, 13, 14), held).ok());
  REQUIRE((*strategy).on_bar(make_bar(1, 14, 15, 13, 14), held).ok());
  auto d2 = (*strategy).on_bar(make_bar(2, 14, 15, 13, 13.5), held);
  CHECK(d2->action == H);
  auto d3 = (*strategy).on_bar(make_bar(3, 14, 14, 12, 12.9), held);
  CHECK(d3->action == X);
  CHECK(d3->qty == 10);
  CHECK(d3->reason == "close 12.90 at or below the stop 13.00");
}

TEST_CASE("rsi-reversion enters when RSI crosses below the entry level and exits above the exit",
          "[rules][rsi-reversion]") {
  auto strategy =
      make_builtin("rsi-reversion", {{"period", 2}, {"entry_below", 30}, {"exit_above", 50}});
  // RSI(2): row 2 100, row 3 50, row 4 16.7 (cross below 30: entry), row 5 37.5, row 6 75 (exit).
  std::vector<Decision> decisions;
  auto actions =
      run(*strategy, testing::bars_from_closes({10, 11, 12, 11, 9, 9.5, 11}), &decisions);
  CHECK(actions == std::vector<Action>{H, H, H, H, E, H, X});
  CHECK(decisions[4].reason == "rsi(2) 16.67 crossed below 30");
  CHECK(decisions[4].stop == 0);
  CHECK(decisions[6].reason == "rsi(2) 75.00 above 50");
}

TEST_CASE("rsi-reversion does not enter while RSI merely stays low", "[rules][rsi-reversion]") {
  auto strategy = make_builtin("rsi-reversion", {{"period", 2}});
  // RSI is below 30 from the first defined row on (falling prices): no cross, no entry.
  CHECK(run(*strategy, testing::bars_from_closes({20, 18, 16, 14, 12, 10})) ==
        std::vector<Action>(6, H));
}

TEST_CASE("rsi-reversion exits at its ATR stop when one is set", "[rules][rsi-reversion]") {
  auto strategy =
      make_builtin("rsi-reversion", {{"period", 2}, {"stop_atr_multiple", 1}, {"atr_period", 2}});
  // ATR(2) at row 4 = 2.5 (TR 2, 2, 2, 3): stop 9 - 2.5 = 6.50. Row 5 closes at 6.40.
  std::vector<Decision> decisions;
  auto actions = run(*strategy, testing::bars_from_closes({10, 11, 12, 11, 9, 6.4}), &decisions);
  CHECK(actions == std::vector<Action>{H, H, H, H, E, X});
  CHECK(decisions[4].stop == 650);
  CHECK(decisions[5].reason == "close 6.40 at or below the stop 6.50");
}
