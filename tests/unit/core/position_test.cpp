#include <catch2/catch.hpp>

#include <limits>
#include <random>

#include "core/position.h"

using namespace sm;

namespace {

Position after(std::initializer_list<std::tuple<Side, Quantity, Paise>> fills) {
  Position position;
  for (const auto& [side, qty, price] : fills) {
    const FillEffect effect = apply_fill(position, side, qty, price);
    REQUIRE_FALSE(effect.overflow);
    position = effect.position;
  }
  return position;
}

}  // namespace

TEST_CASE("a buy from flat opens a long at the fill's value", "[position]") {
  const FillEffect e = apply_fill(Position{}, Side::kBuy, 10, 10'000);
  CHECK(e.position.qty == 10);
  CHECK(e.position.cost == 100'000);
  CHECK(e.position.realised_pnl == 0);
  CHECK(e.realised == 0);
  CHECK(e.opened);
  CHECK_FALSE(e.overflow);
}

TEST_CASE("adding to a position adds quantity and cost and realises nothing", "[position]") {
  const FillEffect e = apply_fill(after({{Side::kBuy, 10, 10'000}}), Side::kBuy, 5, 10'301);
  CHECK(e.position.qty == 15);
  CHECK(e.position.cost == 151'505);
  CHECK(e.realised == 0);
  CHECK_FALSE(e.opened);
}

TEST_CASE("a partial sell removes its share of the cost, rounded half away from zero",
          "[position]") {
  const Position held = after({{Side::kBuy, 10, 10'000}, {Side::kBuy, 5, 10'301}});
  // 151,505 * 4 / 15 = 40,401.33 leaves the position.
  const FillEffect e = apply_fill(held, Side::kSell, 4, 10'500);
  CHECK(e.position.qty == 11);
  CHECK(e.position.cost == 151'505 - 40'401);
  CHECK(e.realised == 42'000 - 40'401);
  CHECK(e.position.realised_pnl == e.realised);
  CHECK_FALSE(e.opened);

  SECTION("an exact half rounds away from zero, and the full close takes the rest") {
    const Position two = after({{Side::kBuy, 1, 1}, {Side::kBuy, 1, 2}});  // cost 3 for 2
    const FillEffect first = apply_fill(two, Side::kSell, 1, 5);
    CHECK(first.position.cost == 1);  // 1.5 removed -> 2
    CHECK(first.realised == 3);
    const FillEffect second = apply_fill(first.position, Side::kSell, 1, 5);
    CHECK(second.position.qty == 0);
    CHECK(second.position.cost == 0);
    CHECK(second.realised == 4);
    CHECK(second.position.realised_pnl == 10 - 3);
  }
}

TEST_CASE("a full close removes all the cost and realises the round trip exactly", "[position]") {
  const Position held =
      after({{Side::kBuy, 3, 10'001}, {Side::kBuy, 7, 9'999}, {Side::kSell, 4, 10'003}});
  const FillEffect e = apply_fill(held, Side::kSell, 6, 9'997);
  CHECK(e.position.qty == 0);
  CHECK(e.position.cost == 0);
  CHECK(e.position.realised_pnl == (4 * 10'003 + 6 * 9'997) - (3 * 10'001 + 7 * 9'999));
}

TEST_CASE("a fill through zero closes the old side and opens the other at the fill price",
          "[position]") {
  const FillEffect e = apply_fill(after({{Side::kBuy, 10, 100}}), Side::kSell, 15, 120);
  CHECK(e.realised == 10 * 120 - 1000);
  CHECK(e.position.qty == -5);
  CHECK(e.position.cost == -600);
  CHECK(e.opened);

  const FillEffect back = apply_fill(e.position, Side::kBuy, 8, 110);
  CHECK(back.realised == 5 * 120 - 5 * 110);
  CHECK(back.position.qty == 3);
  CHECK(back.position.cost == 330);
  CHECK(back.opened);
}

TEST_CASE("a short has a negative cost and gains when bought back lower", "[position]") {
  const Position short_two = after({{Side::kSell, 1, 1}, {Side::kSell, 1, 2}});
  CHECK(short_two.qty == -2);
  CHECK(short_two.cost == -3);
  // -1.5 of cost leaves: rounded away from zero to -2.
  const FillEffect first = apply_fill(short_two, Side::kBuy, 1, 1);
  CHECK(first.position.qty == -1);
  CHECK(first.position.cost == -1);
  CHECK(first.realised == 1);
  const FillEffect second = apply_fill(first.position, Side::kBuy, 1, 1);
  CHECK(second.position.qty == 0);
  CHECK(second.position.cost == 0);
  CHECK(second.position.realised_pnl == (1 + 2) - (1 + 1));
}

TEST_CASE("realised P&L over any sequence of fills equals the cash flows whenever flat",
          "[position]") {
  std::mt19937_64 rng(11);
  Position position;
  Paise cash = 0;
  int flat_checks = 0;
  for (int i = 0; i < 5000; ++i) {
    const Side side = rng() % 2 == 0 ? Side::kBuy : Side::kSell;
    const Quantity qty = static_cast<Quantity>(1 + rng() % 37);
    const Paise price = static_cast<Paise>(10'000 + rng() % 7'919);
    const FillEffect e = apply_fill(position, side, qty, price);
    REQUIRE_FALSE(e.overflow);
    REQUIRE(e.position.realised_pnl == position.realised_pnl + e.realised);
    position = e.position;
    cash += side == Side::kSell ? qty * price : -qty * price;
    if (position.qty == 0) {
      ++flat_checks;
      REQUIRE(position.cost == 0);
      REQUIRE(position.realised_pnl == cash);
    }
  }
  CHECK(flat_checks > 0);
}

TEST_CASE("a figure beyond int64 is saturated and reported", "[position]") {
  constexpr Quantity kMax = std::numeric_limits<Quantity>::max();
  Position huge;
  huge.qty = kMax;
  huge.cost = kMax;
  const FillEffect e = apply_fill(huge, Side::kBuy, 1, 1);
  CHECK(e.overflow);
  CHECK(e.position.qty == kMax);
  CHECK(e.position.cost == kMax);
}
