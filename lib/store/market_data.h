// Market data in the store: ticks and bars, written idempotently in bulk and read back in time
// order. Tables and keys: docs/SCHEMA.md.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

struct WriteCounts {
  std::int64_t inserted = 0;    // new rows
  std::int64_t duplicates = 0;  // rows already stored (nothing changed)
  std::int64_t replaced = 0;    // bars only: a stored partial bar replaced by a newer version
};

// Stores bars in one transaction (a SAVEPOINT when the caller already has one open), switching the
// connection to options().market_data_synchronous for that transaction only.
// Idempotent on (symbol, timeframe, ts): a bar whose key is already stored counts as a duplicate
// and leaves the stored bar alone, except that a stored bar marked partial (still forming) is
// replaced by a different bar with the same key (counted as replaced). Re-ingesting the same data
// therefore adds nothing. Fails with kInvalidArgument, storing nothing, when any bar has an empty
// symbol, a timeframe <= 0, a price <= 0, low > high or a negative volume (the message names the
// bar's index, symbol and ts). Fails with kDatabaseError, storing nothing, when SQLite fails.
Result<WriteCounts> insert_bars(Database& db, std::span<const Bar> bars);

// Stores ticks in one transaction, like insert_bars.
// Natural key: (symbol, ts, price, qty, volume, seq), where seq counts the earlier ticks in the
// SAME call that agree on all of symbol, ts, price, qty and volume (usually 0). So:
//   - ticks that differ in any field are distinct ticks, however the stream is split into calls;
//   - re-ingesting the same data (in the same or different batches) adds nothing;
//   - two identical ticks inside one call are both kept (a source reporting two equal trades within
//     one timestamp unit and no cumulative volume); split across two calls the second one counts
//     as a duplicate. Sources with cumulative volume never hit this case.
// Ticks with equal symbol and ts are read back in the order they were first stored.
// Fails with kInvalidArgument, storing nothing, on an empty symbol, a price <= 0 or a negative qty
// or volume; with kDatabaseError when SQLite fails.
Result<WriteCounts> insert_ticks(Database& db, std::span<const Tick> ticks);

// Half-open time range [from, to) on the bar's start time (Bar::ts).
struct BarQuery {
  std::string symbol;  // empty = all symbols
  Timeframe timeframe{1};
  TimestampMs from = std::numeric_limits<TimestampMs>::min();
  TimestampMs to = std::numeric_limits<TimestampMs>::max();
};

// Calls visit for each stored bar matching query, ordered by ts then symbol. visit returns false to
// stop early (not an error). visit may run other queries on the same Database; it must not write
// bars. Fails with kDatabaseError when SQLite fails.
Status for_each_bar(Database& db, const BarQuery& query,
                    const std::function<bool(const Bar&)>& visit);

// The symbols with bars of query.timeframe overlapping [query.from, query.to), in symbol order
// (query.symbol is ignored). Fails with kDatabaseError when SQLite fails.
Result<std::vector<std::string>> bar_symbols(Database& db, const BarQuery& query);

// One symbol's bars of one timeframe in [from, to), read one row at a time in ascending ts: a
// primary-key range scan decoding only the time, price, volume and partial columns (the symbol and
// timeframe are the query's and are set once), with no callback and no allocation per row. For
// readers that keep up with SQLite's ordered scan; for_each_bar is the general form.
class BarCursor {
 public:
  // Fails with kDatabaseError when the statement cannot be prepared. REQUIRES: db outlives the
  // cursor.
  static Result<BarCursor> open(Database& db, const BarQuery& query);

  // The next bar into `bar` (its ts, prices, volume and partial; symbol and timeframe as set by
  // the previous call or the first): true, or false at the end. Fails with kDatabaseError.
  Result<bool> next(Bar& bar);
  // Every remaining bar appended to bars, each made with the cursor's symbol and timeframe (no
  // comparison per row, as next's reused bar needs): how many were appended. For filling a
  // series; reserve bars' capacity first to avoid regrowth. Fails with kDatabaseError (the bars
  // read before stay appended).
  Result<std::size_t> append_rest(std::vector<Bar>& bars);

  const std::string& symbol() const { return symbol_; }

 private:
  // The current row's ts, prices, volume and partial into bar.
  void read_row(Bar& bar);
  BarCursor(Statement statement, std::string symbol, Timeframe timeframe)
      : statement_(std::move(statement)), symbol_(std::move(symbol)), timeframe_(timeframe) {}
  Statement statement_;
  std::string symbol_;
  Timeframe timeframe_;
};

// Half-open time range [from, to) on Tick::ts.
struct TickQuery {
  std::string symbol;  // empty = all symbols
  TimestampMs from = std::numeric_limits<TimestampMs>::min();
  TimestampMs to = std::numeric_limits<TimestampMs>::max();
};

// Like for_each_bar: ordered by ts, then symbol, then the order the ticks were stored.
Status for_each_tick(Database& db, const TickQuery& query,
                     const std::function<bool(const Tick&)>& visit);

// The latest bar (greatest ts) of a symbol and timeframe, or nullopt when there is none.
Result<std::optional<Bar>> last_bar(Database& db, const std::string& symbol, Timeframe timeframe);
// The latest tick of a symbol (greatest ts; the last stored among equal ts), or nullopt.
Result<std::optional<Tick>> last_tick(Database& db, const std::string& symbol);

// One stored series: a symbol's ticks, or its bars of one timeframe.
struct SeriesInfo {
  std::string symbol;
  bool is_tick = false;  // false: bars of `timeframe`
  Timeframe timeframe{0};
  TimestampMs first_ts = 0;
  TimestampMs last_ts = 0;
  std::int64_t rows = 0;
};

// Every stored series, ordered by symbol, ticks before bars, bars by timeframe. Cheap: it reads the
// market_series summary that insert_bars/insert_ticks keep in step with the data.
Result<std::vector<SeriesInfo>> list_series(Database& db);
// Every symbol with stored ticks or bars, sorted.
Result<std::vector<std::string>> list_symbols(Database& db);

// Deletes every stored tick with Tick::ts < before and returns how many went. Works symbol by
// symbol, each symbol in its own short transaction (at options().market_data_synchronous), so a
// running sm-ingest waits at most one symbol's delete; the symbol's market_series row is brought in
// step in the same transaction (removed when no tick is left). Bars, orders, fills, positions and
// every audit table are never touched. Fails with kDatabaseError when SQLite fails; the symbols
// already pruned stay pruned (running it again finishes the job).
Result<std::int64_t> prune_ticks(Database& db, TimestampMs before);

}  // namespace sm::store
