// sm-reconcile: compares the database with the broker (positions, open orders, today's trades),
// prints every difference (NDJSON, or a table for people) and with --apply adopts the broker's
// state. See man/sm-reconcile.1 and docs/ORDERS.md.
#include <string>

#include "cli/program.h"
#include "core/log.h"
#include "order/program.h"

int main(int argc, char** argv) {
  sm::Logger log("sm-reconcile");
  CLI::App app{
      "Compare the database with the broker: positions, open orders and today's trades. Prints one "
      "reconcile_difference line per difference and a reconcile_summary (a table on a terminal); "
      "--apply adopts the broker's state with an audit record.",
      "sm-reconcile"};
  app.footer(
      "Credentials as for sm-order: SM_KITE_API_KEY, and the access token from --token-file or "
      "SM_KITE_ACCESS_TOKEN.\n"
      "Exit status: 0 done (no unresolved drift, or drift without --fail-on-drift), 1 "
      "broker/database failure,\n"
      "2 usage, 4 configuration, 6 drift remains and --fail-on-drift, 7 no valid access token.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);
  sm::order::ReconcileArgs args;
  app.add_option("--broker-url", args.broker.base_url,
                 "Kite Connect base URL (default broker.base_url, else https://api.kite.trade)")
      ->check(sm::order::broker_url_problem);
  app.add_option("--token-file", args.broker.token_file,
                 "0600 access token file written by `sm-order login`")
      ->envname("SM_KITE_TOKEN_FILE");
  app.add_option("--secrets-file", args.broker.secrets_file, "0600 KEY=VALUE secrets file")
      ->envname("SM_SECRETS_FILE");
  app.add_option("--timeout-ms", args.broker.timeout_ms, "HTTP timeout per broker request")
      ->check(CLI::Range(1, 600000));
  app.add_flag(
      "--apply", args.apply,
      "adopt the broker's state: record unknown orders and missing fills, take its order statuses, "
      "adjust positions (refused while sm-order runs)");
  app.add_flag("--fail-on-drift", args.fail_on_drift,
               "exit 6 when drift remains (for systemd ExecStartPre)");
  CLI::Option* table =
      app.add_flag("--table", args.table, "print a table for people (default on a terminal)");
  app.add_flag("--json", args.json, "print NDJSON even on a terminal")->excludes(table);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    return sm::order::run_reconcile({common.db_path, common.config_path}, args, log);
  });
}
