#include "ingest/replay.h"

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>

#include "core/shutdown.h"
#include "store/market_data.h"

namespace sm::ingest {
namespace {

// Sleeps are cut into slices so a stop request is seen within this long even if a signal's
// interruption of nanosleep were missed.
constexpr std::int64_t kSliceMs = 100;

class Pacer {
 public:
  Pacer(const ReplayOptions& options, const time::Clock& clock, const SleepFunction& sleep)
      : speed_(options.speed), clock_(clock), sleep_(sleep) {}

  // Waits until the record at ts is due. Returns false when a stop was requested meanwhile.
  bool wait_for(TimestampMs ts) {
    if (stop_requested()) return false;
    if (speed_ <= 0) return true;
    if (!started_) {
      started_ = true;
      first_ts_ = ts;
      wall_start_ = clock_.now_ms();
      return true;
    }
    const double offset = static_cast<double>(ts - first_ts_) / speed_;
    const TimestampMs due = wall_start_ + static_cast<TimestampMs>(std::llround(offset));
    for (;;) {
      if (stop_requested()) return false;
      const TimestampMs now = clock_.now_ms();
      if (now >= due) return true;
      sleep_(std::min(due - now, kSliceMs));
    }
  }

 private:
  double speed_;
  const time::Clock& clock_;
  const SleepFunction& sleep_;
  bool started_ = false;
  TimestampMs first_ts_ = 0;
  TimestampMs wall_start_ = 0;
};

}  // namespace

Result<double> parse_speed(std::string_view text) {
  if (text == "max") return 0.0;
  if (text == "realtime") return 1.0;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value <= 0) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("'{}' is not a speed (max, realtime or a positive number)", text));
  }
  return value;
}

void sleep_interruptibly(std::int64_t ms) {
  if (ms <= 0) return;
  timespec request{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1'000'000)};
  // No SA_RESTART on our stop handlers: SIGTERM interrupts this with EINTR and the caller sees
  // stop_requested(). Other interruptions just shorten one slice.
  (void)nanosleep(&request, nullptr);
}

Result<ReplayCounts> replay(store::Database& db, const ReplayOptions& options, NdjsonWriter& out,
                            const time::Clock& clock, const SleepFunction& sleep) {
  ReplayCounts counts;
  Pacer pacer(options, clock, sleep);
  const bool one_symbol = options.symbols.size() == 1;
  auto wanted = [&](const std::string& symbol) {
    return options.symbols.size() <= 1 || std::find(options.symbols.begin(), options.symbols.end(),
                                                    symbol) != options.symbols.end();
  };
  // Returns false to end the scan.
  auto write = [&](const auto& record) {
    if (!wanted(record.symbol)) return true;
    if (!pacer.wait_for(record.ts)) {
      counts.stopped = true;
      return false;
    }
    out.write(record);
    if (!out.good()) {
      counts.output_closed = true;
      return false;
    }
    ++counts.written;
    return true;
  };
  Status status;
  if (options.ticks) {
    store::TickQuery query;
    if (one_symbol) query.symbol = options.symbols.front();
    query.from = options.from;
    query.to = options.to;
    status = store::for_each_tick(db, query, [&](const Tick& tick) { return write(tick); });
  } else {
    store::BarQuery query;
    if (one_symbol) query.symbol = options.symbols.front();
    query.timeframe = options.timeframe;
    query.from = options.from;
    query.to = options.to;
    status = store::for_each_bar(db, query, [&](const Bar& bar) { return write(bar); });
  }
  if (!status.ok()) return status;
  out.flush();
  return counts;
}

}  // namespace sm::ingest
