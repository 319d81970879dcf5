// breakout: the swing-high breakout from the design. A swing high is a bar whose high is strictly
// above the highs of the `swing_strength` bars before it and not below the highs of the
// `swing_strength` bars after it (so the first bar of a flat top counts); it is known only once
// those later bars exist. The most recent swing high no older than `swing_lookback` bars is the
// level to beat: flat and close strictly above it -> enter, with a stop `stop_atr_multiple` ATRs
// below the close (rounded down to the tick). Each swing high gives at most one entry. Long and
// close at or below the stop -> exit. The stop is fixed for the life of the position.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "strategy/indicators.h"
#include "strategy/registry.h"
#include "strategy/state_json.h"
#include "strategy/window.h"

namespace sm::strategy {
namespace {

using nlohmann::json;

class Breakout final : public Strategy {
 public:
  explicit Breakout(StrategyConfig config)
      : Strategy(std::move(config)),
        strength_(static_cast<int>(params().integer("swing_strength"))),
        lookback_(params().integer("swing_lookback")),
        atr_period_(static_cast<int>(params().integer("atr_period"))),
        atr_multiple_(params().number("stop_atr_multiple")),
        state_(strength_, atr_period_) {}

 protected:
  Decision evaluate(const Bar& bar, const PositionView& position) override {
    State& s = state_;
    const std::int64_t index = s.bars++;
    s.highs.push(bar.high);
    std::optional<double> atr =
        s.atr.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
    if (s.highs.full() && is_swing_high(s.highs)) {
      s.swing = Swing{s.highs[static_cast<std::size_t>(strength_)], index - strength_, false};
    }
    if (s.swing && index - s.swing->index > lookback_) s.swing.reset();
    if (position.order_pending) return {};

    if (position.qty == 0) {
      s.stop = 0;
      if (!s.swing || s.swing->used || bar.close <= s.swing->level) return {};
      std::string reason =
          fmt::format("close {} above the swing high {} of {} bars ago", format_rupees(bar.close),
                      format_rupees(s.swing->level), index - s.swing->index);
      if (!atr) return Decision::hold(reason + ", but ATR is not known yet: no stop, no entry");
      s.swing->used = true;
      s.stop = stop_below(bar.close, atr_multiple_ * *atr);
      return Decision::enter_long(s.stop, reason);
    }

    if (s.stop == 0 && atr) {
      // A position this instance did not see entered (restart without state, manual entry): put
      // the stop below its average price, or below the close when that is unknown.
      Paise basis = position.average_price > 0 ? position.average_price : bar.close;
      s.stop = stop_below(basis, atr_multiple_ * *atr);
    }
    if (s.stop > 0 && bar.close <= s.stop) {
      return Decision::exit_long(fmt::format("close {} at or below the stop {}",
                                             format_rupees(bar.close), format_rupees(s.stop)));
    }
    return {};
  }

  json save_rule() const override {
    json swing = nullptr;
    if (state_.swing) {
      swing = json{{"level", state_.swing->level},
                   {"index", state_.swing->index},
                   {"used", state_.swing->used}};
    }
    return json{{"bars", state_.bars},
                {"highs", state::window_json(state_.highs)},
                {"swing", std::move(swing)},
                {"atr", state_.atr.save()},
                {"stop", state_.stop}};
  }

  Status restore_rule(const json& saved) override {
    State next(strength_, atr_period_);
    Status inner;
    SM_RETURN_IF_ERROR(state::restore_guarded("breakout", [&] {
      next.bars = state::get_integer(saved, "bars", 0, INT64_MAX / 2);
      state::read_window(saved, "highs", next.highs);
      const json& swing = state::field(saved, "swing");
      if (!swing.is_null()) {
        next.swing = Swing{state::get_integer(swing, "level"), state::get_integer(swing, "index"),
                           state::get_bool(swing, "used")};
        if (next.swing->index < 0 || next.swing->index >= next.bars) {
          throw state::StateError("swing index outside the bars seen");
        }
      }
      next.stop = state::get_integer(saved, "stop", 0, kMaxAbsPaise);
      inner = next.atr.restore(state::field(saved, "atr"));
    }));
    SM_RETURN_IF_ERROR(inner);
    state_ = std::move(next);
    return Status();
  }

 private:
  struct Swing {
    Paise level;
    std::int64_t index;  // bar number of the swing high
    bool used;           // an entry was already decided on it
  };
  struct State {
    State(int strength, int atr_period)
        : highs(static_cast<std::size_t>(2 * strength + 1)), atr(atr_period) {}
    std::int64_t bars = 0;
    Window<Paise> highs;  // the last 2 * strength + 1 highs
    std::optional<Swing> swing;
    Atr atr;
    Paise stop = 0;  // of the current position; 0 when flat or not known
  };

  // The middle of the window is a swing high: above all before it, not below any after it.
  bool is_swing_high(const Window<Paise>& highs) const {
    const std::size_t middle = static_cast<std::size_t>(strength_);
    const Paise level = highs[middle];
    for (std::size_t i = 0; i < middle; ++i) {
      if (highs[i] >= level) return false;
    }
    for (std::size_t i = middle + 1; i < highs.size(); ++i) {
      if (highs[i] > level) return false;
    }
    return true;
  }

  int strength_;
  std::int64_t lookback_;
  int atr_period_;
  double atr_multiple_;
  State state_;
};

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
  info.name = "breakout";
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
    return std::make_unique<Breakout>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
