// The systemd service protocol for a long-running program (sd_notify(3)): READY=1 once it has
// started, WATCHDOG=1 from its main loop so that a hang is restarted (the unit's WatchdogSec=),
// and STOPPING=1 when it ends. Outside systemd, or when the unit sets no NOTIFY_SOCKET /
// WATCHDOG_USEC, every call is a no-op, so tests and shells run the programs unchanged.
#pragma once

#include <chrono>
#include <cstdint>

namespace sm::service {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (and WATCHDOG_PID) once, now.
  Notifier();

  // READY=1: start-up is done (configuration loaded, database open).
  void ready();
  // WATCHDOG=1, at most every watchdog_interval / 4 (systemd asks for at least every half), so
  // calling it on every pass of a busy loop costs nothing. No-op without a watchdog.
  void alive();
  // STOPPING=1: the program is ending (a SIGTERM, or its input ended). Idempotent.
  void stopping();

  // The unit's WatchdogSec= in milliseconds; 0 when no watchdog is armed for this process. A
  // loop that waits for input waits at most this / 4 so that alive() is called in time.
  std::int64_t watchdog_ms() const { return watchdog_ms_; }

 private:
  std::int64_t watchdog_ms_ = 0;
  std::chrono::steady_clock::time_point next_ping_{};
  bool stopping_sent_ = false;
};

}  // namespace sm::service
