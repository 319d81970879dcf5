// What a bonus or a split does to a held position, which actions a position crosses, and the
// bundled corporate-actions file.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "core/corporate_action.h"

using namespace sm;

namespace {

CorporateAction action(std::string_view kind, std::int64_t a, std::int64_t b,
                       std::string_view ex_date = "2018-05-31", std::string_view symbol = "TCS") {
  const std::string text =
      fmt::format("symbol,ex_date,kind,ratio\n{},{},{},{}:{}\n", symbol, ex_date, kind, a, b);
  Result<std::vector<CorporateAction>> parsed = parse_corporate_actions(text, "test");
  REQUIRE(parsed.ok());
  return parsed->front();
}

}  // namespace

TEST_CASE("a 1:1 bonus doubles the shares and halves the average price, cost unchanged",
          "[core][actions]") {
  const Position held{10, 351'410 * 10, 1'234};
  const PositionAdjustment after = adjust_position(held, action("bonus", 1, 1));
  CHECK(after.position.qty == 20);
  CHECK(after.position.cost == held.cost);
  CHECK(after.position.realised_pnl == 1'234);
  CHECK(after.fraction_numerator == 0);
  CHECK_FALSE(after.overflow);
}

TEST_CASE("a 1:3 bonus gives whole shares and says how much of a share is paid in cash",
          "[core][actions]") {
  // 10 shares * 4 / 3 = 13 1/3: 13 shares; a third of a share is paid in lieu.
  const PositionAdjustment after = adjust_position({10, 36'360, 0}, action("bonus", 1, 3));
  CHECK(after.position.qty == 13);
  CHECK(after.position.cost == 36'360);
  CHECK(after.fraction_numerator == 1);
  CHECK(action("bonus", 1, 3).numerator() == 3);
  // 9 shares divide evenly.
  CHECK(adjust_position({9, 100, 0}, action("bonus", 1, 3)).position.qty == 12);
}

TEST_CASE("splits scale the shares by B / A; a short keeps its sign; flat stays flat",
          "[core][actions]") {
  CHECK(adjust_position({7, 700, 0}, action("split", 1, 5)).position.qty == 35);
  CHECK(adjust_position({7, 700, 0}, action("split", 2, 1)).position.qty == 3);  // a consolidation
  CHECK(adjust_position({7, 700, 0}, action("split", 2, 1)).fraction_numerator == 1);
  const PositionAdjustment short_side = adjust_position({-5, -500, 0}, action("bonus", 1, 1));
  CHECK(short_side.position.qty == -10);
  CHECK(short_side.position.cost == -500);
  CHECK(adjust_position({0, 0, 42}, action("split", 1, 2)).position.qty == 0);
}

TEST_CASE("a quantity that would leave the int64 range is reported, the position unchanged",
          "[core][actions]") {
  const Position huge{std::int64_t{1} << 62, 1, 0};
  const PositionAdjustment after = adjust_position(huge, action("split", 1, 1000));
  CHECK(after.overflow);
  CHECK(after.position.qty == huge.qty);
}

TEST_CASE("a position held at one close crosses the actions after it up to the session day",
          "[core][actions]") {
  Result<std::vector<CorporateAction>> actions = parse_corporate_actions(
      "symbol,ex_date,kind,ratio\nWIPRO,2019-03-06,bonus,1:3\nWIPRO,2017-06-13,bonus,1:1\n"
      "TCS,2018-05-31,bonus,1:1\n",
      "test");
  REQUIRE(actions.ok());
  const Date before{2017, 6, 12};
  const Date ex{2017, 6, 13};
  CHECK(actions_crossed(*actions, "WIPRO", before, ex).size() == 1);
  CHECK(actions_crossed(*actions, "WIPRO", ex, ex).empty());  // already past it
  CHECK(actions_crossed(*actions, "WIPRO", before, Date{2017, 6, 12}).empty());
  CHECK(actions_crossed(*actions, "WIPRO", before, Date{2020, 1, 1}).size() == 2);
  CHECK(actions_crossed(*actions, "INFY", before, Date{2020, 1, 1}).empty());
}

TEST_CASE("the bundled corporate-actions file is found and valid; SM_CORPORATE_ACTIONS overrides",
          "[core][actions]") {
  ::unsetenv("SM_CORPORATE_ACTIONS");
  Result<std::string> path = corporate_actions_default_path();
  REQUIRE(path.ok());
  CHECK(*path == std::string(SM_DATA_DIR) + "/corporate-actions.csv");
  Result<std::vector<CorporateAction>> bundled = load_corporate_actions(*path);
  REQUIRE(bundled.ok());
  CHECK(bundled->size() == 7);
  ::setenv("SM_CORPORATE_ACTIONS", "/nonexistent/actions.csv", 1);
  CHECK(corporate_actions_default_path().status().code() == ErrorCode::kNotFound);
  ::unsetenv("SM_CORPORATE_ACTIONS");
  CHECK(load_corporate_actions("/nonexistent/actions.csv").status().code() == ErrorCode::kNotFound);
}
