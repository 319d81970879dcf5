// Quote polling: the live source for accounts without websocket access, and the fallback. Every
// interval it asks the broker for the watch-list's quotes (GET /quote, 500 instruments a request)
// or last prices (GET /quote/ltp, 1000 a request) and hands what is new to the live feed
// (ingest/live_feed.h). The broker's quote limit is 1 request a second (reference §1.7), so a
// round of N requests needs an interval of at least N seconds; a shorter one is refused.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/rate_limiter.h"
#include "core/status.h"
#include "ingest/live_feed.h"
#include "time/clock.h"

namespace sm::feed {

enum class PollMode { kQuote, kLtp };

// The batch sizes of reference §1.6.
inline constexpr std::size_t kQuoteInstrumentsPerRequest = 500;
inline constexpr std::size_t kLtpInstrumentsPerRequest = 1000;

struct PollOptions {
  std::vector<std::string> instruments;  // "EXCHANGE:SYMBOL"
  PollMode mode = PollMode::kQuote;
  std::int64_t interval_ms = 5'000;
};

// Requests one round takes, and the shortest interval the quote rate allows for it.
// kInvalidArgument (naming both) when options.interval_ms is shorter, or when there are no
// instruments.
std::size_t requests_per_round(const PollOptions& options);
Status check_poll_rate(const PollOptions& options, const broker::RateLimits& limits);

struct PollRound {
  std::int64_t ticks = 0;    // handed to the feed
  std::int64_t missing = 0;  // instruments the broker returned no data for
};

class QuotePoller {
 public:
  // REQUIRES: broker, feed and clock outlive the poller.
  QuotePoller(broker::Broker& broker, ingest::LiveFeed& feed, const time::Clock& clock,
              PollOptions options);

  // One round: the requests, then one tick per instrument with something new. In quote mode a
  // tick is new when its last trade time or the day's volume moved (an unchanged quote is the same
  // trade again); in LTP mode every answer is a tick stamped with the poll's time (LTP carries no
  // time), so bars made from it have volume 0. A failed request fails the round with the broker's
  // error (kAuthError for an expired token) and marks the feed disconnected; a successful round
  // marks it connected.
  Result<PollRound> poll_once();

  const PollOptions& options() const { return options_; }

 private:
  struct Seen {
    TimestampMs last_trade_time = 0;
    Quantity volume = 0;
    Paise price = 0;
  };
  Result<PollRound> poll_quotes();
  Result<PollRound> poll_ltp();

  broker::Broker& broker_;
  ingest::LiveFeed& feed_;
  const time::Clock& clock_;
  PollOptions options_;
  std::map<std::string, Seen> seen_;
};

// "NSE:INFY" -> "INFY" (the symbol the store and the other programs use); text without an
// exchange stays as it is.
std::string symbol_of(const std::string& instrument);

}  // namespace sm::feed
