// What the strategies would have done on a day: the lock-step replay of tests/cli/parity.bats as a
// library. The live database's stored bars of the instances' timeframes, from a warm-up start to
// the end of the day, go through sm-signal's own runner (lib/signal, the same strategy code) on a
// private in-memory database; the live fills are stored there as the live pipeline stored them,
// each before the first bar after the signal that ordered it (a fill of no known order: before
// the first bar after its own time), so the replayed strategies hold the positions the live ones
// held. "Before" is by the bar's end, when a live bar reaches sm-signal and the signal it causes
// is stamped. The live database is only read.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/messages.h"
#include "core/status.h"
#include "signal/runner.h"
#include "store/database.h"

namespace sm::divergence {

struct ReplayWindow {
  TimestampMs warmup_from = 0;  // first bar replayed (state is rebuilt from here)
  TimestampMs day_start = 0;    // the day compared: [day_start, day_end)
  TimestampMs day_end = 0;
};

struct ReplayResult {
  std::vector<Signal> signals;          // the replay's signals within the day
  std::map<std::string, Paise> closes;  // each symbol's last replayed close within the day
  std::int64_t bars = 0;                // bars replayed
  std::int64_t fills = 0;               // live fills stored into the replay
};

// REQUIRES: signal::validate_instances(instances).ok(). Fails when a database fails.
Result<ReplayResult> replay_day(store::Database& live,
                                const std::vector<signal::InstanceConfig>& instances, Paise capital,
                                const ReplayWindow& window, const Logger& log);

}  // namespace sm::divergence
