#include "store/todays_pnl.h"

#include <map>
#include <utility>

#include "core/money.h"
#include "store/corporate_actions.h"
#include "store/prices.h"
#include "store/trading_records.h"

namespace sm::store {

namespace {

// A position's value at price against its cost.
Paise unrealised_at(Quantity qty, Paise cost, Paise price) {
  return saturate(Int128{qty} * price - cost);
}

struct Entry {
  TodaysPnlRow row;
  Paise cost = 0;        // now
  Paise start_cost = 0;  // at 00:00 IST
};
using Entries = std::map<std::pair<std::string, std::string>, Entry>;

// Takes each position in entries back to the day's start by undoing the fills since then, and
// counts the day's fills, realised P&L and charges.
Status undo_fills_since(Database& db, TimestampMs day_start, TimestampMs day_end,
                        Entries& entries) {
  // Each fill moved qty by s (signed) and cost by s * price + realised (the cash identity of the
  // average-cost method), so the position at the day's start is (qty - sum s, cost - sum(s * price
  // + realised)) over every fill since then.
  Result<Statement> stmt = db.prepare(
      "SELECT strategy, symbol, "
      "SUM(CASE WHEN side = 'BUY' THEN qty ELSE -qty END), "
      "SUM((CASE WHEN side = 'BUY' THEN qty ELSE -qty END) * price_paise + realised_pnl_paise), "
      "SUM(ts_ms < ?2), SUM(CASE WHEN ts_ms < ?2 THEN realised_pnl_paise ELSE 0 END), "
      "SUM(CASE WHEN ts_ms < ?2 THEN charges_paise ELSE 0 END) "
      "FROM fills WHERE ts_ms >= ?1 GROUP BY strategy, symbol");
  if (!stmt.ok()) return stmt.status();
  stmt->bind_all(day_start, day_end);
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Entry& e = entries[{stmt->column_text(0), stmt->column_text(1)}];
    e.row.start_qty -= stmt->column_int64(2);
    e.start_cost -= stmt->column_int64(3);
    e.row.fills = stmt->column_int64(4);
    e.row.realised = stmt->column_int64(5);
    e.row.charges = stmt->column_int64(6);
  }
  return Status();
}

}  // namespace

Result<TodaysPnl> todays_pnl(Database& db, TimestampMs now) {
  TodaysPnl pnl;
  pnl.ist_date = ist_date(now);
  pnl.day_start = from_ist(pnl.ist_date, 0, 0);
  const TimestampMs day_end = from_ist(add_days(pnl.ist_date, 1), 0, 0);

  Entries entries;
  Result<std::vector<Position>> positions = list_positions(db, true);
  if (!positions.ok()) return positions.status();
  for (const Position& p : *positions) {
    Entry& e = entries[{p.strategy, p.symbol}];
    e.row.qty = e.row.start_qty = p.qty;
    e.cost = e.start_cost = p.cost;
  }

  if (Status undone = undo_fills_since(db, pnl.day_start, day_end, entries); !undone.ok()) {
    return undone;
  }

  // A position adjusted for a corporate action today holds the new quantity since 00:00 IST; its
  // previous close is put on the same footing by the action's price factor.
  Result<std::vector<ActionAdjustment>> adjusted_today = adjustments_on(db, pnl.ist_date);
  if (!adjusted_today.ok()) return adjusted_today.status();
  auto price_factor_today = [&](const std::string& strategy, const std::string& symbol) {
    for (const ActionAdjustment& a : *adjusted_today) {
      if (a.strategy == strategy && a.symbol == symbol) return a;
    }
    return ActionAdjustment{};
  };

  for (auto& [key, e] : entries) {
    TodaysPnlRow& r = e.row;
    r.strategy = key.first;
    r.symbol = key.second;
    if (r.start_qty != 0) {
      Result<std::optional<PricePoint>> mark = price_before(db, r.symbol, pnl.day_start);
      if (!mark.ok()) return mark.status();
      if (mark->has_value()) {
        const ActionAdjustment factor = price_factor_today(key.first, key.second);
        r.start_price = saturate(divide_half_away_from_zero(
            Int128{(*mark)->price} * factor.price_numerator, factor.price_denominator));
        r.start_unrealised = unrealised_at(r.start_qty, e.start_cost, *r.start_price);
      }
    }
    if (r.qty != 0) {
      Result<std::optional<PricePoint>> price = latest_price(db, r.symbol, now);
      if (!price.ok()) return price.status();
      if (price->has_value()) {
        r.price = (*price)->price;
        r.unrealised = unrealised_at(r.qty, e.cost, *r.price);
      } else {
        ++pnl.unpriced_positions;
      }
    }
    if (r.qty == 0 && r.start_qty == 0 && r.fills == 0) continue;
    pnl.realised = saturate(Int128{pnl.realised} + r.realised);
    pnl.charges = saturate(Int128{pnl.charges} + r.charges);
    pnl.start_unrealised = saturate(Int128{pnl.start_unrealised} + r.start_unrealised);
    pnl.unrealised = saturate(Int128{pnl.unrealised} + r.unrealised);
    pnl.rows.push_back(std::move(r));
  }
  pnl.unrealised_change = saturate(Int128{pnl.unrealised} - pnl.start_unrealised);
  pnl.net = saturate(Int128{pnl.realised} - pnl.charges + pnl.unrealised_change);
  return pnl;
}

}  // namespace sm::store
