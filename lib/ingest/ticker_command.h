// sm-ingest ticker: stream live ticks from the Kite Ticker websocket into the database and, with
// --emit, NDJSON on stdout (ingest/ticker_source.h, ingest/live_feed.h). man/sm-ingest.1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/log.h"
#include "time/clock.h"

namespace sm::ingest {

struct TickerArgs {
  // --symbol (repeatable), mapped to tokens by the instruments table; empty: signal.symbols.
  std::vector<std::string> symbols;
  std::string mode = "quote";  // --mode ltp|quote|full
  std::string url = "wss://ws.kite.trade";
  std::vector<std::string> bars;  // --bars 5m (1m always)
  bool emit = false;              // --emit
  std::int64_t data_timeout_ms = 5'000;
  std::int64_t initial_backoff_ms = 1'000;
  std::int64_t max_backoff_ms = 60'000;
  std::uint64_t seed = 1;
  // --order-postback-url: sm-order's postback listener; order updates on the stream are POSTed
  // there as the postbacks they are (signed by the broker), "" = only logged.
  std::string order_postback_url;
  std::string config_path;
  std::string db_path;
};

// Under systemd it notifies READY=1 once the database and the symbols' tokens are in hand,
// WATCHDOG=1 from the source's loop and STOPPING=1 (service/notifier.h); it beats a last
// `stopping` heartbeat.
// Exit codes: 0 stopped by SIGTERM/SIGINT; 1 database failure; 2 bad flag value, no symbol or
// more than 3,000 (Kite's limit per connection); 3 a symbol without an instrument token in the
// database (load the instruments dump first); 4 configuration (no api key); 7 no access token, or
// the ticker refused it (HTTP 403 TokenException: log in again).
int run_ticker(const TickerArgs& args, const Logger& log, const time::Clock& clock);

}  // namespace sm::ingest
