#include "paper/price_source.h"

#include <algorithm>

#include "broker/broker.h"
#include "time/bar_time.h"

namespace sm::paper {

std::optional<MarketPrice> InMemoryPriceSource::latest(std::string_view exchange,
                                                       std::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = prices_.find(broker::instrument_key(exchange, symbol));
  if (it == prices_.end()) return std::nullopt;
  return it->second;
}

void InMemoryPriceSource::update(std::string_view exchange, std::string_view symbol, TimestampMs ts,
                                 Paise last, Paise low, Paise high, Quantity volume_delta,
                                 Quantity cumulative_volume) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = prices_.try_emplace(broker::instrument_key(exchange, symbol));
  MarketPrice& p = it->second;
  const bool new_day = inserted || p.ts == 0 || ist_date(ts) != ist_date(p.ts);
  if (new_day) {
    if (!inserted && p.last > 0 && ts > p.ts) {
      p.previous_close = p.last;
      for (const CorporateAction& action :
           actions_crossed(actions_, symbol, ist_date(p.ts), ist_date(ts))) {
        p.previous_close = std::max<Paise>(
            1, saturate(divide_half_away_from_zero(Int128{p.previous_close} * action.numerator(),
                                                   action.denominator())));
      }
    }
    p.day_open = last;
    p.day_high = high;
    p.day_low = low;
    p.day_volume = 0;
    // Explicit limits were for the old day.
    p.lower_circuit = 0;
    p.upper_circuit = 0;
  }
  p.ts = ts;
  p.last = last;
  p.interval_low = low;
  p.interval_high = high;
  p.day_high = std::max(p.day_high, high);
  p.day_low = p.day_low == 0 ? low : std::min(p.day_low, low);
  if (volume_delta > 0) {
    p.interval_volume = volume_delta;
  } else {
    p.interval_volume = cumulative_volume > p.day_volume ? cumulative_volume - p.day_volume : 0;
  }
  ++p.update_seq;
  p.day_volume = cumulative_volume > 0 ? cumulative_volume : p.day_volume + volume_delta;
  latest_ts_ = std::max(latest_ts_, ts);
}

void InMemoryPriceSource::apply_tick(std::string_view exchange, const Tick& tick) {
  update(exchange, tick.symbol, tick.ts, tick.price, tick.price, tick.price, tick.qty, tick.volume);
}

void InMemoryPriceSource::apply_bar(std::string_view exchange, const Bar& bar) {
  // The bar's close is not known before the bar is over, so it is applied then, as signals on it
  // are stamped: otherwise the risk gateway, which takes fills' times as "now" in a replay, would
  // find the other symbols' signals of the same close stale.
  update(exchange, bar.symbol, time::bar_known_at(bar), bar.close, std::min(bar.low, bar.close),
         std::max(bar.high, bar.close), bar.volume, 0);
}

void InMemoryPriceSource::set_quote(std::string_view exchange, std::string_view symbol,
                                    TimestampMs ts, Paise last, Paise previous_close,
                                    Paise lower_circuit, Paise upper_circuit) {
  update(exchange, symbol, ts, last, last, last, 0, 0);
  std::lock_guard<std::mutex> lock(mutex_);
  MarketPrice& p = prices_.find(broker::instrument_key(exchange, symbol))->second;
  if (previous_close > 0) p.previous_close = previous_close;
  if (lower_circuit > 0) p.lower_circuit = lower_circuit;
  if (upper_circuit > 0) p.upper_circuit = upper_circuit;
}

void InMemoryPriceSource::set_corporate_actions(std::vector<CorporateAction> actions) {
  std::lock_guard<std::mutex> lock(mutex_);
  actions_ = std::move(actions);
}

std::vector<std::string> InMemoryPriceSource::keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [key, price] : prices_) out.push_back(key);
  return out;
}

TimestampMs InMemoryPriceSource::latest_ts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_ts_;
}

TimestampMs MarketClock::now_ms() const {
  const TimestampMs ts = prices_.latest_ts();
  return ts > 0 ? ts : fallback_.now_ms();
}

}  // namespace sm::paper
