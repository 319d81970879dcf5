// sma-cross: long when the fast simple moving average of closes crosses above the slow one, out
// when it crosses below. The comparison is exact: the means are compared as
// slow * sum(fast closes) against fast * sum(slow closes) in integer paise, so a tie (fast mean
// exactly equal to slow mean) is recognised as a tie, which decides whether a touch is a cross.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "strategy/registry.h"
#include "strategy/state_json.h"
#include "strategy/window.h"

namespace sm::strategy {
namespace {

using nlohmann::json;

class SmaCross final : public Strategy {
 public:
  explicit SmaCross(StrategyConfig config)
      : Strategy(std::move(config)),
        fast_(static_cast<int>(params().integer("fast"))),
        slow_(static_cast<int>(params().integer("slow"))),
        state_(slow_) {}

 protected:
  Decision evaluate(const Bar& bar, const PositionView& position) override {
    State& s = state_;
    const std::size_t fast = static_cast<std::size_t>(fast_);
    if (s.closes.size() >= fast) s.fast_sum -= s.closes[s.closes.size() - fast];
    if (s.closes.full()) s.slow_sum -= s.closes.oldest();
    s.closes.push(bar.close);
    s.fast_sum += bar.close;
    s.slow_sum += bar.close;
    if (!s.closes.full()) return {};

    // Sign of mean(fast) - mean(slow), exactly.
    Int128 difference = Int128{slow_} * s.fast_sum - Int128{fast_} * s.slow_sum;
    int sign = difference > 0 ? 1 : difference < 0 ? -1 : 0;
    std::optional<int> previous = s.previous_sign;
    s.previous_sign = sign;
    if (!previous || position.order_pending) return {};
    // A cross needs the previous bar on or below (above) and this bar strictly above (below): a
    // bar on which the means are equal is never a cross by itself.
    if (position.qty == 0 && *previous <= 0 && sign > 0) {
      return Decision::enter_long(0, describe("above"));
    }
    if (position.qty > 0 && *previous >= 0 && sign < 0) {
      return Decision::exit_long(describe("below"));
    }
    return {};
  }

  json save_rule() const override {
    return json{{"closes", state::window_json(state_.closes)},
                {"previous_sign", state_.previous_sign ? json(*state_.previous_sign) : json()}};
  }

  Status restore_rule(const json& saved) override {
    State next(slow_);
    SM_RETURN_IF_ERROR(state::restore_guarded("sma-cross", [&] {
      state::read_window(saved, "closes", next.closes);
      // The sums are recomputed from the window: exact integers, nothing to drift.
      const std::size_t n = next.closes.size();
      for (std::size_t i = 0; i < n; ++i) {
        next.slow_sum += next.closes[i];
        if (i + static_cast<std::size_t>(fast_) >= n) next.fast_sum += next.closes[i];
      }
      const json& sign = state::field(saved, "previous_sign");
      if (!sign.is_null()) {
        next.previous_sign = static_cast<int>(state::integer_value(sign, "previous_sign"));
        if (*next.previous_sign < -1 || *next.previous_sign > 1) {
          throw state::StateError("previous_sign is not -1, 0 or 1");
        }
      }
    }));
    state_ = std::move(next);
    return Status();
  }

 private:
  struct State {
    explicit State(int slow) : closes(static_cast<std::size_t>(slow)) {}
    Window<Paise> closes;  // the last `slow` closes
    Paise fast_sum = 0;    // sum of the last `fast` of them
    Paise slow_sum = 0;    // sum of all of them
    std::optional<int> previous_sign;
  };

  std::string describe(std::string_view direction) const {
    return fmt::format("sma({}) {:.4f} crossed {} sma({}) {:.4f}", fast_,
                       to_rupees(state_.fast_sum) / fast_, direction, slow_,
                       to_rupees(state_.slow_sum) / slow_);
  }

  int fast_;
  int slow_;
  State state_;
};

Status check(const Params& params) {
  if (params.integer("slow") <= params.integer("fast")) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("sma-cross: parameter 'slow' ({}) must be greater than 'fast' ({})",
                             params.integer("slow"), params.integer("fast")));
  }
  return Status();
}

}  // namespace

StrategyInfo sma_cross_info() {
  StrategyInfo info;
  info.name = "sma-cross";
  info.summary =
      "long when SMA(fast) of closes crosses above SMA(slow), exit when it crosses below";
  info.params = {
      integer_param("fast", 10, 1, 1000, "bars in the fast moving average"),
      integer_param("slow", 30, 2, 1000,
                    "bars in the slow moving average; must be greater than fast"),
  };
  info.check = check;
  info.gives_stop = [](const Params&) { return false; };
  info.make = [](StrategyConfig config) -> std::unique_ptr<Strategy> {
    return std::make_unique<SmaCross>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
