#include "alert/watch.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace {

constexpr sm::TimestampMs kNow = 1765184400000;  // 2025-12-08 14:30 IST

sm::Heartbeat beat(std::string component, sm::TimestampMs ts, std::string status = "ok") {
  sm::Heartbeat h;
  h.component = std::move(component);
  h.ts = ts;
  h.status = std::move(status);
  return h;
}

std::vector<std::string> events(const sm::alert::CheckResult& result) {
  std::vector<std::string> out;
  for (const sm::alert::Finding& f : result.findings) out.push_back(f.event + " " + f.key);
  return out;
}

sm::alert::WatchSettings settings() {
  sm::alert::WatchSettings s;
  s.heartbeat_max_age_ms = {{"sm-order", 30000}};
  return s;
}

}  // namespace

TEST_CASE("a heartbeat older than its limit is stale only during the session", "[alert][watch]") {
  sm::store::StatusReport report;
  report.heartbeats = {beat("sm-order", kNow - 30001)};
  using sm::time::Session;
  auto in_session = sm::alert::check_system(settings(), report, {}, Session::kContinuous, kNow);
  CHECK(events(in_session) == std::vector<std::string>{"heartbeat_stale heartbeat:sm-order"});
  auto closed = sm::alert::check_system(settings(), report, {}, Session::kClosed, kNow);
  CHECK(closed.findings.empty());
  CHECK(std::find(closed.checked_keys.begin(), closed.checked_keys.end(), "heartbeat:sm-order") ==
        closed.checked_keys.end());
  report.heartbeats = {beat("sm-order", kNow - 30000)};
  CHECK(
      sm::alert::check_system(settings(), report, {}, Session::kContinuous, kNow).findings.empty());
  report.heartbeats.clear();
  CHECK(
      events(sm::alert::check_system(settings(), report, {}, Session::kPreOpenOrderEntry, kNow)) ==
      std::vector<std::string>{"heartbeat_stale heartbeat:sm-order"});
}

TEST_CASE("degraded, stale market data and stalled orders are found", "[alert][watch]") {
  sm::store::StatusReport report;
  report.heartbeats = {beat("sm-order", kNow, "degraded")};
  sm::store::SeriesStatus series;
  series.series.symbol = "INFY";
  series.known_ts = kNow - 301000;
  report.series = {series};
  sm::store::OrderRecord order;
  order.intent.client_order_id = "sma-INFY-1";
  order.intent.symbol = "INFY";
  order.intent.qty = 10;
  order.status = "OPEN";
  order.created_ms = kNow - 700000;
  order.updated_ms = kNow - 601000;
  sm::store::OrderRecord done = order;
  done.intent.client_order_id = "sma-INFY-0";
  done.status = "COMPLETE";
  report.open_orders = {order, done};
  auto result =
      sm::alert::check_system(settings(), report, {}, sm::time::Session::kContinuous, kNow);
  CHECK(events(result) == std::vector<std::string>{"program_degraded degraded:sm-order",
                                                   "market_data_stale market_data",
                                                   "fills_stalled fills:sma-INFY-1"});
  // Outside continuous trading, quiet market data and orders are normal.
  auto closing =
      sm::alert::check_system(settings(), report, {}, sm::time::Session::kClosingSession, kNow);
  CHECK(events(closing) == std::vector<std::string>{"program_degraded degraded:sm-order"});
}

TEST_CASE("an expiring calendar is found; a missing token is not", "[alert][watch]") {
  sm::store::DatedDependency calendar;
  calendar.name = "calendar";
  calendar.state = "expiring";
  calendar.counts_for_expiry = true;
  calendar.detail = "lists years up to 2025";
  sm::store::DatedDependency token;
  token.name = "broker_token";
  token.state = "missing";
  sm::store::StatusReport report;
  auto result = sm::alert::check_system(settings(), report, {calendar, token},
                                        sm::time::Session::kClosed, kNow);
  REQUIRE(result.findings.size() == 1);
  CHECK(result.findings[0].key == "dependency:calendar");
  CHECK(result.findings[0].severity == sm::Severity::kWarning);
  token.state = "expired";
  sm::alert::WatchSettings no_heartbeats = settings();
  no_heartbeats.heartbeat_max_age_ms.clear();
  auto session = sm::alert::check_system(no_heartbeats, report, {token},
                                         sm::time::Session::kPreOpenOrderEntry, kNow);
  CHECK(events(session) ==
        std::vector<std::string>{"dated_dependency_expiring dependency:broker_token"});
}

TEST_CASE("incident changes raise new findings once and resolve cleared checked ones",
          "[alert][watch]") {
  sm::alert::CheckResult check;
  check.findings = {{"heartbeat_stale", "heartbeat:sm-order", sm::Severity::kCritical, "late"}};
  check.checked_keys = {"heartbeat:sm-order", "market_data"};
  std::map<std::string, sm::Alert> open;
  auto raised = sm::alert::incident_changes(check, open, kNow);
  REQUIRE(raised.size() == 1);
  CHECK(raised[0].dedup_key == "heartbeat:sm-order:" + std::to_string(kNow));
  CHECK(raised[0].component == "sm-alert");
  open["heartbeat:sm-order"] = raised[0];
  CHECK(sm::alert::incident_changes(check, open, kNow + 1000).empty());
  sm::Alert stale_data = raised[0];
  stale_data.event = "market_data_stale";
  stale_data.dedup_key = "market_data:1";
  open["market_data"] = stale_data;
  sm::Alert unchecked = raised[0];
  unchecked.event = "fills_stalled";
  unchecked.dedup_key = "fills:x:1";
  open["fills:x"] = unchecked;
  auto resolved = sm::alert::incident_changes(check, open, kNow + 2000);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].event == "market_data_stale_resolved");
  CHECK(resolved[0].dedup_key == "market_data:1");
}
