// Alert messages for a person reading a phone (docs/ALERTS.md "Messages"): what happened and
// when in IST, who said it, amounts in rupees with Indian digit grouping, what the system did
// (the alert's own text) and what to do next. Also the text helpers the channels need: UTF-8-safe
// truncation to a character limit and Telegram MarkdownV2 escaping.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "alert/outbox.h"
#include "core/messages.h"

namespace sm::alert {

// The message for one alert:
//   CRITICAL · kill switch daily loss halt
//   2026-12-07 14:32:05 IST · sm-risk
//   <the alert's text, amounts grouped>
//   What to do: <advice for the event>
std::string phone_text(const Alert& alert);

// The message when an incident is resolved: "RESOLVED · <title>", when, and why.
std::string resolved_text(std::string_view event, std::string_view why, TimestampMs ts);

// One message for many: "<heading>" then one short line per entry (severity, IST time, first line
// of its text), in order. Used for digests and flood summaries; nothing is left out (a channel's
// length limit may still cut the end, which it marks).
std::string combined_text(std::string_view heading, const std::vector<OutboxEntry>& entries);

// What a person should do about an event, or "" when there is nothing to do.
std::string advice_for(std::string_view event);

// Rewrites every decimal amount with exactly two decimals and at least four digits before the
// point with Indian grouping: "daily loss 1234567.50" -> "daily loss 12,34,567.50".
std::string group_amounts(std::string_view text);

// The first max_characters Unicode characters of text (UTF-8); when text is longer, the last one
// kept is replaced by "…" so a reader knows it was cut. Never splits a character.
std::string truncate_characters(std::string_view text, std::size_t max_characters);
// The number of Unicode characters in UTF-8 text.
std::size_t character_count(std::string_view text);

// A backslash before every character Telegram's MarkdownV2 reserves: _ * [ ] ( ) ~ ` > # + - = | {
// } . ! and the backslash itself.
std::string escape_markdown_v2(std::string_view text);

}  // namespace sm::alert
