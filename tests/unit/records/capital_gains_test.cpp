// The capital-gains report on a hand-worked example, checked to the paisa. Rates are the shipped
// data/capital-gains-rates.csv. Amounts in comments are rupees; "other" is a fill's charges other
// than STT (brokerage, exchange, SEBI, stamp, GST, DP), all of which count as transfer expenses.
#include "records/capital_gains.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace sm;
using sm::records::Disposal;
using sm::records::GainKind;
using sm::records::LedgerFill;

namespace {

records::GainsRates shipped_rates() {
  Result<records::GainsRates> rates =
      records::GainsRates::load(std::string(SM_DATA_DIR) + "/capital-gains-rates.csv");
  REQUIRE(rates.ok());
  return *rates;
}

// A fill of the ledger with its charges given: `other` is put in the exchange charge.
LedgerFill trade(const std::string& id, const std::string& symbol, Date day, Side side,
                 Quantity qty, Paise price, Paise other, Paise stt,
                 Product product = Product::kDelivery, int minute = 0) {
  LedgerFill f;
  f.fill.ts = from_ist(day, 10, minute);
  f.fill.trade_id = id;
  f.fill.strategy = "trend";
  f.fill.symbol = symbol;
  f.fill.side = side;
  f.fill.qty = qty;
  f.fill.price = price;
  f.product = product;
  f.product_known = true;
  f.charges.exchange = other;
  f.charges.stt = stt;
  f.fill.charges = f.charges.total();
  return f;
}

CorporateAction action(const std::string& symbol, Date ex, ActionKind kind, int a, int b) {
  CorporateAction c;
  c.symbol = symbol;
  c.ex_date = ex;
  c.kind = kind;
  c.a = a;
  c.b = b;
  return c;
}

const Disposal& find(const records::GainsReport& r, const std::string& symbol, Date sold,
                     Date acquired) {
  for (const Disposal& d : r.disposals) {
    if (d.symbol == symbol && d.sold == sold && d.acquired == acquired) return d;
  }
  FAIL("no disposal of " << symbol << " sold " << format_date(sold) << " acquired "
                         << format_date(acquired));
  return r.disposals.front();
}

const records::RateBucket& bucket(const records::GainsReport& r, GainKind kind, std::int64_t rate) {
  for (const records::RateBucket& b : r.summary.buckets) {
    if (b.kind == kind && b.rate_basis_points == rate) return b;
  }
  FAIL("no bucket " << records::gain_kind_name(kind) << " " << rate);
  return r.summary.buckets.front();
}

constexpr Paise rs(std::int64_t rupees, std::int64_t paise = 0) { return rupees * 100 + paise; }

}  // namespace

TEST_CASE("the hand-worked example of FY 2024-25 adds up to the paisa", "[records]") {
  const Side kBuy = Side::kBuy;
  const Side kSell = Side::kSell;
  std::vector<LedgerFill> fills = {
      // ACME lot A: 100 at 200 = 20000, other 10, STT 20 (not part of cost). Bought before
      // 2018-01-31: grandfathered, FMV that day 250 a share (the FMV file below).
      trade("A1", "ACME", {2017, 6, 15}, kBuy, 100, rs(200), rs(10), rs(20)),
      // DELTA: 1000 at 1000 = 10,00,000, no charges, for a long-term gain above the exemption.
      trade("D1", "DELTA", {2022, 4, 1}, kBuy, 1000, rs(1000), 0, 0),
      // ACME lot B: 50 at 300 = 15000, other 5, STT 15.
      trade("B1", "ACME", {2023, 3, 10}, kBuy, 50, rs(300), rs(5), rs(15)),
      // Bonus 1:1 ex 2023-09-20 on 150 held: lot C, 150 shares of cost 0 acquired 2023-09-20.
      // Split 1:2 ex 2024-01-10: A 200, B 100, C 300 shares, costs and dates kept; A's FMV is
      // now 250 x 1/2 = 125 a share.
      // Sale 1, 2024-05-15 (before 2024-07-23: STCG 15 %, LTCG 10 %): 250 at 150 = 37500,
      // other 40, STT 37.50. FIFO: all 200 of A, then 50 of B.
      //   A: value 37500 x 200/250 = 30000, expenses 40 x 200/250 = 32. Actual cost 20010;
      //      FMV 200 x 125 = 25000; cost = max(20010, min(25000, 30000)) = 25000.
      //      Gain 30000 - 32 - 25000 = 4968 long-term at 10 %.
      //   B: value 7500, expenses 8; cost 15005 x 50/100 = 7502.50 (held 2023-03-10 to
      //      2024-05-15, over 12 months). Gain 7500 - 8 - 7502.50 = -10.50 long-term at 10 %.
      trade("S1", "ACME", {2024, 5, 15}, kSell, 250, rs(150), rs(40), rs(37, 50)),
      // Sale 2, 2024-08-01 (new rates: STCG 20 %, LTCG 12.5 %): 200 at 160 = 32000, other 20,
      // STT 32. FIFO: the other 50 of B, then 150 of C.
      //   B: value 8000, expenses 5, cost 15005 - 7502.50 = 7502.50. Gain 492.50 long-term
      //      at 12.5 %.
      //   C: value 24000, expenses 15, cost 0; held 2023-09-20 to 2024-08-01, not over 12
      //      months. Gain 23985 short-term at 20 %.
      trade("S2", "ACME", {2024, 8, 1}, kSell, 200, rs(160), rs(20), rs(32)),
      // BETA intraday (MIS), speculative; STT is a business expense there.
      //   Long: 100 at 500 (other 12, STT 12.50), sold at 510 (other 13, STT 12.75):
      //   51000 - 50000 - 12 - 13 - 12.50 - 12.75 = 949.75.
      trade("M1", "BETA", {2024, 9, 2}, kBuy, 100, rs(500), rs(12), rs(12, 50), Product::kIntraday,
            0),
      trade("M2", "BETA", {2024, 9, 2}, kSell, 100, rs(510), rs(13), rs(12, 75), Product::kIntraday,
            5),
      //   Short: 40 sold at 300 (other 4, STT 3), bought back at 310 (other 5, STT 3.10):
      //   12000 - 12400 - 4 - 5 - 3 - 3.10 = -415.10.
      trade("M3", "BETA", {2024, 9, 3}, kSell, 40, rs(300), rs(4), rs(3), Product::kIntraday, 0),
      trade("M4", "BETA", {2024, 9, 3}, kBuy, 40, rs(310), rs(5), rs(3, 10), Product::kIntraday, 5),
      // BETA delivery at a loss: 100 at 400 (other 10), sold at 300 (other 11):
      // 30000 - 11 - 40010 = -10021 short-term at 20 %.
      trade("C1", "BETA", {2024, 10, 1}, kBuy, 100, rs(400), rs(10), rs(40)),
      // DELTA sold 2024-12-02: 1000 at 1200 = 12,00,000. Gain 2,00,000 long-term at 12.5 %.
      trade("D2", "DELTA", {2024, 12, 2}, kSell, 1000, rs(1200), 0, 0),
      trade("C2", "BETA", {2025, 1, 15}, kSell, 100, rs(300), rs(11), rs(30)),
      // GAMMA delivery bought and sold the same day: netted by the exchange, speculative:
      // 1050 - 1000 - 1 - 1 - 1 - 1.05 = 45.95.
      trade("G1", "GAMMA", {2025, 2, 3}, kBuy, 10, rs(100), rs(1), rs(1), Product::kDelivery, 0),
      trade("G2", "GAMMA", {2025, 2, 3}, kSell, 10, rs(105), rs(1), rs(1, 5), Product::kDelivery,
            5),
  };
  // GAMMA: 5 bought outside StalkMarket (reconcile's external fill) on 2024-12-02 at 90, sold
  // 2025-03-10 at 95: 475 - 450 = 25 short-term at 20 %, flagged external.
  LedgerFill external = trade("X1", "GAMMA", {2024, 12, 2}, kBuy, 5, rs(90), 0, 0);
  external.fill.strategy = "external";
  external.origin = records::FillOrigin::kExternal;
  fills.insert(fills.begin() + 11, external);
  fills.push_back(trade("G3", "GAMMA", {2025, 3, 10}, kSell, 5, rs(95), 0, 0));
  // A fill the broker never made and its reversal: out of the gains, listed as excluded.
  LedgerFill phantom = trade("K9", "BETA", {2025, 3, 11}, kBuy, 10, rs(400), 0, 0);
  phantom.reversed = true;
  LedgerFill reversal =
      trade("reversal:K9", "BETA", {2025, 3, 11}, kSell, 10, rs(400), 0, 0, Product::kDelivery, 30);
  reversal.origin = records::FillOrigin::kReversal;
  fills.push_back(phantom);
  fills.push_back(reversal);
  // After the year: never in FY 2024-25's report.
  fills.push_back(trade("L1", "ACME", {2025, 4, 2}, kSell, 10, rs(170), 0, 0));

  const std::vector<CorporateAction> actions = {
      action("ACME", {2023, 9, 20}, ActionKind::kBonus, 1, 1),
      action("ACME", {2024, 1, 10}, ActionKind::kSplit, 1, 2),
  };
  const records::FairMarketValues fmv = {{"ACME", rs(250)}};
  Result<records::GainsReport> report =
      records::capital_gains(fills, actions, shipped_rates(), fmv, records::FinancialYear{2024});
  REQUIRE(report.ok());
  const records::GainsReport& r = *report;

  const Disposal& a = find(r, "ACME", {2024, 5, 15}, {2017, 6, 15});
  CHECK(a.kind == GainKind::kLongTerm);
  CHECK(a.qty == 200);
  CHECK(a.sale_value == rs(30000));
  CHECK(a.transfer_expenses == rs(32));
  CHECK(a.actual_cost == rs(20010));
  CHECK(a.fair_market_value == rs(25000));
  CHECK(a.cost == rs(25000));
  CHECK(a.gain() == rs(4968));
  CHECK(a.rate_basis_points == 1000);
  CHECK(a.stt == rs(50));  // 20 on the purchase + 37.50 x 200/250: shown, not deducted
  CHECK(a.flags == std::vector<std::string>{"split", "grandfathered"});

  const Disposal& b1 = find(r, "ACME", {2024, 5, 15}, {2023, 3, 10});
  CHECK(b1.kind == GainKind::kLongTerm);
  CHECK(b1.qty == 50);
  CHECK(b1.cost == rs(7502, 50));
  CHECK(b1.gain() == -rs(10, 50));

  const Disposal& b2 = find(r, "ACME", {2024, 8, 1}, {2023, 3, 10});
  CHECK(b2.gain() == rs(492, 50));
  CHECK(b2.rate_basis_points == 1250);

  const Disposal& c = find(r, "ACME", {2024, 8, 1}, {2023, 9, 20});
  CHECK(c.kind == GainKind::kShortTerm);
  CHECK(c.qty == 150);
  CHECK(c.cost == 0);
  CHECK(c.gain() == rs(23985));
  CHECK(c.rate_basis_points == 2000);
  CHECK(c.flags == std::vector<std::string>{"bonus", "split"});

  CHECK(find(r, "BETA", {2024, 9, 2}, {2024, 9, 2}).gain() == rs(949, 75));
  const Disposal& short_sale = find(r, "BETA", {2024, 9, 3}, {2024, 9, 3});
  CHECK(short_sale.kind == GainKind::kSpeculative);
  CHECK(short_sale.gain() == -rs(415, 10));
  CHECK(find(r, "BETA", {2025, 1, 15}, {2024, 10, 1}).gain() == -rs(10021));
  CHECK(find(r, "DELTA", {2024, 12, 2}, {2022, 4, 1}).gain() == rs(200000));
  const Disposal& same_day = find(r, "GAMMA", {2025, 2, 3}, {2025, 2, 3});
  CHECK(same_day.kind == GainKind::kSpeculative);
  CHECK(same_day.gain() == rs(45, 95));
  const Disposal& outside = find(r, "GAMMA", {2025, 3, 10}, {2024, 12, 2});
  CHECK(outside.gain() == rs(25));
  CHECK(outside.flags == std::vector<std::string>{"external"});
  CHECK(r.disposals.size() == 10);
  REQUIRE(r.excluded.size() == 2);
  CHECK(r.excluded[0].fill.fill.trade_id == "K9");

  // The year:
  //   short-term 20 %: gains 23985 + 25 = 24010, losses 10021.
  //   long-term 12.5 %: gains 492.50 + 200000 = 200492.50; long-term 10 %: gains 4968,
  //   losses 10.50.
  //   Short-term loss 10021 against short-term gains first: 24010 - 10021 = 13989.
  //   Long-term loss 10.50 against the higher rate first: 200492.50 - 10.50 = 200482.
  //   Exemption 1,25,000 (FY end), higher rate first: 200482 - 125000 = 75482; 10 % keeps 4968.
  //   Tax: 13989 x 20 % = 2797.80; 75482 x 12.5 % = 9435.25; 4968 x 10 % = 496.80;
  //   total 12729.85.
  //   Speculative: 949.75 - 415.10 + 45.95 = 580.60.
  const records::RateBucket& st20 = bucket(r, GainKind::kShortTerm, 2000);
  CHECK(st20.gains == rs(24010));
  CHECK(st20.losses == rs(10021));
  CHECK(st20.taxable == rs(13989));
  CHECK(st20.tax == rs(2797, 80));
  const records::RateBucket& lt125 = bucket(r, GainKind::kLongTerm, 1250);
  CHECK(lt125.gains == rs(200492, 50));
  CHECK(lt125.taxable == rs(75482));
  CHECK(lt125.tax == rs(9435, 25));
  const records::RateBucket& lt10 = bucket(r, GainKind::kLongTerm, 1000);
  CHECK(lt10.losses == rs(10, 50));
  CHECK(lt10.taxable == rs(4968));
  CHECK(lt10.tax == rs(496, 80));
  CHECK(r.summary.ltcg_exemption == rs(125000));
  CHECK(r.summary.exemption_used == rs(125000));
  CHECK(r.summary.tax == rs(12729, 85));
  CHECK(r.summary.speculative_gain == rs(580, 60));
  CHECK(r.summary.speculative_loss_carried == 0);
  CHECK(r.summary.short_term_loss_carried == 0);
  CHECK(r.summary.long_term_loss_carried == 0);
}

TEST_CASE(
    "a short-term loss left over is set off against long-term gains, a long-term loss "
    "never against short-term ones",
    "[records]") {
  // FY 2025-26 (STCG 20 %, LTCG 12.5 %, exemption 1,25,000), no charges.
  //   P: short-term loss 100 x (400 - 300) = 10000; Q: short-term gain 4000;
  //   R: long-term gain 150000; S: long-term loss 2000 (all sold in the year).
  //   Short-term: 4000 - 10000 leaves 6000 of loss for the long-term gains:
  //   150000 - 6000 - 2000 = 142000, less the exemption 125000 = 17000 taxed at 12.5 % = 2125.
  std::vector<LedgerFill> fills = {
      trade("R1", "R", {2023, 1, 2}, Side::kBuy, 100, rs(1000), 0, 0),
      trade("S1", "S", {2023, 1, 2}, Side::kBuy, 10, rs(500), 0, 0),
      trade("P1", "P", {2025, 5, 2}, Side::kBuy, 100, rs(400), 0, 0),
      trade("Q1", "Q", {2025, 5, 2}, Side::kBuy, 40, rs(100), 0, 0),
      trade("P2", "P", {2025, 6, 2}, Side::kSell, 100, rs(300), 0, 0),
      trade("Q2", "Q", {2025, 6, 2}, Side::kSell, 40, rs(200), 0, 0),
      trade("R2", "R", {2025, 6, 3}, Side::kSell, 100, rs(2500), 0, 0),
      trade("S2", "S", {2025, 6, 3}, Side::kSell, 10, rs(300), 0, 0),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2025});
  REQUIRE(report.ok());
  const records::RateBucket& st = bucket(*report, GainKind::kShortTerm, 2000);
  CHECK(st.taxable == 0);
  const records::RateBucket& lt = bucket(*report, GainKind::kLongTerm, 1250);
  CHECK(lt.gains == rs(150000));
  CHECK(lt.losses == rs(2000));
  CHECK(lt.taxable == rs(17000));
  CHECK(report->summary.tax == rs(2125));
  CHECK(report->summary.short_term_loss_carried == 0);

  // The other way round, a long-term loss and a short-term gain: nothing set off, the loss is
  // carried forward and the short-term gain taxed in full (3000 x 20 % = 600).
  std::vector<LedgerFill> other = {
      trade("S1", "S", {2023, 1, 2}, Side::kBuy, 10, rs(500), 0, 0),
      trade("Q1", "Q", {2025, 5, 2}, Side::kBuy, 30, rs(100), 0, 0),
      trade("S2", "S", {2025, 6, 3}, Side::kSell, 10, rs(300), 0, 0),
      trade("Q2", "Q", {2025, 6, 3}, Side::kSell, 30, rs(200), 0, 0),
  };
  report = records::capital_gains(other, {}, shipped_rates(), {}, records::FinancialYear{2025});
  REQUIRE(report.ok());
  CHECK(report->summary.long_term_loss_carried == rs(2000));
  CHECK(report->summary.tax == rs(600));
}

TEST_CASE("a lot sold in parts shares its cost without losing a paisa", "[records]") {
  // 3 shares bought for 99.99 (33.33 each) with other charges 0.02, sold one at a time. Value
  // and charges are each shared from what is left: value 99.99 / 3 = 33.33 each; charges
  // 0.02 x 1/3 = 0.0067 -> 0.01, then 0.01 x 1/2 = 0.005 -> 0.00 (half to even), then the 0.01
  // left. Costs 33.34 + 33.33 + 33.34 = 100.01, the whole.
  std::vector<LedgerFill> fills = {
      trade("B", "X", {2024, 4, 2}, Side::kBuy, 3, 3333, 2, 0),
      trade("S1", "X", {2024, 5, 2}, Side::kSell, 1, 4000, 0, 0),
      trade("S2", "X", {2024, 5, 3}, Side::kSell, 1, 4000, 0, 0),
      trade("S3", "X", {2024, 5, 6}, Side::kSell, 1, 4000, 0, 0),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  REQUIRE(report->disposals.size() == 3);
  CHECK(report->disposals[0].cost == 3334);
  CHECK(report->disposals[1].cost == 3333);
  CHECK(report->disposals[2].cost == 3334);
}

TEST_CASE("a grandfathered lot without a fair market value keeps its cost and is flagged",
          "[records]") {
  std::vector<LedgerFill> fills = {
      trade("B", "OLD", {2016, 4, 4}, Side::kBuy, 10, rs(100), 0, 0),
      trade("S", "OLD", {2024, 5, 2}, Side::kSell, 10, rs(300), 0, 0),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  REQUIRE(report->disposals.size() == 1);
  CHECK(report->disposals[0].cost == rs(1000));
  CHECK(report->disposals[0].flags == std::vector<std::string>{"fmv_missing"});
}

TEST_CASE("a delivery sale of shares never bought is reported at cost zero and flagged",
          "[records]") {
  std::vector<LedgerFill> fills = {trade("S", "NEW", {2024, 5, 2}, Side::kSell, 10, rs(300), 0, 0)};
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  REQUIRE(report->disposals.size() == 1);
  CHECK(report->disposals[0].cost == 0);
  CHECK(report->disposals[0].flags == std::vector<std::string>{"no_purchase"});
}

TEST_CASE("a financial year before the rates file is refused", "[records]") {
  Result<records::GainsReport> report =
      records::capital_gains({}, {}, shipped_rates(), {}, records::FinancialYear{2005});
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().code() == ErrorCode::kInvalidArgument);
  CHECK(report.status().message().find("2005-06") != std::string::npos);
}

TEST_CASE("financial years parse as 2024-25 only", "[records]") {
  CHECK(records::parse_financial_year("2024-25")->start_year == 2024);
  CHECK(records::parse_financial_year("FY1999-00")->start_year == 1999);
  CHECK_FALSE(records::parse_financial_year("2024-26").ok());
  CHECK_FALSE(records::parse_financial_year("2024").ok());
  CHECK_FALSE(records::parse_financial_year("abcd-ef").ok());
  CHECK(records::financial_year_of({2025, 3, 31}).start_year == 2024);
  CHECK(records::financial_year_of({2025, 4, 1}).start_year == 2025);
}

TEST_CASE("the rates file refuses a bad row with its line number", "[records]") {
  const char* text =
      "# comment\neffective_from,stcg_percent,ltcg_percent,ltcg_exemption_rupees\n"
      "2018-04-01,15,10,100000\n2017-04-01,15,10,100000\n";
  Result<records::GainsRates> rates = records::GainsRates::parse(text, "r.csv");
  REQUIRE_FALSE(rates.ok());
  CHECK(rates.status().message() == "r.csv:4: dates must increase from row to row");
  Result<records::FairMarketValues> fmv =
      records::parse_fair_market_values("symbol,fmv_2018_01_31\nACME,abc\n", "f.csv");
  REQUIRE_FALSE(fmv.ok());
  CHECK(fmv.status().message() == "f.csv:2: fmv 'abc' is not a positive amount");
}
