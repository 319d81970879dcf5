#include <catch2/catch.hpp>

#include <vector>

#include "feed/historical.h"
#include "feed_rig.h"
#include "paper/historical_candles.h"
#include "store/market_data.h"
#include "support/stored_market_data.h"
#include "support/temp_database.h"

using namespace sm;
using namespace sm::feed;

using sm::testing::stored_bars;

namespace {

HistoricalRequest request(const std::string& interval, Date first, Date last) {
  Result<HistoricalInterval> parsed = parse_historical_interval(interval);
  REQUIRE(parsed.ok());
  return HistoricalRequest{"INFY", 408065, *parsed, first, last};
}

// Answers from paper's synthetic candles and counts the requests.
struct CountingFetch {
  TimestampMs now = from_ist(Date{2025, 12, 31}, 18, 0);
  int calls = 0;
  int fail_after = -1;  // the call with this index fails (a dropped connection)
  FetchCandles function() {
    return [this](std::int64_t token, std::string_view interval, TimestampMs from,
                  TimestampMs to) -> broker::BrokerResult<std::vector<broker::Candle>> {
      if (calls++ == fail_after) {
        broker::BrokerError e;
        e.code = ErrorCode::kNetworkError;
        e.message = "connection reset";
        return e;
      }
      Result<std::vector<broker::Candle>> c =
          paper::synthetic_candles(token, interval, from, to, now);
      REQUIRE(c.ok());
      return *c;
    };
  }
};

}  // namespace

TEST_CASE("request spans follow the per-interval day limits") {
  std::vector<RequestSpan> spans = plan_request_spans(Date{2025, 1, 1}, Date{2025, 3, 31}, 60);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].from == from_ist(Date{2025, 1, 1}, 0, 0));
  CHECK(spans[0].to == from_ist(Date{2025, 3, 1}, 23, 59, 59));
  CHECK(spans[1].from == from_ist(Date{2025, 3, 2}, 0, 0));
  CHECK(spans[1].to == from_ist(Date{2025, 3, 31}, 23, 59, 59));
  CHECK(plan_request_spans(Date{2025, 1, 1}, Date{2025, 1, 1}, 2000).size() == 1);
  CHECK(parse_historical_interval("5m")->kite_name == "5minute");
  CHECK(parse_historical_interval("day")->max_days_per_request == 2000);
  CHECK_FALSE(parse_historical_interval("2minute").ok());
}

TEST_CASE("a download run twice stores every candle once and sends no request the second time") {
  testing::TempDatabase temp;
  CountingFetch fetch;
  const time::ManualClock clock(fetch.now);
  HistoricalRequest r = request("minute", Date{2025, 3, 3}, Date{2025, 5, 9});  // 68 days: 2 spans
  Result<HistoricalCounts> first =
      download_historical(temp.db, r, fetch.function(), clock, nullptr, nullptr);
  REQUIRE(first.ok());
  CHECK(first->requests == 2);
  CHECK(first->inserted == first->candles);
  CHECK(first->inserted == 50 * 375);  // 50 weekdays of 375 minutes
  const size_t stored = stored_bars(temp.db, Timeframe{1}).size();

  Result<HistoricalCounts> second =
      download_historical(temp.db, r, fetch.function(), clock, nullptr, nullptr);
  REQUIRE(second.ok());
  CHECK(second->requests == 0);
  CHECK(second->spans_skipped == 2);
  CHECK(stored_bars(temp.db, Timeframe{1}).size() == stored);
  CHECK(fetch.calls == 2);
}

TEST_CASE("an interrupted download resumes with the spans it had not finished") {
  testing::TempDatabase temp;
  CountingFetch fetch;
  fetch.fail_after = 1;  // the second of three requests fails
  const time::ManualClock clock(fetch.now);
  HistoricalRequest r = request("day", Date{2015, 1, 1}, Date{2025, 12, 31});  // 2000-day spans
  std::vector<std::size_t> progress;
  Result<HistoricalCounts> broken = download_historical(
      temp.db, r, fetch.function(), clock,
      [&](std::size_t done, std::size_t) { progress.push_back(done); }, nullptr);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().code() == ErrorCode::kNetworkError);
  CHECK(progress == std::vector<std::size_t>{1});

  fetch.fail_after = -1;
  fetch.calls = 0;
  Result<HistoricalCounts> resumed =
      download_historical(temp.db, r, fetch.function(), clock, nullptr, nullptr);
  REQUIRE(resumed.ok());
  CHECK(resumed->spans_skipped == 1);
  CHECK(resumed->requests == 2);
  CHECK(resumed->duplicates == 0);
  std::vector<Bar> bars = stored_bars(temp.db, Timeframe{Timeframe::kDailyMinutes});
  REQUIRE_FALSE(bars.empty());
  CHECK(bars.front().ts == from_ist(Date{2015, 1, 1}, 9, 15));  // daily bars labelled 09:15 IST
}

TEST_CASE("a span reaching past now is fetched again and its forming bar is partial") {
  testing::TempDatabase temp;
  CountingFetch fetch;
  fetch.now = from_ist(Date{2025, 3, 5}, 11, 0, 30);
  const time::ManualClock clock(fetch.now);
  HistoricalRequest r = request("minute", Date{2025, 3, 5}, Date{2025, 3, 5});
  REQUIRE(download_historical(temp.db, r, fetch.function(), clock, nullptr, nullptr).ok());
  std::vector<Bar> bars = stored_bars(temp.db, Timeframe{1});
  REQUIRE(bars.size() == 106);  // 09:15 .. 11:00
  CHECK(bars.back().partial);
  CHECK_FALSE(bars.front().partial);
  Result<HistoricalCounts> again =
      download_historical(temp.db, r, fetch.function(), clock, nullptr, nullptr);
  REQUIRE(again.ok());
  CHECK(again->requests == 1);
}

TEST_CASE("KiteBroker::historical reads sm-paper's candles in Kite's shape") {
  testing::FeedRig rig;
  const TimestampMs from = from_ist(Date{2024, 3, 27}, 9, 15);
  const TimestampMs to = from_ist(Date{2024, 3, 27}, 9, 19);
  broker::BrokerResult<std::vector<broker::Candle>> candles =
      rig.kite->historical(408065, "minute", from, to);
  REQUIRE(candles.ok());
  REQUIRE(candles->size() == 5);
  CHECK((*candles)[0].ts == from);
  Result<std::vector<broker::Candle>> expected =
      paper::synthetic_candles(408065, "minute", from, to, testing::paper_start());
  REQUIRE(expected.ok());
  CHECK((*candles)[4].close == (*expected)[4].close);
  CHECK((*candles)[4].volume == (*expected)[4].volume);

  broker::BrokerResult<std::vector<broker::Candle>> too_long =
      rig.kite->historical(408065, "minute", from, from + 61 * kMsPerDay);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().error_type == "InputException");
}
