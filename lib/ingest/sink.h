// Where accepted bars and ticks go: the database, in batched transactions, and optionally stdout as
// NDJSON (--emit), with candles aggregated on the way (--resample). Every source (CSV files, NDJSON
// on stdin, the resample command) feeds one of these.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/messages.h"
#include "core/ndjson.h"
#include "core/status.h"
#include "ingest/candles.h"
#include "store/database.h"
#include "store/market_data.h"
#include "time/clock.h"

namespace sm::ingest {

struct SinkOptions {
  // Rows per transaction. Large batches are what make bulk loads fast (docs/INGEST.md).
  std::size_t batch_size = 10'000;
  // A batch is also committed once it has waited this long (checked whenever a row is added), so a
  // slow live stream reaches the database promptly instead of after 10,000 rows. Needs a clock.
  std::int64_t max_batch_age_ms = 250;
  // Target timeframes for --resample: ticks are first made into 1-minute bars, bars into each
  // longer target (a target not longer than the source is skipped with one warning).
  std::vector<Timeframe> resample;
  // Use ticks outside the continuous session when making 1-minute bars (see TickAggregator).
  bool all_hours = false;
  // Whether the records given to add() are themselves emitted and stored, or only what is made from
  // them (sm-ingest resample).
  bool emit_source = true;
  bool store_source = true;
};

struct SinkCounts {
  store::WriteCounts bars;  // source bars
  store::WriteCounts ticks;
  store::WriteCounts resampled;       // bars made by --resample
  std::int64_t emitted = 0;           // NDJSON lines written to the emit writer
  std::int64_t resample_skipped = 0;  // source rows the aggregators refused (e.g. out of order)
  std::int64_t ticks_outside_session = 0;
};

class MarketDataSink {
 public:
  // db may be null (a dry run: nothing is stored); emit may be null (nothing is written); clock may
  // be null (no age-based commits). on_warning receives problems that are not bad rows (a refused
  // resample target, a closed stdout). REQUIRES: all pointers outlive the sink.
  MarketDataSink(store::Database* db, NdjsonWriter* emit, const time::Clock* clock,
                 SinkOptions options, std::function<void(const Status&)> on_warning);

  // Accepts one validated bar or tick. Writes it to emit at once, buffers it for the database and
  // commits the buffer when it is full or old. Fails with the store's error (nothing of the failed
  // batch is stored; earlier batches stay).
  Status add(const Bar& bar);
  Status add(const Tick& tick);
  // Writes a line that is not market data through to emit unchanged (filters pass unknown types).
  void pass_through(std::string_view raw_line);
  // Closes the aggregators (their last buckets) and commits everything buffered.
  Status finish();
  // Commits what is buffered now.
  Status flush();

  const SinkCounts& counts() const { return counts_; }

 private:
  Status add_resampled(const Bar& bar);
  void emit(const Bar& bar);
  void emit(const Tick& tick);
  bool batch_due();
  Status feed_aggregators(const Bar& bar, std::size_t first);

  store::Database* db_;
  NdjsonWriter* emit_;
  const time::Clock* clock_;
  SinkOptions options_;
  std::function<void(const Status&)> on_warning_;
  std::vector<Bar> bars_;
  std::vector<Tick> ticks_;
  std::vector<Bar> resampled_;
  std::optional<TickAggregator> tick_aggregator_;
  std::vector<BarAggregator> bar_aggregators_;
  std::vector<bool> warned_;  // per bar aggregator: refused-timeframe warning given
  Status deferred_;           // first failure inside an aggregator callback
  TimestampMs oldest_buffered_ms_ = 0;
  bool emit_failed_ = false;
  bool store_minutes_ = false;  // 1m is a --resample target: the bars made from ticks are kept
  SinkCounts counts_;
};

}  // namespace sm::ingest
