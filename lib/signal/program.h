// The sm-signal commands as functions from command-line text to an exit code (the program's main
// only declares flags). man/sm-signal.1 describes them.
//
// Exit codes: 0 done (bad lines reported and skipped); 1 database failure; 2 usage (bad flag
// value, unknown strategy or parameter, no strategy configured); 3 data error (a bad line under
// --strict, an unreadable input file for indicators); 4 configuration error.
#pragma once

#include <string>
#include <vector>

#include "core/log.h"

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
int run_signal(const SignalArgs& args, const Logger& log);

struct IndicatorArgs {
  std::string db_path;
  std::vector<std::string> files;    // --file (CSV); else the database
  std::vector<std::string> symbols;  // --symbol
  std::string timeframe;             // --timeframe
  std::string from, to;
  std::vector<std::string> indicators;  // --indicator sma:20 ...
  std::string format = "csv";           // csv | ndjson
  int decimals = 10;                    // --decimals for csv
};
int run_indicators(const IndicatorArgs& args, const Logger& log);

}  // namespace sm::signal
