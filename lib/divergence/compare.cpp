#include "divergence/compare.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "core/json_writer.h"

namespace sm::divergence {
namespace {

using SignalKey = std::tuple<TimestampMs, std::string, std::string, SignalAction, Quantity, Paise>;

SignalKey key_of(const Signal& s) { return {s.ts, s.strategy, s.symbol, s.action, s.qty, s.price}; }

// +1 for a buy (entering long), -1 for a sell (exiting long).
int side_sign(SignalAction action) { return action == SignalAction::kEnterLong ? 1 : -1; }

// Whether each signal of `of` has a match in `in` (each match used once: two equal signals need
// two).
std::vector<bool> matched(const std::vector<Signal>& of, const std::vector<Signal>& in) {
  std::multiset<SignalKey> available;
  for (const Signal& s : in) available.insert(key_of(s));
  std::vector<bool> out;
  out.reserve(of.size());
  for (const Signal& s : of) {
    auto found = available.find(key_of(s));
    out.push_back(found != available.end());
    if (found != available.end()) available.erase(found);
  }
  return out;
}

// The symbol's last close of the day; the signal's own price when it is unknown (no P&L then).
Paise close_for(const Signal& s, const LiveDay& live) {
  auto close = live.closes.find(s.symbol);
  return close != live.closes.end() ? close->second : s.price;
}

const RiskDecision* decision_for(const Signal& s, const std::vector<RiskDecision>& decisions) {
  for (const RiskDecision& d : decisions) {
    if (d.signal_ts == s.ts && d.strategy == s.strategy && d.symbol == s.symbol &&
        d.action == s.action) {
      return &d;
    }
  }
  return nullptr;
}

// extra: the replay made no such signal, so nothing is expected of the order.
OrderCheck check_order(const Signal& s, const RiskDecision& d, const LiveDay& live,
                       const Thresholds& thresholds, bool extra) {
  OrderCheck c;
  c.signal = s;
  c.extra = extra;
  c.client_order_id = d.client_order_id;
  c.decided_ts = d.ts;
  auto placed = live.order_qty.find(d.client_order_id);
  c.ordered_qty = placed != live.order_qty.end() ? placed->second : s.qty;
  const int sign = side_sign(s.action);
  const Paise close_price = close_for(s, live);
  std::int64_t cost = 0;  // sum of qty * price of the fills
  Paise live_pnl = 0;
  TimestampMs last_fill = 0;
  for (const Fill& f : live.fills) {
    if (f.client_order_id != d.client_order_id || d.client_order_id.empty()) continue;
    c.filled_qty += f.qty;
    cost += f.qty * f.price;
    live_pnl += sign * f.qty * (close_price - f.price);
    last_fill = std::max(last_fill, f.ts);
  }
  c.missed = c.filled_qty < c.ordered_qty;
  if (c.filled_qty > 0) {
    c.average_price = (cost + c.filled_qty / 2) / c.filled_qty;
    const double average = static_cast<double>(cost) / static_cast<double>(c.filled_qty);
    if (s.price > 0) {
      const double price = static_cast<double>(s.price);
      c.slippage_bps = sign * (average - price) / price * 10'000.0;
      if (c.slippage_bps == 0) c.slippage_bps = 0;  // not -0 for a sell at the signal's price
    }
    // A fill stamped before the decision (a paper broker on a replayed market clock) is on time.
    c.delay_ms = std::max<std::int64_t>(0, last_fill - d.ts);
    c.late = *c.delay_ms > thresholds.late_fill_ms;
  }
  const Paise expected_pnl = extra ? 0 : sign * c.ordered_qty * (close_price - s.price);
  c.pnl_difference = live_pnl - expected_pnl;
  return c;
}

void add_breaches(Report& r, const Thresholds& t) {
  const std::int64_t differences =
      static_cast<std::int64_t>(r.missed_signals.size() + r.extra_signals.size());
  if (differences > t.max_signal_differences) {
    r.breaches.push_back(
        fmt::format("signals missed or extra {} > {}", differences, t.max_signal_differences));
  }
  if (r.fills_missed > t.max_missed_fills) {
    r.breaches.push_back(fmt::format("fills missed {} > {}", r.fills_missed, t.max_missed_fills));
  }
  if (r.fills_late > t.max_late_fills) {
    r.breaches.push_back(fmt::format("fills late {} > {}", r.fills_late, t.max_late_fills));
  }
  if (r.slippage_bps_worst > t.max_slippage_bps) {
    r.breaches.push_back(
        fmt::format("slippage {:.1f} bps > {:.1f}", r.slippage_bps_worst, t.max_slippage_bps));
  }
  if (std::llabs(r.pnl_difference) > t.max_pnl_difference) {
    r.breaches.push_back(fmt::format("P&L difference {} rupees beyond {}",
                                     format_rupees(r.pnl_difference),
                                     format_rupees(t.max_pnl_difference)));
  }
}

void write_signal(JsonObjectWriter& w, const Signal& s) {
  w.timestamp("ts", s.ts)
      .string("strategy", s.strategy)
      .string("symbol", s.symbol)
      .string("action", signal_action_name(s.action))
      .integer("qty", s.qty)
      .rupees("price", s.price);
}

std::string signal_json(const Signal& s) {
  std::string out;
  JsonObjectWriter w(out);
  write_signal(w, s);
  w.finish();
  return out;
}

std::string difference_json(const SignalDifference& d) {
  std::string out;
  JsonObjectWriter w(out);
  write_signal(w, d.signal);
  w.rupees("pnl", d.pnl);
  w.finish();
  return out;
}

template <typename T, typename Write>
std::string json_list(const std::vector<T>& items, Write write) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += write(items[i]);
  }
  out += ']';
  return out;
}

std::string order_json(const OrderCheck& c) {
  std::string out;
  JsonObjectWriter w(out);
  w.raw("signal", signal_json(c.signal))
      .string("client_order_id", c.client_order_id)
      .timestamp("decided_ts", c.decided_ts)
      .integer("ordered_qty", c.ordered_qty)
      .integer("filled_qty", c.filled_qty);
  if (c.filled_qty > 0) {
    w.rupees("average_price", c.average_price).number("slippage_bps", c.slippage_bps);
  } else {
    w.raw("average_price", "null").raw("slippage_bps", "null");
  }
  if (c.delay_ms) {
    w.integer("delay_ms", *c.delay_ms);
  } else {
    w.raw("delay_ms", "null");
  }
  w.boolean("missed", c.missed)
      .boolean("late", c.late)
      .boolean("extra", c.extra)
      .rupees("pnl_difference", c.pnl_difference);
  w.finish();
  return out;
}

std::string quoted(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace

Report compare_day(const std::string& date, const LiveDay& live,
                   const std::vector<Signal>& expected, const Thresholds& thresholds) {
  Report r;
  r.date = date;
  r.signals_live = static_cast<std::int64_t>(live.signals.size());
  r.signals_expected = static_cast<std::int64_t>(expected.size());
  const std::vector<bool> expected_matched = matched(expected, live.signals);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected_matched[i]) continue;
    const Signal& s = expected[i];
    // The backtest's trade: the signal's quantity at its price, held to the close.
    const Paise pnl = side_sign(s.action) * s.qty * (close_for(s, live) - s.price);
    r.missed_signals.push_back({s, pnl});
    r.pnl_missed_signals += pnl;
    r.pnl_difference -= pnl;
  }
  const std::vector<bool> live_matched = matched(live.signals, expected);
  double weighted_bps = 0;
  std::int64_t filled = 0;
  bool any_filled = false;
  for (std::size_t i = 0; i < live.signals.size(); ++i) {
    const Signal& s = live.signals[i];
    const bool extra = !live_matched[i];
    const RiskDecision* d = decision_for(s, live.decisions);
    if (d == nullptr || !d->approved) {
      if (extra) r.extra_signals.push_back({s, 0});  // denied: nothing traded
      continue;
    }
    OrderCheck c = check_order(s, *d, live, thresholds, extra);
    if (extra) {
      r.extra_signals.push_back({s, c.pnl_difference});
      r.pnl_extra_signals += c.pnl_difference;
    }
    if (c.missed) ++r.fills_missed;
    if (c.late) ++r.fills_late;
    if (c.filled_qty > 0) {
      weighted_bps += c.slippage_bps * static_cast<double>(c.filled_qty);
      filled += c.filled_qty;
      r.slippage_bps_worst =
          any_filled ? std::max(r.slippage_bps_worst, c.slippage_bps) : c.slippage_bps;
      any_filled = true;
    }
    r.pnl_difference += c.pnl_difference;
    r.orders.push_back(std::move(c));
  }
  if (filled > 0) r.slippage_bps_mean = weighted_bps / static_cast<double>(filled);
  add_breaches(r, thresholds);
  return r;
}

std::string report_json(const Report& r) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("type", "divergence")
      .string("date", r.date)
      .boolean("diverged", r.diverged())
      .integer("signals_live", r.signals_live)
      .integer("signals_expected", r.signals_expected)
      .integer("signals_missed", static_cast<std::int64_t>(r.missed_signals.size()))
      .integer("signals_extra", static_cast<std::int64_t>(r.extra_signals.size()))
      .integer("orders_checked", static_cast<std::int64_t>(r.orders.size()))
      .integer("fills_missed", r.fills_missed)
      .integer("fills_late", r.fills_late)
      .number("slippage_bps_mean", r.slippage_bps_mean)
      .number("slippage_bps_worst", r.slippage_bps_worst)
      .rupees("pnl_difference", r.pnl_difference)
      .rupees("pnl_missed_signals", r.pnl_missed_signals)
      .rupees("pnl_extra_signals", r.pnl_extra_signals)
      .raw("breaches", json_list(r.breaches, quoted))
      .raw("missed_signals", json_list(r.missed_signals, difference_json))
      .raw("extra_signals", json_list(r.extra_signals, difference_json))
      .raw("orders", json_list(r.orders, order_json));
  w.finish();
  return out;
}

store::DivergenceRecord to_record(const Report& r, TimestampMs computed_ms) {
  store::DivergenceRecord record;
  record.date = r.date;
  record.computed_ms = computed_ms;
  record.signals_live = r.signals_live;
  record.signals_expected = r.signals_expected;
  record.signals_missed = static_cast<std::int64_t>(r.missed_signals.size());
  record.signals_extra = static_cast<std::int64_t>(r.extra_signals.size());
  record.orders_checked = static_cast<std::int64_t>(r.orders.size());
  record.fills_missed = r.fills_missed;
  record.fills_late = r.fills_late;
  record.slippage_bps_mean = r.slippage_bps_mean;
  record.slippage_bps_worst = r.slippage_bps_worst;
  record.pnl_difference = r.pnl_difference;
  for (std::size_t i = 0; i < r.breaches.size(); ++i) {
    if (i > 0) record.breaches += ", ";
    record.breaches += r.breaches[i];
  }
  std::string detail;
  JsonObjectWriter w(detail);
  w.rupees("pnl_missed_signals", r.pnl_missed_signals)
      .rupees("pnl_extra_signals", r.pnl_extra_signals)
      .raw("missed_signals", json_list(r.missed_signals, difference_json))
      .raw("extra_signals", json_list(r.extra_signals, difference_json))
      .raw("orders", json_list(r.orders, order_json));
  w.finish();
  record.detail_json = std::move(detail);
  return record;
}

std::string summary_text(const Report& r) {
  return fmt::format(
      "divergence from the backtest on {}: {} signal(s) missed (the backtest's trades made {} "
      "rupees), {} extra (made {} rupees live); {} of {} order(s) not filled, {} late; slippage "
      "{:.1f} bps mean, {:.1f} worst; P&L {} rupees against the replay{}{}",
      r.date, r.missed_signals.size(), format_rupees(r.pnl_missed_signals), r.extra_signals.size(),
      format_rupees(r.pnl_extra_signals), r.fills_missed, r.orders.size(), r.fills_late,
      r.slippage_bps_mean, r.slippage_bps_worst, format_rupees(r.pnl_difference),
      r.breaches.empty() ? "" : "; beyond limits: ",
      fmt::format("{}", fmt::join(r.breaches, "; ")));
}

}  // namespace sm::divergence
