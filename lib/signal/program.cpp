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
#include "core/ndjson.h"
#include "core/shutdown.h"
#include "ingest/fields.h"
#include "signal/runner.h"
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
          {"states_discarded", c.states_discarded}};
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

// Messages from stdin through the runner until its end, a stop, a failure (in failed) or, under
// --strict, a bad line. Returns kExitDataError when a bad line stopped it, else kExitOk.
int run_stdin(const SignalArgs& args, SignalRunner& runner, NdjsonWriter& out, const Logger& log,
              const time::Clock& clock, TimestampMs started, std::int64_t& future_refused,
              Status& failed) {
  const bool live = is_live_stream(STDIN_FILENO);
  bool stop_on_bad = false;
  MessageReader reader(
      STDIN_FILENO, "stdin",
      [&](const BadLine& bad) {
        log.warn("bad_line", {{"input", bad.input},
                              {"line", bad.line},
                              {"reason", bad.status.message()},
                              {"action", args.strict ? "stopped" : "skipped"}});
        if (args.strict) stop_on_bad = true;
      },
      args.strict);
  Message message;
  std::int64_t since_commit = 0;
  for (;;) {
    const MessageReader::Outcome outcome = reader.next(message);
    if (outcome == MessageReader::Outcome::kEnd) break;
    if (outcome == MessageReader::Outcome::kStoppedOnBadLine || stop_on_bad) return kExitDataError;
    if (outcome == MessageReader::Outcome::kReadError) {
      failed = error(ErrorCode::kIoError, "cannot read stdin: " + reader.read_error());
      break;
    }
    if (std::holds_alternative<Bar>(message) || std::holds_alternative<Tick>(message)) {
      if (refuse_future(message, live ? clock.now_ms() : started,
                        {{"input", "stdin"}, {"line", reader.line_number()}}, log,
                        future_refused)) {
        continue;
      }
    }
    if (Bar* bar = std::get_if<Bar>(&message)) {
      Result<std::string> symbol = ingest::normalize_symbol(bar->symbol);
      if (!symbol.ok()) {
        log.warn("bad_line", {{"input", "stdin"},
                              {"line", reader.line_number()},
                              {"reason", symbol.status().message()},
                              {"action", "skipped"}});
        if (args.strict) return kExitDataError;
        continue;
      }
      bar->symbol = *symbol;
      failed = runner.on_bar(*bar);
    } else if (Tick* tick = std::get_if<Tick>(&message)) {
      failed = runner.on_tick(*tick);
    } else if (const Fill* fill = std::get_if<Fill>(&message)) {
      failed = runner.on_fill(*fill, reader.raw_line());
    } else {
      runner.pass_through(reader.raw_line());
    }
    if (!failed.ok()) break;
    // A live stream commits after every line, so what was emitted is durable before the next
    // input; a file commits in batches for speed (it can be re-run: bars already taken are
    // skipped).
    if (live || ++since_commit >= kBatch) {
      failed = runner.commit();
      since_commit = 0;
      if (!failed.ok()) break;
    }
    if (!out.good()) {
      log.warn("output_closed", {{"detail", "the reader of stdout went away; stopping"}});
      break;
    }
  }
  return kExitOk;
}

}  // namespace

int run_signal(const SignalArgs& args, const Logger& log, const time::Clock& clock) {
  const TimestampMs started = clock.now_ms();
  Result<store::Database> db = store::Database::open(args.db_path);
  if (!db.ok()) return report_failure(log, "database_error", db.status(), kExitFailure);
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
    exit_code = run_stdin(args, runner, out, log, clock, started, future_refused, failed);
  }
  Status committed = runner.commit();
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
