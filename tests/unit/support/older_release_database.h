// A database as a release three schema versions old left it: migrated to
// latest_schema_version() - 3 and holding one row in each table an operator cannot afford to lose,
// written through SQL that schema understands. Used by the upgrade test (tests/unit/store) and by
// sm-test-older-database, which the program tests upgrade with the current programs.
#pragma once

#include <string>

#include "core/status.h"
#include "sqlite/connection.h"
#include "store/schema.h"

namespace sm::testing {

// The tables filled, one row each.
inline constexpr const char* kOlderReleaseTables[] = {"instruments", "ticks",        "bars",
                                                      "orders",      "order_events", "fills",
                                                      "positions",   "halts",        "alerts"};

// The schema version of the database make_older_release_database writes.
inline int older_release_version() {
  return static_cast<int>(store::schema_migrations().size()) - 3;
}

// Creates the database at path (which must not exist yet). The order c1 (COMPLETE, 5 TCS at
// 3500.00) has one event and one fill T1, the position trend/TCS holds 5 at a cost of 17500.00,
// and the TCS close of the 1-minute bar at 2024-03-28 09:15 IST is 3505.00.
inline Status make_older_release_database(const std::string& path) {
  Result<sqlite::Connection> db = sqlite::Connection::open(path);
  if (!db.ok()) return db.status();
  SM_RETURN_IF_ERROR(
      db->migrate(store::schema_migrations().first(static_cast<size_t>(older_release_version()))));
  return db->execute(R"sql(
    INSERT INTO instruments (symbol, updated_ms) VALUES ('TCS', 1);
    INSERT INTO ticks (symbol, ts_ms, price_paise, qty, volume) VALUES ('TCS', 1711597500000, 350000, 1, 10);
    INSERT INTO market_series VALUES ('TCS', 'tick', 0, 1711597500000, 1711597500000, 1);
    INSERT INTO bars (symbol, timeframe_minutes, ts_ms, open_paise, high_paise, low_paise, close_paise, volume)
      VALUES ('TCS', 1, 1711597500000, 350000, 351000, 349000, 350500, 100);
    INSERT INTO market_series VALUES ('TCS', 'bar', 1, 1711597500000, 1711597500000, 1);
    INSERT INTO orders (client_order_id, broker_order_id, strategy, symbol, side, qty, order_type,
                        product, status, filled_qty, average_price_paise, created_ms, updated_ms)
      VALUES ('c1', 'b1', 'trend', 'TCS', 'BUY', 5, 'MARKET', 'CNC', 'COMPLETE', 5, 350000, 1, 2);
    INSERT INTO order_events (client_order_id, ts_ms, event, recorded_ms) VALUES ('c1', 1, 'placed', 1);
    INSERT INTO fills (trade_id, client_order_id, strategy, symbol, side, qty, price_paise, ts_ms, recorded_ms)
      VALUES ('T1', 'c1', 'trend', 'TCS', 'BUY', 5, 350000, 1711597500000, 1);
    INSERT INTO positions (strategy, symbol, qty, cost_paise, opened_ms, updated_ms)
      VALUES ('trend', 'TCS', 5, 1750000, 1, 1);
    INSERT INTO halts (level, trigger_name, created_ms) VALUES ('halt', 'manual', 1);
    INSERT INTO alerts (ts_ms, severity, component, event, text, recorded_ms)
      VALUES (1, 'warning', 'sm-risk', 'halt', 'halted', 1);
  )sql");
}

}  // namespace sm::testing
