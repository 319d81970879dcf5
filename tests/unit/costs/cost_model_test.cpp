#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "costs/cost_model.h"

using namespace sm;
using namespace sm::costs;

namespace {

ChargeRates rates_2026(Product product) {
  ChargeRates r;
  r.effective_from = Date{2026, 3, 1};
  r.product = product;
  const bool delivery = product == Product::kDelivery;
  r.brokerage = *parse_percent(delivery ? "0" : "0.03");
  r.brokerage_cap = delivery ? 0 : 2000;
  r.stt_buy = *parse_percent(delivery ? "0.1" : "0");
  r.stt_sell = *parse_percent(delivery ? "0.1" : "0.025");
  r.exchange = *parse_percent("0.00307");
  r.sebi = *parse_percent("0.0001");
  r.stamp_buy = *parse_percent(delivery ? "0.015" : "0.003");
  r.gst = *parse_percent("18");
  r.dp_per_sell_day = delivery ? 1593 : 0;
  return r;
}

IndianEquityCostModel model_2026() {
  return IndianEquityCostModel({rates_2026(Product::kDelivery), rates_2026(Product::kIntraday)});
}

}  // namespace

TEST_CASE("percentages parse exactly into parts per billion", "[costs]") {
  CHECK(parse_percent("0.00307")->per_billion == 30700);
  CHECK(parse_percent("18")->per_billion == 180000000);
  CHECK(parse_percent("0.0001")->per_billion == 1000);
  CHECK_FALSE(parse_percent("-1").ok());
  CHECK_FALSE(parse_percent("0.000000001").ok());
}

// The worked example of shared/reference/nse-market.md section 7 (rates from 2026-03-01).
TEST_CASE("delivery buy itemises like a contract note", "[costs]") {
  const Charges c = *model_2026().charges_for(
      {Date{2026, 4, 6}, Product::kDelivery, Side::kBuy, 100000, 100, false});
  CHECK(c.brokerage == 0);
  CHECK(c.stt == 10000);
  CHECK(c.exchange == 307);
  CHECK(c.sebi == 10);
  CHECK(c.stamp == 1500);
  CHECK(c.gst == 57);  // 18 % of 3.17 = 0.5706
  CHECK(c.total() == 11874);
}

TEST_CASE("delivery sell pays STT both ways and DP once a day", "[costs]") {
  const IndianEquityCostModel model = model_2026();
  const Charges first =
      *model.charges_for({Date{2026, 4, 6}, Product::kDelivery, Side::kSell, 110000, 100, true});
  CHECK(first.stt == 11000);
  CHECK(first.exchange == 338);  // 3.377 rounds to 3.38
  CHECK(first.sebi == 11);
  CHECK(first.stamp == 0);
  CHECK(first.dp == 1593);
  const Charges second =
      *model.charges_for({Date{2026, 4, 6}, Product::kDelivery, Side::kSell, 110000, 100, false});
  CHECK(second.dp == 0);
}

TEST_CASE("intraday brokerage is capped at 20 rupees per order", "[costs]") {
  const IndianEquityCostModel model = model_2026();
  const Charges buy =
      *model.charges_for({Date{2026, 4, 6}, Product::kIntraday, Side::kBuy, 100000, 100, false});
  CHECK(buy.brokerage == 2000);
  CHECK(buy.stt == 0);
  CHECK(buy.stamp == 300);
  CHECK(buy.gst == 417);  // 18 % of 23.17
  CHECK(buy.total() == 3034);
  const Charges sell =
      *model.charges_for({Date{2026, 4, 6}, Product::kIntraday, Side::kSell, 101000, 100, true});
  CHECK(sell.stt == 2525);
  CHECK(sell.dp == 0);  // intraday shares never leave the demat account
  const Charges small =
      *model.charges_for({Date{2026, 4, 6}, Product::kIntraday, Side::kBuy, 10000, 10, false});
  CHECK(small.brokerage == 30);  // 0.03 % of 1,000 rupees (0.30) is below the cap
}

TEST_CASE("the rate in force is chosen by trade date", "[costs]") {
  ChargeRates old_rates = rates_2026(Product::kDelivery);
  old_rates.effective_from = Date{2024, 10, 1};
  old_rates.exchange = *parse_percent("0.00297");
  const IndianEquityCostModel model({rates_2026(Product::kDelivery), old_rates});
  CHECK(model.rates_on(Date{2026, 2, 28}, Product::kDelivery)->exchange.per_billion == 29700);
  CHECK(model.rates_on(Date{2026, 3, 1}, Product::kDelivery)->exchange.per_billion == 30700);
  CHECK(model.rates_on(Date{2015, 1, 1}, Product::kDelivery)->exchange.per_billion == 29700);
  CHECK_FALSE(model.rates_on(Date{2026, 3, 1}, Product::kIntraday).ok());
}

TEST_CASE("the bundled charges file loads and bad files name line and column", "[costs]") {
  REQUIRE(IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv").ok());
  const std::string path = "costs_test_bad.csv";
  {
    std::ofstream out(path);
    out << "effective_from,product,brokerage_pct,brokerage_cap,stt_buy_pct,stt_sell_pct,exchange_"
           "pct,"
           "sebi_pct,stamp_buy_pct,gst_pct,dp_per_sell_day\n"
        << "2026-03-01,CNC,0,0,0.1,abc,0.00307,0.0001,0.015,18,15.93\n";
  }
  Result<IndianEquityCostModel> bad = IndianEquityCostModel::load(path);
  std::remove(path.c_str());
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains(":2: column stt_sell_pct"));
  CHECK_FALSE(IndianEquityCostModel::load("does-not-exist.csv").ok());
}

TEST_CASE("cost models are chosen by name", "[costs]") {
  CHECK((*make_cost_model("zero"))->name() == "zero");
  auto simple = make_cost_model("simple:0.05:20");
  REQUIRE(simple.ok());
  CHECK((*simple)
            ->charges_for({Date{2026, 4, 6}, Product::kDelivery, Side::kBuy, 100000, 100, false})
            ->total() == 5000 + 2000);  // 0.05 % of 1,00,000 rupees plus the flat 20
  CHECK_FALSE(make_cost_model("free").ok());
  CHECK_FALSE(make_cost_model("simple:x:1").ok());
}
