// The shared main() helper every sm-* program uses: common flags, exit-code mapping, signals.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/config.h"
#include "core/log.h"
#include "core/timestamp.h"
#include "store/database.h"
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
// An exception escaping body is a bug: it is logged as an internal error and returns kExitFailure.
int run(CLI::App& app, int argc, char** argv, Logger& log, const std::function<int()>& body);

// The one way a program loads and audits its configuration (docs/CONFIG.md).
//
// load_config(path, log): reads path (empty = built-in defaults) plus the SM_CFG__ environment
// overrides, and logs config_loaded with its hash and any config_warning. Errors are kConfigError:
// log them as config_error and exit with kExitConfigError.
Result<Config> load_config(const std::string& config_path, const Logger& log);

// Records config's canonical content in config_changes when its hash differs from the program's
// last recorded one (the audit trail of every configuration a program ran with), and logs
// config_change_recorded when it did. changed_by: who started the program; empty = default_actor().
// ts: 0 = the wall clock. Returns whether a row was written; kDatabaseError when it cannot be.
Result<bool> record_config(store::Database& db, std::string_view program, const Config& config,
                           const Logger& log, std::string_view changed_by = {}, TimestampMs ts = 0);

// Both, for a program that opens its database before reading its configuration: loads
// options.config_path and, when db is given, records it for program as changed by default_actor().
Result<Config> load_config(const CommonOptions& options, std::string_view program,
                           store::Database* db, const Logger& log);

// $USER, else $LOGNAME, else "unknown": who a configuration or a manual action is recorded as by
// default.
std::string default_actor();

// Logs a warning when the NSE calendar has no entries for the current year, or cannot be loaded.
// Programs that act on sessions call it at start-up so a stale calendar is noticed early.
void warn_if_calendar_stale(const Logger& log, const time::Clock& clock);

// "0.1.0", the project version, for --version.
std::string version();

}  // namespace sm::cli
