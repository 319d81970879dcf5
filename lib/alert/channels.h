// The delivery channels (docs/ALERTS.md "Channels"): Telegram Bot API sendMessage, a Discord
// webhook, PagerDuty Events API v2, a generic JSON webhook and stdout; email is in
// email_channel.h. Each sends one message and
// says whether it arrived, whether trying again can help and how long the service asked us to
// wait. HTTP goes through the broker module's HttpClient port (https, or http to a loopback host
// only); tests point the channels at local servers.
//
// Secrets (SM_TELEGRAM_BOT_TOKEN, SM_DISCORD_WEBHOOK_URL, SM_PAGERDUTY_ROUTING_KEY,
// SM_ALERT_WEBHOOK_URL) are read once by make_channels; no error text a channel returns contains
// one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/settings.h"
#include "broker/http_client.h"
#include "core/messages.h"
#include "core/status.h"

namespace sm::alert {

// One message to send.
struct Outgoing {
  std::string incident_key;
  std::string action = "trigger";  // trigger or resolve
  Severity severity = Severity::kInfo;
  std::string event;
  std::string text;  // for people (message_text.h), before the channel's own formatting
  TimestampMs ts = 0;
};

struct SendOutcome {
  bool delivered = false;
  // The service refused the message itself (bad request, unknown webhook, bad token): trying the
  // same again soon cannot help. sm-alert still keeps it, at the longest backoff, so fixing the
  // configuration or secret delivers it.
  bool permanent = false;
  std::int64_t retry_after_ms = 0;  // what a 429 asked for; 0 = not said
  std::string error;                // for the outbox and logs; never contains a secret
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string_view name() const = 0;
  // Whether many entries may be folded into one message (digests, flood summaries). PagerDuty
  // cannot: each incident needs its own dedup key.
  virtual bool combines() const { return true; }
  // Whether the channel wants this alert at all: PagerDuty takes only warning and critical alerts
  // that the rules send at once.
  virtual bool accepts(Severity severity, bool digest) const {
    (void)severity;
    (void)digest;
    return true;
  }
  virtual SendOutcome send(const Outgoing& message) = 0;
  // The longest one send() can take before it gives up (its request timeout): the deliverer's
  // claim on a row lasts longer than this, so no other deliverer sends it meanwhile.
  virtual std::int64_t longest_send_ms() const { return kHttpSendTimeoutMs; }

  // The request timeout of the HTTP channels.
  static constexpr std::int64_t kHttpSendTimeoutMs = 15000;
};

// Telegram's limits and the other channels' (characters, after Telegram's entity parsing).
inline constexpr std::size_t kTelegramMaxCharacters = 4096;
inline constexpr std::size_t kDiscordMaxCharacters = 2000;
inline constexpr std::size_t kPagerDutyMaxSummary = 1024;
inline constexpr std::size_t kPagerDutyMaxDedupKey = 255;

// The channels settings.channels names, in that order, over http (not owned; REQUIRES: outlives
// them). The stdout channel writes one NDJSON `alert_message` line per message to out. Fails with
// the secret reader's error (kAuthError naming the variable, kPermissionDenied, ...) when a
// configured channel's secret is missing, or kConfigError when a secret URL is not https (or http
// to a loopback host); no message contains the secret.
Result<std::vector<std::unique_ptr<Channel>>> make_channels(const AlertSettings& settings,
                                                            broker::HttpClient& http,
                                                            std::FILE* out,
                                                            std::string_view secrets_file = {});

// The channels one by one, for tests and for make_channels.
std::unique_ptr<Channel> telegram_channel(broker::HttpClient& http, std::string base_url,
                                          std::string bot_token, std::string chat_id);
std::unique_ptr<Channel> discord_channel(broker::HttpClient& http, std::string webhook_url);
std::unique_ptr<Channel> pagerduty_channel(broker::HttpClient& http, std::string url,
                                           std::string routing_key);
std::unique_ptr<Channel> webhook_channel(broker::HttpClient& http, std::string url);
std::unique_ptr<Channel> stdout_channel(std::FILE* out);

}  // namespace sm::alert
