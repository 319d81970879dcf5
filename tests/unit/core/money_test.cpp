#include <catch2/catch.hpp>

#include <limits>

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

TEST_CASE("format_rupees_grouped groups the Indian way: thousands, then lakhs and crores",
          "[money]") {
  CHECK(format_rupees_grouped(11174000) == "1,11,740.00");
  CHECK(format_rupees_grouped(123456789012) == "1,23,45,67,890.12");
  CHECK(format_rupees_grouped(-1234567) == "-12,345.67");
  CHECK(format_rupees_grouped(100000) == "1,000.00");
  CHECK(format_rupees_grouped(99999) == "999.99");
  CHECK(format_rupees_grouped(-5) == "-0.05");
  CHECK(format_rupees_grouped(0) == "0.00");
  CHECK(format_rupees_grouped(INT64_MIN) == "-92,23,37,20,36,85,47,758.08");
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

TEST_CASE("saturate clamps to the int64 range", "[money]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  CHECK(saturate(Int128{42}) == 42);
  CHECK(saturate(Int128{-42}) == -42);
  CHECK(saturate(Int128{kMax}) == kMax);
  CHECK(saturate(Int128{kMin}) == kMin);
  CHECK(saturate(Int128{kMax} + 1) == kMax);
  CHECK(saturate(Int128{kMin} - 1) == kMin);
  CHECK(saturate(Int128{kMax} * kMax) == kMax);
  CHECK(saturate(Int128{kMin} * kMax) == kMin);
}

TEST_CASE("divide_half_even rounds to nearest, exact halves to the even neighbour", "[money]") {
  CHECK(divide_half_even(10, 4) == 2);  // 2.5
  CHECK(divide_half_even(14, 4) == 4);  // 3.5
  CHECK(divide_half_even(11, 4) == 3);  // 2.75
  CHECK(divide_half_even(9, 4) == 2);   // 2.25
  CHECK(divide_half_even(12, 4) == 3);
  CHECK(divide_half_even(0, 7) == 0);
  CHECK(divide_half_even(-10, 4) == -2);  // -2.5
  CHECK(divide_half_even(-14, 4) == -4);  // -3.5
  CHECK(divide_half_even(-11, 4) == -3);  // -2.75
  CHECK(divide_half_even(-9, 4) == -2);   // -2.25
  CHECK(divide_half_even(-1, 3) == 0);
  constexpr Int128 kMax = std::numeric_limits<std::int64_t>::max();
  CHECK(divide_half_even(kMax * 2 + 1, 2) == kMax + 1);  // kMax + 0.5, kMax is odd
  CHECK(divide_half_even(kMax * kMax, kMax) == kMax);
}

TEST_CASE("mean_half_even (in 64 bits) is divide_half_even's, to the ends of the range",
          "[money]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t totals[] = {0, 1, -1, 5, -5, 6, -6, 7, -7, kMax, kMax - 1, kMin, kMin + 1};
  const std::int64_t counts[] = {1, 2, 3, 4, 7, kMax / 2, kMax / 2 + 1, kMax - 1, kMax};
  for (std::int64_t total : totals) {
    for (std::int64_t count : counts) {
      INFO(total << " / " << count);
      CHECK(mean_half_even(total, count) == divide_half_even(total, count));
    }
  }
  CHECK(mean_half_even(10, 0) == 0);
  CHECK(mean_half_even(10, -4) == 0);
}

TEST_CASE("divide_half_away_from_zero rounds exact halves away from zero", "[money]") {
  CHECK(divide_half_away_from_zero(10, 4) == 3);  // 2.5
  CHECK(divide_half_away_from_zero(14, 4) == 4);  // 3.5
  CHECK(divide_half_away_from_zero(9, 4) == 2);   // 2.25
  CHECK(divide_half_away_from_zero(-10, 4) == -3);
  CHECK(divide_half_away_from_zero(-9, 4) == -2);
  CHECK(divide_half_away_from_zero(-11, 4) == -3);
  CHECK(divide_half_away_from_zero(10, -4) == -3);  // a negative divisor
  CHECK(divide_half_away_from_zero(-10, -4) == 3);
  CHECK(divide_half_away_from_zero(0, -4) == 0);
  constexpr Int128 kMin = std::numeric_limits<std::int64_t>::min();
  CHECK(divide_half_away_from_zero(kMin * 2 - 1, 2) == kMin - 1);  // kMin - 0.5
}

TEST_CASE("multiply_divide keeps the product exact and rounds as asked", "[money]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  // 151,505 * 4 / 15 = 40,401.33
  CHECK(multiply_divide(151'505, 4, 15, DivideRounding::kTowardZero) == 40'401);
  CHECK(multiply_divide(151'505, 4, 15, DivideRounding::kHalfEven) == 40'401);
  CHECK(multiply_divide(151'505, 4, 15, DivideRounding::kHalfAwayFromZero) == 40'401);
  // 5 * 5 / 10 = 2.5, -2.5; 7 * 5 / 10 = 3.5
  CHECK(multiply_divide(5, 5, 10, DivideRounding::kTowardZero) == 2);
  CHECK(multiply_divide(5, 5, 10, DivideRounding::kHalfEven) == 2);
  CHECK(multiply_divide(7, 5, 10, DivideRounding::kHalfEven) == 4);
  CHECK(multiply_divide(5, 5, 10, DivideRounding::kHalfAwayFromZero) == 3);
  CHECK(multiply_divide(-5, 5, 10, DivideRounding::kTowardZero) == -2);
  CHECK(multiply_divide(-5, 5, 10, DivideRounding::kHalfEven) == -2);
  CHECK(multiply_divide(-5, 5, 10, DivideRounding::kHalfAwayFromZero) == -3);
  // The product overflows int64, the result does not.
  CHECK(multiply_divide(kMax, kMax, kMax, DivideRounding::kTowardZero) == kMax);
  CHECK(multiply_divide(kMin, 3, 4, DivideRounding::kHalfAwayFromZero) ==
        static_cast<std::int64_t>(divide_half_away_from_zero(Int128{kMin} * 3, 4)));
  // The result overflows and saturates.
  CHECK(multiply_divide(kMax, 2, 1, DivideRounding::kHalfEven) == kMax);
  CHECK(multiply_divide(kMin, 2, 1, DivideRounding::kTowardZero) == kMin);
}
