#include "store/historical_chunks.h"

namespace sm::store {

Result<bool> historical_chunk_done(Database& db, const HistoricalChunk& chunk) {
  Result<Statement> stmt = db.prepare(
      "SELECT count(*) FROM historical_chunks WHERE symbol = ?1 AND timeframe_minutes = ?2 "
      "AND from_ms = ?3 AND to_ms = ?4");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(chunk.symbol, static_cast<std::int64_t>(chunk.timeframe.minutes), chunk.from,
                 chunk.to);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  return *row && stmt->column_int64(0) > 0;
}

Status record_historical_chunk(Database& db, const HistoricalChunk& chunk) {
  Result<Statement> stmt = db.prepare(
      "INSERT INTO historical_chunks (symbol, timeframe_minutes, from_ms, to_ms, candles, "
      "completed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (symbol, timeframe_minutes, "
      "from_ms, to_ms) DO UPDATE SET candles = excluded.candles, "
      "completed_ms = excluded.completed_ms");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(chunk.symbol, static_cast<std::int64_t>(chunk.timeframe.minutes), chunk.from,
                 chunk.to, chunk.candles, db.clock().now_ms());
  return stmt->run();
}

}  // namespace sm::store
