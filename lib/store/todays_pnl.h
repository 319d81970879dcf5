// Today's P&L: the one definition that sm-status, `sm-risk status` and the risk gateway's
// daily-loss kill switch all use (docs/RISK.md, "Today's P&L"). For the IST calendar day of now:
//
//   net = realised today - charges today + (unrealised now - unrealised at the previous close)
//
// - realised and charges: summed over the fills with ts on that day;
// - unrealised now: each position at its latest price (store/prices.h latest_price), qty * price -
//   cost; 0 for a position without market data;
// - unrealised at the previous close: what was held at 00:00 IST (the position with today's fills
//   undone) marked at the last price known before 00:00 IST (price_before: the last tick, or the
//   close of the last bar that had ended, normally the previous session's daily close); 0 for a
//   position opened today or without such a price (it then counts from its cost).
// So a position carried from yesterday contributes only today's move, and one opened today its
// whole unrealised P&L.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "store/database.h"

namespace sm::store {

// One (strategy, symbol): held now, held at the day's start, or traded today.
struct TodaysPnlRow {
  std::string strategy;
  std::string symbol;
  std::int64_t fills = 0;            // today's fills
  Paise realised = 0;                // realised by today's fills, gross
  Paise charges = 0;                 // charges of today's fills
  Quantity start_qty = 0;            // held at 00:00 IST
  std::optional<Paise> start_price;  // the previous close; nullopt when not held then or unpriced
  Paise start_unrealised = 0;        // start_qty * start_price - start cost; 0 without start_price
  Quantity qty = 0;                  // held now
  std::optional<Paise> price;        // latest price; nullopt when flat or without market data
  Paise unrealised = 0;              // qty * price - cost; 0 without price

  Paise unrealised_change() const { return unrealised - start_unrealised; }
  Paise net() const { return realised - charges + unrealised_change(); }
};

struct TodaysPnl {
  Date ist_date;
  TimestampMs day_start = 0;       // 00:00 IST of ist_date
  std::vector<TodaysPnlRow> rows;  // by strategy, then symbol
  // Sums of the rows; net = realised - charges + unrealised_change.
  Paise realised = 0;
  Paise charges = 0;
  Paise start_unrealised = 0;
  Paise unrealised = 0;
  Paise unrealised_change = 0;
  Paise net = 0;
  std::int64_t unpriced_positions = 0;  // held now without a latest price (counted as 0 unrealised)
};

// Today's P&L as of now from the fills, positions and market data in db. Reads only; run it inside
// one read transaction for a consistent answer while writers commit. Fails with kDatabaseError when
// a read fails.
Result<TodaysPnl> todays_pnl(Database& db, TimestampMs now);

}  // namespace sm::store
