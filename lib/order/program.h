// The work behind sm-order's and sm-reconcile's thin mains: open the database and the broker, run
// the loop, map the outcome to an exit code. man/sm-order.1 and man/sm-reconcile.1 document flags
// and exit codes; docs/ORDERS.md the behaviour.
#pragma once

#include <cstdint>
#include <string>

#include "core/log.h"
#include "order/broker_setup.h"

namespace sm::order {

struct CommonPaths {
  std::string db_path;
  std::string config_path;
};

struct OrderArgs {
  BrokerFlags broker;
  bool cancel_on_exit = false;
  bool allow_drift = false;
  bool strict = false;
  // After end of input, keep following open orders for at most this long (then exit 0; the next
  // start resumes them). -1 = from configuration (order.eof_wait_ms, default 60000).
  std::int64_t eof_wait_ms = -1;
  // Forward tick and bar lines to the paper broker's price feed (POST <broker-url>/_paper/prices)
  // before each intent, so a replay trades at the replayed prices and times.
  bool paper_prices = false;
  // "HOST:PORT" to serve Kite postbacks on ("" = from order.postback_listen, default off).
  std::string postback_listen;
};

// sm-order: reads intents on stdin until end of input or SIGTERM. Exit codes: 0 clean stop,
// 1 database or internal failure, 3 a malformed line with --strict, 4 configuration,
// 6 reconciliation found drift at start-up (unless --allow-drift).
int run_order(const CommonPaths& paths, const OrderArgs& args, const Logger& log);

// sm-order login: exchanges a request token for an access token and writes the token file.
// Exit codes: 0 stored, 1 network/IO failure, 4 configuration (api key or secret missing),
// 7 the broker refused the request token or checksum.
int run_login(const CommonPaths& paths, const BrokerFlags& broker, const std::string& request_token,
              const Logger& log);

struct ReconcileArgs {
  BrokerFlags broker;
  bool apply = false;
  bool fail_on_drift = false;
  bool table = false;  // force the table; it is also used when stdout is a terminal
  bool json = false;   // force NDJSON even on a terminal
};

// sm-reconcile. Exit codes: 0 done (no unresolved drift, or drift without --fail-on-drift),
// 1 broker/database failure, 4 configuration, 6 drift remains and --fail-on-drift, 7 no valid
// access token.
int run_reconcile(const CommonPaths& paths, const ReconcileArgs& args, const Logger& log);

}  // namespace sm::order
