#include "backtest/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <span>

#include "core/position.h"
#include "strategy/builtin_rules.h"
#include "strategy/registry.h"
#include "strategy/strategy.h"
#include "time/bar_time.h"

namespace sm::backtest {
namespace {

void add(costs::Charges& into, const costs::Charges& more) {
  into.brokerage += more.brokerage;
  into.stt += more.stt;
  into.exchange += more.exchange;
  into.sebi += more.sebi;
  into.stamp += more.stamp;
  into.gst += more.gst;
  into.dp += more.dp;
}

struct Order {
  Side side = Side::kBuy;
  OrderType type = OrderType::kMarket;
  Quantity qty = 0;
  Paise price = 0;    // limit price or stop trigger
  int bars_left = 1;  // bars on which it may still fill
  bool protective = false;
  bool live_at_open = true;  // false: placed after this bar's open (no gap fill this bar)
  std::int64_t signal = -1;
  Paise entry_stop = 0;         // an entry's stop, rested as a protective stop once it fills
  Paise placed_price = 0;       // protective stops: the entry fill price they were placed at
  std::string client_order_id;  // from the gate, else made from the signal index
  bool forced = false;          // the gate's own kill-switch exit, not the strategy's order
};

// S is the type the engine calls: strategy::Strategy (through on_bar, any mix of strategies) or
// the one strategy::RuleStrategy<Rule> every instance of the run is (its step inlined).
template <typename S>
struct Slot {
  std::size_t instance = 0;
  std::uint32_t series = 0;
  std::unique_ptr<strategy::Strategy> strategy;
  S* decider = nullptr;  // *strategy
  // Moved by core's apply_fill, as the store and the risk engine keep theirs (long only here).
  Position position;
  // The round trip's totals, for its trade record and for the average entry price the strategy and
  // the gate see: bought_value / bought_qty of every buy since the position opened. After a partial
  // sell core's cost / qty can differ from it by a paisa, and a strategy must see what it saw.
  Quantity bought_qty = 0;
  Paise bought_value = 0;
  Paise sold_value = 0;
  Paise average_price = 0;     // mean_half_even(bought_value, bought_qty), kept up to date
  Paise realised_at_open = 0;  // position.realised_pnl when the round trip opened
  costs::Charges charges;      // of the current round trip
  TimestampMs entry_ts = 0;
  std::int64_t entry_bar = 0;
  std::optional<Order> order;  // the strategy's working order
  std::optional<Order> stop;   // protective stop
};

struct SymbolState {
  std::vector<std::size_t> slots;
  Paise last_close = 0;
  bool has_close = false;
  Quantity held = 0;
  std::int64_t bar_index = -1;
  Bar last;                  // the latest bar's fields, without its symbol (for the end of the run)
  Quantity volume_left = 0;  // under the volume cap, for the current bar
  std::optional<Date> last_delivery_sell;
};

enum class Phase { kOpen, kIntrabar, kClose };

// What made a fill, and why a position closed: kept as enums on the fill path and written as text
// only into a record someone reads (FillRecord::trigger, TradeRecord::exit_reason).
enum class Trigger { kOpen, kClose, kLimit, kStop, kProtectiveStop, kEnd };
enum class Reason { kSignal, kProtectiveStop, kEnd };

const char* trigger_name(Trigger trigger) {
  switch (trigger) {
    case Trigger::kOpen:
      return "open";
    case Trigger::kClose:
      return "close";
    case Trigger::kLimit:
      return "limit";
    case Trigger::kStop:
      return "stop";
    case Trigger::kProtectiveStop:
      return "protective_stop";
    case Trigger::kEnd:
      return "end";
  }
  return "open";
}

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kSignal:
      return "signal";
    case Reason::kProtectiveStop:
      return "protective_stop";
    case Reason::kEnd:
      return "end";
  }
  return "signal";
}

template <typename S>
class Engine {
 public:
  static constexpr bool kTyped = !std::is_same_v<S, strategy::Strategy>;

  Engine(BarFeed& feed, const std::vector<StrategySpec>& specs, const EngineConfig& config,
         const costs::CostModel& costs, SignalGate& gate, RecordSink* sink)
      : feed_(feed),
        names_(feed.symbols()),
        specs_(specs),
        config_(config),
        costs_(costs),
        gate_(gate),
        sink_(config.record_details ? sink : nullptr),
        per_day_equity_(!config.record_details || sink_ != nullptr) {}

  Status build() {
    SM_RETURN_IF_ERROR(validate(config_));
    if (specs_.empty()) return error(ErrorCode::kInvalidArgument, "no strategy to run");
    symbols_.resize(names_.size());
    std::set<std::string> ids;
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const StrategySpec& spec = specs_[i];
      const std::string id = spec.id.empty() ? spec.name : spec.id;
      if (!ids.insert(id).second) {
        return error(
            ErrorCode::kInvalidArgument,
            fmt::format("two strategy instances are called '{}'; give each its own id", id));
      }
      ids_.push_back(id);
      std::vector<std::uint32_t> series;
      if (spec.symbols.empty()) {
        for (std::uint32_t s = 0; s < names_.size(); ++s) series.push_back(s);
      } else {
        for (const std::string& symbol : spec.symbols) {
          auto found = std::lower_bound(names_.begin(), names_.end(), symbol);
          if (found == names_.end() || *found != symbol) {
            return error(ErrorCode::kInvalidArgument,
                         fmt::format("strategy '{}': no bars for symbol {}", id, symbol));
          }
          series.push_back(static_cast<std::uint32_t>(found - names_.begin()));
        }
      }
      for (std::uint32_t s : series) {
        auto made = strategy::make_strategy(spec.name, spec.params);
        if (!made.ok()) return made.status();
        Slot<S> slot;
        slot.instance = i;
        slot.series = s;
        slot.strategy = std::move(made).value();
        if constexpr (kTyped) {
          slot.decider = dynamic_cast<S*>(slot.strategy.get());
          if (slot.decider == nullptr) {
            return error(ErrorCode::kInternal,
                         fmt::format("strategy '{}' is not of the type its run was made for", id));
          }
        } else {
          slot.decider = slot.strategy.get();
        }
        symbols_[s].slots.push_back(slots_.size());
        slots_.push_back(std::move(slot));
      }
    }
    // Instances decide in the order they were given, per symbol.
    result_.config = config_;
    result_.strategies = specs_;
    for (std::size_t i = 0; i < specs_.size(); ++i) result_.strategies[i].id = ids_[i];
    result_.gate_name = gate_.name();
    if (!per_day_equity_) result_.equity.reserve(feed_.expected_times());
    result_.cost_model = costs_.name();
    cash_ = config_.starting_cash;
    return Status();
  }

  Status run() {
    if constexpr (kTyped) {
      if (fast_path_applies() && feed_.gives_chunks()) {
        std::span<const Bar> chunk;
        while (true) {
          SM_RETURN_IF_ERROR(feed_.next_chunk(chunk));
          if (chunk.empty()) break;
          SM_RETURN_IF_ERROR(run_one_series(chunk));
        }
        return finish();
      }
    }
    std::vector<FeedBar> now;
    while (true) {
      SM_RETURN_IF_ERROR(feed_.next(now));
      if (now.empty()) break;
      SM_RETURN_IF_ERROR(step(now));
    }
    return finish();
  }

  BacktestResult take() { return std::move(result_); }

 private:
  // The general step: one bar time, every symbol with a bar at it (the header comment's order).
  Status step(const std::vector<FeedBar>& now) {
    const TimestampMs ts = now.front().bar->ts;
    const bool trading = ts >= config_.trade_from;
    SM_RETURN_IF_ERROR(open_time(now, trading));
    for (const FeedBar& arrived : now) {
      for (std::size_t s : symbols_[arrived.series].slots) {
        SM_RETURN_IF_ERROR(decide(slots_[s], *arrived.bar, trading));
      }
    }
    return close_time(now, ts, trading);
  }

  // What comes before the decisions: the fills at the open and inside the bar, marking to the
  // close, the gate's view of the bar and its forced exits.
  Status open_time(const std::vector<FeedBar>& now, bool trading) {
    for (const FeedBar& arrived : now) {
      const Bar& b = *arrived.bar;
      SymbolState& sym = symbols_[arrived.series];
      ++sym.bar_index;
      sym.volume_left = volume_allowance(b);
    }
    // Most bars have no working order; the passes are skipped for them.
    if (trading && has_orders(now)) {
      SM_RETURN_IF_ERROR(fill_pass(now, Phase::kOpen));
      if (stop_placed_) {
        SM_RETURN_IF_ERROR(fill_pass(now, Phase::kIntrabar));
        stop_placed_ = false;
      }
    }
    for (const FeedBar& arrived : now) {
      const Bar& b = *arrived.bar;
      SymbolState& sym = symbols_[arrived.series];
      mark_close(sym, b);
      if (!pass_through_) gate_.on_bar(b);
    }
    if (trading && !pass_through_) place_forced_exits(now);
    return Status();
  }

  // What comes after the decisions: market orders filled at this close (--fill close), the equity
  // point, the records a sink can take.
  Status close_time(const std::vector<FeedBar>& now, TimestampMs ts, bool trading) {
    if (trading) {
      if (config_.fill == FillTiming::kSameClose && has_orders(now)) {
        SM_RETURN_IF_ERROR(fill_pass(now, Phase::kClose));
      }
      result_.trading_bars += static_cast<std::int64_t>(now.size());
      SM_RETURN_IF_ERROR(add_equity_point(ts));
    }
    result_.bars += static_cast<std::int64_t>(now.size());
    if (sink_ != nullptr) SM_RETURN_IF_ERROR(flush_signals());
    return Status();
  }

  // The fast path (issue 14): one instance of a built-in rule on one symbol, behind a gate that
  // reviews nothing, so no other instance or symbol shares a bar time and the gate needs no call.
  bool fast_path_applies() const {
    return pass_through_ && slots_.size() == 1 && symbols_.size() == 1;
  }

  // Steps through a chunk of the one symbol's bars, from where the last chunk stopped: quiet
  // stretches (no order working) in run_stretch, and a bar with an order working through the
  // general step.
  Status run_one_series(std::span<const Bar> bars) {
    const bool quiet = per_day_equity_ && sink_ == nullptr;
    accepted_end_ = 0;
    std::size_t i = 0;
    while (i < bars.size()) {
      const Slot<S>& slot = slots_.front();
      if (!slot.order && !slot.stop) {
        SM_RETURN_IF_ERROR(quiet ? run_stretch<true>(bars, i) : run_stretch<false>(bars, i));
        if (i >= bars.size()) break;
      }
      // An order is working, or a bar the rule refuses (the general step gives its error).
      SM_RETURN_IF_ERROR(step_one(bars[i]));
      ++i;
    }
    return Status();
  }

  // step() for the fast path's one slot and symbol behind a pass-through gate (no gate calls, no
  // forced exits), without the per-time passes over a vector of bars: the same steps in the same
  // order (open_time, decide, close_time).
  Status step_one(const Bar& b) {
    Slot<S>& slot = slots_.front();
    SymbolState& sym = symbols_.front();
    const bool trading = b.ts >= config_.trade_from;
    ++sym.bar_index;
    sym.volume_left = volume_allowance(b);
    if (trading && (slot.order || slot.stop)) {
      SM_RETURN_IF_ERROR(fill_one(slot, b, Phase::kOpen));
      if (stop_placed_) {
        SM_RETURN_IF_ERROR(fill_one(slot, b, Phase::kIntrabar));
        stop_placed_ = false;
      }
    }
    mark_close(sym, b);
    SM_RETURN_IF_ERROR(decide(slot, b, trading));
    return close_one(slot, b, trading);
  }

  // close_time() for the fast path's one slot and symbol.
  Status close_one(Slot<S>& slot, const Bar& b, bool trading) {
    if (trading) {
      if (config_.fill == FillTiming::kSameClose && (slot.order || slot.stop)) {
        SM_RETURN_IF_ERROR(fill_one(slot, b, Phase::kClose));
      }
      ++result_.trading_bars;
      SM_RETURN_IF_ERROR(add_equity_point(b.ts));
    }
    ++result_.bars;
    if (sink_ != nullptr) SM_RETURN_IF_ERROR(flush_signals());
    return Status();
  }

  // The per-date equity point while a stretch runs, in locals (add_equity_point's per-date rule).
  struct DayPoint {
    EquityPoint today;
    bool have = false;     // today is result_.equity.back()
    bool earlier = false;  // earlier_invested_today_
    TimestampMs end = 0;   // day_end_
  };

  // From bars[i] on, while no order is working: every step of the general path that can change
  // something on such a bar, with the rule called directly and the account's figures in locals
  // (the cash and the position cannot change without a fill). Stops after a bar where the rule
  // signals (handled here, through act() and close_time()), before a bar the rule would refuse, or
  // at the end; i is then the first bar not handled. kQuiet: equity points per date, kept in
  // locals; else each point goes through add_equity_point (detail records, a sink).
  template <bool kQuiet>
  Status run_stretch(std::span<const Bar> bars, std::size_t& i) {
    Slot<S>& slot = slots_.front();
    SymbolState& sym = symbols_.front();
    Scan scan;
    scan.base = positions_value_ - sym.held * sym.last_close;
    if constexpr (kQuiet) {
      scan.day.have = !result_.equity.empty();
      if (scan.day.have) scan.day.today = result_.equity.back();
      scan.day.earlier = earlier_invested_today_;
      scan.day.end = day_end_;
    }
    const std::size_t first = i;
    scan.next = first;
    SM_RETURN_IF_ERROR(scan_quiet_bars<kQuiet>(bars, scan));
    const std::size_t j = scan.next;
    if constexpr (kQuiet) {
      if (scan.day.have) result_.equity.back() = scan.day.today;
      earlier_invested_today_ = scan.day.earlier;
      day_end_ = scan.day.end;
    }
    const bool signalled = scan.signalled;
    const strategy::Choice& choice = scan.choice;
    S& rule = *slot.decider;
    // The bars before j are done; a signalled bar j is done up to its decision.
    const std::size_t done = j - first;
    const std::size_t marked = done + (signalled ? 1 : 0);
    if (marked > 0) {
      const Bar& latest = bars[first + marked - 1];
      positions_value_ = scan.base + sym.held * latest.close;
      rule.set_bar_count({latest.ts, rule.bar_count().seen + static_cast<std::int64_t>(marked)});
      sym.bar_index += static_cast<std::int64_t>(marked);
      sym.last_close = latest.close;
      sym.has_close = true;
      remember(sym.last, latest);
    }
    result_.bars += static_cast<std::int64_t>(done);
    // A signalled bar is counted by close_time below.
    if (scan.trading_from < j)
      result_.trading_bars += static_cast<std::int64_t>(j - scan.trading_from);
    result_.fast_path_bars += static_cast<std::int64_t>(marked);
    i = j;
    if (!signalled) return Status();
    const Bar& b = bars[j];
    sym.volume_left = volume_allowance(b);
    const strategy::PriceBar prices = strategy::price_bar(b);
    SM_RETURN_IF_ERROR(act(slot, b, choice, [&] { return rule.reason(choice, prices); }));
    one_bar_.front() = FeedBar{0, &b};
    SM_RETURN_IF_ERROR(close_time(one_bar_, b.ts, true));
    i = j + 1;
    return Status();
  }

  // The bars scan_quiet_bars checks before it runs them: 12 KB, still in the first-level cache
  // when the loop reads them.
  static constexpr std::size_t kCheckedBlock = 128;

  // Asks for the cache line kPrefetchAhead bars after bar, ahead of the check of its block (a
  // pass too short to hide the wait for memory). The address may be past the end of the bars: a
  // prefetch does not fault, and it is made as an integer, not as a pointer out of the array.
  static constexpr std::size_t kPrefetchAhead = kCheckedBlock + 32;
  static void prefetch_ahead(const Bar* bar) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): the point is an address outside the array.
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(bar) +
                                                     kPrefetchAhead * sizeof(Bar)));
  }

  // What run_stretch's loop keeps and gives back.
  struct Scan {
    std::size_t next = 0;  // the bar it is at: after the loop, the first one not done
    // The held shares cannot change in a stretch, so a bar's positions value is base + held *
    // close, no chain from bar to bar.
    Paise base = 0;
    std::size_t trading_from = 0;  // after the loop: the first bar at or after trade_from taken
    DayPoint day;                  // kQuiet
    strategy::Choice choice;
    bool signalled = false;  // bars[next] signalled: done up to its decision
  };

  // run_stretch's loop, alone in a function so that the rule's step is inlined into it: without
  // flatten GCC kept the rule's step a call returning its Choice through memory, which stalled
  // every bar on a store-forwarding miss (perf annotate: 40 % of decide). What it calls other than
  // per bar is noinline, and so is the loop itself: inlined into run_one_series it shared that
  // function's registers and kept more of its figures on the stack (8 instructions a bar more).
  template <bool kQuiet>
  [[gnu::flatten, gnu::noinline]] Status scan_quiet_bars(std::span<const Bar> bars, Scan& scan) {
    Slot<S>& slot = slots_.front();
    S& rule = *slot.decider;
    const TimestampMs trade_from = config_.trade_from;
    strategy::PositionView view;
    view.qty = slot.position.qty;
    view.average_price = slot.average_price;
    // kQuiet: the date's latest point is written lazily. The bars of the date after its first
    // point are [day_from, the current bar); write_day makes the point from the last of them
    // when the date ends or the loop stops.
    DayPoint& day = scan.day;
    TimestampMs day_end = day.have ? day.end : std::numeric_limits<TimestampMs>::min();
    const std::size_t n = bars.size();
    std::size_t day_from = n;
    // The rule's own state in locals, given back when the loop stops. The bar count is not
    // carried: run_stretch makes it, and the trading bars, from the indices.
    const strategy::Strategy::BarCount count = rule.bar_count();
    typename S::Local state = rule.local();
    const std::size_t first = scan.next;
    std::size_t trading_from = n;  // the first trading bar, once one is reached
    std::size_t j = first;
    Status status;
    while (j < n) {
      // The bars the rule would take, checked a block at a time ahead of the loop: that pass,
      // short and without a chain from bar to bar, also brings the block into the cache.
      if (j >= accepted_end_ && check_block(bars, j, first, count) == j) {
        break;  // the general step gives the error
      }
      const std::size_t accepted = accepted_end_;
      // Bars before trade_from: the rule takes them, their choices go nowhere.
      for (; j < accepted && bars[j].ts < trade_from; ++j) {
        rule.step_local(strategy::price_bar(bars[j]), view, state);
      }
      if (trading_from == n && j < accepted) trading_from = day_from = j;
      while (j < accepted) {
        // The bars that change nothing but the rule's state, in a loop without a call: a value
        // live across a call needs one of the six registers a callee saves, so the calls below
        // (the sizing, the date's first point) kept the loop's figures on the stack.
        strategy::Choice choice;
        for (; j < accepted; ++j) {
          prefetch_ahead(&bars[j]);
          const strategy::PriceBar b = strategy::price_bar(bars[j]);
          const strategy::Choice step = rule.step_local(b, view, state);
          if (step.action != strategy::Action::kHold) {
            // Field by field: copied whole, the step's choice was built in memory every bar.
            static_assert(sizeof(strategy::Choice) == 48, "a field added to Choice: copy it here");
            choice = {step.action, step.qty, step.stop, step.why, step.level, step.count};
            break;
          }
          if (!kQuiet || b.ts >= day_end) break;
        }
        if (j == accepted) break;
        // Bar j, stepped: a choice that is not a hold, or a point to write.
        const Bar& b = bars[j];
        if (choice.action != strategy::Action::kHold && settle_signal(choice, b, view, scan)) {
          break;
        }
        if constexpr (kQuiet) {
          if (b.ts >= day_end) {
            write_day(day, bars, day_from, j, scan.base);
            new_equity_day(day, stretch_point(b, scan.base));
            day_end = day.end;
            day_from = j + 1;
          }
        } else {
          status = detail_equity_point(b.ts, stretch_point(b, scan.base).positions_value);
          if (!status.ok()) break;
        }
        ++j;
      }
      if (scan.signalled || !status.ok()) break;
    }
    if constexpr (kQuiet) write_day(day, bars, day_from, j, scan.base);
    rule.set_local(state);
    scan.next = j;
    scan.trading_from = trading_from;
    return status;
  }

  // A stretch's point for bar b: the cash, the held shares and whether invested cannot change in a
  // stretch. A bar's positions value is made only where a figure needs it (a date's point, a
  // signal's sizing): each figure carried from bar to bar was kept on the stack.
  EquityPoint stretch_point(const Bar& b, Paise base) const {
    return {b.ts, cash_, base + symbols_.front().held * b.close, open_positions_ > 0};
  }

  // The date's latest point in a stretch, its bars after its first point being bars[from, end):
  // as add_equity_point would have left it.
  [[gnu::noinline]] void write_day(DayPoint& day, std::span<const Bar> bars, std::size_t from,
                                   std::size_t end, Paise base) const {
    if (end <= from) return;
    EquityPoint point = stretch_point(bars[end - 1], base);
    const bool earlier = day.earlier || day.today.invested;
    day.earlier = end - from >= 2 ? earlier || point.invested : earlier;
    point.invested = point.invested || earlier;
    day.today = point;
  }

  // A stretch's choice that is not a hold at bar b, sized with the capital at its close: true,
  // with the choice in scan, when it stays an entry or exit.
  [[gnu::noinline]] bool settle_signal(const strategy::Choice& choice, const Bar& b,
                                       strategy::PositionView& view, Scan& scan) {
    view.capital = cash_ + stretch_point(b, scan.base).positions_value;
    scan.choice = slots_.front().decider->settled(choice, b.close, view);
    scan.signalled = scan.choice.action != strategy::Action::kHold;
    return scan.signalled;
  }

  // Checks the bars from j (up to kCheckedBlock of them) for scan_quiet_bars, count being the
  // rule's bar count at bars[first]: accepted_end_ becomes the end of the run the rule takes.
  [[gnu::noinline]] std::size_t check_block(std::span<const Bar> bars, std::size_t j,
                                            std::size_t first,
                                            const strategy::Strategy::BarCount& count) {
    const std::size_t block_end = std::min(j + kCheckedBlock, bars.size());
    const strategy::Strategy::BarCount before =
        j == first ? count
                   : strategy::Strategy::BarCount{
                         bars[j - 1].ts, count.seen + static_cast<std::int64_t>(j - first)};
    accepted_end_ = j + S::accepted_run(bars.subspan(j, block_end - j), before);
    return accepted_end_;
  }

  // An equity point of a stretch outside kQuiet: through add_equity_point, with what a sink takes.
  [[gnu::noinline]] Status detail_equity_point(TimestampMs ts, Paise positions_value) {
    positions_value_ = positions_value;
    SM_RETURN_IF_ERROR(add_equity_point(ts));
    if (sink_ != nullptr) SM_RETURN_IF_ERROR(flush_signals());
    return Status();
  }

  // add_equity_point's first point of a date, for a stretch's locals.
  [[gnu::noinline]] void new_equity_day(DayPoint& day, const EquityPoint& point) {
    if (day.have) result_.equity.back() = day.today;
    if (result_.equity.empty()) first_equity_ts_ = point.ts;
    result_.equity.push_back(point);
    day.today = point;
    day.have = true;
    day.earlier = false;
    day.end = day_end_after(point.ts);
  }

  // The end of the IST date of ts, as a time.
  static TimestampMs day_end_after(TimestampMs ts) {
    const TimestampMs local = ts + kIstOffsetMs;
    const TimestampMs day_start =
        (local >= 0 ? local / kMsPerDay : (local - kMsPerDay + 1) / kMsPerDay) * kMsPerDay;
    return day_start + kMsPerDay - kIstOffsetMs;
  }

  // One point per bar time, or without detail records one per IST date: the date's latest point,
  // invested when any point of the date was. Day bounds are kept as times so that no calendar
  // arithmetic runs per bar.
  Status add_equity_point(TimestampMs ts) {
    const bool invested = open_positions_ > 0;
    if (result_.equity.empty()) first_equity_ts_ = ts;
    if (sink_ != nullptr) {
      // The latest point waits: the end of the run may still change it (--close-at-end).
      if (latest_point_) SM_RETURN_IF_ERROR(sink_->equity(*latest_point_));
      latest_point_ = EquityPoint{ts, cash_, positions_value_, invested};
    }
    if (per_day_equity_ && !result_.equity.empty() && ts < day_end_) {
      EquityPoint& today = result_.equity.back();
      earlier_invested_today_ = earlier_invested_today_ || today.invested;
      today = {ts, cash_, positions_value_, invested || earlier_invested_today_};
      return Status();
    }
    result_.equity.push_back({ts, cash_, positions_value_, invested});
    earlier_invested_today_ = false;
    day_end_ = day_end_after(ts);
    return Status();
  }

  // A bar's close marks its symbol's holding to market (by the change since the last close, so
  // the positions value needs no pass over the symbols) and is remembered for the run's end.
  void mark_close(SymbolState& sym, const Bar& b) {
    if (sym.has_close)
      positions_value_ += sym.held * (b.close - sym.last_close);
    else
      positions_value_ += sym.held * b.close;
    sym.last_close = b.close;
    sym.has_close = true;
    remember(sym.last, b);
  }

  // Copies what the end of the run needs of a bar; the symbol is the series' own.
  static void remember(Bar& into, const Bar& b) {
    into.ts = b.ts;
    into.timeframe = b.timeframe;
    into.open = b.open;
    into.high = b.high;
    into.low = b.low;
    into.close = b.close;
    into.volume = b.volume;
    into.partial = b.partial;
  }

  bool has_orders(const std::vector<FeedBar>& now) const {
    for (const FeedBar& arrived : now) {
      for (std::size_t s : symbols_[arrived.series].slots) {
        if (slots_[s].order || slots_[s].stop) return true;
      }
    }
    return false;
  }

  Quantity volume_allowance(const Bar& b) const {
    if (config_.volume_cap <= 0) return std::numeric_limits<Quantity>::max();
    return static_cast<Quantity>(std::floor(static_cast<double>(b.volume) * config_.volume_cap));
  }

  // Sells before buys across every symbol at this time, so exits free cash for entries.
  Status fill_pass(const std::vector<FeedBar>& now, Phase phase) {
    for (Side side : {Side::kSell, Side::kBuy}) {
      for (const FeedBar& arrived : now) {
        for (std::size_t s : symbols_[arrived.series].slots) {
          SM_RETURN_IF_ERROR(fill_side(slots_[s], *arrived.bar, phase, side));
        }
      }
    }
    if (phase == Phase::kIntrabar) {
      // From the next bar on, every resting stop is live at the open.
      for (const FeedBar& arrived : now) {
        for (std::size_t s : symbols_[arrived.series].slots) {
          if (slots_[s].stop) slots_[s].stop->live_at_open = true;
        }
      }
    }
    return Status();
  }

  // fill_pass for the fast path's one slot: its sells, then its buys.
  Status fill_one(Slot<S>& slot, const Bar& b, Phase phase) {
    SM_RETURN_IF_ERROR(fill_side(slot, b, phase, Side::kSell));
    SM_RETURN_IF_ERROR(fill_side(slot, b, phase, Side::kBuy));
    if (phase == Phase::kIntrabar && slot.stop) slot.stop->live_at_open = true;
    return Status();
  }

  // One slot's orders of one side in a fill pass.
  Status fill_side(Slot<S>& slot, const Bar& b, Phase phase, Side side) {
    if (phase == Phase::kIntrabar) {
      // Protective stops placed at this bar's open (after an entry filled there) can still be
      // hit by the rest of the bar's range.
      if (side == Side::kSell && slot.stop && !slot.stop->live_at_open) {
        SM_RETURN_IF_ERROR(try_fill(slot, *slot.stop, b, phase, true));
      }
      return Status();
    }
    if (side == Side::kSell && phase == Phase::kOpen && slot.stop && slot.stop->live_at_open) {
      // A strategy exit due at this open goes first; the stop is cancelled with the position.
      if (slot.order && slot.order->side == Side::kSell && slot.order->type == OrderType::kMarket) {
        SM_RETURN_IF_ERROR(try_fill(slot, *slot.order, b, phase, false));
      }
      if (slot.stop) SM_RETURN_IF_ERROR(try_fill(slot, *slot.stop, b, phase, true));
    }
    if (slot.order && slot.order->side == side) {
      if (phase == Phase::kClose && slot.order->type != OrderType::kMarket) return Status();
      SM_RETURN_IF_ERROR(try_fill(slot, *slot.order, b, phase, false));
    }
    return Status();
  }

  // The price an order fills at on this bar before slippage, or nullopt when the bar does not
  // reach it, and what triggered it.
  std::optional<Paise> touch(const Order& order, const Bar& b, Phase phase, Trigger& trigger) {
    if (phase == Phase::kClose) {
      trigger = Trigger::kClose;
      return b.close;
    }
    const bool buy = order.side == Side::kBuy;
    if (order.type == OrderType::kMarket) {
      if (phase != Phase::kOpen) return std::nullopt;
      trigger = Trigger::kOpen;
      return b.open;
    }
    const bool stop = order.type == OrderType::kStopLossMarket;
    trigger =
        order.protective ? Trigger::kProtectiveStop : (stop ? Trigger::kStop : Trigger::kLimit);
    if (phase == Phase::kOpen && order.live_at_open) {
      // Gap through the price at the open: fill at the open (better than a limit, worse than a
      // stop), since no trade happened at the order's price.
      if (stop ? (buy ? b.open >= order.price : b.open <= order.price)
               : (buy ? b.open <= order.price : b.open >= order.price)) {
        return b.open;
      }
    } else if (phase == Phase::kIntrabar && stop && !buy && order.price >= order.placed_price) {
      // A protective stop at or above the entry's fill price is triggered as soon as it rests.
      return order.placed_price;
    }
    // Inside the bar's range: at the order's price.
    if (stop ? (buy ? b.high >= order.price : b.low <= order.price)
             : (buy ? b.low <= order.price : b.high >= order.price)) {
      return order.price;
    }
    return std::nullopt;
  }

  // A limit or stop order not reached at an open uses up one of its bars, and expires after the
  // last one.
  void expire_if_due(Slot<S>& slot, Order& order, const Bar& b, Phase phase, bool is_stop_slot) {
    if (phase == Phase::kOpen && !order.protective && order.type != OrderType::kMarket &&
        --order.bars_left <= 0) {
      if (recording(order.signal)) {
        set_outcome(
            order.signal, SignalOutcome::kExpired,
            fmt::format("{} {} not reached", order.type == OrderType::kLimit ? "limit" : "stop",
                        format_rupees(order.price)));
      }
      order_done(slot, order, 0, b.ts);
      clear(slot, is_stop_slot);
    }
  }

  Paise fill_price(const Order& order, Paise touched, const Bar& b) const {
    Paise price = touched;
    if (order.type != OrderType::kLimit)
      price = apply_slippage(config_.slippage, price, order.side);
    // A fill cannot be at a price the bar never traded at.
    return std::clamp(price, b.low, b.high);
  }

  // What cut a fill below the shares wanted: the last limit that did.
  enum class Cut { kNone, kVolume, kMaxValue, kCash };

  // How much of want (the order's shares, a sell's capped at the position) this bar can fill at
  // price: the volume cap, then for a buy the max position value and the cash; cut says which
  // limit cut it last (cut_text() says it for a record). A buy's charges for the shares it gives
  // are in charges when the cash check computed them (affordable_qty).
  Result<Quantity> fillable_qty(const Slot<S>& slot, const Order& order, const Bar& b, Paise price,
                                Quantity want, Cut& cut, std::optional<costs::Charges>& charges) {
    Quantity qty = std::min(want, symbols_[slot.series].volume_left);
    if (qty < want) cut = Cut::kVolume;
    if (order.side == Side::kSell) return qty;
    if (config_.max_position_value > 0) {
      Quantity most = std::max<Quantity>(0, config_.max_position_value / price - slot.position.qty);
      if (most < qty) {
        qty = most;
        cut = Cut::kMaxValue;
      }
    }
    Result<Quantity> affordable = affordable_qty(b, price, qty, charges);
    if (!affordable.ok()) return affordable.status();
    if (*affordable < qty) {
      qty = *affordable;
      cut = Cut::kCash;
    }
    return qty;
  }

  // The signal record's detail for a fill of qty of want shares that cut limited (the last limit
  // cut the shares to qty, so qty is what it left).
  std::string cut_text(Cut cut, Quantity qty, Quantity want) const {
    switch (cut) {
      case Cut::kNone:
        return "";
      case Cut::kVolume:
        return fmt::format("volume cap: {} of {} shares", qty, want);
      case Cut::kMaxValue:
        return fmt::format("max position value {}: {} shares",
                           format_rupees(config_.max_position_value), qty);
      case Cut::kCash:
        return fmt::format("cash {}: {} shares", format_rupees(cash_), qty);
    }
    return "";
  }

  Status try_fill(Slot<S>& slot, Order& order, const Bar& b, Phase phase, bool is_stop_slot) {
    Trigger trigger = Trigger::kOpen;
    std::optional<Paise> touched = touch(order, b, phase, trigger);
    if (!touched) {
      expire_if_due(slot, order, b, phase, is_stop_slot);
      return Status();
    }
    const Paise price = fill_price(order, *touched, b);
    Quantity want = order.qty;
    if (order.side == Side::kSell) want = std::min(want, slot.position.qty);
    Cut cut = Cut::kNone;
    std::optional<costs::Charges> charges;  // of qty, when fillable_qty computed them
    Result<Quantity> fillable = fillable_qty(slot, order, b, price, want, cut, charges);
    if (!fillable.ok()) return fillable.status();
    const Quantity qty = *fillable;
    if (qty <= 0) {
      if (order.protective) return Status();  // no volume this bar; it keeps resting
      const SignalOutcome outcome = cut == Cut::kVolume ? SignalOutcome::kNoVolume
                                    : cut == Cut::kCash ? SignalOutcome::kRefusedCash
                                                        : SignalOutcome::kRefusedPositions;
      if (recording(order.signal)) {
        set_outcome(order.signal, outcome,
                    cut == Cut::kNone ? "nothing to fill" : cut_text(cut, qty, want));
      }
      order_done(slot, order, 0, b.ts);
      clear(slot, is_stop_slot);
      return Status();
    }
    const OrderType type = order.type;
    const std::int64_t signal = order.signal;
    const bool entry = order.side == Side::kBuy;
    const Paise entry_stop = order.entry_stop;
    const bool protective = order.protective;
    // The order as placed, for the gate and the fill's id; a sweep's orders have neither.
    std::optional<Order> placed;
    if (!pass_through_ || !order.client_order_id.empty()) placed = order;
    symbols_[slot.series].volume_left -= qty;
    if ((!protective || qty >= want) && recording(signal)) {
      // Orders other than protective stops fill once: the rest is cancelled.
      if (qty < want)
        set_outcome(signal, SignalOutcome::kPartiallyFilled, cut_text(cut, qty, want), qty);
      else
        set_outcome(signal, SignalOutcome::kFilled, "", qty);
    }
    const TimestampMs ts = phase == Phase::kClose ? time::bar_known_at(b) : b.ts;
    const Reason reason = protective ? Reason::kProtectiveStop : Reason::kSignal;
    if (protective) {
      order.qty -= qty;
      if (order.qty <= 0 || qty >= want) slot.stop.reset();
    } else {
      clear(slot, is_stop_slot);
    }
    SM_RETURN_IF_ERROR(
        apply_fill(slot, entry ? Side::kBuy : Side::kSell, qty, price, ts, b, type, trigger, signal,
                   reason, placed ? std::string_view(placed->client_order_id) : "", charges));
    if (!protective && placed) order_done(slot, *placed, qty, ts);
    if (entry && entry_stop > 0 && config_.protective_stops && slot.position.qty > 0) {
      place_protective_stop(slot, entry_stop, price, phase);
    }
    return Status();
  }

  // Rests a stop for the whole position after an entry filled at entry_price.
  void place_protective_stop(Slot<S>& slot, Paise stop_price, Paise entry_price, Phase phase) {
    Order stop;
    stop.side = Side::kSell;
    stop.type = OrderType::kStopLossMarket;
    stop.qty = slot.position.qty;
    stop.price = stop_price;
    stop.bars_left = INT_MAX;
    stop.protective = true;
    stop.placed_price = entry_price;
    // Placed at an open fill, the stop can still be hit later in this bar (no gap fill: the
    // open was the entry). Placed at a close fill, it is live from the next open.
    stop.live_at_open = phase == Phase::kClose;
    if (!stop.live_at_open) stop_placed_ = true;
    slot.stop = stop;
  }

  void clear(Slot<S>& slot, bool is_stop_slot) {
    if (is_stop_slot)
      slot.stop.reset();
    else
      slot.order.reset();
  }

  // The largest qty (at most want) whose cost plus charges the cash covers. When that is want, its
  // charges are given in want_charges: the fill needs them, and a cost model is a virtual call.
  Result<Quantity> affordable_qty(const Bar& b, Paise price, Quantity want,
                                  std::optional<costs::Charges>& want_charges) {
    auto cost = [&](Quantity q) -> Result<Paise> {
      Result<costs::Charges> charges = costs_.charges_for(leg(b, Side::kBuy, price, q, false));
      if (!charges.ok()) return charges.status();
      return price * q + charges->total();
    };
    if (want <= 0) return Quantity{0};
    Result<costs::Charges> charges = costs_.charges_for(leg(b, Side::kBuy, price, want, false));
    if (!charges.ok()) return charges.status();
    if (price * want + charges->total() <= cash_) {
      want_charges = *charges;
      return want;
    }
    Quantity lo = 0, hi = std::min(want, cash_ > 0 ? cash_ / price : 0);
    // hi shares cost at least hi * price <= cash; charges may push it over: search downwards.
    while (lo < hi) {
      Quantity mid = lo + (hi - lo + 1) / 2;
      Result<Paise> c = cost(mid);
      if (!c.ok()) return c.status();
      if (*c <= cash_)
        lo = mid;
      else
        hi = mid - 1;
    }
    return lo;
  }

  // The IST date of a fill's bar, computed once per date: a bar's fill asks for it up to three
  // times (the cash check, the charges, the first-sell rule) and most fills share a date.
  Date trade_date(TimestampMs ts) {
    if (ts < date_from_ || ts >= date_to_) {
      date_to_ = day_end_after(ts);
      date_from_ = date_to_ - kMsPerDay;
      date_ = ist_date(ts);
    }
    return date_;
  }

  costs::TradeLeg leg(const Bar& b, Side side, Paise price, Quantity qty, bool first_sell) {
    costs::TradeLeg out;
    out.trade_date = trade_date(b.ts);
    out.product = config_.product;
    out.side = side;
    out.price = price;
    out.qty = qty;
    out.first_sell_of_day = first_sell;
    return out;
  }

  // known: the fill's charges when the caller has them (a buy's, from its cash check).
  Status apply_fill(Slot<S>& slot, Side side, Quantity qty, Paise price, TimestampMs ts,
                    const Bar& b, OrderType order_type, Trigger trigger, std::int64_t signal,
                    Reason reason, std::string_view client_order_id,
                    const std::optional<costs::Charges>& known) {
    SymbolState& sym = symbols_[slot.series];
    costs::Charges charges;
    if (known) {
      charges = *known;
    } else {
      Result<costs::Charges> computed = fill_charges(sym, side, qty, price, b);
      if (!computed.ok()) return computed.status().with_context(slot_name(slot));
      charges = *computed;
    }
    const FillEffect effect = sm::apply_fill(slot.position, side, qty, price);
    if (effect.overflow) {
      return error(ErrorCode::kInvalidArgument, "the position overflows 64 bits")
          .with_context(slot_name(slot));
    }
    if (effect.opened) {
      slot.entry_ts = ts;
      slot.entry_bar = sym.bar_index;
      slot.realised_at_open = slot.position.realised_pnl;
      ++open_positions_;
    }
    slot.position = effect.position;
    const Paise value = price * qty;
    const Paise mark = sym.has_close ? sym.last_close : price;
    if (!sym.has_close) {
      sym.last_close = price;
      sym.has_close = true;
    }
    if (side == Side::kBuy) {
      cash_ -= value + charges.total();
      slot.bought_qty += qty;
      slot.bought_value += value;
      slot.average_price = mean_half_even(slot.bought_value, slot.bought_qty);
      sym.held += qty;
      positions_value_ += qty * mark;
    } else {
      cash_ += value - charges.total();
      slot.sold_value += value;
      sym.held -= qty;
      positions_value_ -= qty * mark;
    }
    add(slot.charges, charges);
    add(result_.charges, charges);
    result_.traded_value += value;
    ++result_.fill_count;

    if (!config_.record_details && pass_through_) {
      // Nobody reads the fill (a sweep): no message, no texts.
      return slot.position.qty == 0 ? close_round_trip(slot, ts, reason) : Status();
    }
    Fill fill;
    fill.ts = ts;
    fill.client_order_id =
        !client_order_id.empty() ? std::string(client_order_id) : protective_id(reason);
    fill.trade_id = fmt::format("bt{:08d}", result_.fill_count);
    fill.strategy = ids_[slot.instance];
    fill.symbol = names_[slot.series];
    fill.side = side;
    fill.qty = qty;
    fill.price = price;
    fill.charges = charges.total();
    if (config_.record_details) {
      FillRecord record{
          fill,  charges, cash_, std::string(order_type_name(order_type)), trigger_name(trigger),
          signal};
      if (sink_ != nullptr)
        SM_RETURN_IF_ERROR(sink_->fill(record));
      else
        result_.fills.push_back(std::move(record));
    }
    if (slot.position.qty == 0) SM_RETURN_IF_ERROR(close_round_trip(slot, ts, reason));
    if (!pass_through_) gate_.on_fill(fill, snapshot(ts));
    return Status();
  }

  // The charges of a fill; a delivery sell is the day's first sell of its symbol unless an earlier
  // one that day was.
  Result<costs::Charges> fill_charges(SymbolState& sym, Side side, Quantity qty, Paise price,
                                      const Bar& b) {
    const Date date = trade_date(b.ts);
    bool first_sell = false;
    if (side == Side::kSell && config_.product == Product::kDelivery &&
        (!sym.last_delivery_sell || *sym.last_delivery_sell != date)) {
      first_sell = true;
      sym.last_delivery_sell = date;
    }
    return costs_.charges_for(leg(b, side, price, qty, first_sell));
  }

  // Records the round trip that the fill at ts just closed, and ends what worked for it: its
  // protective stop and a strategy exit still waiting. Fails with the sink's error.
  Status close_round_trip(Slot<S>& slot, TimestampMs ts, Reason reason) {
    TradeRecord trade;
    // The texts only for a record someone keeps: the totals read the numbers.
    const bool written = config_.keep_trades || sink_ != nullptr;
    if (written) {
      trade.strategy = ids_[slot.instance];
      trade.symbol = names_[slot.series];
      trade.exit_reason = reason_name(reason);
    }
    trade.entry_ts = slot.entry_ts;
    trade.exit_ts = ts;
    trade.qty = slot.bought_qty;
    trade.entry_value = slot.bought_value;
    trade.exit_value = slot.sold_value;
    // A full close removes all the cost, so this is sold_value - bought_value exactly.
    trade.gross_pnl = slot.position.realised_pnl - slot.realised_at_open;
    trade.charges = slot.charges;
    trade.net_pnl = trade.gross_pnl - slot.charges.total();
    trade.bars_held = symbols_[slot.series].bar_index - slot.entry_bar;
    result_.trade_totals.add(trade);
    Status sent = sink_ != nullptr ? sink_->trade(trade) : Status();
    if (config_.keep_trades) result_.trades.push_back(std::move(trade));
    slot.bought_qty = 0;
    slot.bought_value = 0;
    slot.average_price = 0;
    slot.sold_value = 0;
    slot.charges = costs::Charges{};
    --open_positions_;
    slot.stop.reset();
    if (slot.order && slot.order->side == Side::kSell) {
      set_outcome(slot.order->signal, SignalOutcome::kCancelled,
                  "the position was closed by its protective stop");
      order_done(slot, *slot.order, 0, ts);
      slot.order.reset();
    }
    return sent;
  }

  Status decide(Slot<S>& slot, const Bar& b, bool trading) {
    strategy::PositionView view;
    view.qty = slot.position.qty;
    view.average_price = slot.average_price;
    // A forced exit is the risk gateway's order, not the strategy's. Live, sm-signal decides
    // upstream of sm-risk and never learns of it, so the strategy decides as if nothing were
    // working and its signal goes to the gate, which denies an exit of a position already being
    // sold (NO_POSITION): the same signals and decisions as the live path (BACKTEST.md "Parity").
    view.order_pending = slot.order.has_value() && !slot.order->forced;
    view.capital = cash_ + positions_value_;
    if constexpr (kTyped) {
      const strategy::PriceBar prices = strategy::price_bar(b);
      // A bar on_bar would refuse goes through on_bar for its error (the feed gives each slot
      // its own symbol's bars; the engine is long only).
      if (slot.decider->accepts(prices)) {
        const strategy::Choice choice = slot.decider->decide(prices, view);
        if (!trading || choice.action == strategy::Action::kHold) return Status();
        return act(slot, b, choice, [&] { return slot.decider->reason(choice, prices); });
      }
    }
    {
      Result<strategy::Decision> decision = slot.decider->on_bar(b, view);
      if (!decision.ok()) return decision.status().with_context(slot_name(slot));
      if (!trading || decision->action == strategy::Action::kHold) return Status();
      strategy::Choice choice;
      choice.action = decision->action;
      choice.qty = decision->qty;
      choice.stop = decision->stop;
      return act(slot, b, choice, [&] { return std::move(decision->reason); });
    }
  }

  // Makes a strategy's entry or exit at b's close an order, through the gate and the portfolio
  // checks. reason() gives the decision's text; it is called only when a signal is recorded or
  // reviewed.
  template <typename Reason>
  Status act(Slot<S>& slot, const Bar& b, const strategy::Choice& choice, Reason&& reason) {
    // The signal message and the order's id are read only by the records and the gate; a sweep
    // behind a pass-through gate builds neither (ApproveAll's verdict is the default one).
    const bool observed = config_.record_details || !pass_through_;
    if (!observed) return act_unobserved(slot, b, choice);
    const std::int64_t index = result_.signal_count++;
    strategy::Decision decision;
    decision.action = choice.action;
    decision.qty = choice.qty;
    decision.price = b.close;
    decision.stop = choice.stop;
    decision.reason = reason();
    const Signal signal = strategy::make_signal(decision, ids_[slot.instance], b);
    SignalRecord record;
    if (config_.record_details) {
      record.signal = signal;
      record.bar_close = b.close;
    }
    const GateDecision verdict = gate_.review(signal, snapshot(signal.ts));
    auto keep = [&](SignalOutcome outcome, std::string detail) {
      if (!config_.record_details) return;
      record.gate = verdict;
      record.outcome = outcome;
      record.detail = std::move(detail);
      keep_signal(std::move(record));
    };
    if (!verdict.approved) {
      ++result_.denied_count;
      keep(SignalOutcome::kDenied,
           verdict.code + (verdict.detail.empty() ? "" : ": " + verdict.detail));
      return Status();
    }
    const bool entry = choice.action == strategy::Action::kEnterLong;
    if (entry && config_.max_open_positions > 0 &&
        open_positions_ + pending_entries() >= config_.max_open_positions) {
      keep(SignalOutcome::kRefusedPositions,
           fmt::format("max_open_positions {} reached", config_.max_open_positions));
      return Status();
    }
    Order order;
    order.side = entry ? Side::kBuy : Side::kSell;
    order.qty = choice.qty;
    order.signal = config_.record_details ? index : -1;
    if (slot.order) {
      // Only a forced exit can be working here, and it keeps the slot: a gate that approves
      // beside it gets this order back as ended unfilled.
      order.client_order_id = verdict.client_order_id;
      keep(SignalOutcome::kCancelled, "a forced exit is working");
      if (!order.client_order_id.empty()) order_done(slot, order, 0, signal.ts);
      return Status();
    }
    if (entry) {
      order.entry_stop = choice.stop;
      if (config_.entry_order != EntryOrder::kMarket) price_entry(order, b);
    }
    // Orders placed at a close are live from the next open, except market orders under --fill
    // close, which the close pass fills now.
    order.live_at_open = true;
    order.client_order_id =
        verdict.client_order_id.empty() ? fmt::format("bt{:08d}", index) : verdict.client_order_id;
    keep(SignalOutcome::kUnfilled, "");
    slot.order = std::move(order);
    return Status();
  }

  // act() for a signal nobody reads (a sweep): the same checks and order, no message, record or
  // text (the kept record's checks are act()'s; this is its path with observed false).
  Status act_unobserved(Slot<S>& slot, const Bar& b, const strategy::Choice& choice) {
    ++result_.signal_count;
    const bool entry = choice.action == strategy::Action::kEnterLong;
    if (entry && config_.max_open_positions > 0 &&
        open_positions_ + pending_entries() >= config_.max_open_positions) {
      return Status();
    }
    // Only a forced exit can be working here, and it keeps the slot (the gate reviewed nothing,
    // so there is no order id to end).
    if (slot.order) return Status();
    Order& order = slot.order.emplace();
    order.side = entry ? Side::kBuy : Side::kSell;
    order.qty = choice.qty;
    order.signal = -1;
    if (entry) {
      order.entry_stop = choice.stop;
      if (config_.entry_order != EntryOrder::kMarket) price_entry(order, b);
    }
    order.live_at_open = true;
    return Status();
  }

  // Makes an entry the configured limit or stop order off the deciding bar's close.
  void price_entry(Order& order, const Bar& b) const {
    // close * (1 -/+ offset), then to the tick away from the close: a limit never above
    // close - offset, a stop never below close + offset.
    constexpr std::int64_t kMillion = 1'000'000;
    if (config_.entry_order == EntryOrder::kLimit) {
      order.type = OrderType::kLimit;
      const Paise limit = multiply_divide(b.close, kMillion - config_.entry_offset_centi_bps,
                                          kMillion, DivideRounding::kTowardZero);
      order.price =
          std::max<Paise>(1, round_to_tick(limit, nse_tick_for(limit), TickRounding::kDown));
    } else {
      order.type = OrderType::kStopLossMarket;
      const Paise trigger = static_cast<Paise>(
          (Int128{b.close} * (kMillion + config_.entry_offset_centi_bps) + kMillion - 1) /
          kMillion);
      order.price = round_to_tick(trigger, nse_tick_for(trigger), TickRounding::kUp);
    }
    order.bars_left = config_.order_valid_bars;
  }

  // Kill-switch exits from the gate become market sells at the next fill opportunity, recorded
  // like signals (their gate code says where they came from).
  void place_forced_exits(const std::vector<FeedBar>& now) {
    for (ForcedExit& forced : gate_.take_forced_exits()) {
      Slot<S>* target = nullptr;
      const Bar* at = nullptr;
      for (std::size_t s = 0; s < slots_.size() && target == nullptr; ++s) {
        if (ids_[slots_[s].instance] == forced.strategy &&
            names_[slots_[s].series] == forced.symbol) {
          target = &slots_[s];
        }
      }
      if (target == nullptr || target->position.qty <= 0) continue;
      for (const FeedBar& arrived : now) {
        if (arrived.series == target->series) at = arrived.bar;
      }
      const SymbolState& sym = symbols_[target->series];
      const std::int64_t index = result_.signal_count++;
      Signal signal;
      signal.ts = at != nullptr ? time::bar_known_at(*at) : now.front().bar->ts;
      signal.strategy = forced.strategy;
      signal.symbol = forced.symbol;
      signal.action = SignalAction::kExitLong;
      signal.qty = std::min(forced.qty, target->position.qty);
      signal.price = sym.last_close;
      signal.reason = forced.detail;
      if (target->order) {
        set_outcome(target->order->signal, SignalOutcome::kCancelled, "replaced by a forced exit");
        order_done(*target, *target->order, 0, signal.ts);
        target->order.reset();
      }
      Order order;
      order.side = Side::kSell;
      order.qty = signal.qty;
      order.signal = config_.record_details ? index : -1;
      order.client_order_id = forced.client_order_id;
      order.forced = true;
      if (config_.record_details) {
        SignalRecord record;
        record.signal = signal;
        record.bar_close = sym.last_close;
        record.gate = GateDecision{true, forced.code, forced.detail, forced.client_order_id};
        record.outcome = SignalOutcome::kUnfilled;
        keep_signal(std::move(record));
      }
      target->order = order;
    }
  }

  void keep_signal(SignalRecord record) { result_.signals.push_back(std::move(record)); }

  // Sends the sink the signals whose outcome is final: those before the oldest one a working
  // order still belongs to (its outcome, and a later one's position in the file, wait for it).
  Status flush_signals() {
    if (result_.signals.empty()) return Status();
    std::int64_t working = signals_sent_ + static_cast<std::int64_t>(result_.signals.size());
    for (const Slot<S>& slot : slots_) {
      if (slot.order && slot.order->signal >= 0) working = std::min(working, slot.order->signal);
      if (slot.stop && slot.stop->signal >= 0) working = std::min(working, slot.stop->signal);
    }
    const auto ready = static_cast<std::size_t>(working - signals_sent_);
    if (ready == 0) return Status();
    for (std::size_t i = 0; i < ready; ++i) SM_RETURN_IF_ERROR(sink_->signal(result_.signals[i]));
    result_.signals.erase(result_.signals.begin(),
                          result_.signals.begin() + static_cast<std::ptrdiff_t>(ready));
    signals_sent_ = working;
    return Status();
  }

  int pending_entries() const {
    int n = 0;
    for (const Slot<S>& slot : slots_) {
      if (slot.order && slot.order->side == Side::kBuy) ++n;
    }
    return n;
  }

  // Tells the gate an order it approved is over: filled completely, or cancelled with what filled.
  void order_done(const Slot<S>& slot, const Order& order, Quantity filled, TimestampMs ts) {
    if (pass_through_) return;
    OrderDone done;
    done.client_order_id = order.client_order_id;
    done.strategy = ids_[slot.instance];
    done.symbol = names_[slot.series];
    done.side = order.side;
    done.qty = order.qty;
    done.filled_qty = filled;
    done.status = filled >= order.qty ? "COMPLETE" : "CANCELLED";
    done.ts = ts;
    gate_.on_order_done(done);
  }

  // Fills not made from a signal: protective stops and end-of-run closes.
  std::string protective_id(Reason reason) const {
    return fmt::format("bt-{}-{}", reason == Reason::kEnd ? "end" : "stop", result_.fill_count);
  }

  // Whether set_outcome keeps anything for this signal: callers skip making its text otherwise.
  bool recording(std::int64_t signal) const { return signal >= 0 && config_.record_details; }

  void set_outcome(std::int64_t signal, SignalOutcome outcome, std::string detail,
                   Quantity filled = 0) {
    if (!recording(signal)) return;
    // Signals are appended in index order while details are recorded, so index == position (less
    // the signals a sink has taken).
    SignalRecord& record = result_.signals[static_cast<std::size_t>(signal - signals_sent_)];
    record.outcome = outcome;
    record.detail = std::move(detail);
    record.filled_qty += filled;
  }

  std::string slot_name(const Slot<S>& slot) const {
    return fmt::format("{} {}", ids_[slot.instance], names_[slot.series]);
  }

  PortfolioSnapshot snapshot(TimestampMs ts) const {
    PortfolioSnapshot out;
    out.ts = ts;
    if (!uses_portfolio_) return out;
    out.starting_cash = config_.starting_cash;
    out.cash = cash_;
    out.equity = cash_ + positions_value_;
    for (const Slot<S>& slot : slots_) {
      if (slot.order) ++out.open_orders;
      if (slot.stop) ++out.open_orders;
      if (slot.position.qty == 0) continue;
      const SymbolState& sym = symbols_[slot.series];
      out.positions.push_back({ids_[slot.instance], names_[slot.series], slot.position.qty,
                               mean_half_even(slot.bought_value, slot.bought_qty), sym.last_close});
    }
    return out;
  }

  Status finish() {
    for (Slot<S>& slot : slots_) {
      if (slot.order) {
        set_outcome(slot.order->signal, SignalOutcome::kUnfilled, "no later bar to fill on");
        order_done(slot, *slot.order, 0, symbols_[slot.series].last.ts);
        slot.order.reset();
      }
    }
    for (Slot<S>& slot : slots_) {
      if (slot.position.qty == 0) continue;
      SymbolState& sym = symbols_[slot.series];
      const Bar& last = sym.last;
      if (config_.close_at_end && sym.bar_index >= 0) {
        slot.stop.reset();
        Paise price = std::clamp(apply_slippage(config_.slippage, last.close, Side::kSell),
                                 last.low, last.high);
        SM_RETURN_IF_ERROR(apply_fill(slot, Side::kSell, slot.position.qty, price,
                                      time::bar_known_at(last), last, OrderType::kMarket,
                                      Trigger::kEnd, -1, Reason::kEnd, "", std::nullopt));
        continue;
      }
      OpenPosition open;
      open.strategy = ids_[slot.instance];
      open.symbol = names_[slot.series];
      open.entry_ts = slot.entry_ts;
      open.qty = slot.position.qty;
      open.entry_value = slot.bought_value;
      open.exit_value = slot.sold_value;
      open.bought_qty = slot.bought_qty;
      open.entry_price = mean_half_even(slot.bought_value, slot.bought_qty);
      open.mark_ts = last.ts;
      open.mark_price = sym.last_close;
      open.unrealized_pnl = slot.position.realised_pnl - slot.realised_at_open +
                            slot.position.qty * sym.last_close - slot.position.cost;
      open.charges = slot.charges;
      result_.open_positions.push_back(std::move(open));
    }
    if (config_.close_at_end && !result_.equity.empty()) {
      result_.equity.back().cash = cash_;
      result_.equity.back().positions_value = positions_value_;
      // Per-date points keep the date's earlier investment.
      result_.equity.back().invested = open_positions_ > 0 || earlier_invested_today_;
    }
    if (latest_point_) {
      if (config_.close_at_end) {
        latest_point_->cash = cash_;
        latest_point_->positions_value = positions_value_;
        latest_point_->invested = open_positions_ > 0;
      }
      SM_RETURN_IF_ERROR(sink_->equity(*latest_point_));
    }
    if (sink_ != nullptr) SM_RETURN_IF_ERROR(flush_signals());
    result_.final_cash = cash_;
    result_.final_equity = cash_ + positions_value_;
    if (!result_.equity.empty()) {
      result_.first_ts = first_equity_ts_;
      result_.last_ts = result_.equity.back().ts;
    }
    return Status();
  }

  BarFeed& feed_;
  const std::vector<std::string>& names_;  // of the series, by index
  const std::vector<StrategySpec>& specs_;
  EngineConfig config_;
  const costs::CostModel& costs_;
  SignalGate& gate_;
  RecordSink* sink_;  // null: the records stay in result_
  // One equity point per IST date in result_ (sweeps, and runs whose points go to a sink).
  bool per_day_equity_;
  std::optional<EquityPoint> latest_point_;  // with a sink: the point not yet sent
  std::int64_t signals_sent_ = 0;            // with a sink: signals it has taken
  std::vector<std::string> ids_;
  std::vector<Slot<S>> slots_;
  std::vector<SymbolState> symbols_;
  Paise cash_ = 0;
  Paise positions_value_ = 0;
  int open_positions_ = 0;
  bool stop_placed_ = false;  // a protective stop was placed at this bar's open fill
  bool uses_portfolio_ = gate_.uses_portfolio();
  bool pass_through_ = gate_.is_pass_through();
  TimestampMs first_equity_ts_ = 0;
  TimestampMs day_end_ = 0;              // the end of the IST date of the latest equity point
  bool earlier_invested_today_ = false;  // an earlier point of that date was invested
  // trade_date()'s date and its bounds [date_from_, date_to_); empty before the first fill.
  TimestampMs date_from_ = 0;
  TimestampMs date_to_ = 0;
  Date date_;
  BacktestResult result_;
  std::vector<FeedBar> one_bar_ = std::vector<FeedBar>(1);  // the fast path's signal bar
  // run_one_series' chunk: the bars before this index are ones the rule takes, checked by
  // scan_quiet_bars a block at a time (each bar is taken by a stretch or the general step).
  std::size_t accepted_end_ = 0;
};

template <typename S>
Result<BacktestResult> run_engine(BarFeed& feed, const std::vector<StrategySpec>& strategies,
                                  const EngineConfig& config, const costs::CostModel& costs,
                                  SignalGate& gate, RecordSink* sink) {
  Engine<S> engine(feed, strategies, config, costs, gate, sink);
  SM_RETURN_IF_ERROR(engine.build());
  SM_RETURN_IF_ERROR(engine.run());
  return engine.take();
}

}  // namespace

Result<FillTiming> parse_fill_timing(std::string_view text) {
  if (text == "next-open" || text == "next_open") return FillTiming::kNextOpen;
  if (text == "close" || text == "same-close" || text == "same_close")
    return FillTiming::kSameClose;
  return error(ErrorCode::kInvalidArgument,
               fmt::format("fill '{}' is not next-open or close", text));
}

std::string_view fill_timing_name(FillTiming timing) {
  return timing == FillTiming::kNextOpen ? "next-open" : "close";
}

Result<EntryOrder> parse_entry_order(std::string_view text) {
  if (text == "market") return EntryOrder::kMarket;
  if (text == "limit") return EntryOrder::kLimit;
  if (text == "stop") return EntryOrder::kStop;
  return error(ErrorCode::kInvalidArgument,
               fmt::format("entry order '{}' is not market, limit or stop", text));
}

std::string_view entry_order_name(EntryOrder order) {
  switch (order) {
    case EntryOrder::kMarket:
      return "market";
    case EntryOrder::kLimit:
      return "limit";
    case EntryOrder::kStop:
      return "stop";
  }
  return "market";
}

Result<Slippage> parse_slippage(std::string_view text) {
  Slippage out;
  if (text == "0" || text == "none" || text.empty()) return out;
  auto bad = [&] {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("slippage '{}' is not 0, <N>bps (e.g. 2.5bps) or <N>tick(s)", text));
  };
  auto ends_with = [&](std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
  };
  if (ends_with("bps")) {
    Result<std::int64_t> value = parse_fixed_point(text.substr(0, text.size() - 3), 2);
    if (!value.ok() || *value < 0 || *value > 100'000'00) return bad();
    out.kind = Slippage::Kind::kBasisPoints;
    out.centi_bps = *value;
    return out;
  }
  std::string_view number;
  if (ends_with("ticks"))
    number = text.substr(0, text.size() - 5);
  else if (ends_with("tick"))
    number = text.substr(0, text.size() - 4);
  else
    return bad();
  Result<std::int64_t> value = parse_fixed_point(number, 0);
  if (!value.ok() || *value < 0 || *value > 10'000) return bad();
  out.kind = Slippage::Kind::kTicks;
  out.ticks = *value;
  return out;
}

std::string slippage_name(const Slippage& slippage) {
  switch (slippage.kind) {
    case Slippage::Kind::kNone:
      return "0";
    case Slippage::Kind::kBasisPoints:
      return slippage.centi_bps % 100 == 0
                 ? fmt::format("{}bps", slippage.centi_bps / 100)
                 : fmt::format("{}.{:02d}bps", slippage.centi_bps / 100, slippage.centi_bps % 100);
    case Slippage::Kind::kTicks:
      return fmt::format("{}tick{}", slippage.ticks, slippage.ticks == 1 ? "" : "s");
  }
  return "0";
}

Paise apply_slippage(const Slippage& slippage, Paise price, Side side) {
  Paise amount = 0;
  if (slippage.kind == Slippage::Kind::kBasisPoints) {
    amount =
        multiply_divide(price, slippage.centi_bps, 1'000'000, DivideRounding::kHalfAwayFromZero);
  } else if (slippage.kind == Slippage::Kind::kTicks) {
    amount = slippage.ticks * nse_tick_for(price);
  }
  return side == Side::kBuy ? price + amount : std::max<Paise>(1, price - amount);
}

Status validate(const EngineConfig& config) {
  auto bad = [](std::string what) { return error(ErrorCode::kInvalidArgument, std::move(what)); };
  if (config.starting_cash <= 0) return bad("starting cash must be positive");
  if (config.entry_offset_centi_bps < 0) return bad("the entry offset cannot be negative");
  if (config.order_valid_bars < 1) return bad("orders must be valid for at least 1 bar");
  if (!(config.volume_cap >= 0 && config.volume_cap <= 1)) {
    return bad("the volume cap must be a fraction in [0, 1] (0 = no cap)");
  }
  if (config.max_open_positions < 0) return bad("max open positions cannot be negative");
  if (config.max_position_value < 0) return bad("max position value cannot be negative");
  return Status();
}

std::string_view signal_outcome_name(SignalOutcome outcome) {
  switch (outcome) {
    case SignalOutcome::kFilled:
      return "filled";
    case SignalOutcome::kPartiallyFilled:
      return "partially_filled";
    case SignalOutcome::kDenied:
      return "denied";
    case SignalOutcome::kRefusedPositions:
      return "refused_max_positions";
    case SignalOutcome::kRefusedCash:
      return "refused_cash";
    case SignalOutcome::kExpired:
      return "expired";
    case SignalOutcome::kUnfilled:
      return "unfilled";
    case SignalOutcome::kCancelled:
      return "cancelled";
    case SignalOutcome::kNoVolume:
      return "no_volume";
  }
  return "unfilled";
}

void TradeTotals::add(const TradeRecord& trade) {
  ++trades;
  gross_pnl += trade.gross_pnl;
  net_pnl += trade.net_pnl;
  bars_held += trade.bars_held;
  if (trade.net_pnl > 0) {
    ++winners;
    wins += trade.net_pnl;
    largest_win = std::max(largest_win, trade.net_pnl);
  } else if (trade.net_pnl < 0) {
    ++losers;
    losses += trade.net_pnl;
    largest_loss = std::min(largest_loss, trade.net_pnl);
  }
}

Paise TradeRecord::entry_price() const { return mean_half_even(entry_value, qty); }
Paise TradeRecord::exit_price() const { return mean_half_even(exit_value, qty); }

MarketDataFeed::MarketDataFeed(const MarketData& data) : data_(data) {
  for (const SymbolSeries& series : data.series()) symbols_.push_back(series.symbol);
}

bool MarketDataFeed::gives_chunks() const { return data_.series().size() == 1; }

Status MarketDataFeed::next_chunk(std::span<const Bar>& out) {
  out = {};
  if (next_event_ >= data_.events().size()) return Status();
  out = data_.series().front().bars;
  next_event_ = data_.events().size();
  return Status();
}

Status MarketDataFeed::next(std::vector<FeedBar>& out) {
  out.clear();
  const std::vector<MarketData::Event>& events = data_.events();
  if (next_event_ >= events.size()) return Status();
  const TimestampMs ts = events[next_event_].ts;
  for (; next_event_ < events.size() && events[next_event_].ts == ts; ++next_event_) {
    const MarketData::Event& e = events[next_event_];
    out.push_back({e.series, &data_.series()[e.series].bars[e.index]});
  }
  return Status();
}

Result<BacktestResult> run_backtest(BarFeed& feed, const std::vector<StrategySpec>& strategies,
                                    const EngineConfig& config, const costs::CostModel& costs,
                                    SignalGate& gate, RecordSink* sink) {
  // When every instance runs one built-in rule, the engine is instantiated for its type, so the
  // rule's step is inlined into the loop; a mix of strategies goes through Strategy::on_bar.
  const bool one_rule =
      !strategies.empty() && std::all_of(strategies.begin(), strategies.end(), [&](const auto& s) {
        return s.name == strategies.front().name;
      });
  if (one_rule) {
    const std::string_view name = strategies.front().name;
#define SM_STRATEGY(id, Rule)                                                                  \
  if (name == strategy::Rule::kName) {                                                         \
    return run_engine<strategy::RuleStrategy<strategy::Rule>>(feed, strategies, config, costs, \
                                                              gate, sink);                     \
  }
#include "strategy/builtin_strategies.def"
#undef SM_STRATEGY
  }
  return run_engine<strategy::Strategy>(feed, strategies, config, costs, gate, sink);
}

Result<BacktestResult> run_backtest(const MarketData& data,
                                    const std::vector<StrategySpec>& strategies,
                                    const EngineConfig& config, const costs::CostModel& costs,
                                    SignalGate& gate) {
  MarketDataFeed feed(data);
  return run_backtest(feed, strategies, config, costs, gate);
}

}  // namespace sm::backtest
