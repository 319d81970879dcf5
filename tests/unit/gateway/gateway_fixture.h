// A temporary database with the helpers the gateway tests need: store market data, heartbeats,
// fills and orders through the store's own functions, open a gateway as of a time, and read rows
// back with SQL. Times and the calendar are those of the risk engine tests (Thursday 2024-03-28,
// 10:00 IST; Good Friday follows).
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "../risk/risk_fixture.h"
#include "gateway/gateway.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

namespace sm::gateway::testing {

using risk::testing::at;
using risk::testing::entry;
using risk::testing::exit_signal;
using risk::testing::kTen;
using risk::testing::rupees;
using risk::testing::test_calendar;
using risk::testing::test_config;

struct TestDb : sm::testing::TempDatabase {
  TestDb() : TempDatabase("risk.db"), path(dir.file("risk.db")) {}

  void tick(const std::string& symbol, Paise price, TimestampMs ts) {
    Tick t;
    t.ts = ts;
    t.symbol = symbol;
    t.price = price;
    t.qty = 1;
    REQUIRE(store::insert_ticks(db, std::vector<Tick>{t}).ok());
  }
  void heartbeat(const std::string& component, const std::string& status, TimestampMs ts) {
    Heartbeat hb;
    hb.ts = ts;
    hb.component = component;
    hb.status = status;
    hb.pid = 42;
    REQUIRE(store::record_heartbeat(db, hb).ok());
  }
  void fill(const std::string& strategy, const std::string& symbol, Side side, Quantity qty,
            Paise price, TimestampMs ts, const std::string& client_order_id = "") {
    Fill f;
    f.ts = ts;
    f.trade_id = risk::testing::numbered("DB", ++trades);
    f.client_order_id = client_order_id;
    f.strategy = strategy;
    f.symbol = symbol;
    f.side = side;
    f.qty = qty;
    f.price = price;
    REQUIRE(store::insert_fill(db, f).ok());
  }
  // The usual live picture at 10:00: sm-order beating, prices for the symbols used.
  void live(TimestampMs now = kTen) {
    heartbeat("sm-order", "ok", now - 1000);
    tick("TCS", rupees(3000), now - 1000);
    tick("INFY", rupees(1500), now - 1000);
    tick("SBIN", rupees(600), now - 1000);
  }
  std::unique_ptr<RiskGateway> gateway(TimestampMs now, risk::RiskConfig config = test_config()) {
    Result<std::unique_ptr<RiskGateway>> opened =
        RiskGateway::open(db, std::move(config), &test_calendar(), now);
    REQUIRE(opened.ok());
    return std::move(*opened);
  }
  // Every row of a query with `columns` columns, each as text ("NULL" for null).
  std::vector<std::vector<std::string>> rows(const std::string& sql, int columns) {
    std::vector<std::vector<std::string>> result;
    Result<store::Statement> stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    while (true) {
      Result<bool> row = stmt->step();
      REQUIRE(row.ok());
      if (!*row) break;
      std::vector<std::string> values;
      for (int c = 0; c < columns; ++c) {
        if (stmt->column_is_null(c)) {
          values.emplace_back("NULL");
        } else {
          values.push_back(stmt->column_text(c));
        }
      }
      result.push_back(std::move(values));
    }
    return result;
  }
  std::string one(const std::string& sql) {
    auto all = rows(sql, 1);
    REQUIRE(all.size() == 1);
    return all[0][0];
  }

  std::string path;
  int trades = 0;
};

template <typename T>
std::vector<T> of_type(const std::vector<Message>& out) {
  std::vector<T> found;
  for (const Message& m : out) {
    if (const T* typed = std::get_if<T>(&m)) found.push_back(*typed);
  }
  return found;
}

}  // namespace sm::gateway::testing
