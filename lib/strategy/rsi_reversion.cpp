// rsi-reversion: buy weakness, sell the recovery. Long when RSI (Wilder) crosses below
// `entry_below` (the previous bar's RSI was at or above it, this bar's is below); out when RSI
// rises above `exit_above`, or, when stop_atr_multiple > 0, when the close falls to or below a stop
// set that many ATRs below the entry close. Entering on the cross rather than on "RSI is low" means
// a stopped-out position is not bought back at once while RSI stays low.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>

#include "strategy/indicators.h"
#include "strategy/registry.h"
#include "strategy/state_json.h"

namespace sm::strategy {
namespace {

using nlohmann::json;

class RsiReversion final : public Strategy {
 public:
  explicit RsiReversion(StrategyConfig config)
      : Strategy(std::move(config)),
        period_(static_cast<int>(params().integer("period"))),
        entry_below_(params().number("entry_below")),
        exit_above_(params().number("exit_above")),
        atr_period_(static_cast<int>(params().integer("atr_period"))),
        atr_multiple_(params().number("stop_atr_multiple")),
        state_(period_, atr_period_) {}

 protected:
  Decision evaluate(const Bar& bar, const PositionView& position) override {
    State& s = state_;
    std::optional<double> rsi = s.rsi.update(to_rupees(bar.close));
    std::optional<double> atr =
        s.atr.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
    std::optional<double> previous = s.previous_rsi;
    s.previous_rsi = rsi;
    if (position.order_pending) return {};

    if (position.qty == 0) {
      s.stop = 0;
      if (!rsi || !previous || !(*previous >= entry_below_ && *rsi < entry_below_)) return {};
      std::string reason =
          fmt::format("rsi({}) {:.2f} crossed below {}", period_, *rsi, entry_below_);
      if (atr_multiple_ > 0) {
        if (!atr) return Decision::hold(reason + ", but ATR is not known yet: no stop, no entry");
        s.stop = stop_below(bar.close, atr_multiple_ * *atr);
      }
      return Decision::enter_long(s.stop, reason);
    }

    if (atr_multiple_ > 0 && s.stop == 0 && atr) {
      // A position entered without this instance's knowledge: stop below its average price.
      Paise basis = position.average_price > 0 ? position.average_price : bar.close;
      s.stop = stop_below(basis, atr_multiple_ * *atr);
    }
    if (s.stop > 0 && bar.close <= s.stop) {
      return Decision::exit_long(fmt::format("close {} at or below the stop {}",
                                             format_rupees(bar.close), format_rupees(s.stop)));
    }
    if (rsi && *rsi > exit_above_) {
      return Decision::exit_long(
          fmt::format("rsi({}) {:.2f} above {}", period_, *rsi, exit_above_));
    }
    return {};
  }

  json save_rule() const override {
    return json{{"rsi", state_.rsi.save()},
                {"atr", state_.atr.save()},
                {"previous_rsi", state::optional_json(state_.previous_rsi)},
                {"stop", state_.stop}};
  }

  Status restore_rule(const json& saved) override {
    State next(period_, atr_period_);
    Status inner;
    SM_RETURN_IF_ERROR(state::restore_guarded("rsi-reversion", [&] {
      next.previous_rsi = state::get_optional_number(saved, "previous_rsi");
      next.stop = state::get_integer(saved, "stop", 0, kMaxAbsPaise);
      inner = next.rsi.restore(state::field(saved, "rsi"));
      if (inner.ok()) inner = next.atr.restore(state::field(saved, "atr"));
    }));
    SM_RETURN_IF_ERROR(inner);
    state_ = next;
    return Status();
  }

 private:
  struct State {
    State(int period, int atr_period) : rsi(period), atr(atr_period) {}
    Rsi rsi;
    Atr atr;
    std::optional<double> previous_rsi;
    Paise stop = 0;  // of the current position; 0 when flat, none or not known
  };

  int period_;
  double entry_below_;
  double exit_above_;
  int atr_period_;
  double atr_multiple_;
  State state_;
};

Status check(const Params& params) {
  if (params.number("exit_above") <= params.number("entry_below")) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("rsi-reversion: parameter 'exit_above' ({}) must be greater than "
                             "'entry_below' ({})",
                             params.number("exit_above"), params.number("entry_below")));
  }
  return Status();
}

}  // namespace

StrategyInfo rsi_reversion_info() {
  StrategyInfo info;
  info.name = "rsi-reversion";
  info.summary =
      "long when RSI crosses below entry_below, exit when it rises above exit_above (or at an "
      "optional ATR stop)";
  info.params = {
      integer_param("period", 14, 2, 1000, "bars in the RSI (Wilder)"),
      number_param("entry_below", 30.0, 0, 100, "enter when RSI crosses below this level",
                   Bound::kAbove),
      number_param("exit_above", 50.0, 0, 100,
                   "exit when RSI rises above this level; must be greater than entry_below",
                   Bound::kAbove),
      number_param("stop_atr_multiple", 0.0, 0, 20,
                   "stop distance below the entry close in ATRs; 0 = no stop"),
      integer_param("atr_period", 14, 1, 1000, "bars in the ATR (Wilder) used for the stop"),
  };
  info.check = check;
  info.gives_stop = [](const Params& params) { return params.number("stop_atr_multiple") > 0; };
  info.make = [](StrategyConfig config) -> std::unique_ptr<Strategy> {
    return std::make_unique<RsiReversion>(std::move(config));
  };
  return info;
}

}  // namespace sm::strategy
