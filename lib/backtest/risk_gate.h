// The risk gateway's engine (lib/risk) behind the backtest's SignalGate: sm-backtest --risk FILE
// passes every signal through the same checks and kill switches sm-risk applies live.
//
// The backtest has no live pipeline around it, so the adapter plays its part deterministically:
//   - time: "now" is the event's own time (a signal's ts, a fill's ts, a bar's close time);
//   - prices: each bar's close is a traded price known at the bar's close time;
//   - components: every component the config requires reports a fresh "ok" heartbeat at each
//     decision (a simulated broker is always connected);
//   - orders: the risk engine's order intent is not used (the backtest's fill model decides the
//     order type and price); its client order id is, so the simulated fills reach the engine's
//     pending order, and an order that ends unfilled is reported to it as CANCELLED.
// Kill-switch output (halts, alerts, forced exits) is collected as events for the reports, and
// forced exits are handed to the backtest engine, which sells those positions at the next fill
// opportunity with the risk engine's client order id.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backtest/gate.h"
#include "core/messages.h"
#include "core/status.h"
#include "risk/config.h"
#include "risk/engine.h"
#include "time/calendar.h"

namespace sm::backtest {

class RiskGate final : public SignalGate {
 public:
  // REQUIRES: risk::validate(config).ok(); calendar (may be null) outlives the gate.
  RiskGate(risk::RiskConfig config, const time::Calendar* calendar, std::string source);

  GateDecision review(const Signal& signal, const PortfolioSnapshot& portfolio) override;
  void on_bar(const Bar& bar) override;
  void on_fill(const Fill& fill, const PortfolioSnapshot& portfolio) override;
  void on_order_done(const OrderDone& done) override;
  std::vector<ForcedExit> take_forced_exits() override;
  std::string name() const override { return "risk:" + source_; }
  bool uses_portfolio() const override { return false; }  // the engine keeps its own state

  // Halts, resumes, alerts and forced exits (RiskDecision + OrderIntent) the engine produced,
  // in order.
  const std::vector<Message>& events() const { return events_; }

 private:
  void keep_events(std::vector<Message>& out);
  // What the live gateway does before it handles any message: the required components beat
  // (healthy: the backtest has no outages), then expired halts end and the kill switches look.
  void beat_and_evaluate(TimestampMs now);
  risk::RiskEngine engine_;
  std::string source_;
  std::vector<Message> events_;
  std::vector<Message> scratch_;
  std::vector<ForcedExit> forced_;
};

// Loads a risk configuration file (its "risk" section) for backtests. kConfigError on a missing or
// bad file, an unknown section or key (as load_config refuses them: the message names the file and
// the key), or an invalid configuration.
Result<risk::RiskConfig> load_backtest_risk_config(const std::string& path);

}  // namespace sm::backtest
