#include "history/database_stream.h"

#include "history/streamed_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

namespace sm::history {

struct DatabaseBarStream::Reader {
  explicit Reader(store::BarCursor c) : cursor(std::move(c)) {}
  store::BarCursor cursor;
  std::uint32_t series = 0;  // index in symbols_
  std::size_t rank = 0;      // where load_data puts the series: the order of the logs
  // The bar of the current bar time (checked and adjusted) and the next bar, read but not given
  // yet: they trade places by index, not by copying a Bar and its symbol string per bar.
  std::array<Bar, 2> bars;
  std::size_t ahead_slot = 0;
  Bar& ahead() { return bars[ahead_slot]; }
  const Bar& ahead() const { return bars[ahead_slot]; }
  bool has_ahead = false;
  std::optional<StreamedSeries> checked;  // for readers with bars: checks, adjusts, keeps days
  std::vector<Bar> future;                // dropped: stamped after source.not_after
};

DatabaseBarStream::DatabaseBarStream(const DataSource& source, const Logger& log)
    : source_(source), log_(log) {}

DatabaseBarStream::~DatabaseBarStream() = default;

const std::vector<std::string>& DatabaseBarStream::symbols() const { return symbols_; }

Status DatabaseBarStream::read_ahead(Reader& reader, Bar& ahead) {
  while (true) {
    Result<bool> row = reader.cursor.next(ahead);
    if (!row.ok()) return row.status();
    reader.has_ahead = *row;
    if (!*row) return Status();
    if (source_.not_after != 0 && ahead.ts > source_.not_after) {
      reader.future.push_back(ahead);
      continue;
    }
    return Status();
  }
}

Result<std::unique_ptr<DatabaseBarStream>> DatabaseBarStream::open(const DataSource& source,
                                                                   const Logger& log) {
  if (!source.files.empty()) {
    return error(ErrorCode::kInvalidArgument, "a database stream reads no files");
  }
  Result<TimeRange> range = parse_range(source);
  if (!range.ok()) return range.status();
  std::unique_ptr<DatabaseBarStream> stream(new DatabaseBarStream(source, log));
  Result<BarDatabase> opened = open_bar_database(source, *range);
  if (!opened.ok()) return opened.status();
  stream->database_ = std::make_unique<BarDatabase>(std::move(opened).value());
  BarDatabase& database = *stream->database_;
  std::vector<std::string> symbols;
  for (const std::string& symbol : database.symbols) {
    if (std::find(symbols.begin(), symbols.end(), symbol) == symbols.end())
      symbols.push_back(symbol);
  }
  for (const std::string& symbol : symbols) {
    database.query.symbol = symbol;
    Result<store::BarCursor> cursor = store::BarCursor::open(database.db, database.query);
    if (!cursor.ok()) return cursor.status();
    auto reader = std::make_unique<Reader>(std::move(cursor).value());
    for (Bar& bar : reader->bars) bar.symbol = symbol;
    SM_RETURN_IF_ERROR(stream->read_ahead(*reader, reader->ahead()));
    reader->rank = stream->readers_.size();
    stream->readers_.push_back(std::move(reader));
  }
  std::vector<Reader*> with_bars;
  for (auto& reader : stream->readers_) {
    if (reader->has_ahead) with_bars.push_back(reader.get());
  }
  if (source.symbols.empty()) {
    // load_data orders the series as a read of every symbol in (ts, symbol) order meets them.
    std::stable_sort(with_bars.begin(), with_bars.end(), [](const Reader* a, const Reader* b) {
      return a->ahead().ts != b->ahead().ts ? a->ahead().ts < b->ahead().ts
                                            : a->ahead().symbol < b->ahead().symbol;
    });
    for (std::size_t i = 0; i < with_bars.size(); ++i) with_bars[i]->rank = i;
  }
  if (with_bars.empty()) {
    // As load_data: the bars from the future are reported before the run is refused.
    Result<LoadedData> reported = stream->finish();
    if (!reported.ok()) return reported.status();
    return error(ErrorCode::kUnavailable,
                 "no bars to run on (check the inputs, symbols and range)");
  }
  Result<backtest::QualityOptions> quality =
      stream_checks(source, stream->loaded_, stream->actions_);
  if (!quality.ok()) return quality.status();
  // The engine's series are in symbol order.
  std::sort(with_bars.begin(), with_bars.end(), [](const Reader* a, const Reader* b) {
    return a->cursor.symbol() < b->cursor.symbol();
  });
  for (Reader* reader : with_bars) {
    reader->series = static_cast<std::uint32_t>(stream->symbols_.size());
    stream->symbols_.push_back(reader->cursor.symbol());
    reader->checked.emplace(reader->cursor.symbol(), stream->actions_, *quality);
  }
  // The feed's readers, by series; the others stay for finish's report of their future bars.
  std::stable_sort(stream->readers_.begin(), stream->readers_.end(),
                   [](const auto& a, const auto& b) {
                     return a->checked.has_value() && b->checked.has_value()
                                ? a->series < b->series
                                : a->checked.has_value() && !b->checked.has_value();
                   });
  return stream;
}

Status DatabaseBarStream::next(std::vector<backtest::FeedBar>& out) {
  out.clear();
  TimestampMs ts = std::numeric_limits<TimestampMs>::max();
  bool any = false;
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    const Reader& reader = *readers_[i];
    if (reader.has_ahead && reader.ahead().ts <= ts) {
      ts = reader.ahead().ts;
      any = true;
    }
  }
  if (!any) return Status();
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    Reader& reader = *readers_[i];
    if (!reader.has_ahead || reader.ahead().ts != ts) continue;
    Bar& bar = reader.ahead();
    reader.ahead_slot ^= 1;  // bar is now the current one; the next is read into the other
    SM_RETURN_IF_ERROR(reader.checked->take(bar));
    out.push_back({reader.series, &bar});
    SM_RETURN_IF_ERROR(read_ahead(reader, reader.ahead()));
  }
  return Status();
}

bool DatabaseBarStream::gives_chunks() const { return symbols_.size() == 1; }

Status DatabaseBarStream::next_chunk(std::span<const Bar>& out) {
  out = {};
  SM_RETURN_IF_ERROR(failed_);
  Reader& reader = *readers_.front();
  if (!reader.has_ahead) return Status();
  // The slots are reused, each keeping the symbol's string; the first holds the bar read last.
  if (chunk_.empty()) chunk_.resize(kStreamChunkBars);
  chunk_.front() = reader.ahead();
  // Each bar is checked and the one after it read before the bar is given, as next() does, so a
  // failure ends the chunk before the bar next() would have failed on.
  std::size_t n = 0;
  while (true) {
    Bar& bar = chunk_[n];
    Status status = reader.checked->take(bar);
    if (status.ok()) {
      status = read_ahead(reader, n + 1 < chunk_.size() ? chunk_[n + 1] : reader.ahead());
    }
    if (!status.ok()) {
      failed_ = status;
      break;
    }
    ++n;
    if (!reader.has_ahead || n == chunk_.size()) break;
  }
  out = std::span<const Bar>(chunk_.data(), n);
  if (n == 0) return failed_;
  return Status();
}

Result<LoadedData> DatabaseBarStream::finish() {
  std::vector<Reader*> by_rank;
  for (auto& reader : readers_) by_rank.push_back(reader.get());
  // Given symbols keep the order given (each reader's rank); all symbols are put in time order.
  std::sort(by_rank.begin(), by_rank.end(),
            [](const Reader* a, const Reader* b) { return a->rank < b->rank; });
  std::vector<Bar> future;
  for (const Reader* reader : by_rank) {
    future.insert(future.end(), reader->future.begin(), reader->future.end());
  }
  std::erase_if(by_rank, [](const Reader* reader) { return !reader->checked; });
  if (source_.symbols.empty()) {
    std::stable_sort(future.begin(), future.end(), [](const Bar& a, const Bar& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.symbol < b.symbol;
    });
  }
  for (const Bar& bar : future) report_future_bar(log_, source_, bar, loaded_.issue_counts);
  std::vector<backtest::SymbolSeries> daily;
  for (Reader* reader : by_rank) {
    reader->checked->report(log_, loaded_);
    if (!reader->checked->daily().empty()) {
      daily.push_back({reader->checked->symbol(), std::move(reader->checked->daily())});
    }
  }
  loaded_.inputs = {"db:" + source_.db_path};
  if (!daily.empty()) {
    Result<backtest::MarketData> data = backtest::MarketData::make(std::move(daily));
    if (!data.ok()) return data.status();
    loaded_.data = std::move(data).value();
  }
  return std::move(loaded_);
}

}  // namespace sm::history
