#include "alert/email_channel.h"

#include <catch2/catch.hpp>

namespace {

sm::alert::EmailSettings settings() {
  sm::alert::EmailSettings s;
  s.url = "smtps://smtp.example.com:465";
  s.from = "bot@example.com";
  s.to = {"owner@example.com"};
  return s;
}

}  // namespace

TEST_CASE("a mail has CRLF lines, the first line as subject, RFC 2047 when not ASCII",
          "[alert][email]") {
  sm::alert::Outgoing m;
  m.incident_key = "sm-risk:x";
  m.ts = 1765184525000;  // 2025-12-08 09:02:05 UTC
  m.text = "₹\nsecond line";
  CHECK(sm::alert::email_message(settings(), m) ==
        "Date: Mon, 08 Dec 2025 09:02:05 +0000\r\nFrom: bot@example.com\r\n"
        "To: owner@example.com\r\nSubject: =?UTF-8?B?4oK5?=\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "X-StalkMarket-Incident: sm-risk:x\r\n\r\n₹\r\nsecond line\r\n");
  m.text = "plain title";
  CHECK(sm::alert::email_message(settings(), m).find("\r\nSubject: plain title\r\n") !=
        std::string::npos);
}

TEST_CASE("email settings need an smtp(s) URL, a sender and a recipient", "[alert][email]") {
  CHECK(sm::alert::check_email_settings(settings()).ok());
  sm::alert::EmailSettings http = settings();
  http.url = "https://smtp.example.com";
  CHECK(sm::alert::check_email_settings(http).code() == sm::ErrorCode::kConfigError);
  sm::alert::EmailSettings nobody = settings();
  nobody.to.clear();
  CHECK_FALSE(sm::alert::check_email_settings(nobody).ok());
  sm::alert::EmailSettings no_from = settings();
  no_from.from = "bot";
  CHECK_FALSE(sm::alert::check_email_settings(no_from).ok());
}
