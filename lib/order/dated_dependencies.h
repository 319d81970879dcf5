// The dated dependencies of trading (man/sm-status.1, "Dated dependencies"): what stops orders, or
// makes them wrong, on a known date unless a person renews it. sm-status lists them and exits
// with kExitExpiring when one that counts runs out within a window, so a timer can alert on it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "store/status_report.h"

namespace sm::order {

// Where each dependency is read from. An empty path means "not configured" (the dependency is then
// reported as missing).
struct DependencySources {
  std::string calendar_path;  // the NSE calendar (time/calendar.h)
  std::string charges_path;   // the charge rates (costs/cost_model.h)
  std::string token_file;     // the broker access token (broker/token_file.h)
};

// Checks each dependency as of now_ms and returns them in a fixed order: calendar, charge_rates,
// broker_token, instruments (the last from report's instruments table figures). Never fails: a
// file that cannot be read is a dependency in state "error" (or "missing" when absent), with why
// in its detail. A dependency whose end is within warn_days of now is "expiring"; at or after
// its end, "expired".
//   calendar:     valid until 00:00 IST of the day after its last listed year; counts for expiry.
//   charge_rates: no end date (the last rows stay in force); as_of is the newest effective date.
//                 Counts for expiry only when it cannot be read.
//   broker_token: valid until the first 06:00 IST after the login (Kite's rule); does not count.
//   instruments:  as_of is when the dump was stored; no end date; does not count.
std::vector<store::DatedDependency> check_dated_dependencies(const DependencySources& sources,
                                                             const store::StatusReport& report,
                                                             TimestampMs now_ms,
                                                             std::int64_t warn_days);

// Whether a dependency that counts for expiry ends within `days` of now_ms (or has already ended,
// or cannot be read).
bool any_expiring_within(const std::vector<store::DatedDependency>& dependencies,
                         TimestampMs now_ms, std::int64_t days);

}  // namespace sm::order
