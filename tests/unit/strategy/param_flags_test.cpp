#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strategy/params.h"

using sm::strategy::parse_param_flags;

TEST_CASE("parse_param_flags reads name=value texts, values as JSON when they parse") {
  auto params = parse_param_flags(
      {"fast=10", "band=0.5", "sizing=fixed_qty", "stops=true", "note=a=b", "fast=12"});
  REQUIRE(params.ok());
  CHECK((*params)["fast"] == 12);  // a later name replaces an earlier one
  CHECK((*params)["band"] == 0.5);
  CHECK((*params)["sizing"] == "fixed_qty");
  CHECK((*params)["stops"] == true);
  CHECK((*params)["note"] == "a=b");  // only the first '=' separates
  CHECK(parse_param_flags({})->empty());
}

TEST_CASE("parse_param_flags refuses a text without a name or '=', naming it") {
  for (const std::string& bad : {std::string("fast"), std::string("=10")}) {
    auto params = parse_param_flags({bad});
    REQUIRE_FALSE(params.ok());
    CHECK(params.status().code() == sm::ErrorCode::kInvalidArgument);
    CHECK(params.status().message().find("'" + bad + "'") != std::string::npos);
  }
}
