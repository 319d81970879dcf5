#include "divergence/replay.h"

#include <catch2/catch.hpp>
#include <vector>

#include "signal/runner.h"
#include "store/market_data.h"
#include "store/trading_records.h"
#include "support/captured_log.h"
#include "support/temp_database.h"

using sm::divergence::replay_day;
using sm::divergence::ReplayWindow;

namespace {

constexpr sm::TimestampMs kDayMs = 86'400'000;
const sm::Date kFirstDay{2024, 1, 1};

sm::TimestampMs day_ts(int day) { return sm::from_ist(sm::add_days(kFirstDay, day), 9, 15); }

// TCS daily closes: flat at 100.00 for 6 days, up for 4 (a fast-over-slow cross on day 6), down
// for 5 (the cross back, day 10 or 11), up for 5 (a cross up again).
std::vector<sm::Bar> tcs_bars(sm::Timeframe timeframe = sm::Timeframe{
                                  sm::Timeframe::kDailyMinutes}) {
  std::vector<sm::Paise> closes;
  for (int i = 0; i < 6; ++i) closes.push_back(10'000);
  for (int i = 1; i <= 4; ++i) closes.push_back(10'000 + i * 500);
  for (int i = 1; i <= 5; ++i) closes.push_back(12'000 - i * 800);
  for (int i = 1; i <= 5; ++i) closes.push_back(8'000 + i * 900);
  std::vector<sm::Bar> bars;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    sm::Bar b;
    b.ts = timeframe.is_daily() ? day_ts(static_cast<int>(i))
                                : day_ts(0) + static_cast<sm::TimestampMs>(i) * 60'000;
    b.symbol = "TCS";
    b.timeframe = timeframe;
    b.open = b.high = b.low = b.close = closes[i];
    b.volume = 1000;
    bars.push_back(b);
  }
  return bars;
}

std::vector<sm::signal::InstanceConfig> sma_cross(sm::Timeframe timeframe = sm::Timeframe{
                                                      sm::Timeframe::kDailyMinutes}) {
  sm::signal::InstanceConfig instance;
  instance.timeframe = timeframe;
  instance.id = "sma";
  instance.name = "sma-cross";
  instance.params = {{"fast", 2}, {"slow", 4}, {"qty", 10}};
  std::vector<sm::signal::InstanceConfig> instances{instance};
  REQUIRE(sm::signal::validate_instances(instances).ok());
  return instances;
}

ReplayWindow whole_run() {
  ReplayWindow w;
  w.warmup_from = day_ts(0) - kDayMs;
  w.day_start = day_ts(0) - kDayMs;
  w.day_end = day_ts(30);
  return w;
}

// Live: the signal was approved as order o1 at once and filled within a second.
void record_filled_entry(sm::store::Database& db, const sm::Signal& entry) {
  sm::RiskDecision d;
  d.ts = entry.ts + 100;
  d.strategy = "sma";
  d.symbol = "TCS";
  d.action = sm::SignalAction::kEnterLong;
  d.signal_ts = entry.ts;
  d.approved = true;
  d.code = "APPROVED";
  d.client_order_id = "o1";
  REQUIRE(sm::store::record_risk_decision(db, d).ok());
  sm::Fill f;
  f.ts = entry.ts + 1000;
  f.client_order_id = "o1";
  f.trade_id = "t1";
  f.strategy = "sma";
  f.symbol = "TCS";
  f.side = sm::Side::kBuy;
  f.qty = 10;
  f.price = entry.price;
  REQUIRE(sm::store::insert_fill(db, f).ok());
}

std::vector<std::string> actions(const std::vector<sm::Signal>& signals) {
  std::vector<std::string> out;
  for (const sm::Signal& s : signals) out.emplace_back(sm::signal_action_name(s.action));
  return out;
}

}  // namespace

TEST_CASE("the replay runs the strategies on the stored bars; without fills it never exits") {
  sm::testing::TempDatabase live;
  sm::testing::CapturedLog log;
  const std::vector<sm::Bar> bars = tcs_bars();
  REQUIRE(sm::store::insert_bars(live.db, bars).ok());
  auto replay = replay_day(live.db, sma_cross(), 0, whole_run(), log.log());
  REQUIRE(replay.ok());
  CHECK(replay->bars == static_cast<std::int64_t>(bars.size()));
  CHECK(replay->fills == 0);
  // Flat: two crosses up are two entries, and no exit (the strategy holds nothing).
  CHECK(actions(replay->signals) == std::vector<std::string>{"enter_long", "enter_long"});
  CHECK(replay->closes.at("TCS") == bars.back().close);
}

TEST_CASE("the live fills reach the replayed strategies in lock step: the entry filled, it exits") {
  sm::testing::TempDatabase live;
  sm::testing::CapturedLog log;
  REQUIRE(sm::store::insert_bars(live.db, tcs_bars()).ok());
  auto first = replay_day(live.db, sma_cross(), 0, whole_run(), log.log());
  REQUIRE(first.ok());
  REQUIRE(!first->signals.empty());
  const sm::Signal entry = first->signals.front();
  record_filled_entry(live.db, entry);

  auto replay = replay_day(live.db, sma_cross(), 0, whole_run(), log.log());
  REQUIRE(replay.ok());
  CHECK(replay->fills == 1);
  // Holding 10 from the next bar on: the cross down exits, and there is no second entry while
  // the exit was never filled.
  CHECK(actions(replay->signals) == std::vector<std::string>{"enter_long", "exit_long"});
  CHECK(replay->signals[1].ts > entry.ts);
}

TEST_CASE("only the day's signals are returned; the bars before it are warm-up") {
  sm::testing::TempDatabase live;
  sm::testing::CapturedLog log;
  REQUIRE(sm::store::insert_bars(live.db, tcs_bars()).ok());
  auto all = replay_day(live.db, sma_cross(), 0, whole_run(), log.log());
  REQUIRE(all.ok());
  REQUIRE(all->signals.size() == 2);
  ReplayWindow second_entry_day = whole_run();
  second_entry_day.day_start = all->signals[1].ts;
  second_entry_day.day_end = all->signals[1].ts + kDayMs;
  auto day = replay_day(live.db, sma_cross(), 0, second_entry_day, log.log());
  REQUIRE(day.ok());
  REQUIRE(day->signals.size() == 1);
  CHECK(day->signals[0].ts == all->signals[1].ts);
}

TEST_CASE("an intraday fill reaches the replay before the very next bar, as it did live") {
  const sm::Timeframe minute{1};
  sm::testing::TempDatabase live;
  sm::testing::CapturedLog log;
  REQUIRE(sm::store::insert_bars(live.db, tcs_bars(minute)).ok());
  auto first = replay_day(live.db, sma_cross(minute), 0, whole_run(), log.log());
  REQUIRE(first.ok());
  REQUIRE(!first->signals.empty());
  const sm::Signal entry = first->signals.front();
  record_filled_entry(live.db, entry);
  // Up to the next bar only: it starts when the entry's bar ends (the signal's time) and reaches
  // sm-signal a minute later, after the fill.
  ReplayWindow window = whole_run();
  window.day_end = entry.ts + 60'000;
  auto replay = replay_day(live.db, sma_cross(minute), 0, window, log.log());
  REQUIRE(replay.ok());
  CHECK(replay->fills == 1);
}
