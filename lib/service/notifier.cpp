#include "service/notifier.h"

#include <systemd/sd-daemon.h>

namespace sm::service {

Notifier::Notifier() {
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process: a child the
  // service starts must not ping on its parent's behalf.
  if (sd_watchdog_enabled(0, &usec) > 0) {
    watchdog_ms_ = static_cast<std::int64_t>(usec / 1000);
  }
}

void Notifier::ready() { sd_notify(0, "READY=1"); }

void Notifier::alive() {
  if (watchdog_ms_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_ping_) return;
  sd_notify(0, "WATCHDOG=1");
  next_ping_ = now + std::chrono::milliseconds(watchdog_ms_ / 4);
}

void Notifier::stopping() {
  if (stopping_sent_) return;
  stopping_sent_ = true;
  sd_notify(0, "STOPPING=1");
}

}  // namespace sm::service
