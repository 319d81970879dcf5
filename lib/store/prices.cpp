#include "store/prices.h"

#include "core/json_writer.h"
#include "time/bar_time.h"

namespace sm::store {

namespace {

// The store keeps a bar's timeframe as its length in minutes.
Timeframe stored_timeframe(std::int64_t minutes) { return Timeframe{static_cast<int>(minutes)}; }

}  // namespace

Result<std::map<std::string, PricePoint>> latest_prices(Database& db,
                                                        const std::vector<std::string>& symbols,
                                                        TimestampMs now) {
  std::map<std::string, PricePoint> prices;
  if (symbols.empty()) return prices;
  // One statement for all symbols: each series' newest row is a primary-key (bars) or index
  // (ticks) probe, and doing them in one pass saves a statement round trip per symbol.
  std::string list = "[";
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i > 0) list += ',';
    append_json_string(list, symbols[i]);
  }
  list += ']';
  Result<Statement> stmt = db.prepare(
      "SELECT s.symbol, s.kind, s.timeframe_minutes, s.last_ts_ms, "
      "COALESCE(b.close_paise, (SELECT t.price_paise FROM ticks t WHERE t.symbol = s.symbol "
      "AND t.ts_ms = s.last_ts_ms ORDER BY t.arrival DESC LIMIT 1)), "
      "COALESCE(b.partial, 0) "
      "FROM market_series s LEFT JOIN bars b ON s.kind = 'bar' AND b.symbol = s.symbol "
      "AND b.timeframe_minutes = s.timeframe_minutes AND b.ts_ms = s.last_ts_ms "
      "WHERE s.symbol IN (SELECT value FROM json_each(?1))");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, list);
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (stmt->column_is_null(4)) continue;
    const bool tick = stmt->column_text_view(1) == "tick";
    const TimestampMs last = stmt->column_int64(3);
    const PricePoint point{stmt->column_int64(4),
                           tick ? last
                                : time::bar_known_at(last, stored_timeframe(stmt->column_int64(2)),
                                                     stmt->column_int64(5) != 0, now),
                           tick ? 0 : stmt->column_int64(2) * kMsPerMinute};
    auto [it, inserted] = prices.try_emplace(stmt->column_text(0), point);
    if (!inserted && point.ts > it->second.ts) it->second = point;
  }
  for (auto it = prices.begin(); it != prices.end();) {
    if (it->second.ts <= now) {
      ++it;
      continue;
    }
    // Stored data known only after now (a replay of a stored day): not a price yet at now.
    Result<std::optional<PricePoint>> earlier = price_before(db, it->first, now + 1);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      it->second = **earlier;
      ++it;
    } else {
      it = prices.erase(it);
    }
  }
  return prices;
}

Result<std::optional<PricePoint>> latest_price(Database& db, const std::string& symbol,
                                               TimestampMs now) {
  // The per-signal path: direct primary-key and index probes, cheaper than the batch statement
  // for a single symbol.
  Result<Statement> series =
      db.prepare("SELECT kind, timeframe_minutes, last_ts_ms FROM market_series WHERE symbol = ?1");
  if (!series.ok()) return series.status();
  series->bind(1, symbol);
  struct Candidate {
    bool tick = false;
    std::int64_t timeframe = 0;
    TimestampMs ts = 0;
    TimestampMs known_at = 0;
  };
  std::optional<Candidate> best;
  while (true) {
    Result<bool> row = series->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Candidate c;
    c.tick = series->column_text_view(0) == "tick";
    c.timeframe = series->column_int64(1);
    c.ts = series->column_int64(2);
    c.known_at = c.tick ? c.ts : time::bar_known_at(c.ts, stored_timeframe(c.timeframe));
    if (!best || c.known_at > best->known_at) best = c;
  }
  if (!best) return std::optional<PricePoint>();
  if (best->tick) {
    // The last stored tick of that time: MAX(arrival) picks the row without sorting.
    Result<Statement> tick =
        db.prepare("SELECT price_paise, MAX(arrival) FROM ticks WHERE symbol = ?1 AND ts_ms = ?2");
    if (!tick.ok()) return tick.status();
    tick->bind_all(symbol, best->ts);
    Result<bool> row = tick->step();
    if (!row.ok()) return row.status();
    if (!*row || tick->column_is_null(1)) return std::optional<PricePoint>();
    if (best->ts > now) return price_before(db, symbol, now + 1);
    return std::optional<PricePoint>(PricePoint{tick->column_int64(0), best->ts});
  }
  Result<Statement> bar = db.prepare(
      "SELECT close_paise, partial FROM bars WHERE symbol = ?1 AND timeframe_minutes = ?2 "
      "AND ts_ms = ?3");
  if (!bar.ok()) return bar.status();
  bar->bind_all(symbol, best->timeframe, best->ts);
  Result<bool> row = bar->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PricePoint>();
  const PricePoint point{bar->column_int64(0),
                         time::bar_known_at(best->ts, stored_timeframe(best->timeframe),
                                            bar->column_int64(1) != 0, now),
                         best->timeframe * kMsPerMinute};
  if (point.ts > now) return price_before(db, symbol, now + 1);
  return std::optional<PricePoint>(point);
}

Result<std::optional<PricePoint>> price_before(Database& db, const std::string& symbol,
                                               TimestampMs ts) {
  std::optional<PricePoint> best;
  Result<Statement> tick = db.prepare(
      "SELECT price_paise, ts_ms FROM ticks WHERE symbol = ?1 AND ts_ms < ?2 "
      "ORDER BY ts_ms DESC, arrival DESC LIMIT 1");
  if (!tick.ok()) return tick.status();
  tick->bind_all(symbol, ts);
  Result<bool> row = tick->step();
  if (!row.ok()) return row.status();
  if (*row) best = PricePoint{tick->column_int64(0), tick->column_int64(1)};
  tick = Result<Statement>(Statement());

  Result<Statement> frames =
      db.prepare("SELECT timeframe_minutes FROM market_series WHERE symbol = ?1 AND kind = 'bar'");
  if (!frames.ok()) return frames.status();
  frames->bind(1, symbol);
  std::vector<std::int64_t> timeframes;
  while (true) {
    Result<bool> next = frames->step();
    if (!next.ok()) return next.status();
    if (!*next) break;
    timeframes.push_back(frames->column_int64(0));
  }
  for (std::int64_t timeframe : timeframes) {
    Result<Statement> bar = db.prepare(
        "SELECT close_paise, ts_ms FROM bars WHERE symbol = ?1 AND timeframe_minutes = ?2 "
        "AND ts_ms <= ?3 ORDER BY ts_ms DESC LIMIT 1");
    if (!bar.ok()) return bar.status();
    bar->bind_all(symbol, timeframe,
                  time::latest_bar_start_known_by(ts, stored_timeframe(timeframe)));
    Result<bool> found = bar->step();
    if (!found.ok()) return found.status();
    if (!*found) continue;
    const TimestampMs known = time::bar_known_at(bar->column_int64(1), stored_timeframe(timeframe));
    if (!best || known > best->ts) {
      best = PricePoint{bar->column_int64(0), known, timeframe * kMsPerMinute};
    }
  }
  return best;
}

}  // namespace sm::store
