#include "history/csv_stream.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "history/streamed_series.h"
#include "ingest/csv_reader.h"
#include "ingest/issues.h"

namespace sm::history {

struct CsvBarStream::Reader {
  std::unique_ptr<ingest::CsvStream> stream;  // null: the bars are in memory
  std::vector<Bar> bars;
  std::size_t next_bar = 0;
  std::string symbol;
  std::uint32_t series = 0;  // index in symbols_
  Bar ahead;                 // the next bar in the range, read but not given yet
  bool has_ahead = false;
  Bar current;  // the bar of the current bar time, checked and adjusted
  std::optional<StreamedSeries> checked;
};

CsvBarStream::CsvBarStream(const DataSource& source, const Logger& log)
    : source_(source), log_(log) {}

CsvBarStream::~CsvBarStream() = default;

const std::vector<std::string>& CsvBarStream::symbols() const { return symbols_; }

Status CsvBarStream::read_ahead(Reader& reader) {
  for (;;) {
    if (reader.stream) {
      Result<bool> got = reader.stream->next(reader.ahead);
      if (!got.ok()) return got.status();
      reader.has_ahead = *got;
    } else {
      reader.has_ahead = reader.next_bar < reader.bars.size();
      if (reader.has_ahead) reader.ahead = std::move(reader.bars[reader.next_bar++]);
    }
    if (!reader.has_ahead) break;
    if (reader.ahead.ts < range_.from) continue;
    // A series is in time order: nothing after the range's end is needed.
    if (reader.ahead.ts >= range_.to) reader.has_ahead = false;
    break;
  }
  if (!reader.has_ahead) {
    reader.stream.reset();
    reader.bars = {};
  }
  return Status();
}

Status CsvBarStream::open_file(const std::string& path) {
  Result<ingest::LineReader> lines = ingest::LineReader::open_file(path);
  if (!lines.ok()) return lines.status();
  // As load_data: a file that cannot be opened fails before the options are looked at.
  Result<ingest::CsvOptions> options = csv_options(source_);
  if (!options.ok()) return options.status();
  ingest::IssueReporter reporter(log_, /*strict=*/false);
  Result<std::unique_ptr<ingest::CsvStream>> csv =
      ingest::CsvStream::open(std::move(lines).value(), path, *options, reporter.handler());
  if (!csv.ok()) return csv.status();
  std::unique_ptr<ingest::CsvStream> stream = std::move(csv).value();
  SM_RETURN_IF_ERROR(note_csv_file(path, stream->result(), reporter, log_, loaded_));
  const std::size_t from_earlier_inputs = readers_.size();
  std::vector<std::unique_ptr<Reader>> readers;
  if (!stream->read_whole() && stream->symbols().size() <= 1) {
    readers.push_back(std::make_unique<Reader>());
    readers.back()->stream = std::move(stream);
  } else {
    // The bars of several symbols come symbol after symbol; the run needs them side by side.
    Bar bar;
    for (;;) {
      Result<bool> got = stream->next(bar);
      if (!got.ok()) return got.status();
      if (!*got) break;
      if (readers.empty() || readers.back()->bars.back().symbol != bar.symbol) {
        readers.push_back(std::make_unique<Reader>());
      }
      readers.back()->bars.push_back(std::move(bar));
    }
  }
  for (std::unique_ptr<Reader>& reader : readers) {
    SM_RETURN_IF_ERROR(read_ahead(*reader));
    if (!reader->has_ahead) continue;
    reader->symbol = reader->ahead.symbol;
    // Within one file a symbol is one run; across files it must not repeat (which series would
    // be the truth?), also when one file ends with the symbol the next begins with.
    for (std::size_t i = 0; i < from_earlier_inputs; ++i) {
      if (readers_[i]->symbol == reader->symbol) {
        return error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: symbol {} is also in an earlier input; give each symbol once",
                                 path, reader->symbol));
      }
    }
    readers_.push_back(std::move(reader));
  }
  loaded_.inputs.push_back(path);
  return Status();
}

Result<std::unique_ptr<CsvBarStream>> CsvBarStream::open(const DataSource& source,
                                                         const Logger& log) {
  if (source.files.empty()) return error(ErrorCode::kInvalidArgument, "no CSV files to read");
  Result<TimeRange> range = parse_range(source);
  if (!range.ok()) return range.status();
  std::unique_ptr<CsvBarStream> stream(new CsvBarStream(source, log));
  stream->range_ = *range;
  for (const std::string& path : source.files) SM_RETURN_IF_ERROR(stream->open_file(path));
  if (stream->readers_.empty()) {
    return error(ErrorCode::kUnavailable,
                 "no bars to run on (check the inputs, symbols and range)");
  }
  Result<backtest::QualityOptions> quality =
      stream_checks(source, stream->loaded_, stream->actions_);
  if (!quality.ok()) return quality.status();
  // The CSV reader already reported open/close outside the range as bad_row (kept).
  quality->check_ohlc = false;
  for (auto& reader : stream->readers_) {
    reader->checked.emplace(reader->symbol, stream->actions_, *quality);
    stream->by_series_.push_back(reader.get());
  }
  // The engine's series are in symbol order.
  std::sort(stream->by_series_.begin(), stream->by_series_.end(),
            [](const Reader* a, const Reader* b) { return a->symbol < b->symbol; });
  for (Reader* reader : stream->by_series_) {
    reader->series = static_cast<std::uint32_t>(stream->symbols_.size());
    stream->symbols_.push_back(reader->symbol);
  }
  return stream;
}

Status CsvBarStream::next(std::vector<backtest::FeedBar>& out) {
  out.clear();
  TimestampMs ts = std::numeric_limits<TimestampMs>::max();
  bool any = false;
  for (const Reader* reader : by_series_) {
    if (reader->has_ahead && reader->ahead.ts <= ts) {
      ts = reader->ahead.ts;
      any = true;
    }
  }
  if (!any) return Status();
  for (Reader* reader : by_series_) {
    if (!reader->has_ahead || reader->ahead.ts != ts) continue;
    std::swap(reader->current, reader->ahead);
    SM_RETURN_IF_ERROR(reader->checked->take(reader->current));
    out.push_back({reader->series, &reader->current});
    SM_RETURN_IF_ERROR(read_ahead(*reader));
  }
  return Status();
}

bool CsvBarStream::gives_chunks() const { return by_series_.size() == 1; }

Status CsvBarStream::next_chunk(std::span<const Bar>& out) {
  out = {};
  SM_RETURN_IF_ERROR(failed_);
  Reader& reader = *by_series_.front();
  if (chunk_.empty()) chunk_.resize(kStreamChunkBars);
  // Each bar is checked and the one after it read before the bar is given, as next() does, so a
  // failure ends the chunk before the bar next() would have failed on. The slots trade places
  // with the bar read ahead, so each keeps a symbol string for the reader to fill.
  std::size_t n = 0;
  while (reader.has_ahead && n < chunk_.size()) {
    Bar& bar = chunk_[n];
    std::swap(bar, reader.ahead);
    Status status = reader.checked->take(bar);
    if (status.ok()) status = read_ahead(reader);
    if (!status.ok()) {
      failed_ = status;
      break;
    }
    ++n;
  }
  out = std::span<const Bar>(chunk_.data(), n);
  if (n == 0) return failed_;
  return Status();
}

Result<LoadedData> CsvBarStream::finish() {
  std::vector<backtest::SymbolSeries> daily;
  for (auto& reader : readers_) {
    reader->checked->report(log_, loaded_);
    daily.push_back({reader->symbol, std::move(reader->checked->daily())});
  }
  Result<backtest::MarketData> data = backtest::MarketData::make(std::move(daily));
  if (!data.ok()) return data.status();
  loaded_.data = std::move(data).value();
  return std::move(loaded_);
}

}  // namespace sm::history
