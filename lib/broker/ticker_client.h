// One Kite Ticker websocket connection over libwebsockets: connect with api_key and access_token in
// the query string, subscribe and set the mode, hand every message to a listener, notice when the
// connection dies. Reconnecting is the caller's loop (ingest/ticker_source), so each connection is
// one call here and its outcome is one Status. The framing is libwebsockets'; the payloads are
// broker/ticker_packets.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/ticker_packets.h"
#include "core/status.h"

namespace sm::broker {

inline constexpr std::size_t kTickerMaxTokensPerConnection = 3000;  // Kite's limit

// ws://HOST:PORT/PATH or wss://HOST[:PORT]/PATH.
struct TickerEndpoint {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path = "/";
};
// kInvalidArgument for another scheme, an empty host or a bad port.
Result<TickerEndpoint> parse_ticker_url(std::string_view url);

struct TickerSessionOptions {
  std::string url = "wss://ws.kite.trade";
  std::string api_key;
  std::string access_token;
  std::vector<std::uint32_t> tokens;
  TickerMode mode = TickerMode::kQuote;
  // Kite sends a heartbeat every few seconds when nothing else flows; this long without any message
  // means the connection is dead ([GOKC] dataTimeoutInterval is 5 s).
  std::int64_t data_timeout_ms = 5000;
  std::int64_t connect_timeout_ms = 10'000;
};

class TickerListener {
 public:
  virtual ~TickerListener() = default;
  // The handshake succeeded and the subscription has been queued.
  virtual void on_connected() {}
  // One whole websocket message (fragments joined), binary or text.
  virtual void on_binary(std::span<const std::uint8_t> message) = 0;
  virtual void on_text(std::string_view message) = 0;
};

// Runs one connection until it ends. Sends {"a":"subscribe"} and {"a":"mode"} for options.tokens
// as soon as it is open. should_stop is polled every 100 ms.
// Returns: ok when should_stop() became true; kAuthError when the handshake was refused with HTTP
// 403 (Kite's TokenException: an expired or wrong access token, retrying cannot help);
// kNetworkError when the connection could not be made or was closed; kTimeout when nothing
// arrived for data_timeout_ms (or no handshake within connect_timeout_ms); kInvalidArgument for a
// bad URL. The tokens are sent as given: more than kTickerMaxTokensPerConnection is the caller's
// mistake, which the server answers with an error text message. REQUIRES: listener outlives the
// call; callbacks run on the calling thread.
Status run_ticker_session(const TickerSessionOptions& options, TickerListener& listener,
                          const std::function<bool()>& should_stop);

}  // namespace sm::broker
