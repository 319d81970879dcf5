#include "paper/paper_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <map>

#include "broker/kite_json.h"

namespace sm::paper {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS paper_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS paper_orders (
  order_id      TEXT PRIMARY KEY,
  seq           INTEGER NOT NULL UNIQUE,
  modifications INTEGER NOT NULL DEFAULT 0,
  body          TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS paper_order_history (
  order_id TEXT NOT NULL REFERENCES paper_orders(order_id),
  step     INTEGER NOT NULL,
  body     TEXT NOT NULL,
  PRIMARY KEY (order_id, step)
) STRICT;
CREATE TABLE IF NOT EXISTS paper_trades (
  trade_id TEXT PRIMARY KEY,
  seq      INTEGER NOT NULL UNIQUE,
  order_id TEXT NOT NULL REFERENCES paper_orders(order_id),
  charges  INTEGER NOT NULL,
  body     TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS paper_cash (
  seq    INTEGER PRIMARY KEY,
  ts     INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  reason TEXT NOT NULL
) STRICT;
)sql";

// A prepared statement that finalises itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

Status db_error(sqlite3* db, std::string_view what, const std::string& path) {
  return error(ErrorCode::kDatabaseError,
               fmt::format("{}: {}: {}", path, what, sqlite3_errmsg(db)));
}

Result<broker::Order> order_from_body(const std::string& body, std::string_view where) {
  Result<nlohmann::json> j = broker::parse_json_exact(body);
  if (!j.ok()) return j.status().with_context(where);
  Result<broker::Order> order = broker::parse_order(*j);
  if (!order.ok()) return order.status().with_context(where);
  return order;
}

}  // namespace

Result<std::unique_ptr<PaperStore>> PaperStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s =
        error(ErrorCode::kDatabaseError, fmt::format("{}: cannot open paper state: {}", path,
                                                     db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<PaperStore> store(new PaperStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  // Orders and fills: nothing may be lost on a power cut, hence FULL (docs/BROKER.md).
  SM_RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL"));
  SM_RETURN_IF_ERROR(store->exec("PRAGMA synchronous=FULL"));
  SM_RETURN_IF_ERROR(store->exec("PRAGMA foreign_keys=ON"));
  Statement version(db, "PRAGMA user_version");
  if (!version.ok() || version.step() != SQLITE_ROW)
    return db_error(db, "read schema version", path);
  const std::int64_t current = version.integer(0);
  if (current > kSchemaVersion) {
    return error(ErrorCode::kDatabaseError,
                 fmt::format("{}: paper state schema {} is newer than this program's {}", path,
                             current, kSchemaVersion));
  }
  if (current < kSchemaVersion) {
    SM_RETURN_IF_ERROR(store->exec("BEGIN IMMEDIATE"));
    Status s = store->exec(kSchema);
    if (s.ok()) s = store->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion).c_str());
    if (!s.ok()) {
      store->exec("ROLLBACK");
      return s;
    }
    SM_RETURN_IF_ERROR(store->exec("COMMIT"));
  }
  return store;
}

PaperStore::~PaperStore() { sqlite3_close(db_); }

Status PaperStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Status s = error(ErrorCode::kDatabaseError,
                     fmt::format("{}: {}", path_, message ? message : "sqlite error"));
    sqlite3_free(message);
    return s;
  }
  return Status();
}

Result<PaperStore::Snapshot> PaperStore::load() {
  Snapshot snapshot;
  Statement orders(db_, "SELECT order_id, seq, modifications, body FROM paper_orders ORDER BY seq");
  Statement history(db_, "SELECT order_id, body FROM paper_order_history ORDER BY order_id, step");
  Statement trades(db_, "SELECT trade_id, seq, charges, body FROM paper_trades ORDER BY seq");
  Statement cash(db_, "SELECT seq, ts, amount, reason FROM paper_cash ORDER BY seq");
  if (!orders.ok() || !history.ok() || !trades.ok() || !cash.ok())
    return db_error(db_, "prepare load", path_);

  std::map<std::string, size_t> index;
  int rc;
  while ((rc = orders.step()) == SQLITE_ROW) {
    StoredOrder stored;
    const std::string id = orders.text(0);
    Result<broker::Order> order =
        order_from_body(orders.text(3), fmt::format("{}: paper_orders {}", path_, id));
    if (!order.ok()) return order.status();
    stored.order = std::move(order.value());
    stored.seq = orders.integer(1);
    stored.modifications = static_cast<int>(orders.integer(2));
    index[id] = snapshot.orders.size();
    snapshot.orders.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "read paper_orders", path_);
  while ((rc = history.step()) == SQLITE_ROW) {
    const std::string id = history.text(0);
    auto it = index.find(id);
    if (it == index.end()) continue;  // cannot happen with foreign keys on
    Result<broker::Order> state =
        order_from_body(history.text(1), fmt::format("{}: paper_order_history {}", path_, id));
    if (!state.ok()) return state.status();
    snapshot.orders[it->second].history.push_back(std::move(state.value()));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "read paper_order_history", path_);
  while ((rc = trades.step()) == SQLITE_ROW) {
    const std::string id = trades.text(0);
    Result<nlohmann::json> j = broker::parse_json_exact(trades.text(3));
    if (!j.ok()) return j.status().with_context(fmt::format("{}: paper_trades {}", path_, id));
    Result<std::vector<broker::Trade>> parsed = broker::parse_trades(nlohmann::json::array({*j}));
    if (!parsed.ok())
      return parsed.status().with_context(fmt::format("{}: paper_trades {}", path_, id));
    StoredTrade stored;
    stored.trade = parsed->front();
    stored.seq = trades.integer(1);
    stored.charges = trades.integer(2);
    snapshot.trades.push_back(std::move(stored));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "read paper_trades", path_);
  while ((rc = cash.step()) == SQLITE_ROW) {
    snapshot.cash.push_back(
        CashEntry{cash.integer(0), cash.integer(1), cash.integer(2), cash.text(3)});
  }
  if (rc != SQLITE_DONE) return db_error(db_, "read paper_cash", path_);
  return snapshot;
}

Status PaperStore::commit(const Batch& batch) {
  SM_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  auto fail = [&](std::string_view what) {
    Status s = db_error(db_, what, path_);
    exec("ROLLBACK");
    return s;
  };
  {
    Statement upsert(
        db_,
        "INSERT INTO paper_orders(order_id, seq, modifications, body) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(order_id) DO UPDATE SET modifications = excluded.modifications, body = "
        "excluded.body");
    Statement step(db_,
                   "SELECT COALESCE(MAX(step), 0) FROM paper_order_history WHERE order_id = ?1");
    Statement append(db_,
                     "INSERT INTO paper_order_history(order_id, step, body) VALUES(?1, ?2, ?3)");
    Statement trade(db_,
                    "INSERT INTO paper_trades(trade_id, seq, order_id, charges, body) VALUES(?1, "
                    "?2, ?3, ?4, ?5)");
    Statement cash(db_, "INSERT INTO paper_cash(seq, ts, amount, reason) VALUES(?1, ?2, ?3, ?4)");
    if (!upsert.ok() || !step.ok() || !append.ok() || !trade.ok() || !cash.ok())
      return fail("prepare commit");
    for (const StoredOrder& o : batch.orders) {
      upsert.bind(1, o.order.order_id);
      upsert.bind(2, o.seq);
      upsert.bind(3, std::int64_t{o.modifications});
      upsert.bind(4, broker::order_to_json(o.order).dump());
      if (upsert.step() != SQLITE_DONE) return fail("write paper_orders");
      upsert.reset();
      step.bind(1, o.order.order_id);
      if (step.step() != SQLITE_ROW) return fail("read paper_order_history");
      std::int64_t next = step.integer(0) + 1;
      step.reset();
      for (const broker::Order& state : o.history) {
        append.bind(1, o.order.order_id);
        append.bind(2, next++);
        append.bind(3, broker::order_to_json(state).dump());
        if (append.step() != SQLITE_DONE) return fail("write paper_order_history");
        append.reset();
      }
    }
    for (const StoredTrade& t : batch.trades) {
      trade.bind(1, t.trade.trade_id);
      trade.bind(2, t.seq);
      trade.bind(3, t.trade.order_id);
      trade.bind(4, t.charges);
      trade.bind(5, broker::trade_to_json(t.trade).dump());
      if (trade.step() != SQLITE_DONE) return fail("write paper_trades");
      trade.reset();
    }
    for (const CashEntry& c : batch.cash) {
      cash.bind(1, c.seq);
      cash.bind(2, c.ts);
      cash.bind(3, c.amount);
      cash.bind(4, c.reason);
      if (cash.step() != SQLITE_DONE) return fail("write paper_cash");
      cash.reset();
    }
  }
  if (exec("COMMIT").ok()) return Status();
  return fail("commit");
}

}  // namespace sm::paper
