#include <catch2/catch.hpp>

#include "core/timestamp.h"

using namespace sm;

TEST_CASE("timestamps format as UTC ISO 8601 with milliseconds", "[time]") {
  CHECK(format_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_utc(1711598400123) == "2024-03-28T04:00:00.123Z");
  CHECK(format_utc(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("parse_timestamp accepts zones and IST defaults", "[time]") {
  const TimestampMs open = from_ist(Date{2024, 3, 28}, 9, 15);
  CHECK(*parse_timestamp("2024-03-28T03:45:00Z") == open);
  CHECK(*parse_timestamp("2024-03-28T03:45:00.000Z") == open);
  CHECK(*parse_timestamp("2024-03-28 09:15:00+05:30") == open);
  CHECK(*parse_timestamp("2024-03-28T09:15+0530") == open);
  CHECK(*parse_timestamp("2024-03-28 09:15:00", kIstOffsetMinutes) == open);
  CHECK(*parse_timestamp("2024-03-28", kIstOffsetMinutes) == from_ist(Date{2024, 3, 28}, 0, 0));
  CHECK(*parse_timestamp("2024-03-28T03:45:00.5Z") == open + 500);
}

TEST_CASE("parse_timestamp rejects bad text with a reason", "[time]") {
  CHECK_FALSE(parse_timestamp("2024-03-28 09:15:00").ok());  // no zone and no default
  CHECK_FALSE(parse_timestamp("2024-02-30T00:00:00Z").ok());
  CHECK_FALSE(parse_timestamp("2024-03-28T25:00:00Z").ok());
  CHECK_FALSE(parse_timestamp("2024-03-28T09:15:00X").ok());
  CHECK_FALSE(parse_timestamp("2024-03-").ok());
  CHECK_FALSE(parse_timestamp("").ok());
}

TEST_CASE("IST helpers convert calendar dates and display", "[time]") {
  const TimestampMs ts = *parse_timestamp("2024-03-27T20:00:00Z");  // 01:30 IST on the 28th
  CHECK(ist_date(ts) == Date{2024, 3, 28});
  CHECK(ist_minute_of_day(ts) == 90);
  CHECK(format_ist(ts) == "2024-03-28 01:30:00 IST");
  CHECK(weekday(Date{2024, 3, 28}) == 4);
  CHECK(weekday(Date{2019, 10, 27}) == 0);
  CHECK(add_days(Date{2024, 2, 28}, 1) == Date{2024, 2, 29});
  CHECK(civil_from_days(days_from_civil(Date{1995, 6, 14})) == Date{1995, 6, 14});
}
