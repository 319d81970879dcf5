#include "alert/token_reminder.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <catch2/catch.hpp>

#include "broker/token_file.h"
#include "support/temp_dir.h"

namespace {

// Monday 2026-12-07: 06:00 IST is 00:30 UTC; the reminder runs at 08:00 IST (02:30 UTC).
constexpr sm::TimestampMs kSixIst = 1796603400000;
constexpr sm::TimestampMs kEightIst = kSixIst + 2 * 60 * 60 * 1000;

sm::alert::TokenLogin login_at(sm::TimestampMs ms) {
  sm::alert::TokenLogin login;
  login.present = true;
  login.login_ms = ms;
  return login;
}

}  // namespace

TEST_CASE("a login after today's 06:00 IST needs no reminder; one before it does",
          "[alert][token_reminder]") {
  CHECK_FALSE(sm::alert::token_reminder_alert(login_at(kSixIst + 1), kEightIst).has_value());
  const auto stale = sm::alert::token_reminder_alert(login_at(kSixIst - 1), kEightIst);
  REQUIRE(stale.has_value());
  CHECK(stale->event == "token_login_needed");
  CHECK(stale->severity == sm::Severity::kWarning);
  CHECK(stale->component == "sm-alert");
  CHECK(stale->dedup_key == "token_login:2026-12-07");
  CHECK(stale->text.find("ended at 2026-12-07 06:00:00 IST") != std::string::npos);
}

TEST_CASE("a missing or unusable token file needs a login", "[alert][token_reminder]") {
  const auto missing = sm::alert::token_reminder_alert(sm::alert::TokenLogin{}, kEightIst);
  REQUIRE(missing.has_value());
  CHECK(missing->text.rfind("there is no Kite access token file", 0) == 0);
  sm::alert::TokenLogin unusable;
  unusable.present = true;
  unusable.problem = "mode 0644";
  const auto bad = sm::alert::token_reminder_alert(unusable, kEightIst);
  REQUIRE(bad.has_value());
  CHECK(bad->text.find("cannot be used (mode 0644)") != std::string::npos);
}

TEST_CASE("the login time is the token's issue time, else the file's age",
          "[alert][token_reminder]") {
  sm::testing::TempDir dir;
  CHECK_FALSE(sm::alert::read_token_login(dir.file("none")).present);
  const std::string path = dir.file("kite_token");
  REQUIRE(sm::broker::write_token_file(path, {"tok", kSixIst + 5000, "AB1234"}).ok());
  CHECK(sm::alert::read_token_login(path).login_ms == kSixIst + 5000);
  REQUIRE(sm::broker::write_token_file(path, {"tok", 0, ""}).ok());
  const timeval times[2] = {{kSixIst / 1000 - 60, 0}, {kSixIst / 1000 - 60, 0}};
  REQUIRE(::utimes(path.c_str(), times) == 0);
  CHECK(sm::alert::read_token_login(path).login_ms == kSixIst - 60000);
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  const sm::alert::TokenLogin unsafe = sm::alert::read_token_login(path);
  CHECK(unsafe.present);
  CHECK_FALSE(unsafe.login_ms.has_value());
  CHECK_FALSE(unsafe.problem.empty());
}
