// sm-ingest's broker commands: poll (live quotes into the database and NDJSON), historical
// (candles for a date range) and instruments (the dump into the instruments table). Each is a
// function from parsed command-line text to an exit code; man/sm-ingest.1 and docs/INGEST.md
// describe them.
//
// Exit codes (besides sm-ingest's own): 7 (kExitAuth) when there is no access token or the broker
// says it expired (TokenException), so a systemd unit stops instead of spinning until someone logs
// in again (`sm-order login` writes a new token).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "broker/settings.h"
#include "core/config.h"
#include "core/log.h"
#include "time/clock.h"

namespace sm::feed {

struct PollArgs {
  std::vector<std::string> symbols;  // --symbol: INFY or NSE:INFY; empty: signal.symbols
  std::string mode = "quote";        // --mode quote|ltp
  double interval_s = 5;             // --interval
  std::vector<std::string> bars;     // --bars 5m (repeatable): longer bars besides 1m
  std::int64_t stale_after_s = 0;    // --stale-after; 0: feed.stale_after_s, else 120
  bool emit = false;                 // --emit
  std::int64_t rounds = 0;           // --rounds N: stop after N polls (tests); 0 = until SIGTERM
  std::string clock_start;           // --clock-start: a simulated clock (tests, paper sessions)
  double clock_speed = 1;            // --clock-speed
  broker::BrokerFlags broker;
  std::string db_path;
};
int run_poll(const PollArgs& args, const Config& config, const Logger& log);

struct HistoricalArgs {
  std::vector<std::string> symbols;  // --symbol (repeatable)
  std::string interval = "day";      // --interval
  std::string from, to;              // --from / --to: IST dates, inclusive
  broker::BrokerFlags broker;
  std::string db_path;
};
// After each request span of a symbol: spans done and the total (the program draws a progress
// bar on a terminal with it). May be empty.
using SymbolProgress =
    std::function<void(const std::string& symbol, std::size_t done, std::size_t total)>;
int run_historical(const HistoricalArgs& args, const Config& config, const Logger& log,
                   const SymbolProgress& progress);

struct InstrumentsArgs {
  std::string file;              // --file: a dump on disk instead of the broker
  std::string exchange = "NSE";  // --exchange
  double max_age_hours = 0;      // --max-age-hours: skip while the stored dump is younger
  broker::BrokerFlags broker;
  std::string db_path;
};
int run_instruments(const InstrumentsArgs& args, const Config& config, const Logger& log);

}  // namespace sm::feed
