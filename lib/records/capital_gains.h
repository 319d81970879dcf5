// The capital-gains report of one financial year for listed equity (docs/RECORDS.md): FIFO lots
// built from the fills, each sale matched against them, short- and long-term split by a 12-month
// holding, rates and the yearly exemption from GainsRates, 31 January 2018 grandfathering,
// intraday (speculative) trades apart from delivery, bonus and split lots, losses set off (the
// year's own and those brought forward), the turnover for s.44AB, the gains per strategy.
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

// One sale (or one intraday buy that closed a short sale) matched against one lot.
struct Disposal {
  std::string symbol;
  std::string isin;
  std::string strategy;  // of the fill that closed the match: the sale, or the buy closing a short
  GainKind kind = GainKind::kShortTerm;
  Date acquired;  // the lot's date: a split keeps it, a bonus lot has the allotment date
  Date sold;      // for an intraday short, the day it was sold
  Quantity qty = 0;
  Paise sale_value = 0;  // full value of consideration: price x quantity
  Paise transfer_expenses =
      0;                     // the sale's brokerage, exchange, SEBI, stamp, GST and DP, its share
  Paise purchase_value = 0;  // price x quantity of the purchase, its share; no charges
  Paise actual_cost = 0;     // purchase_value plus the purchase's charges other than STT
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

// One loss in the year's books: brought forward from an earlier year, or made in this one.
// brought_forward = set_off + lapsed + carried_forward, and for this year's own loss
// brought_forward is 0 and carried_forward what is left of it after this year's set-off.
struct LossAccount {
  FinancialYear incurred;
  GainKind kind = GainKind::kShortTerm;
  Paise brought_forward = 0;
  Paise set_off = 0;          // against this year's gains (brought-forward losses only)
  Paise lapsed = 0;           // past the years it may be carried: 8 (capital), 4 (speculative)
  Paise carried_forward = 0;  // into the next year
};

struct GainsSummary {
  std::vector<RateBucket> buckets;  // short-term then long-term, by rate descending
  Paise ltcg_exemption = 0;         // of the year (the rate file's figure on 31 March)
  Paise exemption_used = 0;
  // Carried forward into the next year, this year's losses and the earlier ones still in time.
  Paise short_term_loss_carried = 0;
  Paise long_term_loss_carried = 0;
  Paise speculative_gain = 0;  // the year's net speculative result when positive, else 0
  // speculative_gain less the speculative losses brought forward: taxed at the filer's slab rate,
  // so no tax figure here.
  Paise speculative_taxable = 0;
  Paise speculative_loss_carried = 0;
  // Brought-forward losses, oldest first, then this year's (one per kind with a loss left).
  std::vector<LossAccount> losses;
  // s.44AB turnover as the ICAI Guidance Note on Tax Audit counts it for shares: speculative
  // trades give the sum of the absolute differences (sale value - purchase value of each
  // disposal, before charges); delivery trades, when the shares are stock-in-trade, the sale
  // value. Delivery shares held as investments give capital gains and no turnover.
  Paise speculative_turnover = 0;
  Paise delivery_turnover = 0;  // the sale value of the year's short- and long-term disposals
  Paise tax = 0;                // sum of the buckets' tax, before surcharge and cess
};

// The disposals closed by one strategy's fills, of one kind, added up. Set-off, the exemption
// and tax belong to the filer, not to a strategy, so they are not split.
struct StrategyGains {
  std::string strategy;
  GainKind kind = GainKind::kShortTerm;
  int disposals = 0;
  Quantity qty = 0;
  Paise sale_value = 0;
  Paise cost = 0;
  Paise transfer_expenses = 0;
  Paise stt = 0;
  Paise gain = 0;  // the sum of the disposals' gain()
  // Adds other's counts and sums; strategy and kind stay as they are.
  void add(const StrategyGains& other);
};

// The sums of disposals per strategy and kind, by strategy name then kind (short-term,
// long-term, speculative); each kind's sums over all strategies are those of the disposals.
std::vector<StrategyGains> gains_by_strategy(const std::vector<Disposal>& disposals);

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
// brought_forward are the losses of earlier years not yet set off (parse_brought_forward_losses);
// after the year's own set-off they are set off oldest first, before the exemption (s.74: a
// short-term loss against short- then long-term gains, a long-term loss against long-term gains,
// long-term losses first there as they have no other use; s.73: a speculative loss against
// speculative income only). Fails with kInvalidArgument when year begins before the rates file
// or a loss brought forward was not made before year, kNotFound when a sale has no rate.
Result<GainsReport> capital_gains(const std::vector<LedgerFill>& fills,
                                  const std::vector<CorporateAction>& actions,
                                  const GainsRates& rates, const FairMarketValues& fmv,
                                  FinancialYear year,
                                  const std::vector<BroughtForwardLoss>& brought_forward = {});

// CSV of the disposals (header, one row per disposal), of the summary (one row per bucket, then
// the year's totals), of the loss accounts (one row each, columns incurred, kind and
// carried_forward read back by parse_brought_forward_losses) and of the gains per strategy (one
// row per strategy and kind, then a total row per kind). NDJSON: {"record":"disposal"},
// {"record":"bucket"}, {"record":"strategy"}, {"record":"loss"}, {"record":"summary"} and
// {"record":"excluded"} lines.
std::string format_disposals_csv(const GainsReport& report);
std::string format_summary_csv(const GainsReport& report);
std::string format_losses_csv(const GainsReport& report);
std::string format_by_strategy_csv(const GainsReport& report);
std::string format_gains_ndjson(const GainsReport& report);

}  // namespace sm::records
