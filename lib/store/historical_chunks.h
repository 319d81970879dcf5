// The spans of a historical download already fetched completely (table historical_chunks,
// docs/SCHEMA.md), so `sm-ingest historical` resumes after an interruption and a repeated download
// sends no request for what it has.
#pragma once

#include <cstdint>
#include <string>

#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

struct HistoricalChunk {
  std::string symbol;
  Timeframe timeframe;
  TimestampMs from = 0;  // the request's from and to, both inclusive as the broker reads them
  TimestampMs to = 0;
  std::int64_t candles = 0;  // how many the broker returned
};

// Whether exactly this span was recorded as complete. kDatabaseError when SQLite fails.
Result<bool> historical_chunk_done(Database& db, const HistoricalChunk& chunk);
// Records the span as complete (again: the later record wins). kDatabaseError on failure.
Status record_historical_chunk(Database& db, const HistoricalChunk& chunk);

}  // namespace sm::store
