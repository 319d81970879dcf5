#include "alert/channels.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "alert/message_text.h"
#include "fake_http.h"

using nlohmann::json;
using sm::alert::Outgoing;
using sm::testing::ScriptedHttp;

namespace {

Outgoing message(std::string text =
                     "CRITICAL · kill switch latency\n2025-12-08 14:32:05 IST · "
                     "sm-risk\nlatency 6000 ms > 5000 ms (x_y.z!)") {
  Outgoing m;
  m.incident_key = "sm-risk:latency:2025-12-08";
  m.severity = sm::Severity::kCritical;
  m.event = "kill_switch_latency";
  m.text = std::move(text);
  m.ts = 1765184525000;
  return m;
}

}  // namespace

TEST_CASE("telegram posts sendMessage as MarkdownV2 with the title bold and the rest escaped",
          "[alert][channels]") {
  ScriptedHttp http;
  http.answer(200, R"({"ok":true,"result":{"message_id":1}})");
  auto channel = sm::alert::telegram_channel(http, "http://127.0.0.1:9", "123:ABC", "-100");
  sm::alert::SendOutcome outcome = channel->send(message());
  CHECK(outcome.delivered);
  REQUIRE(http.requests.size() == 1);
  const auto& r = http.requests[0];
  CHECK(r.method == sm::broker::HttpMethod::kPost);
  CHECK(r.url == "http://127.0.0.1:9/bot123:ABC/sendMessage");
  CHECK(r.content_type == "application/json");
  json body = json::parse(r.body);
  CHECK(body["chat_id"] == "-100");
  CHECK(body["parse_mode"] == "MarkdownV2");
  CHECK(body["text"] ==
        "*CRITICAL · kill switch latency*\n2025\\-12\\-08 14:32:05 IST · sm\\-risk\nlatency 6000 "
        "ms \\> 5000 ms \\(x\\_y\\.z\\!\\)");
}

TEST_CASE("telegram cuts a long message to 4096 characters before escaping", "[alert][channels]") {
  ScriptedHttp http;
  auto channel = sm::alert::telegram_channel(http, "http://127.0.0.1:9", "t", "1");
  channel->send(message("title\n" + std::string(5000, 'a')));
  json body = json::parse(http.requests.at(0).body);
  const std::string text = body["text"];
  // "*title*" has 2 formatting characters that parsing removes.
  CHECK(sm::alert::character_count(text) - 2 == 4096);
}

TEST_CASE("telegram 429 waits retry_after seconds; the token never appears in the error",
          "[alert][channels]") {
  ScriptedHttp http;
  http.answer(429,
              R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 41",)"
              R"("parameters":{"retry_after":41}})");
  auto channel = sm::alert::telegram_channel(http, "http://127.0.0.1:9", "123:SECRET", "1");
  sm::alert::SendOutcome outcome = channel->send(message());
  CHECK_FALSE(outcome.delivered);
  CHECK_FALSE(outcome.permanent);
  CHECK(outcome.retry_after_ms == 41000);
  CHECK(outcome.error == "HTTP 429: Too Many Requests: retry after 41");
}

TEST_CASE("telegram 401 and 403 are permanent; transport errors name no URL", "[alert][channels]") {
  ScriptedHttp http;
  http.answer(
      403,
      R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user 123:SECRET"})");
  auto channel = sm::alert::telegram_channel(http, "http://127.0.0.1:9", "123:SECRET", "1");
  sm::alert::SendOutcome outcome = channel->send(message());
  CHECK(outcome.permanent);
  CHECK(outcome.error.find("SECRET") == std::string::npos);
  ScriptedHttp down;
  down.fail(sm::broker::TransportFailure::kCouldNotConnect);
  auto again = sm::alert::telegram_channel(down, "http://127.0.0.1:9", "123:SECRET", "1");
  outcome = again->send(message());
  CHECK_FALSE(outcome.permanent);
  CHECK(outcome.error == "transport: could_not_connect");
}

TEST_CASE("discord posts content of at most 2000 characters and no mentions", "[alert][channels]") {
  ScriptedHttp http;
  http.answer(204, "");
  auto channel = sm::alert::discord_channel(http, "http://127.0.0.1:9/api/webhooks/1/tok");
  CHECK(channel->send(message("@everyone " + std::string(3000, 'b'))).delivered);
  const auto& r = http.requests.at(0);
  CHECK(r.url == "http://127.0.0.1:9/api/webhooks/1/tok");
  json body = json::parse(r.body);
  CHECK(sm::alert::character_count(body["content"].get<std::string>()) == 2000);
  CHECK(body["allowed_mentions"] == json{{"parse", json::array()}});
}

TEST_CASE("discord 429 prefers the Retry-After header over the body", "[alert][channels]") {
  ScriptedHttp http;
  http.answer(429,
              R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})",
              {{"retry-after", "65"}});
  auto channel = sm::alert::discord_channel(http, "http://127.0.0.1:9/api/webhooks/1/tok");
  sm::alert::SendOutcome outcome = channel->send(message());
  CHECK(outcome.retry_after_ms == 65000);
  ScriptedHttp body_only;
  body_only.answer(429, R"({"message":"You are being rate limited.","retry_after":1.5})");
  auto other = sm::alert::discord_channel(body_only, "http://127.0.0.1:9/api/webhooks/1/tok");
  CHECK(other->send(message()).retry_after_ms == 1500);
}

TEST_CASE("discord 404 (deleted webhook) is permanent", "[alert][channels]") {
  ScriptedHttp http;
  http.answer(404, R"({"message":"Unknown Webhook","code":10015})");
  auto channel = sm::alert::discord_channel(http, "http://127.0.0.1:9/api/webhooks/1/tok");
  sm::alert::SendOutcome outcome = channel->send(message());
  CHECK(outcome.permanent);
  CHECK(outcome.error == "HTTP 404: Unknown Webhook");
}

TEST_CASE("pagerduty triggers with the incident as dedup key and resolves it",
          "[alert][channels]") {
  ScriptedHttp http;
  http.answer(202, R"({"status":"success","message":"Event processed","dedup_key":"k"})");
  auto channel = sm::alert::pagerduty_channel(http, "http://127.0.0.1:9/v2/enqueue", "R0UTINGKEY");
  CHECK_FALSE(channel->combines());
  CHECK_FALSE(channel->accepts(sm::Severity::kInfo, false));
  CHECK_FALSE(channel->accepts(sm::Severity::kCritical, true));
  CHECK(channel->send(message()).delivered);
  json trigger = json::parse(http.requests.at(0).body);
  CHECK(trigger["routing_key"] == "R0UTINGKEY");
  CHECK(trigger["event_action"] == "trigger");
  CHECK(trigger["dedup_key"] == "sm-risk:latency:2025-12-08");
  CHECK(trigger["payload"]["summary"] ==
        "CRITICAL · kill switch latency: latency 6000 ms > 5000 ms (x_y.z!)");
  CHECK(trigger["payload"]["severity"] == "critical");
  CHECK(trigger["payload"]["source"] == "stalkmarket");
  CHECK(trigger["payload"]["timestamp"] == "2025-12-08T09:02:05.000Z");
  Outgoing resolve = message();
  resolve.action = "resolve";
  CHECK(channel->send(resolve).delivered);
  json resolved = json::parse(http.requests.at(1).body);
  CHECK(resolved == json{{"routing_key", "R0UTINGKEY"},
                         {"event_action", "resolve"},
                         {"dedup_key", "sm-risk:latency:2025-12-08"}});
}

TEST_CASE("pagerduty 400 is permanent, 429 and 5xx are retried", "[alert][channels]") {
  ScriptedHttp http;
  http.answer(400,
              R"({"status":"invalid event","message":"Event object is invalid","errors":["x"]})");
  http.answer(429, "");
  http.answer(503, "");
  auto channel = sm::alert::pagerduty_channel(http, "http://127.0.0.1:9/v2/enqueue", "K");
  CHECK(channel->send(message()).permanent);
  CHECK_FALSE(channel->send(message()).permanent);
  CHECK_FALSE(channel->send(message()).permanent);
}

TEST_CASE("the webhook posts one JSON object per message", "[alert][channels]") {
  ScriptedHttp http;
  auto channel = sm::alert::webhook_channel(http, "http://127.0.0.1:9/hook");
  CHECK(channel->send(message()).delivered);
  json body = json::parse(http.requests.at(0).body);
  CHECK(body["incident_key"] == "sm-risk:latency:2025-12-08");
  CHECK(body["action"] == "trigger");
  CHECK(body["severity"] == "critical");
  CHECK(body["event"] == "kill_switch_latency");
  CHECK(body["ts"] == "2025-12-08T09:02:05.000Z");
}

TEST_CASE("a configured channel without its secret is refused by name, never by value",
          "[alert][channels]") {
  ScriptedHttp http;
  sm::alert::AlertSettings settings;
  settings.channels = {"discord"};
  ::unsetenv("SM_DISCORD_WEBHOOK_URL");
  ::unsetenv("SM_DISCORD_WEBHOOK_URL_FILE");
  ::unsetenv("SM_SECRETS_FILE");
  auto missing = sm::alert::make_channels(settings, http, stdout);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("SM_DISCORD_WEBHOOK_URL") != std::string::npos);
  ::setenv("SM_DISCORD_WEBHOOK_URL", "http://discord.example/api/webhooks/1/SECRETPART", 1);
  auto unsafe = sm::alert::make_channels(settings, http, stdout);
  REQUIRE_FALSE(unsafe.ok());
  CHECK(unsafe.status().code() == sm::ErrorCode::kConfigError);
  CHECK(unsafe.status().message().find("SECRETPART") == std::string::npos);
  ::unsetenv("SM_DISCORD_WEBHOOK_URL");
}
