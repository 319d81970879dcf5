#include "time/bar_time.h"

#include <algorithm>

namespace sm::time {

namespace {

constexpr int kDailyCloseHour = 15;
constexpr int kDailyCloseMinute = 30;

}  // namespace

TimestampMs bar_known_at(TimestampMs start, Timeframe timeframe) {
  if (timeframe.is_daily()) return from_ist(ist_date(start), kDailyCloseHour, kDailyCloseMinute);
  return start + TimestampMs{timeframe.minutes} * kMsPerMinute;
}

TimestampMs bar_known_at(const Bar& bar) { return bar_known_at(bar.ts, bar.timeframe); }

TimestampMs bar_known_at(TimestampMs start, Timeframe timeframe, bool partial, TimestampMs now) {
  const TimestampMs end = bar_known_at(start, timeframe);
  return partial ? std::min(end, now) : end;
}

TimestampMs latest_bar_start_known_by(TimestampMs ts, Timeframe timeframe) {
  if (!timeframe.is_daily()) return ts - TimestampMs{timeframe.minutes} * kMsPerMinute;
  // Every bar of an IST date is known from 15:30 of that date: before then, only the bars of the
  // dates before are.
  const Date today = ist_date(ts);
  const TimestampMs today_start = from_ist(today, 0, 0);
  const bool today_known = ts >= from_ist(today, kDailyCloseHour, kDailyCloseMinute);
  return (today_known ? today_start + kMsPerDay : today_start) - 1;
}

}  // namespace sm::time
