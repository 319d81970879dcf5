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

int run_ingest(const IngestArgs& args, const Logger& log, const time::Clock& clock) {
  CsvOptions csv;
  SinkOptions sink_options;
  {
    if (!args.symbol.empty()) {
      Result<std::string> symbol = normalize_symbol(args.symbol);
      if (!symbol.ok()) return usage(log, symbol.status());
      csv.symbol = *symbol;
    }
    Result<int> offset = parse_zone_offset(args.tz);
    if (!offset.ok()) return usage(log, offset.status());
    csv.zone_offset_minutes = *offset;
    if (!args.timeframe.empty()) {
      Result<std::vector<Timeframe>> timeframe = parse_timeframes({args.timeframe});
      if (!timeframe.ok()) return usage(log, timeframe.status());
      csv.timeframe = timeframe->front();
    }
    if (!args.date_format.empty()) {
      Result<DateFormat> date_format = parse_date_format(args.date_format);
      if (!date_format.ok()) return usage(log, date_format.status());
      csv.date_format = *date_format;
    }
    Result<TimeLabel> label = parse_time_label(args.time_label);
    if (!label.ok()) return usage(log, label.status());
    csv.time_label = *label;
    for (const std::string& map : args.maps) {
      Result<std::pair<Column, std::string>> mapping = parse_column_mapping(map);
      if (!mapping.ok()) return usage(log, mapping.status());
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
    if (!resample.ok()) return usage(log, resample.status());
    sink_options.resample = *resample;
    if (args.batch_size <= 0)
      return usage(log, error(ErrorCode::kInvalidArgument, "--batch-size must be positive"));
    sink_options.batch_size = static_cast<std::size_t>(args.batch_size);
    sink_options.all_hours = args.all_hours;
    csv.limits.not_after = one_day_from(clock);
  }
  std::vector<std::string> inputs = args.inputs;
  if (inputs.empty() && !args.use_stdin && ::isatty(STDIN_FILENO) == 1) {
    return usage(log, error(ErrorCode::kInvalidArgument,
                            "no input: give CSV files, or pipe NDJSON to stdin (-)"));
  }
  if (args.use_stdin || inputs.empty()) inputs.push_back("-");

  std::optional<store::Database> db;
  if (!args.dry_run) {
    Result<store::Database> opened = store::Database::open(args.db_path);
    if (!opened.ok()) {
      log.error_status("database_open_failed", opened.status(), {{"db", args.db_path}});
      return kExitFailure;
    }
    db = std::move(opened).value();
  }
  std::optional<NdjsonWriter> writer;
  if (args.emit) writer.emplace(stdout);
  IssueReporter issues(log, args.strict);
  MarketDataSink sink(db ? &*db : nullptr, writer ? &*writer : nullptr, &clock, sink_options,
                      warning_logger(log));

  int exit_code = kExitOk;
  std::int64_t rows_read = 0;
  std::int64_t accepted = 0;
  std::int64_t other_messages = 0;
  bool database_failed = false;
  for (const std::string& input : inputs) {
    if (stop_requested()) break;
    if (input == "-") {
      Result<StreamReport> report =
          ingest_ndjson(STDIN_FILENO, "stdin", csv.limits, args.strict, sink, issues);
      if (!report.ok()) {
        log.error_status("ingest_failed", report.status(), {{"input", "stdin"}});
        database_failed = report.status().code() != ErrorCode::kIoError;
        exit_code = database_failed ? kExitFailure : kExitDataError;
        break;
      }
      rows_read += report->lines;
      accepted += report->accepted;
      other_messages += report->other_messages;
      if (report->stopped_on_bad_line) {
        exit_code = kExitDataError;
        break;
      }
      continue;
    }
    Result<std::string> text = read_file(input);
    if (!text.ok()) {
      log.error_status("input_unreadable", text.status(), {{"input", input}});
      exit_code = kExitDataError;
      continue;
    }
    Result<FileReport> report = ingest_csv(*text, input, csv, sink, issues);
    if (!report.ok()) {
      const ErrorCode code = report.status().code();
      if (issues.stopped()) {
        log.error_status("stopped_on_bad_row", report.status(), {{"input", input}});
        exit_code = kExitDataError;
        break;
      }
      if (code == ErrorCode::kInvalidArgument) {
        log.error_status("usage_error", report.status(), {{"input", input}});
        if (exit_code == kExitOk) exit_code = kExitUsage;
        continue;
      }
      if (code == ErrorCode::kParseError) {
        log.error_status("input_not_understood", report.status(), {{"input", input}});
        exit_code = kExitDataError;
        continue;
      }
      log.error_status("ingest_failed", report.status(), {{"input", input}});
      database_failed = true;
      exit_code = kExitFailure;
      break;
    }
    rows_read += report->parsed.rows_read;
    accepted += report->accepted;
    log_file(log, input, *report);
    if (Status accepted_any = require_rows_accepted(input, *report); !accepted_any.ok()) {
      log.error_status("nothing_stored", accepted_any, {{"input", input}});
      exit_code = kExitDataError;
    }
  }
  if (!database_failed) {
    Status finished = sink.finish();
    if (!finished.ok()) {
      log.error_status("ingest_failed", finished);
      exit_code = kExitFailure;
    }
  }
  nlohmann::json summary = {
      {"inputs", inputs.size()},
      {"rows_read", rows_read},
      {"accepted", accepted},
      {"dropped", issues.dropped()},
      {"flagged", issues.flagged()},
      {"issues", issues.counts_json()},
      {"stored", args.dry_run ? nlohmann::json(false) : sink_json(sink.counts())}};
  if (args.dry_run) summary["emitted"] = sink.counts().emitted;
  if (other_messages > 0) summary["other_messages"] = other_messages;
  if (stop_requested()) summary["stopped_by_signal"] = true;
  summary["exit_code"] = exit_code;
  log.info("ingest_summary", summary);
  return exit_code;
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

  std::optional<store::Database> db;
  if (args.store || args.from_db) {
    Result<store::Database> opened = store::Database::open(args.db_path);
    if (!opened.ok()) {
      log.error_status("database_open_failed", opened.status(), {{"db", args.db_path}});
      return kExitFailure;
    }
    db = std::move(opened).value();
  }
  NdjsonWriter writer(stdout);
  IssueReporter issues(log, args.strict);
  MarketDataSink sink(args.store ? &*db : nullptr, &writer, &clock, options, warning_logger(log));
  int exit_code = kExitOk;
  if (!args.from_db) {
    Result<StreamReport> report =
        ingest_ndjson(STDIN_FILENO, "stdin", limits, args.strict, sink, issues);
    if (!report.ok()) {
      log.error_status("resample_failed", report.status());
      return report.status().code() == ErrorCode::kIoError ? kExitDataError : kExitFailure;
    }
    if (report->stopped_on_bad_line) exit_code = kExitDataError;
  } else {
    Result<std::vector<std::string>> symbols = normalise_symbols(args.symbols);
    if (!symbols.ok()) return usage(log, symbols.status());
    Result<TimestampMs> from = parse_range_start(args.from);
    Result<TimestampMs> to = parse_range_end(args.until);
    if (!from.ok()) return usage(log, from.status());
    if (!to.ok()) return usage(log, to.status());
    Result<std::vector<Timeframe>> source = parse_timeframes({args.source});
    if (!source.ok()) return usage(log, source.status());
    auto wanted = [&](const std::string& symbol) {
      return symbols->empty() ||
             std::find(symbols->begin(), symbols->end(), symbol) != symbols->end();
    };
    // Read first, then aggregate and store: a for_each visitor must not write bars.
    std::vector<Bar> bars;
    std::vector<Tick> ticks;
    Status status;
    if (args.ticks) {
      store::TickQuery query;
      if (symbols->size() == 1) query.symbol = symbols->front();
      query.from = *from;
      query.to = *to;
      status = store::for_each_tick(*db, query, [&](const Tick& tick) {
        if (wanted(tick.symbol)) ticks.push_back(tick);
        return !stop_requested();
      });
    } else {
      store::BarQuery query;
      if (symbols->size() == 1) query.symbol = symbols->front();
      query.timeframe = source->front();
      query.from = *from;
      query.to = *to;
      status = store::for_each_bar(*db, query, [&](const Bar& bar) {
        if (wanted(bar.symbol)) bars.push_back(bar);
        return !stop_requested();
      });
    }
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
