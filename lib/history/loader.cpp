#include "history/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/memory_advice.h"
#include "core/parallel_parts.h"
#include "core/read_file.h"
#include "ingest/csv_reader.h"
#include "ingest/fields.h"
#include "ingest/ingest.h"
#include "ingest/issues.h"
#include "store/database.h"
#include "store/market_data.h"

namespace sm::history {
namespace {

using backtest::QualityIssue;
using backtest::SymbolSeries;

using Range = TimeRange;

Status load_csv(const std::string& path, const DataSource& source, const Range& range,
                const Logger& log, std::vector<SymbolSeries>& out, LoadedData& loaded);
Status load_db(const DataSource& source, const Range& range, const Logger& log,
               std::vector<SymbolSeries>& out, LoadedData& loaded);

}  // namespace

Result<TimeRange> parse_range(const DataSource& source) {
  Range range;
  if (!source.from.empty()) {
    Result<TimestampMs> from = ingest::parse_range_start(source.from);
    if (!from.ok())
      return Status(ErrorCode::kInvalidArgument, "--from: " + from.status().message());
    range.from = *from;
  }
  if (!source.to.empty()) {
    Result<TimestampMs> to = ingest::parse_range_end(source.to);
    if (!to.ok()) return Status(ErrorCode::kInvalidArgument, "--to: " + to.status().message());
    range.to = *to;
  }
  if (range.to <= range.from) {
    return Status(ErrorCode::kInvalidArgument, "--to is not after --from");
  }
  return range;
}

void log_quality_issue(const Logger& log, const QualityIssue& issue) {
  log.warn("data_quality", {{"symbol", issue.symbol},
                            {"date", format_date(ist_date(issue.ts))},
                            {"ts", format_utc(issue.ts)},
                            {"kind", issue.kind},
                            {"detail", issue.detail},
                            {"action", issue.action}});
}

Result<BarDatabase> open_bar_database(const DataSource& source, const TimeRange& range) {
  Result<store::Database> db = store::Database::open_readonly(source.db_path);
  if (!db.ok()) return db.status();
  if (!db->has_schema()) {
    return error(ErrorCode::kUnavailable,
                 fmt::format("{}: the database holds no data yet", source.db_path));
  }
  store::BarQuery query;
  Result<Timeframe> timeframe = parse_timeframe(source.timeframe.empty() ? "1d" : source.timeframe);
  if (!timeframe.ok()) {
    return Status(ErrorCode::kInvalidArgument, "--timeframe: " + timeframe.status().message());
  }
  query.timeframe = *timeframe;
  query.from = range.from;
  query.to = range.to;
  std::vector<std::string> symbols;
  for (const std::string& text : source.symbols) {
    Result<std::string> symbol = ingest::normalize_symbol(text);
    if (!symbol.ok()) return Status(ErrorCode::kInvalidArgument, symbol.status().message());
    symbols.push_back(*symbol);
  }
  if (symbols.empty()) {
    Result<std::vector<std::string>> stored = store::bar_symbols(*db, query);
    if (!stored.ok()) return stored.status();
    symbols = std::move(stored).value();
  }
  return BarDatabase{std::move(db).value(), query, std::move(symbols)};
}

void report_future_bar(const Logger& log, const DataSource& source, const Bar& bar,
                       std::map<std::string, std::int64_t>& issue_counts) {
  ++issue_counts[std::string(ingest::reason_name(ingest::Reason::kTimestampOutOfRange))];
  log.warn("bad_row",
           {{"input", "db:" + source.db_path},
            {"symbol", bar.symbol},
            {"message_ts", format_utc(bar.ts)},
            {"reason", ingest::reason_name(ingest::Reason::kTimestampOutOfRange)},
            {"detail", fmt::format("{} bar at {} is in the future (after {})", bar.symbol,
                                   format_utc(bar.ts), format_utc(source.not_after))},
            {"action", "dropped"}});
}

Result<ingest::CsvOptions> csv_options(const DataSource& source) {
  ingest::CsvOptions options;
  if (source.symbols.size() > 1) {
    return error(ErrorCode::kInvalidArgument,
                 "with CSV files, --symbol names the symbol of a file without a symbol column; "
                 "give at most one");
  }
  if (!source.symbols.empty()) options.symbol = source.symbols.front();
  options.limits.not_after = source.not_after;
  options.threads = source.threads;
  if (!source.timeframe.empty()) {
    Result<Timeframe> timeframe = parse_timeframe(source.timeframe);
    if (!timeframe.ok()) {
      return Status(ErrorCode::kInvalidArgument, "--timeframe: " + timeframe.status().message());
    }
    options.timeframe = *timeframe;
  }
  return options;
}

Status note_csv_file(const std::string& path, const ingest::CsvResult& parsed,
                     const ingest::IssueReporter& reporter, const Logger& log, LoadedData& loaded) {
  for (const auto& [reason, count] : reporter.counts()) loaded.issue_counts[reason] += count;
  if (parsed.kind != ingest::RecordKind::kBars) {
    return error(
        ErrorCode::kParseError,
        fmt::format("{}: holds ticks, not bars; make bars with sm-ingest --resample", path));
  }
  if (parsed.rows_out_of_order > 0) {
    loaded.issue_counts["unsorted_rows"] += parsed.rows_out_of_order;
    log.warn(
        "data_quality",
        {{"input", path},
         {"kind", "unsorted_rows"},
         {"detail", fmt::format("{} rows are older than the row before them (e.g. a newest-first "
                                "file)",
                                parsed.rows_out_of_order)},
         {"action", "sorted ascending by time"}});
  }
  if (parsed.series_skipped > 0) {
    log.info("series_skipped", {{"input", path},
                                {"rows", parsed.series_skipped},
                                {"detail", "rows of a series other than EQ are not used"}});
  }
  return Status();
}

Result<std::vector<CorporateAction>> load_actions(const DataSource& source, LoadedData& loaded) {
  std::vector<backtest::CorporateAction> actions;
  if (!source.corporate_actions.empty()) {
    Result<std::vector<CorporateAction>> parsed = load_corporate_actions(source.corporate_actions);
    if (!parsed.ok()) return parsed.status();
    actions = std::move(parsed).value();
    loaded.corporate_actions_file = source.corporate_actions;
  } else if (source.adjust) {
    return error(ErrorCode::kInvalidArgument, "--adjust needs --corporate-actions FILE");
  }
  loaded.adjusted = source.adjust;
  return actions;
}

namespace {

Status load_csv(const std::string& path, const DataSource& source, const Range& range,
                const Logger& log, std::vector<SymbolSeries>& out, LoadedData& loaded) {
  Result<std::string> text = read_file(path, thread_count(source.threads));
  if (!text.ok()) return text.status();
  Result<ingest::CsvOptions> options = csv_options(source);
  if (!options.ok()) return options.status();
  // Parts by the rows, at about 64 bytes a row: a small file is read on one thread.
  constexpr std::size_t kBytesPerRow = 64;
  options->threads = static_cast<unsigned>(parts_for(text->size() / kBytesPerRow, source.threads));
  ingest::IssueReporter reporter(log, /*strict=*/false);
  Result<ingest::CsvResult> parsed = ingest::read_csv(*text, path, *options, reporter.handler());
  if (!parsed.ok()) return parsed.status();
  SM_RETURN_IF_ERROR(note_csv_file(path, *parsed, reporter, log, loaded));
  // The reader's bars are sorted by (symbol, ts): each symbol is one run, and the range is one
  // stretch of it, moved in one piece.
  std::vector<Bar>& bars = parsed->bars;
  const size_t from_earlier_inputs = out.size();
  for (auto run = bars.begin(); run != bars.end();) {
    const std::string& symbol = run->symbol;
    const auto run_end =
        std::find_if(run, bars.end(), [&](const Bar& bar) { return bar.symbol != symbol; });
    const auto first = std::lower_bound(run, run_end, range.from,
                                        [](const Bar& bar, TimestampMs ts) { return bar.ts < ts; });
    const auto last = std::lower_bound(first, run_end, range.to,
                                       [](const Bar& bar, TimestampMs ts) { return bar.ts < ts; });
    if (first != last) {
      // Within one file a symbol is one run; across files it must not repeat (which series
      // would be the truth?), also when one file ends with the symbol the next begins with.
      for (size_t i = 0; i < from_earlier_inputs; ++i) {
        if (out[i].symbol == symbol) {
          return error(
              ErrorCode::kInvalidArgument,
              fmt::format("{}: symbol {} is also in an earlier input; give each symbol once", path,
                          symbol));
        }
      }
      out.push_back(SymbolSeries{symbol, {}});
      std::vector<Bar>& series = out.back().bars;
      if (first == bars.begin() && last == bars.end()) {
        // The usual large file: one symbol, all in range. Its bars are the series, not copied.
        series = std::move(bars);
        break;
      }
      series.insert(series.end(), std::make_move_iterator(first), std::make_move_iterator(last));
    }
    run = run_end;
  }
  loaded.inputs.push_back(path);
  return Status();
}

// About how many bars a read of symbol's series in query's range gives, from the market_series
// summary: all of them for a range that covers the series, in proportion to the time covered
// otherwise; 0 when the summary has no such series. A series' vector sized once for them is not
// grown by copying every bar read so far, and holds no unused capacity.
std::size_t expected_bars(const std::vector<store::SeriesInfo>& listed, const std::string& symbol,
                          const store::BarQuery& query) {
  for (const store::SeriesInfo& info : listed) {
    if (info.is_tick || info.symbol != symbol ||
        info.timeframe.minutes != query.timeframe.minutes || info.rows <= 0) {
      continue;
    }
    const TimestampMs first = std::max(info.first_ts, query.from);
    if (query.to <= first || info.last_ts < first) return 0;
    const TimestampMs last = std::min(info.last_ts, query.to - 1);
    if (first == info.first_ts && last == info.last_ts) return static_cast<std::size_t>(info.rows);
    const double covered = static_cast<double>(last - first + 1) /
                           static_cast<double>(info.last_ts - info.first_ts + 1);
    return static_cast<std::size_t>(std::ceil(covered * static_cast<double>(info.rows)));
  }
  return 0;
}

// Room for bars in series, taken before the reading (no regrowth that copies every bar read so
// far): a large vector on huge pages, which its first write (about 100 MB for a million bars)
// faults in 2 MiB at a time instead of 4 KiB.
void reserve_series(std::vector<Bar>& series, std::size_t bars) {
  if (bars <= series.capacity()) return;
  series.reserve(bars);
  advise_huge_pages(series.data() + series.size(),
                    (series.capacity() - series.size()) * sizeof(Bar));
}

Status load_db(const DataSource& source, const Range& range, const Logger& log,
               std::vector<SymbolSeries>& out, LoadedData& loaded) {
  Result<BarDatabase> opened = open_bar_database(source, range);
  if (!opened.ok()) return opened.status();
  store::Database& db = opened->db;
  store::BarQuery& query = opened->query;
  const std::vector<std::string>& symbols = opened->symbols;
  // One cursor per symbol straight into its series: no callback, no symbol decoded per row. The
  // series and the bars from the future (reported after the reading) are then put in the order
  // the per-query reads in (ts, symbol) order gave them before.
  std::vector<Bar> future;
  Result<std::vector<store::SeriesInfo>> listed = store::list_series(db);
  if (!listed.ok()) return listed.status();
  for (const std::string& symbol : symbols) {
    query.symbol = symbol;
    Result<store::BarCursor> cursor = store::BarCursor::open(db, query);
    if (!cursor.ok()) return cursor.status();
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const SymbolSeries& s) { return s.symbol == symbol; });
    if (it == out.end()) {
      out.push_back(SymbolSeries{symbol, {}});
      it = out.end() - 1;
    }
    std::vector<Bar>& series = it->bars;
    const std::size_t read_before = series.size();
    reserve_series(series, read_before + expected_bars(*listed, symbol, query));
    Result<std::size_t> read = cursor->append_rest(series);
    if (!read.ok()) return read.status();
    if (source.not_after != 0) {
      // The cursor reads in ascending ts: the bars from the future are the last ones read.
      const auto from_future = std::partition_point(
          series.begin() + static_cast<std::ptrdiff_t>(read_before), series.end(),
          [&](const Bar& bar) { return bar.ts <= source.not_after; });
      future.insert(future.end(), std::make_move_iterator(from_future),
                    std::make_move_iterator(series.end()));
      series.erase(from_future, series.end());
    }
  }
  if (source.symbols.empty()) {
    // As a read of every symbol in (ts, symbol) order meets them: series by their first bar.
    std::stable_sort(out.begin(), out.end(), [](const SymbolSeries& a, const SymbolSeries& b) {
      if (a.bars.empty() || b.bars.empty()) return !a.bars.empty() && b.bars.empty();
      return a.bars.front().ts != b.bars.front().ts ? a.bars.front().ts < b.bars.front().ts
                                                    : a.symbol < b.symbol;
    });
    std::stable_sort(future.begin(), future.end(), [](const Bar& a, const Bar& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.symbol < b.symbol;
    });
  }
  for (const Bar& bar : future) report_future_bar(log, source, bar, loaded.issue_counts);
  loaded.inputs.push_back("db:" + source.db_path);
  return Status();
}

}  // namespace

Result<LoadedData> load_data(const DataSource& source, const Logger& log) {
  Result<Range> range = parse_range(source);
  if (!range.ok()) return range.status();
  LoadedData loaded;
  std::vector<SymbolSeries> series;
  const bool from_csv = !source.files.empty();
  if (from_csv) {
    for (const std::string& path : source.files) {
      SM_RETURN_IF_ERROR(load_csv(path, source, *range, log, series, loaded));
    }
  } else {
    SM_RETURN_IF_ERROR(load_db(source, *range, log, series, loaded));
  }
  std::erase_if(series, [](const SymbolSeries& s) { return s.bars.empty(); });
  if (series.empty()) {
    return error(ErrorCode::kUnavailable,
                 "no bars to run on (check the inputs, symbols and range)");
  }

  Result<std::vector<CorporateAction>> loaded_actions = load_actions(source, loaded);
  if (!loaded_actions.ok()) return loaded_actions.status();
  const std::vector<CorporateAction>& actions = *loaded_actions;

  backtest::QualityOptions quality;
  quality.drop_fraction = source.drop_fraction;
  quality.adjusted = loaded.adjusted;
  // The CSV reader already reported open/close outside the range as bad_row (kept).
  quality.check_ohlc = !from_csv;
  for (SymbolSeries& s : series) {
    // Checked before adjusting, so that the falls being explained are the ones in the data.
    for (QualityIssue& issue :
         backtest::check_series(s, actions, quality, parts_for(s.bars.size(), source.threads))) {
      log_quality_issue(log, issue);
      ++loaded.issue_counts[issue.kind];
      loaded.quality.push_back(std::move(issue));
    }
    if (loaded.adjusted) {
      for (const backtest::Adjustment& adjustment : backtest::adjust_for_actions(s, actions)) {
        if (adjustment.bars_adjusted > 0) {
          ++loaded.corporate_actions_applied;
          loaded.applied.push_back(adjustment);
        }
        log.info("corporate_action", {{"symbol", s.symbol},
                                      {"ex_date", format_date(adjustment.action.ex_date)},
                                      {"action", adjustment.action.describe()},
                                      {"bars_adjusted", adjustment.bars_adjusted}});
      }
    }
    loaded.bars += static_cast<std::int64_t>(s.bars.size());
  }
  // Parts by the longest series: make splits each series' check (and one series' timeline).
  std::size_t longest = 0;
  for (const SymbolSeries& s : series) longest = std::max(longest, s.bars.size());
  Result<backtest::MarketData> data =
      backtest::MarketData::make(std::move(series), parts_for(longest, source.threads));
  if (!data.ok()) return data.status();
  loaded.data = std::move(data).value();
  return loaded;
}

}  // namespace sm::history
