#include <catch2/catch.hpp>

#include "paper/paper_accounting.h"

using namespace sm;

namespace {

const Date kYesterday{2024, 6, 11};
const Date kToday{2024, 6, 12};

paper::StoredTrade trade(std::string product, Side side, Quantity qty, Paise price, Date day) {
  paper::StoredTrade stored;
  stored.trade.exchange = "NSE";
  stored.trade.tradingsymbol = "INFY";
  stored.trade.product = std::move(product);
  stored.trade.side = side;
  stored.trade.quantity = qty;
  stored.trade.average_price = price;
  stored.trade.fill_timestamp = from_ist(day, 10, 0);
  return stored;
}

}  // namespace

TEST_CASE("a partial close leaves the remaining average by core's rule, half away from zero") {
  // 20,001 paise for 2 shares; selling 1 takes 10,000.5 -> 10,001 of the cost (truncating would
  // have taken 10,000 and left an average of 100.01).
  const std::vector<paper::StoredTrade> trades = {trade("CNC", Side::kBuy, 1, 10'000, kYesterday),
                                                  trade("CNC", Side::kBuy, 1, 10'001, kYesterday),
                                                  trade("CNC", Side::kSell, 1, 10'500, kYesterday)};
  const paper::Books books = paper::compute_books(trades, {}, kToday, 2000, {});
  const Position& held = books.folds.at("NSE:INFY:CNC").all;
  const FillEffect core = apply_fill(
      apply_fill(apply_fill(Position{}, Side::kBuy, 1, 10'000).position, Side::kBuy, 1, 10'001)
          .position,
      Side::kSell, 1, 10'500);
  CHECK(held.qty == core.position.qty);
  CHECK(held.cost == core.position.cost);
  CHECK(held.realised_pnl == core.position.realised_pnl);

  const paper::InMemoryPriceSource prices;
  const std::vector<broker::Holding> holdings = paper::holdings_of(books, prices);
  REQUIRE(holdings.size() == 1);
  CHECK(holdings[0].quantity == 1);
  CHECK(holdings[0].average_price == 10'000);
}

TEST_CASE("a short carried overnight keeps Kite's positive sell value and average") {
  const std::vector<paper::StoredTrade> trades = {trade("MIS", Side::kSell, 3, 10'001, kYesterday)};
  const paper::Books books = paper::compute_books(trades, {}, kToday, 2000, {});
  CHECK(books.folds.at("NSE:INFY:MIS").all.cost == -30'003);
  CHECK(books.mis_margin == 6'000);  // 20 % of 30,003, truncated

  const paper::InMemoryPriceSource prices;
  const broker::Positions positions = paper::positions_of(books, prices);
  REQUIRE(positions.net.size() == 1);
  const broker::Position& net = positions.net[0];
  CHECK(net.quantity == -3);
  CHECK(net.overnight_quantity == -3);
  CHECK(net.sell_quantity == 3);
  CHECK(net.sell_value == 30'003);
  CHECK(net.average_price == 10'001);
  CHECK(positions.day.empty());
}

TEST_CASE("holdings carried into a 1:1 bonus's ex-date show twice the shares at the same cost") {
  auto bonus =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nINFY,2024-06-12,bonus,1:1\n", "t");
  REQUIRE(bonus.ok());
  const std::vector<paper::StoredTrade> held = {trade("CNC", Side::kBuy, 10, 150'000, kYesterday)};
  const paper::Books books = paper::compute_books(held, {}, kToday, 2000, *bonus);
  const paper::Fold& fold = books.folds.at("NSE:INFY:CNC");
  CHECK(fold.prior.qty == 20);
  CHECK(fold.all.qty == 20);
  CHECK(fold.all.cost == 1'500'000);
  const paper::InMemoryPriceSource prices;
  const std::vector<broker::Holding> holdings = paper::holdings_of(books, prices);
  REQUIRE(holdings.size() == 1);
  CHECK(holdings[0].quantity == 20);
  CHECK(holdings[0].average_price == 75'000);
  // The day before the ex-date nothing changes.
  CHECK(paper::compute_books(held, {}, kYesterday, 2000, *bonus).folds.at("NSE:INFY:CNC").all.qty ==
        10);

  // Selling the 20 real shares on the ex-date closes the holding; bought on the ex-date: no bonus.
  std::vector<paper::StoredTrade> sold = held;
  sold.push_back(trade("CNC", Side::kSell, 20, 76'000, kToday));
  CHECK(paper::compute_books(sold, {}, kToday, 2000, *bonus).folds.at("NSE:INFY:CNC").all.qty == 0);
  const std::vector<paper::StoredTrade> bought_ex = {trade("CNC", Side::kBuy, 10, 76'000, kToday)};
  CHECK(
      paper::compute_books(bought_ex, {}, kToday, 2000, *bonus).folds.at("NSE:INFY:CNC").all.qty ==
      10);
}
