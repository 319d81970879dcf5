// Bad rows: the closed set of reasons, the checks every bar and tick passes before it is stored,
// and the reporter that logs each problem as one JSON line on stderr and counts them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/messages.h"

namespace sm::ingest {

// Why a row was reported. The snake_case names are the `reason` field of the log line and the keys
// of the summary's `issues` object. Whether the row is dropped or kept is decided per reason and
// documented in docs/INGEST.md.
enum class Reason {
  kMissingField,           // a required cell is empty or absent (dropped)
  kWrongColumnCount,       // fewer or more cells than the header, e.g. a truncated line (dropped)
  kUnparsableTimestamp,    // the date/time cannot be read (dropped)
  kUnparsableNumber,       // a price or volume is not a number: text, NaN, a fraction of a share
                           // (dropped)
  kNumberOutOfRange,       // a number too large to be real (beyond 10^13 rupees or 10^15 shares)
                           // (dropped)
  kBadSymbol,              // a symbol with characters NSE never uses (dropped)
  kNonPositivePrice,       // a price <= 0 (dropped)
  kNegativeVolume,         // volume or quantity < 0 (dropped)
  kHighBelowLow,           // high < low: the row cannot be a real bar (dropped)
  kOpenCloseOutsideRange,  // open or close outside [low, high]: kept as printed, flagged
  kDuplicateTimestamp,     // a second row for the same symbol and time: all but one dropped
  kTimestampOutOfRange,    // before 1980 or in the future (dropped)
  kBadLine,                // an NDJSON line that does not decode (dropped)
  kUnsupportedType,        // an NDJSON message that is neither a bar nor a tick (skipped)
};
std::string_view reason_name(Reason reason);

// One reported row. line is 1-based in input; field names the cell ("high", "ts", ...) or is empty.
struct RowIssue {
  std::string input;
  std::int64_t line = 0;
  std::string field;
  Reason reason = Reason::kMissingField;
  std::string detail;
  bool dropped = true;  // false: the row was kept (flagged)
};

// A problem found by a value check: which field, why, and whether the row must be dropped.
struct Problem {
  std::string field;
  Reason reason;
  std::string detail;
  bool drop;
};

// Largest volume or quantity accepted: 10^15 shares, far beyond any real day, and small enough that
// summing a session's bars into a daily candle cannot overflow int64.
inline constexpr Quantity kMaxVolume = 1'000'000'000'000'000;

// Limits for timestamps: nothing before 1980-01-01 (NSE began trading in 1994; BSE data starts in
// 1979) and, when not_after is non-zero, nothing after it (the caller passes now + 1 day).
struct TimeLimits {
  TimestampMs not_before = 315532800000;  // 1980-01-01T00:00:00Z
  TimestampMs not_after = 0;
};

// The first reason, in the order of the Reason list, that a bar or tick cannot be stored as is.
// Dropping problems come before the keep-and-flag ones, so a returned Problem with drop=false means
// the value has no dropping problem. Returns nullopt for a clean value.
std::optional<Problem> check_bar(const Bar& bar, const TimeLimits& limits);
std::optional<Problem> check_tick(const Tick& tick, const TimeLimits& limits);

// Receives each RowIssue. Returns false to stop reading (strict mode).
using IssueHandler = std::function<bool(const RowIssue&)>;

// Logs each issue as a "bad_row" warning line (input, line, field, reason, detail, action) and
// counts them by reason. In strict mode the first dropped row stops the input (report returns
// false); kept-and-flagged rows never stop it.
class IssueReporter {
 public:
  IssueReporter(const Logger& log, bool strict) : log_(log), strict_(strict) {}
  bool report(const RowIssue& issue);
  IssueHandler handler() {
    return [this](const RowIssue& issue) { return report(issue); };
  }
  const std::map<std::string, std::int64_t>& counts() const { return counts_; }
  std::int64_t dropped() const { return dropped_; }
  std::int64_t flagged() const { return flagged_; }
  bool stopped() const { return stopped_; }
  // {"high_below_low": 2, ...}
  nlohmann::json counts_json() const;

 private:
  const Logger& log_;
  bool strict_;
  std::map<std::string, std::int64_t> counts_;
  std::int64_t dropped_ = 0;
  std::int64_t flagged_ = 0;
  bool stopped_ = false;
};

}  // namespace sm::ingest
