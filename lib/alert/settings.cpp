#include "alert/settings.h"

#include <fmt/format.h>

#include <algorithm>

#include "broker/url_policy.h"

namespace sm::alert {
namespace {

Status config_error(const Config& config, std::string_view key, std::string_view what) {
  return error(ErrorCode::kConfigError, fmt::format("{}: {} {}", config.source(), key, what));
}

Result<std::int64_t> positive(const Config& config, std::string_view key, std::int64_t fallback) {
  Result<std::int64_t> value = config.get_int(key, fallback);
  if (!value.ok()) return value.status();
  if (*value <= 0) return config_error(config, key, "must be a positive number");
  return value;
}

bool event_matches(std::string_view pattern, std::string_view event) {
  if (pattern == "*") return true;
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return event.substr(0, pattern.size()) == pattern;
  }
  return pattern == event;
}

Result<Rule> parse_rule(const Config& config, const nlohmann::json& item, size_t index) {
  const std::string key = fmt::format("alert.rules[{}]", index);
  if (!item.is_object()) return config_error(config, key, "must be an object");
  Rule rule;
  for (const auto& [name, value] : item.items()) {
    if (!value.is_string()) return config_error(config, key + "." + name, "must be text");
    const std::string text = value.get<std::string>();
    if (name == "event") {
      rule.event = text;
    } else if (name == "severity") {
      if (text != "*" && !parse_severity(text).ok()) {
        return config_error(config, key + ".severity", "must be info, warning or critical");
      }
      rule.severity = text == "*" ? std::string() : text;
    } else if (name == "action") {
      if (text == "send") {
        rule.action = RuleAction::kSend;
      } else if (text == "digest") {
        rule.action = RuleAction::kDigest;
      } else if (text == "drop") {
        rule.action = RuleAction::kDrop;
      } else {
        return config_error(config, key + ".action", "must be send, digest or drop");
      }
    } else {
      return config_error(config, key + "." + name, "is not a known key (event, severity, action)");
    }
  }
  if (!item.contains("action")) return config_error(config, key + ".action", "is required");
  return rule;
}

// These URLs hold no secret (the token and routing key travel elsewhere), so the message may
// show them.
Status check_url(std::string_view key, const std::string& url) {
  Status safe = broker::check_secret_safe_url(url, key);
  if (!safe.ok()) return error(ErrorCode::kConfigError, safe.message());
  return Status();
}

}  // namespace

std::string_view rule_action_name(RuleAction action) {
  switch (action) {
    case RuleAction::kSend:
      return "send";
    case RuleAction::kDigest:
      return "digest";
    case RuleAction::kDrop:
      return "drop";
  }
  return "send";
}

std::vector<Rule> default_rules() {
  return {Rule{"daily_summary", "", RuleAction::kSend}, Rule{"*", "critical", RuleAction::kSend},
          Rule{"*", "warning", RuleAction::kSend}, Rule{"*", "info", RuleAction::kDigest}};
}

RuleAction decide(const std::vector<Rule>& rules, const Alert& alert) {
  const std::string_view severity = severity_name(alert.severity);
  for (const Rule& rule : rules) {
    if (!rule.severity.empty() && rule.severity != severity) continue;
    if (event_matches(rule.event, alert.event)) return rule.action;
  }
  return RuleAction::kSend;
}

const std::vector<std::string>& known_channels() {
  static const std::vector<std::string> kChannels = {"telegram", "discord", "pagerduty",
                                                     "webhook",  "email",   "stdout"};
  return kChannels;
}

Result<AlertSettings> load_alert_settings(const Config& config) {
  AlertSettings settings;
  Result<std::vector<std::string>> channels =
      config.get_string_list("alert.channels", settings.channels);
  if (!channels.ok()) return channels.status();
  settings.channels.clear();
  for (const std::string& channel : *channels) {
    const std::vector<std::string>& known = known_channels();
    if (std::find(known.begin(), known.end(), channel) == known.end()) {
      return config_error(
          config, "alert.channels",
          fmt::format("names an unknown channel \"{}\" ({})", channel, fmt::join(known, ", ")));
    }
    if (std::find(settings.channels.begin(), settings.channels.end(), channel) ==
        settings.channels.end()) {
      settings.channels.push_back(channel);
    }
  }

  Result<nlohmann::json> section = config.get_section("alert");
  if (!section.ok()) return section.status();
  if (section->contains("rules")) {
    const nlohmann::json& list = (*section)["rules"];
    if (!list.is_array()) return config_error(config, "alert.rules", "must be a list of rules");
    for (size_t i = 0; i < list.size(); ++i) {
      Result<Rule> rule = parse_rule(config, list[i], i);
      if (!rule.ok()) return rule.status();
      settings.rules.push_back(*rule);
    }
  }
  for (const Rule& rule : default_rules()) settings.rules.push_back(rule);

  struct Limit {
    std::string_view key;
    std::int64_t* value;
    std::int64_t scale;
  };
  std::int64_t digest_minutes = settings.digest_interval_ms / 60000;
  const Limit limits[] = {
      {"alert.max_messages_per_minute", &settings.max_messages_per_minute, 1},
      {"alert.digest_interval_minutes", &digest_minutes, 1},
      {"alert.poll_interval_ms", &settings.poll_interval_ms, 1},
      {"alert.retry.initial_backoff_ms", &settings.initial_backoff_ms, 1},
      {"alert.retry.max_backoff_ms", &settings.max_backoff_ms, 1},
  };
  for (const Limit& limit : limits) {
    Result<std::int64_t> value = positive(config, limit.key, *limit.value);
    if (!value.ok()) return value.status();
    *limit.value = *value * limit.scale;
  }
  settings.digest_interval_ms = digest_minutes * 60000;

  Result<std::string> chat = config.get_string("alert.telegram.chat_id", "");
  if (!chat.ok()) return chat.status();
  settings.telegram_chat_id = *chat;
  Result<std::string> telegram_url =
      config.get_string("alert.telegram.base_url", settings.telegram_base_url);
  if (!telegram_url.ok()) return telegram_url.status();
  settings.telegram_base_url = *telegram_url;
  while (!settings.telegram_base_url.empty() && settings.telegram_base_url.back() == '/') {
    settings.telegram_base_url.pop_back();
  }
  SM_RETURN_IF_ERROR(check_url("alert.telegram.base_url", settings.telegram_base_url));
  Result<std::string> pagerduty_url =
      config.get_string("alert.pagerduty.url", settings.pagerduty_url);
  if (!pagerduty_url.ok()) return pagerduty_url.status();
  settings.pagerduty_url = *pagerduty_url;
  SM_RETURN_IF_ERROR(check_url("alert.pagerduty.url", settings.pagerduty_url));
  Result<std::string> email_url = config.get_string("alert.email.url", "");
  Result<std::string> email_from = config.get_string("alert.email.from", "");
  Result<std::vector<std::string>> email_to = config.get_string_list("alert.email.to", {});
  Result<std::string> email_username = config.get_string("alert.email.username", "");
  if (!email_url.ok()) return email_url.status();
  if (!email_from.ok()) return email_from.status();
  if (!email_to.ok()) return email_to.status();
  if (!email_username.ok()) return email_username.status();
  settings.email_url = *email_url;
  settings.email_from = *email_from;
  settings.email_to = *email_to;
  settings.email_username = *email_username;
  const bool telegram = std::find(settings.channels.begin(), settings.channels.end(), "telegram") !=
                        settings.channels.end();
  if (telegram && settings.telegram_chat_id.empty()) {
    return config_error(config, "alert.telegram.chat_id",
                        "is required when alert.channels names telegram");
  }
  return settings;
}

}  // namespace sm::alert
