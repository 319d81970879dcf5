// Market data stamped later than it could have been observed (a typo'd year, a broken export, a
// feed with a bad clock). One such bar or tick would otherwise advance every "last seen" time and
// clock it reaches: sm-signal would take every later real bar of its symbol as already seen, a
// backtest would run to 2100, and sm-risk's --event-time clock would jump decades. Programs refuse
// such messages with a warning and let them change nothing.
//
// "Now" is the wall clock for live input and, for research and replays, the run's own start: data
// recorded before the run cannot be stamped after it began.
#pragma once

#include <optional>
#include <string>

#include "core/messages.h"
#include "core/timestamp.h"

namespace sm {

// How far past now a tick may be stamped: the feed's clock and this host's may disagree a little.
inline constexpr TimestampMs kTickClockToleranceMs = 2 * kMsPerMinute;

struct FutureStamp {
  std::string symbol;     // empty for messages without one
  TimestampMs ts = 0;     // the stamp checked: a bar's start, any other message's ts
  TimestampMs limit = 0;  // the latest acceptable stamp
};

// The stamp of message that lies in the future as of now_ms, or nullopt when it does not: a bar
// that starts after now_ms (it cannot have begun yet), or a tick or any other message stamped more
// than kTickClockToleranceMs after now_ms. An UnknownMessage has no stamp and never is.
std::optional<FutureStamp> future_stamp(const Message& message, TimestampMs now_ms);

}  // namespace sm
