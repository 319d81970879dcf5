#include "records/statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include "core/position.h"
#include "html/page.h"

namespace sm::records {

namespace {

using Key = std::pair<std::string, std::string>;  // strategy, symbol

Date period_start(Date day, StatementPeriod period) {
  return period == StatementPeriod::kDay ? day : Date{day.year, day.month, 1};
}

Date next_period(Date start, StatementPeriod period) {
  if (period == StatementPeriod::kDay) return add_days(start, 1);
  return start.month == 12 ? Date{start.year + 1, 1, 1} : Date{start.year, start.month + 1, 1};
}

std::string period_label(Date start, StatementPeriod period) {
  return period == StatementPeriod::kDay ? format_date(start)
                                         : fmt::format("{:04}-{:02}", start.year, start.month);
}

// Average price for display: cost / qty, half-even; 0 when flat.
Paise average_price(Paise cost, Quantity qty) {
  if (qty == 0) return 0;
  return mean_half_even(qty < 0 ? -cost : cost, qty < 0 ? -qty : qty);
}

std::string halt_note(const store::HaltRecord& h) {
  std::string note = fmt::format("{} ({}) set by {} at {}: {}", h.level, h.trigger, h.set_by,
                                 format_ist(h.created_ms), h.reason);
  if (h.cleared_ms) {
    note += fmt::format("; cleared by {} at {}", h.cleared_by, format_ist(*h.cleared_ms));
  }
  return note;
}

}  // namespace

Result<StatementPeriod> parse_statement_period(std::string_view text) {
  if (text == "day") return StatementPeriod::kDay;
  if (text == "month") return StatementPeriod::kMonth;
  return error(ErrorCode::kInvalidArgument, fmt::format("period '{}' is not day or month", text));
}

Paise Statement::realised() const {
  Paise sum = 0;
  for (const StatementLine& l : lines) sum += l.realised;
  return sum;
}
Paise Statement::charges() const {
  Paise sum = 0;
  for (const StatementLine& l : lines) sum += l.charges;
  return sum;
}
Paise Statement::unrealised() const {
  Paise sum = 0;
  for (const StatementLine& l : lines) sum += l.unrealised;
  return sum;
}

Result<std::vector<Statement>> build_statements(const std::vector<LedgerFill>& fills,
                                                const std::vector<CorporateAction>& actions,
                                                const std::vector<store::HaltRecord>& halts,
                                                StatementPeriod period, Date first_day,
                                                Date last_day, const MarkPrice& mark) {
  std::vector<CorporateAction> by_date = actions;
  std::stable_sort(
      by_date.begin(), by_date.end(),
      [](const CorporateAction& a, const CorporateAction& b) { return a.ex_date < b.ex_date; });
  std::map<Key, Position> positions;
  std::size_t next_fill = 0;
  std::size_t next_action = 0;
  std::map<Key, StatementLine>* lines = nullptr;  // the period being built, when in range
  bool traded = false;

  // Moves the positions through every fill and action before `until`.
  auto advance = [&](TimestampMs until) {
    while (true) {
      const bool fill_due = next_fill < fills.size() && fills[next_fill].fill.ts < until;
      const bool action_due =
          next_action < by_date.size() && from_ist(by_date[next_action].ex_date, 0, 0) < until;
      if (!fill_due && !action_due) return;
      if (action_due &&
          (!fill_due || from_ist(by_date[next_action].ex_date, 0, 0) <= fills[next_fill].fill.ts)) {
        const CorporateAction& a = by_date[next_action++];
        for (auto& [key, position] : positions) {
          if (key.second == a.symbol) position = adjust_position(position, a).position;
        }
        continue;
      }
      const LedgerFill& f = fills[next_fill++];
      if (!f.counts()) continue;
      const Key key{f.fill.strategy, f.fill.symbol};
      const FillEffect effect = apply_fill(positions[key], f.fill.side, f.fill.qty, f.fill.price);
      positions[key] = effect.position;
      if (lines == nullptr) continue;
      StatementLine& line = (*lines)[key];
      (f.fill.side == Side::kBuy ? line.bought : line.sold) += f.fill.qty;
      line.realised += effect.realised;
      line.charges += f.charges.total();
      traded = true;
    }
  };

  std::vector<Statement> out;
  for (Date start = period_start(first_day, period); start <= last_day;
       start = next_period(start, period)) {
    const Date next = next_period(start, period);
    const TimestampMs start_ms = from_ist(start, 0, 0);
    const TimestampMs end_ms = from_ist(next, 0, 0);
    advance(start_ms);
    std::map<Key, StatementLine> period_lines;
    for (const auto& [key, position] : positions) {
      if (position.qty != 0) period_lines[key].opening_qty = position.qty;
    }
    lines = &period_lines;
    traded = false;
    advance(end_ms);
    lines = nullptr;

    Statement s;
    s.label = period_label(start, period);
    s.first_day = start;
    s.last_day = add_days(next, -1);
    for (const store::HaltRecord& h : halts) {
      if (start_ms <= h.created_ms && h.created_ms < end_ms) s.halts.push_back(h);
    }
    for (auto& [key, line] : period_lines) {
      const Position& position = positions[key];
      line.strategy = key.first;
      line.symbol = key.second;
      line.closing_qty = position.qty;
      line.closing_cost = position.cost;
      if (position.qty != 0) {
        Result<std::optional<Paise>> price = mark(key.second, end_ms);
        if (!price.ok()) return price.status();
        line.mark = *price;
        if (line.mark) line.unrealised = *line.mark * position.qty - position.cost;
      }
      s.lines.push_back(std::move(line));
    }
    const bool holding = !s.lines.empty();
    if (traded || !s.halts.empty() || (period == StatementPeriod::kMonth && holding)) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::string format_statements_csv(const std::vector<Statement>& statements) {
  std::string out =
      "period,line,strategy,symbol,opening_qty,bought,sold,closing_qty,average_price,mark_price,"
      "realised,charges,unrealised,note\n";
  for (const Statement& s : statements) {
    for (const StatementLine& l : s.lines) {
      out +=
          fmt::format("{},position,{},{},{},{},{},{},{},{},{},{},{},\n", s.label,
                      csv_field(l.strategy), csv_field(l.symbol), l.opening_qty, l.bought, l.sold,
                      l.closing_qty, format_rupees(average_price(l.closing_cost, l.closing_qty)),
                      l.mark ? format_rupees(*l.mark) : "", format_rupees(l.realised),
                      format_rupees(l.charges), format_rupees(l.unrealised));
    }
    out += fmt::format("{},total,,,,,,,,,{},{},{},realised after charges {}\n", s.label,
                       format_rupees(s.realised()), format_rupees(s.charges()),
                       format_rupees(s.unrealised()), format_rupees(s.realised() - s.charges()));
    for (const store::HaltRecord& h : s.halts) {
      out += fmt::format("{},halt,,,,,,,,,,,,{}\n", s.label, csv_field(halt_note(h)));
    }
  }
  return out;
}

std::string format_statements_html(const std::vector<Statement>& statements,
                                   std::string_view title) {
  std::string out;
  html::open_page(out, title);
  if (statements.empty()) out += "<p class=\"note\">No trades, positions or halts.</p>\n";
  for (const Statement& s : statements) {
    fmt::format_to(std::back_inserter(out),
                   "<h2>{}</h2>\n<div class=\"sub\">{} .. {} (IST)</div>\n<div class=\"metrics\">",
                   html::escape(s.label), format_date(s.first_day), format_date(s.last_day));
    const Paise net = s.realised() - s.charges();
    html::card(out, "Realised P&amp;L", format_rupees_grouped(s.realised()),
               html::sign_class(s.realised()));
    html::card(out, "Charges", format_rupees_grouped(s.charges()), s.charges() > 0 ? "neg" : "");
    html::card(out, "Realised after charges", format_rupees_grouped(net), html::sign_class(net));
    html::card(out, "Unrealised at close", format_rupees_grouped(s.unrealised()),
               html::sign_class(s.unrealised()));
    html::card(out, "Halts", fmt::format("{}", s.halts.size()), s.halts.empty() ? "" : "neg");
    out += "</div>\n";
    if (!s.lines.empty()) {
      out +=
          "<h3>Positions</h3>\n<table><tr><th class=\"l\">Strategy</th><th class=\"l\">Symbol</th>"
          "<th>Opening</th><th>Bought</th><th>Sold</th><th>Closing</th><th>Avg price</th>"
          "<th>Mark</th><th>Realised</th><th>Charges</th><th>Unrealised</th></tr>\n";
      for (const StatementLine& l : s.lines) {
        fmt::format_to(
            std::back_inserter(out),
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td>"
            "<td class=\"{}\">{}</td></tr>\n",
            html::escape(l.strategy.empty() ? "(manual)" : l.strategy), html::escape(l.symbol),
            l.opening_qty, l.bought, l.sold, l.closing_qty,
            format_rupees_grouped(average_price(l.closing_cost, l.closing_qty)),
            l.mark ? format_rupees_grouped(*l.mark) : "-", html::sign_class(l.realised),
            format_rupees_grouped(l.realised), format_rupees_grouped(l.charges),
            html::sign_class(l.unrealised), format_rupees_grouped(l.unrealised));
      }
      out += "</table>\n";
    }
    if (!s.halts.empty()) {
      out += "<h3>Halts</h3>\n<table>\n";
      for (const store::HaltRecord& h : s.halts) {
        fmt::format_to(std::back_inserter(out), "<tr><td class=\"l w\">{}</td></tr>\n",
                       html::escape(halt_note(h)));
      }
      out += "</table>\n";
    }
  }
  out +=
      "<p class=\"note\">Money is exact to the paisa. Positions by the average-cost method per "
      "strategy and symbol, as the store keeps them; realised P&amp;L is gross, charges are "
      "itemised as in the trade ledger; unrealised P&amp;L is at the last price known by the "
      "period's end. docs/RECORDS.md defines every figure.</p>\n";
  html::close_page(out);
  return out;
}

}  // namespace sm::records
