// Daily and monthly statements from hand-made fills: every figure worked out in the comments.
#include "records/statement.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using namespace sm;
using sm::records::LedgerFill;
using sm::records::Statement;
using sm::records::StatementPeriod;

namespace {

LedgerFill trade(const std::string& id, Date day, Side side, Quantity qty, Paise price,
                 Paise charges) {
  LedgerFill f;
  f.fill.ts = from_ist(day, 10, 0);
  f.fill.trade_id = id;
  f.fill.strategy = "trend";
  f.fill.symbol = "TCS";
  f.fill.side = side;
  f.fill.qty = qty;
  f.fill.price = price;
  f.charges.brokerage = charges;
  f.fill.charges = charges;
  return f;
}

// TCS marks: 120 by the end of 2024-09-03, 130 by the end of September and after.
records::MarkPrice marks() {
  return [](const std::string& symbol, TimestampMs ts) -> Result<std::optional<Paise>> {
    if (symbol != "TCS") return std::optional<Paise>();
    return std::optional<Paise>(ts <= from_ist(Date{2024, 9, 4}, 0, 0) ? 12000 : 13000);
  };
}

std::vector<LedgerFill> fills() {
  // 2024-09-02: buy 10 at 100 (charges 1.00). 2024-09-03: sell 4 at 110 (charges 0.50):
  // realised 4 x (110 - 100) = 40.00. A reversed buy on 2024-09-03 does not count.
  LedgerFill phantom = trade("K", {2024, 9, 3}, Side::kBuy, 100, 10000, 0);
  phantom.reversed = true;
  return {trade("A", {2024, 9, 2}, Side::kBuy, 10, 10000, 100), phantom,
          trade("B", {2024, 9, 3}, Side::kSell, 4, 11000, 50)};
}

std::vector<store::HaltRecord> halts() {
  store::HaltRecord h;
  h.level = "halt";
  h.trigger = "manual";
  h.reason = "checking the broker";
  h.set_by = "ops";
  h.created_ms = from_ist(Date{2024, 9, 3}, 11, 0);
  return {h};
}

}  // namespace

TEST_CASE("daily statements show each trading day's positions, P&L, charges and halts",
          "[records]") {
  Result<std::vector<Statement>> days = records::build_statements(
      fills(), {}, halts(), StatementPeriod::kDay, {2024, 9, 1}, {2024, 9, 5}, marks());
  REQUIRE(days.ok());
  // 09-01, 09-04 and 09-05 had no fill and no halt: left out.
  REQUIRE(days->size() == 2);
  const Statement& first = (*days)[0];
  CHECK(first.label == "2024-09-02");
  REQUIRE(first.lines.size() == 1);
  CHECK(first.lines[0].opening_qty == 0);
  CHECK(first.lines[0].bought == 10);
  CHECK(first.lines[0].closing_qty == 10);
  CHECK(first.charges() == 100);
  // Marked at the last price before 2024-09-03 00:00 IST, 120: 10 x 120 - 1000 = 200.00.
  CHECK(first.unrealised() == 20000);
  const Statement& second = (*days)[1];
  REQUIRE(second.lines.size() == 1);
  CHECK(second.lines[0].opening_qty == 10);
  CHECK(second.lines[0].sold == 4);
  CHECK(second.lines[0].bought == 0);
  CHECK(second.lines[0].closing_qty == 6);
  CHECK(second.realised() == 4000);
  CHECK(second.charges() == 50);
  // 6 x 120 - 600 = 120.00.
  CHECK(second.unrealised() == 12000);
  REQUIRE(second.halts.size() == 1);

  const std::string csv = records::format_statements_csv(*days);
  CHECK(csv.find("\n2024-09-03,position,trend,TCS,10,0,4,6,100.00,120.00,40.00,0.50,120.00,\n") !=
        std::string::npos);
  CHECK(csv.find("\n2024-09-03,total,,,,,,,,,40.00,0.50,120.00,realised after charges 39.50\n") !=
        std::string::npos);
  CHECK(csv.find("\n2024-09-03,halt,") != std::string::npos);
}

TEST_CASE("monthly statements carry a held position into a month without trades", "[records]") {
  Result<std::vector<Statement>> months = records::build_statements(
      fills(), {}, halts(), StatementPeriod::kMonth, {2024, 9, 1}, {2024, 11, 30}, marks());
  REQUIRE(months.ok());
  REQUIRE(months->size() == 3);
  const Statement& september = (*months)[0];
  CHECK(september.label == "2024-09");
  CHECK(september.realised() == 4000);
  CHECK(september.charges() == 150);
  // Marked at 130 at the end of September: 6 x 130 - 600 = 180.00.
  CHECK(september.unrealised() == 18000);
  CHECK(september.halts.size() == 1);
  const Statement& october = (*months)[1];
  REQUIRE(october.lines.size() == 1);
  CHECK(october.lines[0].opening_qty == 6);
  CHECK(october.lines[0].closing_qty == 6);
  CHECK(october.realised() == 0);
  CHECK(october.halts.empty());
}

TEST_CASE("a split on its ex-date changes the quantity carried, not the cost", "[records]") {
  CorporateAction split;
  split.symbol = "TCS";
  split.ex_date = {2024, 9, 10};
  split.kind = ActionKind::kSplit;
  split.a = 1;
  split.b = 2;
  Result<std::vector<Statement>> months = records::build_statements(
      fills(), {split}, {}, StatementPeriod::kMonth, {2024, 10, 1}, {2024, 10, 31}, marks());
  REQUIRE(months.ok());
  REQUIRE(months->size() == 1);
  CHECK((*months)[0].lines[0].opening_qty == 12);
  // 12 x 130 - 600 = 960.00.
  CHECK((*months)[0].unrealised() == 96000);
}

TEST_CASE("the HTML statement is one page in the report style with a section per period",
          "[records]") {
  Result<std::vector<Statement>> days = records::build_statements(
      fills(), {}, halts(), StatementPeriod::kDay, {2024, 9, 2}, {2024, 9, 3}, marks());
  REQUIRE(days.ok());
  const std::string page = records::format_statements_html(*days, "Daily statements");
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(page.find("<h2>2024-09-02</h2>") != std::string::npos);
  CHECK(page.find("<h2>2024-09-03</h2>") != std::string::npos);
  CHECK(page.find("checking the broker") != std::string::npos);
  CHECK(page.find("<div class=\"k\">Realised P&amp;L</div><div class=\"v pos\">40.00</div>") !=
        std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(records::format_statements_html({}, "Empty").find("No trades, positions or halts.") !=
        std::string::npos);
}
