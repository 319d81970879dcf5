// RuleStrategy<Rule>::decide (the backtest's inlined path) decides what Strategy::on_bar (the live
// path) decides, and reason() writes on_bar's reason, for every built-in rule.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "strategy/builtin_rules.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;

namespace {

// Both paths over the same bars, each with the position its own decisions would give (an entry
// fills its qty at once, an exit sells all): every choice, quantity, stop and reason agree, and
// so does the saved state at the end. Returns the number of entries and exits seen. stretch > 0:
// step_local and settled in runs of that many bars, the bar count and the rule's state in locals
// given back after each run and at each signal (the backtest's quiet stretch), instead of decide.
template <typename Rule>
int check_same_decisions(const nlohmann::json& params, const std::vector<Bar>& bars,
                         std::size_t stretch = 0) {
  std::unique_ptr<Strategy> live = testing::make_builtin(std::string(Rule::kName), params);
  std::unique_ptr<Strategy> made = testing::make_builtin(std::string(Rule::kName), params);
  auto* typed = dynamic_cast<RuleStrategy<Rule>*>(made.get());
  REQUIRE(typed != nullptr);
  PositionView position;
  position.capital = 10'000'000 * kPaisePerRupee;
  int signals = 0;
  Strategy::BarCount count = typed->bar_count();
  typename RuleStrategy<Rule>::Local state = typed->local();
  auto give_back = [&] {
    typed->set_bar_count(count);
    typed->set_local(state);
    CHECK(typed->bars_seen() == live->bars_seen());
    count = typed->bar_count();
    state = typed->local();
  };
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    INFO(Rule::kName << " " << format_utc(bar.ts));
    Result<Decision> expected = live->on_bar(bar, position);
    REQUIRE(expected.ok());
    const PriceBar prices = price_bar(bar);
    Choice choice;
    if (stretch == 0) {
      choice = typed->decide(prices, position);
    } else {
      CHECK(Strategy::accepts(prices, count));
      choice = typed->step_local(prices, position, state);
      if (choice.action != Action::kHold) choice = typed->settled(choice, bar.close, position);
      count = {bar.ts, count.seen + 1};
      if ((i + 1) % stretch == 0 || choice.action != Action::kHold) give_back();
    }
    CHECK(choice.action == expected->action);
    CHECK(choice.qty == expected->qty);
    if (choice.action == Action::kHold) continue;
    ++signals;
    CHECK(choice.stop == expected->stop);
    CHECK(typed->reason(choice, prices) == expected->reason);
    if (choice.action == Action::kEnterLong) {
      position.qty = choice.qty;
      position.average_price = bar.close;
    } else {
      position.qty = 0;
      position.average_price = 0;
    }
  }
  if (stretch > 0) give_back();
  CHECK(typed->bars_seen() == live->bars_seen());
  // Both refuse a bar no later than the last one taken.
  CHECK(!typed->accepts(price_bar(bars.back())));
  // The symbol is set by on_bar only, so compare the rule's part of the state.
  CHECK(nlohmann::json::parse(typed->save_state())["rule"] ==
        nlohmann::json::parse(live->save_state())["rule"]);
  return signals;
}

}  // namespace

TEST_CASE("decide and reason give what on_bar gives, for every built-in rule", "[engine]") {
  const std::vector<Bar> bars =
      testing::load_daily_bars(testing::fixture_path("data/daily/TCS.csv"));
  REQUIRE(bars.size() > 200);
  CHECK(check_same_decisions<SmaCrossRule>({{"fast", 5}, {"slow", 20}}, bars) > 10);
  CHECK(check_same_decisions<DonchianRule>({{"entry_bars", 20}, {"exit_bars", 10}}, bars) > 10);
  CHECK(check_same_decisions<BreakoutRule>({{"swing_strength", 2}, {"swing_lookback", 30}}, bars) >
        10);
  CHECK(check_same_decisions<RsiReversionRule>(
            {{"period", 14}, {"entry_below", 40}, {"exit_above", 55}, {"stop_atr_multiple", 2}},
            bars) > 10);
}

TEST_CASE(
    "step_local and settled with the bar count and the rule's state in locals decides as decide "
    "does",
    "[engine]") {
  const std::vector<Bar> bars =
      testing::load_daily_bars(testing::fixture_path("data/daily/TCS.csv"));
  CHECK(check_same_decisions<SmaCrossRule>({{"fast", 5}, {"slow", 20}}, bars, 7) > 10);
  CHECK(check_same_decisions<SmaCrossRule>({{"fast", 5}, {"slow", 20}}, bars, 1) > 10);
  CHECK(check_same_decisions<SmaCrossRule>({{"fast", 5}, {"slow", 20}}, bars, 1000) > 10);
  CHECK(check_same_decisions<DonchianRule>({{"entry_bars", 20}, {"exit_bars", 10}}, bars, 1) > 10);
  CHECK(check_same_decisions<RsiReversionRule>(
            {{"period", 14}, {"entry_below", 40}, {"exit_above", 55}, {"stop_atr_multiple", 2}},
            bars, 1000) > 10);
}

TEST_CASE("decide leaves an entry the sizing refuses a hold, as on_bar does", "[engine]") {
  // fixed_value sizing with less than one share's worth: every entry is refused.
  const std::vector<Bar> bars =
      testing::load_daily_bars(testing::fixture_path("data/daily/TCS.csv"));
  CHECK(check_same_decisions<SmaCrossRule>(
            {{"fast", 5}, {"slow", 20}, {"sizing", "fixed_value"}, {"value", 1}}, bars) == 0);
}

TEST_CASE("accepted_run stops where accepts would refuse", "[engine]") {
  std::vector<Bar> bars = testing::load_daily_bars(testing::fixture_path("data/daily/TCS.csv"));
  REQUIRE(bars.size() > 10);
  bars.resize(10);
  const Strategy::BarCount none;
  CHECK(Strategy::accepted_run({}, none) == 0);
  CHECK(Strategy::accepted_run(bars, none) == 10);
  // The count's last time: the first bar must be after it.
  CHECK(Strategy::accepted_run(bars, {bars[0].ts, 1}) == 0);
  CHECK(Strategy::accepted_run(bars, {bars[0].ts - 1, 1}) == 10);
  CHECK(Strategy::accepted_run(bars, {bars[0].ts, 0}) == 10);
  std::vector<Bar> bad = bars;
  bad[4].ts = bad[3].ts;
  CHECK(Strategy::accepted_run(bad, none) == 4);
  bad = bars;
  bad[6].open = 0;
  CHECK(Strategy::accepted_run(bad, none) == 6);
  bad = bars;
  bad[2].low = -1;
  CHECK(Strategy::accepted_run(bad, none) == 2);
  bad = bars;
  bad[9].close = 0;
  CHECK(Strategy::accepted_run(bad, none) == 9);
  bad = bars;
  bad[5].low = bad[5].high + 1;
  CHECK(Strategy::accepted_run(bad, none) == 5);
  bad = bars;
  bad[0].high = bad[0].low - 1;
  CHECK(Strategy::accepted_run(bad, none) == 0);
  // Each refused bar is one accepts() refuses after the bars before it.
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const Strategy::BarCount count =
        i == 0 ? none : Strategy::BarCount{bad[i - 1].ts, static_cast<std::int64_t>(i)};
    CHECK(Strategy::accepts(price_bar(bad[i]), count) == (i != 0));
  }
}
