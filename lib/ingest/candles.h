// Candle aggregation: ticks -> 1-minute bars, and bars -> longer bars (5m, 15m, 1h, 1d, ...).
//
// Convention (docs/INGEST.md, "Candles"): buckets are aligned to the NSE session open, 09:15 IST:
// an N-minute bucket starts at 09:15 + k*N on its IST date and covers the half-open interval
// [start, start + N). A bar is labelled by its bucket START (pandas label="left", closed="left").
// For N that divides 555 (1, 3, 5, 15 ...) this is the same as pandas' buckets on multiples of N
// from midnight; for 1h the buckets are 09:15, 10:15, ..., 15:15 (the last one 15 minutes long),
// where pandas would use 09:00, 10:00, ... Daily bars: one per IST date, labelled 09:15 IST of that
// date. Open = first source open, high = max, low = min, close = last close, volume = sum. A bucket
// with no source rows is left out; nothing is forward-filled. A bar is partial when it holds fewer
// source bars than a complete bucket of the regular session does (see expected_source_bars), when a
// source bar is partial, or when it is still forming at finish().
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/status.h"

namespace sm::ingest {

// The start of the bucket of length timeframe that contains ts (see the convention above).
TimestampMs bucket_start(TimestampMs ts, Timeframe timeframe);

// How many source bars a complete bucket starting at bucket holds: the minutes the bucket shares
// with the regular session [09:15, 15:30) divided by source.minutes (rounded up), or
// target/source when it shares none (a Muhurat or other special session outside regular hours).
// Daily: 375 / source.minutes rounded up.
int expected_source_bars(TimestampMs bucket, Timeframe target, Timeframe source);

using BarSink = std::function<void(const Bar&)>;

// Aggregates bars of one shorter timeframe into target bars, per symbol. Symbols may interleave;
// each symbol's bars must arrive in time order with one timeframe. A bucket is emitted as soon as
// it is complete (its expected count reached) or when a bar of a later bucket arrives; finish()
// emits the rest. Not thread-safe.
class BarAggregator {
 public:
  explicit BarAggregator(Timeframe target) : target_(target) {}

  // Fails (and ignores the bar) with kInvalidArgument when the bar's timeframe is not shorter than
  // target or does not divide it, or differs from the symbol's earlier bars; with kConflict when
  // the bar is older than the bucket being built or repeats a time already aggregated.
  Status add(const Bar& bar, const BarSink& emit);

  // Emits every bucket still open, in symbol order. A bucket whose end is after now (when given) is
  // still forming and is marked partial.
  void finish(const BarSink& emit, std::optional<TimestampMs> now = std::nullopt);

  Timeframe target() const { return target_; }

 private:
  struct State {
    Bar bar;
    Timeframe source;
    TimestampMs last_source_ts = 0;
    TimestampMs emitted_bucket = 0;  // the last bucket emitted, so a late bar cannot emit it twice
    bool has_emitted = false;
    int count = 0;
    bool open = false;
  };
  void close(State& state, const BarSink& emit, std::optional<TimestampMs> now);
  Timeframe target_;
  std::map<std::string, State> states_;
};

// Builds 1-minute bars from ticks, per symbol. Volume is the sum of the ticks' qty (0 for an
// index). Unless all_hours, only ticks in the continuous session [09:15, 15:30) IST are used:
// pre-open auction values and post-close prints are not trades of a minute bar (they are counted as
// skipped).
class TickAggregator {
 public:
  explicit TickAggregator(bool all_hours = false) : all_hours_(all_hours) {}

  // Fails (and ignores the tick) with kConflict when it is older than the minute being built.
  Status add(const Tick& tick, const BarSink& emit);
  void finish(const BarSink& emit, std::optional<TimestampMs> now = std::nullopt);
  std::int64_t skipped_outside_session() const { return skipped_; }

 private:
  struct State {
    Bar bar;
    bool open = false;
  };
  bool all_hours_;
  std::int64_t skipped_ = 0;
  std::map<std::string, State> states_;
};

// Convenience for whole series: bars of one symbol and timeframe, sorted by ts -> target bars.
// Fails like BarAggregator::add on the first bar that cannot be aggregated.
Result<std::vector<Bar>> resample_bars(std::span<const Bar> bars, Timeframe target);

}  // namespace sm::ingest
