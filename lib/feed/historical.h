// Historical download: a symbol's candles for a date range and interval from the broker into the
// bars table (docs/INGEST.md "Historical download").
//
// The range is cut into request spans no longer than the broker allows per interval (reference
// §1.6: minute 60 days, 3/5/10minute 100, 15/30minute 200, 60minute 400, day 2000); the requests
// go through the broker's historical rate limiter (3 a second). Each span is stored in one
// transaction and then recorded as complete (store/historical_chunks.h), so:
//   - an interrupted download run again fetches only the spans it has not finished;
//   - a repeated download sends no request and stores nothing twice (bars are idempotent on their
//     key anyway);
//   - a span that reaches into the future (today's session still running) is never recorded as
//     complete, so the next run fetches it again and completes the partial last bar.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.h"
#include "broker/types.h"
#include "core/messages.h"
#include "core/status.h"
#include "store/database.h"
#include "time/clock.h"

namespace sm::feed {

struct HistoricalInterval {
  std::string kite_name;  // "minute", "5minute", "60minute", "day"
  Timeframe timeframe;
  int max_days_per_request = 0;
};

// Accepts Kite's words (minute, 3minute, 5minute, 10minute, 15minute, 30minute, 60minute, day) and
// ours (1m, 3m, 5m, 10m, 15m, 30m, 1h, 1d). kInvalidArgument listing them otherwise.
Result<HistoricalInterval> parse_historical_interval(std::string_view text);

// One request's span: IST from 00:00:00 of its first day to 23:59:59 of its last, both inclusive.
struct RequestSpan {
  TimestampMs from = 0;
  TimestampMs to = 0;
};
// The spans covering the IST dates [first, last], oldest first, each at most max_days long.
std::vector<RequestSpan> plan_request_spans(Date first, Date last, int max_days);

// How one request is made: KiteBroker::historical in the program, a fake in tests.
using FetchCandles = std::function<broker::BrokerResult<std::vector<broker::Candle>>(
    std::int64_t instrument_token, std::string_view interval, TimestampMs from, TimestampMs to)>;

struct HistoricalRequest {
  std::string symbol;
  std::int64_t instrument_token = 0;
  HistoricalInterval interval;
  Date first{}, last{};  // IST dates, inclusive
};

struct HistoricalCounts {
  std::int64_t requests = 0;
  std::int64_t spans_skipped = 0;  // complete from an earlier run
  std::int64_t candles = 0;
  std::int64_t inserted = 0;
  std::int64_t duplicates = 0;
  std::int64_t replaced = 0;     // stored partial bars completed
  std::int64_t bad_candles = 0;  // a price <= 0 or low > high: not stored (counted, reported)
};

// Called after each span: spans done so far (skipped ones included) and the total.
using ProgressFunction = std::function<void(std::size_t done, std::size_t total)>;

// Downloads request into db. Stops at the first failed request with the broker's status
// (kAuthError for an expired token, kRateLimited, kNetworkError ...) or at a database failure;
// what was stored before stays and is recorded, so running again resumes. should_stop is checked
// before each request (SIGTERM).
Result<HistoricalCounts> download_historical(store::Database& db, const HistoricalRequest& request,
                                             const FetchCandles& fetch, const time::Clock& clock,
                                             const ProgressFunction& progress,
                                             const std::function<bool()>& should_stop);

// A candle as a bar of timeframe: daily candles (stamped 00:00 IST by Kite) are labelled 09:15 IST
// like every daily bar here; intraday ones keep their start. partial when the bar has not ended by
// now.
Bar candle_to_bar(const broker::Candle& candle, const std::string& symbol, Timeframe timeframe,
                  TimestampMs now);

}  // namespace sm::feed
