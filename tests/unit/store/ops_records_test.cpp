#include "store/ops_records.h"

#include <catch2/catch.hpp>

#include "support/captured_log.h"
#include "support/temp_database.h"

using sm::ErrorCode;
using sm::store::Database;
using sm::testing::TempDir;

namespace {

constexpr sm::TimestampMs kT0 = 1711597500000;

using Fixture = sm::testing::TempDatabase;

sm::Heartbeat beat(std::string component, sm::TimestampMs ts, std::string status = "ok",
                   std::int64_t pid = 100) {
  sm::Heartbeat hb;
  hb.component = std::move(component);
  hb.ts = ts;
  hb.status = std::move(status);
  hb.pid = pid;
  return hb;
}

sm::Halt halt(std::string level, std::string trigger, sm::TimestampMs ts,
              sm::TimestampMs until = 0) {
  sm::Halt h;
  h.ts = ts;
  h.level = std::move(level);
  h.trigger = std::move(trigger);
  h.reason = "test";
  h.by = "sm-risk";
  h.until = until;
  return h;
}

}  // namespace

TEST_CASE("heartbeats keep the latest per component and history only on changes") {
  Fixture f;
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-ingest", kT0)).ok());
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-ingest", kT0 + 10000)).ok());
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-ingest", kT0 + 20000, "degraded")).ok());
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-ingest", kT0 + 30000, "degraded", 200)).ok());
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-ingest", kT0 + 5000)).ok());  // stale
  REQUIRE(sm::store::record_heartbeat(f.db, beat("sm-risk", kT0)).ok());
  auto last = sm::store::last_heartbeats(f.db);
  REQUIRE(last.ok());
  REQUIRE(last->size() == 2);
  CHECK((*last)[0].component == "sm-ingest");
  CHECK((*last)[0].ts == kT0 + 30000);
  CHECK((*last)[0].status == "degraded");
  CHECK((*last)[0].pid == 200);
  CHECK(*f.db.query_int64("SELECT count(*) FROM heartbeat_history WHERE component = 'sm-ingest'") ==
        3);
  CHECK(sm::store::record_heartbeat(f.db, beat("", kT0)).code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("errors are stored once and read back by row id") {
  Fixture f;
  sm::ErrorRecord e;
  e.ts = kT0;
  e.component = "sm-order";
  e.code = "unavailable";
  e.message = "HTTP 503";
  auto first = sm::store::record_error(f.db, e);
  REQUIRE(first.ok());
  CHECK(*first);
  auto again = sm::store::record_error(f.db, e);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  e.ts = kT0 + 1;
  e.event = "broker_call_failed";
  REQUIRE(sm::store::record_error(f.db, e).ok());
  auto all = sm::store::errors_after(f.db, 0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].error.event == "unavailable");  // no event given: its code
  CHECK((*all)[1].error.event == "broker_call_failed");
  CHECK((*all)[1].error.message == "HTTP 503");
  auto later = sm::store::errors_after(f.db, (*all)[0].id);
  REQUIRE(later.ok());
  CHECK(later->size() == 1);
  e.component.clear();
  CHECK(sm::store::record_error(f.db, e).status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("an error recorder stores the error lines its logger writes while it lives") {
  Fixture f;
  sm::testing::CapturedLog captured(sm::LogLevel::kError);
  const sm::Logger& log = captured.log();
  {
    sm::store::ErrorRecorder recorder(log, f.db);
    log.warn("just_a_warning");
    log.error_status("database_error", sm::Status(ErrorCode::kDatabaseError, "disk I/O error"),
                     {{"db", "x.db"}});
    log.error("bad_line", {{"input", "stdin"}, {"line", 7}, {"length", 3}});
  }
  log.error("after_the_recorder");
  auto stored = sm::store::errors_after(f.db, 0);
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 2);
  const sm::ErrorRecord& first = (*stored)[0].error;
  CHECK(first.component == "sm-test");
  CHECK(first.event == "database_error");
  CHECK(first.code == "database_error");
  CHECK(first.message == "disk I/O error");
  const sm::ErrorRecord& second = (*stored)[1].error;
  CHECK(second.event == "bad_line");
  CHECK(second.input == "stdin");
  CHECK(second.line == 7);
  CHECK(second.message.find("\"length\":3") != std::string::npos);  // no message: the fields
  CHECK(captured.text().find("after_the_recorder") != std::string::npos);
}

TEST_CASE("alerts are stored once per component, event, key and time") {
  Fixture f;
  sm::Alert alert;
  alert.ts = kT0;
  alert.severity = sm::Severity::kCritical;
  alert.component = "sm-risk";
  alert.event = "kill_switch_daily_loss";
  alert.text = "Daily loss 5.2% hit the 5% limit";
  alert.dedup_key = "daily-loss-2024-03-28";
  CHECK(*sm::store::record_alert(f.db, alert));
  CHECK_FALSE(*sm::store::record_alert(f.db, alert));
  alert.ts += 1000;
  CHECK(*sm::store::record_alert(f.db, alert));
  auto recent = sm::store::recent_alerts(f.db, 10);
  REQUIRE(recent->size() == 2);
  CHECK((*recent)[0].ts == kT0 + 1000);
  CHECK((*recent)[0].severity == sm::Severity::kCritical);
}

TEST_CASE("a halt is recorded once while active, survives reopening and clears") {
  TempDir dir;
  const std::string path = dir.file("stalk.db");
  std::int64_t id = 0;
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    auto first = sm::store::set_halt(*db, halt("halt", "daily_loss_5pct", kT0));
    REQUIRE(first.ok());
    id = first->id;
    auto again = sm::store::set_halt(*db, halt("halt", "daily_loss_5pct", kT0 + 60000));
    REQUIRE(again.ok());
    CHECK(again->id == id);
    CHECK(again->created_ms == kT0);
  }
  auto db = Database::open(path);
  REQUIRE(db.ok());
  auto active = sm::store::active_halts(*db, kT0 + 120000);
  REQUIRE(active.ok());
  REQUIRE(active->size() == 1);
  CHECK((*active)[0].id == id);
  CHECK((*active)[0].set_by == "sm-risk");
  CHECK_FALSE((*active)[0].until_ms.has_value());
  REQUIRE(sm::store::set_halt(*db, halt("block_entries", "manual", kT0)).ok());
  CHECK(*sm::store::clear_halts(*db, "halt", "pavan", "checked", kT0 + 180000) == 1);
  active = sm::store::active_halts(*db, kT0 + 200000);
  REQUIRE(active->size() == 1);
  CHECK((*active)[0].level == "block_entries");
  CHECK(*sm::store::clear_halts(*db, "", "pavan", "all clear", kT0 + 200000) == 1);
  CHECK(sm::store::active_halts(*db, kT0 + 200000)->empty());
  // After clearing, the same trigger records a new halt.
  auto later = sm::store::set_halt(*db, halt("halt", "daily_loss_5pct", kT0 + 300000));
  REQUIRE(later.ok());
  CHECK(later->id != id);
}

TEST_CASE("a halt with an until time stops being active then") {
  Fixture f;
  REQUIRE(sm::store::set_halt(f.db, halt("pause", "broker_errors", kT0, kT0 + 60000)).ok());
  CHECK(sm::store::active_halts(f.db, kT0 + 59999)->size() == 1);
  CHECK(sm::store::active_halts(f.db, kT0 + 60000)->empty());
}

TEST_CASE("bad halts are refused") {
  Fixture f;
  CHECK(sm::store::set_halt(f.db, halt("stop", "x", kT0)).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(sm::store::set_halt(f.db, halt("halt", "", kT0)).status().code() ==
        ErrorCode::kInvalidArgument);
  sm::Halt resume = halt("halt", "manual", kT0);
  resume.action = "resume";
  CHECK(sm::store::set_halt(f.db, resume).status().code() == ErrorCode::kInvalidArgument);
  CHECK(sm::store::clear_halts(f.db, "everything", "me", "", kT0).status().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("config changes are recorded only when the hash changes, per program") {
  Fixture f;
  CHECK(*sm::store::record_config_change(f.db, "sm-risk", "max_loss = 5", "h1", "pavan", kT0));
  CHECK_FALSE(*sm::store::record_config_change(f.db, "sm-risk", "max_loss = 5", "h1"));
  CHECK(*sm::store::record_config_change(f.db, "sm-signal", "max_loss = 5", "h1"));
  CHECK(*sm::store::record_config_change(f.db, "sm-risk", "max_loss = 4", "h2"));
  CHECK(*sm::store::record_config_change(f.db, "sm-risk", "max_loss = 5", "h1"));  // back again
  CHECK(*f.db.query_int64("SELECT count(*) FROM config_changes") == 4);
  auto last = sm::store::last_config_change(f.db, "sm-risk");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->hash == "h1");
  CHECK((*last)->ts > kT0);
  CHECK(sm::store::record_config_change(f.db, "", "x", "h").status().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("record_config writes a row only when the configuration changed, and says who") {
  Fixture f;
  sm::testing::CapturedLog captured;
  auto first = sm::Config::parse(R"({"risk": {"max_order_qty": 5}})");
  auto same = sm::Config::parse("{\"risk\": /* reformatted */ {\"max_order_qty\":5}}");
  auto changed = sm::Config::parse(R"({"risk": {"max_order_qty": 6}})");
  REQUIRE((first.ok() && same.ok() && changed.ok()));

  auto recorded = sm::store::record_config(f.db, "sm-risk", *first, captured.log(), "pavan", kT0);
  REQUIRE(recorded.ok());
  CHECK(*recorded);
  CHECK(captured.text().find("config_change_recorded") != std::string::npos);
  CHECK_FALSE(*sm::store::record_config(f.db, "sm-risk", *same, captured.log(), "pavan"));
  CHECK(*sm::store::record_config(f.db, "sm-order", *same, captured.log()));
  CHECK(*sm::store::record_config(f.db, "sm-risk", *changed, captured.log()));

  auto risk = sm::store::last_config_change(f.db, "sm-risk");
  REQUIRE((risk.ok() && risk->has_value()));
  CHECK((*risk)->hash == changed->content_hash());
  CHECK((*risk)->content == changed->canonical_text());
  CHECK((*risk)->changed_by == sm::default_actor());
  auto order = sm::store::last_config_change(f.db, "sm-order");
  REQUIRE((order.ok() && order->has_value()));
  CHECK((*order)->changed_by == sm::default_actor());
  CHECK(*f.db.query_int64("SELECT count(*) FROM config_changes WHERE changed_by = 'pavan'") == 1);
  CHECK(*f.db.query_int64("SELECT ts_ms FROM config_changes WHERE changed_by = 'pavan'") == kT0);
}

TEST_CASE("instruments are upserted and found") {
  Fixture f;
  sm::store::Instrument tcs;
  tcs.symbol = "TCS";
  tcs.name = "Tata Consultancy Services";
  tcs.instrument_token = 2953217;
  REQUIRE(sm::store::upsert_instrument(f.db, tcs).ok());
  tcs.lot_size = 1;
  tcs.tick_size = 10;
  REQUIRE(sm::store::upsert_instrument(f.db, tcs).ok());
  auto found = sm::store::find_instrument(f.db, "TCS");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->tick_size == 10);
  CHECK((*found)->instrument_token == 2953217);
  CHECK_FALSE(sm::store::find_instrument(f.db, "XYZ")->has_value());
  tcs.lot_size = 0;
  CHECK(sm::store::upsert_instrument(f.db, tcs).code() == ErrorCode::kInvalidArgument);
}
