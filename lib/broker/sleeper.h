// The Sleeper port: how broker code waits (retry backoff, rate limits). Paired with a time::Clock
// so tests can run on simulated time: ManualSleeper advances a ManualClock instead of blocking.
#pragma once

#include <cstdint>

#include "time/clock.h"

namespace sm::broker {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Blocks for ms milliseconds (nothing for ms <= 0).
  virtual void sleep_ms(std::int64_t ms) = 0;
};

class SystemSleeper final : public Sleeper {
 public:
  void sleep_ms(std::int64_t ms) override;
};

// Advances the clock by the requested time instead of blocking, and remembers the total.
// Does not own clock; REQUIRES: clock outlives the sleeper.
class ManualSleeper final : public Sleeper {
 public:
  explicit ManualSleeper(time::ManualClock& clock) : clock_(clock) {}
  void sleep_ms(std::int64_t ms) override;
  std::int64_t total_slept_ms() const { return total_ms_; }
  std::int64_t sleeps() const { return sleeps_; }

 private:
  time::ManualClock& clock_;
  std::int64_t total_ms_ = 0;
  std::int64_t sleeps_ = 0;
};

}  // namespace sm::broker
