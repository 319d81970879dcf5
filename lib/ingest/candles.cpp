#include "ingest/candles.h"

#include <fmt/format.h>
#include <algorithm>
#include <limits>

#include "ingest/csv_reader.h"
#include "time/bar_time.h"

namespace sm::ingest {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

constexpr std::int64_t kOpenMs = kSessionOpenMinute * kMsPerMinute;
constexpr std::int64_t kCloseMs = kSessionCloseMinute * kMsPerMinute;

// Volumes are bounded on input (kMaxVolume), but a minute may hold any number of ticks: saturate
// rather than overflow.
Quantity add_volume(Quantity a, Quantity b) {
  Quantity sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<Quantity>::max() : sum;
}

void merge_into(Bar& into, const Bar& bar) {
  into.high = std::max(into.high, bar.high);
  into.low = std::min(into.low, bar.low);
  into.close = bar.close;
  into.volume = add_volume(into.volume, bar.volume);
  into.partial = into.partial || bar.partial;
}

}  // namespace

TimestampMs bucket_start(TimestampMs ts, Timeframe timeframe) {
  if (timeframe.is_daily()) return daily_label(ts);
  const std::int64_t local = ts + kIstOffsetMs;
  const std::int64_t day_start = floor_div(local, kMsPerDay) * kMsPerDay;
  const std::int64_t length = timeframe.minutes * kMsPerMinute;
  // Offsets are counted from 09:15 so that every bucket of the session starts at 09:15 + k*N.
  std::int64_t start =
      day_start + kOpenMs + floor_div(local - day_start - kOpenMs, length) * length;
  start = std::max(start, day_start);  // a pre-open bucket never reaches back into the previous day
  return start - kIstOffsetMs;
}

int expected_source_bars(TimestampMs bucket, Timeframe target, Timeframe source) {
  const std::int64_t source_ms = source.minutes * kMsPerMinute;
  if (target.is_daily()) return static_cast<int>((kCloseMs - kOpenMs + source_ms - 1) / source_ms);
  const std::int64_t local = bucket + kIstOffsetMs;
  const std::int64_t in_day = local - floor_div(local, kMsPerDay) * kMsPerDay;
  const std::int64_t end = in_day + target.minutes * kMsPerMinute;
  const std::int64_t overlap = std::min(end, kCloseMs) - std::max(in_day, kOpenMs);
  if (overlap <= 0) return target.minutes / source.minutes;
  return static_cast<int>((overlap + source_ms - 1) / source_ms);
}

Status BarAggregator::add(const Bar& bar, const BarSink& emit) {
  if (bar.timeframe.is_daily() || bar.timeframe.minutes >= target_.minutes ||
      (!target_.is_daily() && target_.minutes % bar.timeframe.minutes != 0)) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("a {} bar cannot be aggregated into {} bars",
                             format_timeframe(bar.timeframe), format_timeframe(target_)));
  }
  State& state = states_[bar.symbol];
  if (state.open || state.has_emitted) {
    if (bar.timeframe != state.source) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: a {} bar among {} bars", bar.symbol,
                               format_timeframe(bar.timeframe), format_timeframe(state.source)));
    }
    if (bar.ts <= state.last_source_ts) {
      return error(ErrorCode::kConflict,
                   fmt::format("{}: bar at {} is not after the previous one at {}", bar.symbol,
                               format_utc(bar.ts), format_utc(state.last_source_ts)));
    }
  }
  const TimestampMs bucket = bucket_start(bar.ts, target_);
  if (!state.open && state.has_emitted && state.emitted_bucket == bucket) {
    return error(
        ErrorCode::kConflict,
        fmt::format("{}: bar at {} falls in the {} bucket at {}, which was already "
                    "complete",
                    bar.symbol, format_utc(bar.ts), format_timeframe(target_), format_utc(bucket)));
  }
  state.source = bar.timeframe;
  state.last_source_ts = bar.ts;
  if (state.open && bucket != state.bar.ts) close(state, emit, std::nullopt);
  if (!state.open) {
    state.bar = bar;
    state.bar.ts = bucket;
    state.bar.timeframe = target_;
    state.count = 1;
    state.open = true;
  } else {
    merge_into(state.bar, bar);
    ++state.count;
  }
  // Emit a complete bucket at once so a live pipeline does not wait for the next bucket's first
  // bar.
  if (state.count >= expected_source_bars(state.bar.ts, target_, state.source))
    close(state, emit, std::nullopt);
  return Status();
}

void BarAggregator::close(State& state, const BarSink& emit, std::optional<TimestampMs> now) {
  const int expected = expected_source_bars(state.bar.ts, target_, state.source);
  const TimestampMs end = time::bar_known_at(state.bar.ts, target_);
  if (state.count < expected || (now && *now < end)) state.bar.partial = true;
  emit(state.bar);
  state.emitted_bucket = state.bar.ts;
  state.has_emitted = true;
  state.open = false;
  state.count = 0;
}

void BarAggregator::finish(const BarSink& emit, std::optional<TimestampMs> now) {
  for (auto& [symbol, state] : states_) {
    if (state.open) close(state, emit, now);
  }
}

Status TickAggregator::add(const Tick& tick, const BarSink& emit) {
  if (!all_hours_) {
    const std::int64_t local = tick.ts + kIstOffsetMs;
    const std::int64_t in_day = local - floor_div(local, kMsPerDay) * kMsPerDay;
    if (in_day < kOpenMs || in_day >= kCloseMs) {
      ++skipped_;
      return Status();
    }
  }
  const TimestampMs minute = floor_div(tick.ts, kMsPerMinute) * kMsPerMinute;
  State& state = states_[tick.symbol];
  if (state.open && minute < state.bar.ts) {
    return error(ErrorCode::kConflict,
                 fmt::format("{}: tick at {} is older than the minute being built ({})",
                             tick.symbol, format_utc(tick.ts), format_utc(state.bar.ts)));
  }
  if (state.open && minute != state.bar.ts) {
    emit(state.bar);
    state.open = false;
  }
  if (!state.open) {
    state.bar = Bar{minute,     tick.symbol, Timeframe{1}, tick.price, tick.price,
                    tick.price, tick.price,  tick.qty,     false};
    state.open = true;
    return Status();
  }
  Bar& bar = state.bar;
  bar.high = std::max(bar.high, tick.price);
  bar.low = std::min(bar.low, tick.price);
  bar.close = tick.price;
  bar.volume = add_volume(bar.volume, tick.qty);
  return Status();
}

void TickAggregator::finish(const BarSink& emit, std::optional<TimestampMs> now) {
  for (auto& [symbol, state] : states_) {
    if (!state.open) continue;
    if (now && *now < state.bar.ts + kMsPerMinute) state.bar.partial = true;
    emit(state.bar);
    state.open = false;
  }
}

Result<std::vector<Bar>> resample_bars(std::span<const Bar> bars, Timeframe target) {
  std::vector<Bar> out;
  BarAggregator aggregator(target);
  const BarSink sink = [&out](const Bar& bar) { out.push_back(bar); };
  for (const Bar& bar : bars) SM_RETURN_IF_ERROR(aggregator.add(bar, sink));
  aggregator.finish(sink);
  return out;
}

}  // namespace sm::ingest
