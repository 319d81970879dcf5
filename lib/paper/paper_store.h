// The paper broker's own state file (SQLite, separate from the main database): orders with every
// state they went through, trades with their charges, and cash movements. Each engine event is one
// transaction at synchronous=FULL, written before the event becomes visible, so a paper broker
// killed at any moment restarts with exactly the orders and fills its clients were told about.
//
// Schema (PRAGMA user_version 1):
//   paper_meta(key, value)
//   paper_orders(order_id PK, seq UNIQUE, modifications, body)  body = the order's Kite JSON
//   paper_order_history(order_id, step, body)  one row per state, PK(order_id, step)
//   paper_trades(trade_id PK, seq UNIQUE, order_id, charges, body)
//   paper_cash(seq PK, ts, amount, reason)  deposits and withdrawals
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/types.h"
#include "core/status.h"
#include "sqlite/connection.h"

namespace sm::paper {

struct StoredOrder {
  broker::Order order;
  std::int64_t seq = 0;
  int modifications = 0;
  // In a Batch: the states to append. Empty after load(): the states stay on disk until
  // load_order_history asks for them, so memory does not grow with every state of every order.
  std::vector<broker::Order> history;
};

struct StoredTrade {
  broker::Trade trade;
  std::int64_t seq = 0;
  Paise charges = 0;
};

struct CashEntry {
  std::int64_t seq = 0;
  TimestampMs ts = 0;
  Paise amount = 0;  // positive = deposit
  std::string reason;
};

// Everything one engine event changes, written in one transaction.
struct Batch {
  std::vector<StoredOrder> orders;  // upserted; their history entries appended
  std::vector<StoredTrade> trades;  // inserted
  std::vector<CashEntry> cash;      // inserted
};

class PaperStore {
 public:
  // Opens or creates the file, applying the schema. kDatabaseError naming the path on failure.
  static Result<std::unique_ptr<PaperStore>> open(const std::string& path);
  ~PaperStore();
  PaperStore(const PaperStore&) = delete;
  PaperStore& operator=(const PaperStore&) = delete;

  struct Snapshot {
    std::vector<StoredOrder> orders;  // by seq
    std::vector<StoredTrade> trades;  // by seq
    std::vector<CashEntry> cash;      // by seq
  };
  // Reads the whole state except the order histories (StoredOrder::history is empty).
  // kDatabaseError, or kParseError naming the row whose JSON is damaged.
  Result<Snapshot> load();
  // Every state the order went through, oldest first; empty for an order id the store does not
  // have. kDatabaseError, or kParseError naming the damaged row.
  Result<std::vector<broker::Order>> load_order_history(std::string_view order_id);

  // Writes the batch in one BEGIN IMMEDIATE transaction; on failure nothing is written.
  Status commit(const Batch& batch);

  const std::string& path() const { return db_.path(); }

 private:
  explicit PaperStore(sqlite::Connection db) : db_(std::move(db)) {}
  Status load_orders(Snapshot& snapshot);
  Status load_trades(Snapshot& snapshot);
  Status load_cash(Snapshot& snapshot);
  Status write_order(const StoredOrder& stored);
  Status write_trade(const StoredTrade& stored);
  Status write_cash(const CashEntry& entry);
  sqlite::Connection db_;
};

}  // namespace sm::paper
