// Prices of a symbol as the store knows them at a moment: the one place that says which stored
// tick or bar close is "the latest price" and "the price before" a time. The risk gateway marks
// positions with them, and today's P&L (store/todays_pnl.h) takes its marks from them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"

namespace sm::store {

struct PricePoint {
  Paise price = 0;
  TimestampMs ts = 0;            // when the price was known: a tick's ts, a bar's end
  std::int64_t interval_ms = 0;  // the length of the bar it closes; 0 for a tick
};

// The latest known price of symbol in the database: the newest of its last tick (known at its ts)
// and its bars' closes (known at the bar's end; a partial bar's close at min(end, now)); nullopt
// when it has no market data. Data known only after now does not count (price_before(now + 1)
// then answers): replaying a stored day, the price at a replayed time is that time's, not the
// day's last, which would put every replayed signal out of the price band.
Result<std::optional<PricePoint>> latest_price(Database& db, const std::string& symbol,
                                               TimestampMs now);
// The same for several symbols at once: symbol -> price, symbols without market data (known by
// now) left out.
Result<std::map<std::string, PricePoint>> latest_prices(Database& db,
                                                        const std::vector<std::string>& symbols,
                                                        TimestampMs now);
// The last price of symbol known strictly before ts (ticks before ts, bars that ended by ts).
Result<std::optional<PricePoint>> price_before(Database& db, const std::string& symbol,
                                               TimestampMs ts);

}  // namespace sm::store
