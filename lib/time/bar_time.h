// When a bar's close becomes known: the one rule every program applies to bars (docs/PROTOCOL.md).
// A bar is over at its end, start + timeframe; a daily bar (stamped 09:15 IST of its trading date)
// is over at 15:30 IST of its IST date, the end of the continuous session, not a day later (that
// would be the next morning: decisions on a day's close would carry the next day's time).
#pragma once

#include "core/messages.h"
#include "core/timestamp.h"

namespace sm::time {

// The time the close of the bar starting at `start` becomes known.
TimestampMs bar_known_at(TimestampMs start, Timeframe timeframe);
TimestampMs bar_known_at(const Bar& bar);

// The same for a stored bar that may still be forming: the latest price of a partial bar is known
// no later than `now`.
TimestampMs bar_known_at(TimestampMs start, Timeframe timeframe, bool partial, TimestampMs now);

// The latest start of a `timeframe` bar whose close is known at `ts`: bar_known_at(start,
// timeframe) <= ts exactly when start <= this. For looking bars up by start time.
TimestampMs latest_bar_start_known_by(TimestampMs ts, Timeframe timeframe);

}  // namespace sm::time
