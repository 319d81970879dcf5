// The hook through which every signal of a backtest passes before it becomes an order: the same
// place where the live pipeline has the risk gateway (sm-risk). The engine asks the gate about each
// signal with a snapshot of the simulated portfolio and tells it about every bar and fill, so a
// gate that keeps state (exposure, daily loss, order rate) sees what a live one would.
//
// ApproveAll is the default: with no gate configured, every signal becomes an order. RiskGate
// (risk_gate.h) puts the risk gateway's engine behind this interface (sm-backtest --risk FILE).
#pragma once

#include <string>
#include <vector>

#include "core/messages.h"

namespace sm::backtest {

struct PositionSnapshot {
  std::string strategy;  // instance id
  std::string symbol;
  Quantity qty = 0;
  Paise average_price = 0;  // cost of the open quantity / qty, rounded half even; 0 when flat
  Paise last_price = 0;     // the symbol's latest close
};

// The simulated account when a signal is reviewed (after the fills at this bar's open and the
// closes of every bar up to the signal's).
struct PortfolioSnapshot {
  TimestampMs ts = 0;  // the signal's ts (the bar's close time)
  Paise starting_cash = 0;
  Paise cash = 0;
  Paise equity = 0;                         // cash + positions at their latest closes
  std::vector<PositionSnapshot> positions;  // open positions only
  int open_orders = 0;                      // orders waiting to fill (protective stops included)
};

struct GateDecision {
  bool approved = true;
  std::string code = "APPROVED";  // or a machine-readable denial reason
  std::string detail;             // the numbers behind a denial
  // The id the gate gave the order (its fills carry it); empty: the engine makes one ("bt" and
  // the signal's index).
  std::string client_order_id;
};

// An approved order is over: filled completely ("COMPLETE"), or ended with filled_qty < qty
// ("CANCELLED": the rest was cut by the volume cap or cash, a limit expired, the data ended).
struct OrderDone {
  std::string client_order_id;
  std::string strategy;
  std::string symbol;
  Side side = Side::kBuy;
  Quantity qty = 0;
  Quantity filled_qty = 0;
  std::string status;
  TimestampMs ts = 0;
};

// An exit the gate itself orders (a risk kill switch): the engine sells the position at the next
// fill opportunity, like an approved exit signal.
struct ForcedExit {
  std::string strategy;
  std::string symbol;
  Quantity qty = 0;             // at most the position; the engine sells min(qty, held)
  std::string client_order_id;  // carried by its fills
  std::string code;             // e.g. FORCED_EXIT
  std::string detail;
};

class SignalGate {
 public:
  virtual ~SignalGate() = default;
  // Decides on one signal. Must not throw. A gate that cannot decide should deny (fail closed).
  virtual GateDecision review(const Signal& signal, const PortfolioSnapshot& portfolio) = 0;
  // Every bar, after the fills at its open and before the decisions at its close (its close is
  // the latest price). Default: nothing.
  virtual void on_bar(const Bar& /*bar*/) {}
  // Every simulated fill, after it is applied to the portfolio. Default: nothing.
  virtual void on_fill(const Fill& /*fill*/, const PortfolioSnapshot& /*portfolio*/) {}
  // An order made from an approved signal is over (after its last fill). Protective stops and
  // end-of-run closes are not signals and are not reported. Default: nothing.
  virtual void on_order_done(const OrderDone& /*done*/) {}
  // Exits the gate wants now; asked once per bar time, after on_bar and before the decisions.
  // Default: none.
  virtual std::vector<ForcedExit> take_forced_exits() { return {}; }
  // A name for reports ("approve-all", "risk:FILE").
  virtual std::string name() const = 0;
  // False when review() and on_fill() ignore the portfolio snapshot: the engine then passes an
  // empty one instead of building it for every signal and fill.
  virtual bool uses_portfolio() const { return true; }
  // True for a gate that approves every signal without reading it and ignores every event: the
  // engine then builds none of the signals, fills, order ids and order-done notices that only the
  // gate would read (a sweep records none of them either). Default: false.
  virtual bool is_pass_through() const { return false; }
};

class ApproveAll final : public SignalGate {
 public:
  GateDecision review(const Signal&, const PortfolioSnapshot&) override { return {}; }
  std::string name() const override { return "approve-all"; }
  bool uses_portfolio() const override { return false; }
  bool is_pass_through() const override { return true; }
};

}  // namespace sm::backtest
