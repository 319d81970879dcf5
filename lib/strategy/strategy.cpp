#include "strategy/strategy.h"

#include <fmt/format.h>
#include <cmath>
#include <nlohmann/json.hpp>

#include "strategy/state_json.h"
#include "time/bar_time.h"

namespace sm::strategy {
namespace {

using nlohmann::json;

constexpr int kStateFormat = 1;

Status invalid_bar(const Bar& bar, std::string_view what) {
  return error(ErrorCode::kInvalidArgument,
               fmt::format("bar {} {}: {}", bar.symbol, format_utc(bar.ts), what));
}

}  // namespace

std::string_view action_name(Action action) {
  switch (action) {
    case Action::kHold:
      return "hold";
    case Action::kEnterLong:
      return "enter_long";
    case Action::kExitLong:
      return "exit_long";
  }
  return "hold";
}

Result<Decision> Strategy::on_bar(const Bar& bar, const PositionView& position) {
  if (bar.symbol.empty()) return invalid_bar(bar, "no symbol");
  if (!symbol_.empty() && bar.symbol != symbol_) {
    return invalid_bar(bar, fmt::format("this {} instance trades {}", name(), symbol_));
  }
  if (bars_seen_ > 0 && bar.ts <= last_ts_) {
    return invalid_bar(bar, "not after the previous bar " + format_utc(last_ts_));
  }
  if (bar.open <= 0 || bar.high <= 0 || bar.low <= 0 || bar.close <= 0) {
    return invalid_bar(bar, "a price is not positive");
  }
  if (bar.low > bar.high) return invalid_bar(bar, "low is above high");
  if (position.qty < 0) {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: position {} is negative; strategies are long only", name(), position.qty));
  }
  if (symbol_.empty()) symbol_ = bar.symbol;
  last_ts_ = bar.ts;
  ++bars_seen_;

  const PriceBar prices = price_bar(bar);
  const Choice chosen = step(prices, position);
  std::string refused;
  const Choice settled = settle(chosen, bar.close, position, &refused);
  Decision decision;
  decision.action = settled.action;
  decision.qty = settled.qty;
  decision.price = bar.close;
  decision.stop = settled.stop;
  const bool sizing_refused = chosen.action == Action::kEnterLong &&
                              settled.action == Action::kHold && position.qty == 0 &&
                              !position.order_pending;
  if (sizing_refused) {
    decision.reason = "entry not taken (" + refused + "): " + describe(chosen, prices);
  } else if (settled.action != Action::kHold ||
             (chosen.action == Action::kHold && chosen.why != 0)) {
    decision.reason = describe(chosen, prices);
  }
  return decision;
}

Choice Strategy::settle(const Choice& choice, Paise close, const PositionView& position,
                        std::string* refused) const {
  Choice out = choice;
  switch (choice.action) {
    case Action::kHold:
      out.qty = 0;
      break;
    case Action::kEnterLong: {
      // The rules check the position themselves; this keeps the engine long only regardless.
      if (position.qty > 0 || position.order_pending) return Choice{};
      Result<Quantity> qty = size_entry(config_.sizing, position.capital, close, choice.stop);
      if (!qty.ok() || *qty <= 0) {
        if (refused != nullptr)
          *refused = qty.ok() ? "sizing gives 0 shares" : qty.status().message();
        out.action = Action::kHold;
        out.qty = 0;
        return out;
      }
      out.qty = *qty;
      break;
    }
    case Action::kExitLong:
      if (position.qty == 0 || position.order_pending) return Choice{};
      out.qty = position.qty;
      break;
  }
  return out;
}

std::size_t Strategy::accepted_run(std::span<const Bar> bars, const BarCount& count) {
  if (bars.empty() || !accepts(price_bar(bars.front()), count)) return 0;
  // accepts()'s rule (prices_accepted and the time order) spelled out with one test and branch
  // per condition: as && they were combined with setcc and and, 22 instructions a bar against 16.
  // A change to one must be made to the other; rule_strategy_test compares them on every kind of
  // refused bar.
  TimestampMs previous = bars.front().ts;
  for (std::size_t i = 1; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    if (bar.ts <= previous) [[unlikely]]
      return i;
    if (bar.open <= 0) [[unlikely]]
      return i;
    if (bar.low <= 0) [[unlikely]]
      return i;
    if (bar.close <= 0) [[unlikely]]
      return i;
    if (bar.low > bar.high) [[unlikely]]
      return i;
    previous = bar.ts;
  }
  return bars.size();
}

std::string Strategy::save_state() const {
  json out{{"format", kStateFormat}, {"strategy", name()},  {"params", params().to_json()},
           {"symbol", symbol_},      {"last_ts", last_ts_}, {"bars_seen", bars_seen_},
           {"rule", save_rule()}};
  return out.dump();
}

Status Strategy::restore_state(std::string_view text) {
  json saved = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (saved.is_discarded() || !saved.is_object()) {
    return error(ErrorCode::kParseError, name() + ": saved state is not a JSON object");
  }
  std::string symbol;
  TimestampMs last_ts = 0;
  std::int64_t bars_seen = 0;
  Status conflict;
  const json* rule = nullptr;
  SM_RETURN_IF_ERROR(state::restore_guarded(name(), [&] {
    std::int64_t format = state::get_integer(saved, "format");
    if (format != kStateFormat) {
      throw state::StateError("format " + std::to_string(format) + " is not " +
                              std::to_string(kStateFormat));
    }
    const json& strategy = state::field(saved, "strategy");
    if (!strategy.is_string() || strategy.get<std::string>() != name()) {
      conflict = error(ErrorCode::kConflict, fmt::format("{}: saved state belongs to strategy {}",
                                                         name(), strategy.dump()));
      return;
    }
    const json& saved_params = state::field(saved, "params");
    json ours = params().to_json();
    if (saved_params != ours) {
      conflict = error(ErrorCode::kConflict,
                       fmt::format("{}: saved state was made with parameters {}, this instance has "
                                   "{}; start it afresh",
                                   name(), saved_params.dump(), ours.dump()));
      return;
    }
    const json& saved_symbol = state::field(saved, "symbol");
    if (!saved_symbol.is_string()) throw state::StateError("'symbol' is not text");
    symbol = saved_symbol.get<std::string>();
    last_ts = state::get_integer(saved, "last_ts");
    bars_seen = state::get_integer(saved, "bars_seen", 0, INT64_MAX);
    rule = &state::field(saved, "rule");
  }));
  SM_RETURN_IF_ERROR(conflict);
  Status restored = restore_rule(*rule);
  if (!restored.ok()) return restored.with_context(name());
  symbol_ = std::move(symbol);
  last_ts_ = last_ts;
  bars_seen_ = bars_seen;
  return Status();
}

Paise stop_below(Paise price, double distance_rupees) {
  double stop = std::floor(static_cast<double>(price) - distance_rupees * kPaisePerRupee);
  if (!std::isfinite(stop) || stop < 1 || stop >= static_cast<double>(price)) return 0;
  Paise rounded = round_to_tick(static_cast<Paise>(stop), nse_tick_for(static_cast<Paise>(stop)),
                                TickRounding::kDown);
  return rounded > 0 ? rounded : 0;
}

Signal make_signal(const Decision& decision, std::string_view instance, const Bar& bar) {
  Signal signal;
  signal.ts = time::bar_known_at(bar);
  signal.strategy = std::string(instance);
  signal.symbol = bar.symbol;
  signal.action =
      decision.action == Action::kExitLong ? SignalAction::kExitLong : SignalAction::kEnterLong;
  signal.qty = decision.qty;
  signal.price = decision.price;
  signal.stop = decision.stop;
  signal.reason = decision.reason;
  return signal;
}

}  // namespace sm::strategy
