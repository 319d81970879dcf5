#include "feed/quote_poller.h"

#include <fmt/format.h>
#include <cmath>
#include <optional>

namespace sm::feed {

std::string symbol_of(const std::string& instrument) {
  const size_t colon = instrument.find(':');
  return colon == std::string::npos ? instrument : instrument.substr(colon + 1);
}

std::size_t requests_per_round(const PollOptions& options) {
  const std::size_t per_request =
      options.mode == PollMode::kQuote ? kQuoteInstrumentsPerRequest : kLtpInstrumentsPerRequest;
  return (options.instruments.size() + per_request - 1) / per_request;
}

Status check_poll_rate(const PollOptions& options, const broker::RateLimits& limits) {
  if (options.instruments.empty()) {
    return error(ErrorCode::kInvalidArgument, "no instruments to poll");
  }
  const std::size_t requests = requests_per_round(options);
  const auto shortest_ms = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(requests) * 1000.0 / limits.quote_per_second));
  if (options.interval_ms < shortest_ms) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} instruments take {} request(s) a round; at {} quote request(s) a "
                             "second the interval must be at least {} ms, not {} ms",
                             options.instruments.size(), requests, limits.quote_per_second,
                             shortest_ms, options.interval_ms));
  }
  return Status();
}

QuotePoller::QuotePoller(broker::Broker& broker, ingest::LiveFeed& feed, const time::Clock& clock,
                         PollOptions options)
    : broker_(broker), feed_(feed), clock_(clock), options_(std::move(options)) {
  std::vector<std::string> symbols;
  for (const std::string& i : options_.instruments) symbols.push_back(symbol_of(i));
  feed_.watch(symbols);
}

Result<PollRound> QuotePoller::poll_once() {
  Result<PollRound> round = options_.mode == PollMode::kQuote ? poll_quotes() : poll_ltp();
  feed_.set_connected(round.ok());
  return round;
}

namespace {

// One round over the watch-list and the broker's answer to it. An instrument the answer leaves out
// (Kite omits what it has no data for) or prices at zero counts as missing; `tick_of` makes the
// tick for the others, or nullopt when nothing changed since the last round.
template <typename Quote, typename TickOf>
Result<PollRound> feed_round(const std::vector<std::string>& instruments,
                             const std::map<std::string, Quote>& quotes, ingest::LiveFeed& feed,
                             TickOf tick_of) {
  PollRound round;
  for (const std::string& instrument : instruments) {
    auto it = quotes.find(instrument);
    if (it == quotes.end() || it->second.last_price <= 0) {
      ++round.missing;
      continue;
    }
    const std::optional<Tick> tick = tick_of(instrument, it->second);
    if (!tick) continue;
    if (Status s = feed.on_tick(*tick); !s.ok()) return s;
    ++round.ticks;
  }
  return round;
}

}  // namespace

Result<PollRound> QuotePoller::poll_quotes() {
  broker::BrokerResult<std::map<std::string, broker::Quote>> quotes =
      broker_.quote(options_.instruments);
  if (!quotes.ok()) return quotes.error().status();
  const TimestampMs now = clock_.now_ms();
  return feed_round(
      options_.instruments, *quotes, feed_,
      [&](const std::string& instrument, const broker::Quote& q) -> std::optional<Tick> {
        Seen& seen = seen_[instrument];
        if (seen.price != 0 && seen.last_trade_time == q.last_trade_time &&
            seen.volume == q.volume && seen.price == q.last_price) {
          return std::nullopt;
        }
        seen = Seen{q.last_trade_time, q.volume, q.last_price};
        // The trade's own time when the quote has it; the quote's time, else ours.
        const TimestampMs ts = q.last_trade_time > 0 ? q.last_trade_time
                               : q.timestamp > 0     ? q.timestamp
                                                     : now;
        return Tick{ts, symbol_of(instrument), q.last_price, q.last_quantity, q.volume};
      });
}

Result<PollRound> QuotePoller::poll_ltp() {
  broker::BrokerResult<std::map<std::string, broker::LtpQuote>> quotes =
      broker_.ltp(options_.instruments);
  if (!quotes.ok()) return quotes.error().status();
  const TimestampMs now = clock_.now_ms();
  return feed_round(
      options_.instruments, *quotes, feed_,
      [&](const std::string& instrument, const broker::LtpQuote& q) -> std::optional<Tick> {
        return Tick{now, symbol_of(instrument), q.last_price, 0, 0};
      });
}

}  // namespace sm::feed
