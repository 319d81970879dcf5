// The strategy engine: a strategy turns (its state, one bar, its parameters, the caller's view of
// its position) into a decision at the bar's close: enter long, exit, or hold, with a quantity, a
// protective stop and a reason. Strategies are pure: no I/O, no clock, no randomness, so the same
// code gives the same decisions in sm-signal and sm-backtest. Their state is a plain value saved
// to JSON text and restored exactly, so a restarted sm-signal resumes where it stopped.
//
// Positions come from the caller (from fills), never from the strategy's memory: a decision is
// made from the position as it stands after any fill at this bar's open. The engine is long only:
// entries only when flat with no order pending, exits only when long with no order pending.
//
// Instances are made by name from the registry (strategy/registry.h); docs/STRATEGIES.md lists
// the built-ins and says how to add one.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/messages.h"
#include "core/money.h"
#include "core/status.h"
#include "strategy/params.h"
#include "strategy/sizing.h"

namespace sm::strategy {

enum class Action { kHold, kEnterLong, kExitLong };
std::string_view action_name(Action action);  // "hold", "enter_long", "exit_long"

// What the caller knows about this instance's position in the bar's symbol.
struct PositionView {
  Quantity qty = 0;            // shares held, from fills; >= 0 (long only)
  Paise average_price = 0;     // of the open position; 0 when flat or unknown
  bool order_pending = false;  // an order of this instance for the symbol is still working
  Paise capital = 0;           // the instance's account capital before capital_fraction; used by
                               // the fixed_value and risk sizing methods
};

struct Decision {
  Action action = Action::kHold;
  Quantity qty = 0;    // shares to buy (entry) or sell (exit, the whole position); 0 for hold
  Paise price = 0;     // the reference price: the bar's close
  Paise stop = 0;      // protective stop for an entry; 0 = none
  std::string reason;  // for people and the audit trail; empty for a plain hold

  static Decision hold(std::string reason = {}) {
    Decision d;
    d.reason = std::move(reason);
    return d;
  }
  static Decision enter_long(Paise stop, std::string reason) {
    Decision d;
    d.action = Action::kEnterLong;
    d.stop = stop;
    d.reason = std::move(reason);
    return d;
  }
  static Decision exit_long(std::string reason) {
    Decision d;
    d.action = Action::kExitLong;
    d.reason = std::move(reason);
    return d;
  }
};

// A bar's time, prices and volume without its symbol and timeframe: what a rule reads. Plain and
// small (48 bytes), so that the backtest's inner loop can make one from its columns for free.
struct PriceBar {
  TimestampMs ts = 0;
  Paise open = 0;
  Paise high = 0;
  Paise low = 0;
  Paise close = 0;
  Quantity volume = 0;
};
inline PriceBar price_bar(const Bar& bar) {
  return {bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume};
}

// A decision without its text: what a rule's step returns and what the backtest's inner loop
// reads. The reason is written from it by the rule's describe() only when someone reads it.
struct Choice {
  Action action = Action::kHold;
  Quantity qty = 0;  // set by the sizing (entries) or the position (exits); 0 for a hold
  Paise stop = 0;    // an entry's protective stop; 0 = none
  int why = 0;       // the rule's own code for describe(); 0 for a plain hold
  // Numbers describe() needs that the rule's state no longer holds after the step.
  Paise level = 0;
  std::int64_t count = 0;
};

// What every instance is made from; built by make_strategy after validating the parameters.
struct StrategyConfig {
  std::string name;  // registry name, e.g. "sma-cross"
  Params params;     // the strategy's own parameters plus the sizing parameters
  SizingRule sizing;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  const std::string& name() const { return config_.name; }
  const Params& params() const { return config_.params; }
  const SizingRule& sizing() const { return config_.sizing; }
  const std::string& symbol() const { return symbol_; }  // empty before the first bar
  std::int64_t bars_seen() const { return bars_seen_; }

  // Takes the next bar of one symbol and decides at its close, from this and the earlier bars only.
  // Entries are sized by the sizing rule (a size of 0 shares, or a stop the rule cannot use, turns
  // the entry into a hold whose reason says why); exits sell position.qty.
  // Fails with kInvalidArgument, changing nothing, when the bar's symbol differs from the earlier
  // bars', its ts is not after the previous bar's, a price is not positive or low > high, or
  // position.qty < 0.
  Result<Decision> on_bar(const Bar& bar, const PositionView& position);

  // The complete state as JSON text: the name and parameters it belongs to, the symbol, the last
  // bar's time and the rule's own state (indicator windows and flags).
  std::string save_state() const;
  // Replaces the state with saved text. Fails, changing nothing, with kParseError when the text is
  // not valid saved state, or kConflict when it was saved by another strategy or with other
  // parameters (a changed configuration starts afresh rather than mixing states).
  Status restore_state(std::string_view text);

  // Whether on_bar would accept a bar with these time and prices (its symbol aside).
  bool accepts(const PriceBar& bar) const { return accepts(bar, bar_count()); }

  // The bars taken so far as accepts() reads them, for a loop over a run of bars that counts them
  // itself and gives the count back with set_bar_count() when it stops (the backtest's quiet
  // stretch derives it from the bars' indices: in the instance, each bar stored and loaded it).
  struct BarCount {
    TimestampMs last_ts = 0;
    std::int64_t seen = 0;
  };
  BarCount bar_count() const { return {last_ts_, bars_seen_}; }
  void set_bar_count(const BarCount& count) {
    last_ts_ = count.last_ts;
    bars_seen_ = count.seen;
  }
  // accepts() after the bars of count.
  static bool accepts(const PriceBar& bar, const BarCount& count) {
    return (count.seen == 0 || bar.ts > count.last_ts) && prices_accepted(bar);
  }
  // How many of bars, from the first, accepts() would take one after the other after the bars of
  // count (their symbols aside): a loop over them then needs no check per bar.
  static std::size_t accepted_run(std::span<const Bar> bars, const BarCount& count);

 protected:
  explicit Strategy(StrategyConfig config) : config_(std::move(config)) {}

  // The rule: take the bar into the indicators and choose. Called for every valid bar, whatever
  // the position, so that indicators never miss a bar. An entry carries its stop (or 0); its qty
  // is filled in by settle().
  virtual Choice step(const PriceBar& bar, const PositionView& position) = 0;
  // The reason for people of what the last step chose (it reads the rule's state as that step
  // left it). Empty for a plain hold (why == 0).
  virtual std::string describe(const Choice& choice, const PriceBar& bar) const = 0;
  virtual nlohmann::json save_rule() const = 0;
  // All or nothing: on failure the rule's state must be unchanged.
  virtual Status restore_rule(const nlohmann::json& state) = 0;

  // accepts() without the time. high > 0 follows from low > 0 and low <= high.
  static bool prices_accepted(const PriceBar& bar) {
    return bar.open > 0 && bar.low > 0 && bar.close > 0 && bar.low <= bar.high;
  }

  // Counts a bar taken by step() outside on_bar (the typed path, which has its own checks).
  void count_bar(TimestampMs ts) {
    last_ts_ = ts;
    ++bars_seen_;
  }
  // Turns a rule's choice into what the engine may do: an entry sized (held when flat is not
  // the position, an order is pending, or the sizing gives no shares), an exit of the whole
  // position (held when flat or pending). When the sizing refuses an entry and refused is not
  // null, *refused says why.
  Choice settle(const Choice& choice, Paise close, const PositionView& position,
                std::string* refused) const;

 private:
  StrategyConfig config_;
  std::string symbol_;
  TimestampMs last_ts_ = 0;
  std::int64_t bars_seen_ = 0;
};

// RuleStrategy::Local: the rule's Local type, or an empty one for a rule without it.
template <typename Rule>
struct LocalOf {
  struct type {};
};
template <typename Rule>
requires requires { typename Rule::Local; }
struct LocalOf<Rule> {
  using type = typename Rule::Local;
};

// A Strategy over a concrete rule type. The rule is a plain class with
//   explicit Rule(const Params&);
//   Choice step(const PriceBar&, const PositionView&);
//   std::string describe(const Choice&, const PriceBar&) const;
//   nlohmann::json save() const;  Status restore(const nlohmann::json&);
// and optionally a Local type with Local local(), void set_local(const Local&) and
//   Choice step(const PriceBar&, const PositionView&, Local&) const;
// (see local() below). sm-signal calls it through Strategy::on_bar; the backtest engine, knowing
// the type, calls decide() directly, so the step is inlined into its loop and no text is made per
// bar.
template <typename Rule>
class RuleStrategy final : public Strategy {
 public:
  explicit RuleStrategy(StrategyConfig config) : Strategy(std::move(config)), rule_(params()) {}

  // What on_bar decides for this bar, without its reason (reason() writes it) and without the
  // checks. REQUIRES: the bar is of this instance's symbol and accepts() it; position.qty >= 0.
  Choice decide(const PriceBar& bar, const PositionView& position) {
    count_bar(bar.ts);
    // One named result, so that the step's Choice is built where the caller keeps it: copied
    // out of a temporary, its fields were stored one by one and loaded back in pairs, a
    // store-forwarding stall on every bar of the backtest's loop.
    Choice choice = rule_.step(bar, position);
    // Most bars are holds, which settle() would pass through unchanged: no call for them.
    if (choice.action != Action::kHold) choice = settle(choice, bar.close, position, nullptr);
    return choice;
  }
  // The rule's own state for a loop over a run of bars, as bar_count() is the instance's: a rule
  // that has a Local type (its step's state by value: local(), set_local() and a step on a
  // Local&) gives it, so that the loop keeps it in registers; for another it is empty and its
  // step works in the rule. Given back with set_local() when the loop stops.
  static constexpr bool kHasLocal = requires { typename Rule::Local; };
  using Local = typename LocalOf<Rule>::type;
  Local local() {
    if constexpr (kHasLocal) return rule_.local();
    return {};
  }
  void set_local(const Local& state) {
    if constexpr (kHasLocal) rule_.set_local(state);
  }

  // decide() in halves for a loop that keeps the bar count and the rule's state in its locals
  // (set_bar_count() and set_local() give them back): the rule's step on state, then, for a
  // choice that is not a hold, settled() with the capital, which only the sizing reads (the loop
  // makes it only then). The loop counts the bars itself.
  Choice step_local(const PriceBar& bar, const PositionView& position, Local& state) {
    if constexpr (kHasLocal) return rule_.step(bar, position, state);
    return rule_.step(bar, position);
  }
  Choice settled(const Choice& choice, Paise close, const PositionView& position) const {
    return settle(choice, close, position, nullptr);
  }
  // The reason on_bar would give for a decision decide() just returned that is not a hold.
  std::string reason(const Choice& choice, const PriceBar& bar) const {
    return rule_.describe(choice, bar);
  }

 protected:
  Choice step(const PriceBar& bar, const PositionView& position) override {
    return rule_.step(bar, position);
  }
  std::string describe(const Choice& choice, const PriceBar& bar) const override {
    return rule_.describe(choice, bar);
  }
  // Defined by each rule's .cpp (RuleStrategy<Rule>::save_rule / restore_rule), where the JSON
  // library is complete.
  nlohmann::json save_rule() const override;
  Status restore_rule(const nlohmann::json& state) override;

 private:
  Rule rule_;
};

// A protective stop `distance_rupees` below `price`, rounded down to the NSE tick for its price;
// 0 (no usable stop) when that is not above zero or distance_rupees is not finite.
Paise stop_below(Paise price, double distance_rupees);

// The signal message for a decision. REQUIRES: decision.action != kHold.
Signal make_signal(const Decision& decision, std::string_view instance, const Bar& bar);

}  // namespace sm::strategy
