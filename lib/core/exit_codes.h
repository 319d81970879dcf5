// Exit codes shared by every sm-* program; each man page lists the ones its program uses.
// A finding (a risk denial, a reconcile difference) is a record on stdout, not an exit code,
// unless the program was asked for one (e.g. sm-reconcile --fail-on-drift).
#pragma once

#include <string_view>

#include "core/log.h"
#include "core/status.h"

namespace sm {

inline constexpr int kExitOk = 0;           // the program did its job
inline constexpr int kExitFailure = 1;      // runtime failure (database, network, internal)
inline constexpr int kExitUsage = 2;        // bad command line (unknown flag, bad value)
inline constexpr int kExitDataError = 3;    // bad input data: a malformed line under --strict,
                                            // an input file that cannot be read at all, or
                                            // one of which no row could be used
inline constexpr int kExitConfigError = 4;  // configuration or secrets file is wrong or unsafe
inline constexpr int kExitHalted = 5;       // trading is halted or paused (kill switch)
inline constexpr int kExitDrift = 6;        // sm-reconcile found unresolved drift (--fail-on-drift)
inline constexpr int kExitAuth = 7;         // broker credentials missing, invalid or expired
inline constexpr int kExitExpiring = 8;     // sm-status --expiring-within: a dated dependency
                                            // (the calendar, the charge rates) runs out soon
inline constexpr int kExitMarketClosed = 9;  // sm-status calendar --trading-today/--in-session:
                                             // the market does not trade today / is not in
                                             // session now (systemd's ExecCondition= skips the job)

// The one mapping from a failed Status to an exit code, used by every program when nothing more
// specific applies: kInvalidArgument -> kExitUsage; kParseError -> kExitDataError; kConfigError
// and kPermissionDenied (an unsafe secrets file) -> kExitConfigError; kAuthError -> kExitAuth;
// kHalted -> kExitHalted; kOk -> kExitOk; anything else (database, I/O, network, internal) ->
// kExitFailure. A program that knows more (an unreadable *input* file is a data error, not a
// runtime failure) passes its own code to report_failure.
int exit_code_for(const Status& status);

// Logs status as one error line (event, code, message) and returns exit_code_for(status), or
// exit_code when given.
int report_failure(const Logger& log, std::string_view event, const Status& status);
int report_failure(const Logger& log, std::string_view event, const Status& status, int exit_code);

// Logs status as usage_error with the hint "run with --help" and returns kExitUsage.
int report_usage_error(const Logger& log, const Status& status);

}  // namespace sm
