// Hand-computed cases for each indicator's seeding and update rule, plus state handling.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <vector>

#include "strategy/indicator_columns.h"
#include "strategy/indicators.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;

namespace {

template <typename Indicator>
std::vector<std::optional<double>> feed(Indicator& indicator, const std::vector<double>& values) {
  std::vector<std::optional<double>> out;
  for (double v : values) out.push_back(indicator.update(v));
  return out;
}

}  // namespace

TEST_CASE("Sma is undefined for period - 1 values, then the plain mean", "[indicators]") {
  Sma sma(3);
  auto out = feed(sma, {1, 2, 3, 4, 5});
  CHECK_FALSE(out[0]);
  CHECK_FALSE(out[1]);
  CHECK(*out[2] == 2.0);
  CHECK(*out[3] == 3.0);
  CHECK(*out[4] == 4.0);
  Sma one(1);
  CHECK(*one.update(7.5) == 7.5);
}

TEST_CASE("Ema is seeded with the mean of the first period values", "[indicators]") {
  Ema ema(3);  // k = 0.5
  auto out = feed(ema, {1, 2, 3, 4, 5, 0});
  CHECK_FALSE(out[1]);
  CHECK(*out[2] == 2.0);
  CHECK(*out[3] == 3.0);
  CHECK(*out[4] == 4.0);
  CHECK(*out[5] == 2.0);
  CHECK(Ema::k_for(20) == Approx(2.0 / 21));
}

TEST_CASE("Rsi uses Wilder smoothing after a plain-mean seed", "[indicators]") {
  Rsi rsi(2);
  auto out = feed(rsi, {10, 11, 10, 12});
  CHECK_FALSE(out[1]);
  CHECK(*out[2] == Approx(50.0));                // gains 1, 0; losses 0, 1 -> means 0.5 / 0.5
  CHECK(*out[3] == Approx(100.0 * 1.25 / 1.5));  // gain (0.5 + 2) / 2, loss (0.5 + 0) / 2

  Rsi rising(2);
  CHECK(feed(rising, {1, 2, 3}).back() == 100.0);
  Rsi flat(3);
  CHECK(feed(flat, {5, 5, 5, 5}).back() == 0.0);  // no movement at all: 0, not a division by zero
}

TEST_CASE("Atr starts at the second bar's true range and smooths like Wilder", "[indicators]") {
  Atr atr(2);
  CHECK_FALSE(atr.update(10, 8, 9));
  CHECK_FALSE(atr.update(12, 9, 11));             // TR 3 (high - low = |high - prev close| = 3)
  CHECK(*atr.update(11, 10, 10.5) == 2.0);        // TR 1 (|low - prev close|): mean (3 + 1) / 2
  CHECK(*atr.update(15, 10, 14) == Approx(3.5));  // TR 5: (2 * 1 + 5) / 2
  CHECK(Atr::lookback(14) == 14);
}

TEST_CASE("Macd seeds its fast line at the slow line's first row, as TA-Lib does", "[indicators]") {
  Macd macd(2, 4, 2);
  std::vector<std::optional<MacdValue>> out;
  for (double v : {1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) out.push_back(macd.update(v));
  for (int i = 0; i < 4; ++i) CHECK_FALSE(out[static_cast<std::size_t>(i)]);
  REQUIRE(out[4]);
  // Row 3: slow = mean(1, 2, 4, 8) = 3.75, fast = mean(4, 8) = 6 (an EMA(2) started at row 1
  // would be 6.39), macd 2.25. Row 4: slow = 3.75 + 0.4 * 12.25 = 8.65,
  // fast = 6 + (2/3) * 10 = 12.6667, macd = 4.01667; signal = mean(2.25, 4.01667).
  const double macd4 = (6.0 + (16.0 - 6.0) * (2.0 / 3.0)) - 8.65;
  CHECK(out[4]->macd == Approx(macd4));
  CHECK(out[4]->signal == Approx((2.25 + macd4) / 2));
  CHECK(out[4]->histogram == Approx(macd4 - (2.25 + macd4) / 2));
  CHECK(Macd::lookback(12, 26, 9) == 33);

  Macd swapped(4, 2, 2);  // TA-Lib swaps fast and slow when given the wrong way round
  std::optional<MacdValue> last;
  for (double v : {1.0, 2.0, 4.0, 8.0, 16.0}) last = swapped.update(v);
  REQUIRE(last);
  CHECK(last->macd == out[4]->macd);
}

TEST_CASE("Bollinger uses the population standard deviation", "[indicators]") {
  Bollinger bands(3, 2.0, 1.0);
  CHECK_FALSE(bands.update(1));
  CHECK_FALSE(bands.update(2));
  auto b = bands.update(3);
  REQUIRE(b);
  const double sd = std::sqrt(2.0 / 3.0);  // divide by 3, not 2
  CHECK(b->middle == Approx(2.0));
  CHECK(b->upper == Approx(2.0 + 2 * sd));
  CHECK(b->lower == Approx(2.0 - 1 * sd));

  Bollinger constant(4, 2.0, 2.0);
  std::optional<BandsValue> c;
  for (int i = 0; i < 6; ++i) c = constant.update(1234.55);
  REQUIRE(c);
  CHECK(c->upper == c->middle);  // a variance lost in rounding is clamped to 0, never NaN
  CHECK(c->lower == c->middle);
}

TEST_CASE("Highest and Lowest cover the last N values including the newest", "[indicators]") {
  Highest highest(3);
  Lowest lowest(3);
  std::vector<double> values{5, 1, 4, 2, 3, 6};
  std::vector<std::optional<double>> hi, lo;
  for (double v : values) {
    hi.push_back(highest.update(v));
    lo.push_back(lowest.update(v));
  }
  CHECK_FALSE(hi[1]);
  CHECK(*hi[2] == 5);
  CHECK(*hi[3] == 4);
  CHECK(*hi[4] == 4);
  CHECK(*hi[5] == 6);
  CHECK(*lo[2] == 1);
  CHECK(*lo[3] == 1);
  CHECK(*lo[4] == 2);
  CHECK(*lo[5] == 2);
}

TEST_CASE("HighestBefore and LowestBefore exclude the newest value", "[indicators]") {
  HighestBefore highest(3);
  LowestBefore lowest(3);
  std::vector<double> values{5, 1, 4, 2, 3, 6};
  std::vector<std::optional<double>> hi, lo;
  for (double v : values) {
    hi.push_back(highest.update(v));
    lo.push_back(lowest.update(v));
  }
  for (int i = 0; i < 3; ++i) CHECK_FALSE(hi[static_cast<std::size_t>(i)]);
  CHECK(*hi[3] == 5);  // of 5, 1, 4: the 2 itself is not included
  CHECK(*hi[4] == 4);
  CHECK(*hi[5] == 4);  // 6 is the newest: not included
  CHECK(*lo[3] == 1);
  CHECK(*lo[5] == 2);
  CHECK(*highest.next_value() == 6);
}

TEST_CASE("rolling extremes agree with a brute-force scan, across save and restore",
          "[indicators]") {
  std::mt19937 random(12345);
  std::uniform_int_distribution<std::int64_t> price(9000, 11000);
  RollingExtreme<std::int64_t, Extreme::kHighest> highest(7);
  RollingExtreme<std::int64_t, Extreme::kLowest> lowest(7);
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    if (i == 1000) {  // continue from restored copies
      RollingExtreme<std::int64_t, Extreme::kHighest> h(7);
      RollingExtreme<std::int64_t, Extreme::kLowest> l(7);
      REQUIRE(h.restore(nlohmann::json::parse(highest.save().dump())).ok());
      REQUIRE(l.restore(nlohmann::json::parse(lowest.save().dump())).ok());
      highest = h;
      lowest = l;
    }
    // Few distinct values, so ties are frequent.
    std::int64_t v = price(random) / 500;
    seen.push_back(v);
    auto hi = highest.update(v);
    auto lo = lowest.update(v);
    if (seen.size() < 7) {
      CHECK_FALSE(hi);
      continue;
    }
    std::int64_t max = v, min = v;
    for (std::size_t j = seen.size() - 7; j < seen.size(); ++j) {
      max = std::max(max, seen[j]);
      min = std::min(min, seen[j]);
    }
    REQUIRE(*hi == max);
    REQUIRE(*lo == min);
  }
}

TEST_CASE("Vwap restarts at each new session", "[indicators]") {
  Vwap vwap;
  CHECK(*vwap.update(10, 100, 1) == 10);
  CHECK(*vwap.update(12, 300, 1) == Approx(11.5));
  CHECK_FALSE(vwap.update(20, 0, 2));  // new session, no volume yet: undefined
  CHECK(*vwap.update(22, 10, 2) == 22);
  CHECK(Vwap::typical_price(12, 9, 10.5) == Approx(10.5));
  // Sessions are IST dates: 23:59 IST and 00:01 IST the next day are different sessions, while
  // 05:29 and 18:31 UTC of one UTC day can be different IST dates.
  CHECK(ist_session_id(from_ist(Date{2024, 3, 1}, 23, 59)) + 1 ==
        ist_session_id(from_ist(Date{2024, 3, 2}, 0, 1)));
}

TEST_CASE("an indicator refuses state saved with other parameters or malformed", "[indicators]") {
  Sma three(3);
  feed(three, {1, 2, 3, 4});
  Sma four(4);
  feed(four, {10, 20});
  Status status = four.restore(three.save());
  CHECK(status.code() == ErrorCode::kParseError);
  CHECK_THAT(status.message(), Catch::Contains("period"));
  // Unchanged by the failed restore: still 10, 20 then 30 (3 values of 4), then the mean.
  CHECK_FALSE(four.update(30));
  CHECK(*four.update(40) == Approx(25.0));

  Ema ema(3);
  CHECK_FALSE(ema.restore(nlohmann::json{{"period", 3}}).ok());
  CHECK_FALSE(
      ema.restore(nlohmann::json::parse(R"({"period":3,"count":5,"seed_sum":6.0,"value":null})"))
          .ok());
  Sma sma(2);
  CHECK_FALSE(
      sma.restore(nlohmann::json::parse(R"({"period":2,"window":[1,2,3],"sum":3,"value":null})"))
          .ok());
  RollingExtreme<double, Extreme::kHighest> highest(3);
  CHECK_FALSE(highest
                  .restore(nlohmann::json::parse(
                      R"({"period":3,"count":4,"candidates":[[3,1.0],[2,5.0]]})"))
                  .ok());
}

TEST_CASE("indicator columns are named like the reference files", "[indicators][columns]") {
  std::vector<std::string> specs{
      "sma:5",           "rsi", "macd", "bbands:10,2.5,1.5", "bbands", "highest:3",
      "lowest_before:2", "vwap"};
  auto columns = sm::strategy::IndicatorColumns::make(specs);
  REQUIRE(columns.ok());
  CHECK(columns->names() ==
        std::vector<std::string>{"sma_5", "rsi_14", "macd_12_26_9", "macd_signal_12_26_9",
                                 "macd_hist_12_26_9", "bb_upper_10_2.5_1.5", "bb_middle_10_2.5_1.5",
                                 "bb_lower_10_2.5_1.5", "bb_upper_20_2", "bb_middle_20_2",
                                 "bb_lower_20_2", "highest_3", "lowest_before_2", "vwap"});
  std::vector<std::optional<double>> row;
  columns->update(testing::make_bar(0, 100, 100, 100, 100), row);
  REQUIRE(row.size() == columns->names().size());
  CHECK_FALSE(row[0]);         // sma_5 needs 5 bars
  CHECK(row.back() == 100.0);  // vwap of one bar: its typical price
}

TEST_CASE("a bad indicator spec is an error naming it", "[indicators][columns]") {
  auto error_of = [](const char* spec) {
    std::vector<std::string> specs(1, spec);
    auto made = sm::strategy::IndicatorColumns::make(specs);
    REQUIRE_FALSE(made.ok());
    CHECK(made.status().code() == ErrorCode::kInvalidArgument);
    return made.status().message();
  };
  CHECK_THAT(error_of("smaa:20"), Catch::Contains("'smaa:20'") && Catch::Contains("unknown"));
  CHECK_THAT(error_of("sma"), Catch::Contains("needs a period"));
  CHECK_THAT(error_of("sma:0"), Catch::Contains("[1, 100000]"));
  CHECK_THAT(error_of("sma:2.5"), Catch::Contains("integer"));
  CHECK_THAT(error_of("sma:x"), Catch::Contains("'x' is not a number"));
  CHECK_THAT(error_of("sma:20,3"), Catch::Contains("at most 1"));
  CHECK_THAT(error_of("rsi:1"), Catch::Contains("[2, 100000]"));
  CHECK_THAT(error_of("bbands:20,-2"), Catch::Contains("deviations"));
  CHECK_THAT(error_of("vwap:3"), Catch::Contains("at most 0"));
}
