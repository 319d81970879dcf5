#include "broker/sleeper.h"

#include <chrono>
#include <thread>

namespace sm::broker {

void SystemSleeper::sleep_ms(std::int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void ManualSleeper::sleep_ms(std::int64_t ms) {
  if (ms <= 0) return;
  clock_.advance(ms);
  total_ms_ += ms;
  ++sleeps_;
}

}  // namespace sm::broker
