#include "alert/outbox.h"

#include <catch2/catch.hpp>

#include "store/ops_records.h"
#include "support/temp_database.h"

using sm::alert::OutboxEntry;

namespace {

constexpr sm::TimestampMs kT0 = 1765083600000;  // 2025-12-07 05:00 UTC

OutboxEntry entry(std::string channel, std::string incident, sm::TimestampMs next_try = kT0,
                  std::string action = "trigger") {
  OutboxEntry e;
  e.channel = std::move(channel);
  e.incident_key = std::move(incident);
  e.action = std::move(action);
  e.severity = sm::Severity::kCritical;
  e.event = "kill_switch_daily_loss_halt";
  e.text = "text";
  e.created_ms = kT0;
  e.next_try_ms = next_try;
  return e;
}

}  // namespace

TEST_CASE("an incident is queued once per channel and action", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  CHECK(*sm::alert::enqueue(t.db, entry("telegram", "sm-risk:daily_loss_halt:1")));
  CHECK_FALSE(*sm::alert::enqueue(t.db, entry("telegram", "sm-risk:daily_loss_halt:1")));
  CHECK(*sm::alert::enqueue(t.db, entry("discord", "sm-risk:daily_loss_halt:1")));
  CHECK(*sm::alert::enqueue(t.db, entry("telegram", "sm-risk:daily_loss_halt:1", kT0, "resolve")));
  CHECK(*sm::alert::pending_count(t.db) == 3);
}

TEST_CASE("pending entries are the undelivered ones due by the given time, oldest first",
          "[alert][outbox]") {
  sm::testing::TempDatabase t;
  REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", "a", kT0)));
  REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", "b", kT0 + 5000)));
  REQUIRE(*sm::alert::enqueue(t.db, entry("discord", "c", kT0)));
  auto due = sm::alert::pending_entries(t.db, "telegram", kT0);
  REQUIRE(due->size() == 1);
  CHECK(due->front().incident_key == "a");
  REQUIRE(sm::alert::mark_delivered(t.db, due->front().id, 0, kT0 + 1).ok());
  CHECK(sm::alert::pending_entries(t.db, "telegram", kT0)->empty());
  auto later = sm::alert::pending_entries(t.db, "telegram");
  REQUIRE(later->size() == 1);
  CHECK(later->front().incident_key == "b");
  CHECK(*sm::alert::next_try(t.db) == kT0);
}

TEST_CASE("a resolve waits until its trigger on the same channel is delivered", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  REQUIRE(*sm::alert::enqueue(t.db, entry("pagerduty", "x", kT0 + 60000)));
  REQUIRE(*sm::alert::enqueue(t.db, entry("pagerduty", "x", kT0, "resolve")));
  CHECK(sm::alert::pending_entries(t.db, "pagerduty", kT0)->empty());
  auto all = sm::alert::pending_entries(t.db, "pagerduty");
  REQUIRE(all->size() == 1);
  REQUIRE(all->front().action == "trigger");
  REQUIRE(sm::alert::mark_delivered(t.db, all->front().id, 0, kT0).ok());
  auto now = sm::alert::pending_entries(t.db, "pagerduty", kT0);
  REQUIRE(now->size() == 1);
  CHECK(now->front().action == "resolve");
}

TEST_CASE("attempts, failures and delivery are recorded on the row", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", "a")));
  OutboxEntry row = sm::alert::pending_entries(t.db, "telegram")->front();
  REQUIRE(*sm::alert::claim(t.db, row, kT0 + 2000));
  REQUIRE(
      sm::alert::record_failure(t.db, row.id, 1, "HTTP 429: Too Many Requests", kT0 + 41000).ok());
  row = sm::alert::pending_entries(t.db, "telegram")->front();
  REQUIRE(*sm::alert::claim(t.db, row, kT0 + 50000));
  row = sm::alert::pending_entries(t.db, "telegram")->front();
  CHECK(row.attempts == 2);
  CHECK(row.last_error == "HTTP 429: Too Many Requests");
  CHECK(row.next_try_ms == kT0 + 50000);
  REQUIRE(sm::alert::mark_delivered(t.db, row.id, 2, kT0 + 42000).ok());
  CHECK(*sm::alert::pending_count(t.db) == 0);
  CHECK(*sm::alert::delivered_since(t.db, "telegram", kT0) == 1);
  CHECK(*sm::alert::delivered_since(t.db, "telegram", kT0 + 42001) == 0);
}

TEST_CASE("of two deliverers that read the same due row, only the first claims it",
          "[alert][outbox]") {
  sm::testing::TempDatabase t;
  REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", "sm-order.service:unit_failed:1")));
  const OutboxEntry read_by_first = sm::alert::pending_entries(t.db, "telegram", kT0)->front();
  const OutboxEntry read_by_second = read_by_first;
  CHECK(*sm::alert::claim(t.db, read_by_first, kT0 + 20000));
  CHECK_FALSE(*sm::alert::claim(t.db, read_by_second, kT0 + 20000));
  // Under its lease the row is not due for anyone.
  CHECK(sm::alert::pending_entries(t.db, "telegram", kT0 + 19999)->empty());
  // A deliverer whose lease ran out and was taken over changes nothing when it reports back.
  const OutboxEntry after_lease =
      sm::alert::pending_entries(t.db, "telegram", kT0 + 20000)->front();
  REQUIRE(*sm::alert::claim(t.db, after_lease, kT0 + 40000));
  REQUIRE(sm::alert::record_failure(t.db, read_by_first.id, 1, "late", kT0 + 90000).ok());
  REQUIRE(sm::alert::mark_delivered(t.db, read_by_first.id, 1, kT0 + 21000).ok());
  CHECK(*sm::alert::pending_count(t.db) == 1);
  CHECK(*t.db.query_int64("SELECT next_try_ms FROM alert_outbox") == kT0 + 40000);
  REQUIRE(sm::alert::mark_delivered(t.db, read_by_first.id, 2, kT0 + 21000).ok());
  CHECK(*sm::alert::pending_count(t.db) == 0);
}

TEST_CASE("a flood window is the newest flood summary of the channel", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", "i0")));
  const std::int64_t id = sm::alert::pending_entries(t.db, "telegram")->front().id;
  CHECK_FALSE(sm::alert::flood_window_start(t.db, "telegram", 0)->has_value());
  OutboxEntry summary = entry("telegram", "flood:1-1");
  summary.event = "flood";
  summary.created_ms = kT0 + 5;
  REQUIRE(sm::alert::combine(t.db, {id}, summary).ok());
  CHECK(**sm::alert::flood_window_start(t.db, "telegram", kT0) == kT0 + 5);
  CHECK_FALSE(sm::alert::flood_window_start(t.db, "telegram", kT0 + 6)->has_value());
  CHECK_FALSE(sm::alert::flood_window_start(t.db, "discord", kT0)->has_value());
}

TEST_CASE("combining rows leaves one pending message and keeps every row", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  std::vector<std::int64_t> ids;
  for (const char* incident : {"i0", "i1", "i2", "i3", "i4"}) {
    REQUIRE(*sm::alert::enqueue(t.db, entry("telegram", incident)));
  }
  auto rows = sm::alert::pending_entries(t.db, "telegram");
  REQUIRE(rows.ok());
  for (const OutboxEntry& e : *rows) ids.push_back(e.id);
  OutboxEntry summary = entry("telegram", "flood:1-5");
  auto summary_id = sm::alert::combine(t.db, ids, summary);
  REQUIRE(summary_id.ok());
  auto pending = sm::alert::pending_entries(t.db, "telegram");
  REQUIRE(pending->size() == 1);
  CHECK(pending->front().id == *summary_id);
  CHECK(pending->front().mode == "combined");
  CHECK(*t.db.query_int64("SELECT COUNT(*) FROM alert_outbox WHERE combined_into IS NOT NULL") ==
        5);
  // The same summary twice is refused rather than folding rows into two messages.
  CHECK(sm::alert::combine(t.db, ids, summary).status().code() == sm::ErrorCode::kConflict);
}

TEST_CASE("the cursor starts at 0 and remembers the last id", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  CHECK(*sm::alert::cursor(t.db, "alerts") == 0);
  REQUIRE(sm::alert::set_cursor(t.db, "alerts", 7).ok());
  REQUIRE(sm::alert::set_cursor(t.db, "alerts", 9).ok());
  CHECK(*sm::alert::cursor(t.db, "alerts") == 9);
}

TEST_CASE("an incident is the component and dedup key, or the alert itself", "[alert][outbox]") {
  sm::Alert a;
  a.component = "sm-risk";
  a.event = "kill_switch_latency";
  a.dedup_key = "latency:2025-12-07";
  CHECK(sm::alert::incident_key(a, 4) == "sm-risk:latency:2025-12-07");
  a.dedup_key.clear();
  CHECK(sm::alert::incident_key(a, 4) == "sm-risk:kill_switch_latency:4");
}

TEST_CASE("alerts are read after an id in id order", "[alert][outbox]") {
  sm::testing::TempDatabase t;
  for (const char* text : {"t0", "t1", "t2"}) {
    sm::Alert a;
    a.ts = kT0 + text[1];
    a.component = "sm-order";
    a.event = "broker_token_expired";
    a.text = text;
    REQUIRE(*sm::store::record_alert(t.db, a));
  }
  auto all = sm::alert::alerts_after(t.db, 0, 10);
  REQUIRE(all->size() == 3);
  auto rest = sm::alert::alerts_after(t.db, all->front().id, 10);
  REQUIRE(rest->size() == 2);
  CHECK(rest->front().alert.text == "t1");
}

TEST_CASE("a lifted halt names the triggered incident of the alert that announced it",
          "[alert][outbox]") {
  sm::testing::TempDatabase t;
  sm::Halt h;
  h.ts = kT0;
  h.level = "halt";
  h.trigger = "daily_loss_halt";
  h.reason = "loss";
  h.by = "sm-risk";
  REQUIRE(sm::store::set_halt(t.db, h).ok());
  sm::Alert a;
  a.ts = kT0;
  a.severity = sm::Severity::kCritical;
  a.component = "sm-risk";
  a.event = "kill_switch_daily_loss_halt";
  a.text = "loss";
  a.dedup_key = "daily_loss_halt:2025-12-07";
  REQUIRE(*sm::store::record_alert(t.db, a));
  OutboxEntry trigger = entry("pagerduty", "sm-risk:daily_loss_halt:2025-12-07");
  trigger.alert_id = sm::alert::alerts_after(t.db, 0, 1)->front().id;
  REQUIRE(*sm::alert::enqueue(t.db, trigger));

  CHECK(sm::alert::lifted_halts(t.db, kT0 + 1000)->empty());  // still in force
  REQUIRE(*sm::store::clear_halts(t.db, "", "owner", "checked", kT0 + 2000) == 1);
  auto lifted = sm::alert::lifted_halts(t.db, kT0 + 3000);
  REQUIRE(lifted->size() == 1);
  CHECK(lifted->front().channel == "pagerduty");
  CHECK(lifted->front().incident_key == "sm-risk:daily_loss_halt:2025-12-07");
  CHECK(lifted->front().cleared_by == "owner");
  CHECK(lifted->front().lifted_ms == kT0 + 2000);
  REQUIRE(*sm::alert::enqueue(
      t.db, entry("pagerduty", "sm-risk:daily_loss_halt:2025-12-07", kT0, "resolve")));
  CHECK(sm::alert::lifted_halts(t.db, kT0 + 3000)->empty());  // resolved once
}
