#include "signal/runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/stage_trace.h"
#include "ingest/fields.h"
#include "store/market_data.h"
#include "store/trading_records.h"
#include "strategy/registry.h"

namespace sm::signal {
namespace {

Status config_error(const std::string& source, std::string_view key, std::string_view what) {
  return error(ErrorCode::kConfigError,
               fmt::format("{}: {} {}", source.empty() ? "configuration" : source, key, what));
}

Result<std::vector<std::string>> symbol_list(const nlohmann::json& value, const std::string& source,
                                             std::string_view key) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) return config_error(source, key, "must be a list of symbols");
  for (const auto& item : value) {
    if (!item.is_string()) return config_error(source, key, "must be a list of symbols");
    Result<std::string> symbol = ingest::normalize_symbol(item.get<std::string>());
    if (!symbol.ok()) return config_error(source, key, symbol.status().message());
    out.push_back(*symbol);
  }
  return out;
}

}  // namespace

std::string state_key(std::string_view instance, std::string_view symbol) {
  return fmt::format("{}/{}", instance, symbol);
}

Result<std::vector<InstanceConfig>> instances_from_config(const Config& config) {
  std::vector<InstanceConfig> out;
  Result<nlohmann::json> section = config.get_section("signal");
  if (!section.ok()) return section.status();
  const std::string& source = config.source();
  Result<std::vector<std::string>> default_symbols =
      symbol_list(section->value("symbols", nlohmann::json()), source, "signal.symbols");
  if (!default_symbols.ok()) return default_symbols.status();
  Timeframe default_timeframe{Timeframe::kDailyMinutes};
  if (section->contains("timeframe")) {
    const nlohmann::json& tf = (*section)["timeframe"];
    Result<Timeframe> parsed = tf.is_string()
                                   ? parse_timeframe(tf.get<std::string>())
                                   : Result<Timeframe>(error(ErrorCode::kParseError, "not text"));
    if (!parsed.ok())
      return config_error(source, "signal.timeframe", "must be a timeframe such as 1d or 5m");
    default_timeframe = *parsed;
  }
  if (!section->contains("strategies")) return out;
  const nlohmann::json& list = (*section)["strategies"];
  if (!list.is_array()) return config_error(source, "signal.strategies", "must be a list");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    const std::string key = fmt::format("signal.strategies[{}]", i);
    if (!item.is_object()) return config_error(source, key, "must be an object");
    InstanceConfig instance;
    for (const auto& [name, value] : item.items()) {
      if (name != "id" && name != "name" && name != "params" && name != "symbols" &&
          name != "timeframe") {
        return config_error(source, fmt::format("{}.{}", key, name),
                            "is not a known key (id, name, params, symbols, timeframe)");
      }
    }
    if (!item.contains("name") || !item["name"].is_string()) {
      return config_error(source, key + ".name", "must be a strategy name");
    }
    instance.name = item["name"].get<std::string>();
    if (item.contains("id")) {
      if (!item["id"].is_string()) return config_error(source, key + ".id", "must be text");
      instance.id = item["id"].get<std::string>();
    }
    instance.params = item.value("params", nlohmann::json());
    if (!instance.params.is_null() && !instance.params.is_object()) {
      return config_error(source, key + ".params", "must be an object");
    }
    if (item.contains("symbols")) {
      Result<std::vector<std::string>> symbols =
          symbol_list(item["symbols"], source, key + ".symbols");
      if (!symbols.ok()) return symbols.status();
      instance.symbols = *symbols;
    } else {
      instance.symbols = *default_symbols;
    }
    instance.timeframe = default_timeframe;
    if (item.contains("timeframe")) {
      const nlohmann::json& tf = item["timeframe"];
      Result<Timeframe> parsed = tf.is_string()
                                     ? parse_timeframe(tf.get<std::string>())
                                     : Result<Timeframe>(error(ErrorCode::kParseError, "not text"));
      if (!parsed.ok())
        return config_error(source, key + ".timeframe", "must be a timeframe such as 1d");
      instance.timeframe = *parsed;
    }
    out.push_back(std::move(instance));
  }
  return out;
}

Status validate_instances(std::vector<InstanceConfig>& instances) {
  std::set<std::string> ids;
  for (InstanceConfig& instance : instances) {
    if (instance.id.empty()) instance.id = instance.name;
    if (instance.id.find('/') != std::string::npos || instance.id.find('\n') != std::string::npos) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("instance id '{}' may not contain '/' or a newline", instance.id));
    }
    if (!ids.insert(instance.id).second) {
      return error(
          ErrorCode::kInvalidArgument,
          fmt::format("two strategy instances are called '{}'; give each its own id", instance.id));
    }
    auto made = strategy::make_strategy(instance.name, instance.params);
    if (!made.ok()) return made.status().with_context("instance " + instance.id);
  }
  return Status();
}

SignalRunner::SignalRunner(store::Database& db, std::vector<InstanceConfig> instances,
                           RunnerOptions options, NdjsonWriter& out, const Logger& log)
    : db_(db), instances_(std::move(instances)), options_(options), out_(out), log_(log) {
  std::set<int> intraday;
  for (const InstanceConfig& instance : instances_) {
    if (instance.timeframe.minutes > 1) intraday.insert(instance.timeframe.minutes);
  }
  for (int minutes : intraday) {
    aggregators_.push_back(std::make_unique<ingest::BarAggregator>(Timeframe{minutes}));
  }
}

bool SignalRunner::takes(const InstanceConfig& instance, const Bar& bar) const {
  if (bar.timeframe != instance.timeframe) return false;
  if (instance.symbols.empty()) return true;
  return std::find(instance.symbols.begin(), instance.symbols.end(), bar.symbol) !=
         instance.symbols.end();
}

Status SignalRunner::load_position(Slot& slot) {
  Result<std::optional<store::Position>> position =
      store::find_position(db_, instances_[slot.instance].id, slot.symbol);
  if (!position.ok()) return position.status();
  slot.position = sm::Position{};
  if (*position && (*position)->qty != 0) {
    if ((*position)->qty < 0) {
      log_.warn("short_position_ignored",
                {{"strategy", instances_[slot.instance].id},
                 {"symbol", slot.symbol},
                 {"qty", (*position)->qty},
                 {"detail", "strategies are long only; they are shown a flat position"}});
    } else {
      slot.position = **position;
    }
  }
  return Status();
}

Status SignalRunner::follow_fills() {
  if (!following_) {
    // The version first: a commit after it is read again at the next bar.
    Result<std::int64_t> version = db_.query_int64("PRAGMA data_version");
    if (!version.ok()) return version.status();
    data_version_ = *version;
    Result<std::int64_t> newest = db_.query_int64("SELECT COALESCE(MAX(id), 0) FROM fills");
    if (!newest.ok()) return newest.status();
    Result<std::int64_t> adjusted =
        db_.query_int64("SELECT COALESCE(MAX(id), 0) FROM corporate_action_adjustments");
    if (!adjusted.ok()) return adjusted.status();
    last_fill_id_ = *newest;
    last_adjustment_id_ = *adjusted;
    following_ = true;
    // Slots made before (none in practice) loaded their positions already; nothing to catch up.
    return Status();
  }
  // Only another connection's commit can add fills or adjustments (this one's own insert_fill
  // follows at once), and data_version says whether there was one: a burst of bars with no
  // commit elsewhere in between reads the tables once, not once per bar.
  Result<std::int64_t> version = db_.query_int64("PRAGMA data_version");
  if (!version.ok()) return version.status();
  if (*version == data_version_ && !follow_now_) return Status();
  data_version_ = *version;
  follow_now_ = false;
  ++counts_.fill_table_reads;
  // Both tables in one statement, one read of the database: each statement outside a
  // transaction takes the WAL read lock and revalidates the page cache after others' commits.
  Result<store::Statement> stmt = db_.prepare(
      "SELECT 0, id, strategy, symbol FROM fills WHERE id > ?1 "
      "UNION ALL SELECT 1, id, strategy, symbol FROM corporate_action_adjustments WHERE id > ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->bind(1, last_fill_id_);
  stmt->bind(2, last_adjustment_id_);
  std::set<std::pair<std::size_t, std::string>> touched;
  while (true) {
    Result<bool> row = stmt->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const bool fill = stmt->column_int64(0) == 0;
    std::int64_t& last_id = fill ? last_fill_id_ : last_adjustment_id_;
    last_id = std::max(last_id, stmt->column_int64(1));
    const std::string_view strategy = stmt->column_text_view(2);
    for (std::size_t i = 0; i < instances_.size(); ++i) {
      if (instances_[i].id != strategy) continue;
      if (fill) ++counts_.fills_followed;
      touched.emplace(i, stmt->column_text(3));
    }
  }
  // A position change is a checkpoint: the state as of the last bar taken with the old position
  // is saved (with the signals held so far) before the new one is loaded, so bars a restart
  // replays after a checkpoint all see the position the live run saw.
  bool save_first = false;
  for (const auto& key : touched) {
    if (auto it = slots_.find(key); it != slots_.end() && it->second.dirty) {
      it->second.must_save = true;
      save_first = true;
    }
  }
  if (save_first) SM_RETURN_IF_ERROR(commit());
  for (const auto& key : touched) {
    // A slot not made yet loads its position when it is.
    if (auto it = slots_.find(key); it != slots_.end()) {
      SM_RETURN_IF_ERROR(load_position(it->second));
    }
  }
  return Status();
}

Result<SignalRunner::Slot*> SignalRunner::slot_for(std::size_t instance, const std::string& symbol,
                                                   TimestampMs before_ts) {
  auto key = std::make_pair(instance, symbol);
  auto it = slots_.find(key);
  if (it != slots_.end()) return &it->second;
  const InstanceConfig& config = instances_[instance];
  auto made = strategy::make_strategy(config.name, config.params);
  if (!made.ok()) return made.status();
  Slot slot;
  slot.instance = instance;
  slot.symbol = symbol;
  slot.strategy = std::move(made).value();
  slot.saved_ms = db_.clock().now_ms();
  const std::string state_name = state_key(config.id, symbol);
  Result<std::optional<store::StrategyState>> saved = store::load_strategy_state(db_, state_name);
  if (!saved.ok()) return saved.status();
  if (*saved) {
    Status restored = slot.strategy->restore_state((*saved)->state_json);
    if (restored.ok()) {
      slot.last_ts = (*saved)->event_ts;
      slot.has_last = true;
      ++counts_.states_restored;
      log_.info(
          "state_restored",
          {{"strategy", config.id}, {"symbol", symbol}, {"last_bar", format_utc(slot.last_ts)}});
    } else {
      // A changed configuration (or a state this build cannot read) starts afresh: the strategy
      // warms up again from the next bars. Positions are unaffected (they are the fills').
      ++counts_.states_discarded;
      log_.warn("state_discarded", {{"strategy", config.id},
                                    {"symbol", symbol},
                                    {"code", error_code_name(restored.code())},
                                    {"message", restored.message()}});
    }
  }
  SM_RETURN_IF_ERROR(load_position(slot));
  auto [inserted, added] = slots_.emplace(key, std::move(slot));
  Slot& made_slot = inserted->second;
  if (made_slot.has_last) SM_RETURN_IF_ERROR(replay_stored_bars(made_slot, before_ts));
  return &made_slot;
}

Status SignalRunner::replay_stored_bars(Slot& slot, TimestampMs before_ts) {
  if (before_ts <= slot.last_ts + 1) return Status();
  store::BarQuery query;
  query.symbol = slot.symbol;
  query.timeframe = instances_[slot.instance].timeframe;
  query.from = slot.last_ts + 1;
  query.to = before_ts;
  const TimestampMs from = slot.last_ts;
  std::int64_t replayed = 0;
  SM_RETURN_IF_ERROR(store::for_each_bar(db_, query, [&](const Bar& bar) {
    // A partial bar is still forming: the complete one replaces it and comes later.
    if (bar.partial) return true;
    take(slot, bar);
    ++replayed;
    return true;
  }));
  if (replayed > 0) {
    counts_.bars_replayed += replayed;
    log_.info("state_caught_up", {{"strategy", instances_[slot.instance].id},
                                  {"symbol", slot.symbol},
                                  {"from", format_utc(from)},
                                  {"bars", replayed},
                                  {"last_bar", format_utc(slot.last_ts)}});
  }
  return Status();
}

void SignalRunner::take(Slot& slot, const Bar& bar) {
  const InstanceConfig& instance = instances_[slot.instance];
  strategy::PositionView view;
  view.qty = slot.position.qty;
  view.average_price = slot.position.qty > 0 ? slot.position.cost / slot.position.qty : 0;
  view.order_pending = false;
  view.capital = options_.capital;
  Result<strategy::Decision> decision = slot.strategy->on_bar(bar, view);
  if (!decision.ok()) {
    ++counts_.bars_refused;
    log_.warn("bad_bar", {{"strategy", instance.id},
                          {"symbol", bar.symbol},
                          {"ts", format_utc(bar.ts)},
                          {"message", decision.status().message()}});
    return;
  }
  slot.last_ts = bar.ts;
  slot.has_last = true;
  ++slot.bars_since_save;
  if (!slot.dirty) {
    slot.dirty = true;
    ++dirty_;
  }
  if (bar_made_here_) slot.must_save = true;
  if (decision->action == strategy::Action::kHold) return;
  // A signal is stored with its slot's state: a restart never replays a bar whose signal went out.
  slot.must_save = true;
  Signal signal = strategy::make_signal(*decision, instance.id, bar);
  emit(Message{signal});
  pending_signals_.push_back(std::move(signal));
  ++counts_.signals;
}

Status SignalRunner::on_bar(const Bar& bar) {
  if (options_.echo_market_data) emit(Message{bar});
  bool taken = false;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (!takes(instances_[i], bar)) continue;
    if (!taken) SM_RETURN_IF_ERROR(follow_fills());
    taken = true;
    Result<Slot*> found = slot_for(i, bar.symbol, bar.ts);
    if (!found.ok()) return found.status();
    Slot& slot = **found;
    if (slot.has_last && bar.ts <= slot.last_ts) {
      ++counts_.already_seen;
      continue;
    }
    take(slot, bar);
  }
  if (taken)
    ++counts_.bars;
  else
    ++counts_.bars_ignored;
  return Status();
}

Status SignalRunner::feed_aggregated(const Bar& minute_bar) {
  Status deferred;
  for (auto& aggregator : aggregators_) {
    Status added = aggregator->add(minute_bar, [&](const Bar& bar) {
      if (deferred.ok()) deferred = on_bar(bar);
    });
    if (!added.ok()) {
      log_.warn("bar_not_aggregated", {{"symbol", minute_bar.symbol},
                                       {"ts", format_utc(minute_bar.ts)},
                                       {"message", added.message()}});
    }
  }
  return deferred;
}

Status SignalRunner::on_tick(const Tick& tick) {
  ++counts_.ticks;
  if (options_.echo_market_data) emit(Message{tick});
  if (!ticks_) ticks_ = std::make_unique<ingest::TickAggregator>();
  Status deferred;
  Status added = ticks_->add(tick, [&](const Bar& minute) {
    if (!deferred.ok()) return;
    // Minute bars made here are not echoed (they were not on the input).
    const bool echo = options_.echo_market_data;
    options_.echo_market_data = false;
    bar_made_here_ = true;
    deferred = on_bar(minute);
    if (deferred.ok()) deferred = feed_aggregated(minute);
    bar_made_here_ = false;
    options_.echo_market_data = echo;
  });
  if (!added.ok()) {
    log_.warn("tick_not_aggregated",
              {{"symbol", tick.symbol}, {"ts", format_utc(tick.ts)}, {"message", added.message()}});
  }
  return deferred;
}

Status SignalRunner::on_fill(const Fill& fill, std::string_view raw_line) {
  pass_through(raw_line);
  --counts_.passed_through;
  std::optional<std::size_t> ours;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    if (instances_[i].id == fill.strategy) ours = i;
  }
  if (!ours) return Status();
  SM_RETURN_IF_ERROR(commit());
  Result<store::FillOutcome> outcome = store::insert_fill(db_, fill);
  if (!outcome.ok()) {
    if (outcome.status().code() == ErrorCode::kInvalidArgument ||
        outcome.status().code() == ErrorCode::kConflict) {
      log_.warn("fill_refused", {{"trade_id", fill.trade_id},
                                 {"code", error_code_name(outcome.status().code())},
                                 {"message", outcome.status().message()}});
      return Status();
    }
    return outcome.status();
  }
  if (outcome->inserted)
    ++counts_.fills_stored;
  else
    ++counts_.fills_repeated;
  follow_now_ = true;  // this connection's own commit leaves data_version as it was
  return follow_fills();
}

void SignalRunner::pass_through(std::string_view raw_line) {
  pending_lines_.emplace_back(raw_line);
  ++counts_.passed_through;
}

void SignalRunner::emit(const Message& message) { pending_lines_.push_back(to_json(message)); }

void SignalRunner::write_pending_lines() {
  out_.begin_burst();
  for (const std::string& line : pending_lines_) out_.write_raw(line);
  // Stamped before the write: the reader it wakes may run before this process does again.
  for (const Signal& signal : pending_signals_) stage_trace().mark("signal.written", signal.symbol);
  out_.end_burst();
  pending_lines_.clear();
}

bool SignalRunner::checkpoint_due(const Slot& slot, TimestampMs now) const {
  if (!slot.dirty) return false;
  return slot.must_save || slot.bars_since_save >= options_.checkpoint_bars ||
         now - slot.saved_ms >= options_.checkpoint_interval_ms;
}

Status SignalRunner::commit() { return commit_saving(false); }

Status SignalRunner::checkpoint() { return commit_saving(true); }

Status SignalRunner::commit_saving(bool every_changed_state) {
  const TimestampMs now = db_.clock().now_ms();
  std::vector<Slot*> saving;
  if (dirty_ > 0) {
    for (auto& [key, slot] : slots_) {
      if (slot.dirty && (every_changed_state || checkpoint_due(slot, now))) saving.push_back(&slot);
    }
  }
  if (pending_signals_.empty() && saving.empty()) {
    write_pending_lines();
    return Status();
  }
  // NORMAL, not FULL: the risk gateway stores every signal again with its decision at FULL, and
  // a state a power cut took is rebuilt from the bars after it (docs/SCHEMA.md, "Durability").
  // Skipping the fsync takes milliseconds off every signal's way to an order on a real disk.
  store::ScopedSynchronous relaxed(db_, store::Synchronous::kNormal);
  Result<store::Transaction> transaction = db_.begin();
  if (!transaction.ok()) return transaction.status();
  for (const Signal& signal : pending_signals_) {
    Result<bool> recorded = store::record_signal(db_, signal);
    if (!recorded.ok()) return recorded.status();
  }
  for (const Slot* slot : saving) {
    store::StrategyState state;
    state.strategy = state_key(instances_[slot->instance].id, slot->symbol);
    state.state_json = slot->strategy->save_state();
    state.event_ts = slot->last_ts;
    state.updated_ms = now;
    SM_RETURN_IF_ERROR(store::save_strategy_state(db_, state));
  }
  SM_RETURN_IF_ERROR(transaction->commit());
  ++counts_.commits;
  counts_.states_saved += static_cast<std::int64_t>(saving.size());
  for (Slot* slot : saving) {
    slot->dirty = false;
    slot->must_save = false;
    slot->bars_since_save = 0;
    slot->saved_ms = now;
    --dirty_;
  }
  // Only now: a signal written on is one a restarted sm-risk can find in the signals table.
  write_pending_lines();
  pending_signals_.clear();
  return Status();
}

}  // namespace sm::signal
