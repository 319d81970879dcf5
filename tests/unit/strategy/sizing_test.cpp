#include <catch2/catch.hpp>
#include <cmath>

#include "strategy/sizing.h"

using namespace sm;
using namespace sm::strategy;

TEST_CASE("size_for_risk risks at most the fraction between entry and stop", "[sizing]") {
  // 10 lakh rupees, 1 %: 10,000 rupees at risk; 5 rupees per share -> 2000 shares.
  CHECK(*size_for_risk(100'000'000, 0.01, 10'000, 9'500) == 2000);
  // Floors: 10 rupees at risk, 3 rupees per share -> 3 shares (3.33 is never rounded up).
  CHECK(*size_for_risk(100'000, 0.01, 10'000, 9'700) == 3);
  // Budget smaller than one share's risk -> 0.
  CHECK(*size_for_risk(100'000, 0.01, 10'000, 8'000) == 0);
}

TEST_CASE("size_for_risk never buys more than the capital pays for", "[sizing]") {
  // A 1-paisa stop distance would allow 500,000 shares; the capital buys 1000.
  CHECK(*size_for_risk(1'000'000, 0.5, 1'000, 999) == 1000);
}

TEST_CASE("size_for_risk with zero capital is zero shares", "[sizing]") {
  CHECK(*size_for_risk(0, 0.01, 10'000, 9'500) == 0);
}

TEST_CASE("size_for_risk rejects a stop that is not below the entry", "[sizing]") {
  auto equal = size_for_risk(100'000'000, 0.01, 10'000, 10'000);
  CHECK(equal.status().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(equal.status().message(), Catch::Contains("100.00") && Catch::Contains("not below"));
  CHECK_FALSE(size_for_risk(100'000'000, 0.01, 10'000, 10'500).ok());
  auto none = size_for_risk(100'000'000, 0.01, 10'000, 0);
  CHECK_THAT(none.status().message(), Catch::Contains("needs a stop"));
}

TEST_CASE("size_for_risk rejects meaningless arguments", "[sizing]") {
  CHECK_FALSE(size_for_risk(-1, 0.01, 10'000, 9'000).ok());
  CHECK_FALSE(size_for_risk(100'000, 0.0, 10'000, 9'000).ok());
  CHECK_FALSE(size_for_risk(100'000, 1.5, 10'000, 9'000).ok());
  CHECK_FALSE(size_for_risk(100'000, std::nan(""), 10'000, 9'000).ok());
  CHECK_FALSE(size_for_risk(100'000, 0.01, 0, -5).ok());
}

TEST_CASE("fractions are exact to the millionth", "[sizing]") {
  // 100 paise * 0.29 is 28.999999999999996 in binary floating point; the slice is 29 paise.
  CHECK(std::floor(100 * 0.29) == 28);
  CHECK(capital_slice(100, 0.29) == 29);
  CHECK(capital_slice(1'000'000'000'000'000, 0.05) == 50'000'000'000'000);
  CHECK(capital_slice(0, 0.5) == 0);
  CHECK(capital_slice(-100, 0.5) == 0);
  CHECK(capital_slice(100, 0.0) == 0);
}

TEST_CASE("size_for_value buys whole shares for at most the value", "[sizing]") {
  CHECK(*size_for_value(100'000, 30'000) == 3);
  CHECK(*size_for_value(29'999, 30'000) == 0);
  CHECK_FALSE(size_for_value(100'000, 0).ok());
  CHECK_FALSE(size_for_value(-1, 100).ok());
}

TEST_CASE("size_entry applies the instance's capital slice", "[sizing]") {
  SizingRule canary;
  canary.method = SizingMethod::kRisk;
  canary.risk_fraction = 0.01;
  canary.capital_fraction = 0.05;
  // 10 lakh rupees -> 50,000 slice -> 500 rupees at risk / 5 per share = 100 shares.
  CHECK(*size_entry(canary, 100'000'000, 10'000, 9'500) == 100);

  SizingRule value;
  value.method = SizingMethod::kFixedValue;
  value.value = 5'000'000;  // 50,000 rupees
  value.capital_fraction = 0.5;
  CHECK(*size_entry(value, 100'000'000, 10'000, 0) == 500);
  CHECK(*size_entry(value, 4'000'000, 10'000, 0) == 200);  // capped by the slice: 20,000 rupees
  CHECK(*size_entry(value, 0, 10'000, 0) == 0);

  SizingRule fixed;
  fixed.quantity = 100;
  CHECK(*size_entry(fixed, 0, 10'000, 0) == 100);  // whatever the capital
}
