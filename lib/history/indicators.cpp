#include "history/indicators.h"

#include <fmt/format.h>

#include <cstdio>
#include <iterator>
#include <optional>

#include "core/exit_codes.h"
#include "core/json_writer.h"
#include "history/loader.h"
#include "strategy/indicator_columns.h"

namespace sm::history {
namespace {

// The flags' values that no indicator or loader checks.
Status check_output_flags(const IndicatorArgs& args) {
  if (args.indicators.empty()) {
    return error(ErrorCode::kInvalidArgument, "give at least one --indicator, e.g. sma:20");
  }
  if (args.format != "csv" && args.format != "ndjson") {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("--format '{}' is not csv or ndjson", args.format));
  }
  if (args.decimals < 0 || args.decimals > 17) {
    return error(ErrorCode::kInvalidArgument, "--decimals must be in [0, 17]");
  }
  return Status();
}

// The bars, or the exit code of a failure (logged).
std::optional<int> load_bars(const IndicatorArgs& args, const Logger& log, LoadedData& out) {
  DataSource source;
  source.files = args.files;
  source.db_path = args.db_path;
  source.symbols = args.symbols;
  source.timeframe = args.timeframe;
  source.from = args.from;
  source.to = args.to;
  Result<LoadedData> loaded = load_data(source, log);
  if (!loaded.ok()) {
    const ErrorCode code = loaded.status().code();
    if (code == ErrorCode::kInvalidArgument) return report_usage_error(log, loaded.status());
    if (code == ErrorCode::kDatabaseError)
      return report_failure(log, "database_error", loaded.status(), kExitFailure);
    return report_failure(log, "data_error", loaded.status(), kExitDataError);
  }
  out = std::move(loaded).value();
  return std::nullopt;
}

// Dates when every series is daily, else IST times.
bool all_daily(const LoadedData& loaded) {
  for (const auto& series : loaded.data.series()) {
    if (!series.bars.empty() && !series.bars.front().timeframe.is_daily()) return false;
  }
  return true;
}

std::string csv_header(bool daily, const std::vector<std::string>& names) {
  std::string out = daily ? "date" : "ts";
  out += ",symbol,open,high,low,close";
  for (const std::string& name : names) out += "," + name;
  out += '\n';
  return out;
}

void append_csv_row(std::string& out, const Bar& bar,
                    const std::vector<std::optional<double>>& values, bool daily, int decimals) {
  if (daily)
    out += format_date(ist_date(bar.ts));
  else
    out += format_ist(bar.ts, false);
  fmt::format_to(std::back_inserter(out), ",{},{},{},{},{}", bar.symbol, format_rupees(bar.open),
                 format_rupees(bar.high), format_rupees(bar.low), format_rupees(bar.close));
  for (const std::optional<double>& v : values) {
    out += ',';
    if (v) fmt::format_to(std::back_inserter(out), "{:.{}f}", *v, decimals);
  }
  out += '\n';
}

void append_ndjson_row(std::string& out, const Bar& bar,
                       const std::vector<std::optional<double>>& values,
                       const std::vector<std::string>& names) {
  JsonObjectWriter w(out);
  w.string("type", "indicators")
      .timestamp("ts", bar.ts)
      .string("symbol", bar.symbol)
      .string("timeframe", format_timeframe(bar.timeframe))
      .rupees("open", bar.open)
      .rupees("high", bar.high)
      .rupees("low", bar.low)
      .rupees("close", bar.close);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (values[i])
      w.number(names[i], *values[i]);
    else
      w.raw(names[i], "null");
  }
  w.finish();
  out += '\n';
}

// Writes the rows to stdout in blocks of about 64 KiB; each series gets fresh indicators.
void write_rows(const IndicatorArgs& args, const LoadedData& loaded,
                const std::vector<std::string>& names) {
  const bool csv = args.format == "csv";
  const bool daily = all_daily(loaded);
  std::string out = csv ? csv_header(daily, names) : std::string();
  std::vector<std::optional<double>> values;
  auto flush = [&](bool force) {
    if (!force && out.size() < (1 << 16)) return;
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  };
  for (const auto& series : loaded.data.series()) {
    Result<strategy::IndicatorColumns> columns = strategy::IndicatorColumns::make(args.indicators);
    for (const Bar& bar : series.bars) {
      columns->update(bar, values);
      if (csv) {
        append_csv_row(out, bar, values, daily, args.decimals);
      } else {
        append_ndjson_row(out, bar, values, columns->names());
      }
      flush(false);
    }
  }
  flush(true);
  std::fflush(stdout);
}

}  // namespace

int run_indicators(const IndicatorArgs& args, const Logger& log) {
  if (Status checked = check_output_flags(args); !checked.ok())
    return report_usage_error(log, checked);
  // Made once before any data is read, so that an unknown indicator is a usage error.
  Result<strategy::IndicatorColumns> probe = strategy::IndicatorColumns::make(args.indicators);
  if (!probe.ok()) return report_usage_error(log, probe.status());
  LoadedData loaded;
  if (std::optional<int> failed = load_bars(args, log, loaded)) return *failed;
  write_rows(args, loaded, probe->names());
  log.info("indicators_done", {{"bars", loaded.bars}, {"columns", probe->names()}});
  return kExitOk;
}

}  // namespace sm::history
