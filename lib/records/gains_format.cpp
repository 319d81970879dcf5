// The capital-gains report as CSV and NDJSON (docs/RECORDS.md lists every column and record).
#include <fmt/format.h>

#include "core/json_writer.h"
#include "records/capital_gains.h"

namespace sm::records {

namespace {

// The sum of one field of the loss accounts of a kind.
Paise total(const std::vector<LossAccount>& losses, GainKind kind, Paise LossAccount::*field) {
  Paise sum = 0;
  for (const LossAccount& a : losses) sum += a.kind == kind ? a.*field : 0;
  return sum;
}

std::string percent(std::int64_t basis_points) {
  return fmt::format("{}.{:02}", basis_points / 100, basis_points % 100);
}

std::string joined(const std::vector<std::string>& flags) {
  return fmt::format("{}", fmt::join(flags, ";"));
}

}  // namespace

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
  for (GainKind kind : {GainKind::kShortTerm, GainKind::kLongTerm, GainKind::kSpeculative}) {
    const std::string_view name = gain_kind_name(kind);
    line(fmt::format("{}_loss_brought_forward", name),
         total(s.losses, kind, &LossAccount::brought_forward));
    line(fmt::format("{}_loss_brought_forward_set_off", name),
         total(s.losses, kind, &LossAccount::set_off));
    line(fmt::format("{}_loss_lapsed", name), total(s.losses, kind, &LossAccount::lapsed));
    line(fmt::format("{}_loss_carried_forward", name),
         total(s.losses, kind, &LossAccount::carried_forward));
  }
  line("speculative_gain", s.speculative_gain);
  line("speculative_taxable", s.speculative_taxable);
  line("speculative_turnover", s.speculative_turnover);
  line("delivery_turnover", s.delivery_turnover);
  out += fmt::format("{},tax,,,,,{}\n", fy, format_rupees(s.tax));
  return out;
}

std::string format_by_strategy_csv(const GainsReport& report) {
  std::string out =
      "financial_year,line,strategy,kind,disposals,quantity,sale_value,cost,transfer_expenses,"
      "stt,gain\n";
  const std::string fy = report.year.label();
  auto row = [&](std::string_view line, const StrategyGains& g) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", fy, line, csv_field(g.strategy),
                       gain_kind_name(g.kind), g.disposals, g.qty, format_rupees(g.sale_value),
                       format_rupees(g.cost), format_rupees(g.transfer_expenses),
                       format_rupees(g.stt), format_rupees(g.gain));
  };
  const std::vector<StrategyGains> by_strategy = gains_by_strategy(report.disposals);
  for (const StrategyGains& g : by_strategy) row("strategy", g);
  for (GainKind kind : {GainKind::kShortTerm, GainKind::kLongTerm, GainKind::kSpeculative}) {
    StrategyGains sum;
    sum.kind = kind;
    for (const StrategyGains& g : by_strategy) {
      if (g.kind == kind) sum.add(g);
    }
    if (sum.disposals > 0) row("total", sum);
  }
  return out;
}

std::string format_losses_csv(const GainsReport& report) {
  std::string out = "financial_year,incurred,kind,brought_forward,set_off,lapsed,carried_forward\n";
  for (const LossAccount& a : report.summary.losses) {
    out += fmt::format("{},{},{},{},{},{},{}\n", report.year.label(), a.incurred.label(),
                       gain_kind_name(a.kind), format_rupees(a.brought_forward),
                       format_rupees(a.set_off), format_rupees(a.lapsed),
                       format_rupees(a.carried_forward));
  }
  return out;
}

namespace {

// One NDJSON line per record: a JSON object then a line break.
template <typename Fields>
void json_line(std::string& out, std::string_view record, std::string_view fy, Fields fields) {
  JsonObjectWriter w(out);
  w.string("record", record).string("financial_year", fy);
  fields(w);
  w.finish();
  out += '\n';
}

void disposal_fields(JsonObjectWriter& w, const Disposal& d) {
  w.string("symbol", d.symbol)
      .string("isin", d.isin)
      .string("strategy", d.strategy)
      .string("kind", gain_kind_name(d.kind))
      .string("acquired", format_date(d.acquired))
      .string("sold", format_date(d.sold))
      .integer("quantity", d.qty)
      .rupees("purchase_value", d.purchase_value)
      .rupees("actual_cost", d.actual_cost)
      .rupees("fair_market_value", d.fair_market_value)
      .rupees("cost", d.cost)
      .rupees("sale_value", d.sale_value)
      .rupees("transfer_expenses", d.transfer_expenses)
      .rupees("stt", d.stt)
      .rupees("gain", d.gain())
      .integer("rate_basis_points", d.rate_basis_points)
      .string("flags", joined(d.flags));
}

void summary_fields(JsonObjectWriter& w, const GainsSummary& s) {
  w.rupees("ltcg_exemption", s.ltcg_exemption)
      .rupees("exemption_used", s.exemption_used)
      .rupees("short_term_loss_carried_forward", s.short_term_loss_carried)
      .rupees("long_term_loss_carried_forward", s.long_term_loss_carried)
      .rupees("speculative_gain", s.speculative_gain)
      .rupees("speculative_taxable", s.speculative_taxable)
      .rupees("speculative_loss_carried_forward", s.speculative_loss_carried)
      .rupees("speculative_turnover", s.speculative_turnover)
      .rupees("delivery_turnover", s.delivery_turnover)
      .rupees("tax", s.tax);
}

}  // namespace

std::string format_gains_ndjson(const GainsReport& report) {
  std::string out;
  const std::string fy = report.year.label();
  for (const Disposal& d : report.disposals) {
    json_line(out, "disposal", fy, [&](JsonObjectWriter& w) { disposal_fields(w, d); });
  }
  for (const RateBucket& b : report.summary.buckets) {
    json_line(out, "bucket", fy, [&](JsonObjectWriter& w) {
      w.string("kind", gain_kind_name(b.kind))
          .integer("rate_basis_points", b.rate_basis_points)
          .rupees("gains", b.gains)
          .rupees("losses", b.losses)
          .rupees("taxable", b.taxable)
          .rupees("tax", b.tax);
    });
  }
  for (const StrategyGains& g : gains_by_strategy(report.disposals)) {
    json_line(out, "strategy", fy, [&](JsonObjectWriter& w) {
      w.string("strategy", g.strategy)
          .string("kind", gain_kind_name(g.kind))
          .integer("disposals", g.disposals)
          .integer("quantity", g.qty)
          .rupees("sale_value", g.sale_value)
          .rupees("cost", g.cost)
          .rupees("transfer_expenses", g.transfer_expenses)
          .rupees("stt", g.stt)
          .rupees("gain", g.gain);
    });
  }
  for (const LossAccount& a : report.summary.losses) {
    json_line(out, "loss", fy, [&](JsonObjectWriter& w) {
      w.string("incurred", a.incurred.label())
          .string("kind", gain_kind_name(a.kind))
          .rupees("brought_forward", a.brought_forward)
          .rupees("set_off", a.set_off)
          .rupees("lapsed", a.lapsed)
          .rupees("carried_forward", a.carried_forward);
    });
  }
  json_line(out, "summary", fy, [&](JsonObjectWriter& w) { summary_fields(w, report.summary); });
  for (const ExcludedFill& e : report.excluded) {
    json_line(out, "excluded", fy, [&](JsonObjectWriter& w) {
      w.string("trade_id", e.fill.fill.trade_id)
          .string("symbol", e.fill.fill.symbol)
          .timestamp("ts", e.fill.fill.ts)
          .string("reason", e.reason);
    });
  }
  return out;
}

}  // namespace sm::records
