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

TEST_CASE(
    "a delivery sale and a re-buy of the same shares on one day are netted as an intraday "
    "trade and the held lot keeps its date",
    "[records]") {
  std::vector<LedgerFill> fills = {
      // HOLD: 100 bought 2023-06-01 at 500 = 50000, other 5, STT 50.
      trade("H1", "HOLD", {2023, 6, 1}, Side::kBuy, 100, rs(500), rs(5), rs(50)),
      // 2024-11-04, 10:00: 100 sold at 800 = 80000, other 8, STT 80; 10:05: 60 bought back at 790
      // = 47400, other 6, STT 47.40. The day's net is 40 sold: 60 are speculative, 40 delivered.
      trade("H2", "HOLD", {2024, 11, 4}, Side::kSell, 100, rs(800), rs(8), rs(80),
            Product::kDelivery, 0),
      trade("H3", "HOLD", {2024, 11, 4}, Side::kBuy, 60, rs(790), rs(6), rs(47, 40),
            Product::kDelivery, 5),
      // 2025-01-10: the 60 left of the 2023 lot sold at 850 = 51000, other 6, STT 51.
      trade("H4", "HOLD", {2025, 1, 10}, Side::kSell, 60, rs(850), rs(6), rs(51)),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  const records::GainsReport& r = *report;
  REQUIRE(r.disposals.size() == 3);
  // Speculative: the sale's 60/100 share: value 48000, other 4.80, STT 48; bought 47400 + 6.
  //   48000 - 4.80 - 47406 - (48 + 47.40) = 493.80.
  const Disposal& netted = find(r, "HOLD", {2024, 11, 4}, {2024, 11, 4});
  CHECK(netted.kind == GainKind::kSpeculative);
  CHECK(netted.qty == 60);
  CHECK(netted.sale_value == rs(48000));
  CHECK(netted.transfer_expenses == rs(4, 80));
  CHECK(netted.actual_cost == rs(47406));
  CHECK(netted.gain() == rs(493, 80));
  // The 40 delivered come out of the 2023 lot: value 32000, other 3.20; cost 20000 + 2.
  //   32000 - 3.20 - 20002 = 11994.80, long-term at 12.5 %.
  const Disposal& delivered = find(r, "HOLD", {2024, 11, 4}, {2023, 6, 1});
  CHECK(delivered.kind == GainKind::kLongTerm);
  CHECK(delivered.qty == 40);
  CHECK(delivered.gain() == rs(11994, 80));
  // January: the other 60 of the 2023 lot, still long-term: 51000 - 6 - 30003 = 20991.
  const Disposal& later = find(r, "HOLD", {2025, 1, 10}, {2023, 6, 1});
  CHECK(later.kind == GainKind::kLongTerm);
  CHECK(later.qty == 60);
  CHECK(later.gain() == rs(20991));
}

TEST_CASE(
    "losses brought forward are set off oldest first within their years and the rest carried "
    "or lapsed",
    "[records]") {
  // FY 2024-25 (STCG 20 %, LTCG 12.5 %, exemption 1,25,000), no charges.
  //   S: short-term gain 100 x (200 - 100) = 10000; T: short-term loss 10 x (300 - 250) = 500.
  //   L: long-term gain 100 x (2700 - 1000) = 170000; M: long-term loss 10 x (500 - 400) = 1000.
  //   V: intraday gain 50 x (110 - 100) = 500.
  std::vector<LedgerFill> fills = {
      trade("L1", "L", {2022, 5, 2}, Side::kBuy, 100, rs(1000), 0, 0),
      trade("M1", "M", {2022, 5, 2}, Side::kBuy, 10, rs(500), 0, 0),
      trade("S1", "S", {2024, 8, 1}, Side::kBuy, 100, rs(100), 0, 0),
      trade("T1", "T", {2024, 8, 1}, Side::kBuy, 10, rs(300), 0, 0),
      trade("V1", "V", {2024, 9, 2}, Side::kBuy, 50, rs(100), 0, 0, Product::kIntraday, 0),
      trade("V2", "V", {2024, 9, 2}, Side::kSell, 50, rs(110), 0, 0, Product::kIntraday, 5),
      trade("S2", "S", {2024, 10, 1}, Side::kSell, 100, rs(200), 0, 0),
      trade("T2", "T", {2024, 10, 1}, Side::kSell, 10, rs(250), 0, 0),
      trade("L2", "L", {2024, 12, 2}, Side::kSell, 100, rs(2700), 0, 0),
      trade("M2", "M", {2024, 12, 2}, Side::kSell, 10, rs(400), 0, 0),
  };
  Result<std::vector<records::BroughtForwardLoss>> losses = records::parse_brought_forward_losses(
      "# Schedule CFL of the return for AY 2024-25\n"
      "incurred,kind,amount\n"
      "2021-22,short_term,20000\n"
      "2015-16,long_term,500\n"    // 9 years before 2024-25: past the 8, lapsed unused
      "2016-17,short_term,1000\n"  // 8 years before: its last year
      "2019-20,long_term,30000\n"
      "2020-21,speculative,800\n"  // 4 years before: its last year for a speculative loss
      "2022-23,speculative,2000\n"
      "2023-24,long_term,0\n",  // nothing left: skipped
      "cfl.csv");
  REQUIRE(losses.ok());
  REQUIRE(losses->size() == 6);
  CHECK(losses->front().incurred.start_year == 2015);  // oldest first
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024}, *losses);
  REQUIRE(report.ok());
  const records::GainsSummary& s = report->summary;
  // The year's own set-off: short-term 10000 - 500 = 9500; long-term 170000 - 1000 = 169000.
  // Brought forward, oldest first:
  //   short-term against short-term: 2016-17's 1000 (9500 -> 8500), then 8500 of 2021-22's
  //   20000 (-> 0; 11500 left).
  //   long-term against long-term: 2015-16's 500 lapsed; 2019-20's 30000 (169000 -> 139000).
  //   short-term left against long-term: 11500 of 2021-22 (139000 -> 127500).
  //   Exemption 125000 -> 2500 taxable at 12.5 % = 312.50.
  //   Speculative 500: 500 of 2020-21's 800 (-> 0); its 300 left lapses after this year (its
  //   fourth); 2022-23's 2000 is carried forward whole.
  const records::RateBucket& st = bucket(*report, GainKind::kShortTerm, 2000);
  CHECK(st.taxable == 0);
  const records::RateBucket& lt = bucket(*report, GainKind::kLongTerm, 1250);
  CHECK(lt.gains == rs(170000));
  CHECK(lt.losses == rs(1000));
  CHECK(lt.taxable == rs(2500));
  CHECK(s.exemption_used == rs(125000));
  CHECK(s.tax == rs(312, 50));
  CHECK(s.speculative_gain == rs(500));
  CHECK(s.speculative_taxable == 0);
  CHECK(s.short_term_loss_carried == 0);
  CHECK(s.long_term_loss_carried == 0);
  CHECK(s.speculative_loss_carried == rs(2000));
  REQUIRE(s.losses.size() == 6);
  auto account = [&](int incurred) -> const records::LossAccount& {
    for (const records::LossAccount& a : s.losses) {
      if (a.incurred.start_year == incurred) return a;
    }
    FAIL("no loss account of " << incurred);
    return s.losses.front();
  };
  CHECK(account(2015).lapsed == rs(500));
  CHECK(account(2015).set_off == 0);
  CHECK(account(2016).set_off == rs(1000));
  CHECK(account(2019).set_off == rs(30000));
  CHECK(account(2020).set_off == rs(500));
  CHECK(account(2020).lapsed == rs(300));
  CHECK(account(2020).carried_forward == 0);
  CHECK(account(2021).set_off == rs(20000));
  CHECK(account(2022).carried_forward == rs(2000));
  for (const records::LossAccount& a : s.losses) {
    CHECK(a.brought_forward == a.set_off + a.lapsed + a.carried_forward);
  }

  // The --losses CSV of this year is next year's file: only 2022-23's 2000 is left in it.
  Result<std::vector<records::BroughtForwardLoss>> next =
      records::parse_brought_forward_losses(records::format_losses_csv(*report), "out.csv");
  REQUIRE(next.ok());
  REQUIRE(next->size() == 1);
  CHECK(next->front().incurred.start_year == 2022);
  CHECK(next->front().kind == GainKind::kSpeculative);
  CHECK(next->front().amount == rs(2000));
}

TEST_CASE("a year's own loss is carried forward and set off the next year", "[records]") {
  // FY 2024-25: short-term loss 10 x (300 - 200) = 1000, nothing to set it off against.
  // FY 2025-26: short-term gain 10 x (500 - 300) = 2000 less the 1000 brought forward = 1000,
  // at 20 % = 200.
  std::vector<LedgerFill> fills = {
      trade("A1", "A", {2024, 5, 2}, Side::kBuy, 10, rs(300), 0, 0),
      trade("A2", "A", {2024, 6, 3}, Side::kSell, 10, rs(200), 0, 0),
      trade("B1", "B", {2025, 5, 2}, Side::kBuy, 10, rs(300), 0, 0),
      trade("B2", "B", {2025, 6, 2}, Side::kSell, 10, rs(500), 0, 0),
  };
  Result<records::GainsReport> first =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(first.ok());
  CHECK(first->summary.short_term_loss_carried == rs(1000));
  Result<std::vector<records::BroughtForwardLoss>> carried =
      records::parse_brought_forward_losses(records::format_losses_csv(*first), "2024-25.csv");
  REQUIRE(carried.ok());
  Result<records::GainsReport> second = records::capital_gains(
      fills, {}, shipped_rates(), {}, records::FinancialYear{2025}, *carried);
  REQUIRE(second.ok());
  CHECK(bucket(*second, GainKind::kShortTerm, 2000).taxable == rs(1000));
  CHECK(second->summary.tax == rs(200));
  CHECK(second->summary.short_term_loss_carried == 0);

  // A loss of the report's own year (or later) cannot be brought into it.
  Result<records::GainsReport> wrong = records::capital_gains(
      fills, {}, shipped_rates(), {}, records::FinancialYear{2024}, *carried);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == ErrorCode::kInvalidArgument);
  CHECK(wrong.status().message() ==
        "the short_term loss of 2024-25 cannot be brought forward into 2024-25: only losses of "
        "earlier years are");
}

TEST_CASE("the losses file refuses a bad kind, a bad amount and a year listed twice", "[records]") {
  using records::parse_brought_forward_losses;
  CHECK(parse_brought_forward_losses("incurred,kind,amount\n2020-21,business,5\n", "f.csv")
            .status()
            .message() == "f.csv:2: kind 'business' is not short_term, long_term or speculative");
  CHECK(parse_brought_forward_losses("incurred,kind,amount\n2020-21,long_term,-5\n", "f.csv")
            .status()
            .message() == "f.csv:2: amount '-5' is not an amount of rupees");
  CHECK(parse_brought_forward_losses(
            "incurred,kind,amount\n2020-21,long_term,5\n2020-21,long_term,6\n", "f.csv")
            .status()
            .message() == "f.csv:3: the long_term loss of 2020-21 is listed twice");
  CHECK(parse_brought_forward_losses("year,kind,amount\n", "f.csv").status().message() ==
        "f.csv:1: the header must name the columns incurred, kind and amount");
}

TEST_CASE(
    "the s.44AB turnover adds the absolute differences of speculative trades and the sale "
    "value of delivery ones",
    "[records]") {
  std::vector<LedgerFill> fills = {
      // Intraday long: 100 bought at 500, sold at 510 (charges 12 and 13 are not part of the
      // difference): |51000 - 50000| = 1000.
      trade("A1", "A", {2024, 9, 2}, Side::kBuy, 100, rs(500), rs(12), 0, Product::kIntraday, 0),
      trade("A2", "A", {2024, 9, 2}, Side::kSell, 100, rs(510), rs(13), 0, Product::kIntraday, 5),
      // Intraday short at a loss: 40 sold at 300, bought at 310: |12000 - 12400| = 400.
      trade("B1", "B", {2024, 9, 3}, Side::kSell, 40, rs(300), 0, 0, Product::kIntraday, 0),
      trade("B2", "B", {2024, 9, 3}, Side::kBuy, 40, rs(310), 0, 0, Product::kIntraday, 5),
      // Delivery bought and sold the same day, netted: |1050 - 1000| = 50.
      trade("C1", "C", {2025, 2, 3}, Side::kBuy, 10, rs(100), 0, 0, Product::kDelivery, 0),
      trade("C2", "C", {2025, 2, 3}, Side::kSell, 10, rs(105), 0, 0, Product::kDelivery, 5),
      // Delivery sold at a loss: sale value 20 x 900 = 18000.
      trade("D1", "D", {2024, 5, 2}, Side::kBuy, 20, rs(1000), 0, 0),
      trade("D2", "D", {2024, 6, 3}, Side::kSell, 20, rs(900), 0, 0),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  // 1000 + 400 + 50 = 1450, where the net speculative result is 1000 - 25 - 400 + 50 = 625.
  CHECK(report->summary.speculative_turnover == rs(1450));
  CHECK(report->summary.speculative_gain == rs(625));
  CHECK(report->summary.delivery_turnover == rs(18000));
  const std::string summary = records::format_summary_csv(*report);
  CHECK(summary.find("2024-25,speculative_turnover,,,,1450.00,\n") != std::string::npos);
  CHECK(summary.find("2024-25,delivery_turnover,,,,18000.00,\n") != std::string::npos);
}

TEST_CASE("the gains per strategy add up to the unsplit report", "[records]") {
  auto by = [](LedgerFill f, const std::string& strategy) {
    f.fill.strategy = strategy;
    return f;
  };
  std::vector<LedgerFill> fills = {
      // Z: long-term 10 x (300 - 100) = 2000, closed by trend.
      trade("Z1", "Z", {2022, 5, 2}, Side::kBuy, 10, rs(100), 0, 0),
      // P: bought by trend, sold by revert: short-term 10 x (130 - 100) = 300 for revert.
      trade("P1", "P", {2024, 5, 2}, Side::kBuy, 10, rs(100), 0, 0),
      // Q: short-term 10 x (90 - 100) = -100 for trend. Short-term sale values 1300 + 900 = 2200.
      trade("Q1", "Q", {2024, 5, 2}, Side::kBuy, 10, rs(100), 0, 0),
      by(trade("P2", "P", {2024, 6, 3}, Side::kSell, 10, rs(130), 0, 0), "revert"),
      trade("Q2", "Q", {2024, 6, 3}, Side::kSell, 10, rs(90), 0, 0),
      // R: speculative 10 x (55 - 50) = 50 for revert, and a short 10 x (60 - 62) = -20 for
      // trend.
      by(trade("R1", "R", {2024, 7, 1}, Side::kBuy, 10, rs(50), 0, 0, Product::kIntraday, 0),
         "revert"),
      by(trade("R2", "R", {2024, 7, 1}, Side::kSell, 10, rs(55), 0, 0, Product::kIntraday, 5),
         "revert"),
      trade("R3", "R", {2024, 7, 2}, Side::kSell, 10, rs(60), 0, 0, Product::kIntraday, 0),
      trade("R4", "R", {2024, 7, 2}, Side::kBuy, 10, rs(62), 0, 0, Product::kIntraday, 5),
      trade("Z2", "Z", {2024, 8, 1}, Side::kSell, 10, rs(300), 0, 0),
  };
  Result<records::GainsReport> report =
      records::capital_gains(fills, {}, shipped_rates(), {}, records::FinancialYear{2024});
  REQUIRE(report.ok());
  const std::vector<records::StrategyGains> split = records::gains_by_strategy(report->disposals);
  REQUIRE(split.size() == 5);
  CHECK(split[0].strategy == "revert");
  CHECK(split[0].kind == GainKind::kShortTerm);
  CHECK(split[0].gain == rs(300));
  CHECK(split[1].kind == GainKind::kSpeculative);
  CHECK(split[1].gain == rs(50));
  CHECK(split[2].strategy == "trend");
  CHECK(split[2].gain == -rs(100));
  CHECK(split[3].kind == GainKind::kLongTerm);
  CHECK(split[3].gain == rs(2000));
  CHECK(split[4].gain == -rs(20));

  // Per kind, the strategies add up to the unsplit report: its buckets' gains less losses, and
  // its speculative result.
  Paise short_term = 0, long_term = 0, speculative = 0;
  for (const records::StrategyGains& g : split) {
    (g.kind == GainKind::kShortTerm  ? short_term
     : g.kind == GainKind::kLongTerm ? long_term
                                     : speculative) += g.gain;
  }
  // (The June sales are before 2024-07-23: short-term at 15 %.)
  const records::RateBucket& st = bucket(*report, GainKind::kShortTerm, 1500);
  const records::RateBucket& lt = bucket(*report, GainKind::kLongTerm, 1250);
  CHECK(short_term == st.gains - st.losses);
  CHECK(long_term == lt.gains - lt.losses);
  CHECK(speculative == report->summary.speculative_gain);
  CHECK(speculative == rs(30));
  const std::string csv = records::format_by_strategy_csv(*report);
  CHECK(csv.find("2024-25,total,,short_term,2,20,2200.00,2000.00,0.00,0.00,200.00\n") !=
        std::string::npos);
  CHECK(csv.find("2024-25,strategy,revert,short_term,1,10,1300.00,1000.00,0.00,0.00,300.00\n") !=
        std::string::npos);
}
