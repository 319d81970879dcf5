// Streaming technical indicators. Each object takes one value (or one bar) per update in O(1)
// (amortised O(1) for the rolling extremes) and returns the indicator's value for that update, or
// nullopt while it is not defined yet (TA-Lib's "lookback": the first lookback() updates give
// nothing). Definitions, seeding and arithmetic order follow the TA-Lib C library (0.4 batch
// functions, default compatibility, unstable period 0), so a series fed from the first bar equals
// TA-Lib's output for the whole series; docs/INDICATORS.md writes each one down.
//
// Indicators are plain values: copyable, no I/O, no clock. save() writes the complete state as a
// JSON value and restore() reads it back into an indicator constructed with the same parameters;
// a restored indicator continues bit-for-bit as the original would have. restore() fails with
// kParseError (leaving the indicator unchanged) when the state is malformed or was saved with other
// parameters. Arithmetic is double; money rules that must be exact use integer paise elsewhere.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "core/status.h"
#include "core/timestamp.h"
#include "strategy/window.h"

namespace sm::strategy {

// Simple moving average: the mean of the last `period` values. TA-Lib's running sum (add the new
// value, divide, subtract the value leaving the window) is reproduced exactly.
class Sma {
 public:
  explicit Sma(int period);  // REQUIRES: period >= 1
  static int lookback(int period) { return period - 1; }

  std::optional<double> update(double value);
  std::optional<double> value() const { return value_; }
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int period_;
  Window<double> window_;
  double sum_ = 0.0;  // sum of the window minus its oldest value once full
  std::optional<double> value_;
};

// Exponential moving average with k = 2 / (period + 1), seeded at update `period` with the plain
// mean of the first `period` values; then ema += k * (value - ema) (computed as TA-Lib does:
// (value - ema) * k + ema).
class Ema {
 public:
  explicit Ema(int period);  // REQUIRES: period >= 1
  static int lookback(int period) { return period - 1; }
  static double k_for(int period) { return 2.0 / static_cast<double>(period + 1); }

  std::optional<double> update(double value);
  std::optional<double> value() const { return value_; }
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int period_;
  double k_;
  std::int64_t count_ = 0;
  double seed_sum_ = 0.0;
  std::optional<double> value_;
};

// Relative strength index with Wilder's smoothing. Changes start at the second value; the first
// average gain and loss are the plain means of the first `period` changes (defined at update
// period + 1), then avg = (avg * (period - 1) + x) / period. RSI = 100 * gain / (gain + loss), and
// 0 when gain + loss is within 1e-8 of zero (TA-Lib's TA_IS_ZERO).
class Rsi {
 public:
  explicit Rsi(int period);  // REQUIRES: period >= 2
  static int lookback(int period) { return period; }

  std::optional<double> update(double value);
  std::optional<double> value() const { return value_; }
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int period_;
  std::int64_t count_ = 0;
  double previous_ = 0.0;
  double gain_ = 0.0;  // running sum while seeding, Wilder average afterwards
  double loss_ = 0.0;
  std::optional<double> value_;
};

// Average true range with Wilder's smoothing. TR = max(high - low, |high - prev close|,
// |low - prev close|) from the second bar on; ATR is first the plain mean of the first `period`
// TRs (defined at bar period + 1), then (atr * (period - 1) + tr) / period.
class Atr {
 public:
  explicit Atr(int period);  // REQUIRES: period >= 1
  static int lookback(int period) { return period; }

  std::optional<double> update(double high, double low, double close);
  std::optional<double> value() const { return value_; }
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int period_;
  std::int64_t count_ = 0;
  double previous_close_ = 0.0;
  double tr_sum_ = 0.0;
  std::optional<double> value_;
};

struct MacdValue {
  double macd = 0.0;
  double signal = 0.0;
  double histogram = 0.0;
};

// MACD as TA-Lib defines it. If slow < fast they are swapped (TA-Lib does the same). Both EMAs are
// seeded at the same update, `slow`: the slow one with the mean of the first `slow` values, the
// fast one with the mean of the last `fast` values up to there (not an EMA started at update
// `fast`). macd = fast - slow from then on; the signal is an EMA(signal) of the macd line, seeded
// with the mean of its first `signal` values; histogram = macd - signal. Nothing is output before
// the signal exists (lookback = slow - 1 + signal - 1), matching TA-Lib, which leaves the earlier
// macd values empty too.
class Macd {
 public:
  Macd(int fast, int slow, int signal);  // REQUIRES: fast >= 2, slow >= 2, signal >= 1
  static int lookback(int fast, int slow, int signal);

  std::optional<MacdValue> update(double value);
  std::optional<MacdValue> value() const { return value_; }
  int fast() const { return fast_; }
  int slow() const { return slow_; }
  int signal() const { return signal_period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int fast_;
  int slow_;
  int signal_period_;
  double k_fast_;
  std::int64_t count_ = 0;
  Window<double> fast_seed_;  // the last `fast` values, until the fast EMA is seeded
  Ema slow_ema_;
  std::optional<double> fast_ema_;
  Ema signal_ema_;
  std::optional<MacdValue> value_;
};

struct BandsValue {
  double upper = 0.0;
  double middle = 0.0;
  double lower = 0.0;
};

// Bollinger bands over an SMA(period): middle = SMA, sd = POPULATION standard deviation of the
// window (divide by period), upper = middle + deviations_up * sd, lower = middle -
// deviations_down * sd. Like TA-Lib the variance is computed in one pass as (running sum of
// squares) / period - middle^2, and taken as 0 when below 1e-8; this loses a few digits to
// cancellation (about 1e-9 on prices near 1000), which TA-Lib's own output shares.
class Bollinger {
 public:
  Bollinger(int period, double deviations_up, double deviations_down);  // REQUIRES: period >= 2
  static int lookback(int period) { return period - 1; }

  std::optional<BandsValue> update(double value);
  std::optional<BandsValue> value() const { return value_; }
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  int period_;
  double deviations_up_;
  double deviations_down_;
  Window<double> window_;
  double sum_ = 0.0;          // as in Sma
  double sum_squares_ = 0.0;  // same scheme over value * value
  std::optional<BandsValue> value_;
};

enum class Extreme { kHighest, kLowest };

// Highest (or lowest) of the last `period` values, the newest included (TA-Lib MAX / MIN; lookback
// period - 1). A monotonic deque keeps the candidates, so each update is amortised O(1).
// Instantiated for double and for integer paise (std::int64_t), which strategies use to compare
// prices exactly.
template <typename T, Extreme kKind>
class RollingExtreme {
 public:
  explicit RollingExtreme(int period);  // REQUIRES: period >= 1
  static int lookback(int period) { return period - 1; }

  std::optional<T> update(T value);
  std::optional<T> value() const;
  int period() const { return period_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  struct Candidate {
    std::int64_t index;
    T value;
  };
  int period_;
  std::int64_t count_ = 0;
  std::deque<Candidate> candidates_;  // indexes increasing, values strictly worse toward the back
};

// Highest (or lowest) of the `period` values BEFORE the newest one: update(x) returns the extreme
// of the values given in the previous `period` updates (nullopt until there were that many), then
// takes x into the window. This is the Donchian channel a breakout compares the current close
// with (lookback period).
template <typename T, Extreme kKind>
class PriorExtreme {
 public:
  explicit PriorExtreme(int period) : window_(period) {}  // REQUIRES: period >= 1
  static int lookback(int period) { return period; }

  std::optional<T> update(T value) {
    value_ = window_.value();
    window_.update(value);
    return value_;
  }
  std::optional<T> value() const { return value_; }
  // The extreme including the newest value (what the next update will return).
  std::optional<T> next_value() const { return window_.value(); }
  int period() const { return window_.period(); }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  RollingExtreme<T, kKind> window_;
  std::optional<T> value_;
};

using Highest = RollingExtreme<double, Extreme::kHighest>;
using Lowest = RollingExtreme<double, Extreme::kLowest>;
using HighestBefore = PriorExtreme<double, Extreme::kHighest>;
using LowestBefore = PriorExtreme<double, Extreme::kLowest>;

// Volume-weighted average price anchored at the start of each session: sum(price * volume) /
// sum(volume) over the updates of the current session. The caller names the session (the module
// has no calendar): pass ist_session_id(bar.ts) for NSE bars, or any value that changes exactly
// when a new session starts. For bars, price is usually typical_price(high, low, close). Nullopt
// while the session's volume is still zero.
class Vwap {
 public:
  static double typical_price(double high, double low, double close) {
    return (high + low + close) / 3.0;
  }

  // REQUIRES: volume >= 0.
  std::optional<double> update(double price, double volume, std::int64_t session_id);
  std::optional<double> value() const { return value_; }

  nlohmann::json save() const;
  Status restore(const nlohmann::json& state);

 private:
  std::optional<std::int64_t> session_;
  double price_volume_ = 0.0;
  double volume_ = 0.0;
  std::optional<double> value_;
};

// The IST trading date of ts as days since 1970-01-01: the session id for Vwap with NSE data
// (a session never crosses IST midnight).
std::int64_t ist_session_id(TimestampMs ts);

}  // namespace sm::strategy
