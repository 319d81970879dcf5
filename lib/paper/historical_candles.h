// What sm-paper answers to GET /instruments/historical/{token}/{interval}: synthetic candles, a
// deterministic walk seeded by the instrument token, for every weekday's regular session (09:15 to
// 15:30 IST) in the range and not after now. They are test data for sm-ingest historical (chunking,
// rate limits, resuming), not market data. Same request, same candles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/types.h"
#include "core/status.h"

namespace sm::paper {

// Kite's interval word -> minutes (day = 1440) and the most days one request may span (reference
// §1.6); nullopt for an unknown word.
struct KiteInterval {
  int minutes = 0;
  int max_days = 0;
};
std::optional<KiteInterval> kite_interval(std::string_view word);

// The candles of [from, to] (both inclusive, on the candle's start) for token, none after now.
// Daily candles are stamped 00:00 IST like Kite's. kInvalidArgument (Kite's InputException
// message) when the span is longer than the interval allows or to < from.
Result<std::vector<broker::Candle>> synthetic_candles(std::int64_t token, std::string_view interval,
                                                      TimestampMs from, TimestampMs to,
                                                      TimestampMs now);

}  // namespace sm::paper
