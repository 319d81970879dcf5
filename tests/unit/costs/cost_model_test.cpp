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
  // NSE's transaction charge went flat on 2024-10-01: 0.00325 % + IPFT 0.0001 % = 0.00335 % before,
  // 0.00297 % + IPFT 0.0001 % = 0.00307 % from then on.
  ChargeRates slab_era = rates_2026(Product::kDelivery);
  slab_era.effective_from = Date{2020, 7, 1};
  slab_era.exchange = *parse_percent("0.00335");
  ChargeRates flat_era = rates_2026(Product::kDelivery);
  flat_era.effective_from = Date{2024, 10, 1};
  const IndianEquityCostModel model({flat_era, slab_era});
  CHECK(model.rates_on(Date{2024, 9, 30}, Product::kDelivery)->exchange.per_billion == 33500);
  CHECK(model.rates_on(Date{2024, 10, 1}, Product::kDelivery)->exchange.per_billion == 30700);
  CHECK(model.rates_on(Date{2015, 1, 1}, Product::kDelivery)->exchange.per_billion == 33500);
  CHECK_FALSE(model.rates_on(Date{2026, 3, 1}, Product::kIntraday).ok());
}

namespace {

IndianEquityCostModel bundled_model() {
  Result<IndianEquityCostModel> model =
      IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  return std::move(model).value();
}

}  // namespace

// Regression: the bundled rates before 2026-03-01 left out NSE's IPFT charge (Rs 10/crore + GST).
TEST_CASE("the bundled exchange rate includes IPFT in every date range", "[costs]") {
  const IndianEquityCostModel model = bundled_model();
  for (Product product : {Product::kDelivery, Product::kIntraday}) {
    // 0.00325 % transaction charge + 0.0001 % IPFT
    CHECK(model.rates_on(Date{2024, 9, 30}, product)->exchange.per_billion == 33500);
    // 0.00297 % + 0.0001 % IPFT
    CHECK(model.rates_on(Date{2024, 10, 1}, product)->exchange.per_billion == 30700);
    CHECK(model.rates_on(Date{2026, 2, 28}, product)->exchange.per_billion == 30700);
    // 0.0030699 % + 0.0000001 % IPFT (Rs 306.99 + Rs 0.01 per crore)
    CHECK(model.rates_on(Date{2026, 3, 1}, product)->exchange.per_billion == 30700);
  }
}

// 250 shares bought at Rs 1,284.35 on 2025-06-10 and sold at Rs 1,342.80 on 2025-08-20, CNC, with
// the bundled rates of 2024-10-01. Each component is turnover x rate, rounded half up to the paisa.
TEST_CASE("a 2025 delivery round trip costs what a hand calculation says", "[costs]") {
  const IndianEquityCostModel model = bundled_model();
  // Buy turnover 250 x 1,284.35 = Rs 3,21,087.50 = 3,21,08,750 paise.
  const Charges buy =
      *model.charges_for({Date{2025, 6, 10}, Product::kDelivery, Side::kBuy, 128435, 250, false});
  CHECK(buy.brokerage == 0);   // delivery is free at Zerodha
  CHECK(buy.stt == 32109);     // 0.1 % = 32,108.75 paise
  CHECK(buy.exchange == 986);  // 0.00297 % + IPFT 0.0001 % = 0.00307 % = 985.738625 paise
  CHECK(buy.sebi == 32);       // 0.0001 % = 32.10875
  CHECK(buy.stamp == 4816);    // 0.015 % = 4,816.3125
  CHECK(buy.gst == 183);       // 18 % of (0 + 986 + 32) = 183.24
  CHECK(buy.dp == 0);
  CHECK(buy.total() == 38126);  // 32,109 + 986 + 32 + 4,816 + 183
  // Sell turnover 250 x 1,342.80 = Rs 3,35,700 = 3,35,70,000 paise.
  const Charges sell =
      *model.charges_for({Date{2025, 8, 20}, Product::kDelivery, Side::kSell, 134280, 250, true});
  CHECK(sell.brokerage == 0);
  CHECK(sell.stt == 33570);      // 0.1 % = 33,570
  CHECK(sell.exchange == 1031);  // 0.00307 % = 1,030.599
  CHECK(sell.sebi == 34);        // 0.0001 % = 33.57
  CHECK(sell.stamp == 0);        // stamp duty is on the buyer
  CHECK(sell.gst == 192);        // 18 % of (0 + 1,031 + 34) = 191.70
  CHECK(sell.dp == 1593);        // Rs 13.50 + 18 % GST, first sell of the day
  CHECK(sell.total() == 36420);  // 33,570 + 1,031 + 34 + 192 + 1,593
}

// 40 shares bought at Rs 2,456.70 on 2016-03-15 and sold at Rs 2,611.25 on 2016-11-02, CNC. The
// bundled file starts on 2020-07-01 and its earliest rates apply (docs/COSTS.md: stamp duty was
// set by each state before then and is not modelled); the exchange rate is the pre-2024-10-01 one.
TEST_CASE("a 2016 delivery round trip costs what a hand calculation says", "[costs]") {
  const IndianEquityCostModel model = bundled_model();
  // Buy turnover 40 x 2,456.70 = Rs 98,268 = 98,26,800 paise.
  const Charges buy =
      *model.charges_for({Date{2016, 3, 15}, Product::kDelivery, Side::kBuy, 245670, 40, false});
  CHECK(buy.brokerage == 0);
  CHECK(buy.stt == 9827);      // 0.1 % = 9,826.8
  CHECK(buy.exchange == 329);  // 0.00325 % + IPFT 0.0001 % = 0.00335 % = 329.1978
  CHECK(buy.sebi == 10);       // 0.0001 % = 9.8268
  CHECK(buy.stamp == 1474);    // 0.015 % = 1,474.02
  CHECK(buy.gst == 61);        // 18 % of (0 + 329 + 10) = 61.02
  CHECK(buy.dp == 0);
  CHECK(buy.total() == 11701);  // 9,827 + 329 + 10 + 1,474 + 61
  // Sell turnover 40 x 2,611.25 = Rs 1,04,450 = 1,04,45,000 paise.
  const Charges sell =
      *model.charges_for({Date{2016, 11, 2}, Product::kDelivery, Side::kSell, 261125, 40, true});
  CHECK(sell.brokerage == 0);
  CHECK(sell.stt == 10445);     // 0.1 % = 10,445
  CHECK(sell.exchange == 350);  // 0.00335 % = 349.9075
  CHECK(sell.sebi == 10);       // 0.0001 % = 10.445
  CHECK(sell.stamp == 0);
  CHECK(sell.gst == 65);  // 18 % of (0 + 350 + 10) = 64.80
  CHECK(sell.dp == 1593);
  CHECK(sell.total() == 12463);  // 10,445 + 350 + 10 + 65 + 1,593
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
