// Price input for the paper broker: NDJSON lines of the project's own message types
// (docs/PROTOCOL.md)
//   {"type":"tick", ...}  a trade print: the last price becomes tick.price
//   {"type":"bar", ...}   a candle: its [low, high] range traded, its close is the last price,
//                         applied at the bar's end time
// and one line type of its own, for tests and manual control:
//   {"type":"paper_quote","symbol":"INFY","exchange":"NSE","last_price":1500.5,
//    "ts":"2024-03-28T04:00:00.000Z","close":1490,"lower_circuit_limit":1341,"upper_circuit_limit":1639}
// (exchange defaults to NSE, ts to the engine clock; close and the limits are optional).
// Each applied price makes the engine re-evaluate resting orders of that instrument.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "core/log.h"
#include "core/messages.h"
#include "paper/paper_engine.h"
#include "paper/price_source.h"
#include "time/clock.h"

namespace sm::paper {

class PriceFeed {
 public:
  // Does not own its arguments; REQUIRES: they outlive the feed.
  PriceFeed(InMemoryPriceSource& prices, PaperEngine& engine, const time::Clock& clock)
      : prices_(prices), engine_(engine), clock_(clock) {}

  // Applies one line (thread-safe). Blank lines are ignored (false). Other message types (signals,
  // orders, ...) are ignored too, so a mixed stream can be fed. kParseError naming the field for a
  // bad line; kDatabaseError if the engine could not store fills it made.
  Result<bool> apply_line(std::string_view line);

  // Reads NDJSON from fd until end of input or stop_requested(), applying each line. A bad line is
  // logged (input name, line number, reason) and skipped; returns the number of prices applied, or
  // the first storage error.
  Result<std::int64_t> run(int fd, std::string input_name, const Logger& log);

 private:
  InMemoryPriceSource& prices_;
  PaperEngine& engine_;
  const time::Clock& clock_;
  std::mutex mutex_;  // the decoder holds parse buffers
  MessageDecoder decoder_;
};

}  // namespace sm::paper
