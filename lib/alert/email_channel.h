// The email channel: one plain-text UTF-8 mail per message over SMTP with libcurl (docs/ALERTS.md
// "Channels"). smtps:// to any host; smtp:// requires STARTTLS except to a loopback host (a local
// relay, or the tests' stand-in server). The password (SM_SMTP_PASSWORD) is a secret; the
// server's replies are never logged with it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alert/channels.h"
#include "core/status.h"

namespace sm::alert {

struct EmailSettings {
  std::string url;  // smtps://smtp.example.com:465 or smtp://127.0.0.1:2525
  std::string from;
  std::vector<std::string> to;
  std::string username;  // empty: no login
  std::string password;  // the secret SM_SMTP_PASSWORD; empty: no login
};

// OK when url is smtps://HOST[:PORT] or smtp://HOST[:PORT], from is an address and to has at least
// one. kConfigError naming the key otherwise.
Status check_email_settings(const EmailSettings& settings);

std::unique_ptr<Channel> email_channel(EmailSettings settings);

// The mail as sent (headers and body, CRLF line ends): From, To, Subject (the first line, RFC 2047
// encoded when not ASCII), Date, MIME headers, then the text. For tests.
std::string email_message(const EmailSettings& settings, const Outgoing& message);

}  // namespace sm::alert
