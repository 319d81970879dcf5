#include <catch2/catch.hpp>

#include "core/money.h"

using namespace sm;

TEST_CASE("parse_rupees reads decimal text exactly", "[money]") {
  CHECK(*parse_rupees("1234.5") == 123450);
  CHECK(*parse_rupees("1222.00") == 122200);
  CHECK(*parse_rupees("-0.05") == -5);
  CHECK(*parse_rupees("+7") == 700);
  CHECK(*parse_rupees("0.10") == 10);
  CHECK(*parse_rupees("1.5e3") == 150000);
  CHECK(*parse_rupees("887.6200000") == 88762);
  CHECK(*parse_rupees("  42.1 ") == 4210);
  CHECK(*parse_rupees("0") == 0);
  CHECK(*parse_rupees(".5") == 50);
}

TEST_CASE("parse_rupees rejects what is not an exact amount", "[money]") {
  CHECK_FALSE(parse_rupees("").ok());
  CHECK_FALSE(parse_rupees("abc").ok());
  CHECK_FALSE(parse_rupees("NaN").ok());
  CHECK_FALSE(parse_rupees("inf").ok());
  CHECK_FALSE(parse_rupees("12.345").ok());
  CHECK_FALSE(parse_rupees("1e400").ok());
  CHECK_FALSE(parse_rupees("99999999999999999999").ok());
  CHECK_FALSE(parse_rupees("12,5").ok());
  CHECK_FALSE(parse_rupees("1.2.3").ok());
  CHECK(parse_rupees("12.345").status().code() == ErrorCode::kParseError);
}

TEST_CASE("parse_rupees rounds when asked", "[money]") {
  CHECK(*parse_rupees("1234.5625", Rounding::kHalfEven) == 123456);
  CHECK(*parse_rupees("0.125", Rounding::kHalfEven) == 12);
  CHECK(*parse_rupees("0.135", Rounding::kHalfEven) == 14);
  CHECK(*parse_rupees("0.125", Rounding::kHalfAwayFromZero) == 13);
  CHECK(*parse_rupees("-0.125", Rounding::kHalfAwayFromZero) == -13);
  CHECK(*parse_rupees("0.1251", Rounding::kHalfEven) == 13);
}

TEST_CASE("format_rupees always prints two decimals", "[money]") {
  CHECK(format_rupees(123450) == "1234.50");
  CHECK(format_rupees(-5) == "-0.05");
  CHECK(format_rupees(0) == "0.00");
  CHECK(format_rupees(INT64_MIN) == "-92233720368547758.08");
}

TEST_CASE("paise_from_double accepts two-decimal doubles only", "[money]") {
  CHECK(*paise_from_double(2456.30) == 245630);
  CHECK(*paise_from_double(0.07) == 7);
  CHECK_FALSE(paise_from_double(1.234).ok());
  CHECK_FALSE(paise_from_double(std::nan("")).ok());
  CHECK_FALSE(paise_from_double(1e300).ok());
}

TEST_CASE("round_to_tick rounds to the price grid", "[money]") {
  CHECK(round_to_tick(100003, 5) == 100005);
  CHECK(round_to_tick(100002, 5) == 100000);
  CHECK(round_to_tick(100002, 5, TickRounding::kUp) == 100005);
  CHECK(round_to_tick(100004, 5, TickRounding::kDown) == 100000);
  CHECK(round_to_tick(100005, 5, TickRounding::kDown) == 100005);
  CHECK(round_to_tick(-3, 5, TickRounding::kDown) == -5);
  CHECK(nse_tick_for(24999) == 1);
  CHECK(nse_tick_for(25000) == 5);
}

TEST_CASE("notional reports overflow instead of wrapping", "[money]") {
  CHECK(*notional(245630, 100) == 24563000);
  CHECK_FALSE(notional(kMaxAbsPaise, kMaxAbsPaise).ok());
  CHECK(apply_bps(1000000, 5) == 500);
  CHECK(apply_bps(-15, 5000) == -8);
}
