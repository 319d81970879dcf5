// The capital-gains report of one financial year for listed equity (docs/RECORDS.md): FIFO lots
// built from the fills, each sale matched against them, short- and long-term split by a 12-month
// holding, rates and the yearly exemption from GainsRates, 31 January 2018 grandfathering,
// intraday (speculative) trades apart from delivery, bonus and split lots, losses set off.
//
// Rounding: every amount is whole paise. A lot's cost and a sale's expenses are shared between the
// parts they are split into by quantity, each part rounded half-even from what is left, so the
// parts always add up to the whole to the paisa. Tax is computed once per year per rate, on the
// year's net taxable gain (tax is levied on the year's income, not per sale: rounding per sale
// would make the total depend on how the sales were split), and rounded half away from zero to
// the paisa. The return itself rounds income and tax to Rs 10 (ss. 288A, 288B), which is left to
// the return.
#pragma once

#include <string>
#include <vector>

#include "core/corporate_action.h"
#include "core/status.h"
#include "records/gains_rates.h"
#include "records/ledger.h"

namespace sm::records {

enum class GainKind { kShortTerm, kLongTerm, kSpeculative };
std::string_view gain_kind_name(GainKind kind);  // "short_term", "long_term", "speculative"

// One sale (or one intraday buy that closed a short sale) matched against one lot.
struct Disposal {
  std::string symbol;
  std::string isin;
  GainKind kind = GainKind::kShortTerm;
  Date acquired;  // the lot's date: a split keeps it, a bonus lot has the allotment date
  Date sold;      // for an intraday short, the day it was sold
  Quantity qty = 0;
  Paise sale_value = 0;  // full value of consideration: price x quantity
  Paise transfer_expenses =
      0;                  // the sale's brokerage, exchange, SEBI, stamp, GST and DP, its share
  Paise actual_cost = 0;  // purchase value plus the purchase's charges other than STT, its share
  // The cost the gain is computed with: actual_cost, or for a long-term lot bought on or before
  // 2018-01-31 max(actual_cost, min(FMV x qty, sale_value)).
  Paise cost = 0;
  Paise fair_market_value = 0;  // FMV x qty when grandfathered, else 0
  // STT on both legs, its share. Not deductible from capital gains (s.48); a business expense of
  // speculative trades (s.36(1)(xv)), so it is in gain() only for those.
  Paise stt = 0;
  std::int64_t rate_basis_points = 0;  // the rate in force on the sale date (0 for speculative)
  // external, adjustment, bonus, split, grandfathered, fmv_missing, no_purchase, short_overnight
  std::vector<std::string> flags;
  Paise gain() const {
    return sale_value - transfer_expenses - cost - (kind == GainKind::kSpeculative ? stt : 0);
  }
};

// The gains of one kind taxed at one rate: the sums of the disposals and what is left of them
// after set-off and the exemption.
struct RateBucket {
  GainKind kind = GainKind::kShortTerm;
  std::int64_t rate_basis_points = 0;
  Paise gains = 0;   // sum of positive disposal gains
  Paise losses = 0;  // sum of negative ones, as a positive number
  Paise taxable = 0;
  Paise tax = 0;
};

struct GainsSummary {
  std::vector<RateBucket> buckets;  // short-term then long-term, by rate descending
  Paise ltcg_exemption = 0;         // of the year (the rate file's figure on 31 March)
  Paise exemption_used = 0;
  Paise short_term_loss_carried = 0;  // not set off this year: carried forward (8 years)
  Paise long_term_loss_carried = 0;
  Paise speculative_gain = 0;  // net; taxed at the filer's slab rate, so no tax figure here
  Paise speculative_loss_carried = 0;
  Paise tax = 0;  // sum of the buckets' tax, before surcharge and cess
};

// A fill the report did not use as a trade, with why: reversed (with its reversal).
struct ExcludedFill {
  LedgerFill fill;
  std::string reason;
};

struct GainsReport {
  FinancialYear year;
  std::vector<Disposal> disposals;  // of sales in the year, by sale time
  GainsSummary summary;
  std::vector<ExcludedFill> excluded;  // in the year
};

// The report of year from every fill up to the end of that year (all of them: lots bought years
// before are sold in it), oldest first, with charges itemised (itemise_charges). actions are the
// corporate actions (sorted, as parse_corporate_actions returns them). A fill's product decides
// its book: intraday (MIS) fills are matched among themselves; a delivery sell is matched first
// against delivery buys of the same IST day (the exchange nets a day's trades in a scrip, so those
// shares were never delivered: speculative) and then FIFO against older lots. Fails with
// kInvalidArgument when year begins before the rates file, kNotFound when a sale has no rate.
Result<GainsReport> capital_gains(const std::vector<LedgerFill>& fills,
                                  const std::vector<CorporateAction>& actions,
                                  const GainsRates& rates, const FairMarketValues& fmv,
                                  FinancialYear year);

// CSV of the disposals (header, one row per disposal), and of the summary (one row per bucket,
// then the year's totals). NDJSON: {"record":"disposal"}, {"record":"bucket"}, {"record":"summary"}
// and {"record":"excluded"} lines.
std::string format_disposals_csv(const GainsReport& report);
std::string format_summary_csv(const GainsReport& report);
std::string format_gains_ndjson(const GainsReport& report);

}  // namespace sm::records
