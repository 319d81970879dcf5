#include "ingest/live_feed.h"

#include <fmt/format.h>
#include <unistd.h>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "ingest/candles.h"
#include "store/ops_records.h"

namespace sm::ingest {
namespace {

SinkOptions sink_options(const LiveFeedOptions& options) {
  SinkOptions s;
  s.batch_size = options.batch_size;
  s.max_batch_age_ms = options.max_batch_age_ms;
  return s;
}

nlohmann::json utc_or_null(TimestampMs ts) {
  return ts == 0 ? nlohmann::json(nullptr) : nlohmann::json(format_utc(ts));
}

}  // namespace

LiveFeed::LiveFeed(store::Database* db, NdjsonWriter* emit, const time::Clock& clock,
                   const time::Calendar& calendar, LiveFeedOptions options,
                   std::function<void(const Status&)> on_warning)
    : clock_(clock),
      calendar_(calendar),
      options_(std::move(options)),
      on_warning_(std::move(on_warning)),
      emit_(emit),
      db_(db),
      sink_(db, emit, &clock, sink_options(options_), on_warning_) {
  timeframes_.push_back(Timeframe{1});
  for (Timeframe t : options_.timeframes) {
    if (t.minutes > 1 && std::find(timeframes_.begin(), timeframes_.end(), t) == timeframes_.end())
      timeframes_.push_back(t);
  }
  receiving_since_ = clock_.now_ms();
}

void LiveFeed::watch(const std::vector<std::string>& symbols) {
  for (const std::string& symbol : symbols) {
    SymbolState& state = symbols_[symbol];
    if (state.bars.empty()) state.bars.resize(timeframes_.size());
  }
}

bool LiveFeed::in_continuous_session(TimestampMs ts) {
  Result<time::Session> session = calendar_.session_at(ts);
  if (!session.ok()) {
    // An unknown year or unknown special-session timings: store the tick, build nothing, and say
    // so once rather than on every tick.
    if (!calendar_warned_) on_warning_(session.status());
    calendar_warned_ = true;
    return false;
  }
  return *session == time::Session::kContinuous;
}

std::optional<TimestampMs> LiveFeed::bucket_end(TimestampMs bucket, Timeframe timeframe) {
  Result<time::DaySchedule> day = calendar_.session_times(ist_date(bucket));
  if (!day.ok() || !day->trading()) return std::nullopt;
  const TimestampMs close = day->close_ts();
  if (timeframe.is_daily()) return close;
  // The last bucket of the day may be shorter (1h: 15:15-15:30), so it ends at the close.
  return std::min(bucket + timeframe.minutes * kMsPerMinute, close);
}

Quantity LiveFeed::traded_since_last(SymbolState& state, const Tick& tick) {
  // With the day's cumulative volume (quotes, websocket quote/full mode) the traded quantity is
  // its growth since the previous tick; a poll every few seconds sees many trades but one tick.
  // Without it (an LTP-only source) it is the tick's own quantity.
  if (tick.volume <= 0) return tick.qty;
  const Date day = ist_date(tick.ts);
  Quantity traded = tick.qty;
  if (state.last_volume > 0 && state.volume_day == day) {
    traded = std::max<Quantity>(0, tick.volume - state.last_volume);
  }
  state.last_volume = tick.volume;
  state.volume_day = day;
  return traded;
}

Status LiveFeed::close_bar(FormingBar& forming, bool partial) {
  forming.open = false;
  forming.last_closed = forming.bar.ts;
  forming.bar.partial = partial || forming.missed_trades;
  ++counts_.bars;
  return sink_.add(forming.bar);
}

Status LiveFeed::on_tick(const Tick& tick) {
  const TimestampMs now = clock_.now_ms();
  SymbolState& state = symbols_[tick.symbol];
  if (state.bars.empty()) state.bars.resize(timeframes_.size());
  state.last_tick_at = now;
  ++counts_.ticks;
  if (Status s = sink_.add(tick); !s.ok()) return s;
  const Quantity traded = traded_since_last(state, tick);
  if (!in_continuous_session(tick.ts)) {
    ++counts_.ticks_outside_session;
    return Status();
  }
  for (size_t i = 0; i < timeframes_.size(); ++i) {
    FormingBar& forming = state.bars[i];
    const Timeframe timeframe = timeframes_[i];
    const TimestampMs bucket = bucket_start(tick.ts, timeframe);
    // Its bar is closed already: the stored tick only. Reopening it would send a second bar of
    // the same minute downstream, made of the late ticks alone.
    if ((forming.open && bucket < forming.bar.ts) ||
        (!forming.open && forming.last_closed && bucket <= *forming.last_closed)) {
      if (i == 0) ++counts_.ticks_out_of_order;
      continue;
    }
    if (forming.open && bucket > forming.bar.ts) {
      if (Status s = close_bar(forming, false); !s.ok()) return s;
    }
    if (!forming.open) {
      std::optional<TimestampMs> end = bucket_end(bucket, timeframe);
      if (!end) continue;
      forming.open = true;
      forming.end = *end;
      forming.updated_at = now;
      forming.missed_trades = bucket < receiving_since_;
      forming.bar = Bar{bucket,     tick.symbol, timeframe, tick.price, tick.price,
                        tick.price, tick.price,  traded,    false};
      continue;
    }
    forming.updated_at = now;
    Bar& bar = forming.bar;
    bar.high = std::max(bar.high, tick.price);
    bar.low = std::min(bar.low, tick.price);
    bar.close = tick.price;
    bar.volume += traded;
  }
  return Status();
}

void LiveFeed::set_connected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  const TimestampMs now = clock_.now_ms();
  if (!connected) {
    disconnected_since_ = now;
    for (auto& [symbol, state] : symbols_) {
      for (FormingBar& forming : state.bars) forming.missed_trades |= forming.open;
    }
    return;
  }
  disconnected_since_ = 0;
  receiving_since_ = now;
}

Status LiveFeed::poll() {
  const TimestampMs now = clock_.now_ms();
  for (auto& [symbol, state] : symbols_) {
    for (FormingBar& forming : state.bars) {
      // Ticks of the bar that still arrive after its end (exchange time trailing our clock) keep
      // it open until the grace has passed after the last of them.
      if (forming.open &&
          std::max(forming.end, forming.updated_at) + options_.close_grace_ms <= now) {
        if (Status s = close_bar(forming, false); !s.ok()) return s;
      }
    }
  }
  // The sink commits by age only when a row is added; a quiet feed must not hold rows back.
  return sink_.flush();
}

Status LiveFeed::finish() {
  const TimestampMs now = clock_.now_ms();
  for (auto& [symbol, state] : symbols_) {
    for (FormingBar& forming : state.bars) {
      if (!forming.open) continue;
      if (Status s = close_bar(forming, forming.end > now); !s.ok()) return s;
    }
  }
  return sink_.finish();
}

Heartbeat LiveFeed::heartbeat(bool stopping) const {
  const TimestampMs now = clock_.now_ms();
  nlohmann::json stale = nlohmann::json::array();
  Result<time::Session> session = calendar_.session_at(now);
  // Outside the continuous session no trades are expected, so silence is not staleness.
  const bool trading = session.ok() && *session == time::Session::kContinuous;
  if (trading && options_.stale_after_ms > 0) {
    for (const auto& [symbol, state] : symbols_) {
      const TimestampMs since = std::max(state.last_tick_at, receiving_since_);
      const std::int64_t age = now - since;
      if (age <= options_.stale_after_ms) continue;
      stale.push_back(
          {{"symbol", symbol}, {"last_tick", utc_or_null(state.last_tick_at)}, {"age_ms", age}});
    }
  }
  nlohmann::json detail = {{"source", options_.source},
                           {"connected", connected_},
                           {"disconnected_since", utc_or_null(disconnected_since_)},
                           {"stale", stale},
                           {"ticks", counts_.ticks},
                           {"bars", counts_.bars}};
  Heartbeat beat;
  beat.ts = now;
  beat.component = options_.component;
  beat.status = stopping ? "stopping" : (!connected_ || !stale.empty() ? "degraded" : "ok");
  beat.pid = static_cast<std::int64_t>(::getpid());
  beat.detail = detail.dump();
  return beat;
}

bool LiveFeed::heartbeat_due() const {
  return !last_beat_ || clock_.now_ms() - *last_beat_ >= options_.heartbeat_interval_ms;
}

Status LiveFeed::beat(bool stopping) {
  Heartbeat beat = heartbeat(stopping);
  last_beat_ = beat.ts;
  if (db_ != nullptr) {
    if (Status s = store::record_heartbeat(*db_, beat); !s.ok()) return s;
  }
  if (emit_ != nullptr) emit_->write(beat);
  return Status();
}

}  // namespace sm::ingest
