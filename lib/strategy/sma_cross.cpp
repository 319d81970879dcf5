#include "strategy/sma_cross.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {

using nlohmann::json;

SmaCrossRule::SmaCrossRule(const Params& params)
    : fast_(static_cast<int>(params.integer("fast"))),
      slow_(static_cast<int>(params.integer("slow"))),
      closes_(static_cast<std::size_t>(slow_)) {}

std::string SmaCrossRule::describe(const Choice& choice, const PriceBar& /*bar*/) const {
  if (choice.action == Action::kHold) return {};
  return fmt::format(
      "sma({}) {:.4f} crossed {} sma({}) {:.4f}", fast_, to_rupees(fast_sum_) / fast_,
      choice.action == Action::kEnterLong ? "above" : "below", slow_, to_rupees(slow_sum_) / slow_);
}

json SmaCrossRule::save() const {
  return json{{"closes", state::window_json(closes_)},
              {"previous_sign", previous_sign_ == kNoSign ? json() : json(previous_sign_)}};
}

Status SmaCrossRule::restore(const json& saved) {
  Window<Paise> closes(static_cast<std::size_t>(slow_));
  Paise fast_sum = 0;
  Paise slow_sum = 0;
  int previous_sign = kNoSign;
  SM_RETURN_IF_ERROR(state::restore_guarded("sma-cross", [&] {
    state::read_window(saved, "closes", closes);
    // The sums are recomputed from the window: exact integers, nothing to drift.
    const std::size_t n = closes.size();
    for (std::size_t i = 0; i < n; ++i) {
      slow_sum += closes[i];
      if (i + static_cast<std::size_t>(fast_) >= n) fast_sum += closes[i];
    }
    const json& sign = state::field(saved, "previous_sign");
    if (!sign.is_null()) {
      previous_sign = static_cast<int>(state::integer_value(sign, "previous_sign"));
      if (previous_sign < -1 || previous_sign > 1) {
        throw state::StateError("previous_sign is not -1, 0 or 1");
      }
    }
  }));
  closes_ = std::move(closes);
  fast_sum_ = fast_sum;
  slow_sum_ = slow_sum;
  previous_sign_ = previous_sign;
  return Status();
}

template <>
json RuleStrategy<SmaCrossRule>::save_rule() const {
  return rule_.save();
}

template <>
Status RuleStrategy<SmaCrossRule>::restore_rule(const json& state) {
  return rule_.restore(state);
}

namespace {

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
  info.name = std::string(SmaCrossRule::kName);
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
    return std::make_unique<RuleStrategy<SmaCrossRule>>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
