#include "alert/summary.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "core/timestamp.h"
#include "store/ops_records.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

namespace {

sm::TimestampMs at(const char* utc) { return *sm::parse_timestamp(utc); }

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string each; std::getline(lines, each);) {
    if (each == line) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the summary lists P&L with charges, trades, positions, halts, alerts and tomorrow",
          "[alert][summary]") {
  sm::store::StatusReport report;
  report.now = at("2025-12-08T10:45:00Z");  // 16:15 IST
  report.pnl.net = 123456789;
  report.pnl.realised = 124000000;
  report.pnl.charges = 12345;
  report.pnl.unrealised_change = -531211;
  sm::store::PositionStatus position;
  position.position.symbol = "INFY";
  position.position.strategy = "sma-cross";
  position.position.qty = 10;
  position.position.cost = 1500000;
  position.last_price = 151000;
  position.unrealised = 10000;
  report.positions = {position};
  sm::alert::SummaryInput input;
  input.report = &report;
  sm::Fill fill;
  fill.ts = at("2025-12-08T03:50:00Z");
  fill.side = sm::Side::kBuy;
  fill.qty = 10;
  fill.symbol = "INFY";
  fill.price = 150000;
  fill.strategy = "sma-cross";
  input.fills = {fill, fill, fill};
  sm::store::HaltRecord halt;
  halt.level = "halt";
  halt.trigger = "manual";
  halt.set_by = "asha";
  halt.reason = "results day";
  halt.created_ms = at("2025-12-08T05:00:00Z");
  input.halts = {halt};
  input.critical_alerts = 1;
  input.warning_alerts = 2;
  sm::store::DatedDependency calendar;
  calendar.name = "calendar";
  calendar.state = "expiring";
  calendar.detail = "lists years up to 2025";
  input.tomorrow = {calendar};

  const std::string text = sm::alert::summary_text(input, 2);
  INFO(text);
  CHECK(has_line(text, "Daily summary for 2025-12-08"));
  CHECK(has_line(text,
                 "Net P&L today: +₹12,34,567.89 (realised +₹12,40,000.00, charges ₹123.45, "
                 "unrealised change -₹5,312.11)"));
  CHECK(has_line(text, "Trades today: 3"));
  CHECK(has_line(text, "- 09:20 BUY 10 INFY @ ₹1,500.00 (sma-cross)"));
  CHECK(has_line(text, "- and 1 more (sm-status, the fills table)"));
  CHECK(has_line(text,
                 "- INFY 10 (sma-cross): cost ₹15,000.00, last ₹1,510.00, unrealised +₹100.00"));
  CHECK(has_line(text,
                 "- 10:30 halt (manual) by asha: results day; still in force (sm-risk "
                 "resume)"));
  CHECK(has_line(text, "Alerts today: 1 critical, 2 warning; errors: 0"));
  CHECK(has_line(text, "Divergence from the backtest: not measured"));
  CHECK(has_line(text, "- calendar is expiring: lists years up to 2025"));

  const sm::Alert alert = sm::alert::summary_alert(input, report.now);
  CHECK(alert.event == "daily_summary");
  CHECK(alert.dedup_key == "daily_summary:2025-12-08");
}

TEST_CASE("the day's records are today's fills, halts and alerts", "[alert][summary]") {
  sm::testing::TempDatabase t;
  const sm::TimestampMs day_start = at("2025-12-07T18:30:00Z");  // 2025-12-08 00:00 IST
  sm::Alert yesterday;
  yesterday.ts = day_start - 1;
  yesterday.severity = sm::Severity::kCritical;
  yesterday.component = "sm-risk";
  yesterday.event = "kill_switch_error_rate";
  yesterday.text = "errors over the limit";
  REQUIRE(*sm::store::record_alert(t.db, yesterday));
  sm::Alert today = yesterday;
  today.ts = day_start + 1000;
  REQUIRE(*sm::store::record_alert(t.db, today));
  sm::Halt halt;
  halt.ts = day_start + 2000;
  halt.level = "pause";
  halt.trigger = "order_rate";
  halt.reason = "order rate over the limit";
  halt.by = "sm-risk";
  REQUIRE(sm::store::set_halt(t.db, halt).ok());
  REQUIRE(*sm::store::clear_halts(t.db, "", "asha", "ok", day_start + 3000) == 1);
  sm::alert::SummaryInput input;
  REQUIRE(sm::alert::load_day_records(t.db, day_start, day_start + 10000, input).ok());
  CHECK(input.critical_alerts == 1);
  CHECK(input.errors == 1);
  REQUIRE(input.halts.size() == 1);
  CHECK(input.halts[0].cleared_by == "asha");
  CHECK(input.fills.empty());
}

TEST_CASE("the day's divergence record becomes the summary's divergence lines",
          "[alert][summary]") {
  sm::store::DivergenceRecord record;
  record.date = "2025-12-08";
  record.signals_live = 3;
  record.signals_expected = 4;
  record.signals_missed = 1;
  record.orders_checked = 3;
  record.fills_late = 1;
  record.slippage_bps_mean = 12.5;
  record.slippage_bps_worst = 40;
  record.pnl_difference = -123456;
  record.breaches = "signals_missed,slippage";
  CHECK(sm::alert::divergence_lines(record, "2025-12-08") ==
        std::vector<std::string>{"signals: 3 live, 4 expected (1 missed, 0 extra)",
                                 "orders checked: 3; fills missed 0, late 1",
                                 "slippage: mean 12.5 bps, worst 40.0 bps",
                                 "P&L difference (live - expected): -₹1,234.56",
                                 "thresholds breached: signals_missed,slippage"});
  CHECK(sm::alert::divergence_lines(record, "2025-12-09").empty());
  CHECK(sm::alert::divergence_lines(std::nullopt, "2025-12-08").empty());
}
