#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/ndjson.h"
#include "ingest/live_feed.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "support/stored_market_data.h"
#include "support/temp_database.h"
#include "time/calendar.h"
#include "time/clock.h"

using namespace sm;
using namespace sm::ingest;

using sm::testing::bundled_calendar;
using sm::testing::stored_bars;
using sm::testing::stored_ticks;

namespace {

// Monday 2025-03-03, a regular NSE trading day.
constexpr Date kDay{2025, 3, 3};
TimestampMs ist(int hour, int minute, int second = 0) {
  return from_ist(kDay, hour, minute, second);
}

Tick tick(TimestampMs ts, Paise price, Quantity qty = 1, Quantity volume = 0,
          const std::string& symbol = "INFY") {
  return Tick{ts, symbol, price, qty, volume};
}

struct Rig {
  explicit Rig(LiveFeedOptions options = {}, TimestampMs start = ist(9, 15))
      : clock(start),
        feed(&temp.db, nullptr, clock, bundled_calendar(), std::move(options),
             [this](const Status& s) { warnings.push_back(s); }) {}
  testing::TempDatabase temp;
  time::ManualClock clock;
  std::vector<Status> warnings;
  LiveFeed feed;
};

}  // namespace

TEST_CASE("a minute bar closes at its end plus the grace although no later tick arrives") {
  Rig rig;
  rig.clock.set(ist(9, 20, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 20, 5), 150'000, 10)).ok());
  rig.clock.set(ist(9, 20, 40));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 20, 40), 150'500, 5)).ok());
  REQUIRE(rig.feed.on_tick(tick(ist(9, 20, 41), 149'900, 2)).ok());

  rig.clock.set(ist(9, 21, 1));  // the minute ended 1 s ago, grace is 2 s
  REQUIRE(rig.feed.poll().ok());
  CHECK(stored_bars(rig.temp.db, Timeframe{1}).empty());

  rig.clock.set(ist(9, 21, 2));
  REQUIRE(rig.feed.poll().ok());
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].ts == ist(9, 20));
  CHECK(bars[0].open == 150'000);
  CHECK(bars[0].high == 150'500);
  CHECK(bars[0].low == 149'900);
  CHECK(bars[0].close == 149'900);
  CHECK(bars[0].volume == 17);
  CHECK_FALSE(bars[0].partial);
  CHECK(stored_ticks(rig.temp.db).size() == 3);
}

TEST_CASE("a late tick of a minute the clock already closed is stored but makes no second bar") {
  Rig rig;
  rig.clock.set(ist(9, 20, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 20, 5), 150'000)).ok());
  rig.clock.set(ist(9, 21, 2));
  REQUIRE(rig.feed.poll().ok());
  REQUIRE(rig.feed.counts().bars == 1);
  // Stamped 09:20:59 by the exchange, arriving 4 s after that minute ended.
  rig.clock.set(ist(9, 21, 3));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 20, 59), 151'000)).ok());
  REQUIRE(rig.feed.finish().ok());
  CHECK(rig.feed.counts().bars == 1);
  CHECK(rig.feed.counts().ticks_out_of_order == 1);
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].high == 150'000);
  CHECK(stored_ticks(rig.temp.db).size() == 2);
}

TEST_CASE("ticks trailing the clock by more than the grace still make one bar of the minute") {
  // A replay through the paper ticker in full mode: exchange times ten minutes behind the clock.
  Rig rig;
  const TimestampMs lag = 10 * kMsPerMinute;
  for (TimestampMs ts : {ist(9, 20, 5), ist(9, 20, 30), ist(9, 20, 50)}) {
    rig.clock.set(ts + lag);
    const Paise price = ts == ist(9, 20, 30) ? 150'500 : 150'000 - (ts - ist(9, 20)) / 1000;
    REQUIRE(rig.feed.on_tick(tick(ts, price)).ok());
    REQUIRE(rig.feed.poll().ok());
  }
  CHECK(rig.feed.counts().bars == 0);
  rig.clock.set(ist(9, 21, 10) + lag);
  REQUIRE(rig.feed.on_tick(tick(ist(9, 21, 10), 149'000)).ok());  // moves past: 09:20 closes
  REQUIRE(rig.feed.poll().ok());
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].ts == ist(9, 20));
  CHECK(bars[0].open == 149'995);
  CHECK(bars[0].high == 150'500);
  CHECK(bars[0].low == 149'950);
  CHECK(bars[0].close == 149'950);
  CHECK(bars[0].volume == 3);
  // The 09:21 bar closes by the clock the grace after its last tick.
  rig.clock.set(ist(9, 21, 10) + lag + 1'999);
  REQUIRE(rig.feed.poll().ok());
  CHECK(rig.feed.counts().bars == 1);
  rig.clock.set(ist(9, 21, 10) + lag + 2'000);
  REQUIRE(rig.feed.poll().ok());
  CHECK(rig.feed.counts().bars == 2);
}

TEST_CASE("a minute without trades produces no bar (nothing is forward-filled)") {
  Rig rig;
  rig.clock.set(ist(9, 30, 10));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 30, 10), 100'000)).ok());
  rig.clock.set(ist(9, 32, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 32, 5), 101'000)).ok());
  rig.clock.set(ist(9, 34));
  REQUIRE(rig.feed.poll().ok());
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 2);
  CHECK(bars[0].ts == ist(9, 30));
  CHECK(bars[1].ts == ist(9, 32));
  CHECK(bars[1].open == 101'000);
}

TEST_CASE("ticks outside the continuous session are stored but build no bars") {
  Rig rig({}, ist(9, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 5), 100'000)).ok());  // pre-open
  rig.clock.set(ist(15, 45));
  REQUIRE(rig.feed.on_tick(tick(ist(15, 45), 100'500)).ok());  // closing session
  rig.clock.set(ist(16, 30));
  REQUIRE(rig.feed.poll().ok());
  REQUIRE(rig.feed.finish().ok());
  CHECK(stored_ticks(rig.temp.db).size() == 2);
  CHECK(stored_bars(rig.temp.db, Timeframe{1}).empty());
  CHECK(rig.feed.counts().ticks_outside_session == 2);
}

TEST_CASE("longer bars close at their own end; cumulative volume becomes traded quantity") {
  LiveFeedOptions options;
  options.timeframes = {Timeframe{5}};
  Rig rig(options);
  rig.clock.set(ist(9, 15, 1));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 15, 1), 100'000, 7, 1'000)).ok());
  rig.clock.set(ist(9, 17, 30));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 17, 30), 102'000, 3, 1'250)).ok());
  rig.clock.set(ist(9, 19, 59));
  REQUIRE(rig.feed.on_tick(tick(ist(9, 19, 59), 101'000, 4, 1'300)).ok());
  rig.clock.set(ist(9, 20, 1));
  REQUIRE(rig.feed.poll().ok());
  CHECK(stored_bars(rig.temp.db, Timeframe{5}).empty());  // still inside the grace
  rig.clock.set(ist(9, 20, 2));
  REQUIRE(rig.feed.poll().ok());
  std::vector<Bar> five = stored_bars(rig.temp.db, Timeframe{5});
  REQUIRE(five.size() == 1);
  CHECK(five[0].ts == ist(9, 15));
  CHECK(five[0].open == 100'000);
  CHECK(five[0].high == 102'000);
  CHECK(five[0].close == 101'000);
  CHECK(five[0].volume == 7 + 250 + 50);  // first tick: its own qty; then the volume's growth
  CHECK(stored_bars(rig.temp.db, Timeframe{1}).size() == 3);
}

TEST_CASE("bars that may miss trades are partial: begun before the start, cut by a disconnect") {
  Rig rig({}, ist(10, 0, 30));  // started in the middle of 10:00
  REQUIRE(rig.feed.on_tick(tick(ist(10, 0, 31), 100'000)).ok());
  rig.clock.set(ist(10, 1, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(10, 1, 5), 100'100)).ok());  // closes 10:00
  rig.feed.set_connected(false);
  rig.clock.set(ist(10, 1, 50));
  rig.feed.set_connected(true);
  REQUIRE(rig.feed.on_tick(tick(ist(10, 1, 50), 100'200)).ok());
  rig.clock.set(ist(10, 2, 10));
  REQUIRE(rig.feed.on_tick(tick(ist(10, 2, 10), 100'300)).ok());  // after the reconnect
  rig.clock.set(ist(10, 3, 5));
  REQUIRE(rig.feed.poll().ok());
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 3);
  CHECK(bars[0].partial);        // 10:00, begun before the feed started
  CHECK(bars[1].partial);        // 10:01, disconnected inside it
  CHECK_FALSE(bars[2].partial);  // 10:02, whole
}

TEST_CASE("finish closes a forming bar as partial and commits it") {
  Rig rig;
  rig.clock.set(ist(11, 0, 5));
  REQUIRE(rig.feed.on_tick(tick(ist(11, 0, 5), 100'000)).ok());
  rig.clock.set(ist(11, 0, 30));
  REQUIRE(rig.feed.finish().ok());
  std::vector<Bar> bars = stored_bars(rig.temp.db, Timeframe{1});
  REQUIRE(bars.size() == 1);
  CHECK(bars[0].partial);
}

TEST_CASE(
    "the heartbeat is degraded with the stale symbols in its detail, ok outside the session") {
  LiveFeedOptions options;
  options.stale_after_ms = 60'000;
  options.source = "poll";
  Rig rig(options, ist(10, 0));
  rig.feed.watch({"INFY", "TCS"});
  rig.clock.set(ist(10, 0, 30));
  REQUIRE(rig.feed.on_tick(tick(ist(10, 0, 30), 100'000, 1, 0, "INFY")).ok());
  rig.clock.set(ist(10, 0, 59));
  CHECK(rig.feed.heartbeat().status == "ok");

  rig.clock.set(ist(10, 1, 20));  // TCS silent for 80 s, INFY for 50 s
  Heartbeat beat = rig.feed.heartbeat();
  CHECK(beat.component == "sm-ingest");
  CHECK(beat.status == "degraded");
  nlohmann::json detail = nlohmann::json::parse(beat.detail);
  CHECK(detail["source"] == "poll");
  CHECK(detail["connected"] == true);
  REQUIRE(detail["stale"].size() == 1);
  CHECK(detail["stale"][0]["symbol"] == "TCS");
  CHECK(detail["stale"][0]["age_ms"] == 80'000);

  rig.clock.set(ist(16, 30));  // market closed: silence is expected
  CHECK(rig.feed.heartbeat().status == "ok");
}

TEST_CASE("a disconnected source makes the heartbeat degraded with the time it went away") {
  Rig rig({}, ist(10, 0));
  rig.feed.set_connected(false);
  rig.clock.set(ist(10, 0, 10));
  Heartbeat beat = rig.feed.heartbeat();
  CHECK(beat.status == "degraded");
  nlohmann::json detail = nlohmann::json::parse(beat.detail);
  CHECK(detail["connected"] == false);
  CHECK(detail["disconnected_since"] == format_utc(ist(10, 0)));
  rig.feed.set_connected(true);
  CHECK(nlohmann::json::parse(rig.feed.heartbeat().detail)["disconnected_since"].is_null());
}

TEST_CASE("beat stores the heartbeat and is due again only after the interval") {
  Rig rig({}, ist(10, 0));
  CHECK(rig.feed.heartbeat_due());
  REQUIRE(rig.feed.beat().ok());
  CHECK_FALSE(rig.feed.heartbeat_due());
  Result<std::vector<Heartbeat>> stored = store::last_heartbeats(rig.temp.db);
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].component == "sm-ingest");
  rig.clock.advance(5'000);
  CHECK(rig.feed.heartbeat_due());
}

TEST_CASE("ticks and closed bars are emitted as NDJSON") {
  testing::TempDir dir;
  const std::string path = dir.file("out.ndjson");
  std::FILE* file = std::fopen(path.c_str(), "w");
  REQUIRE(file != nullptr);
  {
    NdjsonWriter writer(file);
    time::ManualClock clock(ist(9, 40, 1));
    LiveFeed feed(nullptr, &writer, clock, bundled_calendar(), {}, [](const Status&) {});
    REQUIRE(feed.on_tick(tick(ist(9, 40, 1), 100'000)).ok());
    clock.set(ist(9, 41, 3));
    REQUIRE(feed.poll().ok());
    writer.flush();
  }
  std::fclose(file);
  std::ifstream in(path);
  std::vector<std::string> types;
  for (std::string line; std::getline(in, line);) {
    types.push_back(nlohmann::json::parse(line)["type"]);
  }
  CHECK(types == std::vector<std::string>{"tick", "bar"});
}
