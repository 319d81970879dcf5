#include "alert/unit_failure.h"

#include <catch2/catch.hpp>
#include <string>

#include "alert/message_text.h"

using sm::alert::check_unit_name;

TEST_CASE("systemd unit names are accepted, anything else is refused by name", "[alert][unit]") {
  CHECK(check_unit_name("sm-order.service").ok());
  CHECK(check_unit_name("sm-alert@sm-order.service.service").ok());
  CHECK(check_unit_name("sm-session.target").ok());
  CHECK_FALSE(check_unit_name("").ok());
  CHECK_FALSE(check_unit_name("sm-order").ok());
  CHECK_FALSE(check_unit_name(".service").ok());
  CHECK_FALSE(check_unit_name(std::string(300, 'a') + ".service").ok());
  const sm::Status refused = check_unit_name("sm-order; rm -rf /");
  CHECK(refused.code() == sm::ErrorCode::kInvalidArgument);
  CHECK(refused.message().find("'sm-order; rm -rf /'") != std::string::npos);
}

TEST_CASE("a failed unit is a critical alert of its own, one incident per failure",
          "[alert][unit]") {
  const sm::TimestampMs now = 1'765'170'000'000;
  const sm::Alert alert = sm::alert::unit_failed_alert("sm-risk.service", now);
  CHECK(alert.severity == sm::Severity::kCritical);
  CHECK(alert.component == "sm-risk.service");
  CHECK(alert.event == "unit_failed");
  CHECK(alert.ts == now);
  CHECK(alert.text.rfind("sm-risk.service failed", 0) == 0);
  CHECK(alert.dedup_key != sm::alert::unit_failed_alert("sm-risk.service", now + 1).dedup_key);
  CHECK(alert.dedup_key.find("sm-risk.service") != std::string::npos);
  // The phone message says what to do.
  CHECK(sm::alert::advice_for("unit_failed").find("journalctl -u") != std::string::npos);
}
