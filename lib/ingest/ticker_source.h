// sm-ingest's Kite Ticker websocket source: connects (broker/ticker_client), subscribes by
// instrument token, decodes every frame (broker/ticker_packets) into ticks for the live feed
// (ingest/live_feed), and reconnects with capped exponential backoff and jitter, subscribing again
// each time, until asked to stop. An expired or wrong access token (HTTP 403 on the handshake)
// ends it at once: retrying cannot help and a service unit must not spin (docs/INGEST.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "broker/ticker_client.h"
#include "core/log.h"
#include "core/status.h"
#include "ingest/live_feed.h"
#include "time/clock.h"

namespace sm::ingest {

struct TickerSourceOptions {
  broker::TickerSessionOptions session;
  std::map<std::uint32_t, std::string> symbols;  // instrument token -> symbol
  std::int64_t initial_backoff_ms = 1'000;
  std::int64_t max_backoff_ms = 60'000;  // Kite's SDKs cap at 60 s
  std::uint64_t seed = 1;                // jitter
  // Receives the postback object of every order update on the stream (may be empty: only logged).
  std::function<void(const std::string& order_json)> on_order;
  // Called on every pass of the source's loop: at least every 100 ms while connected (the
  // websocket event loop's tick) and while waiting to reconnect. The program pings the systemd
  // watchdog from it, so a loop that hangs stops the pings. May be empty.
  std::function<void()> alive;
};

struct TickerSourceCounts {
  std::int64_t connections = 0;
  std::int64_t frames = 0;
  std::int64_t packets = 0;
  std::int64_t heartbeats = 0;
  std::int64_t malformed = 0;       // frames that did not decode (logged, skipped)
  std::int64_t unknown_tokens = 0;  // packets for a token we did not subscribe
  std::int64_t depth_packets = 0;   // full packets carrying a market depth level (not stored)
  std::int64_t order_updates = 0;
};

// The delay before reconnect attempt `attempt` (0-based): min(max, initial * 2^attempt), scaled by
// a jitter factor in [0.5, 1.0] drawn from `unit` (a number in [0, 1)).
std::int64_t reconnect_delay_ms(const TickerSourceOptions& options, int attempt, double unit);

// The tick a packet means: price in paise, the last trade's quantity and the day's volume; ts is
// the exchange timestamp (full mode) or else received_ms, the receiving clock's time (ltp and quote
// packets carry no time).
Tick tick_from_packet(const broker::TickerPacket& packet, std::string symbol,
                      TimestampMs received_ms);

// Runs until should_stop(): ok then. kAuthError when the handshake is refused with 403; the live
// feed's store error when storing fails. sleep waits between attempts, called in slices of at most
// 100 ms, and returns early on stop.
// Order updates arriving as text messages are logged as `ticker_order_update` (order_id, status)
// and handed to options.on_order: a prompt to look the order up, never a source of truth.
Status run_ticker_source(const TickerSourceOptions& options, LiveFeed& feed,
                         const time::Clock& clock, const Logger& log,
                         const std::function<bool()>& should_stop,
                         const std::function<void(std::int64_t)>& sleep,
                         TickerSourceCounts& counts);

}  // namespace sm::ingest
