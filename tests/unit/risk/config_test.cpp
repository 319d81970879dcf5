#include "risk/config.h"

#include <catch2/catch.hpp>

using namespace sm;
using namespace sm::risk;

namespace {

Result<RiskConfig> load(std::string_view text, std::vector<std::string> environment = {}) {
  Result<Config> config = Config::parse(text, "risk.json");
  REQUIRE(config.ok());
  if (!environment.empty()) REQUIRE(config->apply_overrides(environment).ok());
  return load_risk_config(*config);
}

}  // namespace

TEST_CASE("defaults are the kill-switch table's, with capital required") {
  Result<RiskConfig> missing = load("{}");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kConfigError);
  CHECK(missing.status().message().find("risk.capital") != std::string::npos);

  Result<RiskConfig> c = load(R"({"risk": {"capital": "1000000"}})");
  REQUIRE(c.ok());
  CHECK(c->capital == 10'00'000'00);
  CHECK(c->daily_loss_block_entries_bps == 300);
  CHECK(c->daily_loss_halt_bps == 500);
  CHECK(c->position_loss_exit_bps == 500);
  CHECK(c->max_orders_per_5_minutes == 50);
  CHECK(c->broker_disconnect_halt_ms == 30'000);
  CHECK(c->total_exposure_cap() == 10'00'000'00);
  CHECK(c->symbol_exposure_cap() == 2'00'000'00);
  CHECK(c->strategy_capital_bps_for("anything") == 10'000);
  CHECK(c->order_type == OrderType::kLimit);
  CHECK(c->required_components == std::vector<std::string>{"sm-order"});
}

TEST_CASE("every key is read, percentages become basis points and seconds milliseconds") {
  Result<RiskConfig> c = load(R"({"risk": {
    "capital": 500000, "max_order_qty": 50, "max_order_value": "25000.50",
    "max_orders_per_minute": 4, "max_total_exposure": 400000, "max_symbol_exposure": 90000,
    "max_open_positions": 3, "default_strategy_capital_percent": 50,
    "strategy_capital_percent": {"canary": 5, "half": 2.5},
    "price_band_percent": 1.25, "price_max_age_s": 90,
    "circuit_limits": {"SBIN": {"lower": 540, "upper": "660.00"}, "TCS": {"upper": 4000}},
    "signal_max_age_s": 30, "future_tolerance_ms": 100, "session_checks": false,
    "allow_pre_open": true, "allow_closing_session": true, "duplicate_window_s": 10,
    "order_type": "MARKET", "product": "MIS", "limit_slippage_bps": 5,
    "required_components": ["sm-order", "sm-ingest"], "heartbeat_max_age_s": 20,
    "broker_component": "sm-broker", "daily_loss_block_entries_percent": 2,
    "daily_loss_halt_percent": 4, "position_loss_exit_percent": 7.5,
    "max_orders_per_5_minutes": 20, "broker_disconnect_halt_s": 15, "latency_halt_ms": 900,
    "latency_breach_count": 2, "max_errors_per_minute": 5}})");
  REQUIRE(c.ok());
  CHECK(c->capital == 5'00'000'00);
  CHECK(c->max_order_qty == 50);
  CHECK(c->max_order_value == 25'000'50);
  CHECK(c->max_orders_per_minute == 4);
  CHECK(c->total_exposure_cap() == 4'00'000'00);
  CHECK(c->symbol_exposure_cap() == 90'000'00);
  CHECK(c->max_open_positions == 3);
  CHECK(c->strategy_capital_bps_for("canary") == 500);
  CHECK(c->strategy_capital_bps_for("half") == 250);
  CHECK(c->strategy_capital_bps_for("other") == 5000);
  CHECK(c->price_band_bps == 125);
  CHECK(c->price_max_age_ms == 90'000);
  REQUIRE(c->circuit_limits.count("SBIN") == 1);
  CHECK(c->circuit_limits.at("SBIN").lower == 540'00);
  CHECK(c->circuit_limits.at("SBIN").upper == 660'00);
  CHECK_FALSE(c->circuit_limits.at("TCS").lower.has_value());
  CHECK(c->signal_max_age_ms == 30'000);
  CHECK(c->future_tolerance_ms == 100);
  CHECK_FALSE(c->session_checks);
  CHECK(c->allow_pre_open);
  CHECK(c->allow_closing_session);
  CHECK(c->duplicate_window_ms == 10'000);
  CHECK(c->order_type == OrderType::kMarket);
  CHECK(c->product == Product::kIntraday);
  CHECK(c->limit_slippage_bps == 5);
  CHECK(c->required_components == std::vector<std::string>{"sm-order", "sm-ingest"});
  CHECK(c->heartbeat_max_age_ms == 20'000);
  CHECK(c->broker_component == "sm-broker");
  CHECK(c->daily_loss_block_entries_bps == 200);
  CHECK(c->daily_loss_halt_bps == 400);
  CHECK(c->position_loss_exit_bps == 750);
  CHECK(c->max_orders_per_5_minutes == 20);
  CHECK(c->broker_disconnect_halt_ms == 15'000);
  CHECK(c->latency_halt_ms == 900);
  CHECK(c->latency_breach_count == 2);
  CHECK(c->max_errors_per_minute == 5);
}

TEST_CASE("environment overrides reach risk keys") {
  Result<RiskConfig> c =
      load(R"({"risk": {"capital": 100000}})",
           {"SM_CFG__RISK__MAX_ORDER_QTY=7", "SM_CFG__RISK__CAPITAL=\"250000\""});
  REQUIRE(c.ok());
  CHECK(c->max_order_qty == 7);
  CHECK(c->capital == 2'50'000'00);
}

TEST_CASE("bad values are configuration errors naming the key") {
  const auto message = [](std::string_view text) {
    Result<RiskConfig> c = load(text);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == ErrorCode::kConfigError);
    return c.status().message();
  };
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "max_order_qty": "ten"}})"),
             Catch::Contains("risk.max_order_qty"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "max_order_qty": 0}})"),
             Catch::Contains("risk.max_order_qty must be > 0"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "daily_loss_block_entries_percent": 6}})"),
             Catch::Contains("below risk.daily_loss_halt_percent"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "price_band_percent": 0}})"),
             Catch::Contains("risk.price_band_percent"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "order_type": "SL"}})"),
             Catch::Contains("risk.order_type must be LIMIT or MARKET"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "product": "NRML"}})"),
             Catch::Contains("risk.product"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "circuit_limits": {"SBIN": 5}}})"),
             Catch::Contains("risk.circuit_limits.SBIN"));
  CHECK_THAT(
      message(
          R"({"risk": {"capital": 1000, "circuit_limits": {"SBIN": {"lower": 9, "upper": 8}}}})"),
      Catch::Contains("lower < upper"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "strategy_capital_percent": {"x": 150}}})"),
             Catch::Contains("risk.strategy_capital_percent.x"));
  CHECK_THAT(message(R"({"risk": {"capital": -5}})"), Catch::Contains("risk.capital"));
  CHECK_THAT(message(R"({"risk": {"capital": 1000, "max_order_value": "1.234"}})"),
             Catch::Contains("risk.max_order_value"));
}

TEST_CASE("every key of the section counts as read, so none is reported as unknown") {
  Result<Config> config = Config::parse(
      R"({"risk": {"capital": 1000, "strategy_capital_percent": {"a": 5},
                   "circuit_limits": {"SBIN": {"lower": 1}}, "max_ordr_qty": 3}})",
      "risk.json");
  REQUIRE(config.ok());
  REQUIRE(load_risk_config(*config).ok());
  CHECK(config->unread_keys("risk") == std::vector<std::string>{"risk.max_ordr_qty"});
}

TEST_CASE("the example configuration's risk section is valid and every key in it is known") {
  const std::string path = std::string(SM_DATA_DIR) + "/../examples/stalkmarket.jsonc";
  Result<Config> config = Config::load(path);
  REQUIRE(config.ok());
  Result<RiskConfig> risk = load_risk_config(*config);
  INFO((risk.ok() ? std::string() : risk.status().to_string()));
  REQUIRE(risk.ok());
  CHECK(risk->strategy_capital_bps_for("new-breakout") == 500);
  CHECK(config->unread_keys("risk").empty());
}
