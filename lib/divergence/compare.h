// Comparing a live trading day with what its strategies would have done (docs/BACKTEST.md,
// "Divergence"). Pure: the live day and the expected signals come in as values, the report goes
// out as a value; replay.h makes the expected signals and program.h reads and stores.
//
// What is compared, for one IST day:
//   - signals: a live signal and an expected one match on time, strategy, symbol, action,
//     quantity and price; the expected ones without a match are missed, the live ones extra.
//   - execution, for every live signal the risk gateway approved (an order): the quantity filled
//     within the day against the order's, the average fill price against the signal's price
//     (slippage in basis points, positive when worse: paid more on a buy, received less on a
//     sell), and how long after the decision the last fill came (late above a limit).
//   - P&L: live minus expected, everything marked to the day's last close, where "expected" is
//     the backtest's trade: the signal's whole quantity filled at its price (what the backtest's
//     --fill close assumes). For an order of a matched signal that is the live fills against that
//     trade; a missed signal (replayed, not live) loses the trade the backtest made; an extra
//     signal's order (live, not replayed) adds what its live fills made, against no trade. A
//     missed signal is estimated as if the risk gateway had approved it. Charges are left out on
//     both sides.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "store/divergence_records.h"

namespace sm::divergence {

// Above these the report names a breach and an alert is raised (config section `divergence`).
struct Thresholds {
  std::int64_t late_fill_ms = 60'000;       // a fill later than this after the decision is late
  double max_slippage_bps = 20;             // worst order's slippage
  std::int64_t max_signal_differences = 0;  // missed + extra signals
  std::int64_t max_missed_fills = 0;        // orders not fully filled
  std::int64_t max_late_fills = 0;          // orders filled late
  Paise max_pnl_difference = 100'000;       // |live - expected| P&L (1,000 rupees)
};

// What the live system did on the day, from the store.
struct LiveDay {
  std::vector<Signal> signals;          // ts within the day
  std::vector<RiskDecision> decisions;  // about those signals
  std::vector<Fill> fills;              // ts within the day
  // Quantity of each order placed (orders table), by client_order_id; an approved signal whose
  // order is absent was never placed and counts as a missed fill of the signal's quantity.
  std::map<std::string, Quantity> order_qty;
  std::map<std::string, Paise> closes;  // each symbol's last close of the day
};

// One approved live signal and what became of its order.
struct OrderCheck {
  Signal signal;
  std::string client_order_id;
  TimestampMs decided_ts = 0;
  Quantity ordered_qty = 0;
  Quantity filled_qty = 0;
  Paise average_price = 0;               // 0 when nothing filled
  double slippage_bps = 0;               // 0 when nothing filled
  std::optional<std::int64_t> delay_ms;  // last fill - decision; nullopt when nothing filled
  bool missed = false;                   // filled_qty < ordered_qty
  bool late = false;
  bool extra = false;        // the replay made no such signal: nothing expected of the order
  Paise pnl_difference = 0;  // live - expected, marked to the close
};

// A signal only one side made, with the P&L of its trade marked to the close: for a missed
// signal the backtest's trade (its quantity at its price), for an extra one the live fills of its
// order (0 when it was denied or nothing filled).
struct SignalDifference {
  Signal signal;
  Paise pnl = 0;
};

struct Report {
  std::string date;  // YYYY-MM-DD (IST)
  std::int64_t signals_live = 0;
  std::int64_t signals_expected = 0;
  std::vector<SignalDifference> missed_signals;
  std::vector<SignalDifference> extra_signals;
  std::vector<OrderCheck> orders;
  std::int64_t fills_missed = 0;
  std::int64_t fills_late = 0;
  double slippage_bps_mean = 0;   // weighted by filled quantity
  double slippage_bps_worst = 0;  // the largest (worst) of the filled orders; 0 with none
  Paise pnl_missed_signals = 0;   // what the missed signals' trades made in the backtest
  Paise pnl_extra_signals = 0;    // what the extra signals' orders made live
  // live - expected over the day: the orders' differences minus pnl_missed_signals (the extra
  // orders' differences are pnl_extra_signals).
  Paise pnl_difference = 0;
  std::vector<std::string> breaches;  // e.g. "slippage_bps 35.2 > 20"; empty = within limits

  bool diverged() const { return !breaches.empty(); }
};

Report compare_day(const std::string& date, const LiveDay& live,
                   const std::vector<Signal>& expected, const Thresholds& thresholds);

// The report as one NDJSON record: {"type":"divergence","date":...,counts...,"missed_signals":[
// ...],"extra_signals":[...],"orders":[...],"breaches":[...]} (docs/BACKTEST.md); a missed or
// extra signal is the signal's fields and its "pnl".
std::string report_json(const Report& report);
// The stored form (divergence_reports); detail_json holds the lists.
store::DivergenceRecord to_record(const Report& report, TimestampMs computed_ms);
// One line for a person: what diverged, by how much.
std::string summary_text(const Report& report);

}  // namespace sm::divergence
