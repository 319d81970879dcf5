// The sm-signal command as a function from command-line text to an exit code (the program's main
// only declares flags). man/sm-signal.1 describes it. The indicators subcommand is a research
// command over stored history: history/indicators.h.
//
// Bars and ticks stamped in the future (core/future_stamp.h) are refused with a future_data
// warning and change nothing: "now" is the clock for a live stdin (a pipe or terminal), else the
// run's start (a file, --replay).
//
// Exit codes: 0 done (bad lines reported and skipped); 1 database failure; 2 usage (bad flag
// value, unknown strategy or parameter, no strategy configured); 3 data error (a bad line under
// --strict); 4 configuration error.
#pragma once

#include <string>
#include <vector>

#include "core/log.h"
#include "time/clock.h"

namespace sm::signal {

struct SignalArgs {
  std::string db_path;
  std::string config_path;
  // One instance from flags, in addition to the configuration's signal.strategies.
  std::string strategy;              // --strategy
  std::vector<std::string> params;   // --param name=value
  std::string id;                    // --id
  std::vector<std::string> symbols;  // --symbol (that instance; also the replay's symbols)
  std::string timeframe;             // --timeframe (that instance; also the replay's)
  std::string capital;               // --capital rupees (else signal.capital)
  bool replay = false;               // --replay: bars from the database instead of stdin
  std::string from, to;              // --from / --to for --replay
  bool strict = false;               // --strict: stop at the first bad line (exit 3)
  bool echo_market_data = false;     // --echo-market-data
};
int run_signal(const SignalArgs& args, const Logger& log, const time::Clock& clock);

}  // namespace sm::signal
