// Saving and restoring a strategy's state mid-stream gives exactly the decisions an uninterrupted
// instance makes, for every built-in; bad or mismatched state is refused without harm.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;
using nlohmann::json;
using sm::strategy::testing::fixture_path;
using sm::strategy::testing::make_builtin;
using sm::strategy::testing::NextOpenFills;

namespace {

void check_round_trip(const std::string& name, const json& params, Paise capital) {
  INFO(name << " " << params.dump());
  auto bars = testing::load_daily_bars(fixture_path("data/daily/TCS.csv"));
  auto original = make_builtin(name, params);
  NextOpenFills fills;
  fills.capital = capital;
  const std::size_t cut = 700;
  for (std::size_t i = 0; i < cut; ++i) fills.step(*original, bars[i]);

  std::string saved = original->save_state();
  auto restored = make_builtin(name, params);
  REQUIRE(restored->restore_state(saved).ok());
  CHECK(restored->save_state() == saved);
  CHECK(restored->bars_seen() == static_cast<std::int64_t>(cut));
  CHECK(restored->symbol() == "TCS");

  // Both continue over the rest with the same position model; every decision must be identical.
  NextOpenFills restored_fills = fills;
  int signals = 0;
  for (std::size_t i = cut; i < bars.size(); ++i) {
    Decision a = fills.step(*original, bars[i]);
    Decision b = restored_fills.step(*restored, bars[i]);
    INFO("bar " << i);
    REQUIRE(a.action == b.action);
    REQUIRE(a.qty == b.qty);
    REQUIRE(a.stop == b.stop);
    REQUIRE(a.reason == b.reason);
    if (a.action != Action::kHold) ++signals;
  }
  CHECK(signals >= 2);  // the comparison covered real entries and exits
  CHECK(original->save_state() == restored->save_state());
}

}  // namespace

TEST_CASE("every built-in resumes exactly after save and restore", "[state]") {
  check_round_trip("sma-cross", {{"fast", 10}, {"slow", 30}, {"qty", 100}}, 0);
  check_round_trip("donchian", {{"entry_bars", 20}, {"exit_bars", 10}, {"sizing", "risk"}},
                   100'000'000);
  check_round_trip("breakout", {{"sizing", "risk"}, {"capital_fraction", 0.05}}, 100'000'000);
  check_round_trip("rsi-reversion", {{"stop_atr_multiple", 3}, {"entry_below", 35}}, 0);
  check_round_trip("rsi-reversion", {{"period", 2}, {"entry_below", 10}, {"exit_above", 70}}, 0);
}

TEST_CASE("a fresh instance's state restores too", "[state]") {
  auto a = make_builtin("breakout", json::object());
  auto b = make_builtin("breakout", json::object());
  REQUIRE(b->restore_state(a->save_state()).ok());
  CHECK(b->bars_seen() == 0);
  CHECK(b->symbol().empty());
}

TEST_CASE("state from another strategy or other parameters is refused", "[state]") {
  auto bars = testing::load_daily_bars(fixture_path("data/daily/RELIANCE.csv"));
  auto sma = make_builtin("sma-cross", {{"fast", 10}, {"slow", 30}});
  NextOpenFills fills;
  for (std::size_t i = 0; i < 100; ++i) fills.step(*sma, bars[i]);
  std::string saved = sma->save_state();

  auto other_params = make_builtin("sma-cross", {{"fast", 10}, {"slow", 40}});
  Status status = other_params->restore_state(saved);
  CHECK(status.code() == ErrorCode::kConflict);
  CHECK_THAT(status.message(), Catch::Contains("\"slow\":30") && Catch::Contains("\"slow\":40"));
  CHECK(other_params->bars_seen() == 0);

  auto donchian = make_builtin("donchian", json::object());
  CHECK(donchian->restore_state(saved).code() == ErrorCode::kConflict);
}

TEST_CASE("malformed state is refused and the instance carries on unharmed", "[state]") {
  auto bars = testing::load_daily_bars(fixture_path("data/daily/WIPRO.csv"));
  auto reference = make_builtin("donchian", json::object());
  auto victim = make_builtin("donchian", json::object());
  NextOpenFills reference_fills, victim_fills;
  for (std::size_t i = 0; i < 300; ++i) {
    reference_fills.step(*reference, bars[i]);
    victim_fills.step(*victim, bars[i]);
  }
  json good = json::parse(reference->save_state());
  std::vector<std::string> bad{
      "",
      "not json",
      "[]",
      json{{"format", 2}}.dump(),
  };
  json missing_rule = good;
  missing_rule.erase("rule");
  bad.push_back(missing_rule.dump());
  json wrong_window = good;
  wrong_window["rule"]["highs"]["window"]["candidates"] = json::array({json::array({5, 100})});
  bad.push_back(wrong_window.dump());
  json wrong_type = good;
  wrong_type["rule"]["lows"]["window"]["count"] = "many";
  bad.push_back(wrong_type.dump());
  json too_big = good;
  too_big["rule"]["lows"]["window"]["period"] = 11;
  bad.push_back(too_big.dump());
  for (const auto& text : bad) {
    INFO(text.substr(0, 80));
    Status status = victim->restore_state(text);
    CHECK_FALSE(status.ok());
    CHECK((status.code() == ErrorCode::kParseError || status.code() == ErrorCode::kConflict));
  }
  for (std::size_t i = 300; i < bars.size(); ++i) {
    Decision a = reference_fills.step(*reference, bars[i]);
    Decision b = victim_fills.step(*victim, bars[i]);
    REQUIRE(a.action == b.action);
    REQUIRE(a.reason == b.reason);
  }
}
