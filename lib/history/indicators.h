// sm-signal indicators: indicator series (lib/strategy IndicatorColumns) of bars loaded like a
// backtest's (history/loader.h, with its data-quality report), as CSV or NDJSON on stdout. Here,
// not in lib/signal, so that the live strategy runner does not link the loader and the backtester
// behind it. man/sm-signal.1 describes the command.
//
// Exit codes: 0 done; 1 database failure; 2 usage (bad flag value, unknown indicator); 3 data error
// (an input that cannot be read or holds no bars).
#pragma once

#include <string>
#include <vector>

#include "core/log.h"

namespace sm::history {

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

}  // namespace sm::history
