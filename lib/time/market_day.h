// What a systemd timer asks the calendar before it starts a job (`sm-status calendar`, run as an
// ExecCondition=): does the market trade on this IST day, and is this moment within its sessions.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "core/timestamp.h"
#include "time/calendar.h"

namespace sm::time {

struct MarketDay {
  Date date;                       // the IST date of the time point asked about
  bool trading = false;            // the market opens on date (a special session counts)
  std::optional<Session> session;  // the session at the time point; kClosed on a closed day;
                                   // nullopt on a trading day whose timings the file lacks

  // Within pre-open to the end of the closing session of a trading day. False when the timings
  // are unknown: a job limited to the session waits until they are.
  bool in_session() const { return session.has_value() && *session != Session::kClosed; }
};

// The market day at `at` by calendar. Errors: kUnavailable when the calendar cannot say whether
// the day trades (a date in a year the file does not cover), as Calendar::is_trading_day.
Result<MarketDay> market_day_at(const Calendar& calendar, TimestampMs at);

// One JSON object: {"date":"YYYY-MM-DD","trading_day":bool,"session":name or null,
// "in_session":bool,"calendar":path}.
std::string format_market_day_json(const MarketDay& day, const std::string& calendar_path);

}  // namespace sm::time
