// Making strategies by name, and parameter validation.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "strategy/registry.h"

using namespace sm;
using namespace sm::strategy;
using nlohmann::json;

namespace {

Status make_error(const std::string& name, const json& params) {
  auto made = make_strategy(name, params);
  REQUIRE_FALSE(made.ok());
  return made.status();
}

}  // namespace

TEST_CASE("the registry lists the four built-ins in name order", "[registry]") {
  std::vector<std::string> names;
  for (const auto& info : builtin_strategies()) names.push_back(info.name);
  CHECK(names == std::vector<std::string>{"breakout", "donchian", "rsi-reversion", "sma-cross"});
  for (const auto& info : builtin_strategies()) {
    INFO(info.name);
    CHECK_FALSE(info.summary.empty());
    std::set<std::string> seen;
    for (const auto& spec : all_params(info)) {
      CHECK_FALSE(spec.doc.empty());
      CHECK(seen.insert(spec.name).second);  // no parameter declared twice
    }
    // The defaults are valid.
    auto made = make_strategy(info.name, json::object());
    REQUIRE(made.ok());
    CHECK((*made)->name() == info.name);
  }
  CHECK(find_strategy("nope") == nullptr);
}

TEST_CASE("parameters take their defaults when not given", "[registry]") {
  auto made = make_strategy("sma-cross", json(nullptr));
  REQUIRE(made.ok());
  const Params& params = (*made)->params();
  CHECK(params.integer("fast") == 10);
  CHECK(params.integer("slow") == 30);
  CHECK(params.choice("sizing") == "fixed_qty");
  CHECK(params.integer("qty") == 1);
  CHECK_FALSE(params.given("fast"));
  CHECK(params.to_json()["fast"] == 10);
}

TEST_CASE("an unknown strategy name is an error listing the known ones", "[registry]") {
  Status status = make_error("sma_cross", json::object());
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("'sma_cross'") && Catch::Contains("sma-cross") &&
                                   Catch::Contains("donchian"));
}

TEST_CASE("an unknown parameter is an error naming it", "[registry]") {
  Status status = make_error("sma-cross", {{"fsat", 5}});
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(status.message(),
             Catch::Contains("unknown parameter 'fsat'") && Catch::Contains("fast, slow"));
}

TEST_CASE("an out-of-range parameter is an error naming it and its range", "[registry]") {
  Status status = make_error("sma-cross", {{"slow", 5000}});
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK(status.message() ==
        "sma-cross: parameter 'slow' must be an integer in [2, 1000], got 5000");
  CHECK_THAT(make_error("sma-cross", {{"fast", 0}}).message(), Catch::Contains("[1, 1000]"));
  CHECK_THAT(make_error("breakout", {{"stop_atr_multiple", 0}}).message(),
             Catch::Contains("'stop_atr_multiple'") && Catch::Contains("(0, 20]"));
  CHECK_THAT(make_error("rsi-reversion", {{"entry_below", 100.5}}).message(),
             Catch::Contains("'entry_below'"));
  CHECK_THAT(make_error("donchian", {{"sizing", "kelly"}}).message(),
             Catch::Contains("one of: fixed_qty, fixed_value, risk"));
}

TEST_CASE("a parameter of the wrong type is an error", "[registry]") {
  CHECK_THAT(make_error("sma-cross", {{"fast", 10.5}}).message(),
             Catch::Contains("'fast' must be an integer"));
  CHECK_THAT(make_error("sma-cross", {{"fast", "10"}}).message(), Catch::Contains("'fast'"));
  CHECK_THAT(make_error("sma-cross", {{"fast", true}}).message(), Catch::Contains("'fast'"));
  CHECK(make_strategy("sma-cross", {{"fast", 10.0}}).ok());  // a whole number written as 10.0
  CHECK_THAT(make_error("sma-cross", json::array({10, 30})).message(),
             Catch::Contains("must be a JSON object"));
  auto text = make_strategy_from_text("sma-cross", "{fast: 10}");
  CHECK(text.status().code() == ErrorCode::kInvalidArgument);
  CHECK(make_strategy_from_text("sma-cross", R"({"fast": 5, "slow": 20})").ok());
  CHECK(make_strategy_from_text("sma-cross", "").ok());
}

TEST_CASE("rules across parameters are checked", "[registry]") {
  CHECK(make_error("sma-cross", {{"fast", 30}, {"slow", 30}}).message() ==
        "sma-cross: parameter 'slow' (30) must be greater than 'fast' (30)");
  CHECK_THAT(make_error("rsi-reversion", {{"entry_below", 60}, {"exit_above", 40}}).message(),
             Catch::Contains("'exit_above'") && Catch::Contains("'entry_below'"));
  CHECK_THAT(make_error("breakout", {{"swing_strength", 5}, {"swing_lookback", 5}}).message(),
             Catch::Contains("'swing_lookback'"));
}

TEST_CASE("sizing parameters are checked against the sizing method", "[registry]") {
  CHECK_THAT(make_error("donchian", {{"sizing", "risk"}, {"qty", 10}}).message(),
             Catch::Contains("'qty' does not apply with sizing=risk"));
  CHECK_THAT(make_error("donchian", {{"risk_fraction", 0.02}}).message(),
             Catch::Contains("'risk_fraction' does not apply with sizing=fixed_qty"));
  CHECK_THAT(make_error("donchian", {{"sizing", "fixed_value"}}).message(),
             Catch::Contains("needs parameter 'value'"));
  CHECK_THAT(make_error("donchian", {{"sizing", "fixed_value"}, {"value", "100.005"}}).message(),
             Catch::Contains("'value'"));
  auto by_value = make_strategy("donchian", {{"sizing", "fixed_value"}, {"value", "50000.50"}});
  REQUIRE(by_value.ok());
  CHECK((*by_value)->sizing().value == 5'000'050);
  CHECK((*by_value)->params().to_json()["value"] == "50000.50");
  CHECK(make_strategy("donchian", {{"sizing", "fixed_value"}, {"value", 50000.5}}).ok());
  auto canary = make_strategy("breakout", {{"sizing", "risk"}, {"capital_fraction", 0.05}});
  REQUIRE(canary.ok());
  CHECK((*canary)->sizing().method == SizingMethod::kRisk);
  CHECK((*canary)->sizing().capital_fraction == 0.05);
  CHECK_THAT(make_error("breakout", {{"sizing", "risk"}, {"risk_fraction", 0}}).message(),
             Catch::Contains("(0, 1]"));
}

TEST_CASE("risk sizing needs a strategy that gives a stop", "[registry]") {
  CHECK_THAT(make_error("sma-cross", {{"sizing", "risk"}}).message(),
             Catch::Contains("sizing=risk needs a stop"));
  CHECK_FALSE(make_strategy("rsi-reversion", {{"sizing", "risk"}}).ok());
  CHECK(make_strategy("rsi-reversion", {{"sizing", "risk"}, {"stop_atr_multiple", 2}}).ok());
  CHECK(make_strategy("donchian", {{"sizing", "risk"}}).ok());
}
