#include <catch2/catch.hpp>

#include <vector>

#include "feed/quote_poller.h"
#include "feed_rig.h"
#include "ingest/live_feed.h"
#include "store/market_data.h"
#include "support/stored_market_data.h"
#include "support/temp_database.h"
#include "time/calendar.h"

using namespace sm;
using namespace sm::feed;

using sm::testing::bundled_calendar;
using sm::testing::stored_ticks;

namespace {

struct PollRig {
  explicit PollRig(PollMode mode) {
    options.instruments = {"NSE:INFY", "NSE:TCS"};
    options.mode = mode;
    feed = std::make_unique<ingest::LiveFeed>(&temp.db, nullptr, paper.engine_clock,
                                              bundled_calendar(), ingest::LiveFeedOptions{},
                                              [](const Status&) {});
    poller = std::make_unique<QuotePoller>(*paper.kite, *feed, paper.engine_clock, options);
  }
  testing::FeedRig paper;
  testing::TempDatabase temp;
  PollOptions options;
  std::unique_ptr<ingest::LiveFeed> feed;
  std::unique_ptr<QuotePoller> poller;
};

}  // namespace

TEST_CASE("a quote poll stores one tick per instrument with a new trade and skips repeats") {
  PollRig rig(PollMode::kQuote);
  rig.paper.price("INFY", "1500", R"(,"volume":100)");
  Result<PollRound> first = rig.poller->poll_once();
  REQUIRE(first.ok());
  CHECK(first->ticks == 1);
  CHECK(first->missing == 1);  // TCS has no price: Kite leaves it out
  Result<PollRound> again = rig.poller->poll_once();
  REQUIRE(again.ok());
  CHECK(again->ticks == 0);  // the same trade again
  rig.paper.engine_clock.advance(2'000);
  rig.paper.price("INFY", "1501.5", R"(,"volume":140)");
  rig.paper.price("TCS", "3500", R"(,"volume":10)");
  Result<PollRound> third = rig.poller->poll_once();
  REQUIRE(third.ok());
  CHECK(third->ticks == 2);
  REQUIRE(rig.feed->finish().ok());
  std::vector<Tick> ticks = stored_ticks(rig.temp.db);
  REQUIRE(ticks.size() == 3);
  CHECK(ticks[0].symbol == "INFY");
  CHECK(ticks[0].price == 150'000);
  CHECK(ticks[0].ts == testing::paper_start());
  CHECK(ticks[1].price == 150'150);
}

TEST_CASE("an ltp poll stamps every answer with the poll time") {
  PollRig rig(PollMode::kLtp);
  rig.paper.price("INFY", "1500");
  REQUIRE(rig.poller->poll_once().ok());
  rig.paper.engine_clock.advance(5'000);
  REQUIRE(rig.poller->poll_once().ok());
  REQUIRE(rig.feed->finish().ok());
  std::vector<Tick> ticks = stored_ticks(rig.temp.db);
  REQUIRE(ticks.size() == 2);
  CHECK(ticks[1].ts - ticks[0].ts == 5'000);
  CHECK(ticks[0].qty == 0);
}

TEST_CASE("an expired token fails the round with kAuthError and marks the feed disconnected") {
  PollRig rig(PollMode::kQuote);
  rig.paper.price("INFY", "1500");
  REQUIRE(rig.paper.kite->quote({"NSE:INFY"}).ok());
  rig.paper.kite->set_access_token("wrongtoken", 0);
  Result<PollRound> round = rig.poller->poll_once();
  REQUIRE_FALSE(round.ok());
  CHECK(round.status().code() == ErrorCode::kAuthError);
  CHECK(rig.feed->heartbeat().status == "degraded");
}

TEST_CASE("the poll interval must leave room for the quote rate limit") {
  PollOptions options;
  broker::RateLimits limits;  // 1 quote request a second
  options.instruments.assign(501, "NSE:X");
  options.mode = PollMode::kQuote;
  CHECK(requests_per_round(options) == 2);
  options.interval_ms = 1'999;
  CHECK(check_poll_rate(options, limits).code() == ErrorCode::kInvalidArgument);
  options.interval_ms = 2'000;
  CHECK(check_poll_rate(options, limits).ok());
  options.mode = PollMode::kLtp;  // 1000 a request
  CHECK(requests_per_round(options) == 1);
  options.instruments.clear();
  CHECK_FALSE(check_poll_rate(options, limits).ok());
}

TEST_CASE("symbol_of drops the exchange") {
  CHECK(symbol_of("NSE:INFY") == "INFY");
  CHECK(symbol_of("TCS") == "TCS");
}
