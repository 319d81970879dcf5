#include "alert/message_text.h"

#include <fmt/format.h>

#include <cctype>

#include "core/money.h"
#include "core/timestamp.h"

namespace sm::alert {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "kill_switch_daily_loss_halt" -> "kill switch daily loss halt".
std::string title_of(std::string_view event) {
  std::string out(event);
  for (char& c : out) {
    if (c == '_') c = ' ';
  }
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string_view first_line(std::string_view text) {
  const size_t end = text.find('\n');
  return end == std::string_view::npos ? text : text.substr(0, end);
}

}  // namespace

std::string advice_for(std::string_view event) {
  if (starts_with(event, "kill_switch_reset") || event == "manual_resume") return "";
  if (starts_with(event, "kill_switch_") || event == "manual_halt") {
    return "check positions and orders (sm-status); when the cause is understood, lift the halt "
           "with `sm-risk resume --reason \"...\"`";
  }
  if (event == "broker_token_expired" || starts_with(event, "token_")) {
    return "log in again with `sm-order login` (placing is stopped until then)";
  }
  if (starts_with(event, "reconcile_") || event == "broker_square_off") {
    return "review the differences with `sm-reconcile` and sm-status";
  }
  if (starts_with(event, "heartbeat_") || starts_with(event, "program_")) {
    return "check the program with `systemctl status` and its journal (journalctl -u)";
  }
  if (starts_with(event, "market_data_"))
    return "check the feed (sm-ingest) and the broker's status";
  if (starts_with(event, "fills_")) return "check the open orders with sm-status and the broker";
  if (starts_with(event, "dated_dependency_")) {
    return "renew it before it runs out (see sm-status for the date)";
  }
  if (event == "order_on_input_refused") return "check what feeds sm-risk's input";
  if (event == "unit_failed") {
    return "read why in its journal (`journalctl -u UNIT`), fix the cause, then `systemctl "
           "reset-failed UNIT` and start it again (docs/SYSTEMD.md)";
  }
  return "";
}

std::string phone_text(const Alert& alert) {
  std::string out = fmt::format("{} · {}\n{} · {}\n{}", upper(severity_name(alert.severity)),
                                title_of(alert.event), format_ist(alert.ts), alert.component,
                                group_amounts(alert.text));
  const std::string advice = advice_for(alert.event);
  if (!advice.empty()) out += fmt::format("\nWhat to do: {}", advice);
  return out;
}

std::string resolved_text(std::string_view event, std::string_view why, TimestampMs ts) {
  return fmt::format("RESOLVED · {}\n{}\n{}", title_of(event), format_ist(ts), group_amounts(why));
}

std::string combined_text(std::string_view heading, const std::vector<OutboxEntry>& entries) {
  std::string out(heading);
  for (const OutboxEntry& e : entries) {
    // The second line of a phone_text is its time and component: the line worth keeping is
    // the first (what) and the third (the alert's own text).
    std::string_view text = e.text;
    std::string_view what = first_line(text);
    std::string_view detail;
    size_t second = text.find('\n');
    if (second != std::string_view::npos) {
      size_t third = text.find('\n', second + 1);
      if (third != std::string_view::npos) detail = first_line(text.substr(third + 1));
    }
    out += fmt::format("\n- {} {}{}{}", format_ist(e.created_ms, false).substr(11), what,
                       detail.empty() ? "" : ": ", detail);
  }
  return out;
}

std::string group_amounts(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]) ||
        (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.' || text[i - 1] == ','))) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    const size_t digits = end - i;
    const bool amount = digits >= 4 && digits <= 16 && end + 2 < text.size() && text[end] == '.' &&
                        is_digit(text[end + 1]) && is_digit(text[end + 2]) &&
                        (end + 3 == text.size() || !is_digit(text[end + 3]));
    if (!amount) {
      out.append(text.substr(i, digits));
      i = end;
      continue;
    }
    Result<Paise> paise = parse_rupees(text.substr(i, digits + 3));
    if (paise.ok()) {
      out += format_rupees_grouped(*paise);
    } else {
      out.append(text.substr(i, digits + 3));
    }
    i = end + 3;
  }
  return out;
}

std::size_t character_count(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string truncate_characters(std::string_view text, std::size_t max_characters) {
  if (character_count(text) <= max_characters) return std::string(text);
  if (max_characters == 0) return "";
  // Keep max_characters - 1 characters, then the ellipsis.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
      if (kept == max_characters - 1) break;
      ++kept;
    }
    ++end;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string escape_markdown_v2(std::string_view text) {
  static constexpr std::string_view kReserved = "_*[]()~`>#+-=|{}.!\\";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (kReserved.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace sm::alert
