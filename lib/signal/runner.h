// The live side of the strategies: sm-signal's engine. Bars (or ticks, made into bars) go through
// one Strategy object per (instance, symbol) — the same lib/strategy code sm-backtest runs — and
// every decision becomes a signal message, is recorded in the database and only then written out
// (stored before written: a signal the next stage did not get is in the signals table, from which
// sm-risk catches up on start).
//
// What the runner keeps in the database, so that a restart resumes exactly:
//   - each (instance, symbol)'s strategy state (strategy_state, key "<instance>/<symbol>", with the
//     time of the last bar it took), checkpointed, not saved per bar (it changes with every bar):
//     in the transaction that records a signal of that slot, before a followed fill or adjustment
//     changes the position it is shown, after RunnerOptions::checkpoint_bars bars or
//     checkpoint_interval_ms since its last save, with each bar made here from ticks (the bars
//     table may not hold it), and by checkpoint() when sm-signal stops. A
//     restarted runner restores the checkpoint and first feeds the strategy the stored bars after
//     it (the bars table: sm-ingest stores bars before it emits them) up to the bar at hand. No
//     signal of those bars was written before the crash (a signal is stored with its slot's state,
//     so the checkpoint is at or after it), and they see the position the live run saw (a position
//     change is a checkpoint), so the replay emits what the uninterrupted run would have: nothing
//     twice, nothing missed, including bars that were lost in a pipe while sm-signal was down;
//   - the signals (signals table, idempotent on strategy, symbol, action and ts);
//   - positions: the position a strategy is shown is the stored one (positions table, moved by
//     core's apply_fill), never a count kept only in memory. Before every bar the runner follows
//     the fills table by row id (as the risk gateway does) and reloads the positions of its
//     instances that new fills touched, so whoever stores a fill (sm-order from the broker,
//     sm-risk, a person) is heard without a fill line on the input. A fill line on the input is
//     only stored (idempotent on trade_id) and then followed like any other: a fill both stored by
//     sm-order and read on the input counts once. The corporate-action adjustments of positions
//     (corporate_action_adjustments, docs/CORPORATE_ACTIONS.md) are followed the same way, so a
//     strategy holding into a bonus's ex-date sees, and exits, the new quantity.
// A bar not after the last one an instance took for that symbol (a replay overlapping what was
// already processed) is skipped and counted, so feeding the same bars again emits nothing twice.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "core/messages.h"
#include "core/ndjson.h"
#include "core/position.h"
#include "core/status.h"
#include "ingest/candles.h"
#include "store/database.h"
#include "strategy/strategy.h"

namespace sm::signal {

struct InstanceConfig {
  std::string id;                                 // the instance name in signals; default: name
  std::string name;                               // registry name, e.g. "sma-cross"
  nlohmann::json params;                          // null: the strategy's defaults
  std::vector<std::string> symbols;               // empty: every symbol on the input
  Timeframe timeframe{Timeframe::kDailyMinutes};  // only bars of this timeframe
};

// Reads the "signal" section: `strategies` (a list of {"id", "name", "params", "symbols",
// "timeframe"}), with `symbols` and `timeframe` at the section level as defaults for every
// instance. kConfigError naming the key for a wrong type.
Result<std::vector<InstanceConfig>> instances_from_config(const Config& config);

// Checks every instance: a known strategy with valid parameters, a valid timeframe, and distinct
// ids. kInvalidArgument naming the instance.
Status validate_instances(std::vector<InstanceConfig>& instances);

// The strategy_state key of an instance's state for one symbol.
std::string state_key(std::string_view instance, std::string_view symbol);

struct RunnerOptions {
  Paise capital = 0;              // reported to sizing (fixed_value, risk); signal.capital
  bool echo_market_data = false;  // also write the input bars and ticks to the output
  // A slot's state is saved at the latest after this many bars taken since its last save, or
  // this long after it (the database clock), whichever comes first; a restart replays at most
  // that many stored bars.
  std::int64_t checkpoint_bars = 15;
  std::int64_t checkpoint_interval_ms = 300'000;
};

struct RunnerCounts {
  std::int64_t bars = 0;          // bars taken by at least one instance
  std::int64_t bars_ignored = 0;  // bars no instance takes (other symbol or timeframe)
  std::int64_t already_seen = 0;  // (instance, symbol) bars skipped as not after the last one
  std::int64_t bars_refused = 0;  // bars a strategy refused (bad prices, out of order)
  std::int64_t ticks = 0;
  std::int64_t signals = 0;
  std::int64_t fills_stored = 0;    // fills for our instances on the input stored (new trade ids)
  std::int64_t fills_repeated = 0;  // fills on the input already stored (a replayed input)
  std::int64_t fills_followed = 0;  // fills of our instances read from the database's fills table
  std::int64_t passed_through = 0;  // other lines written out unchanged
  std::int64_t states_restored = 0;
  std::int64_t states_saved = 0;
  std::int64_t bars_replayed = 0;     // stored bars after a restored checkpoint fed at restart
  std::int64_t states_discarded = 0;  // saved state made with other parameters
  std::int64_t commits = 0;           // transactions that stored signals or states
  // Reads of the fills and adjustments tables after the first: only when another connection
  // committed since the last (PRAGMA data_version) or a fill on the input was stored.
  std::int64_t fill_table_reads = 0;
};

class SignalRunner {
 public:
  // REQUIRES: validate_instances(instances).ok(); db, out and log outlive the runner.
  SignalRunner(store::Database& db, std::vector<InstanceConfig> instances, RunnerOptions options,
               NdjsonWriter& out, const Logger& log);

  // Runs every instance that takes this bar (symbol and timeframe), after follow_fills(), so each
  // decision sees the stored position. Signals (and every other output line) are held until
  // commit() has recorded them and the states in the database. A bar a strategy refuses is logged
  // (bad_bar) and skipped. Fails only when the database fails.
  Status on_bar(const Bar& bar);
  // Makes ticks into 1-minute bars and those into each instance timeframe longer than 1 minute;
  // completed bars go to on_bar.
  Status on_tick(const Tick& tick);
  // Stores a fill of one of our instances (after committing what is pending; idempotent on
  // trade_id) and follows the fills table, which updates the position its strategy sees; every
  // fill is also passed through.
  Status on_fill(const Fill& fill, std::string_view raw_line);
  // Fills or adjustments were stored through this runner's own connection other than by on_fill
  // (the divergence replay stores the live fills into its private database): read them at the
  // next bar, since PRAGMA data_version moves only for other connections' commits.
  void follow_at_next_bar() { follow_now_ = true; }
  // Reads the fills and corporate-action adjustments stored since the last call (by row id; the
  // first call starts after the newest of each, since positions loaded from then on include the
  // older ones) and reloads the position of every (instance, symbol) they touch. Fails only when
  // the database fails.
  Status follow_fills();
  // Writes a line of another type out unchanged (at the next commit(), in input order).
  void pass_through(std::string_view raw_line);

  // Records the pending signals and saves the states due a checkpoint (see the top of this file)
  // in one transaction, committed at synchronous=NORMAL (the connection's own setting is back
  // afterwards), then writes the output held since the last commit. No transaction when nothing
  // is due. On failure nothing held is written.
  Status commit();
  // commit(), saving every state that changed since its last save: when sm-signal stops.
  Status checkpoint();
  bool has_pending() const { return !pending_signals_.empty() || dirty_ > 0; }

  const RunnerCounts& counts() const { return counts_; }

 private:
  struct Slot {
    std::size_t instance = 0;
    std::string symbol;
    std::unique_ptr<strategy::Strategy> strategy;
    TimestampMs last_ts = 0;
    bool has_last = false;
    sm::Position position;             // the stored one (long only: a short is shown flat)
    bool dirty = false;                // state changed since its last save
    bool must_save = false;            // a signal or a position change: save at the next commit
    std::int64_t bars_since_save = 0;  // bars taken since the last save
    TimestampMs saved_ms = 0;          // database clock at the last save (or the slot's making)
  };

  // The slot, made (and its saved state restored, then fed the stored bars after it up to
  // before_ts) when it is first needed.
  Result<Slot*> slot_for(std::size_t instance, const std::string& symbol, TimestampMs before_ts);
  Status replay_stored_bars(Slot& slot, TimestampMs before_ts);
  // One bar through one slot's strategy: the decision, and a signal emitted unless it holds.
  void take(Slot& slot, const Bar& bar);
  bool checkpoint_due(const Slot& slot, TimestampMs now) const;
  Status commit_saving(bool every_changed_state);
  Status load_position(Slot& slot);
  bool takes(const InstanceConfig& instance, const Bar& bar) const;
  Status feed_aggregated(const Bar& minute_bar);
  void emit(const Message& message);
  void write_pending_lines();

  store::Database& db_;
  std::vector<InstanceConfig> instances_;
  RunnerOptions options_;
  NdjsonWriter& out_;
  const Logger& log_;
  std::map<std::pair<std::size_t, std::string>, Slot> slots_;
  std::vector<Signal> pending_signals_;
  std::vector<std::string> pending_lines_;  // output held until commit()
  std::int64_t dirty_ = 0;
  std::int64_t last_fill_id_ = 0;        // fills table row id followed up to
  std::int64_t last_adjustment_id_ = 0;  // corporate_action_adjustments row id followed up to
  bool following_ = false;               // the ids above have been set
  std::int64_t data_version_ = 0;        // PRAGMA data_version when the tables were last read
  bool follow_now_ = false;              // read them at the next bar even if it has not changed
  std::unique_ptr<ingest::TickAggregator> ticks_;
  // The bar being taken was made here from ticks: the bars table may not hold it (sm-ingest stores
  // only the timeframes it builds), so a restart could not replay it and its slot saves each one.
  bool bar_made_here_ = false;
  std::vector<std::unique_ptr<ingest::BarAggregator>>
      aggregators_;  // one per intraday timeframe > 1m
  RunnerCounts counts_;
};

}  // namespace sm::signal
