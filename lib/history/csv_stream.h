// CSV files' bars fed to a backtest as the run goes: each file read by ingest::CsvStream (in
// blocks, never whole), the files' symbols merged by (ts, symbol), each bar checked and adjusted
// for corporate actions as it is read (StreamedSeries), so a run holds the bars of one bar time
// (of one chunk for a single symbol) instead of the whole history (docs/BACKTEST.md, "Memory").
// What it finds is what load_data finds for the same files and is logged in the same order: each
// file's bad rows as it is opened, the data-quality findings and corporate actions once the last
// bar was read (finish).
//
// A file of several symbols, or one CsvStream reads whole (rows out of order), is held in memory
// as load_data holds it; a file of one symbol in time order, the usual large file, is streamed.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backtest/engine.h"
#include "core/log.h"
#include "core/status.h"
#include "history/loader.h"

namespace sm::history {

class CsvBarStream : public backtest::BarFeed {
 public:
  // Opens source's files (source.files must not be empty), reporting each file's bad rows, and
  // reads each symbol's first bar in the range. Fails as load_data does before any bar reaches
  // a run: kNotFound/kIoError (a file), kParseError (a file not understood, or of ticks, or the
  // corporate-actions file), kInvalidArgument (range, timeframe, --symbol, a symbol in two
  // files, --adjust without a file), kUnavailable (no bars in the range).
  static Result<std::unique_ptr<CsvBarStream>> open(const DataSource& source, const Logger& log);
  ~CsvBarStream() override;

  const std::vector<std::string>& symbols() const override;
  // Fails with kIoError (a file cannot be read again) or kInvalidArgument for a bar load_data
  // refuses as well (an adjusted price that is not positive).
  Status next(std::vector<backtest::FeedBar>& out) override;
  // With one symbol the engine's fast path reads the bars kStreamChunkBars at a time, checked and
  // adjusted as next() gives them, into the same buffer each time.
  bool gives_chunks() const override;
  Status next_chunk(std::span<const Bar>& out) override;

  // After the last bar: logs the data-quality findings and corporate actions and returns what
  // load_data would, except that data holds only each symbol's last bar of every IST date (what
  // the reports read).
  Result<LoadedData> finish();

 private:
  struct Reader;
  CsvBarStream(const DataSource& source, const Logger& log);
  Status read_ahead(Reader& reader);
  Status open_file(const std::string& path);

  DataSource source_;
  const Logger& log_;
  TimeRange range_;
  std::vector<CorporateAction> actions_;
  std::vector<std::unique_ptr<Reader>> readers_;  // one per series, in load_data's order
  std::vector<Reader*> by_series_;                // the same, by symbol
  std::vector<std::string> symbols_;
  LoadedData loaded_;
  std::vector<Bar> chunk_;  // next_chunk's bars
  Status failed_;           // next_chunk's failure, given after the bars before it
};

}  // namespace sm::history
