// The `alert` configuration section (docs/ALERTS.md "Configuration"): which channels sm-alert
// delivers to, the rules that decide per event and severity whether an alert is sent at once,
// folded into a digest or dropped, and the delivery limits. Secrets (bot token, webhook URLs,
// routing key) are never configuration: channels.h reads them by name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/messages.h"
#include "core/status.h"

namespace sm::alert {

enum class RuleAction { kSend, kDigest, kDrop };
std::string_view rule_action_name(RuleAction action);

// One rule: an event pattern ("*", an exact event, or a prefix ending in "*") and an optional
// severity; the first rule that matches an alert decides.
struct Rule {
  std::string event = "*";
  std::string severity;  // empty: any severity
  RuleAction action = RuleAction::kSend;
};

struct AlertSettings {
  std::vector<std::string> channels{"stdout"};
  std::vector<Rule> rules;  // after the configured ones come the defaults (default_rules())
  std::int64_t max_messages_per_minute = 20;  // per channel; more are folded into one summary
  std::int64_t digest_interval_ms = std::int64_t{60} * 60 * 1000;
  std::int64_t poll_interval_ms = 1000;
  std::int64_t initial_backoff_ms = 2000;
  std::int64_t max_backoff_ms = std::int64_t{5} * 60 * 1000;
  std::string telegram_chat_id;
  std::string telegram_base_url = "https://api.telegram.org";
  std::string pagerduty_url = "https://events.pagerduty.com/v2/enqueue";
  std::string email_url;  // smtps://... or smtp://...
  std::string email_from;
  std::vector<std::string> email_to;
  std::string email_username;
};

// The rules that apply after the configured ones: the daily summary, critical and warning alerts
// are sent at once, other info alerts go into the digest.
std::vector<Rule> default_rules();

// What the rules say for alert.
RuleAction decide(const std::vector<Rule>& rules, const Alert& alert);

// The channel names sm-alert knows: telegram, discord, pagerduty, webhook, email, stdout.
const std::vector<std::string>& known_channels();

// Reads the alert section. Fails with kConfigError naming the key on an unknown channel, a bad
// rule, a non-positive limit, a URL that is neither https nor http to a loopback host, or
// telegram without alert.telegram.chat_id, or email without a valid alert.email.url, from and to.
Result<AlertSettings> load_alert_settings(const Config& config);

}  // namespace sm::alert
