#include "alert/token_reminder.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "broker/kite_broker.h"
#include "broker/token_file.h"

namespace sm::alert {

TokenLogin read_token_login(const std::string& path) {
  TokenLogin login;
  struct stat info {};
  if (path.empty() || ::stat(path.c_str(), &info) != 0) return login;
  login.present = true;
  Result<broker::AccessToken> token = broker::read_token_file(path);
  if (!token.ok()) {
    login.problem = token.status().message();
    return login;
  }
  // sm-order login records Kite's login time; a file written by hand has only its own age.
  login.login_ms = token->issued_at != 0 ? token->issued_at
                                         : static_cast<TimestampMs>(info.st_mtim.tv_sec) * 1000 +
                                               info.st_mtim.tv_nsec / 1000000;
  return login;
}

std::optional<Alert> token_reminder_alert(const TokenLogin& login, TimestampMs now) {
  std::string why;
  if (!login.present) {
    why = "there is no Kite access token file";
  } else if (!login.login_ms) {
    why = fmt::format("the Kite access token file cannot be used ({})", login.problem);
  } else if (const TimestampMs expiry = broker::kite_token_expiry(*login.login_ms); expiry <= now) {
    why = fmt::format("the Kite access token from the login at {} ended at {}",
                      format_ist(*login.login_ms), format_ist(expiry));
  } else {
    return std::nullopt;
  }
  Alert alert;
  alert.ts = now;
  alert.severity = Severity::kWarning;
  alert.component = "sm-alert";
  alert.event = "token_login_needed";
  alert.text = fmt::format(
      "{}: orders cannot be placed today until someone logs in (the pre-open starts at 09:00 "
      "IST)",
      why);
  alert.dedup_key = fmt::format("token_login:{}", format_date(ist_date(now)));
  return alert;
}

}  // namespace sm::alert
