// The instruments dump into the instruments table: symbol -> instrument token, tick size and lot
// size, which the historical download and the websocket subscribe by (docs/INGEST.md
// "Instruments"). Kite regenerates the dump once a day (reference §1.6), so a refresh is skipped
// while the stored copy is younger than max_age_ms; sm-status shows its age.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/types.h"
#include "core/status.h"
#include "store/database.h"
#include "time/clock.h"

namespace sm::feed {

struct InstrumentsRefreshOptions {
  std::string exchange = "NSE";  // rows of other exchanges are left out (symbols are the key)
  // Skip the refresh when the newest stored instrument is younger than this; 0 always refreshes.
  std::int64_t max_age_ms = 0;
};

struct InstrumentsRefreshCounts {
  bool skipped = false;     // the stored dump was fresh enough
  std::int64_t age_ms = 0;  // age of the stored dump before the refresh (0 when none)
  std::int64_t stored = 0;  // rows upserted
  std::int64_t other_exchange = 0;
};

// The age of the stored dump (now - newest updated_ms), or nullopt when none is stored.
Result<std::optional<std::int64_t>> stored_instruments_age(store::Database& db, TimestampMs now);

// Whether a refresh is due (nothing stored, or older than options.max_age_ms).
Result<bool> instruments_refresh_due(store::Database& db, const InstrumentsRefreshOptions& options,
                                     const time::Clock& clock);

// Upserts the rows of options.exchange in one transaction (all or nothing). A tick finer than a
// paisa is stored as 1 paisa and a lot size of 0 as 1 (the table requires both positive).
// kDatabaseError when SQLite fails.
Result<InstrumentsRefreshCounts> store_instruments(store::Database& db,
                                                   const std::vector<broker::Instrument>& dump,
                                                   const InstrumentsRefreshOptions& options);

}  // namespace sm::feed
