// Where the paper broker's prices come from. PriceSource is the port the engine reads;
// InMemoryPriceSource is fed by sm-paper's control endpoint and by tick/bar NDJSON (stdin or a
// file); a database-backed source can implement the same port later.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/corporate_action.h"
#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "time/clock.h"

namespace sm::paper {

// The market for one instrument as the engine sees it.
struct MarketPrice {
  TimestampMs ts = 0;  // time of the latest update
  Paise last = 0;
  // The range traded since the previous update: a bar's low/high, a tick's own price. Resting
  // limit and stop orders fill or trigger when this range reaches their price.
  Paise interval_low = 0;
  Paise interval_high = 0;
  // Shares traded in the latest update: a bar's volume, a tick's quantity (or, when the tick has
  // none, the rise of its cumulative day volume). 0 = unknown (a paper_quote carries no volume).
  Quantity interval_volume = 0;
  // The instrument's updates counted from 1: tells one update from the next even when their times
  // are equal (the engine's volume cap lets an order take from each update once).
  std::int64_t update_seq = 0;
  // The current IST day so far.
  Paise day_open = 0;
  Paise day_high = 0;
  Paise day_low = 0;
  Quantity day_volume = 0;
  Paise previous_close = 0;  // last price of the previous IST day seen; 0 = unknown
  // Price band. Explicit limits from a quote win; otherwise the engine derives them from
  // previous_close and its band setting. 0 = unknown.
  Paise lower_circuit = 0;
  Paise upper_circuit = 0;
};

class PriceSource {
 public:
  virtual ~PriceSource() = default;
  // The latest market for exchange:symbol, or nullopt if there has been no price for it.
  virtual std::optional<MarketPrice> latest(std::string_view exchange,
                                            std::string_view symbol) const = 0;
};

// Thread-safe in-memory prices. The day fields roll over when an update falls on a new IST date:
// the previous day's last price becomes previous_close, multiplied by the price factor of each
// corporate action of the symbol whose ex-date that new day reaches (as NSE adjusts the base
// price of the circuit band on an ex-date).
class InMemoryPriceSource final : public PriceSource {
 public:
  std::optional<MarketPrice> latest(std::string_view exchange,
                                    std::string_view symbol) const override;

  // A trade print at price (qty and cumulative volume optional, 0 = unknown).
  void apply_tick(std::string_view exchange, const Tick& tick);
  // A bar: the range [low, high] traded, the latest price is its close. Time is the bar's close
  // time: ts + timeframe, and 15:30 IST of its IST date for a daily bar (docs/PROTOCOL.md).
  void apply_bar(std::string_view exchange, const Bar& bar);
  // Sets a quote directly: last price and, when non-zero, previous close and circuit limits.
  void set_quote(std::string_view exchange, std::string_view symbol, TimestampMs ts, Paise last,
                 Paise previous_close, Paise lower_circuit, Paise upper_circuit);

  // The bonuses and splits previous_close is adjusted for (core/corporate_action.h).
  void set_corporate_actions(std::vector<CorporateAction> actions);

  // Every "EXCHANGE:SYMBOL" with a price, sorted.
  std::vector<std::string> keys() const;
  // The latest update time over all instruments (0 if none): the "market clock" of a replay.
  TimestampMs latest_ts() const;

 private:
  void update(std::string_view exchange, std::string_view symbol, TimestampMs ts, Paise last,
              Paise low, Paise high, Quantity volume_delta, Quantity cumulative_volume);

  mutable std::mutex mutex_;
  std::map<std::string, MarketPrice, std::less<>> prices_;
  TimestampMs latest_ts_ = 0;
  std::vector<CorporateAction> actions_;
};

// A clock that reads the time of the latest price: the paper broker's "now" when replaying
// history, so order and trade timestamps follow the replayed market. Before any price it returns
// fallback's time. Does not own its arguments.
class MarketClock final : public time::Clock {
 public:
  MarketClock(const InMemoryPriceSource& prices, const time::Clock& fallback)
      : prices_(prices), fallback_(fallback) {}
  TimestampMs now_ms() const override;

 private:
  const InMemoryPriceSource& prices_;
  const time::Clock& fallback_;
};

}  // namespace sm::paper
