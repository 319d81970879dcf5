// Replay: stored ticks or bars for a time range written as NDJSON, as fast as possible or paced to
// the gaps between their timestamps (real time or N times faster). This is how research, backtests
// and paper trading are fed from the database.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/ndjson.h"
#include "core/status.h"
#include "store/database.h"
#include "time/clock.h"

namespace sm::ingest {

struct ReplayOptions {
  std::vector<std::string> symbols;  // empty: every symbol
  bool ticks = false;                // false: bars of timeframe
  Timeframe timeframe{Timeframe::kDailyMinutes};
  TimestampMs from = std::numeric_limits<TimestampMs>::min();  // half-open [from, to) on ts
  TimestampMs to = std::numeric_limits<TimestampMs>::max();
  // 0: as fast as possible. Otherwise the wall-clock gap between two records is their ts gap
  // divided by speed (1 = real time, 60 = a minute of data per second).
  double speed = 0;
};

// Parses --speed: "max" (0), "realtime" (1) or a positive number such as "10" or "0.5".
Result<double> parse_speed(std::string_view text);

// Waits up to ms milliseconds. The real one (sleep_interruptibly) returns early on SIGTERM; tests
// pass one that advances a ManualClock.
using SleepFunction = std::function<void(std::int64_t ms)>;
void sleep_interruptibly(std::int64_t ms);

struct ReplayCounts {
  std::int64_t written = 0;
  bool stopped = false;  // a stop was requested (SIGTERM/SIGINT): the output ends cleanly early
  bool output_closed = false;  // the reader of stdout went away
};

// Writes the matching records to out in (ts, symbol) order, pacing with clock and sleep. Checks
// stop_requested() before each record and while waiting. Fails with kDatabaseError when reading
// fails; a closed output is not an error (the replay just ends).
Result<ReplayCounts> replay(store::Database& db, const ReplayOptions& options, NdjsonWriter& out,
                            const time::Clock& clock, const SleepFunction& sleep);

}  // namespace sm::ingest
