#include "backtest/market_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <queue>
#include <string>

#include "core/memory_advice.h"
#include "core/parallel_parts.h"

namespace sm::backtest {

namespace {

// What is wrong with bar i of one, or nothing.
std::optional<std::string> bar_problem(const SymbolSeries& one, std::size_t i) {
  const Bar& bar = one.bars[i];
  if (bar.symbol != one.symbol) return "its symbol is " + bar.symbol;
  if (i > 0 && bar.ts <= one.bars[i - 1].ts) return "not after the previous bar";
  if (bar.open <= 0 || bar.high <= 0 || bar.low <= 0 || bar.close <= 0) {
    return "a price is not positive";
  }
  if (bar.low > bar.high) return "low is above high";
  return std::nullopt;
}

}  // namespace

Result<MarketData> MarketData::make(std::vector<SymbolSeries> series, std::size_t parts) {
  std::sort(series.begin(), series.end(),
            [](const SymbolSeries& a, const SymbolSeries& b) { return a.symbol < b.symbol; });
  for (std::size_t s = 0; s < series.size(); ++s) {
    const SymbolSeries& one = series[s];
    if (one.symbol.empty()) return error(ErrorCode::kInvalidArgument, "a series has no symbol");
    if (s > 0 && series[s - 1].symbol == one.symbol) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("two series for symbol {}; merge them first", one.symbol));
    }
    // Each part finds its first bad bar; the first of those is the one a single pass stops at.
    std::vector<std::size_t> first_bad(part_count(one.bars.size(), parts), one.bars.size());
    run_in_parts(one.bars.size(), parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        if (bar_problem(one, i)) {
          first_bad[part] = i;
          return;
        }
      }
    });
    for (const std::size_t i : first_bad) {
      if (i == one.bars.size()) continue;
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("{} bar {} ({}): {}", one.symbol, i, format_utc(one.bars[i].ts),
                               *bar_problem(one, i)));
    }
  }
  if (series.size() > UINT32_MAX) return error(ErrorCode::kInvalidArgument, "too many series");
  MarketData out;
  out.series_ = std::move(series);
  out.merge(parts);
  return out;
}

void MarketData::merge(std::size_t parts) {
  std::size_t total = 0;
  for (const SymbolSeries& s : series_) total += s.bars.size();
  events_.clear();
  events_.reserve(total);
  // Written in full right away: on huge pages (core/memory_advice.h), as the loaders' bars.
  advise_huge_pages(events_.data(), events_.capacity() * sizeof(Event));
  times_.clear();
  if (series_.size() == 1) {
    // The common case, and the one the speed target is about: no heap merge needed, each bar's
    // event and time written in place.
    const auto& bars = series_[0].bars;
    times_.reserve(total);
    advise_huge_pages(times_.data(), times_.capacity() * sizeof(TimestampMs));
    reserve_in_parts(events_, total, parts);
    reserve_in_parts(times_, total, parts);
    events_.resize(total);
    times_.resize(total);
    run_in_parts(total, parts, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        events_[i] = {bars[i].ts, 0, static_cast<std::uint32_t>(i)};
        times_[i] = bars[i].ts;
      }
    });
    return;
  }
  // k-way merge by (ts, series index); series are in symbol order, so ties come out by symbol.
  using Head = std::pair<TimestampMs, std::uint32_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::vector<std::uint32_t> next(series_.size(), 0);
  for (std::uint32_t s = 0; s < series_.size(); ++s) {
    if (!series_[s].bars.empty()) heads.push({series_[s].bars[0].ts, s});
  }
  while (!heads.empty()) {
    auto [ts, s] = heads.top();
    heads.pop();
    events_.push_back({ts, s, next[s]});
    if (times_.empty() || times_.back() != ts) times_.push_back(ts);
    if (++next[s] < series_[s].bars.size()) heads.push({series_[s].bars[next[s]].ts, s});
  }
}

int MarketData::find(std::string_view symbol) const {
  for (std::size_t s = 0; s < series_.size(); ++s) {
    if (series_[s].symbol == symbol) return static_cast<int>(s);
  }
  return -1;
}

MarketData MarketData::slice(TimestampMs from, TimestampMs to) const {
  MarketData out;
  for (const SymbolSeries& s : series_) {
    auto first = std::lower_bound(s.bars.begin(), s.bars.end(), from,
                                  [](const Bar& b, TimestampMs t) { return b.ts < t; });
    auto last = std::lower_bound(first, s.bars.end(), to,
                                 [](const Bar& b, TimestampMs t) { return b.ts < t; });
    if (first == last) continue;
    out.series_.push_back(SymbolSeries{s.symbol, std::vector<Bar>(first, last)});
  }
  out.merge();
  return out;
}

}  // namespace sm::backtest
