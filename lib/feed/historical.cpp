#include "feed/historical.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>

#include "store/historical_chunks.h"
#include "store/market_data.h"

namespace sm::feed {
namespace {

struct KnownInterval {
  std::string_view kite_name;
  std::string_view ours;
  int minutes;
  int max_days;
};

// reference §1.6 (https://kite.trade/forum/discussion/3105/).
constexpr std::array<KnownInterval, 8> kIntervals = {{
    {"minute", "1m", 1, 60},
    {"3minute", "3m", 3, 100},
    {"5minute", "5m", 5, 100},
    {"10minute", "10m", 10, 100},
    {"15minute", "15m", 15, 200},
    {"30minute", "30m", 30, 200},
    {"60minute", "1h", 60, 400},
    {"day", "1d", Timeframe::kDailyMinutes, 2000},
}};

bool valid_bar(const Bar& bar) {
  return bar.open > 0 && bar.close > 0 && bar.low > 0 && bar.low <= bar.high &&
         bar.open >= bar.low && bar.open <= bar.high && bar.close >= bar.low &&
         bar.close <= bar.high && bar.volume >= 0;
}

}  // namespace

Result<HistoricalInterval> parse_historical_interval(std::string_view text) {
  for (const KnownInterval& k : kIntervals) {
    if (text == k.kite_name || text == k.ours) {
      return HistoricalInterval{std::string(k.kite_name), Timeframe{k.minutes}, k.max_days};
    }
  }
  return error(ErrorCode::kInvalidArgument,
               fmt::format("unknown interval '{}': use minute, 3minute, 5minute, 10minute, "
                           "15minute, 30minute, 60minute or day (or 1m, 3m, 5m, 10m, 15m, 30m, "
                           "1h, 1d)",
                           text));
}

std::vector<RequestSpan> plan_request_spans(Date first, Date last, int max_days) {
  std::vector<RequestSpan> spans;
  if (max_days <= 0) return spans;
  for (std::int64_t day = days_from_civil(first); day <= days_from_civil(last); day += max_days) {
    const std::int64_t end_day = std::min(day + max_days - 1, days_from_civil(last));
    spans.push_back(
        {from_ist(civil_from_days(day), 0, 0, 0), from_ist(civil_from_days(end_day), 23, 59, 59)});
  }
  return spans;
}

Bar candle_to_bar(const broker::Candle& candle, const std::string& symbol, Timeframe timeframe,
                  TimestampMs now) {
  Bar bar;
  bar.symbol = symbol;
  bar.timeframe = timeframe;
  bar.ts = timeframe.is_daily() ? from_ist(ist_date(candle.ts), 9, 15) : candle.ts;
  bar.open = candle.open;
  bar.high = candle.high;
  bar.low = candle.low;
  bar.close = candle.close;
  bar.volume = candle.volume;
  // A daily bar is known at 15:30 IST; an intraday one at its end.
  const TimestampMs end = timeframe.is_daily() ? from_ist(ist_date(candle.ts), 15, 30)
                                               : bar.ts + timeframe.minutes * kMsPerMinute;
  bar.partial = end > now;
  return bar;
}

Result<HistoricalCounts> download_historical(store::Database& db, const HistoricalRequest& request,
                                             const FetchCandles& fetch, const time::Clock& clock,
                                             const ProgressFunction& progress,
                                             const std::function<bool()>& should_stop) {
  const std::vector<RequestSpan> spans =
      plan_request_spans(request.first, request.last, request.interval.max_days_per_request);
  HistoricalCounts counts;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const store::HistoricalChunk chunk{request.symbol, request.interval.timeframe, spans[i].from,
                                       spans[i].to, 0};
    Result<bool> done = store::historical_chunk_done(db, chunk);
    if (!done.ok()) return done.status();
    if (*done) {
      ++counts.spans_skipped;
      if (progress) progress(i + 1, spans.size());
      continue;
    }
    if (should_stop && should_stop()) break;
    ++counts.requests;
    broker::BrokerResult<std::vector<broker::Candle>> candles =
        fetch(request.instrument_token, request.interval.kite_name, chunk.from, chunk.to);
    if (!candles.ok()) return candles.error().status();
    const TimestampMs now = clock.now_ms();
    std::vector<Bar> bars;
    bars.reserve(candles->size());
    for (const broker::Candle& candle : *candles) {
      Bar bar = candle_to_bar(candle, request.symbol, request.interval.timeframe, now);
      if (!valid_bar(bar)) {
        ++counts.bad_candles;
        continue;
      }
      bars.push_back(std::move(bar));
    }
    counts.candles += static_cast<std::int64_t>(candles->size());
    Result<store::WriteCounts> written = store::insert_bars(db, bars);
    if (!written.ok()) return written.status();
    counts.inserted += written->inserted;
    counts.duplicates += written->duplicates;
    counts.replaced += written->replaced;
    // A span whose end is still ahead holds a forming day: fetch it again next time.
    if (chunk.to < now) {
      store::HistoricalChunk complete = chunk;
      complete.candles = static_cast<std::int64_t>(candles->size());
      if (Status s = store::record_historical_chunk(db, complete); !s.ok()) return s;
    }
    if (progress) progress(i + 1, spans.size());
  }
  return counts;
}

}  // namespace sm::feed
