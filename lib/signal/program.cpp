#include "signal/program.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>

#include "core/config.h"
#include "core/exit_codes.h"
#include "core/future_stamp.h"
#include "core/input_pump.h"
#include "core/ndjson.h"
#include "core/shutdown.h"
#include "core/stage_trace.h"
#include "ingest/fields.h"
#include "service/notifier.h"
#include "signal/runner.h"
#include "sqlite/idle_checkpoint.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "strategy/params.h"

namespace sm::signal {
namespace {

nlohmann::json counts_json(const RunnerCounts& c) {
  return {{"bars", c.bars},
          {"bars_ignored", c.bars_ignored},
          {"already_seen", c.already_seen},
          {"bars_refused", c.bars_refused},
          {"ticks", c.ticks},
          {"signals", c.signals},
          {"fills_stored", c.fills_stored},
          {"fills_repeated", c.fills_repeated},
          {"fills_followed", c.fills_followed},
          {"passed_through", c.passed_through},
          {"states_restored", c.states_restored},
          {"states_discarded", c.states_discarded},
          {"states_saved", c.states_saved},
          {"bars_replayed", c.bars_replayed},
          {"commits", c.commits}};
}

// Refuses market data stamped after now_ms (see core/future_stamp.h): logs future_data naming
// the symbol, stamp and where it came from, counts it, and returns true (the caller skips it).
bool refuse_future(const Message& message, TimestampMs now_ms, const nlohmann::json& where,
                   const Logger& log, std::int64_t& refused) {
  std::optional<FutureStamp> stamp = future_stamp(message, now_ms);
  if (!stamp) return false;
  ++refused;
  nlohmann::json fields = where;
  fields["type"] = std::string(message_type(message));
  fields["symbol"] = stamp->symbol;
  fields["message_ts"] = format_utc(stamp->ts);
  fields["limit"] = format_utc(stamp->limit);
  fields["action"] = "skipped";
  log.warn("future_data", fields);
  return true;
}

constexpr std::int64_t kBatch = 1000;  // lines per transaction when the input is not live

// What one run does: the strategy instances, the runner's options, and the timeframe and symbols
// of the --strategy instance (also those of --replay).
struct Plan {
  std::vector<InstanceConfig> instances;
  RunnerOptions options;
  Timeframe timeframe{Timeframe::kDailyMinutes};
  std::vector<std::string> symbols;
  std::int64_t heartbeat_interval_ms = 5000;  // signal.heartbeat_interval_ms
};

// The configured instances and capital, the configuration recorded in config_changes (the audit
// trail). Returns kExitOk, or the exit code of a failure (logged).
int plan_from_config(const SignalArgs& args, store::Database& db, const Logger& log, Plan& plan) {
  Result<Config> config = load_config(args.config_path, log);
  if (!config.ok()) return report_failure(log, "config_error", config.status(), kExitConfigError);
  Result<bool> recorded = store::record_config(db, "sm-signal", *config, log);
  if (!recorded.ok()) return report_failure(log, "database_error", recorded.status(), kExitFailure);
  Result<std::vector<InstanceConfig>> from_config = instances_from_config(*config);
  if (!from_config.ok())
    return report_failure(log, "config_error", from_config.status(), kExitConfigError);
  plan.instances = std::move(from_config).value();
  Result<Paise> capital = config->get_rupees("signal.capital", 0);
  if (!capital.ok()) return report_failure(log, "config_error", capital.status(), kExitConfigError);
  plan.options.capital = *capital;
  Result<std::int64_t> interval = config->get_int("signal.heartbeat_interval_ms", 5000);
  if (interval.ok() && (*interval < 100 || *interval > 3'600'000)) {
    interval =
        error(ErrorCode::kConfigError, "signal.heartbeat_interval_ms must be in 100..3600000");
  }
  if (!interval.ok())
    return report_failure(log, "config_error", interval.status(), kExitConfigError);
  plan.heartbeat_interval_ms = *interval;
  // How often a strategy state is checkpointed at the latest (runner.h): 1 saves it every bar.
  Result<std::int64_t> bars = config->get_int("signal.checkpoint_bars", 15);
  if (bars.ok() && (*bars < 1 || *bars > 100'000))
    bars = error(ErrorCode::kConfigError, "signal.checkpoint_bars must be in 1..100000");
  if (!bars.ok()) return report_failure(log, "config_error", bars.status(), kExitConfigError);
  plan.options.checkpoint_bars = *bars;
  Result<std::int64_t> seconds = config->get_int("signal.checkpoint_interval_s", 300);
  if (seconds.ok() && (*seconds < 1 || *seconds > 86'400))
    seconds = error(ErrorCode::kConfigError, "signal.checkpoint_interval_s must be in 1..86400");
  if (!seconds.ok()) return report_failure(log, "config_error", seconds.status(), kExitConfigError);
  plan.options.checkpoint_interval_ms = *seconds * 1000;
  return kExitOk;
}

// The flags' part of the plan: the --strategy instance, --capital, --echo-market-data. Returns
// kExitOk or kExitUsage (logged).
int plan_from_flags(const SignalArgs& args, const Logger& log, Plan& plan) {
  if (!args.timeframe.empty()) {
    Result<Timeframe> parsed = parse_timeframe(args.timeframe);
    if (!parsed.ok())
      return report_usage_error(
          log, Status(ErrorCode::kInvalidArgument, "--timeframe: " + parsed.status().message()));
    plan.timeframe = *parsed;
  }
  for (const std::string& text : args.symbols) {
    Result<std::string> symbol = ingest::normalize_symbol(text);
    if (!symbol.ok())
      return report_usage_error(
          log, Status(ErrorCode::kInvalidArgument, "--symbol: " + symbol.status().message()));
    plan.symbols.push_back(*symbol);
  }
  if (!args.strategy.empty()) {
    Result<nlohmann::json> params = strategy::parse_param_flags(args.params);
    if (!params.ok()) return report_usage_error(log, params.status());
    InstanceConfig flag;
    flag.name = args.strategy;
    flag.id = args.id;
    flag.params = std::move(params).value();
    flag.symbols = plan.symbols;
    flag.timeframe = plan.timeframe;
    plan.instances.push_back(std::move(flag));
  } else if (!args.params.empty() || !args.id.empty()) {
    return report_usage_error(
        log, error(ErrorCode::kInvalidArgument, "--param and --id need --strategy"));
  }
  if (plan.instances.empty()) {
    return report_usage_error(log,
                              error(ErrorCode::kInvalidArgument,
                                    "no strategy: give --strategy NAME or signal.strategies in the "
                                    "configuration"));
  }
  if (Status valid = validate_instances(plan.instances); !valid.ok())
    return report_usage_error(log, valid);
  if (!args.capital.empty()) {
    Result<Paise> flag_capital = parse_rupees(args.capital);
    if (!flag_capital.ok() || *flag_capital < 0) {
      return report_usage_error(
          log, error(ErrorCode::kInvalidArgument,
                     fmt::format("--capital '{}' is not an amount of rupees", args.capital)));
    }
    plan.options.capital = *flag_capital;
  }
  plan.options.echo_market_data = args.echo_market_data;
  return kExitOk;
}

void log_started(const Plan& plan, bool replay, const Logger& log) {
  nlohmann::json names = nlohmann::json::array();
  for (const InstanceConfig& instance : plan.instances) {
    names.push_back(
        {{"id", instance.id},
         {"name", instance.name},
         {"params", instance.params.is_null() ? nlohmann::json::object() : instance.params},
         {"symbols", instance.symbols},
         {"timeframe", format_timeframe(instance.timeframe)}});
  }
  log.info("signal_started", {{"instances", names}, {"replay", replay}});
}

// --replay: the stored bars of the plan's timeframe (and symbols, when given) within --from/--to,
// through the runner. Returns an exit code to end with at once (a bad --from or --to, a database
// that cannot be opened), or nullopt after the replay, with why it stopped early in failed.
std::optional<int> replay_stored_bars(const SignalArgs& args, const Plan& plan,
                                      SignalRunner& runner, NdjsonWriter& out, const Logger& log,
                                      TimestampMs started, std::int64_t& future_refused,
                                      Status& failed) {
  // A separate read connection, so the writes (signals, state) never share a transaction with
  // the open read cursor.
  Result<store::Database> reader = store::Database::open_readonly(args.db_path);
  if (!reader.ok()) return report_failure(log, "database_error", reader.status(), kExitFailure);
  store::BarQuery query;
  query.timeframe = plan.timeframe;
  if (!args.from.empty()) {
    Result<TimestampMs> from = ingest::parse_range_start(args.from);
    if (!from.ok())
      return report_usage_error(
          log, Status(ErrorCode::kInvalidArgument, "--from: " + from.status().message()));
    query.from = *from;
  }
  if (!args.to.empty()) {
    Result<TimestampMs> to = ingest::parse_range_end(args.to);
    if (!to.ok())
      return report_usage_error(
          log, Status(ErrorCode::kInvalidArgument, "--to: " + to.status().message()));
    query.to = *to;
  }
  // One query over every symbol, in time order as a live feed would deliver them; symbols not
  // asked for are skipped.
  const std::vector<std::string>& symbols = plan.symbols;
  std::int64_t since_commit = 0;
  query.symbol.clear();
  Status read = store::for_each_bar(*reader, query, [&](const Bar& bar) {
    if (stop_requested() || !out.good()) return false;
    if (!symbols.empty() &&
        std::find(symbols.begin(), symbols.end(), bar.symbol) == symbols.end()) {
      return true;
    }
    if (refuse_future(bar, started, {{"input", "database"}}, log, future_refused)) return true;
    failed = runner.on_bar(bar);
    if (failed.ok() && ++since_commit >= kBatch) {
      failed = runner.commit();
      since_commit = 0;
    }
    return failed.ok();
  });
  if (failed.ok() && !read.ok()) failed = read;
  return std::nullopt;
}

// sm-signal's heartbeat: stored in the heartbeats table at start, every
// signal.heartbeat_interval_ms and with "stopping" at the end, for sm-status, sm-risk and
// sm-alert watch. Not written on stdout: that is the signal stream, and a filter's other lines
// pass through unchanged (sm-risk reads heartbeats from the table).
class SignalHeartbeat {
 public:
  SignalHeartbeat(store::Database& db, const time::Clock& clock, std::int64_t interval_ms)
      : db_(db), clock_(clock), interval_ms_(interval_ms) {}

  // Stores a beat when one is due, or at once when stopping. Its detail carries the runner's
  // counts and the bad lines so far.
  Status beat_when_due(const RunnerCounts& counts, std::int64_t bad_lines, bool stopping) {
    const TimestampMs now = clock_.now_ms();
    if (!stopping && now < next_beat_) return Status();
    Heartbeat h;
    h.ts = now;
    h.component = "sm-signal";
    h.status = stopping ? "stopping" : "ok";
    h.pid = ::getpid();
    h.detail = nlohmann::json{{"bars", counts.bars},
                              {"signals", counts.signals},
                              {"ticks", counts.ticks},
                              {"bad_lines", bad_lines}}
                   .dump();
    next_beat_ = now + interval_ms_;
    return store::record_heartbeat(db_, h);
  }
  // Milliseconds until the next beat is due (0 when it is).
  std::int64_t due_in_ms() const { return std::max<std::int64_t>(0, next_beat_ - clock_.now_ms()); }

 private:
  store::Database& db_;
  const time::Clock& clock_;
  std::int64_t interval_ms_;
  TimestampMs next_beat_ = 0;
};

// How handling one input line ends.
enum class LineOutcome { kNext, kStop, kDataError };

// Messages from stdin through the runner until its end, a stop request, a failure (in failed) or,
// under --strict, a bad line; beating the heartbeat and the systemd watchdog between reads, so a
// quiet feed (before the open, after the close) never leaves either stale.
class StdinRun {
 public:
  StdinRun(const SignalArgs& args, SignalRunner& runner, NdjsonWriter& out, const Logger& log,
           const time::Clock& clock, TimestampMs started, SignalHeartbeat& heartbeat,
           service::Notifier& notifier, sqlite::IdleCheckpoint& checkpoint)
      : args_(args),
        runner_(runner),
        out_(out),
        log_(log),
        clock_(clock),
        started_(started),
        heartbeat_(heartbeat),
        notifier_(notifier),
        checkpoint_(checkpoint),
        live_(is_live_stream(STDIN_FILENO)),
        pump_(STDIN_FILENO) {}

  // Returns kExitDataError when a bad line stopped it, else kExitOk.
  int run(std::int64_t& future_refused, Status& failed) {
    std::vector<InputLine> lines;
    while (!stop_requested()) {
      notifier_.alive();
      if (Status beaten = beat(false); !beaten.ok()) {
        failed = beaten;
        return kExitOk;
      }
      lines.clear();
      const Status read = pump_.read(wait_ms(), lines);
      for (const InputLine& line : lines) {
        const LineOutcome outcome = handle(line, future_refused, failed);
        if (outcome == LineOutcome::kDataError) return kExitDataError;
        if (outcome == LineOutcome::kStop) return kExitOk;
      }
      // A live stream commits once per read: the lines that arrived together (a burst) share one
      // transaction, and what was emitted is stored before the next read waits for input.
      if (live_) {
        failed = runner_.commit();
        if (!failed.ok()) return kExitOk;
      }
      checkpoint_.after_wait(!lines.empty());
      if (pump_.eof()) break;
      if (!read.ok()) {
        failed = error(ErrorCode::kIoError, "cannot read stdin: " + read.message());
        break;
      }
    }
    return kExitOk;
  }
  std::int64_t bad_lines() const { return bad_lines_; }

  // The heartbeat, after committing what the runner holds: a beat stored inside an open batch
  // would not be seen until the batch ends.
  Status beat(bool stopping) {
    if (!stopping && heartbeat_.due_in_ms() > 0) return Status();
    if (runner_.has_pending()) SM_RETURN_IF_ERROR(runner_.commit());
    return heartbeat_.beat_when_due(runner_.counts(), bad_lines_, stopping);
  }

 private:
  std::int64_t wait_ms() const {
    std::int64_t wait = std::min<std::int64_t>(heartbeat_.due_in_ms(), 1000);
    if (notifier_.watchdog_ms() > 0) wait = std::min(wait, notifier_.watchdog_ms() / 4);
    return checkpoint_.wait_ms(wait);
  }

  // Logs a bad line; kDataError under --strict.
  LineOutcome bad_line(std::int64_t number, const std::string& reason) {
    ++bad_lines_;
    log_.warn("bad_line", {{"input", "stdin"},
                           {"line", number},
                           {"reason", reason},
                           {"action", args_.strict ? "stopped" : "skipped"}});
    return args_.strict ? LineOutcome::kDataError : LineOutcome::kNext;
  }

  LineOutcome handle(const InputLine& line, std::int64_t& future_refused, Status& failed) {
    if (stop_requested()) return LineOutcome::kStop;
    if (line.too_long) return bad_line(line.number, "line is longer than the 1 MiB limit");
    if (line.text.find_first_not_of(" \t") == std::string::npos) return LineOutcome::kNext;
    Result<Message> decoded = decoder_.decode(line.text);
    if (!decoded.ok()) return bad_line(line.number, decoded.status().message());
    Message& message = *decoded;
    if (std::holds_alternative<Bar>(message) || std::holds_alternative<Tick>(message)) {
      if (refuse_future(message, live_ ? clock_.now_ms() : started_,
                        {{"input", "stdin"}, {"line", line.number}}, log_, future_refused)) {
        return LineOutcome::kNext;
      }
    }
    if (Bar* bar = std::get_if<Bar>(&message)) {
      stage_trace().mark("signal.read", bar->symbol);
      Result<std::string> symbol = ingest::normalize_symbol(bar->symbol);
      if (!symbol.ok()) return bad_line(line.number, symbol.status().message());
      bar->symbol = *symbol;
      failed = runner_.on_bar(*bar);
    } else if (Tick* tick = std::get_if<Tick>(&message)) {
      failed = runner_.on_tick(*tick);
    } else if (const Fill* fill = std::get_if<Fill>(&message)) {
      failed = runner_.on_fill(*fill, line.text);
    } else {
      runner_.pass_through(line.text);
    }
    if (!failed.ok()) return LineOutcome::kStop;
    // A file commits in batches for speed (it can be re-run: bars already taken are skipped); a
    // live stream commits after each read (run()).
    if (!live_ && ++since_commit_ >= kBatch) {
      failed = runner_.commit();
      since_commit_ = 0;
      if (!failed.ok()) return LineOutcome::kStop;
    }
    if (!out_.good()) {
      log_.warn("output_closed", {{"detail", "the reader of stdout went away; stopping"}});
      return LineOutcome::kStop;
    }
    return LineOutcome::kNext;
  }

  const SignalArgs& args_;
  SignalRunner& runner_;
  NdjsonWriter& out_;
  const Logger& log_;
  const time::Clock& clock_;
  TimestampMs started_;
  SignalHeartbeat& heartbeat_;
  service::Notifier& notifier_;
  sqlite::IdleCheckpoint& checkpoint_;
  bool live_;
  InputPump pump_;
  MessageDecoder decoder_;
  std::int64_t bad_lines_ = 0;
  std::int64_t since_commit_ = 0;
};

}  // namespace

int run_signal(const SignalArgs& args, const Logger& log, const time::Clock& clock) {
  const TimestampMs started = clock.now_ms();
  // Reading stdin, sm-signal is on the live order path: it checkpoints when idle (IdleCheckpoint).
  store::OpenOptions options;
  options.auto_checkpoint = args.replay;
  Result<store::Database> db = store::Database::open(args.db_path, options);
  if (!db.ok()) return report_failure(log, "database_error", db.status(), kExitFailure);
  store::ErrorRecorder errors(log, *db);
  Plan plan;
  if (int code = plan_from_config(args, *db, log, plan); code != kExitOk) return code;
  if (int code = plan_from_flags(args, log, plan); code != kExitOk) return code;

  NdjsonWriter out(stdout);
  SignalRunner runner(*db, plan.instances, plan.options, out, log);
  log_started(plan, args.replay, log);
  int exit_code = kExitOk;
  Status failed;
  std::int64_t future_refused = 0;
  if (args.replay) {
    if (std::optional<int> early =
            replay_stored_bars(args, plan, runner, out, log, started, future_refused, failed)) {
      return *early;
    }
  } else {
    service::Notifier notifier;
    SignalHeartbeat heartbeat(*db, clock, plan.heartbeat_interval_ms);
    sqlite::IdleCheckpoint checkpoint(*db, log);
    StdinRun stdin_run(args, runner, out, log, clock, started, heartbeat, notifier, checkpoint);
    notifier.ready();
    exit_code = stdin_run.run(future_refused, failed);
    notifier.stopping();
    Status stopped = stdin_run.beat(true);
    if (failed.ok()) failed = stopped;
  }
  // Every changed state is saved on the way out (end of input, SIGTERM): a clean restart replays
  // nothing.
  Status committed = runner.checkpoint();
  if (failed.ok()) failed = committed;
  out.flush();
  nlohmann::json summary = counts_json(runner.counts());
  summary["future_refused"] = future_refused;
  if (stop_requested()) summary["stopped_by_signal"] = true;
  log.info("signal_summary", summary);
  if (!failed.ok()) return report_failure(log, "database_error", failed, kExitFailure);
  return exit_code;
}

}  // namespace sm::signal
