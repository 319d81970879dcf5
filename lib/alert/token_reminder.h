// The morning token reminder (docs/ALERTS.md "Token reminder"): a Kite access token stops working
// at the first 06:00 IST after its login, so before the pre-open of a trading day the token file
// must hold a login made after today's 06:00 IST. `sm-alert token-reminder` (run by
// sm-reminders.service at 08:00 IST) stores this alert when it does not, and sm-alert.service
// delivers it; on other days it does nothing.
#pragma once

#include <optional>
#include <string>

#include "core/messages.h"
#include "core/timestamp.h"

namespace sm::alert {

// What the token file says about the last login.
struct TokenLogin {
  bool present = false;  // the file exists
  std::optional<TimestampMs>
      login_ms;         // SM_KITE_TOKEN_ISSUED_AT, else the file's modification time
  std::string problem;  // why the file cannot be used (unreadable, wrong mode, malformed)
};

// Reads path (never fails: a missing or unusable file is described in the result). The token
// itself is not kept.
TokenLogin read_token_login(const std::string& path);

// The warning token_login_needed (component sm-alert, dedup key token_login:<IST date of now>,
// so a second run the same day is the same incident) when login cannot trade at now: no file, an
// unusable one, or a login whose token ended at a 06:00 IST at or before now. nullopt when the
// token is good for today's session.
std::optional<Alert> token_reminder_alert(const TokenLogin& login, TimestampMs now);

}  // namespace sm::alert
