#include "alert/settings.h"

#include <catch2/catch.hpp>

namespace {

sm::Result<sm::alert::AlertSettings> load(std::string_view text) {
  sm::Result<sm::Config> config = sm::Config::parse(text, "test.jsonc");
  REQUIRE(config.ok());
  return sm::alert::load_alert_settings(*config);
}

sm::Alert alert(std::string event, sm::Severity severity) {
  sm::Alert a;
  a.event = std::move(event);
  a.severity = severity;
  return a;
}

}  // namespace

TEST_CASE("without an alert section sm-alert writes to stdout with the default rules",
          "[alert][settings]") {
  auto settings = load("{}");
  REQUIRE(settings.ok());
  CHECK(settings->channels == std::vector<std::string>{"stdout"});
  using sm::alert::RuleAction;
  CHECK(sm::alert::decide(settings->rules, alert("x", sm::Severity::kCritical)) ==
        RuleAction::kSend);
  CHECK(sm::alert::decide(settings->rules, alert("x", sm::Severity::kWarning)) ==
        RuleAction::kSend);
  CHECK(sm::alert::decide(settings->rules, alert("x", sm::Severity::kInfo)) == RuleAction::kDigest);
}

TEST_CASE("configured rules come first; the first match decides", "[alert][settings]") {
  auto settings = load(R"({"alert": {"rules": [
      {"event": "reconcile_*", "action": "drop"},
      {"event": "broker_square_off", "severity": "info", "action": "send"}],
      "max_messages_per_minute": 3, "digest_interval_minutes": 30}})");
  REQUIRE(settings.ok());
  using sm::alert::RuleAction;
  CHECK(sm::alert::decide(settings->rules, alert("reconcile_applied", sm::Severity::kCritical)) ==
        RuleAction::kDrop);
  CHECK(sm::alert::decide(settings->rules, alert("broker_square_off", sm::Severity::kInfo)) ==
        RuleAction::kSend);
  CHECK(sm::alert::decide(settings->rules, alert("manual_resume", sm::Severity::kInfo)) ==
        RuleAction::kDigest);
  CHECK(settings->max_messages_per_minute == 3);
  CHECK(settings->digest_interval_ms == 30 * 60 * 1000);
}

TEST_CASE("bad alert settings are configuration errors naming the key", "[alert][settings]") {
  auto unknown = load(R"({"alert": {"channels": ["sms"]}})");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == sm::ErrorCode::kConfigError);
  CHECK(unknown.status().message().find("alert.channels") != std::string::npos);
  auto action = load(R"({"alert": {"rules": [{"event": "*", "action": "shout"}]}})");
  REQUIRE_FALSE(action.ok());
  CHECK(action.status().message().find("alert.rules[0].action") != std::string::npos);
  auto chat = load(R"({"alert": {"channels": ["telegram"]}})");
  REQUIRE_FALSE(chat.ok());
  CHECK(chat.status().message().find("alert.telegram.chat_id") != std::string::npos);
  auto plain = load(R"({"alert": {"pagerduty": {"url": "http://events.example.com/v2"}}})");
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.status().code() == sm::ErrorCode::kConfigError);
  auto zero = load(R"({"alert": {"max_messages_per_minute": 0}})");
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().message().find("max_messages_per_minute") != std::string::npos);
}
