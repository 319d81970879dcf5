// sm-paper: a paper broker speaking the Kite Connect v3 REST API on 127.0.0.1, for paper trading
// and tests. See man/sm-paper.1 and docs/BROKER.md.
#include <string>

#include "cli/program.h"
#include "core/log.h"
#include "paper/program.h"

namespace {

void add_paper_options(CLI::App& app, sm::paper::PaperArgs& args) {
  app.add_option("--port", args.port,
                 "TCP port on 127.0.0.1; 0 picks a free one (announced on stdout); default: the "
                 "port of paper.listen in --config, else 0")
      ->check(CLI::Range(0, 65535));
  app.add_option("--state", args.state_path, "the paper broker's own SQLite state file")
      ->envname("SM_PAPER_STATE")
      ->capture_default_str();
  app.add_option("--cash", args.cash, "opening cash in rupees for a new state file")
      ->capture_default_str();
  app.add_option("--api-key", args.api_key, "the api_key clients must present")
      ->envname("SM_PAPER_API_KEY");
  app.add_option("--secrets-file", args.secrets_file,
                 "0600 KEY=VALUE file with SM_PAPER_API_SECRET and/or "
                 "SM_PAPER_ACCESS_TOKEN");
  app.add_option("--prices", args.prices,
                 "tick/bar NDJSON to replay into the price feed; - for stdin");
  app.add_option("--instruments", args.instruments, "Kite instruments CSV (tick sizes, tokens)");
  app.add_option("--market-hours", args.market_hours,
                 "nse: accept orders only in the continuous session of "
                 "data/nse-calendar.csv; always: any time")
      ->capture_default_str()
      ->check(CLI::IsMember({"nse", "always"}));
  app.add_option("--clock", args.clock,
                 "wall: system time; market: time of the latest price (replays)")
      ->capture_default_str()
      ->check(CLI::IsMember({"wall", "market"}));
  app.add_option("--costs", args.costs,
                 "cost model: india-equity, zero, or simple:<percent>:<flat rupees>")
      ->capture_default_str();
  app.add_option("--mis-margin-pct", args.mis_margin_pct,
                 "margin for intraday (MIS) as % of order value")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--price-band-pct", args.price_band_pct,
                 "circuit band around the previous close (0 = none) when "
                 "the feed gives no limits")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  app.add_option("--volume-cap", args.volume_cap,
                 "partial fills: one order takes at most PCT % of each price update's volume "
                 "(bar volume, tick quantity); off by default");
  app.add_flag("--rms-rejects-as-orders", args.rms_rejects_as_orders,
               "answer insufficient funds/holdings and circuit breaches with a REJECTED order "
               "(like the real OMS) "
               "instead of an error");
  app.add_flag("--no-rate-limits", args.no_rate_limits,
               "do not answer 429 when clients exceed Kite's limits");
  app.add_option("--fault", args.faults,
                 "fault rule as JSON, e.g. '{\"kind\":\"http_error\",\"status\":429}' "
                 "(repeatable; docs/BROKER.md)")
      ->allow_extra_args(false);
  app.add_option("--token-expire-after", args.token_expire_after,
                 "tokens stop working after this many "
                 "authenticated calls (0 = never)")
      ->capture_default_str();
  app.add_option("--seed", args.seed, "seed for probabilistic faults")->capture_default_str();
  app.add_option("--mis-square-off", args.mis_square_off,
                 "HH:MM (IST) when the broker squares off intraday (MIS) positions, or off; "
                 "default 15:20 with --market-hours nse, off with always");
  app.add_option("--postback-url", args.postback_url,
                 "POST Kite-style postbacks (signed with SM_PAPER_API_SECRET) to this URL");
  app.add_option("--ticker-port", args.ticker_port,
                 "also serve the Kite Ticker websocket on 127.0.0.1:PORT (0 = any free port; "
                 "announced as ticker_url)");
  app.add_option("--ticker-interval-ms", args.ticker_interval_ms,
                 "how often the ticker sends the prices that changed")
      ->capture_default_str();
  app.add_option("--ticker-fault", args.ticker_faults,
                 "ticker stream fault as JSON, e.g. '{\"stall_ms\":8000}' (repeatable; "
                 "docs/BROKER.md)")
      ->allow_extra_args(false);
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-paper");
  CLI::App app{
      "Serve the Kite Connect v3 REST API on 127.0.0.1 as a paper broker: fills orders against a "
      "price "
      "feed, keeps its own state in SQLite, injects faults on request.",
      "sm-paper"};
  app.footer(
      "Credentials: SM_PAPER_API_SECRET (enables login) and SM_PAPER_ACCESS_TOKEN (a fixed token), "
      "from the\n"
      "environment, NAME_FILE or --secrets-file; never on the command line.\n"
      "Exit status: 0 stopped by SIGTERM/SIGINT, 1 state or port failure, 2 usage, 3 unreadable "
      "--prices,\n"
      "4 configuration (--config, no api key, bad cost model, calendar).");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::paper::PaperArgs args;
  add_paper_options(app, args);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    args.config_path = common.config_path;
    return sm::paper::run_paper(args, log);
  });
}
