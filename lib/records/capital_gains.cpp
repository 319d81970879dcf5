#include "records/capital_gains.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <utility>

#include "core/json_writer.h"

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
  std::map<std::string, std::deque<Open>> intraday;  // open lots of one side, oldest first
};

class Matcher {
 public:
  Matcher(const GainsRates& rates, const FairMarketValues& fmv, FinancialYear year)
      : rates_(rates), fmv_(fmv), year_(year) {}

  Status delivery(const LedgerFill& f) {
    std::deque<Open>& lots = books_.delivery[f.fill.symbol];
    Open leg = open_of(f);
    if (f.fill.side == Side::kBuy) {
      lots.push_back(std::move(leg));
      return Status();
    }
    // Shares bought today first: the exchange nets them against today's sale (speculative).
    for (auto it = lots.begin(); leg.qty > 0 && it != lots.end();) {
      if (it->day != leg.day) {
        ++it;
        continue;
      }
      Open bought = take(*it, std::min(it->qty, leg.qty));
      if (Status s = dispose(f, bought, take(leg, bought.qty), true); !s.ok()) return s;
      it = it->qty == 0 ? lots.erase(it) : std::next(it);
    }
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

  Status intraday(const LedgerFill& f) {
    std::deque<Open>& lots = books_.intraday[f.fill.symbol];
    Open leg = open_of(f);
    while (leg.qty > 0 && !lots.empty() && lots.front().side != leg.side) {
      Open opened = take(lots.front(), std::min(lots.front().qty, leg.qty));
      if (lots.front().qty == 0) lots.pop_front();
      Open closing = take(leg, opened.qty);
      const bool long_trade = opened.side == Side::kBuy;
      if (!long_trade && opened.day != closing.day) closing.flags.emplace_back("short_overnight");
      Status s = long_trade ? dispose(f, opened, closing, true) : dispose(f, closing, opened, true);
      if (!s.ok()) return s;
    }
    if (leg.qty > 0) lots.push_back(std::move(leg));
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
  Status dispose(const LedgerFill& f, const Open& bought, const Open& sold, bool speculative) {
    if (!year_.contains(sold.day)) return Status();
    Disposal d;
    d.symbol = f.fill.symbol;
    d.isin = f.isin;
    d.acquired = bought.day;
    d.sold = sold.day;
    d.qty = sold.qty;
    d.sale_value = sold.value;
    d.transfer_expenses = sold.charges;
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

GainsSummary summarise(const std::vector<Disposal>& disposals, Paise exemption) {
  GainsSummary s;
  s.ltcg_exemption = exemption;
  std::map<std::pair<int, std::int64_t>, RateBucket> buckets;
  Paise speculative = 0;
  for (const Disposal& d : disposals) {
    if (d.kind == GainKind::kSpeculative) {
      speculative += d.gain();
      continue;
    }
    // Keyed so that short-term comes first, then the higher rate.
    RateBucket& b = buckets[{d.kind == GainKind::kShortTerm ? 0 : 1, -d.rate_basis_points}];
    b.kind = d.kind;
    b.rate_basis_points = d.rate_basis_points;
    (d.gain() >= 0 ? b.gains : b.losses) += d.gain() >= 0 ? d.gain() : -d.gain();
  }
  s.speculative_gain = std::max<Paise>(speculative, 0);
  s.speculative_loss_carried = std::max<Paise>(-speculative, 0);
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
  Paise exemption_left = exemption;
  for (RateBucket& b : s.buckets) {
    if (b.kind != GainKind::kLongTerm || b.rate_basis_points == 0) continue;
    const Paise used = use(exemption_left, b.taxable);
    b.taxable -= used;
    s.exemption_used += used;
  }
  s.short_term_loss_carried = short_loss;
  s.long_term_loss_carried = long_loss;
  for (RateBucket& b : s.buckets) {
    b.tax =
        multiply_divide(b.taxable, b.rate_basis_points, 10'000, DivideRounding::kHalfAwayFromZero);
    s.tax += b.tax;
  }
  return s;
}

std::string percent(std::int64_t basis_points) {
  return fmt::format("{}.{:02}", basis_points / 100, basis_points % 100);
}

std::string joined(const std::vector<std::string>& flags) {
  return fmt::format("{}", fmt::join(flags, ";"));
}

}  // namespace

std::string_view gain_kind_name(GainKind kind) {
  switch (kind) {
    case GainKind::kShortTerm:
      return "short_term";
    case GainKind::kLongTerm:
      return "long_term";
    case GainKind::kSpeculative:
      return "speculative";
  }
  return "short_term";
}

Result<GainsReport> capital_gains(const std::vector<LedgerFill>& fills,
                                  const std::vector<CorporateAction>& actions,
                                  const GainsRates& rates, const FairMarketValues& fmv,
                                  FinancialYear year) {
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
  for (const LedgerFill& f : fills) {
    const Date day = ist_date(f.fill.ts);
    if (year.last_day() < day) break;
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
  report.disposals = std::move(matcher.disposals());
  Result<GainsRate> year_end = rates.on(year.last_day());
  if (!year_end.ok()) return year_end.status();
  report.summary = summarise(report.disposals, year_end->ltcg_exemption);
  return report;
}

std::string format_disposals_csv(const GainsReport& report) {
  std::string out =
      "financial_year,symbol,isin,kind,acquired,sold,holding_days,quantity,actual_cost,"
      "fair_market_value,cost,sale_value,transfer_expenses,stt,gain,rate_percent,flags\n";
  for (const Disposal& d : report.disposals) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", report.year.label(),
        csv_field(d.symbol), csv_field(d.isin), gain_kind_name(d.kind), format_date(d.acquired),
        format_date(d.sold), days_from_civil(d.sold) - days_from_civil(d.acquired), d.qty,
        format_rupees(d.actual_cost), format_rupees(d.fair_market_value), format_rupees(d.cost),
        format_rupees(d.sale_value), format_rupees(d.transfer_expenses), format_rupees(d.stt),
        format_rupees(d.gain()), percent(d.rate_basis_points), joined(d.flags));
  }
  return out;
}

std::string format_summary_csv(const GainsReport& report) {
  const GainsSummary& s = report.summary;
  std::string out = "financial_year,line,rate_percent,gains,losses,taxable,tax\n";
  const std::string fy = report.year.label();
  for (const RateBucket& b : s.buckets) {
    out += fmt::format("{},{},{},{},{},{},{}\n", fy, gain_kind_name(b.kind),
                       percent(b.rate_basis_points), format_rupees(b.gains),
                       format_rupees(b.losses), format_rupees(b.taxable), format_rupees(b.tax));
  }
  auto line = [&](std::string_view name, Paise amount) {
    out += fmt::format("{},{},,,,{},\n", fy, name, format_rupees(amount));
  };
  line("ltcg_exemption", s.ltcg_exemption);
  line("exemption_used", s.exemption_used);
  line("short_term_loss_carried_forward", s.short_term_loss_carried);
  line("long_term_loss_carried_forward", s.long_term_loss_carried);
  line("speculative_gain", s.speculative_gain);
  line("speculative_loss_carried_forward", s.speculative_loss_carried);
  out += fmt::format("{},tax,,,,,{}\n", fy, format_rupees(s.tax));
  return out;
}

std::string format_gains_ndjson(const GainsReport& report) {
  std::string out;
  const std::string fy = report.year.label();
  for (const Disposal& d : report.disposals) {
    JsonObjectWriter w(out);
    w.string("record", "disposal")
        .string("financial_year", fy)
        .string("symbol", d.symbol)
        .string("isin", d.isin)
        .string("kind", gain_kind_name(d.kind))
        .string("acquired", format_date(d.acquired))
        .string("sold", format_date(d.sold))
        .integer("quantity", d.qty)
        .rupees("actual_cost", d.actual_cost)
        .rupees("fair_market_value", d.fair_market_value)
        .rupees("cost", d.cost)
        .rupees("sale_value", d.sale_value)
        .rupees("transfer_expenses", d.transfer_expenses)
        .rupees("stt", d.stt)
        .rupees("gain", d.gain())
        .integer("rate_basis_points", d.rate_basis_points)
        .string("flags", joined(d.flags));
    w.finish();
    out += '\n';
  }
  for (const RateBucket& b : report.summary.buckets) {
    JsonObjectWriter w(out);
    w.string("record", "bucket")
        .string("financial_year", fy)
        .string("kind", gain_kind_name(b.kind))
        .integer("rate_basis_points", b.rate_basis_points)
        .rupees("gains", b.gains)
        .rupees("losses", b.losses)
        .rupees("taxable", b.taxable)
        .rupees("tax", b.tax);
    w.finish();
    out += '\n';
  }
  const GainsSummary& s = report.summary;
  JsonObjectWriter w(out);
  w.string("record", "summary")
      .string("financial_year", fy)
      .rupees("ltcg_exemption", s.ltcg_exemption)
      .rupees("exemption_used", s.exemption_used)
      .rupees("short_term_loss_carried_forward", s.short_term_loss_carried)
      .rupees("long_term_loss_carried_forward", s.long_term_loss_carried)
      .rupees("speculative_gain", s.speculative_gain)
      .rupees("speculative_loss_carried_forward", s.speculative_loss_carried)
      .rupees("tax", s.tax);
  w.finish();
  out += '\n';
  for (const ExcludedFill& e : report.excluded) {
    JsonObjectWriter x(out);
    x.string("record", "excluded")
        .string("financial_year", fy)
        .string("trade_id", e.fill.fill.trade_id)
        .string("symbol", e.fill.fill.symbol)
        .timestamp("ts", e.fill.fill.ts)
        .string("reason", e.reason);
    x.finish();
    out += '\n';
  }
  return out;
}

}  // namespace sm::records
