// The fill the store's report tests (status report, today's P&L) record: one of strategy "trend".
// #include "trend_fill.h" from tests/unit/store.
#pragma once

#include <string>
#include <utility>

#include "core/messages.h"

namespace sm::testing {

inline Fill trend_fill(std::string trade_id, std::string symbol, Side side, Quantity qty,
                       Paise price, TimestampMs ts, Paise charges = 0) {
  Fill f;
  f.ts = ts;
  f.trade_id = std::move(trade_id);
  f.strategy = "trend";
  f.symbol = std::move(symbol);
  f.side = side;
  f.qty = qty;
  f.price = price;
  f.charges = charges;
  return f;
}

}  // namespace sm::testing
