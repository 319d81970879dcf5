#include <catch2/catch.hpp>

#include "ingest/fields.h"

using namespace sm;
using namespace sm::ingest;

TEST_CASE("symbols are upper-cased and lose exchange decorations") {
  CHECK(*normalize_symbol("reliance") == "RELIANCE");
  CHECK(*normalize_symbol("  RELIANCE.NS ") == "RELIANCE");
  CHECK(*normalize_symbol("NSE:INFY") == "INFY");
  CHECK(*normalize_symbol("nse:tcs") == "TCS");
  CHECK(*normalize_symbol("WIPRO.BO") == "WIPRO");
  CHECK(*normalize_symbol("SBIN-EQ") == "SBIN");
  CHECK(*normalize_symbol("M&M") == "M&M");
  CHECK(*normalize_symbol("BAJAJ-AUTO") == "BAJAJ-AUTO");
  CHECK(*normalize_symbol("\"NIFTY\"") == "NIFTY");
}

TEST_CASE("symbols that are empty or carry foreign characters are refused") {
  CHECK_FALSE(normalize_symbol("").ok());
  CHECK_FALSE(normalize_symbol("   ").ok());
  CHECK_FALSE(normalize_symbol("NSE:").ok());
  CHECK_FALSE(normalize_symbol("REL IANCE").ok());
  CHECK_FALSE(normalize_symbol("INFY;DROP").ok());
}

TEST_CASE("time zones accept IST, UTC and fixed offsets only") {
  CHECK(*parse_zone_offset("IST") == 330);
  CHECK(*parse_zone_offset("Asia/Kolkata") == 330);
  CHECK(*parse_zone_offset("utc") == 0);
  CHECK(*parse_zone_offset("+05:30") == 330);
  CHECK(*parse_zone_offset("+0530") == 330);
  CHECK(*parse_zone_offset("-04:00") == -240);
  CHECK_FALSE(parse_zone_offset("America/New_York").ok());
  CHECK_FALSE(parse_zone_offset("+25:00").ok());
  CHECK(parse_zone_offset("EST").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("prices are exact paise; float noise is rounded and said so") {
  CHECK(parse_price_text("1222.00")->paise == 122200);
  CHECK_FALSE(parse_price_text("1222.00")->rounded);
  CHECK(parse_price_text("886.3")->paise == 88630);
  CHECK(parse_price_text("\"1,234.50\"")->paise == 123450);
  const auto noisy = parse_price_text("2450.199951171875");
  REQUIRE(noisy.ok());
  CHECK(noisy->paise == 245020);
  CHECK(noisy->rounded);
}

TEST_CASE("bad price cells say whether they are garbage or out of range") {
  CHECK(parse_price_text("").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("NaN").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("inf").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("12a").status().code() == ErrorCode::kParseError);
  CHECK(parse_price_text("1e30").status().code() == ErrorCode::kInvalidArgument);
  CHECK(parse_price_text("99999999999999999999").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("volumes are whole numbers even when written as floats") {
  CHECK(*parse_quantity_text("677439") == 677439);
  CHECK(*parse_quantity_text("10559.0") == 10559);
  CHECK(*parse_quantity_text("0.0") == 0);
  CHECK(*parse_quantity_text("1.2e6") == 1200000);
  CHECK(*parse_quantity_text("-5") == -5);
  CHECK_FALSE(parse_quantity_text("10.5").ok());
  CHECK_FALSE(parse_quantity_text("nan").ok());
  CHECK(parse_quantity_text("1e40").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("timestamps in the forms real files use") {
  const TimestampMs open = from_ist(Date{2023, 7, 3}, 9, 15);
  CHECK(parse_time_text("2023-07-03 09:15:00+05:30", 330)->ts == open);
  CHECK(parse_time_text("2023-07-03T09:15:00+0530", 0)->ts == open);
  CHECK(parse_time_text("2023-07-03 09:15:00", 330)->ts == open);
  CHECK(parse_time_text("2023-07-03 03:45:00", 0)->ts == open);
  CHECK(parse_time_text("2023-07-03 03:45:00+00:00", 330)->ts == open);
  CHECK(parse_time_text("1688355900", 330)->ts == open);     // TradingView: Unix seconds
  CHECK(parse_time_text("1688355900000", 330)->ts == open);  // milliseconds
  const auto date = parse_time_text("2015-01-01", 330);
  REQUIRE(date.ok());
  CHECK(date->date_only);
  CHECK(date->ts == from_ist(Date{2015, 1, 1}, 0, 0));
  CHECK(parse_time_text("01-Jan-2015", 330)->ts == from_ist(Date{2015, 1, 1}, 0, 0));
  CHECK(parse_time_text("1-JAN-2015", 330)->date_only);
  CHECK(parse_time_text("28-Mar-2024 15:30:00", 330)->ts == from_ist(Date{2024, 3, 28}, 15, 30));
}

TEST_CASE("unreadable timestamps fail") {
  CHECK_FALSE(parse_time_text("", 330).ok());
  CHECK_FALSE(parse_time_text("2015-13-01", 330).ok());
  CHECK_FALSE(parse_time_text("2023-02-29", 330).ok());
  CHECK_FALSE(parse_time_text("yesterday", 330).ok());
  CHECK_FALSE(parse_time_text("12345", 330).ok());
  CHECK_FALSE(parse_time_text("01-Foo-2015", 330).ok());
}

TEST_CASE("column keys ignore case and punctuation") {
  CHECK(column_key("Prev Close") == "prevclose");
  CHECK(column_key("%Deliverble") == "deliverble");
  CHECK(column_key(" Adj Close ") == "adjclose");
}
