#include "alert/summary.h"

#include <fmt/format.h>

#include "core/money.h"
#include "core/timestamp.h"
#include "store/rows.h"
#include "store/trading_records.h"

namespace sm::alert {
namespace {

std::string rupees(Paise amount) { return "₹" + format_rupees_grouped(amount); }

std::string signed_rupees(Paise amount) {
  return (amount >= 0 ? "+₹" : "-₹") + format_rupees_grouped(amount >= 0 ? amount : -amount);
}

std::string clock_ist(TimestampMs ts) { return format_ist(ts, false).substr(11, 5); }

}  // namespace

std::string summary_text(const SummaryInput& input, std::size_t max_trade_lines) {
  const store::StatusReport& report = *input.report;
  const store::TodaysPnl& pnl = report.pnl;
  std::string out = fmt::format("Daily summary for {}\n", format_date(ist_date(report.now)));
  out += fmt::format("Net P&L today: {} (realised {}, charges {}, unrealised change {})\n",
                     signed_rupees(pnl.net), signed_rupees(pnl.realised), rupees(pnl.charges),
                     signed_rupees(pnl.unrealised_change));

  out += fmt::format("Trades today: {}\n", input.fills.size());
  for (std::size_t i = 0; i < input.fills.size() && i < max_trade_lines; ++i) {
    const Fill& f = input.fills[i];
    out += fmt::format("- {} {} {} {} @ {} ({})\n", clock_ist(f.ts), side_name(f.side), f.qty,
                       f.symbol, rupees(f.price), f.strategy);
  }
  if (input.fills.size() > max_trade_lines) {
    out += fmt::format("- and {} more (sm-status, the fills table)\n",
                       input.fills.size() - max_trade_lines);
  }

  out += fmt::format("Open positions: {}\n", report.positions.size());
  for (const store::PositionStatus& p : report.positions) {
    out += fmt::format("- {} {} ({}): cost {}", p.position.symbol, p.position.qty,
                       p.position.strategy, rupees(p.position.cost));
    if (p.last_price) out += fmt::format(", last {}", rupees(*p.last_price));
    if (p.unrealised) out += fmt::format(", unrealised {}", signed_rupees(*p.unrealised));
    out += "\n";
  }

  if (input.halts.empty()) {
    out += "Halts today: none\n";
  } else {
    out += fmt::format("Halts today: {}\n", input.halts.size());
    for (const store::HaltRecord& h : input.halts) {
      out += fmt::format(
          "- {} {} ({}) by {}: {}{}\n", clock_ist(h.created_ms), h.level, h.trigger, h.set_by,
          h.reason,
          h.cleared_ms ? fmt::format("; lifted {} by {}", clock_ist(*h.cleared_ms), h.cleared_by)
                       : std::string("; still in force (sm-risk resume)"));
    }
  }
  out += fmt::format("Alerts today: {} critical, {} warning; errors: {}\n", input.critical_alerts,
                     input.warning_alerts, input.errors);

  if (input.divergence.empty()) {
    out += "Divergence from the backtest: not measured\n";
  } else {
    out += "Divergence from the backtest:\n";
    for (const std::string& line : input.divergence) out += "- " + line + "\n";
  }

  if (input.tomorrow.empty()) {
    out += "Tomorrow: no dated dependency runs out";
  } else {
    out += "Tomorrow, renew first:";
    for (const store::DatedDependency& d : input.tomorrow) {
      out += fmt::format("\n- {} is {}: {}", d.name, d.state, d.detail);
    }
  }
  return out;
}

std::vector<std::string> divergence_lines(const std::optional<store::DivergenceRecord>& record,
                                          std::string_view date) {
  std::vector<std::string> lines;
  if (!record || record->date != date) return lines;
  lines.push_back(fmt::format("signals: {} live, {} expected ({} missed, {} extra)",
                              record->signals_live, record->signals_expected,
                              record->signals_missed, record->signals_extra));
  lines.push_back(fmt::format("orders checked: {}; fills missed {}, late {}",
                              record->orders_checked, record->fills_missed, record->fills_late));
  lines.push_back(fmt::format("slippage: mean {:.1f} bps, worst {:.1f} bps",
                              record->slippage_bps_mean, record->slippage_bps_worst));
  lines.push_back(
      fmt::format("P&L difference (live - expected): {}", signed_rupees(record->pnl_difference)));
  if (!record->breaches.empty()) lines.push_back("thresholds breached: " + record->breaches);
  return lines;
}

Status load_day_records(store::Database& db, TimestampMs day_start, TimestampMs now,
                        SummaryInput& input) {
  Result<std::vector<Fill>> fills = store::list_fills(db, day_start, now + 1);
  if (!fills.ok()) return fills.status();
  input.fills = std::move(*fills);
  // Every halt set today, lifted or not (active_halts would miss the lifted ones).
  Result<std::vector<store::HaltRecord>> halts = store::halts_set_since(db, day_start);
  if (!halts.ok()) return halts.status();
  input.halts = std::move(*halts);
  Result<store::Statement> counts = db.prepare(
      "SELECT COALESCE(SUM(severity = 'critical'), 0), COALESCE(SUM(severity = 'warning'), 0), "
      "COALESCE(SUM(event LIKE '%error%'), 0) FROM alerts WHERE ts_ms >= ?1 AND event <> "
      "'daily_summary'");
  if (!counts.ok()) return counts.status();
  counts->bind(1, day_start);
  Result<bool> row = counts->step();
  if (!row.ok()) return row.status();
  input.critical_alerts = counts->column_int64(0);
  input.warning_alerts = counts->column_int64(1);
  input.errors = counts->column_int64(2);
  return Status();
}

Result<bool> summary_stored(store::Database& db, std::string_view dedup_key) {
  Result<store::Statement> stmt = db.prepare(
      "SELECT 1 FROM alerts WHERE component = 'sm-alert' AND event = 'daily_summary' AND "
      "dedup_key = ?1 LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, dedup_key);
  return stmt->step();
}

Alert summary_alert(const SummaryInput& input, TimestampMs now) {
  Alert alert;
  alert.ts = now;
  alert.severity = Severity::kInfo;
  alert.component = "sm-alert";
  alert.event = "daily_summary";
  alert.text = summary_text(input);
  alert.dedup_key = fmt::format("daily_summary:{}", format_date(ist_date(now)));
  return alert;
}

}  // namespace sm::alert
