#include "divergence/replay.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <tuple>

#include "core/ndjson.h"
#include "store/divergence_records.h"
#include "store/market_data.h"
#include "store/trading_records.h"
#include "time/bar_time.h"

namespace sm::divergence {
namespace {

constexpr std::int64_t kBatch = 1000;  // bars per replay transaction

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

// A live fill with the time from which the replay may know it.
struct TimedFill {
  TimestampMs known_from = 0;
  Fill fill;
};

Result<std::vector<TimedFill>> live_fills(store::Database& live, const ReplayWindow& window) {
  Result<std::vector<Fill>> fills = store::list_fills(live, window.warmup_from, window.day_end);
  if (!fills.ok()) return fills.status();
  Result<std::vector<RiskDecision>> decisions =
      store::list_decisions(live, window.warmup_from, window.day_end);
  if (!decisions.ok()) return decisions.status();
  std::map<std::string, TimestampMs> signal_ts;
  for (const RiskDecision& d : *decisions) {
    if (!d.client_order_id.empty()) signal_ts[d.client_order_id] = d.signal_ts;
  }
  std::vector<TimedFill> out;
  for (Fill& f : *fills) {
    auto ordered = signal_ts.find(f.client_order_id);
    const TimestampMs from = ordered != signal_ts.end() ? ordered->second : f.ts;
    out.push_back(TimedFill{from, std::move(f)});
  }
  std::stable_sort(out.begin(), out.end(), [](const TimedFill& a, const TimedFill& b) {
    return a.known_from < b.known_from;
  });
  return out;
}

Result<std::vector<Bar>> stored_bars(store::Database& live,
                                     const std::vector<signal::InstanceConfig>& instances,
                                     const ReplayWindow& window) {
  std::set<int> timeframes;
  for (const signal::InstanceConfig& i : instances) timeframes.insert(i.timeframe.minutes);
  std::vector<Bar> bars;
  for (int minutes : timeframes) {
    store::BarQuery query;
    query.timeframe = Timeframe{minutes};
    query.from = window.warmup_from;
    query.to = window.day_end;
    SM_RETURN_IF_ERROR(store::for_each_bar(live, query, [&](const Bar& bar) {
      bars.push_back(bar);
      return true;
    }));
  }
  // One time line over every timeframe, as a live feed delivers it.
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) {
    return std::tie(a.ts, a.symbol) < std::tie(b.ts, b.symbol);
  });
  return bars;
}

}  // namespace

Result<ReplayResult> replay_day(store::Database& live,
                                const std::vector<signal::InstanceConfig>& instances, Paise capital,
                                const ReplayWindow& window, const Logger& log) {
  Result<std::vector<TimedFill>> fills = live_fills(live, window);
  if (!fills.ok()) return fills.status();
  Result<std::vector<Bar>> bars = stored_bars(live, instances, window);
  if (!bars.ok()) return bars.status();

  Result<store::Database> scratch = store::Database::open(":memory:");
  if (!scratch.ok()) return scratch.status();
  // The runner writes its signals out as NDJSON; the replay reads them back from its database.
  std::unique_ptr<std::FILE, FileCloser> sink(std::fopen("/dev/null", "w"));
  if (!sink) return error(ErrorCode::kIoError, "cannot open /dev/null");
  NdjsonWriter out(sink.get());
  signal::RunnerOptions options;
  options.capital = capital;
  signal::SignalRunner runner(*scratch, instances, options, out, log);

  ReplayResult result;
  std::size_t next_fill = 0;
  std::int64_t since_commit = 0;
  for (const Bar& bar : *bars) {
    // Live, a bar reaches sm-signal at its end; the fills of orders decided before then were
    // stored by then. (Its start would hold an intraday fill back one bar: the deciding bar's end,
    // the signal's time, is the next bar's start.)
    const TimestampMs arrives = time::bar_known_at(bar);
    if (next_fill < fills->size() && (*fills)[next_fill].known_from < arrives) {
      SM_RETURN_IF_ERROR(runner.commit());
      since_commit = 0;
      while (next_fill < fills->size() && (*fills)[next_fill].known_from < arrives) {
        Result<store::FillOutcome> stored = store::insert_fill(*scratch, (*fills)[next_fill].fill);
        if (!stored.ok()) return stored.status();
        ++result.fills;
        ++next_fill;
      }
      runner.follow_at_next_bar();
    }
    SM_RETURN_IF_ERROR(runner.on_bar(bar));
    ++result.bars;
    if (bar.ts >= window.day_start) result.closes[bar.symbol] = bar.close;
    if (++since_commit >= kBatch) {
      SM_RETURN_IF_ERROR(runner.commit());
      since_commit = 0;
    }
  }
  SM_RETURN_IF_ERROR(runner.commit());
  Result<std::vector<Signal>> signals =
      store::list_signals(*scratch, window.day_start, window.day_end);
  if (!signals.ok()) return signals.status();
  result.signals = std::move(*signals);
  return result;
}

}  // namespace sm::divergence
