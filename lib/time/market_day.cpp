#include "time/market_day.h"

#include "core/json_writer.h"

namespace sm::time {

Result<MarketDay> market_day_at(const Calendar& calendar, TimestampMs at) {
  MarketDay day;
  day.date = ist_date(at);
  Result<bool> trading = calendar.is_trading_day(day.date);
  if (!trading.ok()) return trading.status();
  day.trading = *trading;
  if (!day.trading) {
    day.session = Session::kClosed;
    return day;
  }
  // A trading day's session_at fails only when its timings are unknown (an announced special
  // session): the day still trades, the session is left unknown.
  if (Result<Session> session = calendar.session_at(at); session.ok()) day.session = *session;
  return day;
}

std::string format_market_day_json(const MarketDay& day, const std::string& calendar_path) {
  std::string out;
  JsonObjectWriter json(out);
  json.string("date", format_date(day.date)).boolean("trading_day", day.trading);
  if (day.session) {
    json.string("session", session_name(*day.session));
  } else {
    json.raw("session", "null");
  }
  json.boolean("in_session", day.in_session()).string("calendar", calendar_path);
  json.finish();
  return out;
}

}  // namespace sm::time
