#include "alert/message_text.h"

#include <catch2/catch.hpp>

#include "core/timestamp.h"

TEST_CASE("a phone message has the severity, IST time, component, grouped amounts and advice",
          "[alert][text]") {
  sm::Alert a;
  a.ts = *sm::parse_timestamp("2025-12-08T09:02:05Z");
  a.severity = sm::Severity::kCritical;
  a.component = "sm-risk";
  a.event = "kill_switch_daily_loss_halt";
  a.text = "daily loss 5.20% of capital (1234567.50) > 5%: exiting 2 position(s) in INFY";
  CHECK(sm::alert::phone_text(a) ==
        "CRITICAL · kill switch daily loss halt\n"
        "2025-12-08 14:32:05 IST · sm-risk\n"
        "daily loss 5.20% of capital (12,34,567.50) > 5%: exiting 2 position(s) in INFY\n"
        "What to do: check positions and orders (sm-status); when the cause is understood, lift "
        "the halt with `sm-risk resume --reason \"...\"`");
}

TEST_CASE("an expired token tells the person to log in again", "[alert][text]") {
  CHECK(sm::alert::advice_for("broker_token_expired").find("sm-order login") != std::string::npos);
  CHECK(sm::alert::advice_for("kill_switch_reset").empty());
}

TEST_CASE("only two-decimal amounts of four or more digits are grouped", "[alert][text]") {
  CHECK(sm::alert::group_amounts("price 999.50 qty 12345 value 12345.60") ==
        "price 999.50 qty 12345 value 12,345.60");
  CHECK(sm::alert::group_amounts("-1234567.00") == "-12,34,567.00");
  CHECK(sm::alert::group_amounts("1.2345.67") == "1.2345.67");
  CHECK(sm::alert::group_amounts("12345.678") == "12345.678");
}

TEST_CASE("truncation counts characters, never splits one, and marks the cut", "[alert][text]") {
  CHECK(sm::alert::truncate_characters("₹₹₹₹", 4) == "₹₹₹₹");
  CHECK(sm::alert::truncate_characters("₹₹₹₹₹", 4) == "₹₹₹…");
  CHECK(sm::alert::character_count(sm::alert::truncate_characters(std::string(5000, 'a'), 4096)) ==
        4096);
}

TEST_CASE("MarkdownV2 escapes every reserved character", "[alert][text]") {
  CHECK(sm::alert::escape_markdown_v2("a_b*c[d](e)~`>#+-=|{}.!\\") ==
        "a\\_b\\*c\\[d\\]\\(e\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\");
  CHECK(sm::alert::escape_markdown_v2("INFY 1,500 ₹") == "INFY 1,500 ₹");
}
