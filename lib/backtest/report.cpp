#include "backtest/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_writer.h"

namespace sm::backtest {
namespace {

std::string date_of(TimestampMs ts) { return format_date(ist_date(ts)); }

void optional_number(JsonObjectWriter& w, std::string_view key, std::optional<double> value) {
  if (value)
    w.number(key, *value);
  else
    w.raw(key, "null");
}

std::string string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, values[i]);
  }
  return out + "]";
}

std::string open_position_json(const OpenPosition& open) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("type", "open_position")
      .string("strategy", open.strategy)
      .string("symbol", open.symbol)
      .timestamp("entry_ts", open.entry_ts)
      .string("entry_date", date_of(open.entry_ts))
      .rupees("entry_price", open.entry_price)
      .integer("qty", open.qty)
      .rupees("entry_value", open.entry_value)
      .rupees("exit_value", open.exit_value)
      .timestamp("mark_ts", open.mark_ts)
      .string("mark_date", date_of(open.mark_ts))
      .rupees("mark_price", open.mark_price)
      .rupees("unrealized_pnl", open.unrealized_pnl)
      .rupees("charges", open.charges.total())
      .raw("charges_detail", charges_json(open.charges));
  w.finish();
  return out;
}

}  // namespace

std::string charges_json(const costs::Charges& c) {
  std::string out;
  JsonObjectWriter w(out);
  w.rupees("brokerage", c.brokerage)
      .rupees("stt", c.stt)
      .rupees("exchange", c.exchange)
      .rupees("sebi", c.sebi)
      .rupees("stamp", c.stamp)
      .rupees("gst", c.gst)
      .rupees("dp", c.dp)
      .rupees("total", c.total());
  w.finish();
  return out;
}

namespace {

std::string strategies_json(const std::vector<StrategySpec>& specs) {
  std::string strategies = "[";
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const StrategySpec& spec = specs[i];
    if (i > 0) strategies += ',';
    JsonObjectWriter w(strategies);
    w.string("id", spec.id)
        .string("name", spec.name)
        .raw("params", spec.params.is_null() ? "{}" : spec.params.dump())
        .raw("symbols", string_array(spec.symbols));
    w.finish();
  }
  strategies += "]";
  return strategies;
}

std::string open_positions_json(const std::vector<OpenPosition>& positions) {
  std::string open = "[";
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (i > 0) open += ',';
    open += open_position_json(positions[i]);
  }
  open += "]";
  return open;
}

std::string corporate_actions_json(const RunInfo& info) {
  std::string applied = "[";
  for (std::size_t i = 0; i < info.applied.size(); ++i) {
    const Adjustment& adjustment = info.applied[i];
    if (i > 0) applied += ',';
    JsonObjectWriter(applied)
        .string("symbol", adjustment.action.symbol)
        .string("ex_date", format_date(adjustment.action.ex_date))
        .string("kind", adjustment.action.kind_name())
        .string("ratio", adjustment.action.ratio())
        .integer("bars_adjusted", adjustment.bars_adjusted)
        .finish();
  }
  applied += ']';
  std::string out;
  JsonObjectWriter(out)
      .string("file", info.corporate_actions_file)
      .boolean("adjusted", info.adjusted)
      .raw("applied", applied)
      .finish();
  return out;
}

std::string data_issues_json(const RunInfo& info) {
  std::string issues;
  JsonObjectWriter w(issues);
  for (const auto& [kind, count] : info.data_issues) w.integer(kind, count);
  w.finish();
  return issues;
}

void write_configuration(JsonObjectWriter& w, const BacktestResult& result, const RunInfo& info) {
  const EngineConfig& c = result.config;
  w.raw("strategies", strategies_json(result.strategies))
      .raw("inputs", string_array(info.inputs))
      .string("fill", fill_timing_name(c.fill))
      .string("entry_order", entry_order_name(c.entry_order))
      .number("entry_offset_bps", static_cast<double>(c.entry_offset_centi_bps) / 100)
      .integer("order_valid_bars", c.order_valid_bars)
      .boolean("protective_stops", c.protective_stops)
      .string("slippage", slippage_name(c.slippage))
      .number("volume_cap", c.volume_cap)
      .string("product", product_name(c.product))
      .string("costs", result.cost_model)
      .string("gate", result.gate_name)
      .integer("max_open_positions", c.max_open_positions)
      .rupees("max_position_value", c.max_position_value)
      .boolean("close_at_end", c.close_at_end);
}

void write_performance(JsonObjectWriter& w, const Summary& s) {
  w.string("first_date", s.first_date)
      .string("last_date", s.last_date)
      .integer("bars", s.bars)
      .integer("days", s.days)
      .rupees("starting_cash", s.starting_cash)
      .rupees("final_equity", s.final_equity)
      .rupees("net_pnl", s.net_pnl)
      .rupees("realized_pnl", s.realized_pnl)
      .rupees("realized_net_pnl", s.realized_net_pnl)
      .rupees("unrealized_pnl", s.unrealized_pnl)
      .rupees("charges_paid", s.charges_paid)
      .raw("charges", charges_json(s.charges))
      .rupees("traded_value", s.traded_value)
      .number("turnover_ratio", s.turnover_ratio)
      .number("total_return", s.total_return);
  optional_number(w, "cagr", s.cagr);
  optional_number(w, "volatility", s.volatility);
  w.number("max_drawdown", s.max_drawdown)
      .rupees("max_drawdown_value", s.max_drawdown_value)
      .string("max_drawdown_peak_date", s.max_drawdown_peak_date)
      .string("max_drawdown_trough_date", s.max_drawdown_trough_date)
      .string("max_drawdown_recovery_date", s.max_drawdown_recovery_date)
      .integer("max_drawdown_days", s.max_drawdown_days)
      .integer("max_drawdown_calendar_days", s.max_drawdown_calendar_days)
      .integer("longest_drawdown_days", s.longest_drawdown_days);
  optional_number(w, "sharpe", s.sharpe);
  optional_number(w, "sortino", s.sortino);
  optional_number(w, "calmar", s.calmar);
  w.number("risk_free_rate", s.risk_free_rate);
}

void write_trade_statistics(JsonObjectWriter& w, const Summary& s) {
  w.integer("trades", s.trades).integer("winners", s.winners).integer("losers", s.losers);
  optional_number(w, "win_rate", s.win_rate);
  optional_number(w, "profit_factor", s.profit_factor);
  w.rupees("average_win", s.average_win)
      .rupees("average_loss", s.average_loss)
      .rupees("largest_win", s.largest_win)
      .rupees("largest_loss", s.largest_loss);
  optional_number(w, "average_bars_held", s.average_bars_held);
  w.number("exposure", s.exposure)
      .integer("signals", s.signals)
      .integer("denied", s.denied)
      .integer("fills", s.fills);
}

}  // namespace

std::string summary_json(const BacktestResult& result, const Summary& s, const RunInfo& info) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("type", "backtest_summary");
  write_configuration(w, result, info);
  write_performance(w, s);
  write_trade_statistics(w, s);
  w.raw("open_positions", open_positions_json(result.open_positions))
      .raw("data_quality", data_issues_json(info))
      .integer("corporate_actions_applied", info.corporate_actions_applied)
      .raw("corporate_actions", corporate_actions_json(info));
  w.finish();
  return out;
}

std::string trades_ndjson(const BacktestResult& result) {
  std::string out;
  for (const TradeRecord& t : result.trades) append_trade_line(out, t);
  return out + open_positions_ndjson(result);
}

void append_trade_line(std::string& out, const TradeRecord& t) {
  JsonObjectWriter w(out);
  w.string("type", "trade")
      .string("strategy", t.strategy)
      .string("symbol", t.symbol)
      .timestamp("entry_ts", t.entry_ts)
      .string("entry_date", date_of(t.entry_ts))
      .rupees("entry_price", t.entry_price())
      .timestamp("exit_ts", t.exit_ts)
      .string("exit_date", date_of(t.exit_ts))
      .rupees("exit_price", t.exit_price())
      .integer("qty", t.qty)
      .rupees("entry_value", t.entry_value)
      .rupees("exit_value", t.exit_value)
      .rupees("gross_pnl", t.gross_pnl)
      .rupees("charges", t.charges.total())
      .raw("charges_detail", charges_json(t.charges))
      .rupees("net_pnl", t.net_pnl)
      .integer("bars_held", t.bars_held)
      .string("exit_reason", t.exit_reason);
  w.finish();
  out += '\n';
}

std::string open_positions_ndjson(const BacktestResult& result) {
  std::string out;
  for (const OpenPosition& open : result.open_positions) {
    out += open_position_json(open);
    out += '\n';
  }
  return out;
}

std::string fills_ndjson(const BacktestResult& result) {
  std::string out;
  for (const FillRecord& f : result.fills) append_fill_line(out, f);
  return out;
}

void append_fill_line(std::string& out, const FillRecord& f) {
  {
    JsonObjectWriter w(out);
    w.string("type", "fill")
        .timestamp("ts", f.fill.ts)
        .string("client_order_id", f.fill.client_order_id)
        .string("broker_order_id", f.fill.broker_order_id)
        .string("trade_id", f.fill.trade_id)
        .string("strategy", f.fill.strategy)
        .string("symbol", f.fill.symbol)
        .string("side", side_name(f.fill.side))
        .integer("qty", f.fill.qty)
        .rupees("price", f.fill.price)
        .rupees("charges", f.fill.charges)
        .raw("charges_detail", charges_json(f.charges))
        .string("order_type", f.order_type)
        .string("trigger", f.trigger)
        .rupees("cash_after", f.cash_after);
    w.finish();
    out += '\n';
  }
}

std::string signals_ndjson(const BacktestResult& result) {
  std::string out;
  for (const SignalRecord& r : result.signals) append_signal_line(out, r);
  return out;
}

void append_signal_line(std::string& out, const SignalRecord& r) {
  {
    append_json(out, Message{r.signal});
    // Extend the protocol object with what became of the signal (readers ignore unknown fields).
    out.pop_back();
    std::string extra;
    JsonObjectWriter w(extra);
    w.string("outcome", signal_outcome_name(r.outcome))
        .integer("filled_qty", r.filled_qty)
        .string("gate_code", r.gate.code)
        .string("detail", r.detail);
    w.finish();
    out += ',';
    out.append(extra, 1, std::string::npos);
    out += '\n';
  }
}

std::string equity_csv(const BacktestResult& result) {
  std::string out(kEquityCsvHeader);
  Paise peak = result.config.starting_cash;
  for (const EquityPoint& p : result.equity) append_equity_row(out, p, peak);
  return out;
}

void append_equity_row(std::string& out, const EquityPoint& p, Paise& peak) {
  peak = std::max(peak, p.equity());
  const double dd =
      peak > 0 ? 1.0 - static_cast<double>(p.equity()) / static_cast<double>(peak) : 0.0;
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{:.6f},{}\n", format_utc(p.ts),
                 date_of(p.ts), format_rupees(p.cash), format_rupees(p.positions_value),
                 format_rupees(p.equity()), dd, p.invested ? 1 : 0);
}

std::string format_percent(std::optional<double> value) {
  return value ? fmt::format("{:.2f}%", *value * 100) : "-";
}

std::string format_ratio(std::optional<double> value) {
  return value ? fmt::format("{:.3f}", *value) : "-";
}

std::string corporate_actions_note(const RunInfo& info) {
  if (info.corporate_actions_file.empty()) return "no corporate-actions file: prices as printed";
  if (!info.adjusted) {
    return fmt::format("not applied (--no-adjust): prices as printed; listed in {}",
                       info.corporate_actions_file);
  }
  if (info.applied.empty()) {
    return fmt::format("none in the data (listed in {})", info.corporate_actions_file);
  }
  std::string listed;
  for (const Adjustment& adjustment : info.applied) {
    if (!listed.empty()) listed += ", ";
    listed += fmt::format("{} {} {} on {}", adjustment.action.symbol, adjustment.action.kind_name(),
                          adjustment.action.ratio(), format_date(adjustment.action.ex_date));
  }
  return fmt::format("{} applied from {}: {} (earlier prices back-adjusted)", info.applied.size(),
                     info.corporate_actions_file, listed);
}

std::string summary_table(const BacktestResult& result, const Summary& s, const RunInfo& info) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto row = [&](std::string name, std::string value) {
    rows.emplace_back(std::move(name), std::move(value));
  };
  std::string names;
  for (const StrategySpec& spec : result.strategies) {
    if (!names.empty()) names += ", ";
    names += spec.id + " " + (spec.params.is_null() ? "{}" : spec.params.dump());
  }
  row("Strategy", names);
  row("Period",
      s.first_date + " .. " + s.last_date + fmt::format(" ({} bars, {} days)", s.bars, s.days));
  row("Fill / costs",
      fmt::format("{}, {} entries, slippage {}, costs {} ({}), gate {}",
                  fill_timing_name(result.config.fill), entry_order_name(result.config.entry_order),
                  slippage_name(result.config.slippage), result.cost_model,
                  product_name(result.config.product), result.gate_name));
  row("Starting cash", format_rupees_grouped(s.starting_cash));
  row("Final equity", format_rupees_grouped(s.final_equity));
  row("Net P&L", format_rupees_grouped(s.net_pnl));
  row("Realized P&L (gross)", format_rupees_grouped(s.realized_pnl));
  row("Unrealized P&L", format_rupees_grouped(s.unrealized_pnl));
  row("Charges paid", format_rupees_grouped(s.charges_paid));
  row("Total return", format_percent(s.total_return));
  row("CAGR", format_percent(s.cagr));
  row("Volatility (annual)", format_percent(s.volatility));
  row("Max drawdown",
      s.max_drawdown > 0
          ? fmt::format("{} ({}), {} .. {}, {} days{}", format_percent(s.max_drawdown),
                        format_rupees_grouped(s.max_drawdown_value), s.max_drawdown_peak_date,
                        s.max_drawdown_trough_date, s.max_drawdown_days,
                        s.max_drawdown_recovery_date.empty()
                            ? " (not recovered)"
                            : ", recovered " + s.max_drawdown_recovery_date)
          : "0.00%");
  row("Sharpe", format_ratio(s.sharpe));
  row("Sortino", format_ratio(s.sortino));
  row("Calmar", format_ratio(s.calmar));
  row("Trades", fmt::format("{} ({} won, {} lost)", s.trades, s.winners, s.losers));
  row("Win rate", format_percent(s.win_rate));
  row("Profit factor", format_ratio(s.profit_factor));
  row("Average win / loss",
      format_rupees_grouped(s.average_win) + " / " + format_rupees_grouped(s.average_loss));
  row("Exposure", format_percent(s.exposure));
  row("Turnover", format_rupees_grouped(s.traded_value) +
                      fmt::format(" ({:.2f}x starting cash)", s.turnover_ratio));
  row("Signals / fills", fmt::format("{} / {} ({} denied)", s.signals, s.fills, s.denied));
  row("Corporate actions", corporate_actions_note(info));
  for (const OpenPosition& open : result.open_positions) {
    row("Open at end",
        fmt::format("{} {} x{} since {} @ {}, marked {} -> {}", open.strategy, open.symbol,
                    open.qty, date_of(open.entry_ts), format_rupees(open.entry_price),
                    format_rupees(open.mark_price), format_rupees_grouped(open.unrealized_pnl)));
  }
  std::size_t width = 0;
  for (const auto& [name, value] : rows) width = std::max(width, name.size());
  std::string out;
  for (const auto& [name, value] : rows) {
    fmt::format_to(std::back_inserter(out), "{:<{}}  {}\n", name, width, value);
  }
  return out;
}

}  // namespace sm::backtest
