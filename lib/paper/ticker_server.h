// The paper broker's Kite Ticker websocket (libwebsockets) on 127.0.0.1: the same URL shape as
// wss://ws.kite.trade (ws://127.0.0.1:PORT/?api_key=..&access_token=..), the same client messages
// (subscribe, unsubscribe, mode) and the same binary packets (broker/ticker_packets), built from
// the paper price source, so sm-ingest's live code path runs unchanged against it.
//
// What it sends: every interval_ms, for each connection, one frame with a packet for every
// subscribed instrument whose price has been updated since it was last sent (at the connection's
// mode for it); a 1-byte heartbeat when nothing was sent for heartbeat_ms; order updates as
// {"type":"order","data":<postback object>} to every connection. Full-mode packets carry a
// synthetic 5 + 5 level book around the last price (paper/synthetic_depth.h). A handshake whose
// api_key or access_token the authorizer refuses gets HTTP 403, as Kite answers a TokenException. A
// subscribe that would take a connection past 3,000 instruments is refused as a whole with
// {"type":"error","data":"..."} and the connection stays open. Faults come from TickerFaults.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "broker/types.h"
#include "core/log.h"
#include "core/money.h"
#include "core/status.h"
#include "paper/faults.h"
#include "paper/price_source.h"

namespace sm::paper {

struct TickerServerOptions {
  int port = 0;  // 0 = any free port; always 127.0.0.1
  std::int64_t interval_ms = 100;
  std::int64_t heartbeat_ms = 1000;
  // The tick size of exchange:symbol at a price (PaperEngine::tick_size): the step between the
  // synthetic depth levels of full-mode packets (paper/synthetic_depth.h). Empty: the NSE tick
  // rule.
  std::function<Paise(std::string_view exchange, std::string_view symbol, Paise price)> tick_size;
};

class TickerServer {
 public:
  using Authorizer = std::function<bool(std::string_view api_key, std::string_view access_token)>;
  // The instrument token of exchange:symbol (PaperEngine::instrument_token).
  using TokenOf = std::function<std::int64_t(std::string_view exchange, std::string_view symbol)>;

  // Does not own prices, faults or log (may be null); REQUIRES: they outlive the server.
  TickerServer(const InMemoryPriceSource& prices, TokenOf token_of, Authorizer authorize,
               TickerFaults& faults, TickerServerOptions options, const Logger* log);
  ~TickerServer();  // stops
  TickerServer(const TickerServer&) = delete;
  TickerServer& operator=(const TickerServer&) = delete;

  // Binds 127.0.0.1 and serves on a background thread; the port. kIoError when it cannot bind.
  Result<int> start();
  void stop();  // idempotent

  // Queues an order update for every open connection (thread-safe). order_json is the postback
  // object (broker::postback_to_json).
  void publish_order(std::string order_json);

  // Open connections, for /_paper/state and tests (thread-safe).
  int connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::paper
