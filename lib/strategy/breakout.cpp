#include "strategy/breakout.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {

using nlohmann::json;

BreakoutRule::BreakoutRule(const Params& params)
    : strength_(static_cast<int>(params.integer("swing_strength"))),
      lookback_(params.integer("swing_lookback")),
      atr_period_(static_cast<int>(params.integer("atr_period"))),
      atr_multiple_(params.number("stop_atr_multiple")),
      highs_(static_cast<std::size_t>(2 * strength_ + 1)),
      atr_(atr_period_) {}

std::string BreakoutRule::describe(const Choice& choice, const PriceBar& bar) const {
  if (choice.action == Action::kExitLong) {
    return fmt::format("close {} at or below the stop {}", format_rupees(bar.close),
                       format_rupees(choice.level));
  }
  if (choice.action == Action::kHold && choice.why != kNoAtr) return {};
  std::string reason =
      fmt::format("close {} above the swing high {} of {} bars ago", format_rupees(bar.close),
                  format_rupees(choice.level), choice.count);
  if (choice.why == kNoAtr) reason += ", but ATR is not known yet: no stop, no entry";
  return reason;
}

json BreakoutRule::save() const {
  json swing = nullptr;
  if (swing_) {
    swing = json{{"level", swing_->level}, {"index", swing_->index}, {"used", swing_->used}};
  }
  return json{{"bars", bars_},
              {"highs", state::window_json(highs_)},
              {"swing", std::move(swing)},
              {"atr", atr_.save()},
              {"stop", stop_}};
}

Status BreakoutRule::restore(const json& saved) {
  std::int64_t bars = 0;
  Window<Paise> highs(static_cast<std::size_t>(2 * strength_ + 1));
  std::optional<Swing> swing;
  Atr atr(atr_period_);
  Paise stop = 0;
  Status inner;
  SM_RETURN_IF_ERROR(state::restore_guarded("breakout", [&] {
    bars = state::get_integer(saved, "bars", 0, INT64_MAX / 2);
    state::read_window(saved, "highs", highs);
    const json& saved_swing = state::field(saved, "swing");
    if (!saved_swing.is_null()) {
      swing = Swing{state::get_integer(saved_swing, "level"),
                    state::get_integer(saved_swing, "index"), state::get_bool(saved_swing, "used")};
      if (swing->index < 0 || swing->index >= bars) {
        throw state::StateError("swing index outside the bars seen");
      }
    }
    stop = state::get_integer(saved, "stop", 0, kMaxAbsPaise);
    inner = atr.restore(state::field(saved, "atr"));
  }));
  SM_RETURN_IF_ERROR(inner);
  bars_ = bars;
  highs_ = std::move(highs);
  swing_ = swing;
  atr_ = atr;
  stop_ = stop;
  return Status();
}

template <>
json RuleStrategy<BreakoutRule>::save_rule() const {
  return rule_.save();
}

template <>
Status RuleStrategy<BreakoutRule>::restore_rule(const json& state) {
  return rule_.restore(state);
}

namespace {

Status check(const Params& params) {
  if (params.integer("swing_lookback") <= params.integer("swing_strength")) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("breakout: parameter 'swing_lookback' ({}) must be greater than "
                             "'swing_strength' ({}): a swing high is confirmed that many bars "
                             "after it",
                             params.integer("swing_lookback"), params.integer("swing_strength")));
  }
  return Status();
}

}  // namespace

StrategyInfo breakout_info() {
  StrategyInfo info;
  info.name = std::string(BreakoutRule::kName);
  info.summary =
      "long when the close rises above the most recent swing high, exit at a stop set "
      "stop_atr_multiple ATRs below the entry close";
  info.params = {
      integer_param(
          "swing_strength", 2, 1, 20,
          "bars on each side a swing high must stand above (before) and not below (after)"),
      integer_param("swing_lookback", 60, 2, 1000,
                    "a swing high older than this many bars is forgotten"),
      integer_param("atr_period", 14, 1, 1000,
                    "bars in the ATR (Wilder) that sets the stop distance"),
      number_param("stop_atr_multiple", 2.0, 0, 20, "stop distance below the entry close, in ATRs",
                   Bound::kAbove),
  };
  info.check = check;
  info.gives_stop = [](const Params&) { return true; };
  info.make = [](StrategyConfig config) -> std::unique_ptr<Strategy> {
    return std::make_unique<RuleStrategy<BreakoutRule>>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
