// sm-order: approved order intents (NDJSON on stdin) become broker orders, exactly once, followed
// to a final state; order updates, fills and heartbeats go to stdout. `sm-order login` stores a new
// access token. See man/sm-order.1 and docs/ORDERS.md.
#include <string>

#include "cli/program.h"
#include "core/log.h"
#include "order/program.h"

namespace {

void add_broker_options(CLI::App& app, sm::order::BrokerFlags& flags) {
  app.add_option("--broker-url", flags.base_url,
                 "Kite Connect base URL (default broker.base_url, else https://api.kite.trade); "
                 "sm-paper's URL for "
                 "paper trading")
      ->check(sm::order::broker_url_problem);
  app.add_option(
         "--token-file", flags.token_file,
         "0600 file holding the access token (default broker.token_file, else var/kite_token)")
      ->envname("SM_KITE_TOKEN_FILE");
  app.add_option(
         "--secrets-file", flags.secrets_file,
         "0600 KEY=VALUE file with SM_KITE_API_KEY, SM_KITE_API_SECRET (login, postbacks) and "
         "optionally "
         "SM_KITE_ACCESS_TOKEN")
      ->envname("SM_SECRETS_FILE");
  app.add_option("--timeout-ms", flags.timeout_ms,
                 "HTTP timeout per broker request (default broker.timeout_ms, 7000)")
      ->check(CLI::Range(1, 600000));
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-order");
  CLI::App app{
      "Place approved order intents (NDJSON \"order\" lines on stdin) at the broker exactly once, "
      "follow "
      "each to a final state and write order_update, fill, alert and heartbeat lines; other lines "
      "pass "
      "through unchanged.",
      "sm-order"};
  app.footer(
      "Credentials: SM_KITE_API_KEY (and SM_KITE_API_SECRET for login) from the environment, "
      "NAME_FILE or the\n"
      "secrets file; the access token from --token-file (re-read when it changes) or "
      "SM_KITE_ACCESS_TOKEN.\n"
      "Exit status: 0 stopped cleanly (end of input or SIGTERM), 1 database/broker/internal "
      "failure, 2 usage,\n"
      "3 malformed line with --strict, 4 configuration, 6 drift at start-up, 7 login refused.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::order::OrderArgs args;
  add_broker_options(app, args.broker);
  app.add_flag("--cancel-on-exit", args.cancel_on_exit,
               "on SIGTERM or end of input, cancel open orders at the broker before exiting");
  app.add_flag("--allow-drift", args.allow_drift,
               "start even when reconciliation finds differences sm-order cannot settle (they are "
               "still alerted)");
  app.add_flag("--strict", args.strict, "stop at the first malformed input line (exit 3)");
  app.add_option("--postback-listen", args.postback_listen,
                 "HOST:PORT to serve Kite postbacks on (verified with SM_KITE_API_SECRET); "
                 "order.postback_listen");
  double eof_wait_s = -1;
  app.add_option("--eof-wait", eof_wait_s,
                 "after end of input, follow open orders for at most this many seconds (default "
                 "order.eof_wait_ms, "
                 "60 s)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_flag("--paper-prices", args.paper_prices,
               "forward tick and bar lines to the paper broker's price feed before each intent "
               "(paper trading "
               "a replay with sm-paper --clock market)");

  std::string request_token;
  sm::order::BrokerFlags login_flags;
  CLI::App* login =
      app.add_subcommand("login",
                         "exchange a Kite request token for an access token and store it "
                         "(0600) in the token file");
  login->add_option("--request-token", request_token, "the request_token from the login redirect")
      ->required();
  add_broker_options(*login, login_flags);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    const sm::order::CommonPaths paths{common.db_path, common.config_path};
    if (login->parsed()) return sm::order::run_login(paths, login_flags, request_token, log);
    if (eof_wait_s >= 0) args.eof_wait_ms = static_cast<std::int64_t>(eof_wait_s * 1000);
    return sm::order::run_order(paths, args, log);
  });
}
