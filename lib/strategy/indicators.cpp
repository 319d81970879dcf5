#include "strategy/indicators.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "strategy/state_json.h"

namespace sm::strategy {
namespace {

using nlohmann::json;
using state::StateError;

// TA-Lib's TA_IS_ZERO and TA_IS_ZERO_OR_NEG use this epsilon for doubles.
constexpr double kTaEpsilon = 0.00000001;

constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max() / 2;

void check_parameter(const json& state, std::string_view key, std::int64_t expected) {
  std::int64_t saved = state::get_integer(state, key);
  if (saved != expected) {
    throw StateError("saved with " + std::string(key) + " " + std::to_string(saved) +
                     ", this indicator has " + std::to_string(expected));
  }
}

void check_parameter(const json& state, std::string_view key, double expected) {
  double saved = state::get_number(state, key);
  if (saved != expected) {
    throw StateError("saved with " + std::string(key) + " " + std::to_string(saved) +
                     ", this indicator has " + std::to_string(expected));
  }
}

std::size_t to_size(int period) { return static_cast<std::size_t>(period); }

// The saved "value" of an indicator whose first value comes at update first_defined: present
// exactly when count has reached it, or the state is not one an indicator saved.
std::optional<double> read_value(const json& saved, std::int64_t count,
                                 std::int64_t first_defined) {
  std::optional<double> value = state::get_optional_number(saved, "value");
  if (value.has_value() != (count >= first_defined)) {
    throw StateError("value does not agree with count");
  }
  return value;
}

}  // namespace

Sma::Sma(int period) : period_(period), window_(to_size(period)) { assert(period >= 1); }

std::optional<double> Sma::update(double value) {
  // TA-Lib: periodTotal += new; out = periodTotal / period; periodTotal -= trailing. The order is
  // kept so that the floating-point result is the same.
  sum_ += value;
  window_.push(value);
  if (window_.full()) {
    value_ = sum_ / static_cast<double>(period_);
    sum_ -= window_.oldest();
  }
  return value_;
}

json Sma::save() const {
  return json{{"period", period_},
              {"window", state::window_json(window_)},
              {"sum", sum_},
              {"value", state::optional_json(value_)}};
}

Status Sma::restore(const json& saved) {
  Sma next(period_);
  SM_RETURN_IF_ERROR(state::restore_guarded("sma", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    state::read_window(saved, "window", next.window_);
    next.sum_ = state::get_number(saved, "sum");
    next.value_ = state::get_optional_number(saved, "value");
  }));
  *this = std::move(next);
  return Status();
}

Ema::Ema(int period) : period_(period), k_(k_for(period)) { assert(period >= 1); }

std::optional<double> Ema::update(double value) {
  ++count_;
  if (count_ < period_) {
    seed_sum_ += value;
  } else if (count_ == period_) {
    seed_sum_ += value;
    value_ = seed_sum_ / static_cast<double>(period_);
  } else {
    value_ = (value - *value_) * k_ + *value_;
  }
  return value_;
}

json Ema::save() const {
  return json{{"period", period_},
              {"count", count_},
              {"seed_sum", seed_sum_},
              {"value", state::optional_json(value_)}};
}

Status Ema::restore(const json& saved) {
  Ema next(period_);
  SM_RETURN_IF_ERROR(state::restore_guarded("ema", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    next.count_ = state::get_integer(saved, "count", 0, kMaxCount);
    next.seed_sum_ = state::get_number(saved, "seed_sum");
    next.value_ = read_value(saved, next.count_, period_);
  }));
  *this = next;
  return Status();
}

Rsi::Rsi(int period) : period_(period) { assert(period >= 2); }

std::optional<double> Rsi::update(double value) {
  ++count_;
  if (count_ == 1) {
    previous_ = value;
    return value_;
  }
  double change = value - previous_;
  previous_ = value;
  const double period = static_cast<double>(period_);
  if (count_ <= period_ + 1) {
    // Seeding: sums of the first `period` gains and losses (TA-Lib adds a zero change to gains).
    if (change < 0) {
      loss_ -= change;
    } else {
      gain_ += change;
    }
    if (count_ < period_ + 1) return value_;
    loss_ /= period;
    gain_ /= period;
  } else {
    loss_ *= period - 1;
    gain_ *= period - 1;
    if (change < 0) {
      loss_ -= change;
    } else {
      gain_ += change;
    }
    loss_ /= period;
    gain_ /= period;
  }
  double total = gain_ + loss_;
  value_ = (-kTaEpsilon < total && total < kTaEpsilon) ? 0.0 : 100.0 * (gain_ / total);
  return value_;
}

json Rsi::save() const {
  return json{{"period", period_}, {"count", count_}, {"previous", previous_},
              {"gain", gain_},     {"loss", loss_},   {"value", state::optional_json(value_)}};
}

Status Rsi::restore(const json& saved) {
  Rsi next(period_);
  SM_RETURN_IF_ERROR(state::restore_guarded("rsi", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    next.count_ = state::get_integer(saved, "count", 0, kMaxCount);
    next.previous_ = state::get_number(saved, "previous");
    next.gain_ = state::get_number(saved, "gain");
    next.loss_ = state::get_number(saved, "loss");
    next.value_ = read_value(saved, next.count_, std::int64_t{period_} + 1);
  }));
  *this = next;
  return Status();
}

Atr::Atr(int period) : period_(period) { assert(period >= 1); }

std::optional<double> Atr::update(double high, double low, double close) {
  ++count_;
  if (count_ == 1) {
    previous_close_ = close;
    return value_;
  }
  // TA-Lib TRANGE, in its order of operations.
  double range = high - low;
  double to_high = std::fabs(previous_close_ - high);
  if (to_high > range) range = to_high;
  double to_low = std::fabs(low - previous_close_);
  if (to_low > range) range = to_low;
  previous_close_ = close;

  const double period = static_cast<double>(period_);
  if (count_ <= period_ + 1) {
    tr_sum_ += range;
    if (count_ == period_ + 1) value_ = tr_sum_ / period;
  } else {
    double atr = *value_ * (period - 1);
    atr += range;
    value_ = atr / period;
  }
  return value_;
}

json Atr::save() const {
  return json{{"period", period_},
              {"count", count_},
              {"previous_close", previous_close_},
              {"tr_sum", tr_sum_},
              {"value", state::optional_json(value_)}};
}

Status Atr::restore(const json& saved) {
  Atr next(period_);
  SM_RETURN_IF_ERROR(state::restore_guarded("atr", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    next.count_ = state::get_integer(saved, "count", 0, kMaxCount);
    next.previous_close_ = state::get_number(saved, "previous_close");
    next.tr_sum_ = state::get_number(saved, "tr_sum");
    next.value_ = read_value(saved, next.count_, std::int64_t{period_} + 1);
  }));
  *this = next;
  return Status();
}

namespace {
int macd_fast(int fast, int slow) { return slow < fast ? slow : fast; }
int macd_slow(int fast, int slow) { return slow < fast ? fast : slow; }
}  // namespace

Macd::Macd(int fast, int slow, int signal)
    : fast_(macd_fast(fast, slow)),
      slow_(macd_slow(fast, slow)),
      signal_period_(signal),
      k_fast_(Ema::k_for(macd_fast(fast, slow))),
      fast_seed_(to_size(macd_fast(fast, slow))),
      slow_ema_(macd_slow(fast, slow)),
      signal_ema_(signal) {
  assert(fast >= 2 && slow >= 2 && signal >= 1);
}

int Macd::lookback(int fast, int slow, int signal) {
  return Ema::lookback(macd_slow(fast, slow)) + Ema::lookback(signal);
}

std::optional<MacdValue> Macd::update(double value) {
  ++count_;
  std::optional<double> slow = slow_ema_.update(value);
  if (!fast_ema_) {
    fast_seed_.push(value);
    if (!slow) return value_;
    // TA-Lib runs its EMA routine from the slow line's first row for both lines, so the fast EMA
    // is seeded there with the mean of the last `fast` values, summed oldest first.
    double sum = 0.0;
    for (std::size_t i = 0; i < fast_seed_.size(); ++i) sum += fast_seed_[i];
    fast_ema_ = sum / static_cast<double>(fast_);
    fast_seed_.clear();
  } else {
    fast_ema_ = (value - *fast_ema_) * k_fast_ + *fast_ema_;
  }
  double macd = *fast_ema_ - *slow;
  std::optional<double> signal = signal_ema_.update(macd);
  if (signal) value_ = MacdValue{macd, *signal, macd - *signal};
  return value_;
}

json Macd::save() const {
  json out{{"fast", fast_},
           {"slow", slow_},
           {"signal", signal_period_},
           {"count", count_},
           {"fast_seed", state::window_json(fast_seed_)},
           {"slow_ema", slow_ema_.save()},
           {"fast_ema", state::optional_json(fast_ema_)},
           {"signal_ema", signal_ema_.save()}};
  out["value"] =
      value_ ? json::array({value_->macd, value_->signal, value_->histogram}) : json(nullptr);
  return out;
}

Status Macd::restore(const json& saved) {
  Macd next(fast_, slow_, signal_period_);
  Status inner;
  SM_RETURN_IF_ERROR(state::restore_guarded("macd", [&] {
    check_parameter(saved, "fast", std::int64_t{fast_});
    check_parameter(saved, "slow", std::int64_t{slow_});
    check_parameter(saved, "signal", std::int64_t{signal_period_});
    next.count_ = state::get_integer(saved, "count", 0, kMaxCount);
    state::read_window(saved, "fast_seed", next.fast_seed_);
    inner = next.slow_ema_.restore(state::field(saved, "slow_ema"));
    if (!inner.ok()) return;
    next.fast_ema_ = state::get_optional_number(saved, "fast_ema");
    inner = next.signal_ema_.restore(state::field(saved, "signal_ema"));
    if (!inner.ok()) return;
    const json& value = state::field(saved, "value");
    if (!value.is_null()) {
      if (!value.is_array() || value.size() != 3)
        throw StateError("value is not [macd, signal, hist]");
      next.value_ =
          MacdValue{state::number_value(value[0], "value"), state::number_value(value[1], "value"),
                    state::number_value(value[2], "value")};
    }
    if (next.fast_ema_.has_value() != next.slow_ema_.value().has_value()) {
      throw StateError("fast and slow lines disagree");
    }
  }));
  if (!inner.ok()) return inner.with_context("macd");
  *this = std::move(next);
  return Status();
}

Bollinger::Bollinger(int period, double deviations_up, double deviations_down)
    : period_(period),
      deviations_up_(deviations_up),
      deviations_down_(deviations_down),
      window_(to_size(period)) {
  assert(period >= 2);
}

std::optional<BandsValue> Bollinger::update(double value) {
  // TA_BBANDS = TA_INT_SMA plus TA_INT_stddev_using_precalc_ma, each a running total with the
  // same add / use / subtract order as Sma.
  sum_ += value;
  sum_squares_ += value * value;
  window_.push(value);
  if (!window_.full()) return value_;
  const double period = static_cast<double>(period_);
  double middle = sum_ / period;
  double mean_square = sum_squares_ / period;
  const double oldest = window_.oldest();
  sum_ -= oldest;
  sum_squares_ -= oldest * oldest;
  double variance = mean_square - middle * middle;
  double deviation = variance < kTaEpsilon ? 0.0 : std::sqrt(variance);
  value_ = BandsValue{middle + deviation * deviations_up_, middle,
                      middle - deviation * deviations_down_};
  return value_;
}

json Bollinger::save() const {
  json out{{"period", period_},
           {"deviations_up", deviations_up_},
           {"deviations_down", deviations_down_},
           {"window", state::window_json(window_)},
           {"sum", sum_},
           {"sum_squares", sum_squares_}};
  out["value"] =
      value_ ? json::array({value_->upper, value_->middle, value_->lower}) : json(nullptr);
  return out;
}

Status Bollinger::restore(const json& saved) {
  Bollinger next(period_, deviations_up_, deviations_down_);
  SM_RETURN_IF_ERROR(state::restore_guarded("bollinger", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    check_parameter(saved, "deviations_up", deviations_up_);
    check_parameter(saved, "deviations_down", deviations_down_);
    state::read_window(saved, "window", next.window_);
    next.sum_ = state::get_number(saved, "sum");
    next.sum_squares_ = state::get_number(saved, "sum_squares");
    const json& value = state::field(saved, "value");
    if (!value.is_null()) {
      if (!value.is_array() || value.size() != 3)
        throw StateError("value is not [upper, middle, lower]");
      next.value_ =
          BandsValue{state::number_value(value[0], "value"), state::number_value(value[1], "value"),
                     state::number_value(value[2], "value")};
    }
  }));
  *this = std::move(next);
  return Status();
}

template <typename T, Extreme kKind>
RollingExtreme<T, kKind>::RollingExtreme(int period) : period_(period) {
  assert(period >= 1);
}

template <typename T, Extreme kKind>
std::optional<T> RollingExtreme<T, kKind>::update(T value) {
  const std::int64_t index = count_++;
  // A candidate no better than the new value can never be the extreme again: drop it.
  while (!candidates_.empty()) {
    const T& back = candidates_.back().value;
    bool dominated = kKind == Extreme::kHighest ? back <= value : back >= value;
    if (!dominated) break;
    candidates_.pop_back();
  }
  candidates_.push_back(Candidate{index, value});
  while (candidates_.front().index <= index - period_) candidates_.pop_front();
  return this->value();
}

template <typename T, Extreme kKind>
std::optional<T> RollingExtreme<T, kKind>::value() const {
  if (count_ < period_) return std::nullopt;
  return candidates_.front().value;
}

template <typename T, Extreme kKind>
json RollingExtreme<T, kKind>::save() const {
  json candidates = json::array();
  for (const Candidate& c : candidates_) candidates.push_back(json::array({c.index, c.value}));
  return json{{"period", period_}, {"count", count_}, {"candidates", std::move(candidates)}};
}

template <typename T, Extreme kKind>
Status RollingExtreme<T, kKind>::restore(const json& saved) {
  RollingExtreme next(period_);
  SM_RETURN_IF_ERROR(state::restore_guarded("rolling extreme", [&] {
    check_parameter(saved, "period", std::int64_t{period_});
    next.count_ = state::get_integer(saved, "count", 0, kMaxCount);
    const json& candidates = state::get_array(saved, "candidates");
    for (const json& c : candidates) {
      if (!c.is_array() || c.size() != 2) throw StateError("candidate is not [index, value]");
      Candidate candidate{state::integer_value(c[0], "candidate index"),
                          state::element_value<T>(c[1], "candidate value")};
      // Indexes must be inside the window and increasing, values strictly worse toward the back.
      if (candidate.index < next.count_ - period_ || candidate.index >= next.count_ ||
          (!next.candidates_.empty() &&
           (candidate.index <= next.candidates_.back().index ||
            (kKind == Extreme::kHighest ? candidate.value >= next.candidates_.back().value
                                        : candidate.value <= next.candidates_.back().value)))) {
        throw StateError("candidates are not a valid window");
      }
      next.candidates_.push_back(candidate);
    }
    if (next.count_ > 0 &&
        (next.candidates_.empty() || next.candidates_.back().index != next.count_ - 1)) {
      throw StateError("the newest value is missing from the candidates");
    }
  }));
  *this = std::move(next);
  return Status();
}

template <typename T, Extreme kKind>
json PriorExtreme<T, kKind>::save() const {
  json out{{"window", window_.save()}};
  out["value"] = value_ ? json(*value_) : json(nullptr);
  return out;
}

template <typename T, Extreme kKind>
Status PriorExtreme<T, kKind>::restore(const json& saved) {
  RollingExtreme<T, kKind> window(window_.period());
  std::optional<T> value;
  Status inner;
  SM_RETURN_IF_ERROR(state::restore_guarded("prior extreme", [&] {
    inner = window.restore(state::field(saved, "window"));
    const json& v = state::field(saved, "value");
    if (!v.is_null()) value = state::element_value<T>(v, "value");
  }));
  SM_RETURN_IF_ERROR(inner);
  window_ = std::move(window);
  value_ = value;
  return Status();
}

template class RollingExtreme<double, Extreme::kHighest>;
template class RollingExtreme<double, Extreme::kLowest>;
template class RollingExtreme<std::int64_t, Extreme::kHighest>;
template class RollingExtreme<std::int64_t, Extreme::kLowest>;
template class PriorExtreme<double, Extreme::kHighest>;
template class PriorExtreme<double, Extreme::kLowest>;
template class PriorExtreme<std::int64_t, Extreme::kHighest>;
template class PriorExtreme<std::int64_t, Extreme::kLowest>;

std::optional<double> Vwap::update(double price, double volume, std::int64_t session_id) {
  assert(volume >= 0);
  if (!session_ || *session_ != session_id) {
    session_ = session_id;
    price_volume_ = 0.0;
    volume_ = 0.0;
    value_.reset();
  }
  price_volume_ += price * volume;
  volume_ += volume;
  if (volume_ > 0) value_ = price_volume_ / volume_;
  return value_;
}

json Vwap::save() const {
  return json{{"session", state::optional_json(session_)},
              {"price_volume", price_volume_},
              {"volume", volume_},
              {"value", state::optional_json(value_)}};
}

Status Vwap::restore(const json& saved) {
  Vwap next;
  SM_RETURN_IF_ERROR(state::restore_guarded("vwap", [&] {
    next.session_ = state::get_optional_integer(saved, "session");
    next.price_volume_ = state::get_number(saved, "price_volume");
    next.volume_ = state::get_number(saved, "volume");
    next.value_ = state::get_optional_number(saved, "value");
    if (next.volume_ < 0) throw StateError("negative volume");
  }));
  *this = next;
  return Status();
}

std::int64_t ist_session_id(TimestampMs ts) { return days_from_civil(ist_date(ts)); }

}  // namespace sm::strategy
