// The Clock port: the one way library code learns the time. Live programs use SystemClock;
// tests and backtests use ManualClock, so the same code runs against real or simulated time.
// Strategies never take a Clock: they see time only through the messages they are given.
//
// SystemClock is the only reader of the wall clock in lib/ and cmd/; everything else is handed a
// Clock (or, for core's logger, a function installed by cli::run: see set_log_clock). Monotonic
// time is not part of the port: waits with a timeout (condition_variable::wait_for, sleep_for)
// measure their own durations on steady_clock, and nothing reads steady_clock to learn "now".
#pragma once

#include <atomic>

#include "core/timestamp.h"

namespace sm::time {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current time as UTC milliseconds since the Unix epoch.
  virtual TimestampMs now_ms() const = 0;
};

// Wall-clock time (std::chrono::system_clock). Stateless; one instance may be shared freely.
class SystemClock final : public Clock {
 public:
  TimestampMs now_ms() const override;
};

// A clock that moves only when told to. Thread-safe: one thread may set or advance it while
// others read it. Time may be set backwards (a test may need that); advance() with a negative
// amount is allowed for the same reason.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimestampMs start_ms = 0) : now_ms_(start_ms) {}

  TimestampMs now_ms() const override { return now_ms_.load(std::memory_order_acquire); }
  void set(TimestampMs ts) { now_ms_.store(ts, std::memory_order_release); }
  // Moves the clock by delta_ms and returns the new time.
  TimestampMs advance(std::int64_t delta_ms) {
    return now_ms_.fetch_add(delta_ms, std::memory_order_acq_rel) + delta_ms;
  }

 private:
  std::atomic<TimestampMs> now_ms_;
};

}  // namespace sm::time
