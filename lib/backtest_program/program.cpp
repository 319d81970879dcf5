#include "backtest_program/program.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "backtest/engine.h"
#include "backtest/html_report.h"
#include "backtest/metrics.h"
#include "backtest/report.h"
#include "backtest/risk_gate.h"
#include "backtest/sweep.h"
#include "backtest_program/record_files.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/json_writer.h"
#include "costs/cost_model.h"
#include "history/csv_stream.h"
#include "history/database_stream.h"
#include "history/loader.h"
#include "strategy/params.h"
#include "strategy/registry.h"
#include "time/calendar.h"
#include "time/clock.h"

namespace sm::backtest_program {
namespace {

namespace bt = sm::backtest;

// A failure with the exit code it maps to.
struct Failure {
  int exit_code = kExitFailure;
  std::string event;
  Status status;
};

int report(const Logger& log, const Failure& failure) {
  return report_failure(log, failure.event, failure.status, failure.exit_code);
}

Failure usage(Status status) { return {kExitUsage, "usage_error", std::move(status)}; }

// Everything a command needs besides the data: the engine settings, the cost model, the gate.
struct Setup {
  bt::EngineConfig engine;
  std::unique_ptr<costs::CostModel> costs;
  double risk_free_rate = 0;
  std::optional<risk::RiskConfig> risk;
  std::string risk_source;
  std::optional<time::Calendar> calendar;
  bt::StrategySpec strategy;

  bt::GateFactory gate_factory() const {
    if (!risk) return {};
    const time::Calendar* cal = calendar ? &*calendar : nullptr;
    return [this, cal]() -> std::unique_ptr<bt::SignalGate> {
      return std::make_unique<bt::RiskGate>(*risk, cal, risk_source);
    };
  }
};

// The first of: the flag's text, the section's value (as text), the default.
Result<std::string> setting(const std::string& flag, const nlohmann::json& section,
                            const std::string& source, std::string_view key, std::string fallback) {
  if (!flag.empty()) return flag;
  auto it = section.find(std::string(key));
  if (it == section.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return error(ErrorCode::kConfigError,
               fmt::format("{}: backtest.{} must be a string, a number or a boolean",
                           source.empty() ? "configuration" : source, key));
}

Result<double> parse_number(const std::string& text, std::string_view what) {
  try {
    std::size_t used = 0;
    double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    return error(ErrorCode::kInvalidArgument, fmt::format("{} '{}' is not a number", what, text));
  }
}

Result<std::int64_t> parse_integer(const std::string& text, std::string_view what) {
  Result<std::int64_t> value = parse_fixed_point(text, 0);
  if (!value.ok()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} '{}' is not a whole number", what, text));
  }
  return value;
}

Result<Paise> parse_money(const std::string& text, std::string_view what) {
  Result<Paise> value = parse_rupees(text);
  if (!value.ok()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} '{}' is not an amount of rupees", what, text));
  }
  return value;
}

// Reads settings for the engine: each the flag's text, else the configuration's backtest section,
// else the default. Keeps the first failure: a section value of the wrong type is a configuration
// error, a value that does not parse a usage error.
class SettingReader {
 public:
  SettingReader(const nlohmann::json& section, const std::string& source)
      : section_(section), source_(source) {}

  // The setting's text, or "" once something failed.
  std::string text(const std::string& flag, std::string_view key, std::string fallback) {
    if (failed_) return std::string();
    Result<std::string> value = setting(flag, section_, source_, key, std::move(fallback));
    if (!value.ok()) {
      failed_ = Failure{kExitConfigError, "config_error", value.status()};
      return std::string();
    }
    return *value;
  }
  // Whether status is ok; keeps it as a usage error when it is the first failure.
  bool check(const Status& status) {
    if (!failed_ && !status.ok()) failed_ = usage(status);
    return status.ok();
  }
  const std::optional<Failure>& failed() const { return failed_; }

 private:
  const nlohmann::json& section_;
  std::string source_;
  std::optional<Failure> failed_;
};

// The engine configuration and risk-free rate from the flags and the backtest section; the cost
// model's specification in cost_spec.
std::optional<Failure> read_engine_settings(const EngineArgs& e, SettingReader& read, Setup& setup,
                                            std::string& cost_spec) {
  bt::EngineConfig& c = setup.engine;
  auto text = [&](const std::string& flag, std::string_view key, std::string fallback) {
    return read.text(flag, key, std::move(fallback));
  };
  auto check = [&](const Status& status) { return read.check(status); };
  if (auto fill = bt::parse_fill_timing(text(e.fill, "fill", "next-open")); check(fill.status())) {
    c.fill = *fill;
  }
  if (auto order = bt::parse_entry_order(text(e.entry_order, "entry_order", "market"));
      check(order.status())) {
    c.entry_order = *order;
  }
  if (auto offset = parse_fixed_point(text(e.entry_offset_bps, "entry_offset_bps", "0"), 2);
      check(offset.ok() ? Status()
                        : error(ErrorCode::kInvalidArgument,
                                "--entry-offset-bps must be a number with at most 2 decimals"))) {
    c.entry_offset_centi_bps = *offset;
  }
  if (auto bars =
          parse_integer(text(e.order_valid_bars, "order_valid_bars", "1"), "--order-valid-bars");
      check(bars.status())) {
    c.order_valid_bars = static_cast<int>(std::clamp<std::int64_t>(*bars, -1, 1'000'000));
  }
  c.protective_stops = e.protective_stops || text("", "protective_stops", "false") == "true";
  if (auto slip = bt::parse_slippage(text(e.slippage, "slippage", "0")); check(slip.status())) {
    c.slippage = *slip;
  }
  if (auto cap = parse_number(text(e.volume_cap, "volume_cap", "0"), "--volume-cap");
      check(cap.status())) {
    c.volume_cap = *cap;
  }
  if (auto product = parse_product(text(e.product, "product", "CNC"));
      check(product.ok() ? Status()
                         : error(ErrorCode::kInvalidArgument, "--product must be CNC or MIS"))) {
    c.product = *product;
  }
  if (auto cash = parse_money(text(e.cash, "cash", "10000000"), "--cash"); check(cash.status())) {
    c.starting_cash = *cash;
  }
  if (auto most =
          parse_integer(text(e.max_positions, "max_open_positions", "0"), "--max-positions");
      check(most.status())) {
    c.max_open_positions = static_cast<int>(std::clamp<std::int64_t>(*most, -1, 1'000'000));
  }
  if (auto value = parse_money(text(e.max_position_value, "max_position_value", "0"),
                               "--max-position-value");
      check(value.status())) {
    c.max_position_value = *value;
  }
  c.close_at_end = e.close_at_end || text("", "close_at_end", "false") == "true";
  if (auto rf = parse_number(text(e.risk_free_rate, "risk_free_rate", "0"), "--risk-free-rate");
      check(rf.status())) {
    setup.risk_free_rate = *rf;
  }
  cost_spec = text(e.costs, "costs", "zero");
  if (read.failed()) return read.failed();
  if (Status valid = bt::validate(c); !valid.ok()) return usage(valid);
  return std::nullopt;
}

std::optional<Failure> make_costs(const std::string& cost_spec, Setup& setup) {
  Result<std::unique_ptr<costs::CostModel>> model = costs::make_cost_model(cost_spec);
  if (!model.ok()) {
    if (model.status().code() == ErrorCode::kInvalidArgument) return usage(model.status());
    return Failure{kExitConfigError, "config_error", model.status()};
  }
  setup.costs = std::move(model).value();
  return std::nullopt;
}

// --risk FILE: the risk engine's configuration, and the calendar its daily-loss halts end by.
std::optional<Failure> load_risk(const std::string& path, Setup& setup, const Logger& log) {
  Result<risk::RiskConfig> risk = bt::load_backtest_risk_config(path);
  if (!risk.ok()) return Failure{kExitConfigError, "config_error", risk.status()};
  setup.risk = std::move(risk).value();
  setup.risk_source = path;
  // Loaded as sm-risk loads it, also without session checks: the daily-loss halts end at the
  // next session's start, which only the calendar knows (without it they wait for a person).
  Result<time::Calendar> calendar = time::Calendar::load_default();
  if (calendar.ok()) {
    setup.calendar = std::move(calendar).value();
  } else {
    log.warn("calendar_unavailable",
             {{"message", calendar.status().message()},
              {"effect", setup.risk->session_checks
                             ? "with risk.session_checks on, every order is denied"
                             : "daily-loss halts last until a person resumes"}});
  }
  return std::nullopt;
}

std::optional<Failure> make_strategy_spec(const StrategyArgs& strategy, Setup& setup) {
  if (strategy.name.empty())
    return usage(error(ErrorCode::kInvalidArgument, "--strategy is required"));
  Result<nlohmann::json> params = strategy::parse_param_flags(strategy.params);
  if (!params.ok()) return usage(params.status());
  setup.strategy.name = strategy.name;
  setup.strategy.id = strategy.id;
  setup.strategy.params = *params;
  // Made once here so that a bad name or parameter is a usage error before any data is read.
  auto made = strategy::make_strategy(strategy.name, *params);
  if (!made.ok()) return usage(made.status());
  return std::nullopt;
}

std::optional<Failure> build_setup(const CommonArgs& common, const StrategyArgs& strategy,
                                   const EngineArgs& e, Setup& setup, const Logger& log) {
  Result<Config> config = load_config(common.config_path, log);
  if (!config.ok()) return Failure{kExitConfigError, "config_error", config.status()};
  Result<nlohmann::json> section = config->get_section("backtest");
  if (!section.ok()) return Failure{kExitConfigError, "config_error", section.status()};
  SettingReader read(*section, config->source());
  std::string cost_spec;
  if (auto bad = read_engine_settings(e, read, setup, cost_spec)) return bad;
  if (auto bad = make_costs(cost_spec, setup)) return bad;
  if (!e.risk_config.empty()) {
    if (auto bad = load_risk(e.risk_config, setup, log)) return bad;
  }
  return make_strategy_spec(strategy, setup);
}

// What to read: the flags, the bundled corporate actions unless a file is given, and the run's
// start as the newest bar time allowed.
std::optional<Failure> data_source(const CommonArgs& common, const DataArgs& d, const Logger& log,
                                   history::DataSource& source) {
  source.files = d.files;
  source.db_path = common.db_path;
  source.symbols = d.symbols;
  source.timeframe = d.timeframe;
  source.from = d.from;
  source.to = d.to;
  source.corporate_actions = d.corporate_actions;
  source.adjust = d.adjust;
  if (source.corporate_actions.empty()) {
    // The bundled actions (docs/CORPORATE_ACTIONS.md); without them prices are used as printed.
    Result<std::string> bundled = corporate_actions_default_path();
    if (bundled.ok()) {
      source.corporate_actions = *bundled;
    } else {
      log.warn("no_corporate_actions",
               {{"message", bundled.status().message()}, {"effect", "prices are used as printed"}});
      source.adjust = false;
    }
  }
  // Research data was recorded before the run began: a bar stamped later is refused.
  source.not_after = time::SystemClock().now_ms();
  Result<double> drop = parse_number(d.drop_threshold_percent, "--drop-threshold");
  if (!drop.ok()) return usage(drop.status());
  if (!(*drop > 0 && *drop < 100)) {
    return usage(
        error(ErrorCode::kInvalidArgument, "--drop-threshold must be in (0, 100) percent"));
  }
  source.drop_fraction = *drop / 100;
  return std::nullopt;
}

Failure load_failure(const Status& status) {
  const ErrorCode code = status.code();
  if (code == ErrorCode::kInvalidArgument) return usage(status);
  if (code == ErrorCode::kDatabaseError) return Failure{kExitFailure, "database_error", status};
  return Failure{kExitDataError, "data_error", status};
}

void log_loaded(const Logger& log, const history::LoadedData& loaded) {
  log.info("data_loaded", {{"inputs", loaded.inputs},
                           {"symbols", loaded.data.series().size()},
                           {"bars", loaded.bars},
                           {"issues", loaded.issue_counts}});
}

// threads: CSV files are parsed on them (a sweep's, 0: one per core).
std::optional<Failure> load(const CommonArgs& common, const DataArgs& d, unsigned threads,
                            const Logger& log, history::LoadedData& out) {
  history::DataSource source;
  if (auto bad = data_source(common, d, log, source)) return bad;
  source.threads = threads;
  Result<history::LoadedData> loaded = history::load_data(source, log);
  if (!loaded.ok()) return load_failure(loaded.status());
  out = std::move(loaded).value();
  log_loaded(log, out);
  return std::nullopt;
}

// The bars of one run, read as the run goes: from the database (DatabaseBarStream) or CSV files
// (CsvBarStream). What loading found is complete once the run has read the last bar (finish).
class RunBars {
 public:
  std::optional<Failure> open(const CommonArgs& common, const DataArgs& d, const Logger& log) {
    history::DataSource source;
    if (auto bad = data_source(common, d, log, source)) return bad;
    if (!d.files.empty()) {
      Result<std::unique_ptr<history::CsvBarStream>> stream =
          history::CsvBarStream::open(source, log);
      if (!stream.ok()) return load_failure(stream.status());
      csv_ = std::move(stream).value();
      return std::nullopt;
    }
    Result<std::unique_ptr<history::DatabaseBarStream>> stream =
        history::DatabaseBarStream::open(source, log);
    if (!stream.ok()) return load_failure(stream.status());
    database_ = std::move(stream).value();
    return std::nullopt;
  }
  bt::BarFeed& feed() {
    if (csv_) return *csv_;
    return *database_;
  }
  // After the run: what loading found (data holds each symbol's daily last bars, which is all
  // the reports read of it).
  std::optional<Failure> finish(const Logger& log) {
    Result<history::LoadedData> loaded = csv_ ? csv_->finish() : database_->finish();
    if (!loaded.ok()) return load_failure(loaded.status());
    loaded_ = std::move(loaded).value();
    log_loaded(log, loaded_);
    return std::nullopt;
  }
  const history::LoadedData& loaded() const { return loaded_; }

 private:
  history::LoadedData loaded_;
  std::unique_ptr<history::CsvBarStream> csv_;
  std::unique_ptr<history::DatabaseBarStream> database_;
};

// Written beside and renamed, so a reader never sees half a report.
Status write_file(const std::filesystem::path& path, const std::string& text) {
  ReportFile file;
  SM_RETURN_IF_ERROR(file.open(path));
  SM_RETURN_IF_ERROR(file.write(text));
  return file.finish();
}

// trades.ndjson written through the file's bounded buffer, not as one text of every trade.
Status write_trades_file(const std::filesystem::path& path, const bt::BacktestResult& result) {
  ReportFile file;
  SM_RETURN_IF_ERROR(file.open(path));
  for (const bt::TradeRecord& trade : result.trades) {
    bt::append_trade_line(file.buffer(), trade);
    SM_RETURN_IF_ERROR(file.flush_if_full());
  }
  file.buffer() += bt::open_positions_ndjson(result);
  return file.finish();
}

Status make_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(ErrorCode::kIoError, fmt::format("cannot create {}: {}", dir, ec.message()));
  return Status();
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string quality_ndjson(const std::vector<bt::QualityIssue>& issues) {
  std::string out;
  for (const bt::QualityIssue& q : issues) {
    JsonObjectWriter w(out);
    w.string("type", "data_quality")
        .string("symbol", q.symbol)
        .timestamp("ts", q.ts)
        .string("date", format_date(ist_date(q.ts)))
        .string("kind", q.kind)
        .string("detail", q.detail)
        .string("action", q.action);
    w.finish();
    out += '\n';
  }
  return out;
}

std::string events_ndjson(const std::vector<Message>& events) {
  std::string out;
  for (const Message& m : events) {
    append_json(out, m);
    out += '\n';
  }
  return out;
}

// The HTML report written as it is rendered, its trades and fills read from where the run sent
// them (spilled), so the page is never held whole.
Status write_html_file(const std::filesystem::path& path, const bt::BacktestResult& result,
                       const bt::Summary& summary, const bt::RunInfo& info,
                       const bt::HtmlOptions& options, bt::SpilledRecords& spilled) {
  HtmlFile file;
  SM_RETURN_IF_ERROR(file.open(path));
  SM_RETURN_IF_ERROR(bt::write_html(result, summary, info, options, &spilled, file));
  return file.finish();
}

// streamed: the records a run sent to files as it went (RecordFiles): the signal, fill, equity
// and trade files are written, and the HTML report reads the trades and fills back from them.
// Without it they are all in result.
std::optional<Failure> write_reports(const std::string& dir, const bt::BacktestResult& result,
                                     const bt::Summary& summary, const bt::RunInfo& info,
                                     const history::LoadedData& loaded, const std::string& title,
                                     const std::vector<Message>& gate_events,
                                     bt::SpilledRecords* streamed = nullptr) {
  if (Status made = make_directory(dir); !made.ok())
    return Failure{kExitFailure, "output_error", made};
  const std::filesystem::path base(dir);
  bt::HtmlOptions html;
  html.title = title;
  html.quality = loaded.quality;
  html.data = &loaded.data;
  // Each file is made, written and let go before the next, so only one is in memory at a time.
  using Render = std::function<std::string()>;
  std::vector<std::pair<const char*, Render>> files;
  if (streamed == nullptr) {
    files.emplace_back("fills.ndjson", [&] { return bt::fills_ndjson(result); });
    files.emplace_back("signals.ndjson", [&] { return bt::signals_ndjson(result); });
    files.emplace_back("equity.csv", [&] { return bt::equity_csv(result); });
  }
  files.emplace_back("summary.json",
                     [&] { return bt::summary_json(result, summary, info) + "\n"; });
  files.emplace_back("summary.txt", [&] { return bt::summary_table(result, summary, info); });
  files.emplace_back("data_quality.ndjson", [&] { return quality_ndjson(loaded.quality); });
  files.emplace_back("risk_events.ndjson", [&] { return events_ndjson(gate_events); });
  if (streamed == nullptr) {
    files.emplace_back("report.html", [&] { return bt::render_html(result, summary, info, html); });
  }
  for (const auto& [name, render] : files) {
    if (Status written = write_file(base / name, render()); !written.ok()) {
      return Failure{kExitFailure, "output_error", written};
    }
  }
  Status written =
      streamed != nullptr
          ? write_html_file(base / "report.html", result, summary, info, html, *streamed)
          // The trades as one text would be about 500 bytes per round trip.
          : write_trades_file(base / "trades.ndjson", result);
  if (!written.ok()) return Failure{kExitFailure, "output_error", written};
  return std::nullopt;
}

// Where a run's records go: nowhere when only the summary is printed; else to their files in
// --out as the run makes them, or for --format ndjson alone to a scratch directory that stdout
// is then copied from (the records come after each other there, not interleaved as made).
class RunRecords {
 public:
  ~RunRecords() {
    files_.reset();
    std::error_code ignored;
    if (!scratch_.empty()) std::filesystem::remove_all(scratch_, ignored);
  }
  std::optional<Failure> open(const OutputArgs& output, const std::vector<std::string>& symbols,
                              Paise starting_cash) {
    if (output.out_dir.empty() && output.format != "ndjson") return std::nullopt;
    std::filesystem::path dir = output.out_dir;
    if (dir.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "sm-backtest-records.XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) {
        return Failure{kExitFailure, "output_error",
                       error(ErrorCode::kIoError, "cannot make a scratch directory")};
      }
      dir = scratch_ = pattern;
    } else if (Status made = make_directory(output.out_dir); !made.ok()) {
      return Failure{kExitFailure, "output_error", made};
    }
    files_ = std::make_unique<RecordFiles>();
    const std::size_t charted = bt::HtmlOptions{}.max_price_charts;
    if (Status opened = files_->open(dir, symbols, starting_cash, charted); !opened.ok()) {
      return Failure{kExitFailure, "output_error", opened};
    }
    return std::nullopt;
  }
  // Null when only the summary is printed.
  bt::RecordSink* sink() { return files_.get(); }
  // After the run: trades.ndjson gets the open positions and the files get their names.
  std::optional<Failure> finish(const bt::BacktestResult& result) {
    if (!files_) return std::nullopt;
    if (Status done = files_->finish(result); !done.ok()) {
      return Failure{kExitFailure, "output_error", done};
    }
    return std::nullopt;
  }
  // Where the reports read the trades and fill marks back; null when nothing was recorded.
  bt::SpilledRecords* spilled() { return files_.get(); }
  // Prints signals.ndjson, fills.ndjson and trades.ndjson (--format ndjson).
  std::optional<Failure> print_records() const {
    for (const char* name : {"signals.ndjson", "fills.ndjson", "trades.ndjson"}) {
      if (Status copied = files_->copy_to(name, stdout); !copied.ok()) {
        return Failure{kExitFailure, "output_error", copied};
      }
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<RecordFiles> files_;
  std::filesystem::path scratch_;
};

std::optional<Failure> check_format(const std::string& format) {
  if (format == "table" || format == "json" || format == "ndjson") return std::nullopt;
  return usage(error(ErrorCode::kInvalidArgument,
                     fmt::format("--format '{}' is not table, json or ndjson", format)));
}

bt::RunInfo run_info(const history::LoadedData& loaded) {
  bt::RunInfo info;
  info.inputs = loaded.inputs;
  info.data_issues = loaded.issue_counts;
  info.corporate_actions_applied = loaded.corporate_actions_applied;
  info.corporate_actions_file = loaded.corporate_actions_file;
  info.adjusted = loaded.adjusted;
  info.applied = loaded.applied;
  return info;
}

std::string default_title(const Setup& setup, const history::LoadedData& loaded) {
  std::string symbols;
  for (const bt::SymbolSeries& s : loaded.data.series()) {
    if (!symbols.empty()) symbols += ", ";
    if (symbols.size() > 60) {
      symbols += "...";
      break;
    }
    symbols += s.symbol;
  }
  return fmt::format("{} on {}",
                     setup.strategy.id.empty() ? setup.strategy.name : setup.strategy.id, symbols);
}

std::optional<Failure> run_failure(const Status& status) {
  // Parameters were checked up front, so an invalid argument now is a bar the strategy refused.
  if (status.code() == ErrorCode::kInvalidArgument)
    return Failure{kExitDataError, "data_error", status};
  return Failure{kExitFailure, "backtest_failed", status};
}

Result<std::vector<bt::ParamAxis>> parse_grid(const std::vector<std::string>& texts) {
  std::vector<bt::ParamAxis> axes;
  for (const std::string& text : texts) {
    Result<bt::ParamAxis> axis = bt::parse_axis(text);
    if (!axis.ok()) return axis.status();
    axes.push_back(std::move(axis).value());
  }
  return axes;
}

// What a sweep and a walk-forward run over: the set-up, the data, the grid's parameter sets and
// the options for running them. The gate factory points into setup: a plan stays where it is made.
struct SweepPlan {
  Setup setup;
  history::LoadedData loaded;
  std::vector<nlohmann::json> sets;
  bt::SweepOptions options;
};

std::optional<Failure> plan_sweep(const SweepArgs& args, const std::vector<bt::ParamAxis>& axes,
                                  const Logger& log, SweepPlan& plan) {
  if (auto bad = build_setup(args.common, args.strategy, args.engine, plan.setup, log)) return bad;
  if (auto bad = load(args.common, args.data, args.threads, log, plan.loaded)) return bad;
  plan.sets = bt::expand_grid(plan.setup.strategy.params, axes);
  plan.options.threads = args.threads;
  plan.options.risk_free_rate = plan.setup.risk_free_rate;
  plan.options.gate = plan.setup.gate_factory();
  plan.options.progress = args.common.progress.update;
  return std::nullopt;
}

// The ranked rows of a sweep (or of merged shards): the table or NDJSON on stdout, and with
// --out both as sweep.txt and sweep.ndjson.
std::optional<Failure> print_sweep(const std::vector<bt::SweepRow>& rows, bt::Metric metric,
                                   const OutputArgs& output, std::size_t top) {
  const std::vector<std::size_t> order = bt::rank_rows(rows, metric);
  const std::string table = bt::sweep_table(rows, order, metric, top);
  const std::string ndjson = bt::sweep_ndjson(rows, order, metric);
  if (!output.out_dir.empty()) {
    if (Status made = make_directory(output.out_dir); !made.ok()) {
      return Failure{kExitFailure, "output_error", made};
    }
    const std::filesystem::path base(output.out_dir);
    for (const auto& [name, text] :
         {std::pair<const char*, const std::string&>{"sweep.ndjson", ndjson},
          std::pair<const char*, const std::string&>{"sweep.txt", table}}) {
      if (Status written = write_file(base / name, text); !written.ok()) {
        return Failure{kExitFailure, "output_error", written};
      }
    }
  }
  print(output.format == "table" ? table : ndjson);
  return std::nullopt;
}

// The whole of a file, or of stdin for "-".
Result<std::string> read_input(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return error(ErrorCode::kNotFound, fmt::format("cannot open {}", path));
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return error(ErrorCode::kIoError, fmt::format("cannot read {}", path));
  return text;
}

}  // namespace

int run_backtest_command(const RunArgs& args, const Logger& log) {
  if (auto bad = check_format(args.output.format)) return report(log, *bad);
  Setup setup;
  if (auto bad = build_setup(args.common, args.strategy, args.engine, setup, log)) {
    return report(log, *bad);
  }
  RunBars bars;
  if (auto bad = bars.open(args.common, args.data, log)) return report(log, *bad);

  std::unique_ptr<bt::SignalGate> gate;
  bt::RiskGate* risk_gate = nullptr;
  if (setup.risk) {
    auto made = std::make_unique<bt::RiskGate>(
        *setup.risk, setup.calendar ? &*setup.calendar : nullptr, setup.risk_source);
    risk_gate = made.get();
    gate = std::move(made);
  } else {
    gate = std::make_unique<bt::ApproveAll>();
  }
  RunRecords records;
  if (auto bad = records.open(args.output, bars.feed().symbols(), setup.engine.starting_cash)) {
    return report(log, *bad);
  }
  bt::EngineConfig engine = setup.engine;
  // The round trips go to the records (trades.ndjson and a file the HTML report reads back);
  // the metrics read only their totals.
  engine.keep_trades = false;
  // The summary alone reads no detail record: the run makes none, as a sweep's run does (the
  // metrics are the same), which lets the engine's fast path keep the equity in locals.
  engine.record_details = records.sink() != nullptr;
  Result<bt::BacktestResult> result =
      bt::run_backtest(bars.feed(), {setup.strategy}, engine, *setup.costs, *gate, records.sink());
  if (!result.ok()) return report(log, *run_failure(result.status()));
  if (auto bad = bars.finish(log)) return report(log, *bad);
  if (auto bad = records.finish(*result)) return report(log, *bad);
  const history::LoadedData& loaded = bars.loaded();
  const bt::Summary summary = bt::summarize(*result, setup.risk_free_rate);
  const bt::RunInfo info = run_info(loaded);
  static const std::vector<Message> kNone;
  const std::vector<Message>& gate_events = risk_gate ? risk_gate->events() : kNone;
  if (!gate_events.empty()) {
    log.info("risk_events", {{"count", gate_events.size()}});
  }

  if (!args.output.out_dir.empty()) {
    const std::string title =
        args.output.title.empty() ? default_title(setup, loaded) : args.output.title;
    if (auto bad = write_reports(args.output.out_dir, *result, summary, info, loaded, title,
                                 gate_events, records.spilled())) {
      return report(log, *bad);
    }
    log.info("reports_written", {{"dir", args.output.out_dir}});
  }
  if (args.output.format == "table") {
    print(bt::summary_table(*result, summary, info));
  } else if (args.output.format == "json") {
    print(bt::summary_json(*result, summary, info) + "\n");
  } else {
    if (auto bad = records.print_records()) return report(log, *bad);
    print(events_ndjson(gate_events) + bt::summary_json(*result, summary, info) + "\n");
  }
  log.info("backtest_done", {{"bars", result->bars},
                             {"signals", result->signal_count},
                             {"fills", result->fill_count},
                             {"trades", result->trade_totals.trades},
                             {"net_pnl", format_rupees(summary.net_pnl)}});
  return kExitOk;
}

int run_sweep_command(const SweepArgs& args, const Logger& log) {
  if (auto bad = check_format(args.output.format)) return report(log, *bad);
  Result<bt::Metric> metric = bt::parse_metric(args.rank_by);
  if (!metric.ok()) return report(log, usage(metric.status()));
  Result<std::vector<bt::ParamAxis>> axes = parse_grid(args.grid);
  if (!axes.ok()) return report(log, usage(axes.status()));
  if (axes->empty()) {
    return report(log, usage(error(ErrorCode::kInvalidArgument, "give at least one --grid")));
  }
  bt::Shard shard;
  if (!args.shard.empty()) {
    Result<bt::Shard> parsed = bt::parse_shard(args.shard);
    if (!parsed.ok()) return report(log, usage(parsed.status()));
    shard = *parsed;
  }
  SweepPlan plan;
  if (auto bad = plan_sweep(args, *axes, log, plan)) return report(log, *bad);
  const Setup& setup = plan.setup;
  const history::LoadedData& loaded = plan.loaded;
  // A shard runs its slice of the grid; its rows keep their positions in the whole grid.
  const bt::GridSlice slice = bt::shard_slice(plan.sets.size(), shard);
  const std::vector<nlohmann::json> sets(
      plan.sets.begin() + static_cast<std::ptrdiff_t>(slice.begin),
      plan.sets.begin() + static_cast<std::ptrdiff_t>(slice.end));
  plan.options.first_index = slice.begin;
  log.info("sweep_started", {{"runs", sets.size()},
                             {"threads", args.threads},
                             {"shard", fmt::format("{}/{}", shard.number, shard.count)},
                             {"grid_size", plan.sets.size()},
                             {"first_index", slice.begin}});
  std::vector<bt::SweepRow> rows =
      bt::run_sweep(loaded.data, setup.strategy, sets, setup.engine, *setup.costs, plan.options);
  if (args.common.progress.finish) args.common.progress.finish();
  std::size_t failed = 0;
  for (const bt::SweepRow& row : rows) {
    if (!row.status.ok()) {
      ++failed;
      log.warn("sweep_run_failed", {{"params", row.params},
                                    {"code", error_code_name(row.status.code())},
                                    {"message", row.status.message()}});
    }
  }
  if (auto bad = print_sweep(rows, *metric, args.output, args.top)) return report(log, *bad);
  log.info("sweep_done", {{"runs", rows.size()}, {"failed", failed}});
  return kExitOk;
}

int run_merge_command(const MergeArgs& args, const Logger& log) {
  if (auto bad = check_format(args.output.format)) return report(log, *bad);
  std::optional<bt::Metric> rank_by;
  if (!args.rank_by.empty()) {
    Result<bt::Metric> metric = bt::parse_metric(args.rank_by);
    if (!metric.ok()) return report(log, usage(metric.status()));
    rank_by = *metric;
  }
  const std::vector<std::string> inputs =
      args.files.empty() ? std::vector<std::string>{"-"} : args.files;
  std::vector<bt::SweepRow> all;
  std::optional<bt::Metric> ranked;  // the metric the inputs were ranked by
  for (const std::string& input : inputs) {
    Result<std::string> text = read_input(input);
    if (!text.ok()) return report(log, Failure{kExitDataError, "data_error", text.status()});
    Result<std::vector<bt::SweepRow>> rows =
        bt::parse_sweep_ndjson(*text, input == "-" ? "stdin" : input, ranked);
    if (!rows.ok()) return report(log, Failure{kExitDataError, "data_error", rows.status()});
    for (bt::SweepRow& row : *rows) all.push_back(std::move(row));
  }
  Result<std::vector<bt::SweepRow>> merged = bt::merge_sweep_rows(std::move(all));
  if (!merged.ok()) return report(log, Failure{kExitDataError, "data_error", merged.status()});
  if (merged->empty()) {
    return report(log, Failure{kExitDataError, "data_error",
                               error(ErrorCode::kParseError, "no sweep_result lines to merge")});
  }
  // Positions no input holds: a shard missing or still running. Reported, not fatal, so that
  // the shards done so far can be looked at.
  std::size_t missing = merged->back().index + 1 - merged->size();
  if (missing > 0) {
    log.warn("merge_incomplete", {{"missing", missing},
                                  {"rows", merged->size()},
                                  {"message", "some grid positions are in no input"}});
  }
  const bt::Metric metric = rank_by ? *rank_by : *ranked;
  if (auto bad = print_sweep(*merged, metric, args.output, args.top)) return report(log, *bad);
  log.info("merge_done", {{"inputs", inputs.size()}, {"rows", merged->size()}});
  return kExitOk;
}

int run_walk_forward_command(const SweepArgs& args, const Logger& log) {
  if (auto bad = check_format(args.output.format)) return report(log, *bad);
  Result<bt::Metric> metric = bt::parse_metric(args.rank_by);
  if (!metric.ok()) return report(log, usage(metric.status()));
  Result<std::vector<bt::ParamAxis>> axes = parse_grid(args.grid);
  if (!axes.ok()) return report(log, usage(axes.status()));
  if (args.in_sample == 0 || args.out_sample == 0) {
    return report(log, usage(error(ErrorCode::kInvalidArgument,
                                   "--in-sample and --out-sample must be at least 1 bar")));
  }
  SweepPlan plan;
  if (auto bad = plan_sweep(args, *axes, log, plan)) return report(log, *bad);
  const Setup& setup = plan.setup;
  const history::LoadedData& loaded = plan.loaded;
  bt::WalkForwardOptions walk;
  walk.in_sample_bars = args.in_sample;
  walk.out_sample_bars = args.out_sample;
  walk.anchored = args.anchored;
  walk.metric = *metric;
  Result<bt::WalkForwardResult> result = bt::run_walk_forward(
      loaded.data, setup.strategy, plan.sets, setup.engine, *setup.costs, walk, plan.options);
  if (args.common.progress.finish) args.common.progress.finish();
  if (!result.ok()) {
    if (result.status().code() == ErrorCode::kInvalidArgument) {
      return report(log, Failure{kExitDataError, "data_error", result.status()});
    }
    return report(log, Failure{kExitFailure, "walk_forward_failed", result.status()});
  }
  const bt::RunInfo info = run_info(loaded);
  const std::string windows = bt::walk_forward_ndjson(*result, *metric);
  if (!args.output.out_dir.empty()) {
    const std::string title = args.output.title.empty()
                                  ? "Walk-forward (out of sample): " + default_title(setup, loaded)
                                  : args.output.title;
    if (auto bad = write_reports(args.output.out_dir, result->stitched, result->summary, info,
                                 loaded, title, {})) {
      return report(log, *bad);
    }
    if (Status written =
            write_file(std::filesystem::path(args.output.out_dir) / "walk_forward.ndjson", windows);
        !written.ok()) {
      return report(log, Failure{kExitFailure, "output_error", written});
    }
  }
  if (args.output.format == "table") {
    print(bt::walk_forward_table(*result, *metric));
  } else if (args.output.format == "json") {
    print(bt::summary_json(result->stitched, result->summary, info) + "\n");
  } else {
    print(windows + bt::summary_json(result->stitched, result->summary, info) + "\n");
  }
  log.info("walk_forward_done", {{"windows", result->windows.size()},
                                 {"net_pnl", format_rupees(result->summary.net_pnl)}});
  return kExitOk;
}

}  // namespace sm::backtest_program
