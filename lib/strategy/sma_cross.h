// sma-cross: long when the fast simple moving average of closes crosses above the slow one, out
// when it crosses below. The comparison is exact: the means are compared as
// slow * sum(fast closes) against fast * sum(slow closes) in integer paise, so a tie (fast mean
// exactly equal to slow mean) is recognised as a tie, which decides whether a touch is a cross.
// The rule is in a header so that the backtest engine can inline its step (strategy.h,
// RuleStrategy); registry.h makes instances.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/money.h"
#include "strategy/params.h"
#include "strategy/strategy.h"
#include "strategy/window.h"

namespace sm::strategy {

class SmaCrossRule {
 public:
  static constexpr std::string_view kName = "sma-cross";

  // REQUIRES: params passed the registry's checks (1 <= fast < slow).
  explicit SmaCrossRule(const Params& params);

  // The state a step moves (RuleStrategy::Local): by value, a loop over many bars keeps it in
  // registers; in the rule, each bar loaded and stored the sums and the window's head and size.
  struct Local {
    Window<Paise>::Cursor closes;
    Paise fast_sum = 0;  // sum of the last `fast` closes
    Paise slow_sum = 0;  // sum of all of them
    int previous_sign = 0;
  };
  Local local() { return {closes_.cursor(), fast_sum_, slow_sum_, previous_sign_}; }
  void set_local(const Local& state) {
    closes_.set_cursor(state.closes);
    fast_sum_ = state.fast_sum;
    slow_sum_ = state.slow_sum;
    previous_sign_ = state.previous_sign;
  }

  Choice step(const PriceBar& bar, const PositionView& position) {
    Local state = local();
    const Choice choice = step(bar, position, state);
    set_local(state);
    return choice;
  }

  // step() on the state in state, the rule's own not touched (set_local() gives it back).
  Choice step(const PriceBar& bar, const PositionView& position, Local& state) const {
    const std::size_t fast = static_cast<std::size_t>(fast_);
    Window<Paise>::Cursor& closes = state.closes;
    Paise fast_sum = state.fast_sum + bar.close;
    Paise slow_sum = state.slow_sum + bar.close;
    if (closes.size >= fast) fast_sum -= closes[closes.size - fast];
    if (closes.full()) slow_sum -= closes.oldest();
    closes.push(bar.close);
    state.fast_sum = fast_sum;
    state.slow_sum = slow_sum;
    if (!closes.full()) return {};

    // Sign of mean(fast) - mean(slow), exactly: in 64 bits when both products fit (always for
    // real prices and windows; two multiplications and a compare per bar), else in 128.
    int sign = 0;
    Paise fast_side = 0;
    Paise slow_side = 0;
    if (!__builtin_mul_overflow(Paise{slow_}, fast_sum, &fast_side) &&
        !__builtin_mul_overflow(Paise{fast_}, slow_sum, &slow_side)) {
      sign = (fast_side > slow_side) - (fast_side < slow_side);
    } else {
      const Int128 difference = Int128{slow_} * fast_sum - Int128{fast_} * slow_sum;
      sign = difference > 0 ? 1 : difference < 0 ? -1 : 0;
    }
    const int previous = state.previous_sign;
    state.previous_sign = sign;
    // A cross changes the sign, so most bars stop at the first test.
    if (sign == previous || previous == kNoSign || position.order_pending) return {};
    // A cross needs the previous bar on or below (above) and this bar strictly above (below): a
    // bar on which the means are equal is never a cross by itself.
    Choice choice;
    if (position.qty == 0 && previous <= 0 && sign > 0) choice.action = Action::kEnterLong;
    if (position.qty > 0 && previous >= 0 && sign < 0) choice.action = Action::kExitLong;
    return choice;
  }

  std::string describe(const Choice& choice, const PriceBar& bar) const;
  nlohmann::json save() const;
  Status restore(const nlohmann::json& saved);

 private:
  static constexpr int kNoSign = 2;  // before the first bar with both means

  int fast_;
  int slow_;
  Window<Paise> closes_;  // the last `slow` closes
  Paise fast_sum_ = 0;    // sum of the last `fast` of them
  Paise slow_sum_ = 0;    // sum of all of them
  int previous_sign_ = kNoSign;
};

}  // namespace sm::strategy
