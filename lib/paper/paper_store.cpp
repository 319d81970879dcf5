#include "paper/paper_store.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "broker/kite_json.h"

namespace sm::paper {
namespace {

constexpr std::string_view kSchemaVersion1 = R"sql(
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

constexpr int kPageCacheKiB = 256;

constexpr std::array kMigrations = {sqlite::Migration{"paper broker state", kSchemaVersion1}};

std::string where(const std::string& path, std::string_view what) {
  return fmt::format("{}: {}", path, what);
}

// Runs a query and calls visit(row) for each row until visit fails. A failed read names the table.
template <typename Visit>
Status for_each_row(sqlite::Connection& db, std::string_view sql, std::string_view table,
                    Visit visit) {
  Result<sqlite::Statement> stmt = db.prepare(sql);
  if (!stmt.ok()) return stmt.status();
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok())
      return row.status().with_context(where(db.path(), fmt::format("read {}", table)));
    if (!*row) return Status();
    SM_RETURN_IF_ERROR(visit(*stmt));
  }
}

Result<broker::Order> order_from_body(std::string_view body, std::string_view where) {
  Result<nlohmann::json> j = broker::parse_json_exact(body);
  if (!j.ok()) return j.status().with_context(where);
  Result<broker::Order> order = broker::parse_order(*j);
  if (!order.ok()) return order.status().with_context(where);
  return order;
}

}  // namespace

Result<std::unique_ptr<PaperStore>> PaperStore::open(const std::string& path) {
  sqlite::OpenOptions options;
  // Orders and fills: nothing may be lost on a power cut, hence FULL (docs/BROKER.md).
  options.synchronous = sqlite::Synchronous::kFull;
  // sm-paper creates the state directory; the store only ever opens a file in an existing one.
  options.create_parent_directory = false;
  Result<sqlite::Connection> db = sqlite::Connection::open(path, options);
  if (!db.ok()) return db.status();
  SM_RETURN_IF_ERROR(db->migrate(kMigrations));
  // Each write touches a few pages at the end of each table and reads are rare (the history of
  // one order), so a small page cache costs nothing; SQLite's default (2 MiB) filled up with
  // pages of past orders and was a tenth of sm-paper's memory after 1,000 orders.
  SM_RETURN_IF_ERROR(
      db->execute(fmt::format("PRAGMA cache_size = -{}", kPageCacheKiB)).with_context(path));
  return std::unique_ptr<PaperStore>(new PaperStore(std::move(db.value())));
}

PaperStore::~PaperStore() = default;

Result<PaperStore::Snapshot> PaperStore::load() {
  Snapshot snapshot;
  SM_RETURN_IF_ERROR(load_orders(snapshot));
  SM_RETURN_IF_ERROR(load_trades(snapshot));
  SM_RETURN_IF_ERROR(load_cash(snapshot));
  return snapshot;
}

Status PaperStore::load_orders(Snapshot& snapshot) {
  return for_each_row(
      db_, "SELECT order_id, seq, modifications, body FROM paper_orders ORDER BY seq",
      "paper_orders", [&](const sqlite::Statement& row) -> Status {
        Result<broker::Order> order =
            order_from_body(row.column_text_view(3),
                            where(path(), fmt::format("paper_orders {}", row.column_text_view(0))));
        if (!order.ok()) return order.status();
        StoredOrder stored;
        stored.order = std::move(order.value());
        stored.seq = row.column_int64(1);
        stored.modifications = static_cast<int>(row.column_int64(2));
        snapshot.orders.push_back(std::move(stored));
        return Status();
      });
}

Result<std::vector<broker::Order>> PaperStore::load_order_history(std::string_view order_id) {
  Result<sqlite::Statement> select =
      db_.prepare("SELECT body FROM paper_order_history WHERE order_id = ?1 ORDER BY step");
  if (!select.ok()) return select.status();
  select->bind(1, order_id);
  std::vector<broker::Order> history;
  while (true) {
    Result<bool> row = select->step();
    if (!row.ok()) return row.status().with_context(where(path(), "read paper_order_history"));
    if (!*row) return history;
    Result<broker::Order> state =
        order_from_body(select->column_text_view(0),
                        where(path(), fmt::format("paper_order_history {}", order_id)));
    if (!state.ok()) return state.status();
    history.push_back(std::move(state.value()));
  }
}

Status PaperStore::load_trades(Snapshot& snapshot) {
  return for_each_row(db_, "SELECT trade_id, seq, charges, body FROM paper_trades ORDER BY seq",
                      "paper_trades", [&](const sqlite::Statement& row) -> Status {
                        const std::string context =
                            where(path(), fmt::format("paper_trades {}", row.column_text_view(0)));
                        Result<nlohmann::json> j =
                            broker::parse_json_exact(row.column_text_view(3));
                        if (!j.ok()) return j.status().with_context(context);
                        Result<std::vector<broker::Trade>> parsed =
                            broker::parse_trades(nlohmann::json::array({*j}));
                        if (!parsed.ok()) return parsed.status().with_context(context);
                        StoredTrade stored;
                        stored.trade = parsed->front();
                        stored.seq = row.column_int64(1);
                        stored.charges = row.column_int64(2);
                        snapshot.trades.push_back(std::move(stored));
                        return Status();
                      });
}

Status PaperStore::load_cash(Snapshot& snapshot) {
  return for_each_row(db_, "SELECT seq, ts, amount, reason FROM paper_cash ORDER BY seq",
                      "paper_cash", [&](const sqlite::Statement& row) -> Status {
                        snapshot.cash.push_back(CashEntry{row.column_int64(0), row.column_int64(1),
                                                          row.column_int64(2), row.column_text(3)});
                        return Status();
                      });
}

Status PaperStore::commit(const Batch& batch) {
  Result<sqlite::Transaction> transaction = db_.begin();
  if (!transaction.ok()) return transaction.status();
  for (const StoredOrder& stored : batch.orders) SM_RETURN_IF_ERROR(write_order(stored));
  for (const StoredTrade& stored : batch.trades) SM_RETURN_IF_ERROR(write_trade(stored));
  for (const CashEntry& entry : batch.cash) SM_RETURN_IF_ERROR(write_cash(entry));
  return transaction->commit().with_context(where(path(), "commit"));
}

Status PaperStore::write_order(const StoredOrder& stored) {
  const std::string& order_id = stored.order.order_id;
  Result<sqlite::Statement> upsert = db_.prepare(
      "INSERT INTO paper_orders(order_id, seq, modifications, body) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(order_id) DO UPDATE SET modifications = excluded.modifications, body = "
      "excluded.body");
  if (!upsert.ok()) return upsert.status();
  upsert->bind_all(order_id, stored.seq, stored.modifications,
                   broker::order_to_json(stored.order).dump());
  SM_RETURN_IF_ERROR(upsert->run().with_context(where(path(), "write paper_orders")));

  Result<sqlite::Statement> last_step =
      db_.prepare("SELECT COALESCE(MAX(step), 0) FROM paper_order_history WHERE order_id = ?1");
  if (!last_step.ok()) return last_step.status();
  last_step->bind(1, order_id);
  Result<bool> row = last_step->step();
  if (!row.ok()) return row.status().with_context(where(path(), "read paper_order_history"));
  std::int64_t next_step = last_step->column_int64(0) + 1;

  Result<sqlite::Statement> append =
      db_.prepare("INSERT INTO paper_order_history(order_id, step, body) VALUES(?1, ?2, ?3)");
  if (!append.ok()) return append.status();
  for (const broker::Order& state : stored.history) {
    append->bind_all(order_id, next_step++, broker::order_to_json(state).dump());
    SM_RETURN_IF_ERROR(append->run().with_context(where(path(), "write paper_order_history")));
    append->reset();
  }
  return Status();
}

Status PaperStore::write_trade(const StoredTrade& stored) {
  Result<sqlite::Statement> insert = db_.prepare(
      "INSERT INTO paper_trades(trade_id, seq, order_id, charges, body) VALUES(?1, ?2, ?3, ?4, "
      "?5)");
  if (!insert.ok()) return insert.status();
  insert->bind_all(stored.trade.trade_id, stored.seq, stored.trade.order_id, stored.charges,
                   broker::trade_to_json(stored.trade).dump());
  return insert->run().with_context(where(path(), "write paper_trades"));
}

Status PaperStore::write_cash(const CashEntry& entry) {
  Result<sqlite::Statement> insert =
      db_.prepare("INSERT INTO paper_cash(seq, ts, amount, reason) VALUES(?1, ?2, ?3, ?4)");
  if (!insert.ok()) return insert.status();
  insert->bind_all(entry.seq, entry.ts, entry.amount, entry.reason);
  return insert->run().with_context(where(path(), "write paper_cash"));
}

}  // namespace sm::paper
