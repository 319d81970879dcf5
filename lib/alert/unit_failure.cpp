#include "alert/unit_failure.h"

#include <fmt/format.h>

#include <string>

namespace sm::alert {

namespace {

// systemd's maximum unit name length (UNIT_NAME_MAX).
constexpr std::size_t kMaxUnitNameLength = 256;

bool unit_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

}  // namespace

Status check_unit_name(std::string_view unit) {
  bool valid = !unit.empty() && unit.size() <= kMaxUnitNameLength &&
               unit.find('.') != std::string_view::npos && unit.front() != '.' &&
               unit.back() != '.';
  for (char c : unit) valid = valid && unit_name_character(c);
  if (valid) return Status();
  return error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a systemd unit name (e.g. sm-order.service)", unit));
}

Alert unit_failed_alert(std::string_view unit, TimestampMs now) {
  Alert alert;
  alert.ts = now;
  alert.severity = Severity::kCritical;
  alert.component = std::string(unit);
  alert.event = "unit_failed";
  alert.text = fmt::format(
      "{} failed: it is down until someone acts (a crash loop, or an exit it must not restart "
      "from: configuration, drift, login)",
      unit);
  alert.dedup_key = fmt::format("unit_failed:{}:{}", unit, format_utc(now));
  return alert;
}

}  // namespace sm::alert
