#include "paper/historical_candles.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>

namespace sm::paper {
namespace {

// splitmix64: a well-mixed value for (token, ts), so every candle is reproducible on its own.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

broker::Candle candle_at(std::int64_t token, TimestampMs ts) {
  const std::uint64_t h =
      mix(static_cast<std::uint64_t>(token) * 1'000'003ULL ^ static_cast<std::uint64_t>(ts));
  // Around 100 to 1099.95 rupees by token, on a 5-paise grid, within ±5% by candle.
  const Paise base = 10'000 + static_cast<Paise>(static_cast<std::uint64_t>(token) % 1000) * 100;
  const Paise swing = base / 20;
  auto offset = [&](int shift) {
    return static_cast<Paise>((h >> shift) % static_cast<std::uint64_t>(2 * swing + 1)) - swing;
  };
  auto grid = [](Paise p) { return std::max<Paise>(5, p / 5 * 5); };
  const Paise open = grid(base + offset(0));
  const Paise close = grid(base + offset(16));
  const Paise high = std::max(open, close) + grid(static_cast<Paise>((h >> 32) % 50) * 5 + 5);
  const Paise low =
      std::max<Paise>(5, std::min(open, close) - static_cast<Paise>((h >> 40) % 50) * 5);
  return broker::Candle{ts, open, high, low, close, static_cast<Quantity>((h >> 48) % 10'000), 0};
}

}  // namespace

std::optional<KiteInterval> kite_interval(std::string_view word) {
  static constexpr std::array<std::pair<std::string_view, KiteInterval>, 8> kKnown = {{
      {"minute", {1, 60}},
      {"3minute", {3, 100}},
      {"5minute", {5, 100}},
      {"10minute", {10, 100}},
      {"15minute", {15, 200}},
      {"30minute", {30, 200}},
      {"60minute", {60, 400}},
      {"day", {1440, 2000}},
  }};
  for (const auto& [name, interval] : kKnown) {
    if (name == word) return interval;
  }
  return std::nullopt;
}

Result<std::vector<broker::Candle>> synthetic_candles(std::int64_t token, std::string_view interval,
                                                      TimestampMs from, TimestampMs to,
                                                      TimestampMs now) {
  std::optional<KiteInterval> known = kite_interval(interval);
  if (!known) return error(ErrorCode::kInvalidArgument, "invalid interval");
  if (to < from) return error(ErrorCode::kInvalidArgument, "invalid from date: after the to date");
  const std::int64_t first_day = days_from_civil(ist_date(from));
  const std::int64_t last_day = days_from_civil(ist_date(to));
  if (last_day - first_day + 1 > known->max_days) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("interval exceeds max limit: {} days", known->max_days));
  }
  std::vector<broker::Candle> out;
  for (std::int64_t day = first_day; day <= last_day; ++day) {
    const Date date = civil_from_days(day);
    if (weekday(date) == 0 || weekday(date) == 6) continue;
    if (known->minutes == 1440) {
      const TimestampMs ts = from_ist(date, 0, 0);
      if (ts >= from && ts <= to && from_ist(date, 9, 15) <= now)
        out.push_back(candle_at(token, ts));
      continue;
    }
    for (TimestampMs ts = from_ist(date, 9, 15); ts < from_ist(date, 15, 30);
         ts += known->minutes * kMsPerMinute) {
      if (ts < from || ts > to || ts > now) continue;
      out.push_back(candle_at(token, ts));
    }
  }
  return out;
}

}  // namespace sm::paper
