// Research on top of the engine: parameter grid sweeps run in parallel, and walk-forward analysis
// (rolling in-sample optimisation, out-of-sample evaluation, stitched out-of-sample equity).
// Results come back in a fixed order whatever the number of threads: row i is parameter set i.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/engine.h"
#include "backtest/metrics.h"

namespace sm::backtest {

// One parameter's values in a grid.
struct ParamAxis {
  std::string name;
  std::vector<nlohmann::json> values;
};

// Parses "name=v1,v2,v3" (each value a JSON number or a bare word taken as a string) or
// "name=start:stop:step" (an inclusive numeric range, step > 0; integers when all three are).
// Fails with kInvalidArgument naming the text; a range of more than 100,000 values is refused.
Result<ParamAxis> parse_axis(std::string_view text);

// Every combination of the axes over base (an object of fixed parameters, or null), the first
// axis varying slowest. No axes: just base.
std::vector<nlohmann::json> expand_grid(const nlohmann::json& base,
                                        const std::vector<ParamAxis>& axes);

// The names of the parameters whose value differs between the sets (in first-seen order): what
// a grid sweeps, as opposed to the fixed parameters every set shares. Empty for fewer than two
// sets.
std::vector<std::string> swept_parameter_names(const std::vector<nlohmann::json>& param_sets);

using GateFactory = std::function<std::unique_ptr<SignalGate>()>;

struct SweepOptions {
  unsigned threads = 0;  // 0: std::thread::hardware_concurrency()
  // SweepRow::index of the first set: a shard's position in the whole grid, so that rows of
  // several shards merge into the ranking of one unsharded sweep.
  std::size_t first_index = 0;
  double risk_free_rate = 0;
  GateFactory gate;  // one gate per run; empty: ApproveAll
  // Called after each run (from worker threads, one call at a time) with runs done and total.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct SweepRow {
  std::size_t index = 0;
  nlohmann::json params;
  Status status;  // a failed run (e.g. slow <= fast) keeps its error here and ranks last
  Summary summary;
};

// Runs spec with each parameter set (replacing spec.params). Details are not recorded
// (EngineConfig::record_details is forced off); trades and equity feed the metrics.
std::vector<SweepRow> run_sweep(const MarketData& data, const StrategySpec& spec,
                                const std::vector<nlohmann::json>& param_sets,
                                const EngineConfig& config, const costs::CostModel& costs,
                                const SweepOptions& options);

// One of N contiguous slices of a parameter grid, for running a sweep in several processes or on
// several hosts (`sm-backtest sweep --shard K/N`).
struct Shard {
  std::size_t number = 1;  // K, from 1
  std::size_t count = 1;   // N
};

// Parses "K/N" with 1 <= K <= N <= 1,000,000. Fails with kInvalidArgument naming the text.
Result<Shard> parse_shard(std::string_view text);

// The grid positions [begin, end) of shard.number out of shard.count over `sets` sets: the slices
// are in grid order, cover every position exactly once, and differ in size by at most one (a slice
// may be empty when there are fewer sets than shards). REQUIRES: 1 <= number <= count.
struct GridSlice {
  std::size_t begin = 0;
  std::size_t end = 0;
};
GridSlice shard_slice(std::size_t sets, const Shard& shard);

// Row positions ordered best first by metric: failed runs and undefined values last; ties keep
// the grid order.
std::vector<std::size_t> rank_rows(const std::vector<SweepRow>& rows, Metric metric);

// A table for people, top rows first (top = 0: all): rank, the swept parameters, the ranked
// metric in its own units (rupees, percent or a ratio) headed by its name, then the main metrics
// other than the ranked one.
std::string sweep_table(const std::vector<SweepRow>& rows, const std::vector<std::size_t>& order,
                        Metric metric, std::size_t top);
// One "sweep_result" line per row in ranked order.
std::string sweep_ndjson(const std::vector<SweepRow>& rows, const std::vector<std::size_t>& order,
                         Metric metric);

// Reads the "sweep_result" lines of sweep_ndjson back into rows (params, status and the summary
// fields the lines carry), in the order given. metric is the metric the lines were ranked by:
// set by the first line when empty, and every line must match it (so that several inputs can be
// checked against each other). source names the input in messages. Fails with kParseError naming
// source and line for a line that is not a complete sweep_result object (a truncated file: the last
// line has no newline or does not parse), a missing or mistyped field, or lines ranked by different
// metrics.
Result<std::vector<SweepRow>> parse_sweep_ndjson(std::string_view text, std::string_view source,
                                                 std::optional<Metric>& metric);

// Puts rows of several shards back in grid order (by SweepRow::index), so that rank_rows ranks
// them as one unsharded sweep. Fails with kConflict when two rows share an index (a shard given
// twice, or shards of different splits).
Result<std::vector<SweepRow>> merge_sweep_rows(std::vector<SweepRow> rows);

struct WalkForwardOptions {
  std::size_t in_sample_bars = 504;   // bar times per in-sample window (about 2 years of days)
  std::size_t out_sample_bars = 126;  // bar times per out-of-sample window (about 6 months)
  bool anchored = false;              // in-sample windows all start at the first bar
  Metric metric = Metric::kSharpe;
};

struct WalkForwardWindow {
  std::size_t index = 0;
  TimestampMs in_sample_from = 0;  // first bar time
  TimestampMs in_sample_to = 0;    // last bar time
  TimestampMs out_sample_from = 0;
  TimestampMs out_sample_to = 0;
  nlohmann::json best_params;  // null when no candidate ran
  std::optional<double> in_sample_value;
  std::size_t candidates_ok = 0;
  Summary out_sample;
  Status status;
};

struct WalkForwardResult {
  std::vector<WalkForwardWindow> windows;
  BacktestResult stitched;                // every out-of-sample segment, chained
  Summary summary;                        // of the stitched result
  std::vector<std::string> swept_params;  // swept_parameter_names of the grid
};

// Rolls windows over data.times(): in-sample [s, s + in), out-of-sample [s + in, s + in + out),
// s advancing by out (anchored: in-sample always from the first bar). In each window every
// parameter set runs on the in-sample bars, the best by options.metric (ties: grid order) then
// runs on the out-of-sample bars, warmed up on the in-sample bars, starting flat with the
// previous segment's ending equity as cash, and closing what is open at the segment's last close.
// Fails with kInvalidArgument when the windows are 0 bars or the data is shorter than one
// in-sample plus one out-of-sample window.
Result<WalkForwardResult> run_walk_forward(const MarketData& data, const StrategySpec& spec,
                                           const std::vector<nlohmann::json>& param_sets,
                                           const EngineConfig& config,
                                           const costs::CostModel& costs,
                                           const WalkForwardOptions& walk,
                                           const SweepOptions& options);

// A table for people: per window its dates, the best swept parameters (fixed ones are left
// out), the in-sample metric in its own units and the out-of-sample result; then the stitched
// summary.
std::string walk_forward_table(const WalkForwardResult& result, Metric metric);
std::string walk_forward_ndjson(const WalkForwardResult& result, Metric metric);

}  // namespace sm::backtest
