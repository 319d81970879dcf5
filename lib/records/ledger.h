// The trade ledger: every fill as a contract note lists it, with the charges itemised and totals
// per IST day (docs/RECORDS.md). The fills table keeps one charge total per fill; the items are
// priced again with the cost model at the rates in force on the fill's date, and a fill whose
// stored total differs from the items is flagged rather than silently corrected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "costs/cost_model.h"
#include "store/database.h"

namespace sm::records {

// Where a fill came from. Reconcile records the broker's trades it did not know under strategy
// "external", cancels a fill the broker never made with "reversal:<trade id>" and brings a
// position to the broker's quantity with "adjust:<symbol>:<ms>" (order/reconcile.h).
enum class FillOrigin { kOurs, kExternal, kReversal, kAdjustment };
std::string_view origin_name(FillOrigin origin);
FillOrigin origin_of(const Fill& fill);

struct LedgerFill {
  Fill fill;
  std::string exchange = "NSE";  // the order's, else the instrument's, else NSE
  std::string isin;              // empty when the instruments table does not know it
  Product product = Product::kDelivery;
  bool product_known = false;  // false: no order row (an adjustment); delivery assumed
  FillOrigin origin = FillOrigin::kOurs;
  // Cancelled by a later reversal fill: the broker never made this trade. It and its reversal
  // stay in the ledger (flagged) but out of the day totals, the gains and the statements.
  bool reversed = false;
  costs::Charges charges;  // itemised; all zero for reversal and adjustment fills
  // True when the total stored with the fill differs from charges.total().
  bool stored_charges_differ() const { return fill.charges != charges.total(); }
  // True when the fill counts as a trade: neither reversed nor a reversal.
  bool counts() const { return !reversed && origin != FillOrigin::kReversal; }
};

// The fills with ts in [from, to), oldest first, with exchange, ISIN, product and origin from the
// orders and instruments tables, reversals matched, charges not yet itemised.
// Fails with kDatabaseError.
Result<std::vector<LedgerFill>> read_fills(store::Database& db, TimestampMs from, TimestampMs to);

// Prices each fill's charges with model at the rates of its IST date. The DP charge goes to the
// first counting delivery sell of a symbol on each IST day among fills (the depository levies it
// once per ISIN per day), so fills should start at an IST midnight. Reversal and adjustment fills
// cost nothing (reconcile stores them with charges 0: the broker never charged them). Fails when
// the model has no rates for a fill's date.
Status itemise_charges(std::vector<LedgerFill>& fills, const costs::CostModel& model);

// What one IST day's contract note totals: the counting fills of that day.
struct DayTotals {
  Date day;
  int fills = 0;
  Paise bought = 0;  // value of buys (price x quantity)
  Paise sold = 0;
  costs::Charges charges;
  // What the day's trades leave to pay (negative) or receive (positive): sold - bought - charges.
  Paise net() const { return sold - bought - charges.total(); }
};
// The totals per IST day, oldest first; days without a counting fill are left out.
std::vector<DayTotals> day_totals(const std::vector<LedgerFill>& fills);

// CSV with a header line, one row per fill (docs/RECORDS.md lists the columns).
std::string format_ledger_csv(const std::vector<LedgerFill>& fills);
// CSV with a header line, one row per day.
std::string format_day_totals_csv(const std::vector<DayTotals>& days);
// One JSON object per line: {"record":"fill",...} per fill, then {"record":"day_total",...}.
std::string format_ledger_ndjson(const std::vector<LedgerFill>& fills,
                                 const std::vector<DayTotals>& days);

// The flags of a fill for people and CSV: "external", "reversal", "reversed", "adjustment",
// "product_assumed", "stored_charges_differ", joined by ';' (empty when none).
std::string fill_flags(const LedgerFill& fill);

// A CSV field: quoted (with quotes doubled) when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view text);

}  // namespace sm::records
