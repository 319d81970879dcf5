#include "records/capital_gains.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <utility>

namespace sm::records {

namespace {

// Lots bought on or before this day are grandfathered (s.112A(2)(a), s.55(2)(ac)) when sold on
// or after kGrandfatheringFrom, the first day s.112A taxes.
constexpr Date kGrandfatheredUpTo{2018, 1, 31};
constexpr Date kGrandfatheringFrom{2018, 4, 1};

// One leg's amounts still open: what is left of a purchase (a lot) or of a sale being matched.
struct Open {
  TimestampMs ts = 0;
  Date day;
  Side side = Side::kBuy;
  Quantity qty = 0;
  Paise value = 0;    // price x quantity
  Paise charges = 0;  // the charges other than STT: transfer expenses or cost of acquisition
  Paise stt = 0;
  // Splits since 2018-01-31 made each share of that day split_b / split_a shares. The FMV of that
  // day is per share as then quoted, so a share now is worth FMV x split_a / split_b of it (a bonus
  // adds a lot of its own instead).
  std::int64_t split_a = 1;
  std::int64_t split_b = 1;
  std::vector<std::string> flags;
  const LedgerFill* fill = nullptr;  // the fill this leg is (a part of); none for a bonus lot
};

// The part of `from` that qty shares carry, by quantity and rounded half-even from what is left,
// taken out of `from`: the last part takes exactly the remainder, so no paisa is lost or made.
Open take(Open& from, Quantity qty) {
  Open part = from;
  part.qty = qty;
  if (qty < from.qty) {
    part.value = multiply_divide(from.value, qty, from.qty, DivideRounding::kHalfEven);
    part.charges = multiply_divide(from.charges, qty, from.qty, DivideRounding::kHalfEven);
    part.stt = multiply_divide(from.stt, qty, from.qty, DivideRounding::kHalfEven);
  }
  from.qty -= qty;
  from.value -= part.value;
  from.charges -= part.charges;
  from.stt -= part.stt;
  return part;
}

Open open_of(const LedgerFill& f) {
  Open o;
  o.fill = &f;
  o.ts = f.fill.ts;
  o.day = ist_date(f.fill.ts);
  o.side = f.fill.side;
  o.qty = f.fill.qty;
  o.value = f.fill.price * f.fill.qty;
  o.stt = f.charges.stt;
  o.charges = f.charges.total() - f.charges.stt;
  if (f.origin == FillOrigin::kExternal) o.flags.emplace_back("external");
  if (f.origin == FillOrigin::kAdjustment) o.flags.emplace_back("adjustment");
  return o;
}

// The day twelve months after date (29 February to 28 February).
Date twelve_months_after(Date date) {
  Date next{date.year + 1, date.month, date.day};
  if (next.month == 2 && next.day == 29 && !parse_date(format_date(next)).ok()) next.day = 28;
  return next;
}

void add_flags(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& flag : from) {
    if (std::find(to.begin(), to.end(), flag) == to.end()) to.push_back(flag);
  }
}

struct Books {
  std::map<std::string, std::deque<Open>> delivery;  // long lots, oldest first
  std::map<std::string, std::deque<Open>> intraday;  // open legs of one side, oldest first
  // The current IST day's delivery legs not matched within the day, all of one side per symbol.
  std::map<std::string, std::deque<Open>> delivery_today;
};

class Matcher {
 public:
  Matcher(const GainsRates& rates, const FairMarketValues& fmv, FinancialYear year)
      : rates_(rates), fmv_(fmv), year_(year) {}

  // A delivery fill is matched first against the opposite delivery fills of its symbol earlier
  // the same IST day, as an intraday trade is: the exchange settles a client's net quantity of a
  // scrip for the day, so the matched shares are never delivered and the trade is speculative
  // (s.43(5)), whichever side came first. A sale and a re-buy of held shares on one day is thus an
  // intraday trade and the held lot stays as it was, as brokers' tax P&L statements show it.
  Status delivery(const LedgerFill& f) { return match(books_.delivery_today[f.fill.symbol], f); }

  // An intraday (MIS) fill closes the opposite legs left open, oldest first; the rest stays open.
  Status intraday(const LedgerFill& f) { return match(books_.intraday[f.fill.symbol], f); }

  // Settles the day's delivery legs left unmatched within it: a buy becomes a lot, a sale is
  // matched FIFO against the lots. Called before the first fill of each new IST day (and before
  // that day's corporate actions) and after the last fill.
  Status end_day() {
    for (auto& [symbol, legs] : books_.delivery_today) {
      std::deque<Open>& lots = books_.delivery[symbol];
      for (Open& leg : legs) {
        if (leg.side == Side::kBuy) {
          lots.push_back(std::move(leg));
        } else if (Status s = sell_from_lots(lots, leg); !s.ok()) {
          return s;
        }
      }
      legs.clear();
    }
    return Status();
  }

  // What a corporate action does to the delivery lots of its symbol held into its ex-date.
  void apply(const CorporateAction& action) {
    auto found = books_.delivery.find(action.symbol);
    if (found == books_.delivery.end() || found->second.empty()) return;
    std::deque<Open>& lots = found->second;
    if (action.kind == ActionKind::kSplit) {
      // A old shares become B: the quantity moves, the cost and the holding date stay.
      for (Open& lot : lots) {
        lot.qty = multiply_divide(lot.qty, action.b, action.a, DivideRounding::kTowardZero);
        if (kGrandfatheredUpTo < action.ex_date) {
          lot.split_a *= action.a;
          lot.split_b *= action.b;
        }
        add_flags(lot.flags, {"split"});
      }
      return;
    }
    Quantity held = 0;
    for (const Open& lot : lots) held += lot.qty;
    // A new shares for every B held, of cost zero, acquired on the allotment date; the ex-date
    // stands in for it (the file carries no allotment date, a few days later).
    Open bonus;
    bonus.ts = from_ist(action.ex_date, 0, 0);
    bonus.day = action.ex_date;
    bonus.qty = multiply_divide(held, action.a, action.b, DivideRounding::kTowardZero);
    bonus.flags.emplace_back("bonus");
    if (bonus.qty > 0) lots.push_back(std::move(bonus));
  }

  std::vector<Disposal>& disposals() { return disposals_; }

 private:
  Status match(std::deque<Open>& open, const LedgerFill& f) {
    Open leg = open_of(f);
    while (leg.qty > 0 && !open.empty() && open.front().side != leg.side) {
      Open opened = take(open.front(), std::min(open.front().qty, leg.qty));
      if (open.front().qty == 0) open.pop_front();
      Open closing = take(leg, opened.qty);
      const bool long_trade = opened.side == Side::kBuy;
      if (!long_trade && opened.day != closing.day) closing.flags.emplace_back("short_overnight");
      Status s = long_trade ? dispose(f, opened, closing, true) : dispose(f, closing, opened, true);
      if (!s.ok()) return s;
    }
    if (leg.qty > 0) open.push_back(std::move(leg));
    return Status();
  }

  Status sell_from_lots(std::deque<Open>& lots, Open& leg) {
    const LedgerFill& f = *leg.fill;
    while (leg.qty > 0 && !lots.empty()) {
      Open bought = take(lots.front(), std::min(lots.front().qty, leg.qty));
      if (lots.front().qty == 0) lots.pop_front();
      if (Status s = dispose(f, bought, take(leg, bought.qty), false); !s.ok()) return s;
    }
    if (leg.qty > 0) {
      // A sale of shares the fills never bought (held from before the records, or a gap):
      // reported at cost 0 so that it is seen, not guessed.
      Open none;
      none.day = leg.day;
      none.qty = leg.qty;
      none.flags.emplace_back("no_purchase");
      return dispose(f, none, take(leg, leg.qty), false);
    }
    return Status();
  }

  Status dispose(const LedgerFill& f, const Open& bought, const Open& sold, bool speculative) {
    if (!year_.contains(sold.day)) return Status();
    Disposal d;
    d.symbol = f.fill.symbol;
    d.isin = f.isin;
    d.strategy = f.fill.strategy;
    d.acquired = bought.day;
    d.sold = sold.day;
    d.qty = sold.qty;
    d.sale_value = sold.value;
    d.transfer_expenses = sold.charges;
    d.purchase_value = bought.value;
    d.actual_cost = bought.value + bought.charges;
    d.cost = d.actual_cost;
    d.stt = bought.stt + sold.stt;
    add_flags(d.flags, bought.flags);
    add_flags(d.flags, sold.flags);
    if (speculative) {
      d.kind = GainKind::kSpeculative;
    } else {
      d.kind =
          d.sold > twelve_months_after(d.acquired) ? GainKind::kLongTerm : GainKind::kShortTerm;
      Result<GainsRate> rate = rates_.on(d.sold);
      if (!rate.ok()) return rate.status();
      d.rate_basis_points =
          d.kind == GainKind::kLongTerm ? rate->ltcg_basis_points : rate->stcg_basis_points;
      if (d.kind == GainKind::kLongTerm && d.acquired <= kGrandfatheredUpTo &&
          d.sold >= kGrandfatheringFrom) {
        grandfather(d, bought.split_a, bought.split_b);
      }
    }
    disposals_.push_back(std::move(d));
    return Status();
  }

  // s.55(2)(ac): cost = max(actual cost, min(FMV on 2018-01-31, full value of consideration)).
  void grandfather(Disposal& d, std::int64_t split_a, std::int64_t split_b) const {
    auto fmv = fmv_.find(d.symbol);
    if (fmv == fmv_.end()) {
      add_flags(d.flags, {"fmv_missing"});
      return;
    }
    d.fair_market_value =
        multiply_divide(fmv->second * d.qty, split_a, split_b, DivideRounding::kHalfEven);
    d.cost = std::max(d.actual_cost, std::min(d.fair_market_value, d.sale_value));
    add_flags(d.flags, {"grandfathered"});
  }

  const GainsRates& rates_;
  const FairMarketValues& fmv_;
  FinancialYear year_;
  Books books_;
  std::vector<Disposal> disposals_;
};

// Takes up to amount from *available, returning what it took.
Paise use(Paise& available, Paise amount) {
  const Paise used = std::min(available, amount);
  available -= used;
  return used;
}

// How many years after the one it was made in a loss may be set off: the eight assessment years
// after its own for a capital loss (s.74(1)), four for a speculative one (s.73(4)).
int years_carried(GainKind kind) { return kind == GainKind::kSpeculative ? 4 : 8; }

// s.74 and s.73: the losses of earlier years against what is left of the year's gains after the
// year's own set-off, oldest first; what is left is carried on while in time, else lapses.
void set_off_brought_forward(GainsSummary& s, const std::vector<BroughtForwardLoss>& losses,
                             FinancialYear year) {
  std::vector<LossAccount> accounts;
  std::vector<Paise> left;
  for (const BroughtForwardLoss& loss : losses) {
    LossAccount a;
    a.incurred = loss.incurred;
    a.kind = loss.kind;
    a.brought_forward = loss.amount;
    const bool in_time = year.start_year - loss.incurred.start_year <= years_carried(loss.kind);
    a.lapsed = in_time ? 0 : loss.amount;
    left.push_back(in_time ? loss.amount : 0);
    accounts.push_back(a);
  }
  auto set_off = [&](GainKind loss_kind, GainKind gain_kind) {
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      if (accounts[i].kind != loss_kind) continue;
      for (RateBucket& b : s.buckets) {
        if (b.kind != gain_kind) continue;
        const Paise used = use(left[i], b.taxable);
        b.taxable -= used;
        accounts[i].set_off += used;
      }
    }
  };
  set_off(GainKind::kShortTerm, GainKind::kShortTerm);
  set_off(GainKind::kLongTerm, GainKind::kLongTerm);
  set_off(GainKind::kShortTerm, GainKind::kLongTerm);
  s.speculative_taxable = s.speculative_gain;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].kind == GainKind::kSpeculative) {
      const Paise used = use(left[i], s.speculative_taxable);
      s.speculative_taxable -= used;
      accounts[i].set_off += used;
    }
  }
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const bool next_in_time =
        year.start_year + 1 - accounts[i].incurred.start_year <= years_carried(accounts[i].kind);
    (next_in_time ? accounts[i].carried_forward : accounts[i].lapsed) += left[i];
  }
  s.losses = std::move(accounts);
}

GainsSummary summarise(const std::vector<Disposal>& disposals, Paise exemption,
                       const std::vector<BroughtForwardLoss>& brought_forward, FinancialYear year) {
  GainsSummary s;
  s.ltcg_exemption = exemption;
  std::map<std::pair<int, std::int64_t>, RateBucket> buckets;
  Paise speculative = 0;
  for (const Disposal& d : disposals) {
    if (d.kind == GainKind::kSpeculative) {
      speculative += d.gain();
      // Each matched trade is settled by its own difference, gained or lost (Guidance Note).
      s.speculative_turnover += d.sale_value >= d.purchase_value ? d.sale_value - d.purchase_value
                                                                 : d.purchase_value - d.sale_value;
      continue;
    }
    s.delivery_turnover += d.sale_value;
    // Keyed so that short-term comes first, then the higher rate.
    RateBucket& b = buckets[{d.kind == GainKind::kShortTerm ? 0 : 1, -d.rate_basis_points}];
    b.kind = d.kind;
    b.rate_basis_points = d.rate_basis_points;
    (d.gain() >= 0 ? b.gains : b.losses) += d.gain() >= 0 ? d.gain() : -d.gain();
  }
  s.speculative_gain = std::max<Paise>(speculative, 0);
  for (auto& [key, b] : buckets) s.buckets.push_back(b);

  // Exempt long-term gains (rate 0, before 2018-04-01) neither absorb nor give set-off.
  Paise short_loss = 0;
  Paise long_loss = 0;
  for (RateBucket& b : s.buckets) {
    if (b.rate_basis_points == 0) continue;
    b.taxable = b.gains;
    (b.kind == GainKind::kShortTerm ? short_loss : long_loss) += b.losses;
  }
  // s.70: a short-term loss against any capital gain, a long-term one against long-term gains
  // only; each against the gains taxed at the highest rate first (the order buckets are in within
  // a kind), which is the order most favourable to the filer.
  for (RateBucket& b : s.buckets) {
    if (b.kind == GainKind::kShortTerm) b.taxable -= use(short_loss, b.taxable);
  }
  for (RateBucket& b : s.buckets) {
    if (b.kind != GainKind::kLongTerm) continue;
    b.taxable -= use(short_loss, b.taxable);
    b.taxable -= use(long_loss, b.taxable);
  }
  // Then the losses of earlier years (s.74 sets off a brought-forward loss against the year's
  // capital gains, and the exemption of s.112A applies to what is left of them).
  set_off_brought_forward(s, brought_forward, year);
  Paise exemption_left = exemption;
  for (RateBucket& b : s.buckets) {
    if (b.kind != GainKind::kLongTerm || b.rate_basis_points == 0) continue;
    const Paise used = use(exemption_left, b.taxable);
    b.taxable -= used;
    s.exemption_used += used;
  }
  // The year's own losses left over are carried from this year on.
  const std::pair<GainKind, Paise> own[] = {
      {GainKind::kShortTerm, short_loss},
      {GainKind::kLongTerm, long_loss},
      {GainKind::kSpeculative, std::max<Paise>(-speculative, 0)}};
  for (const auto& [kind, amount] : own) {
    if (amount == 0) continue;
    LossAccount a;
    a.incurred = year;
    a.kind = kind;
    a.carried_forward = amount;
    s.losses.push_back(a);
  }
  for (const LossAccount& a : s.losses) {
    Paise& carried = a.kind == GainKind::kShortTerm  ? s.short_term_loss_carried
                     : a.kind == GainKind::kLongTerm ? s.long_term_loss_carried
                                                     : s.speculative_loss_carried;
    carried += a.carried_forward;
  }
  for (RateBucket& b : s.buckets) {
    b.tax =
        multiply_divide(b.taxable, b.rate_basis_points, 10'000, DivideRounding::kHalfAwayFromZero);
    s.tax += b.tax;
  }
  return s;
}

}  // namespace

Result<GainsReport> capital_gains(const std::vector<LedgerFill>& fills,
                                  const std::vector<CorporateAction>& actions,
                                  const GainsRates& rates, const FairMarketValues& fmv,
                                  FinancialYear year,
                                  const std::vector<BroughtForwardLoss>& brought_forward) {
  for (const BroughtForwardLoss& loss : brought_forward) {
    if (loss.incurred.start_year >= year.start_year) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("the {} loss of {} cannot be brought forward into {}: only losses "
                               "of earlier years are",
                               gain_kind_name(loss.kind), loss.incurred.label(), year.label()));
    }
  }
  if (year.first_day() < rates.earliest()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("financial year {} begins before the capital-gains rates file "
                             "(from {})",
                             year.label(), format_date(rates.earliest())));
  }
  std::vector<CorporateAction> by_date = actions;
  std::stable_sort(
      by_date.begin(), by_date.end(),
      [](const CorporateAction& a, const CorporateAction& b) { return a.ex_date < b.ex_date; });
  GainsReport report;
  report.year = year;
  Matcher matcher(rates, fmv, year);
  std::size_t next_action = 0;
  std::optional<Date> current_day;
  for (const LedgerFill& f : fills) {
    const Date day = ist_date(f.fill.ts);
    if (year.last_day() < day) break;
    if (current_day && *current_day != day) {
      if (Status s = matcher.end_day(); !s.ok()) return s;
    }
    current_day = day;
    while (next_action < by_date.size() && by_date[next_action].ex_date <= day) {
      matcher.apply(by_date[next_action++]);
    }
    if (!f.counts()) {
      if (year.contains(day)) {
        report.excluded.push_back({f, f.reversed ? "reversed: the broker never made this trade"
                                                 : "reversal of a fill the broker never made"});
      }
      continue;
    }
    Status matched = f.product == Product::kIntraday ? matcher.intraday(f) : matcher.delivery(f);
    if (!matched.ok()) return matched;
  }
  if (Status s = matcher.end_day(); !s.ok()) return s;
  report.disposals = std::move(matcher.disposals());
  Result<GainsRate> year_end = rates.on(year.last_day());
  if (!year_end.ok()) return year_end.status();
  report.summary = summarise(report.disposals, year_end->ltcg_exemption, brought_forward, year);
  return report;
}

void StrategyGains::add(const StrategyGains& other) {
  disposals += other.disposals;
  qty += other.qty;
  sale_value += other.sale_value;
  cost += other.cost;
  transfer_expenses += other.transfer_expenses;
  stt += other.stt;
  gain += other.gain;
}

std::vector<StrategyGains> gains_by_strategy(const std::vector<Disposal>& disposals) {
  std::map<std::pair<std::string, GainKind>, StrategyGains> sums;
  for (const Disposal& d : disposals) {
    StrategyGains& g = sums[{d.strategy, d.kind}];
    g.strategy = d.strategy;
    g.kind = d.kind;
    StrategyGains one;
    one.disposals = 1;
    one.qty = d.qty;
    one.sale_value = d.sale_value;
    one.cost = d.cost;
    one.transfer_expenses = d.transfer_expenses;
    one.stt = d.stt;
    one.gain = d.gain();
    g.add(one);
  }
  std::vector<StrategyGains> out;
  out.reserve(sums.size());
  for (auto& [key, g] : sums) out.push_back(std::move(g));
  return out;
}

}  // namespace sm::records
