// What a live fill costs, itemised as a contract note does (lib/costs), so that positions, today's
// P&L (store::todays_pnl: sm-status and the risk gateway's daily-loss switch) are net of charges.
#pragma once

#include "core/messages.h"
#include "core/status.h"
#include "costs/cost_model.h"
#include "store/database.h"

namespace sm::order {

// The charges of fill (a trade of an order with product), at the rates in force on the fill's IST
// date. Charges are per trade, as the broker's contract note and the paper broker levy them; the DP
// charge goes to a delivery sell unless the database already holds another delivery sell fill of
// the symbol that IST day (once per ISIN per day). Fails on a database error, or when the model
// has no rates for the date.
Result<costs::Charges> fill_charges(store::Database& db, const costs::CostModel& model,
                                    const Fill& fill, Product product);

}  // namespace sm::order
