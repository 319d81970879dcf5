#include "store/status_report.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/temp_database.h"
#include "time/clock.h"
#include "trend_fill.h"

using sm::Side;
using sm::store::Database;
using sm::testing::TempDir;
using sm::testing::trend_fill;

namespace {

// 2024-03-28 15:00 IST
constexpr sm::TimestampMs kNow = 1711618200000;
constexpr sm::TimestampMs kMinute = 60000;

sm::Bar bar(std::string symbol, sm::TimestampMs ts, sm::Paise close, int minutes) {
  sm::Bar b;
  b.symbol = std::move(symbol);
  b.ts = ts;
  b.timeframe = sm::Timeframe{minutes};
  b.open = b.high = b.low = b.close = close;
  b.volume = 10;
  return b;
}

void populate(Database& db, sm::TimestampMs now) {
  REQUIRE(sm::store::insert_bars(db,
                                 std::vector<sm::Bar>{
                                     bar("TCS", now - 2 * kMinute, 391000, 1),
                                     bar("TCS", now - 1 * kMinute, 392050, 1),
                                     bar("TCS", now - 30 * 60 * kMinute, 390000, 1440),
                                 })
              .ok());
  sm::Tick tick;
  tick.ts = now - 2000;
  tick.symbol = "INFY";
  tick.price = 150000;
  REQUIRE(sm::store::insert_ticks(db, std::vector<sm::Tick>{tick}).ok());
  // Yesterday's fill: not today's P&L, but part of the position.
  REQUIRE(sm::store::insert_fill(
              db, trend_fill("T0", "TCS", Side::kBuy, 4, 390000, now - 26 * 60 * kMinute))
              .ok());
  REQUIRE(sm::store::insert_fill(
              db, trend_fill("T1", "TCS", Side::kBuy, 6, 390000, now - 60 * kMinute, 550))
              .ok());
  REQUIRE(sm::store::insert_fill(
              db, trend_fill("T2", "TCS", Side::kSell, 4, 393000, now - 30 * kMinute, 200))
              .ok());
  // A position in a symbol without market data.
  REQUIRE(sm::store::insert_fill(
              db, trend_fill("T3", "WIPRO", Side::kBuy, 1, 50000, now - 10 * kMinute))
              .ok());
  sm::OrderIntent intent;
  intent.ts = now - 5 * kMinute;
  intent.client_order_id = "open1";
  intent.strategy = "trend";
  intent.symbol = "INFY";
  intent.qty = 5;
  intent.order_type = sm::OrderType::kLimit;
  intent.price = 149000;
  REQUIRE(*sm::store::upsert_order_intent(db, intent));
  intent.client_order_id = "done1";
  REQUIRE(*sm::store::upsert_order_intent(db, intent));
  sm::OrderUpdate done;
  done.ts = now - 4 * kMinute;
  done.client_order_id = "done1";
  done.status = "CANCELLED";
  REQUIRE(*sm::store::apply_order_update(db, done));
  sm::Halt halt;
  halt.ts = now - 10 * kMinute;
  halt.level = "halt";
  halt.trigger = "daily_loss_5pct";
  halt.by = "sm-risk";
  REQUIRE(sm::store::set_halt(db, halt).ok());
  halt.trigger = "expired";
  halt.until = now - kMinute;
  REQUIRE(sm::store::set_halt(db, halt).ok());
  sm::Heartbeat hb;
  hb.ts = now - 30000;
  hb.component = "sm-ingest";
  hb.pid = 42;
  REQUIRE(sm::store::record_heartbeat(db, hb).ok());
}

}  // namespace

TEST_CASE("status of a missing database is a not_found error naming it and does not create it") {
  TempDir dir;
  const std::string path = dir.file("var/none.db");
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().code() == sm::ErrorCode::kNotFound);
  CHECK_THAT(report.status().message(), Catch::Contains(path));
  CHECK_FALSE(std::filesystem::exists(dir.file("var")));
}

TEST_CASE("status of an empty file reports no schema and leaves the file alone") {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  std::ofstream(path).close();
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE(report.ok());
  CHECK(report->schema_version == 0);
  CHECK_THAT(sm::store::format_status_text(*report), Catch::Contains("No data."));
  CHECK(std::filesystem::file_size(path) == 0);
}

TEST_CASE("status of a freshly created database shows empty sections") {
  TempDir dir;
  const std::string path = dir.file("new.db");
  REQUIRE(Database::open(path).ok());
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE(report.ok());
  CHECK(report->has_data());
  const std::string text = sm::store::format_status_text(*report);
  CHECK_THAT(text, Catch::Contains("Market data\n  no data") &&
                       Catch::Contains("Positions\n  none") &&
                       Catch::Contains("Halts\n  none active"));
}

TEST_CASE("status of a file that is not a database fails with its path") {
  TempDir dir;
  const std::string path = dir.file("junk.db");
  std::ofstream(path) << std::string(200, 'x');
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE_FALSE(report.ok());
  CHECK_THAT(report.status().message(), Catch::Contains(path));
}

TEST_CASE("status reports series, positions, open orders, today's P&L, halts and heartbeats") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    populate(*db, kNow);
  }
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE(report.ok());
  const sm::store::StatusReport& r = *report;

  REQUIRE(r.series.size() == 3);
  CHECK(r.series[0].series.symbol == "INFY");
  CHECK(r.series[0].last_price == 150000);
  CHECK(r.series[1].series.timeframe == sm::Timeframe{1});
  CHECK(r.series[1].last_price == 392050);

  REQUIRE(r.positions.size() == 2);
  const sm::store::PositionStatus& tcs = r.positions[0];
  CHECK(tcs.position.symbol == "TCS");
  CHECK(tcs.position.qty == 6);
  // The 1m bar that ended at now is newer than the daily bar's end.
  REQUIRE(tcs.last_price.has_value());
  CHECK(*tcs.last_price == 392050);
  CHECK(*tcs.unrealised == 6 * 392050 - 6 * 390000);
  CHECK_FALSE(r.positions[1].last_price.has_value());  // WIPRO has no market data

  REQUIRE(r.open_orders.size() == 1);
  CHECK(r.open_orders[0].intent.client_order_id == "open1");

  CHECK(r.pnl.ist_date == sm::Date{2024, 3, 28});
  CHECK(r.pnl.realised == 4 * 3000);  // only today's sell; yesterday's buy realised nothing
  CHECK(r.pnl.charges == 750);
  CHECK(r.pnl.unrealised == 6 * 2050);
  CHECK(r.pnl.net == 12000 - 750 + 12300);
  CHECK(r.pnl.unpriced_positions == 1);

  REQUIRE(r.halts.size() == 1);  // the expired one is not active
  CHECK(r.halts[0].trigger == "daily_loss_5pct");
  REQUIRE(r.heartbeats.size() == 1);
  CHECK(r.heartbeats[0].component == "sm-ingest");

  const std::string text = sm::store::format_status_text(r);
  CHECK_THAT(text, Catch::Contains("2024-03-28 15:00:00 IST"));
  CHECK_THAT(text, Catch::Contains("3,920.50"));  // for people: Indian digit grouping
  CHECK_THAT(text, Catch::Contains("P&L to date"));
  CHECK_THAT(text, Catch::Contains("daily_loss_5pct"));
  CHECK_THAT(text, Catch::Contains("30s"));  // heartbeat age
  CHECK_THAT(text, Catch::Contains("open1"));
  CHECK_THAT(text, !Catch::Contains("done1"));

  const std::string json_text = sm::store::format_status_json(r);
  // Money is written with exactly two decimals.
  CHECK_THAT(json_text, Catch::Contains(R"("average_price":3900.00)") &&
                            Catch::Contains(R"("net":235.50)") &&
                            Catch::Contains(R"("price":1490.00)"));
  auto json = nlohmann::json::parse(json_text);
  // Every position's realised P&L and charges, open and closed, since the database began.
  CHECK(r.pnl_to_date.realised == 4 * 3000);
  CHECK(r.pnl_to_date.charges >= 750);
  CHECK(json["pnl"]["realised_to_date"] == 120.0);
  CHECK(json["ts"] == "2024-03-28T09:30:00.000Z");
  CHECK(json["database"]["has_data"] == true);
  CHECK(json["market_data"].size() == 3);
  CHECK(json["positions"][0]["qty"] == 6);
  CHECK(json["positions"][0]["average_price"] == 3900.0);
  CHECK(json["positions"][1]["last_price"].is_null());
  CHECK(json["heartbeats"][0]["age_ms"] == 30000);
  CHECK(json["halts"][0]["until_ts"].is_null());
}

TEST_CASE("the sqlite3 views agree with the status report") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  // The views use the real clock for "today", so build the data around now.
  const sm::TimestampMs now = sm::time::SystemClock().now_ms();
  auto db = Database::open(path);
  REQUIRE(db.ok());
  populate(*db, now);
  auto report = sm::store::build_status_report(path, now);
  REQUIRE(report.ok());
  auto unrealised =
      db->prepare("SELECT unrealised, qty, last_price FROM open_positions WHERE symbol = 'TCS'");
  REQUIRE(unrealised.ok());
  REQUIRE(*unrealised->step());
  CHECK(unrealised->column_text(0) == sm::format_rupees(*report->positions[0].unrealised));
  CHECK(unrealised->column_int64(1) == report->positions[0].position.qty);
  CHECK(unrealised->column_text(2) == "3920.50");
  auto unpriced = db->prepare(
      "SELECT last_price IS NULL, unrealised IS NULL FROM open_positions WHERE symbol = 'WIPRO'");
  REQUIRE(unpriced.ok());
  REQUIRE(*unpriced->step());
  CHECK(unpriced->column_int64(0) == 1);
  CHECK(unpriced->column_int64(1) == 1);
  CHECK(*db->query_int64("SELECT count(*) FROM open_orders") == 1);
}

TEST_CASE("status shows the risk gateway's state from the most severe halt and today's decisions") {
  TempDir dir;
  const std::string path = dir.file("risk.db");
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    sm::Halt block;
    block.ts = kNow - 5 * kMinute;
    block.level = "block_entries";
    block.trigger = "daily_loss_block";
    block.reason = "daily loss 3.10% of capital";
    block.by = "sm-risk";
    REQUIRE(sm::store::set_halt(*db, block).ok());
    sm::RiskDecision d;
    d.strategy = "trend";
    d.symbol = "TCS";
    d.approved = true;
    d.code = "APPROVED";
    for (int i = 0; i < 3; ++i) {
      d.ts = d.signal_ts = kNow - (10 - i) * kMinute;
      REQUIRE(sm::store::record_risk_decision(*db, d).ok());
    }
    d.approved = false;
    d.code = "PRICE_STALE";
    d.detail = "last=3900.00 at ..., age=400s, max=300s";
    d.ts = d.signal_ts = kNow - 2 * kMinute;
    REQUIRE(sm::store::record_risk_decision(*db, d).ok());
    d.code = "OLD_DENIAL";
    d.ts = d.signal_ts = kNow - 24 * 60 * kMinute;  // yesterday
    REQUIRE(sm::store::record_risk_decision(*db, d).ok());
  }
  auto report = sm::store::build_status_report(path, kNow);
  REQUIRE(report.ok());
  CHECK(report->risk.state == "entries_blocked");
  REQUIRE(report->risk.reasons.size() == 1);
  CHECK(report->risk.reasons[0] ==
        "block_entries (daily_loss_block) by sm-risk: daily loss 3.10% of capital");
  CHECK(report->risk.approved_today == 3);
  CHECK(report->risk.denied_today == 1);
  REQUIRE(report->risk.last_denial.has_value());
  CHECK(report->risk.last_denial->code == "PRICE_STALE");
  const std::string text = sm::store::format_status_text(*report);
  CHECK(text.find(
            "Risk gateway\n  state: entries_blocked\n  why: block_entries (daily_loss_block)") !=
        std::string::npos);
  CHECK(text.find("decisions today: 3 approved, 1 denied") != std::string::npos);
  const auto json = nlohmann::json::parse(sm::store::format_status_json(*report));
  CHECK(json["risk"]["state"] == "entries_blocked");
  CHECK(json["risk"]["denied_today"] == 1);
  CHECK(json["risk"]["last_denial"]["code"] == "PRICE_STALE");

  // A pause outranks the block.
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    sm::Halt pause;
    pause.ts = kNow - kMinute;
    pause.level = "pause";
    pause.trigger = "order_rate";
    pause.by = "sm-risk";
    REQUIRE(sm::store::set_halt(*db, pause).ok());
  }
  report = sm::store::build_status_report(path, kNow);
  REQUIRE(report.ok());
  CHECK(report->risk.state == "paused");
  CHECK(report->risk.reasons[0].rfind("pause (order_rate)", 0) == 0);
}

TEST_CASE("regression: a daily bar is known at 15:30 IST of its day, not at 09:15 the next day") {
  TempDir dir;
  const std::string path = dir.file("daily.db");
  const sm::Date day{2024, 3, 27};
  const sm::TimestampMs next_morning = sm::from_ist(sm::Date{2024, 3, 28}, 9, 0);
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    REQUIRE(sm::store::insert_bars(*db,
                                   std::vector<sm::Bar>{
                                       bar("TCS", sm::from_ist(day, 9, 15), 390000, 1440),
                                       bar("INFY", sm::from_ist(day, 9, 15), 150000, 1440),
                                   })
                .ok());
    // A print after the close: newer than the daily close, older than 09:15 the next day.
    sm::Tick tick;
    tick.ts = sm::from_ist(day, 15, 45);
    tick.symbol = "INFY";
    tick.price = 151025;
    REQUIRE(sm::store::insert_ticks(*db, std::vector<sm::Tick>{tick}).ok());
    REQUIRE(sm::store::insert_fill(
                *db, trend_fill("D1", "INFY", Side::kBuy, 2, 150000, sm::from_ist(day, 10, 0)))
                .ok());

    auto tcs = db->prepare(
        "SELECT price_paise, price, ts_ms, ts_ist FROM last_prices WHERE symbol = 'TCS'");
    REQUIRE(tcs.ok());
    REQUIRE(*tcs->step());
    CHECK(tcs->column_int64(0) == 390000);
    CHECK(tcs->column_text(1) == "3900.00");
    CHECK(tcs->column_int64(2) == sm::from_ist(day, 15, 30));
    CHECK(tcs->column_text(3) == "2024-03-27 15:30:00");
    auto infy = db->prepare(
        "SELECT last_price, last_price_ist, unrealised FROM open_positions WHERE symbol = 'INFY'");
    REQUIRE(infy.ok());
    REQUIRE(*infy->step());
    CHECK(infy->column_text(0) == "1510.25");
    CHECK(infy->column_text(1) == "2024-03-27 15:45:00");
    CHECK(infy->column_text(2) == "20.50");
  }
  auto report = sm::store::build_status_report(path, next_morning);
  REQUIRE(report.ok());
  REQUIRE(report->positions.size() == 1);
  CHECK(report->positions[0].last_price == 151025);
  CHECK(report->positions[0].last_price_ts == sm::from_ist(day, 15, 45));
  const auto daily = std::find_if(report->series.begin(), report->series.end(),
                                  [](const auto& s) { return s.series.symbol == "TCS"; });
  REQUIRE(daily != report->series.end());
  CHECK(daily->known_ts == sm::from_ist(day, 15, 30));
  const std::string text = sm::store::format_status_text(*report);
  CHECK_THAT(text, Catch::Contains("2024-03-27 15:30:00") && !Catch::Contains("2024-03-28 09:15"));
  const auto json = nlohmann::json::parse(sm::store::format_status_json(*report));
  for (const auto& series : json["market_data"]) {
    if (series["symbol"] == "TCS") {
      CHECK(series["last_ts"] == "2024-03-27T03:45:00.000Z");
      CHECK(series["known_ts"] == "2024-03-27T10:00:00.000Z");
      CHECK(series["age_ms"] == next_morning - sm::from_ist(day, 15, 30));
    }
  }
}
