// The shared main() helper every sm-* program uses: common flags, exit-code mapping, signals.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/log.h"
#include "core/timestamp.h"
#include "time/clock.h"

namespace sm::cli {

struct CommonOptions {
  std::string db_path;      // --db, else $SM_DB, else ./var/stalkmarket.db
  std::string config_path;  // --config, else $SM_CONFIG; empty = built-in defaults
  std::string log_level;    // --log-level, else $SM_LOG_LEVEL, else info
};

// Adds --db, --config and --log-level (with their environment variables) to app.
void add_common_options(CLI::App& app, CommonOptions& options);

// Parses argv and runs body. A bad command line prints one JSON error line on stderr and returns
// kExitUsage (CLI11's own codes never leak); --help and --version print to stdout and return 0.
// Installs the wall clock as the log clock (set_log_clock) before parsing, and the SIGTERM/SIGINT
// stop handlers and --log-level before body runs.
// An exception escaping body, or parsing (an option's callback), of any type is a bug: it is
// logged as one internal_error line and run returns kExitFailure; the program never aborts.
int run(CLI::App& app, int argc, char** argv, Logger& log, const std::function<int()>& body);

// Logs a warning when the NSE calendar has no entries for the current year, or cannot be loaded.
// Programs that act on sessions call it at start-up so a stale calendar is noticed early.
void warn_if_calendar_stale(const Logger& log, const time::Clock& clock);

// "0.1.0", the project version, for --version.
std::string version();

}  // namespace sm::cli
