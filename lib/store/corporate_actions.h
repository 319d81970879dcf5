// Positions across corporate actions (docs/CORPORATE_ACTIONS.md, "Live"): on a bonus's or a
// split's ex-date a held position's quantity is scaled by the ratio with its cost unchanged
// (core/corporate_action.h adjust_position), once, with an audit row. Whichever program looks
// first (sm-risk at start and at each new IST day, sm-order and sm-reconcile before they compare
// with the broker) applies it; the others find it done.
#pragma once

#include <string>
#include <vector>

#include "core/corporate_action.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "store/database.h"

namespace sm::store {

// One row of corporate_action_adjustments.
struct ActionAdjustment {
  std::string strategy;
  std::string symbol;
  Date ex_date;
  std::string kind;   // bonus, split
  std::string ratio;  // "1:1" as listed
  // The price factor price_numerator / price_denominator (CorporateAction::numerator/denominator).
  std::int64_t price_numerator = 1;
  std::int64_t price_denominator = 1;
  Quantity qty_before = 0;
  Quantity qty_after = 0;
  Paise cost = 0;  // unchanged by the action
  // The share fraction the ratio gave beyond qty_after, in 1/price_numerator of a share: the
  // company pays it in cash later, outside the trade book (not modelled).
  std::int64_t fraction_numerator = 0;
  TimestampMs recorded_ms = 0;
  std::string recorded_by;  // the program that applied it
};

// Applies to every open position each action of its symbol it has crossed by now: those with an
// ex-date after the IST date of the position's last change (positions.updated_ms) and on or before
// the IST date of now, oldest first. Each adjustment sets qty to adjust_position's, keeps cost and
// realised P&L, moves updated_ms to 00:00 IST of the ex-date (so a later look finds it crossed)
// and appends its audit row, all in one transaction with the others; a (strategy, symbol,
// ex-date) already in the audit is never applied again. Returns what this call applied (empty when
// nothing was due or another program had done it). Fails with kDatabaseError, or kInternal when a
// quantity would overflow (nothing is written then).
Result<std::vector<ActionAdjustment>> apply_corporate_actions(
    Database& db, const std::vector<CorporateAction>& actions, TimestampMs now,
    std::string_view recorded_by);

// The adjustments with ex-date on day, by strategy then symbol (todays_pnl, the risk gateway).
Result<std::vector<ActionAdjustment>> adjustments_on(Database& db, Date day);

// Every adjustment, oldest first.
Result<std::vector<ActionAdjustment>> list_adjustments(Database& db);

}  // namespace sm::store
