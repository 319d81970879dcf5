#include "backtest/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <functional>
#include <mutex>
#include <thread>

#include "backtest/report.h"
#include "core/json_writer.h"
#include "core/parallel_parts.h"

namespace sm::backtest {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::optional<nlohmann::json> parse_value(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return nlohmann::json(std::string(text));  // a bare word: a string
  if (!value.is_number() && !value.is_string() && !value.is_boolean()) return std::nullopt;
  return value;
}

std::string params_text(const nlohmann::json& params) {
  if (!params.is_object()) return params.dump();
  std::string out;
  for (const auto& [key, value] : params.items()) {
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

// Only the named parameters (those the grid varies), for compact tables; all of them when none
// is named (a one-point grid).
std::string named_params_text(const nlohmann::json& params, const std::vector<std::string>& names) {
  if (!params.is_object() || names.empty()) return params_text(params);
  std::string out;
  for (const auto& [key, value] : params.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) continue;
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out.empty() ? params_text(params) : out;
}

std::vector<std::string> varied_names(const std::vector<SweepRow>& rows) {
  std::vector<nlohmann::json> sets;
  sets.reserve(rows.size());
  for (const SweepRow& row : rows) sets.push_back(row.params);
  return swept_parameter_names(sets);
}

// A metric's value (as metric_value gives it) in the units the tables use for it: rupees for
// net P&L, percent for returns, rates and drawdown, a plain ratio for the rest.
std::string format_metric_value(Metric metric, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "-";
  switch (metric) {
    case Metric::kNetPnl:
      return format_rupees_grouped(static_cast<Paise>(std::llround(*value)));
    case Metric::kCagr:
    case Metric::kTotalReturn:
    case Metric::kWinRate:
      return format_percent(value);
    case Metric::kMaxDrawdown:
      return format_percent(-*value);  // ranked as its negation, so smaller drawdowns rank first
    case Metric::kSharpe:
    case Metric::kSortino:
    case Metric::kCalmar:
    case Metric::kProfitFactor:
      return format_ratio(value);
  }
  return "-";
}

// The sweep table's fixed columns after rank, params and the ranked metric; a column showing the
// ranked metric itself is left out so no figure appears twice.
struct SummaryColumn {
  std::string_view header;
  std::optional<Metric> metric;  // the metric this column shows, if it is one
  std::string (*format)(const Summary&);
};

constexpr SummaryColumn kSummaryColumns[] = {
    {"net_pnl", Metric::kNetPnl, [](const Summary& s) { return format_rupees_grouped(s.net_pnl); }},
    {"return", Metric::kTotalReturn,
     [](const Summary& s) { return format_percent(s.total_return); }},
    {"cagr", Metric::kCagr, [](const Summary& s) { return format_percent(s.cagr); }},
    {"max_dd", Metric::kMaxDrawdown,
     [](const Summary& s) { return format_percent(s.max_drawdown); }},
    {"sharpe", Metric::kSharpe, [](const Summary& s) { return format_ratio(s.sharpe); }},
    {"trades", std::nullopt, [](const Summary& s) { return std::to_string(s.trades); }},
    {"win_rate", Metric::kWinRate, [](const Summary& s) { return format_percent(s.win_rate); }},
};

SweepRow run_one(const MarketData& data, const StrategySpec& spec, const nlohmann::json& params,
                 const EngineConfig& config, const costs::CostModel& costs,
                 const SweepOptions& options) {
  SweepRow row;
  row.params = params;
  StrategySpec one = spec;
  one.params = params;
  std::unique_ptr<SignalGate> gate =
      options.gate ? options.gate() : std::unique_ptr<SignalGate>(new ApproveAll());
  EngineConfig quiet = config;
  quiet.record_details = false;
  // The summary reads only the trades' totals: no record (with its strings) per round trip.
  quiet.keep_trades = false;
  Result<BacktestResult> result = run_backtest(data, {one}, quiet, costs, *gate);
  if (!result.ok()) {
    row.status = result.status();
    return row;
  }
  row.summary = summarize(*result, options.risk_free_rate);
  return row;
}

// Runs task(0) .. task(count - 1), each once, on up to `threads` threads (0: one per core); each
// thread takes the next task not yet started, so the cores stay busy until the last one.
void run_tasks(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& task) {
  threads =
      std::max(1u, static_cast<unsigned>(std::min<std::size_t>(thread_count(threads), count)));
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) task(i);
  };
  if (threads <= 1) {
    work();
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  for (std::thread& thread : pool) thread.join();
}

void json_optional(JsonObjectWriter& w, std::string_view key, std::optional<double> value) {
  if (value)
    w.number(key, *value);
  else
    w.raw(key, "null");
}

// Rows of cells in columns as wide as their widest cell, two spaces apart, trailing spaces
// trimmed: left-aligned where left(column, columns) says so, right-aligned elsewhere.
std::string aligned_table(const std::vector<std::vector<std::string>>& cells,
                          const std::function<bool(std::size_t, std::size_t)>& left) {
  std::vector<std::size_t> widths(cells[0].size(), 0);
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], line[c].size());
  }
  std::string out;
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < line.size(); ++c) {
      if (c > 0) out += "  ";
      if (left(c, line.size()))
        out += fmt::format("{:<{}}", line[c], widths[c]);
      else
        out += fmt::format("{:>{}}", line[c], widths[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  return out;
}

}  // namespace

std::vector<std::string> swept_parameter_names(const std::vector<nlohmann::json>& param_sets) {
  std::vector<std::string> names;
  if (param_sets.size() < 2) return names;
  for (const nlohmann::json& set : param_sets) {
    if (!set.is_object()) continue;
    for (const auto& [key, value] : set.items()) {
      if (std::find(names.begin(), names.end(), key) != names.end()) continue;
      for (const nlohmann::json& other : param_sets) {
        if (!other.is_object() || !other.contains(key) || other[key] != value) {
          names.push_back(key);
          break;
        }
      }
    }
  }
  return names;
}

Result<ParamAxis> parse_axis(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return error(ErrorCode::kInvalidArgument, fmt::format("grid '{}': {}", text, why));
  };
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return bad("expected name=values");
  ParamAxis axis;
  axis.name = std::string(trim(text.substr(0, eq)));
  std::string_view values = text.substr(eq + 1);
  if (values.find(':') != std::string_view::npos) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
      std::size_t at = values.find(':', start);
      parts.push_back(values.substr(start, at == std::string_view::npos ? at : at - start));
      if (at == std::string_view::npos) break;
      start = at + 1;
    }
    if (parts.size() != 3) return bad("a range is start:stop:step");
    std::optional<nlohmann::json> v[3];
    for (int i = 0; i < 3; ++i) {
      v[i] = parse_value(parts[static_cast<std::size_t>(i)]);
      if (!v[i] || !v[i]->is_number()) return bad("range bounds and step must be numbers");
    }
    const bool integers =
        v[0]->is_number_integer() && v[1]->is_number_integer() && v[2]->is_number_integer();
    const double from = v[0]->get<double>(), to = v[1]->get<double>(), step = v[2]->get<double>();
    if (!(step > 0)) return bad("the step must be positive");
    if (to < from) return bad("the range ends before it starts");
    const double count = std::floor((to - from) / step + 1e-9) + 1;
    if (count > 100'000) return bad("more than 100000 values");
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) {
      if (integers) {
        axis.values.emplace_back(v[0]->get<std::int64_t>() + i * v[2]->get<std::int64_t>());
      } else {
        // Rounded to 10 decimals so 0.1 steps print as 0.3, not 0.30000000000000004.
        const double value = std::round((from + static_cast<double>(i) * step) * 1e10) / 1e10;
        axis.values.emplace_back(value);
      }
    }
    return axis;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t at = values.find(',', start);
    std::optional<nlohmann::json> v =
        parse_value(values.substr(start, at == std::string_view::npos ? at : at - start));
    if (!v) return bad("an empty or unusable value");
    axis.values.push_back(std::move(*v));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return axis;
}

std::vector<nlohmann::json> expand_grid(const nlohmann::json& base,
                                        const std::vector<ParamAxis>& axes) {
  std::vector<nlohmann::json> out{base.is_object() ? base : nlohmann::json::object()};
  for (const ParamAxis& axis : axes) {
    std::vector<nlohmann::json> next;
    next.reserve(out.size() * axis.values.size());
    for (const nlohmann::json& partial : out) {
      for (const nlohmann::json& value : axis.values) {
        nlohmann::json one = partial;
        one[axis.name] = value;
        next.push_back(std::move(one));
      }
    }
    out = std::move(next);
  }
  return out;
}

std::vector<SweepRow> run_sweep(const MarketData& data, const StrategySpec& spec,
                                const std::vector<nlohmann::json>& param_sets,
                                const EngineConfig& config, const costs::CostModel& costs,
                                const SweepOptions& options) {
  std::vector<SweepRow> rows(param_sets.size());
  std::size_t done = 0;
  std::mutex progress_mutex;
  // Task i writes only rows[i]: the output order is the grid order however the runs interleave.
  run_tasks(param_sets.size(), options.threads, [&](std::size_t i) {
    rows[i] = run_one(data, spec, param_sets[i], config, costs, options);
    rows[i].index = options.first_index + i;
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      options.progress(++done, param_sets.size());
    }
  });
  return rows;
}

Result<Shard> parse_shard(std::string_view text) {
  auto bad = [&] {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("--shard '{}' is not K/N with 1 <= K <= N (e.g. 2/3)", text));
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  auto number = [](std::string_view digits) -> std::optional<std::size_t> {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return value;
  };
  const std::optional<std::size_t> k = number(text.substr(0, slash));
  const std::optional<std::size_t> n = number(text.substr(slash + 1));
  if (!k || !n || *k < 1 || *k > *n || *n > 1'000'000) return bad();
  return Shard{*k, *n};
}

GridSlice shard_slice(std::size_t sets, const Shard& shard) {
  // Slice k covers [floor((k-1) * sets / N), floor(k * sets / N)): consecutive slices meet, and
  // their sizes are floor or ceil of sets / N.
  return GridSlice{(shard.number - 1) * sets / shard.count, shard.number * sets / shard.count};
}

std::vector<std::size_t> rank_rows(const std::vector<SweepRow>& rows, Metric metric) {
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) order[i] = i;
  auto key = [&](std::size_t i) -> std::optional<double> {
    if (!rows[i].status.ok()) return std::nullopt;
    std::optional<double> v = metric_value(rows[i].summary, metric);
    if (v && !std::isfinite(*v)) return std::nullopt;
    return v;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    std::optional<double> x = key(a), y = key(b);
    if (x.has_value() != y.has_value()) return x.has_value();
    if (!x) return false;
    return *x > *y;
  });
  return order;
}

std::string sweep_table(const std::vector<SweepRow>& rows, const std::vector<std::size_t>& order,
                        Metric metric, std::size_t top) {
  std::vector<const SummaryColumn*> columns;
  for (const SummaryColumn& column : kSummaryColumns) {
    if (column.metric != metric) columns.push_back(&column);
  }
  const std::vector<std::string> varied = varied_names(rows);
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"rank", "params", std::string(metric_name(metric))});
  for (const SummaryColumn* column : columns) cells[0].emplace_back(column->header);
  std::size_t shown = 0;
  for (std::size_t i : order) {
    if (top > 0 && shown >= top) break;
    ++shown;
    const SweepRow& row = rows[i];
    std::vector<std::string> line{std::to_string(shown), named_params_text(row.params, varied)};
    if (!row.status.ok()) {
      line.emplace_back("error");
      line.resize(cells[0].size() - 1);
      line.push_back(row.status.message());
    } else {
      line.push_back(format_metric_value(metric, metric_value(row.summary, metric)));
      for (const SummaryColumn* column : columns) line.push_back(column->format(row.summary));
    }
    cells.push_back(std::move(line));
  }
  // The params and the last column (a metric, or an error message) are text; the rest numbers.
  return aligned_table(cells, [](std::size_t column, std::size_t column_count) {
    return column == 1 || column + 1 == column_count;
  });
}

std::string sweep_ndjson(const std::vector<SweepRow>& rows, const std::vector<std::size_t>& order,
                         Metric metric) {
  std::string out;
  std::size_t rank = 0;
  for (std::size_t i : order) {
    const SweepRow& row = rows[i];
    JsonObjectWriter w(out);
    w.string("type", "sweep_result")
        .integer("rank", static_cast<std::int64_t>(++rank))
        .integer("index", static_cast<std::int64_t>(row.index))
        .raw("params", row.params.dump())
        .string("metric", metric_name(metric));
    if (!row.status.ok()) {
      w.raw("value", "null")
          .string("error", error_code_name(row.status.code()))
          .string("message", row.status.message());
    } else {
      const Summary& s = row.summary;
      json_optional(w, "value", metric_value(s, metric));
      w.rupees("net_pnl", s.net_pnl)
          .rupees("charges_paid", s.charges_paid)
          .number("total_return", s.total_return);
      json_optional(w, "cagr", s.cagr);
      w.number("max_drawdown", s.max_drawdown);
      json_optional(w, "sharpe", s.sharpe);
      json_optional(w, "sortino", s.sortino);
      json_optional(w, "calmar", s.calmar);
      w.integer("trades", s.trades);
      json_optional(w, "win_rate", s.win_rate);
      json_optional(w, "profit_factor", s.profit_factor);
      w.number("exposure", s.exposure);
    }
    w.finish();
    out += '\n';
  }
  return out;
}

namespace {

std::optional<ErrorCode> error_code_named(std::string_view name) {
  for (int c = static_cast<int>(ErrorCode::kOk); c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    if (error_code_name(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return std::nullopt;
}

// Typed fields of one JSON object; a failure names the field and what it should be.
class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& object) : object_(object) {}

  Status integer(std::string_view key, std::int64_t& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return missing(key, "a whole number >= 0");
    }
    out = it->get<std::int64_t>();
    return Status();
  }
  Status real(std::string_view key, double& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || !it->is_number()) return missing(key, "a number");
    out = it->get<double>();
    return Status();
  }
  Status optional_real(std::string_view key, std::optional<double>& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || !(it->is_number() || it->is_null())) {
      return missing(key, "a number or null");
    }
    out = it->is_null() ? std::nullopt : std::optional<double>(it->get<double>());
    return Status();
  }
  // Rupees with at most two decimals, as JsonObjectWriter::rupees writes them.
  Status money(std::string_view key, Paise& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || !it->is_number()) return missing(key, "an amount of rupees");
    Result<Paise> paise = paise_from_double(it->get<double>());
    if (!paise.ok()) return missing(key, "an amount of rupees");
    out = *paise;
    return Status();
  }
  Status text(std::string_view key, std::string& out) const {
    auto it = object_.find(key);
    if (it == object_.end() || !it->is_string()) return missing(key, "a string");
    out = it->get<std::string>();
    return Status();
  }
  static Status missing(std::string_view key, std::string_view what) {
    return error(ErrorCode::kParseError, fmt::format("\"{}\" is missing or not {}", key, what));
  }

 private:
  const nlohmann::json& object_;
};

// The summary fields sweep_ndjson writes for a run that succeeded.
Status read_summary(const FieldReader& read, Summary& s) {
  std::int64_t trades = 0;
  SM_RETURN_IF_ERROR(read.money("net_pnl", s.net_pnl));
  SM_RETURN_IF_ERROR(read.money("charges_paid", s.charges_paid));
  SM_RETURN_IF_ERROR(read.real("total_return", s.total_return));
  SM_RETURN_IF_ERROR(read.optional_real("cagr", s.cagr));
  SM_RETURN_IF_ERROR(read.real("max_drawdown", s.max_drawdown));
  SM_RETURN_IF_ERROR(read.optional_real("sharpe", s.sharpe));
  SM_RETURN_IF_ERROR(read.optional_real("sortino", s.sortino));
  SM_RETURN_IF_ERROR(read.optional_real("calmar", s.calmar));
  SM_RETURN_IF_ERROR(read.integer("trades", trades));
  s.trades = trades;
  SM_RETURN_IF_ERROR(read.optional_real("win_rate", s.win_rate));
  SM_RETURN_IF_ERROR(read.optional_real("profit_factor", s.profit_factor));
  return read.real("exposure", s.exposure);
}

// Reads one sweep_result object into row; the message of a failure names what is wrong.
Status read_sweep_result(const nlohmann::json& line, SweepRow& row, Metric& metric) {
  if (!line.is_object() || line.value("type", "") != "sweep_result") {
    return error(ErrorCode::kParseError, "not a sweep_result line");
  }
  const FieldReader read(line);
  std::int64_t index = 0;
  SM_RETURN_IF_ERROR(read.integer("index", index));
  row.index = static_cast<std::size_t>(index);
  auto params = line.find("params");
  if (params == line.end()) return FieldReader::missing("params", "present");
  row.params = *params;
  std::string metric_text;
  SM_RETURN_IF_ERROR(read.text("metric", metric_text));
  Result<Metric> parsed = parse_metric(metric_text);
  if (!parsed.ok()) return FieldReader::missing("metric", "a metric name");
  metric = *parsed;
  if (!line.contains("error")) return read_summary(read, row.summary);
  std::string code, message;
  SM_RETURN_IF_ERROR(read.text("error", code));
  SM_RETURN_IF_ERROR(read.text("message", message));
  std::optional<ErrorCode> known = error_code_named(code);
  if (!known || *known == ErrorCode::kOk) return FieldReader::missing("error", "an error code");
  row.status = error(*known, message);
  return Status();
}

}  // namespace

Result<std::vector<SweepRow>> parse_sweep_ndjson(std::string_view text, std::string_view source,
                                                 std::optional<Metric>& metric) {
  std::vector<SweepRow> rows;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    auto bad = [&](std::string_view why) {
      return error(ErrorCode::kParseError, fmt::format("{} line {}: {}", source, line_number, why));
    };
    // Every line sweep_ndjson writes ends with a newline: without one the file was cut short,
    // even if what is there happens to parse.
    if (end == std::string_view::npos) return bad("truncated (no newline at the end)");
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (line.empty()) continue;
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return bad("not a complete JSON object (truncated?)");
    SweepRow row;
    Metric line_metric = Metric::kSharpe;
    if (Status read = read_sweep_result(json, row, line_metric); !read.ok()) {
      return bad(read.message());
    }
    if (metric && *metric != line_metric) {
      return bad(fmt::format("ranked by {}, earlier lines by {}", metric_name(line_metric),
                             metric_name(*metric)));
    }
    metric = line_metric;
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<SweepRow>> merge_sweep_rows(std::vector<SweepRow> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const SweepRow& a, const SweepRow& b) { return a.index < b.index; });
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].index == rows[i - 1].index) {
      return error(ErrorCode::kConflict,
                   fmt::format("grid index {} appears twice (a shard given twice, or shards of "
                               "different grids)",
                               rows[i].index));
    }
  }
  return rows;
}

namespace {

Status check_walk_forward(std::size_t bar_times, std::size_t param_sets,
                          const WalkForwardOptions& walk) {
  if (walk.in_sample_bars == 0 || walk.out_sample_bars == 0) {
    return error(ErrorCode::kInvalidArgument,
                 "walk-forward windows need at least 1 in-sample and 1 out-of-sample bar");
  }
  if (bar_times < walk.in_sample_bars + 1) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} bar times are not enough for a {}-bar in-sample window and an "
                             "out-of-sample window",
                             bar_times, walk.in_sample_bars));
  }
  if (param_sets == 0) return error(ErrorCode::kInvalidArgument, "no parameter sets");
  return Status();
}

// A walk-forward window as positions in the distinct bar times: in-sample [is_begin, oos_begin),
// out-of-sample [oos_begin, oos_end).
struct WindowBounds {
  std::size_t is_begin = 0;
  std::size_t oos_begin = 0;
  std::size_t oos_end = 0;
};

std::vector<WindowBounds> window_bounds(std::size_t bar_times, const WalkForwardOptions& walk) {
  std::vector<WindowBounds> windows;
  for (std::size_t s = 0; s + walk.in_sample_bars < bar_times; s += walk.out_sample_bars) {
    const std::size_t oos_begin = s + walk.in_sample_bars;
    windows.push_back(
        {walk.anchored ? 0 : s, oos_begin, std::min(bar_times, oos_begin + walk.out_sample_bars)});
  }
  return windows;
}

// One window's in-sample bars, copied by the first of its candidate runs to need them and
// dropped after the last, so that only the windows being worked on hold a copy.
class InSampleBars {
 public:
  void expect(std::size_t runs) { left_ = runs; }
  std::shared_ptr<const MarketData> acquire(const MarketData& data, TimestampMs from,
                                            TimestampMs to) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!bars_) bars_ = std::make_shared<const MarketData>(data.slice(from, to));
    return bars_;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--left_ == 0) bars_.reset();
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const MarketData> bars_;
  std::size_t left_ = 0;
};

// Chains an out-of-sample run onto the stitched result; its fills' signal indexes move past the
// signals already stitched.
void append_segment(BacktestResult& stitched, BacktestResult& run) {
  const std::int64_t signal_offset = static_cast<std::int64_t>(stitched.signals.size());
  for (SignalRecord& r : run.signals) stitched.signals.push_back(std::move(r));
  for (FillRecord& f : run.fills) {
    if (f.signal_index >= 0) f.signal_index += signal_offset;
    stitched.fills.push_back(std::move(f));
  }
  for (TradeRecord& t : run.trades) stitched.trades.push_back(std::move(t));
  for (const EquityPoint& p : run.equity) stitched.equity.push_back(p);
  stitched.bars += run.trading_bars;
  stitched.trading_bars += run.trading_bars;
  stitched.traded_value += run.traded_value;
  stitched.charges.brokerage += run.charges.brokerage;
  stitched.charges.stt += run.charges.stt;
  stitched.charges.exchange += run.charges.exchange;
  stitched.charges.sebi += run.charges.sebi;
  stitched.charges.stamp += run.charges.stamp;
  stitched.charges.gst += run.charges.gst;
  stitched.charges.dp += run.charges.dp;
  stitched.fill_count += run.fill_count;
  stitched.signal_count += run.signal_count;
  stitched.denied_count += run.denied_count;
  stitched.gate_name = run.gate_name;
}

// Runs the chosen parameters out of sample on the bar times [oos_begin, oos_end), warmed up on
// the in-sample bars from is_begin, starting with cash and closing what is open at the end.
Result<BacktestResult> run_out_of_sample(const MarketData& data, const StrategySpec& chosen,
                                         const EngineConfig& config, const costs::CostModel& costs,
                                         const SweepOptions& options, Paise cash,
                                         std::size_t is_begin, std::size_t oos_begin,
                                         std::size_t oos_end) {
  const std::vector<TimestampMs>& times = data.times();
  const TimestampMs end =
      oos_end < times.size() ? times[oos_end] : std::numeric_limits<TimestampMs>::max();
  const MarketData segment = data.slice(times[is_begin], end);
  EngineConfig oos = config;
  oos.starting_cash = cash;
  oos.trade_from = times[oos_begin];
  oos.close_at_end = true;
  std::unique_ptr<SignalGate> gate =
      options.gate ? options.gate() : std::unique_ptr<SignalGate>(new ApproveAll());
  return run_backtest(segment, {chosen}, oos, costs, *gate);
}

// Every window's candidates, all in one pool (window by window, so at most about one window per
// thread holds its in-sample bars): no core waits at a window's end. Row [w][i] is set i on
// window w's in-sample bars. done counts the runs for options.progress.
std::vector<std::vector<SweepRow>> run_candidates(
    const MarketData& data, const std::vector<WindowBounds>& bounds, const StrategySpec& spec,
    const std::vector<nlohmann::json>& param_sets, const EngineConfig& config,
    const costs::CostModel& costs, const SweepOptions& options, std::size_t& done,
    std::size_t total) {
  const std::vector<TimestampMs>& times = data.times();
  const std::size_t sets = param_sets.size();
  std::vector<InSampleBars> in_sample(bounds.size());
  for (InSampleBars& bars : in_sample) bars.expect(sets);
  std::vector<std::vector<SweepRow>> candidates(bounds.size(), std::vector<SweepRow>(sets));
  std::mutex progress_mutex;
  run_tasks(bounds.size() * sets, options.threads, [&](std::size_t task) {
    const std::size_t w = task / sets, i = task % sets;
    const WindowBounds& b = bounds[w];
    {
      std::shared_ptr<const MarketData> bars =
          in_sample[w].acquire(data, times[b.is_begin], times[b.oos_begin]);
      candidates[w][i] = run_one(*bars, spec, param_sets[i], config, costs, options);
      candidates[w][i].index = i;
    }
    in_sample[w].release();
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      options.progress(++done, total);
    }
  });
  return candidates;
}

}  // namespace

Result<WalkForwardResult> run_walk_forward(const MarketData& data, const StrategySpec& spec,
                                           const std::vector<nlohmann::json>& param_sets,
                                           const EngineConfig& config,
                                           const costs::CostModel& costs,
                                           const WalkForwardOptions& walk,
                                           const SweepOptions& options) {
  const std::vector<TimestampMs>& times = data.times();
  SM_RETURN_IF_ERROR(check_walk_forward(times.size(), param_sets.size(), walk));
  WalkForwardResult out;
  BacktestResult& stitched = out.stitched;
  stitched.config = config;
  stitched.strategies = {spec};
  if (stitched.strategies[0].id.empty()) stitched.strategies[0].id = spec.name;
  stitched.cost_model = costs.name();
  Paise cash = config.starting_cash;

  const std::vector<WindowBounds> bounds = window_bounds(times.size(), walk);
  const std::size_t total = bounds.size() * (param_sets.size() + 1);  // for progress
  std::size_t done = 0;
  const std::vector<std::vector<SweepRow>> candidates =
      run_candidates(data, bounds, spec, param_sets, config, costs, options, done, total);

  // The out-of-sample runs in window order: each starts from the previous one's equity.
  for (std::size_t w = 0; w < bounds.size(); ++w) {
    const WindowBounds& b = bounds[w];
    WalkForwardWindow window;
    window.index = w;
    window.in_sample_from = times[b.is_begin];
    window.in_sample_to = times[b.oos_begin - 1];
    window.out_sample_from = times[b.oos_begin];
    window.out_sample_to = times[b.oos_end - 1];
    const std::vector<SweepRow>& rows = candidates[w];
    std::vector<std::size_t> order = rank_rows(rows, walk.metric);
    for (const SweepRow& row : rows) {
      if (row.status.ok()) ++window.candidates_ok;
    }
    const SweepRow& best = rows[order.front()];
    if (!best.status.ok()) {
      window.status = best.status;
      out.windows.push_back(std::move(window));
      continue;
    }
    window.best_params = best.params;
    window.in_sample_value = metric_value(best.summary, walk.metric);

    StrategySpec chosen = spec;
    chosen.params = best.params;
    Result<BacktestResult> run = run_out_of_sample(data, chosen, config, costs, options, cash,
                                                   b.is_begin, b.oos_begin, b.oos_end);
    if (options.progress) options.progress(++done, total);
    if (!run.ok()) {
      window.status = run.status();
      out.windows.push_back(std::move(window));
      continue;
    }
    window.out_sample = summarize(*run, options.risk_free_rate);
    cash = run->final_equity;
    append_segment(stitched, *run);
    out.windows.push_back(std::move(window));
  }
  stitched.final_cash = cash;
  stitched.final_equity = cash;
  if (!stitched.equity.empty()) {
    stitched.first_ts = stitched.equity.front().ts;
    stitched.last_ts = stitched.equity.back().ts;
  }
  out.summary = summarize(stitched, options.risk_free_rate);
  out.swept_params = swept_parameter_names(param_sets);
  return out;
}

std::string walk_forward_table(const WalkForwardResult& result, Metric metric) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"window", "in-sample", "out-of-sample", "best params",
                   "in " + std::string(metric_name(metric)), "out net_pnl", "out return",
                   "trades"});
  for (const WalkForwardWindow& w : result.windows) {
    const std::string is =
        format_date(ist_date(w.in_sample_from)) + ".." + format_date(ist_date(w.in_sample_to));
    const std::string oos =
        format_date(ist_date(w.out_sample_from)) + ".." + format_date(ist_date(w.out_sample_to));
    if (!w.status.ok()) {
      cells.push_back(
          {std::to_string(w.index), is, oos, "error: " + w.status.message(), "", "", "", ""});
      continue;
    }
    cells.push_back(
        {std::to_string(w.index), is, oos, named_params_text(w.best_params, result.swept_params),
         format_metric_value(metric, w.in_sample_value),
         format_rupees_grouped(w.out_sample.net_pnl), format_percent(w.out_sample.total_return),
         std::to_string(w.out_sample.trades)});
  }
  std::string out =
      aligned_table(cells, [](std::size_t /*column*/, std::size_t /*columns*/) { return true; });
  const Summary& s = result.summary;
  out += fmt::format(
      "\nStitched out-of-sample: {} .. {}, net P&L {}, return {}, CAGR {}, max drawdown {}, "
      "Sharpe {}, {} trades\n",
      s.first_date, s.last_date, format_rupees_grouped(s.net_pnl), format_percent(s.total_return),
      format_percent(s.cagr), format_percent(s.max_drawdown), format_ratio(s.sharpe), s.trades);
  return out;
}

std::string walk_forward_ndjson(const WalkForwardResult& result, Metric metric) {
  std::string out;
  for (const WalkForwardWindow& win : result.windows) {
    JsonObjectWriter w(out);
    w.string("type", "walk_forward_window")
        .integer("window", static_cast<std::int64_t>(win.index))
        .timestamp("in_sample_from", win.in_sample_from)
        .timestamp("in_sample_to", win.in_sample_to)
        .timestamp("out_sample_from", win.out_sample_from)
        .timestamp("out_sample_to", win.out_sample_to)
        .string("metric", metric_name(metric))
        .integer("candidates_ok", static_cast<std::int64_t>(win.candidates_ok));
    if (!win.status.ok()) {
      w.raw("best_params", "null")
          .string("error", error_code_name(win.status.code()))
          .string("message", win.status.message());
    } else {
      w.raw("best_params", win.best_params.dump());
      json_optional(w, "in_sample_value", win.in_sample_value);
      w.rupees("out_sample_net_pnl", win.out_sample.net_pnl)
          .number("out_sample_return", win.out_sample.total_return)
          .integer("out_sample_trades", win.out_sample.trades)
          .rupees("out_sample_final_equity", win.out_sample.final_equity);
    }
    w.finish();
    out += '\n';
  }
  return out;
}

}  // namespace sm::backtest
