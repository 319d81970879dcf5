// A clock that starts at a chosen time and runs at a multiple of another clock's speed: a live
// program run on a simulated market day (paper sessions, the bats tests of sm-ingest poll, which
// must close minute bars in seconds).
#pragma once

#include "core/timestamp.h"
#include "time/clock.h"

namespace sm::time {

class ScaledClock final : public Clock {
 public:
  // now = start_ms + (base.now - base.now at construction) * speed. REQUIRES: base outlives the
  // clock; speed > 0.
  ScaledClock(const Clock& base, TimestampMs start_ms, double speed)
      : base_(base), start_ms_(start_ms), base_start_ms_(base.now_ms()), speed_(speed) {}

  TimestampMs now_ms() const override {
    return start_ms_ +
           static_cast<TimestampMs>(static_cast<double>(base_.now_ms() - base_start_ms_) * speed_);
  }

 private:
  const Clock& base_;
  TimestampMs start_ms_;
  TimestampMs base_start_ms_;
  double speed_;
};

}  // namespace sm::time
