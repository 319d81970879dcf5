#include "ingest/program.h"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <optional>

#include "core/exit_codes.h"
#include "core/ndjson.h"
#include "core/shutdown.h"
#include "ingest/fields.h"
#include "ingest/ingest.h"
#include "store/market_data.h"
#include "store/ops_records.h"

namespace sm::ingest {
namespace {

int usage(const Logger& log, const Status& status) {
  log.error("usage_error", {{"message", status.message()}, {"hint", "run with --help"}});
  return kExitUsage;
}

nlohmann::json counts_json(const store::WriteCounts& counts) {
  return {{"inserted", counts.inserted},
          {"already_stored", counts.duplicates},
          {"replaced", counts.replaced}};
}

Result<std::vector<Timeframe>> parse_timeframes(const std::vector<std::string>& texts) {
  std::vector<Timeframe> out;
  for (const std::string& text : texts) {
    Result<Timeframe> timeframe = parse_timeframe(text);
    if (!timeframe.ok()) return Status(ErrorCode::kInvalidArgument, timeframe.status().message());
    out.push_back(*timeframe);
  }
  return out;
}

Result<std::vector<std::string>> normalise_symbols(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const std::string& text : texts) {
    Result<std::string> symbol = normalize_symbol(text);
    if (!symbol.ok()) return Status(ErrorCode::kInvalidArgument, symbol.status().message());
    out.push_back(*symbol);
  }
  return out;
}

std::function<void(const Status&)> warning_logger(const Logger& log) {
  return [&log](const Status& status) {
    log.warn("ingest_warning",
             {{"code", error_code_name(status.code())}, {"message", status.message()}});
  };
}

nlohmann::json sink_json(const SinkCounts& counts) {
  nlohmann::json out = {{"bars", counts_json(counts.bars)}, {"ticks", counts_json(counts.ticks)}};
  if (counts.resampled.inserted + counts.resampled.duplicates + counts.resampled.replaced > 0) {
    out["resampled_bars"] = counts_json(counts.resampled);
  }
  if (counts.resample_skipped > 0) out["resample_skipped"] = counts.resample_skipped;
  if (counts.ticks_outside_session > 0) out["ticks_outside_session"] = counts.ticks_outside_session;
  out["emitted"] = counts.emitted;
  return out;
}

void log_file(const Logger& log, const std::string& input, const FileReport& report) {
  const CsvResult& parsed = report.parsed;
  nlohmann::json fields = {{"input", input},
                           {"records", parsed.kind == RecordKind::kBars ? "bars" : "ticks"},
                           {"columns", parsed.columns},
                           {"rows_read", parsed.rows_read},
                           {"accepted", report.accepted},
                           {"dropped", report.dropped},
                           {"issues", report.issues},
                           {"symbols", report.symbols}};
  if (parsed.kind == RecordKind::kBars) {
    fields["timeframe"] = format_timeframe(parsed.timeframe);
    fields["timeframe_detected"] = parsed.timeframe_detected;
    if (!parsed.timeframe.is_daily()) fields["time_label"] = time_label_name(parsed.time_label);
  }
  if (report.accepted > 0) {
    fields["first"] = format_utc(report.first_ts);
    fields["last"] = format_utc(report.last_ts);
  }
  if (!parsed.date_format.empty()) fields["date_format"] = parsed.date_format;
  if (parsed.series_skipped > 0) fields["other_series_skipped"] = parsed.series_skipped;
  if (parsed.opening_prints_merged > 0)
    fields["opening_prints_merged"] = parsed.opening_prints_merged;
  if (parsed.prices_rounded > 0) fields["prices_rounded_to_paise"] = parsed.prices_rounded;
  if (!parsed.time_label_evidence.empty() && !parsed.time_label_doubtful) {
    fields["time_label_evidence"] = parsed.time_label_evidence;
  }
  log.info("file_ingested", fields);
  if (parsed.time_label_doubtful) {
    log.warn("time_label_doubtful", {{"input", input}, {"evidence", parsed.time_label_evidence}});
  }
  if (parsed.prices_rounded > 0) {
    log.warn("prices_rounded",
             {{"input", input},
              {"cells", parsed.prices_rounded},
              {"message", "prices with more than two decimals were rounded half-even to paise"}});
  }
}

TimestampMs one_day_from(const time::Clock& clock) { return clock.now_ms() + kMsPerDay; }

}  // namespace

namespace {

// The reading and storing options the flags ask for; kInvalidArgument names a bad flag value.
Status parse_ingest_options(const IngestArgs& args, const time::Clock& clock, CsvOptions& csv,
                            SinkOptions& sink_options) {
  if (!args.symbol.empty()) {
    Result<std::string> symbol = normalize_symbol(args.symbol);
    if (!symbol.ok()) return symbol.status();
    csv.symbol = *symbol;
  }
  Result<int> offset = parse_zone_offset(args.tz);
  if (!offset.ok()) return offset.status();
  csv.zone_offset_minutes = *offset;
  if (!args.timeframe.empty()) {
    Result<std::vector<Timeframe>> timeframe = parse_timeframes({args.timeframe});
    if (!timeframe.ok()) return timeframe.status();
    csv.timeframe = timeframe->front();
  }
  if (!args.date_format.empty()) {
    Result<DateFormat> date_format = parse_date_format(args.date_format);
    if (!date_format.ok()) return date_format.status();
    csv.date_format = *date_format;
  }
  Result<TimeLabel> label = parse_time_label(args.time_label);
  if (!label.ok()) return label.status();
  csv.time_label = *label;
  for (const std::string& map : args.maps) {
    Result<std::pair<Column, std::string>> mapping = parse_column_mapping(map);
    if (!mapping.ok()) return mapping.status();
    csv.column_map.push_back(*mapping);
  }
  csv.series.clear();
  for (const std::string& series : args.series) {
    if (series == "all") {
      csv.series.clear();
      break;
    }
    csv.series.push_back(series);
  }
  Result<std::vector<Timeframe>> resample = parse_timeframes(args.resample);
  if (!resample.ok()) return resample.status();
  sink_options.resample = *resample;
  if (args.batch_size <= 0)
    return error(ErrorCode::kInvalidArgument, "--batch-size must be positive");
  sink_options.batch_size = static_cast<std::size_t>(args.batch_size);
  sink_options.all_hours = args.all_hours;
  csv.limits.not_after = one_day_from(clock);
  return Status();
}

// What one sm-ingest run has done so far, over its inputs.
struct IngestRun {
  int exit_code = kExitOk;
  std::int64_t rows_read = 0;
  std::int64_t accepted = 0;
  std::int64_t other_messages = 0;
  bool database_failed = false;  // then the sink is not finished: its last write failed
};

// What an input needs besides itself.
struct IngestContext {
  const IngestArgs& args;
  const CsvOptions& csv;
  MarketDataSink& sink;
  IssueReporter& issues;
  const Logger& log;
};

// Ingests the NDJSON on stdin; false when the run stops here.
bool ingest_stdin(const IngestContext& c, IngestRun& run) {
  Result<StreamReport> report =
      ingest_ndjson(STDIN_FILENO, "stdin", c.csv.limits, c.args.strict, c.sink, c.issues);
  if (!report.ok()) {
    c.log.error_status("ingest_failed", report.status(), {{"input", "stdin"}});
    run.database_failed = report.status().code() != ErrorCode::kIoError;
    run.exit_code = run.database_failed ? kExitFailure : kExitDataError;
    return false;
  }
  run.rows_read += report->lines;
  run.accepted += report->accepted;
  run.other_messages += report->other_messages;
  if (report->stopped_on_bad_line) {
    run.exit_code = kExitDataError;
    return false;
  }
  return true;
}

// Ingests one CSV file; false when the run stops here. A file that cannot be read or understood
// does not stop the run: the next file is still worth storing.
bool ingest_file(const IngestContext& c, const std::string& input, IngestRun& run) {
  Result<LineReader> lines = LineReader::open_file(input);
  if (!lines.ok()) {
    c.log.error_status("input_unreadable", lines.status(), {{"input", input}});
    run.exit_code = kExitDataError;
    return true;
  }
  Result<FileReport> report = ingest_csv(std::move(lines).value(), input, c.csv, c.sink, c.issues);
  if (!report.ok()) {
    const ErrorCode code = report.status().code();
    if (code == ErrorCode::kIoError) {  // the file could not be read to its end
      c.log.error_status("input_unreadable", report.status(), {{"input", input}});
      run.exit_code = kExitDataError;
      return true;
    }
    if (c.issues.stopped()) {
      c.log.error_status("stopped_on_bad_row", report.status(), {{"input", input}});
      run.exit_code = kExitDataError;
      return false;
    }
    if (code == ErrorCode::kInvalidArgument) {
      c.log.error_status("usage_error", report.status(), {{"input", input}});
      if (run.exit_code == kExitOk) run.exit_code = kExitUsage;
      return true;
    }
    if (code == ErrorCode::kParseError) {
      c.log.error_status("input_not_understood", report.status(), {{"input", input}});
      run.exit_code = kExitDataError;
      return true;
    }
    c.log.error_status("ingest_failed", report.status(), {{"input", input}});
    run.database_failed = true;
    run.exit_code = kExitFailure;
    return false;
  }
  run.rows_read += report->parsed.rows_read;
  run.accepted += report->accepted;
  log_file(c.log, input, *report);
  if (Status accepted_any = require_rows_accepted(input, *report); !accepted_any.ok()) {
    c.log.error_status("nothing_stored", accepted_any, {{"input", input}});
    run.exit_code = kExitDataError;
  }
  return true;
}

nlohmann::json ingest_summary(const IngestArgs& args, std::size_t inputs, const IngestRun& run,
                              const MarketDataSink& sink, const IssueReporter& issues) {
  nlohmann::json summary = {
      {"inputs", inputs},
      {"rows_read", run.rows_read},
      {"accepted", run.accepted},
      {"dropped", issues.dropped()},
      {"flagged", issues.flagged()},
      {"issues", issues.counts_json()},
      {"stored", args.dry_run ? nlohmann::json(false) : sink_json(sink.counts())}};
  if (args.dry_run) summary["emitted"] = sink.counts().emitted;
  if (run.other_messages > 0) summary["other_messages"] = run.other_messages;
  if (stop_requested()) summary["stopped_by_signal"] = true;
  summary["exit_code"] = run.exit_code;
  return summary;
}

// What --from-db reads: the bars (or ticks with --ticks) of these symbols (all when empty) in
// [from, to).
struct StoredSource {
  std::vector<std::string> symbols;
  TimestampMs from = 0;
  TimestampMs to = 0;
  Timeframe timeframe;
};

Result<StoredSource> parse_stored_source(const ResampleArgs& args) {
  Result<std::vector<std::string>> symbols = normalise_symbols(args.symbols);
  if (!symbols.ok()) return symbols.status();
  Result<TimestampMs> from = parse_range_start(args.from);
  Result<TimestampMs> to = parse_range_end(args.until);
  if (!from.ok()) return from.status();
  if (!to.ok()) return to.status();
  Result<std::vector<Timeframe>> timeframe = parse_timeframes({args.source});
  if (!timeframe.ok()) return timeframe.status();
  return StoredSource{std::move(symbols.value()), *from, *to, timeframe->front()};
}

// Reads all of the source before any of it is aggregated: a for_each visitor must not write bars.
Status read_stored_source(const StoredSource& source, bool ticks_wanted, store::Database& db,
                          std::vector<Bar>& bars, std::vector<Tick>& ticks) {
  auto wanted = [&](const std::string& symbol) {
    return source.symbols.empty() ||
           std::find(source.symbols.begin(), source.symbols.end(), symbol) != source.symbols.end();
  };
  if (ticks_wanted) {
    store::TickQuery query;
    if (source.symbols.size() == 1) query.symbol = source.symbols.front();
    query.from = source.from;
    query.to = source.to;
    return store::for_each_tick(db, query, [&](const Tick& tick) {
      if (wanted(tick.symbol)) ticks.push_back(tick);
      return !stop_requested();
    });
  }
  store::BarQuery query;
  if (source.symbols.size() == 1) query.symbol = source.symbols.front();
  query.timeframe = source.timeframe;
  query.from = source.from;
  query.to = source.to;
  return store::for_each_bar(db, query, [&](const Bar& bar) {
    if (wanted(bar.symbol)) bars.push_back(bar);
    return !stop_requested();
  });
}

// Resamples what --from-db names; kExitOk or the exit code to stop with, logged.
int resample_stored(const ResampleArgs& args, store::Database& db, MarketDataSink& sink,
                    const Logger& log) {
  Result<StoredSource> source = parse_stored_source(args);
  if (!source.ok()) return usage(log, source.status());
  std::vector<Bar> bars;
  std::vector<Tick> ticks;
  Status status = read_stored_source(*source, args.ticks, db, bars, ticks);
  if (!status.ok()) {
    log.error_status("resample_failed", status);
    return kExitFailure;
  }
  for (const Tick& tick : ticks) status = status.ok() ? sink.add(tick) : status;
  for (const Bar& bar : bars) status = status.ok() ? sink.add(bar) : status;
  if (!status.ok()) {
    log.error_status("resample_failed", status);
    return kExitFailure;
  }
  return kExitOk;
}

// The database a command writes to, when it writes at all. Errors the command logs are stored in
// it too (errors as data), so the recorder lives exactly as long as the connection.
class WritableStore {
 public:
  // False when the database cannot be opened (logged as database_open_failed).
  bool open(const std::string& path, const Logger& log) {
    Result<store::Database> opened = store::Database::open(path);
    if (!opened.ok()) {
      log.error_status("database_open_failed", opened.status(), {{"db", path}});
      return false;
    }
    db_.emplace(std::move(opened).value());
    errors_.emplace(log, *db_);
    return true;
  }
  store::Database* get() { return db_ ? &*db_ : nullptr; }

 private:
  std::optional<store::Database> db_;
  std::optional<store::ErrorRecorder> errors_;  // declared after db_: destroyed before it
};

}  // namespace

int run_ingest(const IngestArgs& args, const Logger& log, const time::Clock& clock) {
  CsvOptions csv;
  SinkOptions sink_options;
  if (Status options = parse_ingest_options(args, clock, csv, sink_options); !options.ok())
    return usage(log, options);
  std::vector<std::string> inputs = args.inputs;
  if (inputs.empty() && !args.use_stdin && ::isatty(STDIN_FILENO) == 1) {
    return usage(log, error(ErrorCode::kInvalidArgument,
                            "no input: give CSV files, or pipe NDJSON to stdin (-)"));
  }
  if (args.use_stdin || inputs.empty()) inputs.emplace_back("-");

  WritableStore db;
  if (!args.dry_run && !db.open(args.db_path, log)) return kExitFailure;
  std::optional<NdjsonWriter> writer;
  if (args.emit) writer.emplace(stdout);
  IssueReporter issues(log, args.strict);
  MarketDataSink sink(db.get(), writer ? &*writer : nullptr, &clock, sink_options,
                      warning_logger(log));

  const IngestContext context{args, csv, sink, issues, log};
  IngestRun run;
  for (const std::string& input : inputs) {
    if (stop_requested()) break;
    const bool go_on = input == "-" ? ingest_stdin(context, run) : ingest_file(context, input, run);
    if (!go_on) break;
  }
  if (!run.database_failed) {
    Status finished = sink.finish();
    if (!finished.ok()) {
      log.error_status("ingest_failed", finished);
      run.exit_code = kExitFailure;
    }
  }
  log.info("ingest_summary", ingest_summary(args, inputs.size(), run, sink, issues));
  return run.exit_code;
}

int run_resample(const ResampleArgs& args, const Logger& log, const time::Clock& clock) {
  Result<std::vector<Timeframe>> target = parse_timeframes({args.to});
  if (!target.ok()) return usage(log, target.status());
  SinkOptions options;
  options.resample = *target;
  options.emit_source = false;
  options.store_source = false;
  options.all_hours = args.all_hours;
  TimeLimits limits;
  limits.not_after = one_day_from(clock);

  WritableStore db;
  if ((args.store || args.from_db) && !db.open(args.db_path, log)) return kExitFailure;
  NdjsonWriter writer(stdout);
  IssueReporter issues(log, args.strict);
  MarketDataSink sink(args.store ? db.get() : nullptr, &writer, &clock, options,
                      warning_logger(log));
  int exit_code = kExitOk;
  if (!args.from_db) {
    Result<StreamReport> report =
        ingest_ndjson(STDIN_FILENO, "stdin", limits, args.strict, sink, issues);
    if (!report.ok()) {
      log.error_status("resample_failed", report.status());
      return report.status().code() == ErrorCode::kIoError ? kExitDataError : kExitFailure;
    }
    if (report->stopped_on_bad_line) exit_code = kExitDataError;
  } else if (int code = resample_stored(args, *db.get(), sink, log); code != kExitOk) {
    return code;
  }
  Status finished = sink.finish();
  if (!finished.ok()) {
    log.error_status("resample_failed", finished);
    return kExitFailure;
  }
  log.info("resample_summary", {{"to", args.to},
                                {"dropped", issues.dropped()},
                                {"issues", issues.counts_json()},
                                {"output", sink_json(sink.counts())},
                                {"exit_code", exit_code}});
  return exit_code;
}

int run_replay(const ReplayArgs& args, const Logger& log, const time::Clock& clock,
               const SleepFunction& sleep) {
  ReplayOptions options;
  Result<std::vector<std::string>> symbols = normalise_symbols(args.symbols);
  if (!symbols.ok()) return usage(log, symbols.status());
  options.symbols = *symbols;
  options.ticks = args.ticks;
  if (!args.ticks) {
    Result<std::vector<Timeframe>> timeframe = parse_timeframes({args.timeframe});
    if (!timeframe.ok()) return usage(log, timeframe.status());
    options.timeframe = timeframe->front();
  }
  Result<TimestampMs> from = parse_range_start(args.from);
  Result<TimestampMs> to = parse_range_end(args.until);
  if (!from.ok()) return usage(log, from.status());
  if (!to.ok()) return usage(log, to.status());
  options.from = *from;
  options.to = *to;
  Result<double> speed = parse_speed(args.speed);
  if (!speed.ok()) return usage(log, speed.status());
  options.speed = *speed;

  Result<store::Database> db = store::Database::open_readonly(args.db_path);
  if (!db.ok()) {
    log.error_status("database_open_failed", db.status(), {{"db", args.db_path}});
    return db.status().code() == ErrorCode::kNotFound ? kExitDataError : kExitFailure;
  }
  if (!db->has_schema()) {
    log.warn("replay_no_data",
             {{"db", args.db_path}, {"message", "the database holds no StalkMarket schema yet"}});
    return kExitOk;
  }
  // Replay only reads; its errors are written through a connection of their own (the feed's
  // failures count for sm-risk's error-rate switch like any program's). Best effort: a database
  // we cannot write to still replays.
  Result<store::Database> error_db = store::Database::open(args.db_path);
  std::optional<store::ErrorRecorder> errors;
  if (error_db.ok()) {
    errors.emplace(log, *error_db);
  } else {
    log.warn("errors_not_recorded",
             {{"db", args.db_path}, {"message", error_db.status().message()}});
  }
  NdjsonWriter writer(stdout);
  Result<ReplayCounts> counts = replay(*db, options, writer, clock, sleep);
  if (!counts.ok()) {
    log.error_status("replay_failed", counts.status());
    return kExitFailure;
  }
  log.info("replay_summary", {{"written", counts->written},
                              {"stopped_by_signal", counts->stopped},
                              {"output_closed", counts->output_closed}});
  return kExitOk;
}

}  // namespace sm::ingest
