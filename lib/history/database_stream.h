// The database's bars fed to a backtest as the run goes: one cursor per symbol (store::BarCursor)
// merged by (ts, symbol), each bar checked and adjusted for corporate actions as it is read, so a
// run holds the bars of one bar time (of one chunk for a single symbol) instead of the whole
// history (docs/BACKTEST.md, "Memory").
// What it finds is what history::load_data finds for the same source, and is logged in the same
// order, once the last bar was read (finish).
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

class DatabaseBarStream : public backtest::BarFeed {
 public:
  // Opens source's database (source.files must be empty) and reads each symbol's first bar.
  // Fails as load_data does before any bar reaches a run: kNotFound, kDatabaseError,
  // kInvalidArgument (range, timeframe, symbol, --adjust without a file), kParseError (the
  // corporate-actions file), kUnavailable (no schema, no bars in the range).
  static Result<std::unique_ptr<DatabaseBarStream>> open(const DataSource& source,
                                                         const Logger& log);
  ~DatabaseBarStream() override;

  const std::vector<std::string>& symbols() const override;
  // Fails with kDatabaseError, or kInvalidArgument for a bar load_data refuses as well (a price
  // that is not positive, low above high), naming symbol, bar and time as MarketData::make does.
  Status next(std::vector<backtest::FeedBar>& out) override;
  // With one symbol the engine's fast path reads the bars kStreamChunkBars at a time, checked and
  // adjusted as next() gives them, into the same buffer each time.
  bool gives_chunks() const override;
  Status next_chunk(std::span<const Bar>& out) override;

  // After the last bar: logs what reading found (future bars, data-quality findings, corporate
  // actions, then data_loaded) and returns it as load_data would, except that data holds only
  // each symbol's last bar of every IST date: what the HTML report's price charts and benchmark
  // read.
  Result<LoadedData> finish();

 private:
  struct Reader;
  DatabaseBarStream(const DataSource& source, const Logger& log);
  // The reader's next bar not stamped after source.not_after into ahead (reader.has_ahead says
  // whether there was one).
  Status read_ahead(Reader& reader, Bar& ahead);

  DataSource source_;
  const Logger& log_;
  std::unique_ptr<BarDatabase> database_;
  std::vector<CorporateAction> actions_;
  std::vector<std::unique_ptr<Reader>> readers_;  // by symbol; only those with bars
  std::vector<std::string> symbols_;
  LoadedData loaded_;
  std::vector<Bar> chunk_;  // next_chunk's bars
  Status failed_;           // next_chunk's failure, given after the bars before it
};

}  // namespace sm::history
