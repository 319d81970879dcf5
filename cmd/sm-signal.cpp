// sm-signal: run strategy instances on bars (or ticks) from stdin or the database and write their
// signals as NDJSON; other messages pass through. Also prints indicator series for research.
// See man/sm-signal.1 and docs/STRATEGIES.md.
#include <csignal>
#include <string>

#include "cli/program.h"
#include "core/log.h"
#include "history/indicators.h"
#include "signal/program.h"

int main(int argc, char** argv) {
  sm::Logger log("sm-signal");
  CLI::App app{
      "Run strategies on NDJSON bars/ticks from stdin (or --replay from the database) and "
      "write signals; other lines pass through unchanged.",
      "sm-signal"};
  app.footer(
      "Subcommands: indicators (indicator series of a CSV file or the database).\n"
      "Exit status: 0 ok, 1 database failure, 2 usage, 3 bad line under --strict or "
      "unreadable input, 4 configuration error.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::signal::SignalArgs run;
  app.add_option("--strategy", run.strategy,
                 "run this strategy (docs/STRATEGIES.md) besides the configured signal.strategies");
  app.add_option("--param", run.params, "parameter of --strategy, name=value (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--id", run.id, "instance name of --strategy in signals (default: its name)");
  app.add_option("--symbol", run.symbols,
                 "symbols --strategy trades (repeatable; default all); "
                 "with --replay, the symbols to replay")
      ->allow_extra_args(false);
  app.add_option("--timeframe", run.timeframe,
                 "bar timeframe --strategy takes (and --replay "
                 "reads); default 1d");
  app.add_option("--capital", run.capital,
                 "capital in rupees reported to sizing (else "
                 "signal.capital, else 0)");
  app.add_flag("--replay", run.replay, "read stored bars from the database instead of stdin");
  app.add_option("--from", run.from, "with --replay: first date or time (IST)");
  app.add_option("--to", run.to, "with --replay: last date (inclusive) or end time");
  app.add_flag("--strict", run.strict, "stop at the first bad line (exit 3)");
  app.add_flag("--echo-market-data", run.echo_market_data,
               "also write the input bars and ticks to stdout");

  sm::history::IndicatorArgs ind;
  CLI::App* indicators = app.add_subcommand(
      "indicators", "print indicator series for a CSV file or stored bars as CSV or NDJSON");
  indicators->fallthrough();
  indicators->add_option("--file", ind.files, "CSV file of bars (repeatable); else the database")
      ->allow_extra_args(false);
  indicators
      ->add_option("--symbol", ind.symbols,
                   "database: symbols (repeatable); CSV: symbol of "
                   "a file without a symbol column")
      ->allow_extra_args(false);
  indicators->add_option("--timeframe", ind.timeframe, "bar timeframe (database default 1d)");
  indicators->add_option("--from", ind.from, "first date or time (IST)");
  indicators->add_option("--to", ind.to, "last date (inclusive) or end time");
  indicators
      ->add_option("--indicator", ind.indicators,
                   "sma:N ema:N rsi:N atr:N macd:F,S,G bbands:N,DEV highest:N lowest:N "
                   "highest_before:N lowest_before:N vwap (repeatable)")
      ->allow_extra_args(false);
  indicators->add_option("--format", ind.format, "csv or ndjson")->capture_default_str();
  indicators->add_option("--decimals", ind.decimals, "decimals in CSV")->capture_default_str();

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // A reader that goes away (| head) must not kill us mid-transaction; writes then fail and the
    // loop stops.
    std::signal(SIGPIPE, SIG_IGN);
    if (indicators->parsed()) {
      ind.db_path = common.db_path;
      return sm::history::run_indicators(ind, log);
    }
    run.db_path = common.db_path;
    run.config_path = common.config_path;
    return sm::signal::run_signal(run, log, sm::time::SystemClock());
  });
}
