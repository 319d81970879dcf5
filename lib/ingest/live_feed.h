// The live end of sm-ingest: where a live source (quote polling, the Kite Ticker websocket) hands
// its ticks. It stores every tick, builds 1-minute and longer bars as the ticks arrive, closes a
// bar at its end time plus a small grace even when no later tick comes (or the grace after its
// last tick, when its ticks still arrive after its end: exchange times trailing our clock, a
// replay), writes ticks and closed bars as NDJSON, and keeps the feed's health for the
// `sm-ingest` heartbeat (docs/INGEST.md "Live feed"). A tick of a bar already closed is stored but
// builds nothing: a minute never gets a second, one-tick bar.
//
// Bars follow the candle convention of ingest/candles.h (buckets from 09:15 IST, labelled by their
// start). Only ticks inside the continuous session (NSE calendar) make bars; ticks outside it are
// stored and emitted but build nothing. A minute without trades produces no bar: nothing is
// forward-filled, exactly like `sm-ingest resample`, so a reader sees a gap, never an invented
// price. A longer bar is built from the same ticks and closes at its own end.
//
// A bar is marked partial when trades inside it may be missing: it began before the feed started or
// reconnected, the source was disconnected during it, or the feed stopped before the bar ended. A
// later complete bar of the same key replaces a stored partial one (store/market_data.h).
//
// Single-threaded: the source calls everything from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/ndjson.h"
#include "core/status.h"
#include "ingest/sink.h"
#include "store/database.h"
#include "time/calendar.h"
#include "time/clock.h"

namespace sm::ingest {

struct LiveFeedOptions {
  // Bars built besides 1-minute ones (e.g. 5m, 1h); 1m is always built.
  std::vector<Timeframe> timeframes;
  // A bar is closed this long after its end (or after its last tick, when that came later by our
  // clock) when no later tick closed it first: ticks carry the exchange's time, which may trail
  // our clock.
  std::int64_t close_grace_ms = 2'000;
  // A watched symbol without a tick for this long during the continuous session is stale (the
  // heartbeat says degraded and names it). 0 turns the check off.
  std::int64_t stale_after_ms = 120'000;
  // How often heartbeat_due() asks for a beat.
  std::int64_t heartbeat_interval_ms = 5'000;
  std::string component = "sm-ingest";
  std::string source;  // "poll" or "websocket": shown in the heartbeat's detail
  // Rows per database transaction and the oldest a buffered row may get before it is committed.
  // Ticks are written out (NDJSON) as they arrive, so only the database waits for a batch; at a
  // full market's ~10k ticks/s the age closes it. Each commit writes the newest page of every
  // instrument's key range whether it got one tick or five, so a second's batch costs about half
  // the CPU per tick of a quarter second's (bench/README.md, bench_ticker --rate).
  std::size_t batch_size = 10'000;
  std::int64_t max_batch_age_ms = 1'000;
};

struct LiveFeedCounts {
  std::int64_t ticks = 0;
  std::int64_t ticks_outside_session = 0;
  // Of a minute already closed, or older than the one being built: stored, no bar.
  std::int64_t ticks_out_of_order = 0;
  std::int64_t bars = 0;  // bars closed (every timeframe)
};

class LiveFeed {
 public:
  // db may be null (nothing stored), emit may be null (nothing written). REQUIRES: db, emit,
  // clock and calendar outlive the feed.
  LiveFeed(store::Database* db, NdjsonWriter* emit, const time::Clock& clock,
           const time::Calendar& calendar, LiveFeedOptions options,
           std::function<void(const Status&)> on_warning);

  // The symbols the source subscribed to; only these can be stale. Ticks of other symbols are
  // accepted too.
  void watch(const std::vector<std::string>& symbols);

  // One tick from the source. Stores and emits it; inside the continuous session also updates the
  // symbol's forming bars, closing those it has moved past. Fails only with the store's error.
  Status on_tick(const Tick& tick);

  // The source's connection state. While disconnected the heartbeat is degraded with
  // "connected": false and the time since when; bars forming meanwhile are marked partial.
  void set_connected(bool connected);

  // Closes every bar whose end plus the grace has passed (by the clock), and commits buffered rows
  // that are old enough. The source calls this at least once a second.
  Status poll();

  // Closes the forming bars (marked partial when they have not ended) and commits everything.
  Status finish();

  // The heartbeat now: "ok", or "degraded" when disconnected or a watched symbol is stale; detail
  // is JSON: {"source", "connected", "disconnected_since" (UTC text or null), "stale":
  // [{"symbol", "last_tick" (UTC text or null), "age_ms"}], "ticks", "bars"}.
  Heartbeat heartbeat(bool stopping = false) const;
  // True when heartbeat_interval_ms has passed since the last beat() (or none was given yet).
  bool heartbeat_due() const;
  // Stores the heartbeat (when there is a database) and emits it; then it is no longer due.
  Status beat(bool stopping = false);

  const LiveFeedCounts& counts() const { return counts_; }

 private:
  struct FormingBar {
    Bar bar;
    TimestampMs end = 0;
    TimestampMs updated_at = 0;  // clock time of its last tick
    bool open = false;
    bool missed_trades = false;  // becomes the bar's partial flag
    // The bucket of the bar closed last: ticks of it or older ones build no bar.
    std::optional<TimestampMs> last_closed;
  };
  struct SymbolState {
    std::vector<FormingBar> bars;  // one per timeframe, in timeframes_ order
    TimestampMs last_tick_at = 0;  // clock time of the last tick (0: none yet)
    Quantity last_volume = 0;      // the day's cumulative volume at the last tick (0: unknown)
    Date volume_day{};
  };
  bool in_continuous_session(TimestampMs ts);
  std::optional<TimestampMs> bucket_end(TimestampMs bucket, Timeframe timeframe);
  Status close_bar(FormingBar& forming, bool partial);
  Quantity traded_since_last(SymbolState& state, const Tick& tick);

  const time::Clock& clock_;
  const time::Calendar& calendar_;
  LiveFeedOptions options_;
  std::function<void(const Status&)> on_warning_;
  NdjsonWriter* emit_;
  store::Database* db_;
  MarketDataSink sink_;
  std::vector<Timeframe> timeframes_;  // 1m first, then the longer ones
  std::map<std::string, SymbolState> symbols_;
  bool connected_ = true;
  TimestampMs disconnected_since_ = 0;
  TimestampMs receiving_since_ = 0;  // clock time of the start or the last reconnect
  std::optional<TimestampMs> last_beat_;
  bool calendar_warned_ = false;
  LiveFeedCounts counts_;
};

}  // namespace sm::ingest
