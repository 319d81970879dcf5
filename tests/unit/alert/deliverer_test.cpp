#include "alert/deliverer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <thread>

#include "alert/unit_failure.h"
#include "broker/curl_http_client.h"
#include "broker/tcp_test_server.h"

#include "store/ops_records.h"
#include "support/captured_log.h"
#include "support/temp_database.h"
#include "time/clock.h"

using sm::alert::Outgoing;
using sm::alert::SendOutcome;

namespace {

constexpr sm::TimestampMs kT0 = 1765184400000;  // 2025-12-08 09:00 UTC

// A channel that records what it was asked to send and answers from a script (then success).
class RecordingChannel : public sm::alert::Channel {
 public:
  RecordingChannel(std::string name, bool combines, std::vector<Outgoing>& sent)
      : name_(std::move(name)), combines_(combines), sent_(sent) {}
  std::string_view name() const override { return name_; }
  bool combines() const override { return combines_; }
  bool accepts(sm::Severity severity, bool digest) const override {
    return combines_ || (!digest && severity != sm::Severity::kInfo);
  }
  SendOutcome send(const Outgoing& message) override {
    SendOutcome outcome;
    outcome.delivered = true;
    if (!script.empty()) {
      outcome = script.front();
      script.pop_front();
    }
    if (outcome.delivered) sent_.push_back(message);
    return outcome;
  }
  std::deque<SendOutcome> script;

 private:
  std::string name_;
  bool combines_;
  std::vector<Outgoing>& sent_;
};

struct Fixture {
  Fixture() { settings.rules = sm::alert::default_rules(); }

  RecordingChannel* add_channel(std::string name, bool combines = true) {
    auto channel = std::make_unique<RecordingChannel>(std::move(name), combines, sent);
    RecordingChannel* raw = channel.get();
    channels.push_back(std::move(channel));
    return raw;
  }
  sm::alert::Deliverer deliverer() {
    return sm::alert::Deliverer(t.db, settings, std::move(channels), clock, log.log());
  }
  void alert(std::string event, sm::Severity severity = sm::Severity::kCritical,
             std::string dedup = "", sm::TimestampMs ts = kT0) {
    sm::Alert a;
    a.ts = ts;
    a.severity = severity;
    a.component = "sm-risk";
    a.event = std::move(event);
    a.text = "what happened";
    a.dedup_key = std::move(dedup);
    REQUIRE(*sm::store::record_alert(t.db, a));
  }
  void pass(sm::alert::Deliverer& d) {
    REQUIRE(d.collect().ok());
    REQUIRE(d.deliver_due().ok());
  }

  sm::testing::TempDatabase t;
  sm::time::ManualClock clock{kT0};
  sm::testing::CapturedLog log;
  sm::alert::AlertSettings settings;
  std::vector<std::unique_ptr<sm::alert::Channel>> channels;
  std::vector<Outgoing> sent;
};

}  // namespace

TEST_CASE("alerts stored while sm-alert was down are delivered once, across restarts",
          "[alert][deliverer]") {
  Fixture f;
  f.alert("kill_switch_latency", sm::Severity::kCritical, "latency:1");
  f.alert("broker_token_expired", sm::Severity::kCritical, "broker_token_expired");
  f.add_channel("telegram");
  {
    auto d = f.deliverer();
    f.pass(d);
  }
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[0].event == "kill_switch_latency");
  CHECK(f.sent[1].text.find("sm-order login") != std::string::npos);
  // A restart reads the cursor: nothing is sent again, a new alert is.
  f.alert("broker_token_expired", sm::Severity::kCritical, "broker_token_expired", kT0 + 1);
  f.alert("kill_switch_error_rate", sm::Severity::kCritical, "errors:1");
  f.add_channel("telegram");
  auto d = f.deliverer();
  f.pass(d);
  REQUIRE(f.sent.size() == 3);  // the repeated broker_token_expired incident is not sent twice
  CHECK(f.sent[2].event == "kill_switch_error_rate");
}

TEST_CASE("a failed send is retried with backoff; a 429 waits what it asked",
          "[alert][deliverer]") {
  Fixture f;
  f.settings.initial_backoff_ms = 1000;
  RecordingChannel* channel = f.add_channel("telegram");
  SendOutcome down;
  down.error = "transport: could_not_connect";
  SendOutcome throttled;
  throttled.error = "HTTP 429";
  throttled.retry_after_ms = 41000;
  channel->script = {down, down, throttled};
  f.alert("kill_switch_latency");
  auto d = f.deliverer();
  f.pass(d);
  CHECK(f.sent.empty());
  f.clock.advance(999);
  f.pass(d);
  CHECK(d.counts().failed == 1);  // not due before the first backoff
  f.clock.advance(1);
  f.pass(d);
  CHECK(d.counts().failed == 2);
  f.clock.advance(2000);  // the second backoff doubles
  f.pass(d);
  CHECK(d.counts().failed == 3);
  f.clock.advance(40999);
  f.pass(d);
  CHECK(f.sent.empty());
  f.clock.advance(1);
  f.pass(d);
  REQUIRE(f.sent.size() == 1);
  CHECK(*f.t.db.query_int64("SELECT attempts FROM alert_outbox") == 4);
  CHECK(*f.t.db.query_int64("SELECT delivered_ms FROM alert_outbox") == f.clock.now_ms());
}

TEST_CASE("a flood becomes one summary message and nothing is dropped", "[alert][deliverer]") {
  Fixture f;
  f.settings.max_messages_per_minute = 5;
  f.add_channel("telegram");
  for (int i = 0; i < 30; ++i)
    f.alert("order_on_input_refused", sm::Severity::kWarning, "", kT0 + i);
  auto d = f.deliverer();
  f.pass(d);
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].text.rfind("FLOOD · 30 alerts", 0) == 0);
  CHECK(std::count(f.sent[0].text.begin(), f.sent[0].text.end(), '\n') == 30);
  CHECK(d.counts().combined == 30);
  CHECK(*sm::alert::pending_count(f.t.db) == 0);
}

TEST_CASE("within the budget each alert is its own message", "[alert][deliverer]") {
  Fixture f;
  f.settings.max_messages_per_minute = 5;
  f.add_channel("telegram");
  for (int i = 0; i < 5; ++i)
    f.alert("order_on_input_refused", sm::Severity::kWarning, "", kT0 + i);
  auto d = f.deliverer();
  f.pass(d);
  CHECK(f.sent.size() == 5);
  CHECK(d.counts().combined == 0);
}

TEST_CASE("info alerts wait for the digest; drop rules drop", "[alert][deliverer]") {
  Fixture f;
  f.settings.digest_interval_ms = 60 * 60 * 1000;
  f.settings.rules.insert(f.settings.rules.begin(),
                          sm::alert::Rule{"reconcile_*", "", sm::alert::RuleAction::kDrop});
  f.add_channel("telegram");
  f.alert("kill_switch_reset", sm::Severity::kInfo);
  f.alert("broker_square_off", sm::Severity::kInfo);
  f.alert("reconcile_applied", sm::Severity::kWarning);
  auto d = f.deliverer();
  f.pass(d);
  CHECK(f.sent.empty());
  CHECK(d.counts().dropped == 1);
  f.clock.advance(60 * 60 * 1000);
  f.pass(d);
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].text.rfind("DIGEST · 2 alert(s)", 0) == 0);
  CHECK(f.sent[0].severity == sm::Severity::kInfo);
}

TEST_CASE("a halt that lifts resolves its incident on the channels that had it",
          "[alert][deliverer]") {
  Fixture f;
  f.add_channel("pagerduty", false);
  sm::Halt h;
  h.ts = kT0;
  h.level = "halt";
  h.trigger = "daily_loss_halt";
  h.reason = "loss";
  h.by = "sm-risk";
  REQUIRE(sm::store::set_halt(f.t.db, h).ok());
  f.alert("kill_switch_daily_loss_halt", sm::Severity::kCritical, "daily_loss_halt:2025-12-08");
  f.alert("kill_switch_reset", sm::Severity::kInfo, "reset:x");  // not for pagerduty
  auto d = f.deliverer();
  f.pass(d);
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].action == "trigger");
  REQUIRE(*sm::store::clear_halts(f.t.db, "", "owner", "understood", kT0 + 5000) == 1);
  f.clock.advance(6000);
  f.pass(d);
  f.pass(d);
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[1].action == "resolve");
  CHECK(f.sent[1].incident_key == "sm-risk:daily_loss_halt:2025-12-08");
  CHECK(f.sent[1].text.find("lifted by owner: understood") != std::string::npos);
}

TEST_CASE("an event ending in _resolved resolves the incident with its dedup key",
          "[alert][deliverer]") {
  Fixture f;
  f.add_channel("telegram");
  f.alert("heartbeat_stale", sm::Severity::kCritical, "heartbeat:sm-order:1");
  auto d = f.deliverer();
  f.pass(d);
  f.alert("heartbeat_stale_resolved", sm::Severity::kInfo, "heartbeat:sm-order:1", kT0 + 1);
  f.alert("market_data_stale_resolved", sm::Severity::kInfo, "never-triggered", kT0 + 2);
  f.pass(d);
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[1].action == "resolve");
  CHECK(f.sent[1].text.rfind("RESOLVED · heartbeat stale", 0) == 0);
}

TEST_CASE("a flood spanning two passes and a restart is one summary per flood window",
          "[alert][deliverer]") {
  Fixture f;
  f.settings.max_messages_per_minute = 5;
  f.add_channel("telegram");
  for (int i = 0; i < 30; ++i)
    f.alert("order_on_input_refused", sm::Severity::kWarning, "", kT0 + i);
  {
    auto d = f.deliverer();
    f.pass(d);
  }
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].text.rfind("FLOOD · 30 alerts", 0) == 0);
  // The flood goes on after a restart, within the same minute: no second summary, and no single
  // messages either, until the window has closed.
  f.add_channel("telegram");
  auto d = f.deliverer();
  for (int pass = 0; pass < 5; ++pass) {
    f.clock.advance(10000);
    for (int i = 0; i < 10; ++i)
      f.alert("order_on_input_refused", sm::Severity::kWarning, "", f.clock.now_ms() + i);
    f.pass(d);
  }
  CHECK(f.sent.size() == 1);
  CHECK(*sm::alert::pending_count(f.t.db) == 50);
  f.clock.set(kT0 + 60000);  // the window closes: what waited is the next window's one summary
  f.pass(d);
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[1].text.rfind("FLOOD · 50 alerts", 0) == 0);
  CHECK(*sm::alert::pending_count(f.t.db) == 0);
  CHECK(*f.t.db.query_int64("SELECT COUNT(*) FROM alert_outbox WHERE event = 'flood'") == 2);
}

TEST_CASE("two deliverers racing on one database send a unit failure once", "[alert][deliverer]") {
  // sm-alert.service and `sm-alert unit-failed` on one database, against a webhook that takes
  // longer to answer than the first retry backoff.
  std::atomic<int> requests{0};
  sm::test::TcpTestServer server([&requests](int fd) {
    if (sm::test::read_http_request(fd).empty()) return;
    ++requests;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    sm::test::write_all(fd, sm::test::http_reply(200, "{}", false));
  });
  sm::testing::TempDatabase t;
  REQUIRE(*sm::store::record_alert(
      t.db, sm::alert::unit_failed_alert("sm-order.service", sm::time::SystemClock().now_ms())));
  sm::alert::AlertSettings settings;
  settings.rules = sm::alert::default_rules();
  settings.initial_backoff_ms = 50;
  sm::broker::CurlHttpClient http_a;
  sm::broker::CurlHttpClient http_b;
  auto run = [&](sm::broker::HttpClient& http) {
    auto db = sm::store::Database::open(t.dir.file("stalk.db"));
    if (!db.ok()) return false;  // Catch's assertions are for the main thread only
    std::vector<std::unique_ptr<sm::alert::Channel>> channels;
    channels.push_back(sm::alert::webhook_channel(http, server.url("/hook")));
    const sm::time::SystemClock clock;
    sm::testing::CapturedLog log;
    sm::alert::Deliverer d(*db, settings, std::move(channels), clock, log.log());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!d.collect().ok() || !d.deliver_due().ok()) return false;
      if (*sm::alert::pending_count(*db) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  bool done_a = false;
  bool done_b = false;
  std::thread a([&] { done_a = run(http_a); });
  std::thread b([&] { done_b = run(http_b); });
  a.join();
  b.join();
  CHECK(done_a);
  CHECK(done_b);
  CHECK(requests == 1);
  CHECK(*t.db.query_int64("SELECT attempts FROM alert_outbox") == 1);
}
