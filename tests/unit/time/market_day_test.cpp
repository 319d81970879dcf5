#include "time/market_day.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "support/stored_market_data.h"

using sm::Date;
using sm::time::market_day_at;
using sm::time::MarketDay;
using sm::time::Session;

namespace {

MarketDay day_at(Date date, int hour, int minute) {
  sm::Result<MarketDay> day =
      market_day_at(sm::testing::bundled_calendar(), sm::from_ist(date, hour, minute));
  REQUIRE(day.ok());
  return *day;
}

}  // namespace

TEST_CASE("a regular weekday trades and is in session from pre-open to the closing session",
          "[market_day]") {
  const Date monday{2026, 12, 7};
  CHECK(day_at(monday, 8, 59).trading);
  CHECK_FALSE(day_at(monday, 8, 59).in_session());
  CHECK(day_at(monday, 9, 0).session == Session::kPreOpenOrderEntry);
  CHECK(day_at(monday, 9, 0).in_session());
  CHECK(day_at(monday, 12, 0).session == Session::kContinuous);
  CHECK(day_at(monday, 15, 59).in_session());
  CHECK_FALSE(day_at(monday, 16, 0).in_session());
  CHECK(day_at(monday, 16, 0).trading);
}

TEST_CASE("a weekday holiday and a weekend do not trade; a Sunday special session does",
          "[market_day]") {
  const MarketDay holi = day_at(Date{2026, 3, 3}, 10, 0);
  CHECK_FALSE(holi.trading);
  CHECK(holi.session == Session::kClosed);
  CHECK_FALSE(holi.in_session());
  CHECK_FALSE(day_at(Date{2026, 12, 5}, 10, 0).trading);
  const MarketDay budget = day_at(Date{2026, 2, 1}, 10, 0);
  CHECK(budget.trading);
  CHECK(budget.in_session());
}

TEST_CASE("a special session with timings not yet notified trades but is never in session",
          "[market_day]") {
  const MarketDay muhurat = day_at(Date{2026, 11, 8}, 18, 30);
  CHECK(muhurat.trading);
  CHECK_FALSE(muhurat.session.has_value());
  CHECK_FALSE(muhurat.in_session());
}

TEST_CASE("a day in a year the calendar does not cover is an error, not a guess", "[market_day]") {
  sm::Result<MarketDay> day =
      market_day_at(sm::testing::bundled_calendar(), sm::from_ist(Date{2099, 6, 1}, 10, 0));
  REQUIRE_FALSE(day.ok());
  CHECK(day.status().code() == sm::ErrorCode::kUnavailable);
}

TEST_CASE("the market day's JSON names the date, the answer and the calendar", "[market_day]") {
  const nlohmann::json json = nlohmann::json::parse(
      sm::time::format_market_day_json(day_at(Date{2026, 12, 7}, 10, 0), "/x/cal.csv"));
  CHECK(json == nlohmann::json{{"date", "2026-12-07"},
                               {"trading_day", true},
                               {"session", "continuous"},
                               {"in_session", true},
                               {"calendar", "/x/cal.csv"}});
  const nlohmann::json unknown = nlohmann::json::parse(
      sm::time::format_market_day_json(day_at(Date{2026, 11, 8}, 18, 30), "c"));
  CHECK(unknown["session"].is_null());
}
