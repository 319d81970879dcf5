// Downloading NSE's trading-holiday list for `sm-ingest calendar --url` (docs/CALENDAR.md,
// "Downloading NSE's list"). NSE serves it from its website's own JSON API,
//   GET https://www.nseindia.com/api/holiday-master?type=trading
//   {"CM":[{"tradingDate":"26-Jan-2026","weekDay":"Monday","description":"Republic Day",...}],...}
// which is not a published contract: it answers 401/403 to requests that do not look like a
// browser's (User-Agent, Accept, Referer) and expects the session cookies its pages set. So the
// download first opens the holiday page (page_url), keeps the cookies it sets, and asks the API
// with them and the page as Referer. The text is returned as it came; parse_holiday_list
// (time/calendar_refresh.h) validates it.
#pragma once

#include <string>

#include "broker/http_client.h"
#include "core/status.h"

namespace sm::ingest {

inline constexpr std::string_view kNseHolidayListUrl =
    "https://www.nseindia.com/api/holiday-master?type=trading";
inline constexpr std::string_view kNseHolidayPageUrl =
    "https://www.nseindia.com/resources/exchange-communication-holidays";

struct HolidayListSource {
  std::string list_url{kNseHolidayListUrl};
  // The page whose cookies and address the API request carries; empty: none (a plain list at a
  // URL of one's own, CSV or JSON).
  std::string page_url{kNseHolidayPageUrl};
};

// kNseHolidayPageUrl for a list_url on https://www.nseindia.com/, else "" (no page).
std::string default_page_url(std::string_view list_url);

// The list's text. Both URLs must be https (http only to 127.0.0.1/localhost): the calendar
// decides which days trade, so it is not fetched in clear (kInvalidArgument). A transport failure
// is kNetworkError; a list answer other than 200, or an empty body, is kNetworkError naming the
// status. A page answer other than 2xx is only a missing cookie: the list request is still made.
Result<std::string> download_holiday_list(broker::HttpClient& http,
                                          const HolidayListSource& source);

}  // namespace sm::ingest
