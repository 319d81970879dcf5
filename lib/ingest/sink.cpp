#include "ingest/sink.h"

#include <fmt/format.h>
#include <algorithm>

namespace sm::ingest {
namespace {

void add_counts(store::WriteCounts& into, const store::WriteCounts& more) {
  into.inserted += more.inserted;
  into.duplicates += more.duplicates;
  into.replaced += more.replaced;
}

}  // namespace

MarketDataSink::MarketDataSink(store::Database* db, NdjsonWriter* emit, const time::Clock* clock,
                               SinkOptions options, std::function<void(const Status&)> on_warning)
    : db_(db),
      emit_(emit),
      clock_(clock),
      options_(std::move(options)),
      on_warning_(std::move(on_warning)) {
  if (options_.batch_size == 0) options_.batch_size = 1;
  for (Timeframe target : options_.resample) {
    if (target.minutes > 1) bar_aggregators_.emplace_back(target);
  }
  // Ticks become 1-minute bars first whenever any target is asked for; those bars are stored only
  // when 1m itself is a target.
  if (!options_.resample.empty()) tick_aggregator_.emplace(options_.all_hours);
  store_minutes_ = std::find(options_.resample.begin(), options_.resample.end(), Timeframe{1}) !=
                   options_.resample.end();
  warned_.assign(bar_aggregators_.size(), false);
  bars_.reserve(options_.batch_size);
}

void MarketDataSink::emit(const Bar& bar) {
  if (emit_ == nullptr || emit_failed_) return;
  emit_->write(bar);
  ++counts_.emitted;
  if (!emit_->good()) {
    emit_failed_ = true;  // e.g. the reader of the pipe went away; storing goes on
    on_warning_(
        error(ErrorCode::kIoError, "stdout was closed or failed; no more records are emitted"));
  }
}

void MarketDataSink::emit(const Tick& tick) {
  if (emit_ == nullptr || emit_failed_) return;
  emit_->write(tick);
  ++counts_.emitted;
  if (!emit_->good()) {
    emit_failed_ = true;
    on_warning_(
        error(ErrorCode::kIoError, "stdout was closed or failed; no more records are emitted"));
  }
}

void MarketDataSink::pass_through(std::string_view raw_line) {
  if (emit_ == nullptr || emit_failed_) return;
  emit_->write_raw(raw_line);
  ++counts_.emitted;
  if (!emit_->good()) emit_failed_ = true;
}

bool MarketDataSink::batch_due() {
  const std::size_t buffered = bars_.size() + ticks_.size() + resampled_.size();
  if (buffered == 0) return false;
  if (buffered >= options_.batch_size) return true;
  if (clock_ == nullptr) return false;
  const TimestampMs now = clock_->now_ms();
  if (buffered == 1) oldest_buffered_ms_ = now;
  return now - oldest_buffered_ms_ >= options_.max_batch_age_ms;
}

Status MarketDataSink::add_resampled(const Bar& bar) {
  emit(bar);
  resampled_.push_back(bar);
  return batch_due() ? flush() : Status();
}

Status MarketDataSink::feed_aggregators(const Bar& bar, std::size_t first) {
  for (std::size_t i = first; i < bar_aggregators_.size(); ++i) {
    Status status = bar_aggregators_[i].add(bar, [this](const Bar& out) {
      Status stored = add_resampled(out);
      if (!stored.ok() && deferred_.ok()) deferred_ = stored;
    });
    if (status.code() == ErrorCode::kInvalidArgument) {
      // Most often a target not longer than the source (--resample 1d on daily bars): say it once.
      if (!warned_[i]) {
        warned_[i] = true;
        on_warning_(status.with_context(
            fmt::format("--resample {}", format_timeframe(bar_aggregators_[i].target()))));
      }
    } else if (!status.ok()) {
      ++counts_.resample_skipped;
      on_warning_(status);
    }
  }
  Status deferred = deferred_;
  deferred_ = Status();
  return deferred;
}

Status MarketDataSink::add(const Bar& bar) {
  if (options_.emit_source) emit(bar);
  if (options_.store_source) bars_.push_back(bar);
  SM_RETURN_IF_ERROR(feed_aggregators(bar, 0));
  return batch_due() ? flush() : Status();
}

Status MarketDataSink::add(const Tick& tick) {
  if (options_.emit_source) emit(tick);
  if (options_.store_source) ticks_.push_back(tick);
  if (tick_aggregator_) {
    Status status = tick_aggregator_->add(tick, [this](const Bar& minute) {
      Status stored = store_minutes_ ? add_resampled(minute) : Status();
      if (stored.ok()) stored = feed_aggregators(minute, 0);
      if (!stored.ok() && deferred_.ok()) deferred_ = stored;
    });
    if (!status.ok()) {
      ++counts_.resample_skipped;
      on_warning_(status);
    }
    Status deferred = deferred_;
    deferred_ = Status();
    SM_RETURN_IF_ERROR(deferred);
  }
  return batch_due() ? flush() : Status();
}

Status MarketDataSink::flush() {
  if (db_ != nullptr) {
    if (!ticks_.empty()) {
      Result<store::WriteCounts> written = store::insert_ticks(*db_, ticks_);
      if (!written.ok()) return written.status();
      add_counts(counts_.ticks, *written);
    }
    if (!bars_.empty()) {
      Result<store::WriteCounts> written = store::insert_bars(*db_, bars_);
      if (!written.ok()) return written.status();
      add_counts(counts_.bars, *written);
    }
    if (!resampled_.empty()) {
      Result<store::WriteCounts> written = store::insert_bars(*db_, resampled_);
      if (!written.ok()) return written.status();
      add_counts(counts_.resampled, *written);
    }
  }
  ticks_.clear();
  bars_.clear();
  resampled_.clear();
  if (emit_ != nullptr && !emit_failed_) emit_->flush();
  return Status();
}

Status MarketDataSink::finish() {
  if (tick_aggregator_) {
    tick_aggregator_->finish([this](const Bar& minute) {
      Status stored = store_minutes_ ? add_resampled(minute) : Status();
      if (stored.ok()) stored = feed_aggregators(minute, 0);
      if (!stored.ok() && deferred_.ok()) deferred_ = stored;
    });
    counts_.ticks_outside_session = tick_aggregator_->skipped_outside_session();
  }
  for (BarAggregator& aggregator : bar_aggregators_) {
    aggregator.finish([this](const Bar& out) {
      Status stored = add_resampled(out);
      if (!stored.ok() && deferred_.ok()) deferred_ = stored;
    });
  }
  Status deferred = deferred_;
  deferred_ = Status();
  SM_RETURN_IF_ERROR(deferred);
  return flush();
}

}  // namespace sm::ingest
