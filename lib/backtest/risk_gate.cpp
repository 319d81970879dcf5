#include "backtest/risk_gate.h"

#include "core/config.h"
#include "time/bar_time.h"

namespace sm::backtest {

RiskGate::RiskGate(risk::RiskConfig config, const time::Calendar* calendar, std::string source)
    : engine_(std::move(config), calendar), source_(std::move(source)) {}

void RiskGate::keep_events(std::vector<Message>& out) {
  // A kill switch's exit comes as a FORCED_EXIT decision followed by its order intent.
  const RiskDecision* decision = nullptr;
  for (const Message& message : out) {
    if (const auto* d = std::get_if<RiskDecision>(&message)) {
      decision = d;
    } else if (const auto* intent = std::get_if<OrderIntent>(&message)) {
      if (intent->side == Side::kSell) {
        ForcedExit exit;
        exit.strategy = intent->strategy;
        exit.symbol = intent->symbol;
        exit.qty = intent->qty;
        exit.client_order_id = intent->client_order_id;
        exit.code = decision != nullptr ? decision->code : std::string(risk::code::kForcedExit);
        exit.detail = decision != nullptr ? decision->detail : intent->reason;
        forced_.push_back(std::move(exit));
      }
      decision = nullptr;
    }
  }
  for (Message& message : out) events_.push_back(std::move(message));
  out.clear();
}

std::vector<ForcedExit> RiskGate::take_forced_exits() {
  std::vector<ForcedExit> out;
  out.swap(forced_);
  return out;
}

GateDecision RiskGate::review(const Signal& signal, const PortfolioSnapshot&) {
  const TimestampMs now = signal.ts;
  beat_and_evaluate(now);
  const RiskDecision decision = engine_.decide(signal, now, scratch_);
  // The decision and its order intent are this signal's answer; anything after them (an order
  // rate pause) is a kill-switch event.
  std::vector<Message> rest;
  for (Message& message : scratch_) {
    if (std::holds_alternative<RiskDecision>(message) ||
        std::holds_alternative<OrderIntent>(message)) {
      continue;
    }
    rest.push_back(std::move(message));
  }
  scratch_.clear();
  keep_events(rest);
  GateDecision out;
  out.approved = decision.approved;
  out.code = decision.code;
  out.detail = decision.detail;
  out.client_order_id = decision.client_order_id;
  return out;
}

void RiskGate::beat_and_evaluate(TimestampMs now) {
  scratch_.clear();
  for (const std::string& component : engine_.config().required_components) {
    Heartbeat beat;
    beat.ts = now;
    beat.component = component;
    beat.status = "ok";
    engine_.on_heartbeat(beat, now, scratch_);
  }
  engine_.evaluate(now, scratch_);
  keep_events(scratch_);
}

void RiskGate::on_bar(const Bar& bar) {
  // As sm-risk handles a bar: at its close time, halts that ran out end first (a daily halt
  // lifts at the next session, not at the next signal), then the close is the latest price.
  const TimestampMs known_at = time::bar_known_at(bar);
  beat_and_evaluate(known_at);
  scratch_.clear();
  engine_.on_price(bar.symbol, bar.close, known_at, known_at, scratch_);
  keep_events(scratch_);
}

void RiskGate::on_fill(const Fill& fill, const PortfolioSnapshot&) {
  scratch_.clear();
  engine_.on_fill(fill, fill.ts, scratch_);
  keep_events(scratch_);
}

void RiskGate::on_order_done(const OrderDone& done) {
  if (done.status == "COMPLETE") return;  // the fills already ended it
  OrderUpdate update;
  update.ts = done.ts;
  update.client_order_id = done.client_order_id;
  update.symbol = done.symbol;
  update.side = done.side;
  update.status = "CANCELLED";
  update.qty = done.qty;
  update.filled_qty = done.filled_qty;
  update.pending_qty = 0;
  scratch_.clear();
  engine_.on_order_update(update, done.ts, scratch_);
  keep_events(scratch_);
}

Result<risk::RiskConfig> load_backtest_risk_config(const std::string& path) {
  Result<Config> config = Config::load(path);
  if (!config.ok()) return config.status();
  // As load_config does for --config: a misspelt limit must not run on its default.
  SM_RETURN_IF_ERROR(config->check_known_keys());
  Result<risk::RiskConfig> risk = risk::load_risk_config(*config);
  if (!risk.ok()) return risk.status();
  Status valid = risk::validate(*risk);
  if (!valid.ok()) return valid;
  return risk;
}

}  // namespace sm::backtest
