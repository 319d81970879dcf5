// sm-backtest: replay bars (CSV files or the database) through a strategy, a simulated broker and
// optionally the risk engine; one run with its reports, a parameter sweep, or a walk-forward.
// See man/sm-backtest.1 and docs/BACKTEST.md.
#include <csignal>
#include <string>

#include "backtest_program/program.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "divergence/program.h"
#include "time/clock.h"

namespace {

using sm::backtest_program::DataArgs;
using sm::backtest_program::EngineArgs;
using sm::backtest_program::OutputArgs;
using sm::backtest_program::StrategyArgs;

void add_run_options(CLI::App* app, DataArgs& d, StrategyArgs& s, EngineArgs& e, OutputArgs& o,
                     bool& no_progress) {
  app->add_option("--file", d.files,
                  "CSV file of bars (repeatable; one series per symbol); "
                  "without --file, bars come from the database (--db)")
      ->allow_extra_args(false);
  app->add_option("--symbol", d.symbols,
                  "database: symbols to load (repeatable, default all); CSV: "
                  "the symbol of a file without a symbol column")
      ->allow_extra_args(false);
  app->add_option("--timeframe", d.timeframe, "bar timeframe (database default 1d; CSV: detected)");
  app->add_option("--from", d.from, "first date or time (IST)");
  app->add_option("--to", d.to, "last date (inclusive) or end time (exclusive)");
  app->add_option("--corporate-actions", d.corporate_actions,
                  "CSV of splits and bonuses (symbol,ex_date,kind,ratio); default: the bundled "
                  "data/corporate-actions.csv");
  app->add_flag("--adjust,!--no-adjust", d.adjust,
                "back-adjust prices before each listed ex-date (the default); --no-adjust only "
                "reports the actions on their dates");
  app->add_option("--drop-threshold", d.drop_threshold_percent,
                  "a fall of this many percent between bars is reported as a suspected "
                  "unadjusted corporate action")
      ->capture_default_str();
  app->add_option("--strategy", s.name, "strategy name (docs/STRATEGIES.md), e.g. sma-cross");
  app->add_option("--param", s.params, "strategy parameter name=value (repeatable), e.g. fast=10")
      ->allow_extra_args(false);
  app->add_option("--id", s.id, "instance name in signals and fills (default: the strategy name)");
  app->add_option("--fill", e.fill, "when market orders fill: next-open (default) or close");
  app->add_option("--entry-order", e.entry_order, "entry orders: market (default), limit or stop");
  app->add_option("--entry-offset-bps", e.entry_offset_bps,
                  "limit entries this far below the close, stop entries above (basis points)");
  app->add_option("--order-valid-bars", e.order_valid_bars,
                  "bars a limit/stop entry waits for a fill (default 1)");
  app->add_flag("--protective-stops", e.protective_stops,
                "rest a sell-stop at each entry's stop while the position is open");
  app->add_option("--slippage", e.slippage,
                  "0 (default), N bps (e.g. 5bps) or N ticks (e.g. 1tick)");
  app->add_option("--volume-cap", e.volume_cap,
                  "fraction of a bar's volume orders may take (default 0 = no cap)");
  app->add_option("--costs", e.costs, "zero (default), india-equity or simple:PERCENT:FLAT_RUPEES");
  app->add_option("--product", e.product, "CNC (delivery, default) or MIS (intraday) cost rates");
  app->add_option("--cash", e.cash, "starting cash in rupees (default 10000000)");
  app->add_option("--max-positions", e.max_positions,
                  "open positions allowed at once (0 = no limit)");
  app->add_option("--max-position-value", e.max_position_value,
                  "rupees per position; larger entries are reduced (0 = no limit)");
  app->add_flag("--close-at-end", e.close_at_end, "sell open positions at the last close");
  app->add_option("--risk-free-rate", e.risk_free_rate,
                  "annual risk-free rate for Sharpe/Sortino, e.g. 0.065 (default 0)");
  app->add_option("--risk", e.risk_config,
                  "pass every signal through the risk engine with this config file's risk section");
  app->add_option("--out", o.out_dir,
                  "write the reports (summary, trades, fills, signals, equity, "
                  "HTML) into this directory");
  app->add_option("--format", o.format, "stdout: table (default), json or ndjson")
      ->capture_default_str();
  app->add_option("--title", o.title, "title of the HTML report");
  app->add_flag("--no-progress", no_progress, "no progress bar even on a terminal");
}

void add_sweep_options(CLI::App* cmd, sm::backtest_program::SweepArgs& sweep) {
  cmd->add_option("--grid", sweep.grid, "name=v1,v2,... or name=start:stop:step (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--rank-by", sweep.rank_by,
                  "metric: sharpe, sortino, calmar, cagr, "
                  "total-return, net-pnl, profit-factor, "
                  "win-rate, max-drawdown")
      ->capture_default_str();
  cmd->add_option("--threads", sweep.threads, "worker threads (default: all cores)");
  cmd->add_option("--top", sweep.top, "rows in the table (0 = all)")->capture_default_str();
  cmd->add_option("--shard", sweep.shard,
                  "K/N: run only the K-th of N slices of the grid (merge the shards' "
                  "--format ndjson output with `sm-backtest merge`)");
}

CLI::App* add_merge_command(CLI::App& app, sm::backtest_program::MergeArgs& merge) {
  CLI::App* cmd = app.add_subcommand(
      "merge", "rank the NDJSON results of several sweep shards as one sweep ranks them");
  cmd->fallthrough();
  cmd->add_option("files", merge.files,
                  "NDJSON output of `sweep --format ndjson` runs (default: stdin; - for stdin)");
  cmd->add_option("--rank-by", merge.rank_by,
                  "metric (default: the one the inputs were ranked by)");
  cmd->add_option("--top", merge.top, "rows in the table (0 = all)")->capture_default_str();
  cmd->add_option("--format", merge.output.format, "stdout: table (default) or ndjson")
      ->capture_default_str();
  cmd->add_option("--out", merge.output.out_dir, "write sweep.ndjson and sweep.txt there");
  return cmd;
}

void add_walk_forward_options(CLI::App* cmd, sm::backtest_program::SweepArgs& walk) {
  cmd->add_option("--grid", walk.grid, "name=v1,v2,... or name=start:stop:step (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--metric", walk.rank_by, "in-sample metric to optimise")->capture_default_str();
  cmd->add_option("--in-sample", walk.in_sample, "bars per in-sample window")
      ->capture_default_str();
  cmd->add_option("--out-sample", walk.out_sample, "bars per out-of-sample window")
      ->capture_default_str();
  cmd->add_flag("--anchored", walk.anchored, "every in-sample window starts at the first bar");
  cmd->add_option("--threads", walk.threads, "worker threads (default: all cores)");
}

void add_divergence_options(CLI::App* cmd, sm::divergence::DivergenceArgs& divergence) {
  cmd->add_option("--date", divergence.date, "the IST day, YYYY-MM-DD (default today)");
  cmd->add_option("--warmup-days", divergence.warmup_days,
                  "days of bars replayed before the day (default "
                  "divergence.warmup_days, else 365)");
  cmd->add_flag("--fail-on-divergence", divergence.fail_on_divergence,
                "exit 6 when a divergence threshold is exceeded");
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-backtest");
  CLI::App app{
      "Backtest strategies on historical bars: the same strategy code as sm-signal, a "
      "simulated broker with exact costs, and reports.",
      "sm-backtest"};
  app.footer(
      "Subcommands: run (one backtest), sweep (a grid on all cores, or one --shard), merge\n"
      "(shards ranked as one sweep), walk-forward, divergence (a live day against its replay).\n"
      "Exit status: 0 ok, 1 failure, 2 usage, 3 data error, 4 configuration error, 6 diverged\n"
      "(divergence --fail-on-divergence).");
  // At most one subcommand; "none given" is checked after parsing, because CLI11 checks
  // requirements before unknown arguments and would answer `sm-backtest --bogus` with "A
  // subcommand is required" instead of naming --bogus.
  app.require_subcommand(0, 1);
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  bool no_progress = false;
  sm::backtest_program::RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run",
                                         "one backtest: a table (or JSON) on stdout, report "
                                         "files with --out");
  run_cmd->fallthrough();
  add_run_options(run_cmd, run.data, run.strategy, run.engine, run.output, no_progress);

  sm::backtest_program::SweepArgs sweep;
  CLI::App* sweep_cmd =
      app.add_subcommand("sweep", "run a parameter grid across all cores and rank the results");
  sweep_cmd->fallthrough();
  add_run_options(sweep_cmd, sweep.data, sweep.strategy, sweep.engine, sweep.output, no_progress);
  add_sweep_options(sweep_cmd, sweep);

  sm::backtest_program::MergeArgs merge;
  CLI::App* merge_cmd = add_merge_command(app, merge);

  sm::backtest_program::SweepArgs walk;
  CLI::App* walk_cmd = app.add_subcommand(
      "walk-forward", "optimise on rolling in-sample windows, test out of sample, stitch");
  walk_cmd->fallthrough();
  add_run_options(walk_cmd, walk.data, walk.strategy, walk.engine, walk.output, no_progress);
  add_walk_forward_options(walk_cmd, walk);

  sm::divergence::DivergenceArgs divergence;
  CLI::App* divergence_cmd = app.add_subcommand(
      "divergence",
      "compare a live day (signals, fills) with the configured strategies replayed on the stored "
      "bars; store and print the divergence");
  divergence_cmd->fallthrough();
  add_divergence_options(divergence_cmd, divergence);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // A reader that goes away (| head) ends the output, not the process mid-write of a report.
    std::signal(SIGPIPE, SIG_IGN);
    if (app.get_subcommands().empty()) {
      log.error("usage_error", {{"message",
                                 "a subcommand is required: run, sweep, merge, walk-forward "
                                 "or divergence"},
                                {"hint", "run with --help"}});
      return sm::kExitUsage;
    }
    if (merge_cmd->parsed()) return sm::backtest_program::run_merge_command(merge, log);
    if (divergence_cmd->parsed()) {
      divergence.db_path = common.db_path;
      divergence.config_path = common.config_path;
      return sm::divergence::run_divergence(divergence, log, sm::time::SystemClock());
    }
    sm::cli::ProgressBar progress(sweep_cmd->parsed() ? "sweep" : "walk-forward", no_progress);
    for (sm::backtest_program::CommonArgs* c : {&run.common, &sweep.common, &walk.common}) {
      c->db_path = common.db_path;
      c->config_path = common.config_path;
      c->progress.update = [&progress](std::size_t done, std::size_t total) {
        progress.update(done, total);
      };
      c->progress.finish = [&progress] { progress.finish(); };
    }
    if (sweep_cmd->parsed()) return sm::backtest_program::run_sweep_command(sweep, log);
    if (walk_cmd->parsed()) return sm::backtest_program::run_walk_forward_command(walk, log);
    return sm::backtest_program::run_backtest_command(run, log);
  });
}
