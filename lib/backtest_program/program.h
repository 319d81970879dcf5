// The sm-backtest commands as functions from command-line text to an exit code, so the program's
// main only declares flags: run (one backtest, its reports), sweep (a parameter grid across all
// cores, ranked, or one shard of it), merge (the shards' results ranked as one) and walk-forward.
// Flag values arrive as text and are checked here: a bad value is a usage error. man/sm-backtest.1
// and docs/BACKTEST.md describe the behaviour.
//
// Exit codes: 0 done; 1 runtime failure (the output directory cannot be written, a database
// error); 2 usage (bad flag value, unknown strategy or parameter); 3 data error (an input that
// cannot be read or understood, no bars); 4 configuration error (--config or --risk file).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/log.h"

namespace sm::backtest_program {

// Settings that may also come from the "backtest" section of the configuration file: an empty
// string means "not given on the command line" (then the file's value, then the default).
struct EngineArgs {
  std::string fill;                // next-open | close            (backtest.fill)
  std::string entry_order;         // market | limit | stop        (backtest.entry_order)
  std::string entry_offset_bps;    // limit/stop distance          (backtest.entry_offset_bps)
  std::string order_valid_bars;    //                              (backtest.order_valid_bars)
  bool protective_stops = false;   //                              (backtest.protective_stops)
  std::string slippage;            // 0 | 5bps | 2ticks            (backtest.slippage)
  std::string volume_cap;          // fraction of bar volume       (backtest.volume_cap)
  std::string costs;               // zero | india-equity | simple:P:F (backtest.costs)
  std::string product;             // CNC | MIS                    (backtest.product)
  std::string cash;                // rupees                       (backtest.cash)
  std::string max_positions;       //                              (backtest.max_open_positions)
  std::string max_position_value;  // rupees                       (backtest.max_position_value)
  bool close_at_end = false;       //                              (backtest.close_at_end)
  std::string risk_free_rate;      // annual, 0.06 = 6 %           (backtest.risk_free_rate)
  std::string risk_config;         // --risk FILE: pass signals through the risk engine
};

struct DataArgs {
  std::vector<std::string> files;
  std::vector<std::string> symbols;
  std::string timeframe;
  std::string from, to;
  std::string corporate_actions;  // empty: the bundled file (docs/CORPORATE_ACTIONS.md)
  bool adjust = true;             // --no-adjust: report the actions, keep prices as printed
  std::string drop_threshold_percent = "20";
};

struct StrategyArgs {
  std::string name;                 // --strategy
  std::vector<std::string> params;  // --param k=v (value: JSON if it parses, else a string)
  std::string id;                   // --id
};

struct OutputArgs {
  std::string out_dir;           // --out: write the report files there
  std::string format = "table";  // stdout: table | json | ndjson
  std::string title;             // HTML title
};

// How sweep and walk-forward report progress (cmd/sm-backtest draws a progress bar on a terminal).
// update(done, total) may be called from any worker thread; finish() is called once, before the
// results are printed. Either may be empty.
struct Progress {
  std::function<void(std::size_t done, std::size_t total)> update;
  std::function<void()> finish;
};

struct CommonArgs {
  std::string db_path;
  std::string config_path;
  Progress progress;
};

struct RunArgs {
  CommonArgs common;
  DataArgs data;
  StrategyArgs strategy;
  EngineArgs engine;
  OutputArgs output;
};
int run_backtest_command(const RunArgs& args, const Logger& log);

struct SweepArgs {
  CommonArgs common;
  DataArgs data;
  StrategyArgs strategy;
  EngineArgs engine;
  OutputArgs output;
  std::vector<std::string> grid;   // --grid name=v1,v2 | name=start:stop:step
  std::string rank_by = "sharpe";  // --rank-by (for walk-forward: the in-sample metric)
  unsigned threads = 0;            // --threads; 0 = all cores
  std::size_t top = 20;            // --top rows in the table; 0 = all
  std::string shard;               // --shard K/N: run only that slice of the grid; empty = all
  // walk-forward only
  std::size_t in_sample = 504;
  std::size_t out_sample = 126;
  bool anchored = false;
};
int run_sweep_command(const SweepArgs& args, const Logger& log);

// merge: the NDJSON of several `sweep --shard K/N` runs (files, or stdin for none or "-") ranked
// as one unsharded sweep ranks them: the same lines, table and files as that sweep would give.
// A truncated or malformed input, or a grid position given twice, is a data error (exit 3).
struct MergeArgs {
  std::vector<std::string> files;
  std::string rank_by;  // --rank-by; empty: the metric the inputs were ranked by
  std::size_t top = 20;
  OutputArgs output;  // --format and --out as for sweep (the title is unused)
};
int run_merge_command(const MergeArgs& args, const Logger& log);

int run_walk_forward_command(const SweepArgs& args, const Logger& log);

}  // namespace sm::backtest_program
