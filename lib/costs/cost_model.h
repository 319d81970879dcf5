// Transaction costs of a trade leg. Every component is computed in exact integer arithmetic and
// rounded to the paisa on its own, the way a contract note itemises it. Rates are data, not code:
// the Indian equity model reads a dated file (data/nse-charges.csv) where a rate applies from its
// effective date until the next row for the same product.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"

namespace sm::costs {

// A proportion of turnover in parts per billion: 0.00307 % is 30'700, 18 % is 180'000'000.
struct Rate {
  std::int64_t per_billion = 0;
};

// Parses a percentage such as "0.00307" (meaning 0.00307 %) exactly.
Result<Rate> parse_percent(std::string_view text);

// One executed leg, as the cost model sees it.
struct TradeLeg {
  Date trade_date;  // IST trading date: selects the rates in force
  Product product = Product::kDelivery;
  Side side = Side::kBuy;
  Paise price = 0;
  Quantity qty = 0;
  // True for the first delivery sell of this symbol on trade_date: the DP charge is levied once
  // per ISIN per day on which shares leave the demat account. The caller tracks it.
  bool first_sell_of_day = false;
};

struct Charges {
  Paise brokerage = 0;
  Paise stt = 0;       // securities transaction tax
  Paise exchange = 0;  // exchange transaction charge (includes IPFT where the rate does)
  Paise sebi = 0;      // SEBI turnover fee
  Paise stamp = 0;     // stamp duty (buy side)
  Paise gst = 0;       // 18 % on brokerage + exchange + SEBI fee
  Paise dp = 0;        // depository charge (delivery sells)
  Paise total() const { return brokerage + stt + exchange + sebi + stamp + gst + dp; }
};

class CostModel {
 public:
  virtual ~CostModel() = default;
  // Fails only when the model has no rates for the leg (e.g. an empty rate file) or on overflow.
  virtual Result<Charges> charges_for(const TradeLeg& leg) const = 0;
  virtual std::string name() const = 0;
};

// No costs at all (for comparing against references computed without costs).
class ZeroCostModel final : public CostModel {
 public:
  Result<Charges> charges_for(const TradeLeg&) const override { return Charges{}; }
  std::string name() const override { return "zero"; }
};

// A flat fee per leg plus a percentage of turnover, reported as brokerage.
class SimpleCostModel final : public CostModel {
 public:
  SimpleCostModel(Rate percent_of_turnover, Paise flat_per_leg)
      : percent_(percent_of_turnover), flat_(flat_per_leg) {}
  Result<Charges> charges_for(const TradeLeg& leg) const override;
  std::string name() const override { return "simple"; }

 private:
  Rate percent_;
  Paise flat_;
};

// The rates of one product from one effective date on.
struct ChargeRates {
  Date effective_from;
  Product product = Product::kDelivery;
  Rate brokerage;
  Paise brokerage_cap = 0;  // 0 = no cap
  Rate stt_buy;
  Rate stt_sell;
  Rate exchange;
  Rate sebi;
  Rate stamp_buy;
  Rate gst;
  Paise dp_per_sell_day = 0;  // GST included
};

// NSE cash equity through Zerodha: brokerage, STT, exchange charge, SEBI fee, stamp duty, GST and
// DP charge, delivery (CNC) and intraday (MIS), rates by effective date.
class IndianEquityCostModel final : public CostModel {
 public:
  // Reads the CSV described in docs/COSTS.md. Errors name the file, line and column.
  static Result<IndianEquityCostModel> load(const std::string& path);
  // $SM_CHARGES, else nse-charges.csv in the first of sm::data_directories() that has it.
  static Result<IndianEquityCostModel> load_default();
  // Where load_default reads from. kNotFound when neither $SM_CHARGES nor a data directory has it.
  static Result<std::string> default_path();
  explicit IndianEquityCostModel(std::vector<ChargeRates> rates);

  // Trades before the earliest effective date use the earliest rates (documented approximation:
  // the file does not go back further).
  Result<Charges> charges_for(const TradeLeg& leg) const override;
  std::string name() const override { return "india-equity"; }
  Result<ChargeRates> rates_on(Date date, Product product) const;
  // Every row of the file, sorted by effective_from. Rows have no end date: the last ones stay in
  // force until a newer file says otherwise.
  const std::vector<ChargeRates>& rates() const { return rates_; }

 private:
  std::vector<ChargeRates> rates_;  // sorted by effective_from
};

// Builds a model by name: "zero", "india-equity", or "simple:<percent>:<flat rupees>"
// (e.g. "simple:0.05:20").
Result<std::unique_ptr<CostModel>> make_cost_model(std::string_view spec);

}  // namespace sm::costs
