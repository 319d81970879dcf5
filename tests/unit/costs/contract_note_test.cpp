// The cost model against Kite's virtual contract note
// (tests/fixtures/kite/virtual_contract_note.json, Zerodha's published sample response; see
// tests/fixtures/kite/README.md for its source): the NSE cash-equity row is a CNC buy of 1 SBIN at
// 560 charged at the exchange rate in force until 2024-09-30 (0.00335 %).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "costs/cost_model.h"

using namespace sm;
using namespace sm::costs;

namespace {

Paise to_paise(double rupees) { return static_cast<Paise>(std::llround(rupees * 100)); }

}  // namespace

TEST_CASE("an NSE delivery buy itemises like Kite's virtual contract note, to the paisa",
          "[costs]") {
  std::ifstream in(std::string(SM_TEST_FIXTURES) + "/kite/virtual_contract_note.json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json note = nlohmann::json::parse(text.str());
  const nlohmann::json* row = nullptr;
  for (const nlohmann::json& r : note.at("data")) {
    if (r.at("exchange") == "NSE" && r.at("product") == "CNC") row = &r;
  }
  REQUIRE(row != nullptr);
  REQUIRE(row->at("transaction_type") == "BUY");
  const nlohmann::json& kite = row->at("charges");

  Result<IndianEquityCostModel> model =
      IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  const Paise price = to_paise(row->at("price").get<double>());
  const Result<Charges> ours =
      model->charges_for({Date{2024, 9, 2}, Product::kDelivery, Side::kBuy, price,
                          row->at("quantity").get<Quantity>(), false});
  REQUIRE(ours.ok());
  CHECK(ours->brokerage == to_paise(kite.at("brokerage").get<double>()));
  CHECK(ours->stt == to_paise(kite.at("transaction_tax").get<double>()));
  CHECK(ours->exchange == to_paise(kite.at("exchange_turnover_charge").get<double>()));
  CHECK(ours->sebi == to_paise(kite.at("sebi_turnover_charge").get<double>()));
  CHECK(ours->gst == to_paise(kite.at("gst").at("total").get<double>()));
  CHECK(ours->dp == 0);
  // The sample shows no stamp duty; the Stamp Act's 0.015 % of 560 is 0.084, 8 paise, which a
  // real contract note levies on a delivery buy. This difference is expected.
  CHECK(kite.at("stamp_duty").get<double>() == 0);
  CHECK(ours->stamp == 8);
}
