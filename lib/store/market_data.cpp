#include "store/market_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>

#include "store/rows.h"

namespace sm::store {

namespace {

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
  // `inserted` new rows of a series whose times lie within [first_ts, last_ts].
  void add(const std::string& symbol, int timeframe_minutes, TimestampMs first_ts,
           TimestampMs last_ts, std::int64_t inserted) {
    if (last_ == nullptr || last_symbol_ != symbol || last_timeframe_ != timeframe_minutes) {
      auto [it, fresh] = deltas_.try_emplace(SeriesKey(symbol, timeframe_minutes),
                                             SeriesDelta{first_ts, last_ts, 0});
      last_ = &it->second;
      last_symbol_ = symbol;
      last_timeframe_ = timeframe_minutes;
    }
    last_->first_ts = std::min(last_->first_ts, first_ts);
    last_->last_ts = std::max(last_->last_ts, last_ts);
    last_->inserted += inserted;
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

// Bulk inserts are multi-row INSERTs of up to kRowsPerInsert rows of ONE series (symbol and
// timeframe) each: one statement execution per 32 rows instead of one per row is most of the gain
// measured in bench/README.md (bench_ingest). Keeping a statement to one series is what makes its
// changes() count attributable to that series' market_series row.
constexpr std::size_t kRowsPerInsert = 32;

// The SQL of an INSERT of `rows` rows: head, then "(?,?,...)" per row with `columns` parameters
// numbered consecutively, then tail.
std::string multi_row_sql(std::string_view head, int columns, std::size_t rows,
                          std::string_view tail) {
  std::string sql(head);
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? " (" : ", (";
    for (int c = 0; c < columns; ++c) sql += c == 0 ? "?" : ", ?";
    sql += ')';
  }
  sql += tail;
  return sql;
}

// The texts for 1..kRowsPerInsert rows, built once.
using MultiRowSql = std::array<std::string, kRowsPerInsert + 1>;
MultiRowSql make_multi_row_sql(std::string_view head, int columns, std::string_view tail) {
  MultiRowSql texts;
  for (std::size_t rows = 1; rows <= kRowsPerInsert; ++rows)
    texts[rows] = multi_row_sql(head, columns, rows, tail);
  return texts;
}

constexpr int kBarParams = 9;
constexpr int kTickParams = 7;

const MultiRowSql& bar_insert_sql() {
  static const MultiRowSql texts = make_multi_row_sql(
      "INSERT INTO bars (symbol, timeframe_minutes, ts_ms, open_paise, high_paise, low_paise, "
      "close_paise, volume, partial) VALUES",
      kBarParams, " ON CONFLICT DO NOTHING");
  return texts;
}

const MultiRowSql& tick_insert_sql() {
  static const MultiRowSql texts = make_multi_row_sql(
      "INSERT INTO tick_rows (symbol_id, ts_ms, price_paise, qty, volume, seq, "
      "arrival) VALUES",
      kTickParams, " ON CONFLICT DO NOTHING");
  return texts;
}

// The statement for a chunk of n rows: the series' full-size one, or one prepared into spare for
// a shorter last chunk.
Result<Statement*> chunk_statement(Database& db, const MultiRowSql& sql, std::size_t n,
                                   Statement& full, Statement& spare) {
  if (n == kRowsPerInsert) return &full;
  Result<Statement> prepared = db.prepare(sql[n]);
  if (!prepared.ok()) return prepared.status();
  spare = std::move(*prepared);
  return &spare;
}

// The rows of a batch grouped by series: indexes into the batch, each group contiguous, groups in
// order of first appearance, rows inside a group in their batch order. Stable on purpose: rows
// with the same key meet the database in the caller's order, so which one is stored, replaced or a
// duplicate is exactly as if they were inserted one by one; and ticks of one symbol get rowids in
// arrival order. A linear pass (no comparison sort): consecutive rows of one series, the common
// case in files, skip the lookup.
struct SeriesGroups {
  std::vector<std::uint32_t> rows;
  std::vector<std::size_t> starts;  // group g is rows[starts[g], starts[g + 1])
};

template <typename Row, typename TimeframeOf>
SeriesGroups group_by_series(std::span<const Row> batch, TimeframeOf timeframe_of) {
  std::unordered_map<std::string_view, std::vector<std::pair<int, std::size_t>>> index;
  std::vector<std::size_t> group_of(batch.size());
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Row& row = batch[i];
    if (i > 0 && batch[i - 1].symbol == row.symbol &&
        timeframe_of(batch[i - 1]) == timeframe_of(row)) {
      group_of[i] = group_of[i - 1];
    } else {
      auto& entries = index[row.symbol];
      const int timeframe = timeframe_of(row);
      auto found = std::find_if(entries.begin(), entries.end(),
                                [&](const auto& entry) { return entry.first == timeframe; });
      if (found == entries.end()) {
        entries.emplace_back(timeframe, sizes.size());
        sizes.push_back(0);
        found = entries.end() - 1;
      }
      group_of[i] = found->second;
    }
    ++sizes[group_of[i]];
  }
  SeriesGroups groups;
  groups.starts.resize(sizes.size() + 1, 0);
  for (std::size_t g = 0; g < sizes.size(); ++g) groups.starts[g + 1] = groups.starts[g] + sizes[g];
  std::vector<std::size_t> next(groups.starts.begin(), groups.starts.end() - 1);
  groups.rows.resize(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    groups.rows[next[group_of[i]]++] = static_cast<std::uint32_t>(i);
  return groups;
}

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

// What insert_bars and insert_ticks check before writing: every row valid (the first bad one named
// by its index), and no more rows than a 32-bit index reaches.
template <typename Row>
Status check_batch(std::span<const Row> rows, Status (*validate)(const Row&, size_t),
                   std::string_view row_name) {
  for (size_t i = 0; i < rows.size(); ++i) SM_RETURN_IF_ERROR(validate(rows[i], i));
  if (rows.size() > std::numeric_limits<std::uint32_t>::max()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("insert_{0}s: too many {0}s in one call", row_name));
  }
  return Status();
}

// The loop insert_bars and insert_ticks share: every series (group) of the batch in multi-row
// INSERTs of up to kRowsPerInsert rows, bind_row(insert, base, index) binding batch[index]'s
// parameters after parameter number base. The rows a chunk inserted widen their series' range in
// series: a row that conflicted is already stored, so its time is inside the stored range whichever
// rows conflicted. Then after_chunk(begin, n, inserted) sees the chunk (positions begin..begin+n-1
// of groups.rows) and how many of its rows the insert stored; its failure ends the loop.
template <typename Row, typename TimeframeOf, typename BindRow, typename AfterChunk>
Status insert_in_chunks(Database& db, std::span<const Row> batch, const SeriesGroups& groups,
                        TimeframeOf timeframe_of, const MultiRowSql& sql, int params_per_row,
                        SeriesTracker& series, BindRow bind_row, AfterChunk after_chunk) {
  Result<Statement> full = db.prepare(sql[kRowsPerInsert]);
  if (!full.ok()) return full.status();
  for (std::size_t g = 0; g + 1 < groups.starts.size(); ++g) {
    for (std::size_t begin = groups.starts[g]; begin < groups.starts[g + 1];
         begin += kRowsPerInsert) {
      const std::size_t n = std::min(kRowsPerInsert, groups.starts[g + 1] - begin);
      Statement last_chunk;
      Result<Statement*> chosen = chunk_statement(db, sql, n, *full, last_chunk);
      if (!chosen.ok()) return chosen.status();
      Statement& insert = **chosen;
      insert.reset_keeping_bindings();  // every parameter is bound again below
      TimestampMs first_ts = std::numeric_limits<TimestampMs>::max();
      TimestampMs last_ts = std::numeric_limits<TimestampMs>::min();
      int base = 0;  // parameter index before this row's first
      for (std::size_t r = begin; r < begin + n; ++r, base += params_per_row) {
        const std::uint32_t index = groups.rows[r];
        first_ts = std::min(first_ts, batch[index].ts);
        last_ts = std::max(last_ts, batch[index].ts);
        bind_row(insert, base, index);
      }
      SM_RETURN_IF_ERROR(insert.run());
      const std::int64_t inserted = insert.changes();
      const Row& head = batch[groups.rows[begin]];
      if (inserted > 0) series.add(head.symbol, timeframe_of(head), first_ts, last_ts, inserted);
      SM_RETURN_IF_ERROR(after_chunk(begin, n, inserted));
    }
  }
  return Status();
}

}  // namespace

Result<WriteCounts> insert_bars(Database& db, std::span<const Bar> bars) {
  SM_RETURN_IF_ERROR(check_batch(bars, validate_bar, "bar"));
  WriteCounts counts;
  if (bars.empty()) return counts;
  // The market-data durability for this bulk transaction only (docs/SCHEMA.md, "Durability").
  ScopedSynchronous durability(db, db.options().market_data_synchronous);
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  // Only a partial (still forming) stored bar may change, and only when the new one differs.
  Result<Statement> replace = db.prepare(
      "UPDATE bars SET open_paise = ?4, high_paise = ?5, low_paise = ?6, close_paise = ?7, "
      "volume = ?8, partial = ?9 "
      "WHERE symbol = ?1 AND timeframe_minutes = ?2 AND ts_ms = ?3 AND partial = 1 AND "
      "(open_paise <> ?4 OR high_paise <> ?5 OR low_paise <> ?6 OR close_paise <> ?7 OR "
      "volume <> ?8 OR partial <> ?9)");
  if (!replace.ok()) return replace.status();
  const auto timeframe_of = [](const Bar& bar) { return bar.timeframe.minutes; };
  const SeriesGroups groups = group_by_series(bars, timeframe_of);
  SeriesTracker series;
  const auto bind_bar = [&](Statement& insert, int base, std::uint32_t index) {
    const Bar& bar = bars[index];
    insert.bind_static(base + 1, bar.symbol)
        .bind(base + 2, bar.timeframe.minutes)
        .bind(base + 3, bar.ts)
        .bind(base + 4, bar.open)
        .bind(base + 5, bar.high)
        .bind(base + 6, bar.low)
        .bind(base + 7, bar.close)
        .bind(base + 8, bar.volume)
        .bind(base + 9, bar.partial);
  };
  const auto replace_partials = [&](std::size_t begin, std::size_t n,
                                    std::int64_t inserted) -> Status {
    counts.inserted += inserted;
    const std::int64_t conflicts = static_cast<std::int64_t>(n) - inserted;
    if (conflicts == 0) return Status();
    // Some rows were already stored. Offer every row of the chunk, in order, to the partial-bar
    // replacement. A row this chunk inserted is the first of its key in the chunk and equals
    // what is stored when its turn comes, so it changes nothing; every later row of a key sees
    // the same stored bar as a row-by-row insert would have.
    std::int64_t replaced = 0;
    for (std::size_t r = begin; r < begin + n; ++r) {
      const Bar& bar = bars[groups.rows[r]];
      replace->reset();
      replace->bind_all(bar.symbol, bar.timeframe.minutes, bar.ts, bar.open, bar.high, bar.low,
                        bar.close, bar.volume, bar.partial);
      SM_RETURN_IF_ERROR(replace->run());
      replaced += replace->changes();
    }
    counts.replaced += replaced;
    counts.duplicates += conflicts - replaced;
    return Status();
  };
  SM_RETURN_IF_ERROR(insert_in_chunks(db, bars, groups, timeframe_of, bar_insert_sql(), kBarParams,
                                      series, bind_bar, replace_partials));
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

// seq of each tick of one symbol's group (see the header): how many earlier ticks of the call
// agree on every field. Ticks of one symbol usually come in time order with few per timestamp, so
// identical ones can only sit in the current run of equal times: compare within that run. Out of
// order times, or a long run, fall back to a hash of every tick's content.
void tick_seqs(std::span<const Tick> ticks, std::span<const std::uint32_t> group,
               std::vector<std::int64_t>& seqs) {
  constexpr std::size_t kLongestRun = 64;
  bool in_order = true;
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < group.size() && in_order; ++i) {
    const Tick& tick = ticks[group[i]];
    if (i == 0 || tick.ts > ticks[group[i - 1]].ts) {
      run_start = i;
      seqs[group[i]] = 0;
      continue;
    }
    if (tick.ts < ticks[group[i - 1]].ts || i - run_start >= kLongestRun) {
      in_order = false;
      break;
    }
    std::int64_t seq = 0;
    for (std::size_t j = run_start; j < i; ++j) {
      const Tick& other = ticks[group[j]];
      if (other.price == tick.price && other.qty == tick.qty && other.volume == tick.volume) ++seq;
    }
    seqs[group[i]] = seq;
  }
  if (in_order) return;
  std::unordered_map<TickContent, std::int64_t, TickContentHash> seen;
  seen.reserve(group.size());
  for (std::uint32_t index : group) {
    const Tick& tick = ticks[index];
    seqs[index] = seen[TickContent{tick.symbol, tick.ts, tick.price, tick.qty, tick.volume}]++;
  }
}

// A symbol's id in tick_symbols, made when the symbol has none.
class TickSymbolIds {
 public:
  explicit TickSymbolIds(Database& db) : db_(db) {}

  Result<std::int64_t> id_of(const std::string& symbol) {
    if (!find_.valid()) {
      Result<Statement> find = db_.prepare("SELECT id FROM tick_symbols WHERE symbol = ?1");
      if (!find.ok()) return find.status();
      find_ = std::move(*find);
    }
    find_.reset();
    find_.bind(1, symbol);
    Result<bool> found = find_.step();
    if (!found.ok()) return found.status();
    if (*found) {
      const std::int64_t id = find_.column_int64(0);
      find_.reset();  // no statement left open across the inserts and the commit
      return id;
    }
    if (!add_.valid()) {
      Result<Statement> add =
          db_.prepare("INSERT INTO tick_symbols (symbol) VALUES (?1) RETURNING id");
      if (!add.ok()) return add.status();
      add_ = std::move(*add);
    }
    add_.reset();
    add_.bind(1, symbol);
    Result<bool> added = add_.step();
    if (!added.ok()) return added.status();
    if (!*added) return error(ErrorCode::kDatabaseError, "insert_ticks: no id for " + symbol);
    const std::int64_t id = add_.column_int64(0);
    SM_RETURN_IF_ERROR(add_.run());  // to the end of the statement: the row is written
    return id;
  }

 private:
  Database& db_;
  Statement find_;
  Statement add_;
};
}  // namespace

Result<WriteCounts> insert_ticks(Database& db, std::span<const Tick> ticks) {
  SM_RETURN_IF_ERROR(check_batch(ticks, validate_tick, "tick"));
  WriteCounts counts;
  if (ticks.empty()) return counts;
  // The market-data durability for this bulk transaction only (docs/SCHEMA.md, "Durability").
  ScopedSynchronous durability(db, db.options().market_data_synchronous);
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  // Arrival numbers for this call: the read order among ticks of equal symbol and ts. Reserved
  // from the counter in the same transaction, so every later call numbers after this one.
  Result<Statement> reserve = db.prepare(
      "UPDATE tick_arrivals SET next_arrival = next_arrival + ?1 RETURNING next_arrival - ?1");
  if (!reserve.ok()) return reserve.status();
  reserve->bind(1, static_cast<std::int64_t>(ticks.size()));
  Result<bool> reserved = reserve->step();
  if (!reserved.ok()) return reserved.status();
  if (!*reserved) return error(ErrorCode::kDatabaseError, "insert_ticks: tick_arrivals is empty");
  const std::int64_t first_arrival = reserve->column_int64(0);
  SM_RETURN_IF_ERROR(reserve->run());
  // Grouped by symbol, each symbol's ticks in arrival order.
  const auto timeframe_of = [](const Tick&) { return 0; };
  const SeriesGroups groups = group_by_series(ticks, timeframe_of);
  std::vector<std::int64_t> seqs(ticks.size(), 0);
  // The key holds each symbol's id in tick_symbols (docs/SCHEMA.md "ticks"), looked up, or given
  // to a new symbol, once per symbol of the call.
  std::vector<std::int64_t> symbol_ids(ticks.size(), 0);
  TickSymbolIds ids(db);
  for (std::size_t g = 0; g + 1 < groups.starts.size(); ++g) {
    const std::span<const std::uint32_t> group(groups.rows.data() + groups.starts[g],
                                               groups.starts[g + 1] - groups.starts[g]);
    tick_seqs(ticks, group, seqs);
    Result<std::int64_t> id = ids.id_of(ticks[group.front()].symbol);
    if (!id.ok()) return id.status();
    for (std::uint32_t index : group) symbol_ids[index] = *id;
  }
  SeriesTracker series;
  const auto bind_tick = [&](Statement& insert, int base, std::uint32_t index) {
    const Tick& tick = ticks[index];
    insert.bind(base + 1, symbol_ids[index])
        .bind(base + 2, tick.ts)
        .bind(base + 3, tick.price)
        .bind(base + 4, tick.qty)
        .bind(base + 5, tick.volume)
        .bind(base + 6, seqs[index])
        .bind(base + 7, first_arrival + static_cast<std::int64_t>(index));
  };
  const auto count = [&](std::size_t /*begin*/, std::size_t n, std::int64_t inserted) {
    counts.inserted += inserted;
    counts.duplicates += static_cast<std::int64_t>(n) - inserted;
    return Status();
  };
  SM_RETURN_IF_ERROR(insert_in_chunks(db, ticks, groups, timeframe_of, tick_insert_sql(),
                                      kTickParams, series, bind_tick, count));
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
  return collect<std::string>(*stmt, [](const Statement& s) { return s.column_text(0); });
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

Result<std::vector<std::string>> bar_symbols(Database& db, const BarQuery& query) {
  return symbols_in_range(db, "bar", query.timeframe.minutes, query.from, query.to);
}

Result<BarCursor> BarCursor::open(Database& db, const BarQuery& query) {
  // Only the bounds the query has: a bound on ts is a key comparison on every row (about 5 % of
  // the scan), and a run over a symbol's whole history has none.
  const bool from = query.from != std::numeric_limits<TimestampMs>::min();
  const bool to = query.to != std::numeric_limits<TimestampMs>::max();
  Result<Statement> stmt = db.prepare(fmt::format(
      "SELECT ts_ms, open_paise, high_paise, low_paise, close_paise, volume, partial FROM bars "
      "WHERE symbol = ?1 AND timeframe_minutes = ?2{}{} ORDER BY ts_ms",
      from ? " AND ts_ms >= ?3" : "", to ? " AND ts_ms < ?4" : ""));
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, query.symbol);
  stmt->bind(2, query.timeframe.minutes);
  if (from) stmt->bind(3, query.from);
  if (to) stmt->bind(4, query.to);
  return BarCursor(std::move(*stmt), query.symbol, query.timeframe);
}

Result<bool> BarCursor::next(Bar& bar) {
  Result<bool> row = statement_.step();
  if (!row.ok() || !*row) return row;
  if (bar.symbol != symbol_) bar.symbol = symbol_;
  bar.timeframe = timeframe_;
  read_row(bar);
  return true;
}

Result<std::size_t> BarCursor::append_rest(std::vector<Bar>& bars) {
  const std::size_t before = bars.size();
  while (true) {
    Result<bool> row = statement_.step();
    if (!row.ok()) return row.status();
    if (!*row) return bars.size() - before;
    Bar& bar = bars.emplace_back();
    bar.symbol = symbol_;
    bar.timeframe = timeframe_;
    read_row(bar);
  }
}

void BarCursor::read_row(Bar& bar) {
  bar.ts = statement_.column_int64(0);
  bar.open = statement_.column_int64(1);
  bar.high = statement_.column_int64(2);
  bar.low = statement_.column_int64(3);
  bar.close = statement_.column_int64(4);
  bar.volume = statement_.column_int64(5);
  bar.partial = statement_.column_int64(6) != 0;
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
      "WHERE symbol = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, arrival",
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
  return first_row<Bar>(*stmt, read_bar);
}

Result<std::optional<Tick>> last_tick(Database& db, const std::string& symbol) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol, ts_ms, price_paise, qty, volume FROM ticks WHERE symbol = ?1 "
      "ORDER BY ts_ms DESC, arrival DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, symbol);
  return first_row<Tick>(*stmt, read_tick);
}

Result<std::vector<SeriesInfo>> list_series(Database& db) {
  Result<Statement> stmt = db.prepare(
      "SELECT symbol, kind, timeframe_minutes, first_ts_ms, last_ts_ms, row_count "
      "FROM market_series ORDER BY symbol, kind DESC, timeframe_minutes");
  if (!stmt.ok()) return stmt.status();
  return collect<SeriesInfo>(*stmt, [](const Statement& s) {
    SeriesInfo info;
    info.symbol = s.column_text(0);
    info.is_tick = s.column_text_view(1) == "tick";
    info.timeframe.minutes = static_cast<int>(s.column_int64(2));
    info.first_ts = s.column_int64(3);
    info.last_ts = s.column_int64(4);
    info.rows = s.column_int64(5);
    return info;
  });
}

Result<std::vector<std::string>> list_symbols(Database& db) {
  Result<Statement> stmt = db.prepare("SELECT DISTINCT symbol FROM market_series ORDER BY symbol");
  if (!stmt.ok()) return stmt.status();
  return collect<std::string>(*stmt, [](const Statement& s) { return s.column_text(0); });
}

namespace {

// Deletes one symbol's ticks older than before and rewrites its market_series row from what is
// left (its first_ts and row_count change); a symbol with no tick left loses the row.
Result<std::int64_t> prune_symbol_ticks(Database& db, const std::string& symbol,
                                        TimestampMs before) {
  Result<Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  Result<Statement> remove = db.prepare(
      "DELETE FROM tick_rows WHERE symbol_id = (SELECT id FROM tick_symbols WHERE symbol = ?1) "
      "AND ts_ms < ?2");
  if (!remove.ok()) return remove.status();
  remove->bind_all(symbol, before);
  SM_RETURN_IF_ERROR(remove->run());
  const std::int64_t deleted = remove->changes();
  if (deleted > 0) {
    Result<Statement> summary = db.prepare(
        "UPDATE market_series SET first_ts_ms = kept.first_ts, last_ts_ms = kept.last_ts, "
        "row_count = kept.tick_count FROM (SELECT min(ts_ms) AS first_ts, max(ts_ms) AS last_ts, "
        "count(*) AS tick_count FROM ticks WHERE symbol = ?1) AS kept "
        "WHERE symbol = ?1 AND kind = 'tick' AND timeframe_minutes = 0 AND kept.tick_count > 0");
    if (!summary.ok()) return summary.status();
    summary->bind(1, symbol);
    SM_RETURN_IF_ERROR(summary->run());
    Result<Statement> empty = db.prepare(
        "DELETE FROM market_series WHERE symbol = ?1 AND kind = 'tick' AND timeframe_minutes = 0 "
        "AND NOT EXISTS (SELECT 1 FROM ticks WHERE symbol = ?1)");
    if (!empty.ok()) return empty.status();
    empty->bind(1, symbol);
    SM_RETURN_IF_ERROR(empty->run());
  }
  SM_RETURN_IF_ERROR(tx->commit());
  return deleted;
}

}  // namespace

Result<std::int64_t> prune_ticks(Database& db, TimestampMs before) {
  Result<std::vector<SeriesInfo>> series = list_series(db);
  if (!series.ok()) return series.status();
  ScopedSynchronous durability(db, db.options().market_data_synchronous);
  std::int64_t deleted = 0;
  for (const SeriesInfo& info : *series) {
    if (!info.is_tick || info.first_ts >= before) continue;
    Result<std::int64_t> symbol_deleted = prune_symbol_ticks(db, info.symbol, before);
    if (!symbol_deleted.ok()) return symbol_deleted.status();
    deleted += *symbol_deleted;
  }
  return deleted;
}

}  // namespace sm::store
