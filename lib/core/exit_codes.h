// Exit codes shared by every sm-* program; each man page lists the ones its program uses.
// A finding (a risk denial, a reconcile difference) is a record on stdout, not an exit code,
// unless the program was asked for one (e.g. sm-reconcile --fail-on-drift).
#pragma once

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

}  // namespace sm
