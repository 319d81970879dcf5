// The sm-risk commands, as functions from parsed command-line values to an exit code, so the
// program's main only declares flags. man/sm-risk.1 and docs/RISK.md describe the behaviour.
//
// Exit codes: 0 done; 1 runtime failure (database cannot be opened, a decision could not be
// stored); 2 bad flag value; 3 a malformed input line under --strict; 4 configuration error;
// 5 (status --fail-if-halted only) the gateway is not active.
#pragma once

#include <string>

#include "core/log.h"
#include "time/clock.h"

namespace sm::gateway {

// sm-risk: signals (and fills, ticks, bars, heartbeats, errors, halts) on stdin; decisions, orders,
// halts and alerts on stdout; other lines passed through unchanged.
struct GatewayArgs {
  std::string db_path;
  std::string config_path;
  std::string by;               // who started it, for the config-change record (default_actor)
  bool event_time = false;      // --event-time: "now" is the newest message ts seen, not the clock
  bool strict = false;          // --strict: stop at the first malformed line (exit 3)
  std::int64_t idle_ms = 1000;  // --idle-ms: evaluate the kill switches this often with no input
};
int run_gateway(const GatewayArgs& args, const Logger& log, const time::Clock& clock);

// sm-risk halt / sm-risk resume.
struct ControlArgs {
  std::string db_path;
  std::string level;  // halt: block_entries, halt (default) or pause; resume: empty = all
  std::string reason;
  std::string by;
};
int run_halt(const ControlArgs& args, const Logger& log, const time::Clock& clock);
int run_resume(const ControlArgs& args, const Logger& log, const time::Clock& clock);

// sm-risk status: the gateway's state and why, for people (text) or machines (--json).
struct StatusArgs {
  std::string db_path;
  std::string config_path;
  bool json = false;
  std::string at;  // --at: report as of this time (ISO 8601; IST when no zone)
  bool fail_if_halted = false;
};
int run_status(const StatusArgs& args, const Logger& log, const time::Clock& clock);

}  // namespace sm::gateway
