#include "alert/channels.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>

#include "alert/email_channel.h"
#include "alert/message_text.h"
#include "broker/url_policy.h"
#include "core/secrets.h"
#include "core/timestamp.h"

namespace sm::alert {
namespace {

using broker::HttpClient;
using broker::HttpMethod;
using broker::HttpOutcome;
using broker::HttpRequest;
using broker::HttpResponse;
using Json = nlohmann::json;

// Removes every occurrence of secret from text, so a service that echoes what we sent cannot put
// a token into the outbox or a log.
std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), redacted(secret));
  }
  return text;
}

// Seconds (an integer or a decimal) as milliseconds, rounded up; 0 when text is not a number.
std::int64_t seconds_to_ms(std::string_view text) {
  const std::string copy(text);
  char* end = nullptr;
  const double seconds = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || !std::isfinite(seconds) || seconds <= 0 || seconds > 86400) return 0;
  return static_cast<std::int64_t>(std::ceil(seconds * 1000));
}

Json parse_body(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, false);
  return body.is_discarded() ? Json() : body;
}

// The outcome of a request whose success is any 2xx status: 429 and 5xx may be retried, other
// statuses are permanent. describe gives the service's own words for an error response.
SendOutcome outcome_of(const HttpOutcome& outcome, std::string_view secret,
                       const std::function<std::string(const HttpResponse&)>& describe) {
  SendOutcome result;
  if (!outcome.ok()) {
    // The transport message is left out: libcurl's text can name the URL, which may hold a
    // secret (Telegram's token, a Discord webhook).
    result.error =
        fmt::format("transport: {}", broker::transport_failure_name(outcome.error().failure));
    return result;
  }
  const HttpResponse& response = outcome.response();
  if (response.status >= 200 && response.status < 300) {
    result.delivered = true;
    return result;
  }
  std::string words = describe(response);
  if (words.size() > 300) words = truncate_characters(words, 300);
  result.error =
      scrub(fmt::format("HTTP {}{}{}", response.status, words.empty() ? "" : ": ", words), secret);
  if (response.status == 429) {
    if (std::optional<std::string> header = response.header("retry-after")) {
      result.retry_after_ms = seconds_to_ms(*header);
    }
  } else if (response.status < 500 && response.status != 408) {
    result.permanent = true;
  }
  return result;
}

std::string json_field(const HttpResponse& response, const char* field) {
  Json body = parse_body(response);
  if (body.is_object() && body.contains(field) && body[field].is_string()) {
    return body[field].get<std::string>();
  }
  return "";
}

std::string severity_word(Severity severity) { return std::string(severity_name(severity)); }

class TelegramChannel final : public Channel {
 public:
  TelegramChannel(HttpClient& http, std::string base_url, std::string token, std::string chat_id)
      : http_(http),
        base_url_(std::move(base_url)),
        token_(std::move(token)),
        chat_id_(std::move(chat_id)) {}
  std::string_view name() const override { return "telegram"; }

  SendOutcome send(const Outgoing& message) override {
    // The limit counts characters after entity parsing: cut the plain text, then escape it.
    const std::string text = truncate_characters(message.text, kTelegramMaxCharacters);
    const size_t line_end = text.find('\n');
    std::string formatted = "*" + escape_markdown_v2(text.substr(0, line_end)) + "*";
    if (line_end != std::string::npos) formatted += escape_markdown_v2(text.substr(line_end));
    Json body = {{"chat_id", chat_id_}, {"text", formatted}, {"parse_mode", "MarkdownV2"}};
    if (message.severity == Severity::kInfo) body["disable_notification"] = true;
    HttpRequest request;
    request.method = HttpMethod::kPost;
    request.url = fmt::format("{}/bot{}/sendMessage", base_url_, token_);
    request.set_json(body.dump());
    request.timeout_ms = kHttpSendTimeoutMs;
    request.idempotent = false;
    HttpOutcome sent = http_.send(request);
    SendOutcome outcome = outcome_of(
        sent, token_, [](const HttpResponse& r) { return json_field(r, "description"); });
    if (sent.ok() && sent.response().status == 429 && outcome.retry_after_ms == 0) {
      outcome.retry_after_ms = retry_after_of(sent.response());
    }
    return outcome;
  }

  // Telegram answers 429 with parameters.retry_after (seconds) in the body.
  static std::int64_t retry_after_of(const HttpResponse& response) {
    Json body = parse_body(response);
    if (body.is_object() && body.contains("parameters") && body["parameters"].is_object()) {
      const Json& p = body["parameters"];
      if (p.contains("retry_after") && p["retry_after"].is_number()) {
        return seconds_to_ms(fmt::format("{}", p["retry_after"].get<double>()));
      }
    }
    return 0;
  }

 private:
  HttpClient& http_;
  std::string base_url_;
  std::string token_;
  std::string chat_id_;
};

class DiscordChannel final : public Channel {
 public:
  DiscordChannel(HttpClient& http, std::string url) : http_(http), url_(std::move(url)) {}
  std::string_view name() const override { return "discord"; }

  SendOutcome send(const Outgoing& message) override {
    Json body = {{"content", truncate_characters(message.text, kDiscordMaxCharacters)},
                 {"allowed_mentions", {{"parse", Json::array()}}}};
    HttpRequest request;
    request.method = HttpMethod::kPost;
    request.url = url_;
    request.set_json(body.dump());
    request.timeout_ms = kHttpSendTimeoutMs;
    request.idempotent = false;
    HttpOutcome sent = http_.send(request);
    SendOutcome outcome =
        outcome_of(sent, url_, [](const HttpResponse& r) { return json_field(r, "message"); });
    // Prefer the Retry-After header (seconds); the body's retry_after is documented as seconds
    // but was reported in milliseconds for webhooks (discord-api-docs issue 4722).
    if (sent.ok() && sent.response().status == 429 && outcome.retry_after_ms == 0) {
      Json reply = parse_body(sent.response());
      if (reply.is_object() && reply.contains("retry_after") && reply["retry_after"].is_number()) {
        outcome.retry_after_ms =
            seconds_to_ms(fmt::format("{}", reply["retry_after"].get<double>()));
      }
    }
    return outcome;
  }

 private:
  HttpClient& http_;
  std::string url_;
};

class PagerDutyChannel final : public Channel {
 public:
  PagerDutyChannel(HttpClient& http, std::string url, std::string routing_key)
      : http_(http), url_(std::move(url)), routing_key_(std::move(routing_key)) {}
  std::string_view name() const override { return "pagerduty"; }
  bool combines() const override { return false; }
  bool accepts(Severity severity, bool digest) const override {
    return !digest && severity != Severity::kInfo;
  }

  SendOutcome send(const Outgoing& message) override {
    Json body = {{"routing_key", routing_key_},
                 {"event_action", message.action == "resolve" ? "resolve" : "trigger"},
                 {"dedup_key", truncate_characters(message.incident_key, kPagerDutyMaxDedupKey)}};
    if (message.action != "resolve") {
      const size_t line_end = message.text.find('\n');
      std::string summary = message.text.substr(0, line_end);
      if (line_end != std::string::npos) {
        // The summary is what the phone shows: the headline and the alert's own words.
        const size_t third = message.text.find('\n', line_end + 1);
        if (third != std::string::npos) {
          summary +=
              ": " + message.text.substr(third + 1, message.text.find('\n', third + 1) - third - 1);
        }
      }
      body["payload"] = {{"summary", truncate_characters(summary, kPagerDutyMaxSummary)},
                         {"source", "stalkmarket"},
                         {"severity", severity_word(message.severity)},
                         {"timestamp", format_utc(message.ts)},
                         {"class", message.event},
                         {"custom_details", {{"text", message.text}}}};
    }
    HttpRequest request;
    request.method = HttpMethod::kPost;
    request.url = url_;
    request.set_json(body.dump());
    request.timeout_ms = kHttpSendTimeoutMs;
    // The dedup key makes a repeated event harmless (PagerDuty folds it into the same incident).
    request.idempotent = true;
    return outcome_of(http_.send(request), routing_key_,
                      [](const HttpResponse& r) { return json_field(r, "message"); });
  }

 private:
  HttpClient& http_;
  std::string url_;
  std::string routing_key_;
};

class WebhookChannel final : public Channel {
 public:
  WebhookChannel(HttpClient& http, std::string url) : http_(http), url_(std::move(url)) {}
  std::string_view name() const override { return "webhook"; }

  SendOutcome send(const Outgoing& message) override {
    Json body = {{"incident_key", message.incident_key},
                 {"action", message.action},
                 {"severity", severity_word(message.severity)},
                 {"event", message.event},
                 {"ts", format_utc(message.ts)},
                 {"text", message.text}};
    HttpRequest request;
    request.method = HttpMethod::kPost;
    request.url = url_;
    request.set_json(body.dump());
    request.timeout_ms = kHttpSendTimeoutMs;
    request.idempotent = false;
    return outcome_of(http_.send(request), url_, [](const HttpResponse&) { return ""; });
  }

 private:
  HttpClient& http_;
  std::string url_;
};

class StdoutChannel final : public Channel {
 public:
  explicit StdoutChannel(std::FILE* out) : out_(out) {}
  std::string_view name() const override { return "stdout"; }

  SendOutcome send(const Outgoing& message) override {
    Json line = {{"type", "alert_message"},
                 {"ts", format_utc(message.ts)},
                 {"channel", "stdout"},
                 {"action", message.action},
                 {"incident_key", message.incident_key},
                 {"severity", severity_word(message.severity)},
                 {"event", message.event},
                 {"text", message.text}};
    const std::string text = line.dump() + "\n";
    SendOutcome outcome;
    if (std::fwrite(text.data(), 1, text.size(), out_) != text.size() || std::fflush(out_) != 0) {
      outcome.error = "stdout write failed";
      return outcome;
    }
    outcome.delivered = true;
    return outcome;
  }

 private:
  std::FILE* out_;
};

// A secret that is a URL must be https, or http to a loopback host; the message never shows it.
Status check_secret_url(std::string_view name, std::string_view url) {
  if (broker::check_secret_safe_url(url, name).ok()) return Status();
  return error(
      ErrorCode::kConfigError,
      fmt::format("{} must be an https URL (plain http only to 127.0.0.1 or localhost)", name));
}

}  // namespace

std::unique_ptr<Channel> telegram_channel(HttpClient& http, std::string base_url,
                                          std::string bot_token, std::string chat_id) {
  return std::make_unique<TelegramChannel>(http, std::move(base_url), std::move(bot_token),
                                           std::move(chat_id));
}
std::unique_ptr<Channel> discord_channel(HttpClient& http, std::string webhook_url) {
  return std::make_unique<DiscordChannel>(http, std::move(webhook_url));
}
std::unique_ptr<Channel> pagerduty_channel(HttpClient& http, std::string url,
                                           std::string routing_key) {
  return std::make_unique<PagerDutyChannel>(http, std::move(url), std::move(routing_key));
}
std::unique_ptr<Channel> webhook_channel(HttpClient& http, std::string url) {
  return std::make_unique<WebhookChannel>(http, std::move(url));
}
std::unique_ptr<Channel> stdout_channel(std::FILE* out) {
  return std::make_unique<StdoutChannel>(out);
}

Result<std::vector<std::unique_ptr<Channel>>> make_channels(const AlertSettings& settings,
                                                            HttpClient& http, std::FILE* out,
                                                            std::string_view secrets_file) {
  std::vector<std::unique_ptr<Channel>> channels;
  for (const std::string& name : settings.channels) {
    if (name == "stdout") {
      channels.push_back(stdout_channel(out));
      continue;
    }
    if (name == "email") {
      EmailSettings email{settings.email_url, settings.email_from, settings.email_to,
                          settings.email_username, ""};
      SM_RETURN_IF_ERROR(check_email_settings(email));
      // The password is optional: a local relay may take mail without a login.
      Result<std::string> password = read_secret("SM_SMTP_PASSWORD", secrets_file);
      if (password.ok()) {
        email.password = std::move(*password);
      } else if (password.status().code() != ErrorCode::kAuthError) {
        return password.status();
      }
      channels.push_back(email_channel(std::move(email)));
      continue;
    }
    const char* secret_name = name == "telegram"    ? "SM_TELEGRAM_BOT_TOKEN"
                              : name == "discord"   ? "SM_DISCORD_WEBHOOK_URL"
                              : name == "pagerduty" ? "SM_PAGERDUTY_ROUTING_KEY"
                                                    : "SM_ALERT_WEBHOOK_URL";
    Result<std::string> secret = read_secret(secret_name, secrets_file);
    if (!secret.ok()) return secret.status();
    if (name == "telegram") {
      channels.push_back(telegram_channel(http, settings.telegram_base_url, std::move(*secret),
                                          settings.telegram_chat_id));
    } else if (name == "discord") {
      SM_RETURN_IF_ERROR(check_secret_url(secret_name, *secret));
      channels.push_back(discord_channel(http, std::move(*secret)));
    } else if (name == "pagerduty") {
      channels.push_back(pagerduty_channel(http, settings.pagerduty_url, std::move(*secret)));
    } else {
      SM_RETURN_IF_ERROR(check_secret_url(secret_name, *secret));
      channels.push_back(webhook_channel(http, std::move(*secret)));
    }
  }
  return channels;
}

}  // namespace sm::alert
