#include "store/market_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <unordered_map>

namespace sm::store {

namespace {

// Switches the connection to the market-data durability for one bulk transaction and back. Inside
// a caller's transaction the caller's setting stands (synchronous applies at commit).
class MarketDataDurability {
 public:
  explicit MarketDataDurability(Database& db) : db_(db), saved_(db.synchronous()) {
    if (!db.in_transaction() && db.options().market_data_synchronous != saved_) {
      switched_ = db.set_synchronous(db.options().market_data_synchronous).ok();
    }
  }
  ~MarketDataDurability() {
    if (switched_) (void)db_.set_synchronous(saved_);
  }
  MarketDataDurability(const MarketDataDurability&) = delete;
  MarketDataDurability& operator=(const MarketDataDurability&) = delete;

 private:
  Database& db_;
  Synchronous saved_;
  bool switched_ = false;
};

// Per-series bookkeeping for the market_series summary, merged in one upsert per series at the
// end of a batch rather than one per row.
struct SeriesDelta {
  TimestampMs first_ts = 0;
  TimestampMs last_ts = 0;
  std::int64_t inserted = 0;
};
using SeriesKey = std::pair<std::string, int>;  // symbol, timeframe minutes (0 = ticks)

class SeriesTracker {
 public:
  void add(const std::string& symbol, int timeframe_minutes, TimestampMs ts) {
    if (last_ == nullptr || last_symbol_ != symbol || last_timeframe_ != timeframe_minutes) {
      auto [it, inserted] =
          deltas_.try_emplace(SeriesKey(symbol, timeframe_minutes), SeriesDelta{ts, ts, 0});
      last_ = &it->second;
      last_symbol_ = symbol;
      last_timeframe_ = timeframe_minutes;
    }
    last_->first_ts = std::min(last_->first_ts, ts);
    last_->last_ts = std::max(last_->last_ts, ts);
    ++last_->inserted;
  }

  Status flush(Database& db, bool ticks) {
    if (deltas_.empty()) return Status();
    Result<Statement> upsert = db.prepare(
        "INSERT INTO market_series (symbol, kind, timeframe_minutes, first_ts_ms, last_ts_ms, "
        "row_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (symbol, kind, timeframe_minutes) DO UPDATE SET "
        "first_ts_ms = min(first_ts_ms, excluded.first_ts_ms), "
        "last_ts_ms = max(last_ts_ms, excluded.last_ts_ms), "
        "row_count = row_count + excluded.row_count");
    if (!upsert.ok()) return upsert.status();
    for (const auto& [key, delta] : deltas_) {
      upsert->reset();
      upsert->bind_all(key.first, ticks ? "tick" : "bar", key.second, delta.first_ts, delta.last_ts,
                       delta.inserted);
      SM_RETURN_IF_ERROR(upsert->run());
    }
    return Status();
  }

 private:
  std::map<SeriesKey, SeriesDelta> deltas_;
  SeriesDelta* last_ = nullptr;
  std::string last_symbol_;
  int last_timeframe_ = 0;
};

Status validate_bar(const Bar& bar, size_t index) {
  const char* problem = nullptr;
  if (bar.symbol.empty())
    problem = "empty symbol";
  else if (bar.timeframe.minutes <= 0)
    problem = "timeframe must be positive";
  else if (bar.open <= 0 || bar.high <= 0 || bar.low <= 0 || bar.close <= 0)
    problem = "price <= 0";
  else if (bar.low > bar.high)
    problem = "low > high";
  else if (bar.volume < 0)
    problem = "negative volume";
  if (problem == nullptr) return Status();
  return error(ErrorCode::kInvalidArgument,
               fmt::format("bar {} ({} {}): {}", index, bar.symbol, format_utc(bar.ts), problem));
}

Status validate_tick(const Tick& tick, size_t index) {
  const char* problem = nullptr;
  if (tick.symbol.empty())
    problem = "empty symbol";
  else if (tick.price <= 0)
    problem = "price <= 0";
  else if (tick.qty < 0)
    problem = "negative qty";
  else if (tick.volume < 0)
    problem = "negative volume";
  if (problem == nullptr) return Status();
  return error(ErrorCode::kInvalidArgument, fmt::format("tick {} ({} {}): {}", index, tick.symbol,
                                                        format_utc(tick.ts), problem));
}

}  // namespace

Result<WriteCounts> insert_bars(Database& db, std::span<const Bar> bars) {
  for (size_t i = 0; i < bars.size(); ++i) SM_RETURN_IF_ERROR(validate_bar(bars[i], i));
  WriteCounts counts;
  if (bars.empty()) return counts;
  MarketDataDurability durability(db);
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<Statement> insert = db.prepare(
      "INSERT INTO bars (symbol, timeframe_minutes, ts_ms, open_paise, high_paise, low_paise, "
      "close_paise, volume, partial) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT DO NOTHING");
  if (!insert.ok()) return insert.status();
  // Only a partial (still forming) stored bar may change, and only when the new one differs.
  Result<Statement> replace = db.prepare(
      "UPDATE bars SET open_paise = ?4, high_paise = ?5, low_paise = ?6, close_paise = ?7, "
      "volume = ?8, partial = ?9 "
      "WHERE symbol = ?1 AND timeframe_minutes = ?2 AND ts_ms = ?3 AND partial = 1 AND "
      "(open_paise <> ?4 OR high_paise <> ?5 OR low_paise <> ?6 OR close_paise <> ?7 OR "
      "volume <> ?8 OR partial <> ?9)");
  if (!replace.ok()) return replace.status();
  SeriesTracker series;
  for (const Bar& bar : bars) {
    insert->reset();
    insert->bind_all(bar.symbol, bar.timeframe.minutes, bar.ts, bar.open, bar.high, bar.low,
                     bar.close, bar.volume, bar.partial);
    SM_RETURN_IF_ERROR(insert->run());
    if (insert->changes() == 1) {
      ++counts.inserted;
      series.add(bar.symbol, bar.timeframe.minutes, bar.ts);
      continue;
    }
    replace->reset();
    replace->bind_all(bar.symbol, bar.timeframe.minutes, bar.ts, bar.open, bar.high, bar.low,
                      bar.close, bar.volume, bar.partial);
    SM_RETURN_IF_ERROR(replace->run());
    if (replace->changes() == 1) {
      ++counts.replaced;
    } else {
      ++counts.duplicates;
    }
  }
  SM_RETURN_IF_ERROR(series.flush(db, false));
  SM_RETURN_IF_ERROR(tx->commit());
  return counts;
}

namespace {
struct TickContent {
  std::string_view symbol;
  TimestampMs ts;
  Paise price;
  Quantity qty;
  Quantity volume;
  bool operator==(const TickContent&) const = default;
};
struct TickContentHash {
  size_t operator()(const TickContent& t) const {
    size_t h = std::hash<std::string_view>()(t.symbol);
    for (std::int64_t v : {t.ts, t.price, t.qty, t.volume}) {
      h ^= std::hash<std::int64_t>()(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return h;
  }
};
}  // namespace

Result<WriteCounts> insert_ticks(Database& db, std::span<const Tick> ticks) {
  for (size_t i = 0; i < ticks.size(); ++i) SM_RETURN_IF_ERROR(validate_tick(ticks[i], i));
  WriteCounts counts;
  if (ticks.empty()) return counts;
  MarketDataDurability durability(db);
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<Statement> insert = db.prepare(
      "INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume, seq) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING");
  if (!insert.ok()) return insert.status();
  // seq: how many identical ticks came earlier in this call (see the header contract).
  std::unordered_map<TickContent, std::int64_t, TickContentHash> seen;
  seen.reserve(ticks.size());
  SeriesTracker series;
  for (const Tick& tick : ticks) {
    const std::int64_t seq =
        seen[TickContent{tick.symbol, tick.ts, tick.price, tick.qty, tick.volume}]++;
    insert->reset();
    insert->bind_all(tick.symbol, tick.ts, tick.price, tick.qty, tick.volume, seq);
    SM_RETURN_IF_ERROR(insert->run());
    if (insert->changes() == 1) {
      ++counts.inserted;
      series.add(tick.symbol, 0, tick.ts);
    } else {
      ++counts.duplicates;
    }
  }
  SM_RETURN_IF_ERROR(series.flush(db, true));
  SM_RETURN_IF_ERROR(tx->commit());
  return counts;
}

namespace {
constexpr std::string_view kBarColumns =
    "symbol, timeframe_minutes, ts_ms, open_paise, high_paise, low_paise, close_paise, volume, "
    "partial";

Bar read_bar(const Statement& stmt) {
  Bar bar;
  bar.symbol = stmt.column_text(0);
  bar.timeframe.minutes = static_cast<int>(stmt.column_int64(1));
  bar.ts = stmt.column_int64(2);
  bar.open = stmt.column_int64(3);
  bar.high = stmt.column_int64(4);
  bar.low = stmt.column_int64(5);
  bar.close = stmt.column_int64(6);
  bar.volume = stmt.column_int64(7);
  bar.partial = stmt.column_int64(8) != 0;
  return bar;
}

Tick read_tick(const Statement& stmt) {
  Tick tick;
  tick.symbol = stmt.column_text(0);
  tick.ts = stmt.column_int64(1);
  tick.price = stmt.column_int64(2);
  tick.qty = stmt.column_int64(3);
  tick.volume = stmt.column_int64(4);
  return tick;
}
}  // namespace

namespace {

// Rows of several per-symbol cursors, each already in time order, merged into (ts, symbol) order.
// All-symbol reads go through this instead of a time index on the big tables: a second index
// would roughly halve insert speed, and each per-symbol cursor is a primary-key range scan.
template <typename Row>
class MergedCursors {
 public:
  using Read = Row (*)(const Statement&);
  MergedCursors(std::vector<Statement> cursors, Read read)
      : cursors_(std::move(cursors)), read_(read), current_(cursors_.size()) {}

  Status run(const std::function<bool(const Row&)>& visit) {
    for (size_t i = 0; i < cursors_.size(); ++i) SM_RETURN_IF_ERROR(advance(i));
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      const size_t index = heap_.back().cursor;
      heap_.pop_back();
      if (!visit(current_[index])) return Status();
      SM_RETURN_IF_ERROR(advance(index));
    }
    return Status();
  }

 private:
  struct Entry {
    TimestampMs ts;
    const std::string* symbol;
    size_t cursor;
  };
  static bool later(const Entry& a, const Entry& b) {
    if (a.ts != b.ts) return a.ts > b.ts;
    return *a.symbol > *b.symbol;
  }
  Status advance(size_t index) {
    Result<bool> row = cursors_[index].step();
    if (!row.ok()) return row.status();
    if (!*row) return Status();
    current_[index] = read_(cursors_[index]);
    heap_.push_back(Entry{current_[index].ts, &current_[index].symbol, index});
    std::push_heap(heap_.begin(), heap_.end(), later);
    return Status();
  }

  std::vector<Statement> cursors_;
  Read read_;
  std::vector<Row> current_;
  std::vector<Entry> heap_;
};

// Symbols whose series of this kind/timeframe overlaps [from, to), from the market_series summary.
Result<std::vector<std::string>> symbols_in_range(Database& db, std::string_view kind,
                                                  int timeframe_minutes, TimestampMs from,
                                                  TimestampMs to) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol FROM market_series WHERE kind = ?1 AND timeframe_minutes = ?2 "
      "AND last_ts_ms >= ?3 AND first_ts_ms < ?4 ORDER BY symbol");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(kind, timeframe_minutes, from, to);
  std::vector<std::string> symbols;
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) return symbols;
    symbols.push_back(stmt->column_text(0));
  }
}

template <typename Row>
Status scan(Database& db, const std::vector<std::string>& symbols, std::string_view sql,
            const std::function<void(Statement&, const std::string&)>& bind,
            Row (*read)(const Statement&), const std::function<bool(const Row&)>& visit) {
  std::vector<Statement> cursors;
  cursors.reserve(symbols.size());
  for (const std::string& symbol : symbols) {
    Result<Statement> stmt = db.prepare(sql);
    if (!stmt.ok()) return stmt.status();
    bind(*stmt, symbol);
    cursors.push_back(std::move(*stmt));
  }
  if (cursors.size() == 1) {  // the common one-symbol case needs no merge
    while (true) {
      Result<bool> row = cursors[0].step();
      if (!row.ok()) return row.status();
      if (!*row || !visit(read(cursors[0]))) return Status();
    }
  }
  return MergedCursors<Row>(std::move(cursors), read).run(visit);
}

}  // namespace

Status for_each_bar(Database& db, const BarQuery& query,
                    const std::function<bool(const Bar&)>& visit) {
  std::vector<std::string> symbols;
  if (query.symbol.empty()) {
    Result<std::vector<std::string>> found =
        symbols_in_range(db, "bar", query.timeframe.minutes, query.from, query.to);
    if (!found.ok()) return found.status();
    symbols = std::move(*found);
  } else {
    symbols.push_back(query.symbol);
  }
  const std::string sql = fmt::format(
      "SELECT {} FROM bars WHERE symbol = ?1 AND timeframe_minutes = ?2 AND "
      "ts_ms >= ?3 AND ts_ms < ?4 ORDER BY ts_ms",
      kBarColumns);
  return scan<Bar>(
      db, symbols, sql,
      [&](Statement& stmt, const std::string& symbol) {
        stmt.bind_all(symbol, query.timeframe.minutes, query.from, query.to);
      },
      read_bar, visit);
}

Status for_each_tick(Database& db, const TickQuery& query,
                     const std::function<bool(const Tick&)>& visit) {
  std::vector<std::string> symbols;
  if (query.symbol.empty()) {
    Result<std::vector<std::string>> found = symbols_in_range(db, "tick", 0, query.from, query.to);
    if (!found.ok()) return found.status();
    symbols = std::move(*found);
  } else {
    symbols.push_back(query.symbol);
  }
  return scan<Tick>(
      db, symbols,
      "SELECT symbol, ts_ms, price_paise, qty, volume FROM ticks "
      "WHERE symbol = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, id",
      [&](Statement& stmt, const std::string& symbol) {
        stmt.bind_all(symbol, query.from, query.to);
      },
      read_tick, visit);
}

Result<std::optional<Bar>> last_bar(Database& db, const std::string& symbol, Timeframe timeframe) {
  Result<Statement> stmt =
      db.prepare(fmt::format("SELECT {} FROM bars WHERE symbol = ?1 AND timeframe_minutes = ?2 "
                             "ORDER BY ts_ms DESC LIMIT 1",
                             kBarColumns));
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(symbol, timeframe.minutes);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Bar>();
  return std::optional<Bar>(read_bar(*stmt));
}

Result<std::optional<Tick>> last_tick(Database& db, const std::string& symbol) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol, ts_ms, price_paise, qty, volume FROM ticks WHERE symbol = ?1 "
      "ORDER BY ts_ms DESC, id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, symbol);
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<Tick>();
  return std::optional<Tick>(read_tick(*stmt));
}

Result<std::vector<SeriesInfo>> list_series(Database& db) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol, kind, timeframe_minutes, first_ts_ms, last_ts_ms, row_count "
      "FROM market_series ORDER BY symbol, kind DESC, timeframe_minutes");
  if (!stmt.ok()) return stmt.status();
  std::vector<SeriesInfo> out;
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    SeriesInfo info;
    info.symbol = stmt->column_text(0);
    info.is_tick = stmt->column_text_view(1) == "tick";
    info.timeframe.minutes = static_cast<int>(stmt->column_int64(2));
    info.first_ts = stmt->column_int64(3);
    info.last_ts = stmt->column_int64(4);
    info.rows = stmt->column_int64(5);
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<std::string>> list_symbols(Database& db) {
  Result<Statement> stmt = db.prepare("SELECT DISTINCT symbol FROM market_series ORDER BY symbol");
  if (!stmt.ok()) return stmt.status();
  std::vector<std::string> out;
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(stmt->column_text(0));
  }
  return out;
}

}  // namespace sm::store
