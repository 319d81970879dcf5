// The paper broker's HTTP face: Kite Connect v3 REST on 127.0.0.1 (cpp-httplib), so KiteBroker runs
// unchanged against it. Same paths, envelopes and status codes as the real service
// (docs/BROKER.md lists them), plus control endpoints under /_paper/ for prices, faults, funds and
// sessions. Fault rules (paper/faults.h) apply to Kite paths only.
//
// Authentication: `Authorization: token <api_key>:<access_token>` where the token is either the
// fixed one configured (never expires by itself) or one issued by POST /session/token (valid until
// 06:00 IST after its login, by the engine clock). Login checks
// checksum = SHA-256(api_key + request_token + api_secret); any request token is accepted once.
// Issued tokens live in memory: a restarted paper broker needs a new login (like a master logout).
// Neither the secret nor tokens are ever logged.
//
// Writes to a connection the client has closed must not kill the process: start() sets SIGPIPE to
// ignored for the whole process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/log.h"
#include "core/status.h"
#include "paper/faults.h"
#include "paper/paper_engine.h"
#include "paper/price_feed.h"
#include "paper/price_source.h"
#include "time/clock.h"

namespace sm::paper {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback only; anything else is refused by start()
  int port = 0;                    // 0 = any free port
  std::string api_key;
  std::string api_secret;    // empty: POST /session/token answers InputException
  std::string access_token;  // empty: only issued tokens authenticate
  // Answer 429 like Kite when a client exceeds its per-second limits (quote 1/s, historical 3/s,
  // orders 10/s, others 10/s), counted per wall-clock second.
  bool enforce_rate_limits = true;
  std::uint64_t seed = 1;  // fault probabilities
  int threads = 8;
  std::string user_name = "Paper Trader";
};

class PaperServer {
 public:
  // clock is the engine's time (it may follow a replayed market); wall_clock counts the rate
  // limits, which Kite counts in wall-clock seconds. Does not own engine, prices, the clocks or
  // log; REQUIRES: they outlive the server. log may be null.
  PaperServer(PaperEngine& engine, InMemoryPriceSource& prices, ServerOptions options,
              const time::Clock& clock, const time::Clock& wall_clock, const Logger* log = nullptr);
  ~PaperServer();  // stops
  PaperServer(const PaperServer&) = delete;
  PaperServer& operator=(const PaperServer&) = delete;

  // Binds and starts serving on a background thread; returns the port. kInvalidArgument for a
  // non-loopback host, kIoError when the port cannot be bound.
  Result<int> start();
  // Stops accepting, wakes injected delays, waits for the serving thread. Idempotent.
  void stop();
  int port() const;

  FaultInjector& faults();
  // The ticker stream's faults, set by POST /_paper/ticker_faults (paper/faults.h).
  TickerFaults& ticker_faults();
  // Whether api_key and access_token authenticate like an Authorization header would (for the
  // ticker handshake); counts as one authenticated call for --token-expire-after.
  bool accepts_token(std::string_view api_key, std::string_view access_token);
  PriceFeed& feed();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::paper
