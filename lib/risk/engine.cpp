#include "risk/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "risk/client_order_id.h"

namespace sm::risk {

namespace {

constexpr std::int64_t kBpWhole = 10'000;
constexpr TimestampMs kMinute = kMsPerMinute;
constexpr TimestampMs kFiveMinutes = 5 * kMsPerMinute;
constexpr TimestampMs kDecidedMemoryMs = 2 * kMsPerDay;
constexpr TimestampMs kNever = std::numeric_limits<TimestampMs>::min();

// a > bps/10000 of base, exactly. REQUIRES: base >= 0.
bool exceeds_bps(Paise amount, Paise base, std::int64_t bps) {
  return Int128{amount} * kBpWhole > Int128{bps} * base;
}

// amount as basis points of base, rounded down; 0 when base <= 0.
std::int64_t bps_of(Paise amount, Paise base) {
  if (base <= 0) return 0;
  return static_cast<std::int64_t>(
      std::clamp<Int128>(Int128{amount} * kBpWhole / base, -1'000'000'000, 1'000'000'000));
}

std::string seconds_text(std::int64_t ms) {
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{:.3f}s", static_cast<double>(ms) / 1000.0);
}

std::string signal_key(const Signal& s) {
  return fmt::format("{}\n{}\n{}\n{}", s.strategy, s.symbol, signal_action_name(s.action), s.ts);
}

std::string series_key(const Signal& s) {
  return fmt::format("{}\n{}\n{}", s.strategy, s.symbol, signal_action_name(s.action));
}

int level_rank(std::string_view level) {
  if (level == kLevelPause) return 3;
  if (level == kLevelHalt) return 2;
  if (level == kLevelBlockEntries) return 1;
  return 0;
}

bool is_terminal(std::string_view status) {
  return status == "COMPLETE" || status == "CANCELLED" || status == "REJECTED";
}

std::string halt_detail(const ActiveHalt& halt) {
  std::string detail = fmt::format("trigger={}", halt.trigger);
  if (!halt.reason.empty()) detail += ": " + halt.reason;
  return detail;
}

}  // namespace

std::string format_bps(std::int64_t bps) {
  const std::int64_t magnitude = bps < 0 ? -bps : bps;
  return fmt::format("{}{}.{:02}%", bps < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

std::string_view gateway_state_name(GatewayState state) {
  switch (state) {
    case GatewayState::kActive:
      return "active";
    case GatewayState::kEntriesBlocked:
      return "entries_blocked";
    case GatewayState::kHalted:
      return "halted";
    case GatewayState::kPaused:
      return "paused";
  }
  return "active";
}

RiskEngine::RiskEngine(RiskConfig config, const time::Calendar* calendar)
    : config_(std::move(config)), calendar_(calendar) {}

void RiskEngine::roll_day(TimestampMs now) {
  const Date today = ist_date(now);
  if (state_.day_set && today <= state_.day) return;
  // The marks for today's P&L are the last prices of the previous day: everything held now.
  state_.day_start_unrealised = 0;
  state_.day_start_prices.clear();
  for (const auto& [key, position] : state_.book.positions()) {
    if (position.qty == 0) continue;
    const PricePoint* price = state_.book.find_price(position.symbol);
    if (price == nullptr) continue;
    state_.day_start_prices[position.symbol] = price->price;
    state_.day_start_unrealised = saturate(Int128{state_.day_start_unrealised} +
                                           Int128{position.qty} * price->price - position.cost);
  }
  state_.realised_today = 0;
  state_.charges_today = 0;
  state_.day = today;
  state_.day_start_ms = from_ist(today, 0, 0);
  state_.day_set = true;
  std::erase_if(state_.decided,
                [&](const auto& entry) { return entry.second < now - kDecidedMemoryMs; });
  std::erase_if(state_.last_approved,
                [&](const auto& entry) { return entry.second < now - kDecidedMemoryMs; });
}

void RiskEngine::on_corporate_action(const CorporateActionEffect& effect) {
  const PositionState* held = state_.book.find_position(effect.strategy, effect.symbol);
  if (held != nullptr && held->qty == effect.qty_before) {
    PositionState adjusted = *held;
    adjusted.qty = effect.qty_after;
    state_.book.put_position(std::move(adjusted));
  }
  if (!state_.prices_adjusted.insert({effect.symbol, effect.ex_date}).second) return;
  const PricePoint* price = state_.book.find_price(effect.symbol);
  if (price == nullptr || price->ts >= from_ist(effect.ex_date, 0, 0)) return;
  PricePoint adjusted = *price;
  adjusted.price = std::max<Paise>(
      1, saturate(divide_half_away_from_zero(Int128{price->price} * effect.price_numerator,
                                             effect.price_denominator)));
  state_.book.put_price(effect.symbol, adjusted);
}

Paise RiskEngine::daily_pnl() const {
  return saturate(Int128{state_.realised_today} - state_.charges_today + state_.book.unrealised() -
                  state_.day_start_unrealised);
}

Paise RiskEngine::tick_for(const std::string& symbol, Paise price) const {
  auto tick = state_.tick_sizes.find(symbol);
  if (tick != state_.tick_sizes.end() && tick->second > 0) return tick->second;
  return nse_tick_for(price);
}

void RiskEngine::apply_fill_to_position(const Fill& fill) {
  const PositionState* held = state_.book.find_position(fill.strategy, fill.symbol);
  PositionState position = held != nullptr ? *held : PositionState{};
  if (held == nullptr) {
    position.strategy = fill.strategy;
    position.symbol = fill.symbol;
  }
  const FillEffect effect = apply_fill(position, fill.side, fill.qty, fill.price);
  static_cast<Position&>(position) = effect.position;
  if (effect.opened) position.opened_ms = fill.ts;
  const Int128 realised = effect.realised;
  const bool today = fill.ts >= state_.day_start_ms && ist_date(fill.ts) == state_.day;
  if (today) {
    state_.realised_today = saturate(Int128{state_.realised_today} + realised);
    state_.charges_today = saturate(Int128{state_.charges_today} + fill.charges);
  } else if (fill.ts < state_.day_start_ms) {
    // A fill from before today that arrives late changes what was held at the day's start: its
    // cash effect belongs to the baseline, not to today's P&L.
    auto mark_price = state_.day_start_prices.find(fill.symbol);
    const Paise p0 = mark_price != state_.day_start_prices.end() ? mark_price->second : fill.price;
    const Int128 signed_qty = fill.side == Side::kBuy ? Int128{fill.qty} : -Int128{fill.qty};
    state_.day_start_unrealised = saturate(Int128{state_.day_start_unrealised} + signed_qty * p0 -
                                           (signed_qty * fill.price + realised));
  }
  if (position.qty == 0 && position.realised_pnl == 0) {
    state_.book.erase_position(fill.strategy, fill.symbol);
  } else {
    state_.book.put_position(std::move(position));
  }
}

Quantity RiskEngine::unreserved_qty(const PositionState& position) const {
  Quantity reserved = 0;
  for (const auto& [id, order] : state_.pending) {
    if (order.side == Side::kSell && order.strategy == position.strategy &&
        order.symbol == position.symbol) {
      reserved += order.qty;
    }
  }
  return position.qty - reserved;
}

RiskEngine::Exposure RiskEngine::exposure_for(const std::string& strategy,
                                              const std::string& symbol) const {
  Exposure e;
  std::set<std::string_view> open;
  Int128 total = 0;
  Int128 in_symbol = 0;
  Int128 in_strategy = 0;
  for (const auto& [key, position] : state_.book.positions()) {
    if (position.qty == 0) continue;
    Int128 value = state_.book.mark(position);
    if (value < 0) value = -value;
    total += value;
    if (position.symbol == symbol) in_symbol += value;
    if (position.strategy == strategy) in_strategy += value;
    open.insert(position.symbol);
  }
  for (const auto& [id, order] : state_.pending) {
    if (order.side != Side::kBuy) continue;
    const Int128 value = Int128{order.qty} * order.price;
    total += value;
    if (order.symbol == symbol) in_symbol += value;
    if (order.strategy == strategy) in_strategy += value;
    open.insert(order.symbol);
  }
  e.total = saturate(total);
  e.symbol = saturate(in_symbol);
  e.strategy = saturate(in_strategy);
  e.open_symbols = static_cast<std::int64_t>(open.size());
  e.symbol_open = open.count(symbol) > 0;
  return e;
}

std::int64_t RiskEngine::orders_since(TimestampMs since) const {
  // order_times is sorted, so count from the back.
  std::int64_t count = 0;
  for (auto it = state_.order_times.rbegin(); it != state_.order_times.rend() && *it > since;
       ++it) {
    ++count;
  }
  return count;
}

void RiskEngine::prune(TimestampMs now) {
  while (!state_.order_times.empty() && state_.order_times.front() <= now - kFiveMinutes) {
    state_.order_times.pop_front();
  }
  while (!state_.signal_times.empty() && state_.signal_times.front() <= now - kFiveMinutes) {
    state_.signal_times.pop_front();
  }
  while (!state_.error_times.empty() && state_.error_times.front() <= now - kMinute) {
    state_.error_times.pop_front();
  }
}

void RiskEngine::record_order(const OrderIntent& intent, Paise exposure_price, TimestampMs now) {
  state_.order_times.push_back(now);
  PendingOrder pending;
  pending.client_order_id = intent.client_order_id;
  pending.strategy = intent.strategy;
  pending.symbol = intent.symbol;
  pending.side = intent.side;
  pending.qty = intent.qty;
  pending.price = exposure_price;
  pending.ts = now;
  state_.pending[intent.client_order_id] = std::move(pending);
}

const ActiveHalt* RiskEngine::most_severe_halt() const {
  const ActiveHalt* worst = nullptr;
  for (const ActiveHalt& halt : state_.halts) {
    if (worst == nullptr || level_rank(halt.level) > level_rank(worst->level)) worst = &halt;
  }
  return worst;
}

bool RiskEngine::halt_active(std::string_view level, std::string_view trigger) const {
  return std::any_of(state_.halts.begin(), state_.halts.end(),
                     [&](const ActiveHalt& h) { return h.level == level && h.trigger == trigger; });
}

TimestampMs RiskEngine::evidence_since(std::string_view trigger) const {
  auto it = state_.resumed_ms.find(std::string(trigger));
  return it == state_.resumed_ms.end() ? kNever : it->second;
}

TimestampMs RiskEngine::next_session_start(TimestampMs now) const {
  if (calendar_ == nullptr) return 0;
  Result<Date> next = calendar_->next_trading_day(ist_date(now));
  if (!next.ok()) return 0;
  Result<time::DaySchedule> schedule = calendar_->session_times(*next);
  if (!schedule.ok() || !schedule->trading()) return 0;
  const int minute = schedule->sittings.front().first_minute();
  return from_ist(*next, minute / 60, minute % 60);
}

bool RiskEngine::in_market_hours(TimestampMs now) const {
  if (calendar_ == nullptr) return true;  // cannot tell: assume the market may be open
  Result<time::Session> session = calendar_->session_at(now);
  return !session.ok() || *session != time::Session::kClosed;
}

std::optional<RiskEngine::Denial> RiskEngine::check_session(TimestampMs now) const {
  if (!config_.session_checks) return std::nullopt;
  if (calendar_ == nullptr) return Denial{code::kCalendarUnavailable, "no trading calendar loaded"};
  Result<time::Session> session = calendar_->session_at(now);
  if (!session.ok()) return Denial{code::kCalendarUnavailable, session.status().message()};
  switch (*session) {
    case time::Session::kContinuous:
      return std::nullopt;
    case time::Session::kPreOpenOrderEntry:
      if (config_.allow_pre_open) return std::nullopt;
      break;
    case time::Session::kClosingSession:
      if (config_.allow_closing_session) return std::nullopt;
      break;
    case time::Session::kClosed: {
      Result<time::DaySchedule> day = calendar_->session_times(ist_date(now));
      if (day.ok() && !day->trading()) {
        return Denial{code::kMarketClosed, fmt::format("{} is a {}{}{}", format_date(day->date),
                                                       time::day_type_name(day->type),
                                                       day->name.empty() ? "" : ": ", day->name)};
      }
      break;
    }
    default:
      break;
  }
  return Denial{code::kOutsideSession,
                fmt::format("session={} at {}", time::session_name(*session), format_ist(now))};
}

std::optional<RiskEngine::Denial> RiskEngine::check_components(TimestampMs now, bool entry) const {
  for (const std::string& name : config_.required_components) {
    auto it = state_.components.find(name);
    if (it == state_.components.end()) {
      return Denial{code::kHeartbeatMissing, fmt::format("component={}: no heartbeat seen", name)};
    }
    const TimestampMs age = now - it->second.ts;
    if (age > config_.heartbeat_max_age_ms) {
      return Denial{code::kHeartbeatStale,
                    fmt::format("component={}, age={}, max={}", name, seconds_text(age),
                                seconds_text(config_.heartbeat_max_age_ms))};
    }
    if (it->second.status == "stopping") {
      return Denial{code::kHeartbeatStale, fmt::format("component={}, status=stopping", name)};
    }
  }
  if (entry) {
    auto broker = state_.components.find(config_.broker_component);
    if (broker != state_.components.end() && broker->second.status != "ok") {
      return Denial{code::kBrokerDisconnected,
                    fmt::format("component={}, status={} since {}", config_.broker_component,
                                broker->second.status, format_utc(broker->second.status_since))};
    }
  }
  return std::nullopt;
}

RiskDecision decision_on(const Signal& signal, TimestampMs now, bool approved,
                         std::string_view decision_code, std::string detail) {
  RiskDecision decision;
  decision.ts = now;
  decision.strategy = signal.strategy;
  decision.symbol = signal.symbol;
  decision.action = signal.action;
  decision.signal_ts = signal.ts;
  decision.approved = approved;
  decision.code = decision_code;
  decision.detail = std::move(detail);
  return decision;
}

RiskDecision& RiskEngine::deny(std::vector<Message>& out, const Signal& signal, TimestampMs now,
                               std::string_view failed_code, std::string detail) {
  out.emplace_back(decision_on(signal, now, false, failed_code, std::move(detail)));
  return std::get<RiskDecision>(out.back());
}

const RiskDecision& RiskEngine::decide(const Signal& signal, TimestampMs now,
                                       std::vector<Message>& out) {
  roll_day(now);
  prune(now);
  evaluate(now, out);
  const size_t index = out.size();
  check_and_decide(signal, now, out);
  // Copy what the latency sample needs before `out` grows again.
  const std::string decided_code = std::get<RiskDecision>(out[index]).code;
  state_.decided[signal_key(signal)] = signal.ts;
  if (decided_code != code::kInvalidSignal && decided_code != code::kDuplicateSignal &&
      signal.ts <= now) {
    record_latency(now - signal.ts, now, out);
  }
  return std::get<RiskDecision>(out[index]);
}

// The checks run in the order docs/RISK.md lists them; the first denial decides.
void RiskEngine::check_and_decide(const Signal& s, TimestampMs now, std::vector<Message>& out) {
  const bool entry = s.action == SignalAction::kEnterLong;
  state_.signal_times.push_back(now);
  auto refuse = [&](Denial denial) { deny(out, s, now, denial.code, std::move(denial.detail)); };

  if (std::optional<Denial> denial = check_signal_fields(s, entry)) return refuse(*denial);
  if (std::optional<Denial> denial = check_request_burst(now)) {
    refuse(*denial);
    pause_for_request_burst(now, out);
    return;
  }
  std::optional<Denial> denial = check_duplicate(s);
  if (!denial) denial = check_signal_time(s, now);
  if (!denial) denial = check_halts(entry);
  if (!denial) denial = check_session(now);
  if (!denial) denial = check_components(now, entry);
  if (!denial) denial = check_market_price(s, now);
  if (denial) return refuse(*denial);

  OrderTerms terms;
  terms.side = entry ? Side::kBuy : Side::kSell;
  terms.value_price = s.price;
  denial = price_order(s, entry, terms);
  if (!denial) denial = check_circuit(s, terms);
  if (!denial) denial = size_order(s, entry, terms);
  if (!denial && entry) denial = check_order_size(terms);
  if (!denial) denial = check_order_rate(now);
  if (!denial && entry) denial = check_exposure(s, terms);
  if (denial) return refuse(*denial);
  approve(s, terms, now, out);
}

std::optional<RiskEngine::Denial> RiskEngine::check_signal_fields(const Signal& s,
                                                                  bool entry) const {
  if (s.strategy.empty() || s.symbol.empty() || s.strategy.find('\n') != std::string::npos ||
      s.symbol.find('\n') != std::string::npos) {
    return Denial{code::kInvalidSignal, "strategy and symbol must be non-empty single lines"};
  }
  if (s.price <= 0 || s.qty < 0 || (entry && s.qty == 0)) {
    return Denial{code::kInvalidSignal,
                  fmt::format("qty={}, price={}: {} needs qty > 0 and price > 0", s.qty,
                              format_rupees(s.price), signal_action_name(s.action))};
  }
  return std::nullopt;
}

std::int64_t RiskEngine::requests_in_burst(TimestampMs now) const {
  const TimestampMs burst_since = std::max(now - kFiveMinutes, evidence_since(trigger::kOrderRate));
  std::int64_t requests = 0;
  for (auto it = state_.signal_times.rbegin();
       it != state_.signal_times.rend() && *it > burst_since; ++it) {
    ++requests;
  }
  return requests;
}

// A runaway loop shows as a burst of requests, whatever their outcome.
std::optional<RiskEngine::Denial> RiskEngine::check_request_burst(TimestampMs now) const {
  const std::int64_t requests = requests_in_burst(now);
  if (requests <= config_.max_orders_per_5_minutes ||
      halt_active(kLevelPause, trigger::kOrderRate)) {
    return std::nullopt;
  }
  return Denial{code::kOrderRatePause, fmt::format("requests_last_5_minutes={}, max={}", requests,
                                                   config_.max_orders_per_5_minutes)};
}

void RiskEngine::pause_for_request_burst(TimestampMs now, std::vector<Message>& out) {
  const std::int64_t requests = requests_in_burst(now);
  raise_halt(kLevelPause, trigger::kOrderRate,
             fmt::format("{} order requests in 5 minutes > {}", requests,
                         config_.max_orders_per_5_minutes),
             0, now, out);
  raise_alert(Severity::kCritical, "kill_switch_order_rate",
              fmt::format("{} order requests in 5 minutes > {}: trading paused until a person "
                          "resumes (sm-risk resume)",
                          requests, config_.max_orders_per_5_minutes),
              fmt::format("order_rate:{}", now), now, out);
}

std::optional<RiskEngine::Denial> RiskEngine::check_duplicate(const Signal& s) const {
  if (state_.decided.count(signal_key(s)) > 0) {
    return Denial{code::kDuplicateSignal, "this signal was already decided"};
  }
  if (auto last = state_.last_approved.find(series_key(s)); last != state_.last_approved.end()) {
    const TimestampMs gap = s.ts > last->second ? s.ts - last->second : last->second - s.ts;
    if (gap < config_.duplicate_window_ms) {
      return Denial{
          code::kDuplicateSignal,
          fmt::format("same strategy, symbol and action approved for the signal at {}, {} apart "
                      "< window {}",
                      format_utc(last->second), seconds_text(gap),
                      seconds_text(config_.duplicate_window_ms))};
    }
  }
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_signal_time(const Signal& s,
                                                                TimestampMs now) const {
  if (now - s.ts > config_.signal_max_age_ms) {
    return Denial{code::kSignalStale, fmt::format("age={}, max={}", seconds_text(now - s.ts),
                                                  seconds_text(config_.signal_max_age_ms))};
  }
  if (s.ts - now > config_.future_tolerance_ms) {
    return Denial{code::kSignalFromFuture,
                  fmt::format("signal ts {} is {} after now {}", format_utc(s.ts),
                              seconds_text(s.ts - now), format_utc(now))};
  }
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_halts(bool entry) const {
  const ActiveHalt* halt = most_severe_halt();
  if (halt == nullptr) return std::nullopt;
  if (halt->level == kLevelPause) return Denial{code::kTradingPaused, halt_detail(*halt)};
  if (halt->level == kLevelHalt) return Denial{code::kTradingHalted, halt_detail(*halt)};
  if (entry) return Denial{code::kEntriesBlocked, halt_detail(*halt)};
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_market_price(const Signal& s,
                                                                 TimestampMs now) const {
  const PricePoint* last = state_.book.find_price(s.symbol);
  if (last == nullptr) {
    return Denial{code::kPriceUnavailable, fmt::format("no traded price known for {}", s.symbol)};
  }
  const PricePoint& market = *last;
  const std::int64_t max_age = config_.price_max_age_for(market.interval_ms);
  if (now - market.ts > max_age) {
    return Denial{
        code::kPriceStale,
        fmt::format("last={} at {}, age={}, max={}", format_rupees(market.price),
                    format_utc(market.ts), seconds_text(now - market.ts), seconds_text(max_age))};
  }
  const Paise difference = s.price > market.price ? s.price - market.price : market.price - s.price;
  if (exceeds_bps(difference, market.price, config_.price_band_bps)) {
    return Denial{
        code::kPriceOutOfBand,
        fmt::format("price={}, last={}, difference={}, band={}", format_rupees(s.price),
                    format_rupees(market.price), format_bps(bps_of(difference, market.price)),
                    format_bps(config_.price_band_bps))};
  }
  return std::nullopt;
}

// A limit order is priced at the signal price plus (buy) or minus (sell) the slippage allowance,
// rounded to the tick towards the signal price; the limit is then what one share is valued at.
std::optional<RiskEngine::Denial> RiskEngine::price_order(const Signal& s, bool entry,
                                                          OrderTerms& terms) const {
  if (config_.order_type != OrderType::kLimit) return std::nullopt;
  const Paise slip = apply_bps(s.price, config_.limit_slippage_bps);
  const Paise wanted = entry ? s.price + slip : s.price - slip;
  const Paise tick = tick_for(s.symbol, wanted);
  terms.order_price = round_to_tick(wanted, tick, entry ? TickRounding::kDown : TickRounding::kUp);
  if (terms.order_price <= 0) {
    return Denial{code::kInvalidSignal,
                  fmt::format("limit price {} rounds to {} at tick {}", format_rupees(wanted),
                              format_rupees(terms.order_price), format_rupees(tick))};
  }
  terms.value_price = terms.order_price;
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_circuit(const Signal& s,
                                                            const OrderTerms& terms) const {
  auto limits = config_.circuit_limits.find(s.symbol);
  if (limits == config_.circuit_limits.end()) return std::nullopt;
  const CircuitLimits& band = limits->second;
  const Paise price = terms.value_price;
  if ((band.lower && price < *band.lower) || (band.upper && price > *band.upper)) {
    return Denial{code::kPriceOutsideCircuit,
                  fmt::format("price={}, lower={}, upper={}", format_rupees(price),
                              band.lower ? format_rupees(*band.lower) : std::string("unknown"),
                              band.upper ? format_rupees(*band.upper) : std::string("unknown"))};
  }
  return std::nullopt;
}

// An exit sells what the strategy holds and is not already selling, at most the signal's qty when
// it names one.
std::optional<RiskEngine::Denial> RiskEngine::size_order(const Signal& s, bool entry,
                                                         OrderTerms& terms) const {
  terms.qty = s.qty;
  if (!entry) {
    const PositionState* held = state_.book.find_position(s.strategy, s.symbol);
    const Quantity available = held == nullptr ? 0 : unreserved_qty(*held);
    if (available <= 0) {
      const Quantity position = held == nullptr ? 0 : held->qty;
      return Denial{
          code::kNoPosition,
          fmt::format("strategy {} holds {} of {}, {} of it already being sold", s.strategy,
                      position, s.symbol, position - std::max<Quantity>(available, 0))};
    }
    terms.qty = terms.qty > 0 ? std::min(terms.qty, available) : available;
  }
  Result<Paise> value = notional(terms.value_price, terms.qty);
  if (!value.ok()) {
    return Denial{code::kInvalidSignal, fmt::format("qty={} at {} overflows", terms.qty,
                                                    format_rupees(terms.value_price))};
  }
  terms.value = *value;
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_order_size(const OrderTerms& terms) const {
  if (terms.qty > config_.max_order_qty) {
    return Denial{code::kMaxOrderQtyExceeded,
                  fmt::format("qty={}, max={}", terms.qty, config_.max_order_qty)};
  }
  if (terms.value > config_.max_order_value) {
    return Denial{code::kMaxOrderValueExceeded,
                  fmt::format("value={}, max={}", format_rupees(terms.value),
                              format_rupees(config_.max_order_value))};
  }
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_order_rate(TimestampMs now) const {
  const std::int64_t last_minute = orders_since(now - kMinute);
  if (last_minute + 1 > config_.max_orders_per_minute) {
    return Denial{
        code::kMaxOrdersPerMinuteExceeded,
        fmt::format("orders_last_minute={}, max={}", last_minute, config_.max_orders_per_minute)};
  }
  return std::nullopt;
}

std::optional<RiskEngine::Denial> RiskEngine::check_exposure(const Signal& s,
                                                             const OrderTerms& terms) const {
  const Exposure e = exposure_for(s.strategy, s.symbol);
  const Paise value = terms.value;
  const std::int64_t open_after = e.open_symbols + (e.symbol_open ? 0 : 1);
  if (open_after > config_.max_open_positions) {
    return Denial{code::kMaxOpenPositionsExceeded,
                  fmt::format("open={}, new symbol {}, max={}", e.open_symbols, s.symbol,
                              config_.max_open_positions)};
  }
  const Paise symbol_cap = config_.symbol_exposure_cap();
  if (Int128{e.symbol} + value > symbol_cap) {
    return Denial{
        code::kMaxSymbolExposureExceeded,
        fmt::format("symbol={}, exposure={}, order={}, max={}", s.symbol, format_rupees(e.symbol),
                    format_rupees(value), format_rupees(symbol_cap))};
  }
  const Paise total_cap = config_.total_exposure_cap();
  if (Int128{e.total} + value > total_cap) {
    return Denial{code::kMaxTotalExposureExceeded,
                  fmt::format("exposure={}, order={}, max={}", format_rupees(e.total),
                              format_rupees(value), format_rupees(total_cap))};
  }
  const std::int64_t strategy_bps = config_.strategy_capital_bps_for(s.strategy);
  const Paise strategy_cap = saturate(Int128{config_.capital} * strategy_bps / kBpWhole);
  if (Int128{e.strategy} + value > strategy_cap) {
    return Denial{code::kStrategyCapitalExceeded,
                  fmt::format("strategy={}, exposure={}, order={}, max={} ({} of capital)",
                              s.strategy, format_rupees(e.strategy), format_rupees(value),
                              format_rupees(strategy_cap), format_bps(strategy_bps))};
  }
  return std::nullopt;
}

void RiskEngine::approve(const Signal& s, const OrderTerms& terms, TimestampMs now,
                         std::vector<Message>& out) {
  OrderIntent intent;
  intent.ts = now;
  intent.client_order_id =
      client_order_id(s.strategy, s.symbol, s.ts, signal_action_name(s.action));
  intent.strategy = s.strategy;
  intent.symbol = s.symbol;
  intent.side = terms.side;
  intent.qty = terms.qty;
  intent.order_type = config_.order_type;
  intent.product = config_.product;
  intent.price = terms.order_price;
  intent.signal_ts = s.ts;
  intent.reason = s.reason;

  RiskDecision decision = decision_on(
      s, now, true, code::kApproved,
      fmt::format("side={}, qty={}, price={}, value={}", side_name(terms.side), terms.qty,
                  terms.order_price == 0 ? std::string("MARKET") : format_rupees(terms.order_price),
                  format_rupees(terms.value)));
  decision.client_order_id = intent.client_order_id;
  record_order(intent, terms.value_price, now);
  state_.last_approved[series_key(s)] = s.ts;
  out.emplace_back(std::move(decision));
  out.emplace_back(std::move(intent));
}

void RiskEngine::raise_halt(std::string_view level, std::string_view trigger_name,
                            std::string reason, TimestampMs until, TimestampMs now,
                            std::vector<Message>& out) {
  ActiveHalt active;
  active.level = level;
  active.trigger = trigger_name;
  active.reason = reason;
  active.by = config_.component;
  active.since = now;
  active.until = until;
  state_.halts.push_back(active);
  Halt halt;
  halt.ts = now;
  halt.action = "halt";
  halt.level = level;
  halt.trigger = trigger_name;
  halt.reason = std::move(reason);
  halt.by = config_.component;
  halt.until = until;
  out.emplace_back(std::move(halt));
}

void RiskEngine::raise_alert(Severity severity, std::string_view event, std::string text,
                             std::string dedup_key, TimestampMs now, std::vector<Message>& out) {
  Alert alert;
  alert.ts = now;
  alert.severity = severity;
  alert.component = config_.component;
  alert.event = event;
  alert.text = std::move(text);
  alert.dedup_key = std::move(dedup_key);
  out.emplace_back(std::move(alert));
}

bool RiskEngine::force_exit(const PositionState& position, std::string_view why, std::string detail,
                            TimestampMs incident_ts, TimestampMs now, std::vector<Message>& out) {
  const Quantity qty = unreserved_qty(position);
  if (qty <= 0) return false;
  OrderIntent intent;
  intent.ts = now;
  intent.client_order_id = client_order_id(position.strategy, position.symbol, incident_ts,
                                           fmt::format("force_exit:{}", why));
  intent.strategy = position.strategy;
  intent.symbol = position.symbol;
  intent.side = Side::kSell;
  intent.qty = qty;
  // A market order, so the exit is not left resting while the price keeps falling.
  intent.order_type = OrderType::kMarket;
  intent.product = config_.product;
  intent.signal_ts = incident_ts;
  intent.reason = fmt::format("kill switch {}: {}", why, detail);

  RiskDecision decision;
  decision.ts = now;
  decision.strategy = position.strategy;
  decision.symbol = position.symbol;
  decision.action = SignalAction::kExitLong;
  decision.signal_ts = incident_ts;
  decision.approved = true;
  decision.code = code::kForcedExit;
  decision.detail = fmt::format("trigger={}, qty={}: {}", why, qty, detail);
  decision.client_order_id = intent.client_order_id;

  const PricePoint* price = state_.book.find_price(position.symbol);
  const Paise value_price =
      price != nullptr ? price->price : (position.qty != 0 ? position.cost / position.qty : 0);
  record_order(intent, value_price, now);
  state_.decided[fmt::format("{}\n{}\n{}\n{}", position.strategy, position.symbol,
                             signal_action_name(SignalAction::kExitLong), incident_ts)] =
      incident_ts;
  out.emplace_back(std::move(decision));
  out.emplace_back(std::move(intent));
  return true;
}

void RiskEngine::check_daily_loss(TimestampMs now, std::vector<Message>& out) {
  const Paise loss = -daily_pnl();
  if (loss <= 0) return;
  const std::int64_t loss_bps = bps_of(loss, config_.capital);
  const bool resumed_halt_today = evidence_since(trigger::kDailyLossHalt) >= state_.day_start_ms;
  const bool resumed_block_today = evidence_since(trigger::kDailyLossBlock) >= state_.day_start_ms;
  const std::string day = format_date(state_.day);

  if (exceeds_bps(loss, config_.capital, config_.daily_loss_halt_bps)) {
    if (halt_active(kLevelHalt, trigger::kDailyLossHalt) || resumed_halt_today) return;
    const ActiveHalt* existing = most_severe_halt();
    const bool exits_allowed = existing == nullptr || existing->level == kLevelBlockEntries;
    const std::string why =
        fmt::format("daily loss {} of capital ({}) > {}", format_bps(loss_bps), format_rupees(loss),
                    format_bps(config_.daily_loss_halt_bps));
    std::int64_t exits = 0;
    if (exits_allowed) {
      // No copy needed: force_exit adds pending orders but never changes positions.
      for (const auto& [key, position] : state_.book.positions()) {
        if (position.qty > 0 &&
            force_exit(position, trigger::kDailyLossHalt, why, state_.day_start_ms, now, out)) {
          ++exits;
        }
      }
    }
    const TimestampMs until = next_session_start(now);
    raise_halt(kLevelHalt, trigger::kDailyLossHalt, why, until, now, out);
    std::string text = fmt::format("{}: ", why);
    text += exits_allowed ? fmt::format("exiting {} position(s)", exits)
                          : std::string("exits NOT sent, trading already halted");
    text += until != 0 ? fmt::format(", halted until {}", format_ist(until))
                       : std::string(", halted until a person resumes (no calendar date)");
    raise_alert(Severity::kCritical, "kill_switch_daily_loss_halt", std::move(text),
                fmt::format("daily_loss_halt:{}", day), now, out);
    return;
  }
  if (exceeds_bps(loss, config_.capital, config_.daily_loss_block_entries_bps)) {
    if (halt_active(kLevelBlockEntries, trigger::kDailyLossBlock) ||
        halt_active(kLevelHalt, trigger::kDailyLossHalt) || resumed_block_today) {
      return;
    }
    const std::string why =
        fmt::format("daily loss {} of capital ({}) > {}", format_bps(loss_bps), format_rupees(loss),
                    format_bps(config_.daily_loss_block_entries_bps));
    const TimestampMs until = next_session_start(now);
    raise_halt(kLevelBlockEntries, trigger::kDailyLossBlock, why, until, now, out);
    raise_alert(Severity::kWarning, "kill_switch_daily_loss_block",
                fmt::format("{}: new entries blocked{}; exits allowed, positions monitored", why,
                            until != 0 ? " until " + format_ist(until) : std::string()),
                fmt::format("daily_loss_block:{}", day), now, out);
  }
}

void RiskEngine::check_position_loss(TimestampMs now, std::vector<Message>& out) {
  const ActiveHalt* existing = most_severe_halt();
  const bool exits_allowed = existing == nullptr || existing->level == kLevelBlockEntries;
  // Only the positions whose inputs changed since the last look: for the others the answer is
  // what it was then (an incident already recorded, or a loss within the limit).
  for (const PositionState* changed : state_.book.take_changed_positions()) {
    const PositionState& position = *changed;
    if (position.qty <= 0 || position.cost <= 0) continue;
    const PricePoint* price = state_.book.find_price(position.symbol);
    if (price == nullptr) continue;
    const Paise value = state_.book.mark(position);
    const Paise loss = position.cost - value;
    if (!exceeds_bps(loss, position.cost, config_.position_loss_exit_bps)) continue;
    const std::string incident =
        fmt::format("{}\n{}\n{}\n{}", trigger::kPositionLoss, position.strategy, position.symbol,
                    position.opened_ms);
    if (state_.incidents.count(incident) > 0) continue;
    const Paise average = position.cost / position.qty;
    const std::string why =
        fmt::format("{} {}: unrealised loss {} ({}) > {}, qty={}, average={}, last={}",
                    position.strategy.empty() ? "(no strategy)" : position.strategy,
                    position.symbol, format_bps(bps_of(loss, position.cost)), format_rupees(loss),
                    format_bps(config_.position_loss_exit_bps), position.qty,
                    format_rupees(average), format_rupees(price->price));
    bool sent = false;
    if (exits_allowed) {
      sent = force_exit(position, trigger::kPositionLoss, why, position.opened_ms, now, out);
    }
    state_.incidents.insert(incident);
    raise_alert(Severity::kCritical, "kill_switch_position_loss",
                why + (sent            ? ": forced exit sent"
                       : exits_allowed ? ": already being sold"
                                       : ": exit NOT sent, trading halted"),
                fmt::format("position_loss:{}:{}:{}", position.strategy, position.symbol,
                            position.opened_ms),
                now, out);
  }
}

void RiskEngine::check_broker(TimestampMs now, std::vector<Message>& out) {
  auto it = state_.components.find(config_.broker_component);
  if (it == state_.components.end() || halt_active(kLevelHalt, trigger::kBrokerDisconnected))
    return;
  const ComponentStatus& broker = it->second;
  TimestampMs since = 0;
  std::string how;
  if (broker.status != "ok") {
    since = broker.status_since;
    how = fmt::format("status {}", broker.status);
  } else if (now - broker.ts > config_.heartbeat_max_age_ms) {
    since = broker.ts;
    how = "no heartbeat";
  } else {
    return;
  }
  if (!in_market_hours(now)) return;
  since = std::max(since, evidence_since(trigger::kBrokerDisconnected));
  if (now - since <= config_.broker_disconnect_halt_ms) return;
  const std::string why = fmt::format(
      "broker not connected for {} ({} from {} since {}) > {}", seconds_text(now - since), how,
      config_.broker_component, format_utc(since), seconds_text(config_.broker_disconnect_halt_ms));
  raise_halt(kLevelHalt, trigger::kBrokerDisconnected, why, 0, now, out);
  raise_alert(Severity::kCritical, "kill_switch_broker_disconnected",
              why + ": trading halted until a person resumes",
              fmt::format("broker_disconnected:{}", since), now, out);
}

void RiskEngine::check_feed(TimestampMs now, std::vector<Message>& out) {
  auto it = state_.components.find(config_.feed_component);
  if (it == state_.components.end() || halt_active(kLevelHalt, trigger::kFeedDisconnected)) return;
  const ComponentStatus& feed = it->second;
  TimestampMs since = 0;
  std::string how;
  // Only what the feed says: a feed that falls silent is HEARTBEAT_STALE when it is one of
  // required_components, which lifts by itself when it beats again.
  if (feed.status == "stopping") {
    since = feed.status_since;
    how = "stopped";
  } else if (feed.source_disconnected) {
    since = feed.disconnected_since > 0 ? feed.disconnected_since : feed.status_since;
    how = "source disconnected";
  } else {
    return;  // degraded by stale symbols only: PRICE_STALE denies those symbols' signals
  }
  if (!in_market_hours(now)) return;
  since = std::max(since, evidence_since(trigger::kFeedDisconnected));
  if (now - since <= config_.feed_disconnect_halt_ms) return;
  const std::string why = fmt::format(
      "market data feed down for {} ({} from {} since {}) > {}", seconds_text(now - since), how,
      config_.feed_component, format_utc(since), seconds_text(config_.feed_disconnect_halt_ms));
  raise_halt(kLevelHalt, trigger::kFeedDisconnected, why, 0, now, out);
  raise_alert(Severity::kCritical, "kill_switch_feed_disconnected",
              why + ": trading halted until a person resumes",
              fmt::format("feed_disconnected:{}", since), now, out);
}

void RiskEngine::check_errors(TimestampMs now, std::vector<Message>& out) {
  if (halt_active(kLevelHalt, trigger::kErrorRate)) return;
  const TimestampMs since = std::max(now - kMinute, evidence_since(trigger::kErrorRate));
  std::int64_t count = 0;
  for (auto it = state_.error_times.rbegin(); it != state_.error_times.rend() && *it > since;
       ++it) {
    ++count;
  }
  if (count <= config_.max_errors_per_minute) return;
  const std::string why = fmt::format("{} unexpected errors in the last minute > {}", count,
                                      config_.max_errors_per_minute);
  raise_halt(kLevelHalt, trigger::kErrorRate, why, 0, now, out);
  raise_alert(Severity::kCritical, "kill_switch_error_rate",
              why + ": trading halted until a person resumes", fmt::format("error_rate:{}", now),
              now, out);
}

void RiskEngine::record_latency(std::int64_t latency_ms, TimestampMs now,
                                std::vector<Message>& out) {
  if (latency_ms <= config_.latency_halt_ms) {
    state_.latency_breaches = 0;
    return;
  }
  ++state_.latency_breaches;
  if (state_.latency_breaches < config_.latency_breach_count ||
      halt_active(kLevelBlockEntries, trigger::kLatency)) {
    return;
  }
  const std::string why = fmt::format(
      "critical-path latency {} ms > {} ms on {} signals in a row (signal time to decision)",
      latency_ms, config_.latency_halt_ms, state_.latency_breaches);
  state_.latency_breaches = 0;
  raise_halt(kLevelBlockEntries, trigger::kLatency, why, 0, now, out);
  raise_alert(Severity::kCritical, "kill_switch_latency",
              why + ": new entries blocked until a person resumes", fmt::format("latency:{}", now),
              now, out);
}

void RiskEngine::evaluate(TimestampMs now, std::vector<Message>& out) {
  expire_halts(now, out);
  check_daily_loss(now, out);
  check_position_loss(now, out);
  check_broker(now, out);
  check_feed(now, out);
  check_errors(now, out);
}

void RiskEngine::expire_halts(TimestampMs now, std::vector<Message>& out) {
  roll_day(now);
  prune(now);
  for (auto it = state_.halts.begin(); it != state_.halts.end();) {
    if (it->until == 0 || it->until > now) {
      ++it;
      continue;
    }
    Halt resume;
    resume.ts = now;
    resume.action = "resume";
    resume.level = it->level;
    resume.trigger = it->trigger;
    resume.reason = fmt::format("daily halt reset at the session start {}", format_ist(it->until));
    resume.by = config_.component;
    out.emplace_back(std::move(resume));
    raise_alert(Severity::kInfo, "kill_switch_reset",
                fmt::format("{} ({}) lifted at the session start", it->level, it->trigger),
                fmt::format("reset:{}:{}", it->trigger, it->until), now, out);
    it = state_.halts.erase(it);
  }
}

void RiskEngine::on_fill(const Fill& fill, TimestampMs now, std::vector<Message>& out) {
  roll_day(now);
  apply_fill_to_position(fill);
  if (auto pending = state_.pending.find(fill.client_order_id);
      !fill.client_order_id.empty() && pending != state_.pending.end()) {
    pending->second.qty -= fill.qty;
    if (pending->second.qty <= 0) state_.pending.erase(pending);
  }
  check_daily_loss(now, out);
  check_position_loss(now, out);
}

void RiskEngine::on_price(std::string_view symbol, Paise price, TimestampMs known_at,
                          TimestampMs now, std::vector<Message>& out, std::int64_t interval_ms) {
  roll_day(now);
  if (price <= 0) return;
  const std::string name(symbol);
  const PricePoint* held = state_.book.find_price(name);
  if (held != nullptr && held->price != 0 && known_at < held->ts) return;
  state_.book.put_price(name, PricePoint{price, known_at, interval_ms});
  check_daily_loss(now, out);
  check_position_loss(now, out);
}

void RiskEngine::on_order_update(const OrderUpdate& update, TimestampMs now,
                                 std::vector<Message>& out) {
  roll_day(now);
  auto pending = state_.pending.find(update.client_order_id);
  if (pending == state_.pending.end()) return;
  if (is_terminal(update.status)) {
    state_.pending.erase(pending);
  } else if (update.qty > 0) {
    pending->second.qty = std::max<Quantity>(0, update.qty - update.filled_qty);
  }
  (void)out;
}

namespace {

// The feed's heartbeat detail (ingest/live_feed.h): "connected" and "disconnected_since". A detail
// that is not that JSON says nothing about the source.
void read_feed_detail(const Heartbeat& heartbeat, ComponentStatus& component) {
  component.source_disconnected = false;
  component.disconnected_since = 0;
  nlohmann::json detail = nlohmann::json::parse(heartbeat.detail, nullptr, false);
  if (!detail.is_object()) return;
  auto connected = detail.find("connected");
  if (connected == detail.end() || !connected->is_boolean() || connected->get<bool>()) return;
  component.source_disconnected = true;
  auto since = detail.find("disconnected_since");
  if (since != detail.end() && since->is_string()) {
    Result<TimestampMs> ts = parse_timestamp(since->get<std::string>());
    if (ts.ok()) component.disconnected_since = *ts;
  }
}

}  // namespace

void RiskEngine::on_heartbeat(const Heartbeat& heartbeat, TimestampMs now,
                              std::vector<Message>& out) {
  roll_day(now);
  if (heartbeat.component.empty()) return;
  auto [it, inserted] = state_.components.try_emplace(heartbeat.component);
  ComponentStatus& component = it->second;
  if (!inserted && heartbeat.ts < component.ts) return;
  if (inserted || component.status != heartbeat.status) component.status_since = heartbeat.ts;
  component.status = heartbeat.status;
  component.ts = heartbeat.ts;
  if (heartbeat.component == config_.feed_component) read_feed_detail(heartbeat, component);
  check_broker(now, out);
  check_feed(now, out);
}

void RiskEngine::on_error(TimestampMs error_ts, TimestampMs now, std::vector<Message>& out) {
  roll_day(now);
  prune(now);
  // An error is counted when it reaches us: a late report of an old error still signals trouble.
  (void)error_ts;
  state_.error_times.push_back(now);
  check_errors(now, out);
}

void RiskEngine::on_resume(std::string_view level, TimestampMs now) {
  for (auto it = state_.halts.begin(); it != state_.halts.end();) {
    if (!level.empty() && it->level != level) {
      ++it;
      continue;
    }
    TimestampMs& resumed = state_.resumed_ms[it->trigger];
    resumed = std::max(resumed, now);
    if (it->trigger == trigger::kLatency) state_.latency_breaches = 0;
    it = state_.halts.erase(it);
  }
}

void RiskEngine::on_halt(const ActiveHalt& halt) {
  for (const ActiveHalt& existing : state_.halts) {
    if ((halt.id != 0 && existing.id == halt.id) ||
        (existing.level == halt.level && existing.trigger == halt.trigger)) {
      return;
    }
  }
  state_.halts.push_back(halt);
}

void RiskEngine::mark_decided(const Signal& signal) {
  state_.decided[signal_key(signal)] = signal.ts;
}

void RiskEngine::mark_approved(const Signal& signal) {
  mark_decided(signal);
  TimestampMs& last = state_.last_approved[series_key(signal)];
  last = std::max(last, signal.ts);
}

Assessment RiskEngine::assess(TimestampMs now) const {
  Assessment a;
  a.now = now;
  a.halts = state_.halts;
  a.state = GatewayState::kActive;
  if (const ActiveHalt* worst = most_severe_halt(); worst != nullptr) {
    if (worst->level == kLevelPause) {
      a.state = GatewayState::kPaused;
    } else if (worst->level == kLevelHalt) {
      a.state = GatewayState::kHalted;
    } else {
      a.state = GatewayState::kEntriesBlocked;
    }
  }
  if (std::optional<Denial> blocked = check_components(now, true)) {
    a.blockers.push_back(fmt::format("{}: {}", blocked->code, blocked->detail));
  }
  if (config_.session_checks && calendar_ == nullptr) {
    a.session = "unknown: no trading calendar loaded";
    a.blockers.push_back(fmt::format("{}: no trading calendar loaded", code::kCalendarUnavailable));
  } else if (calendar_ != nullptr) {
    Result<time::Session> session = calendar_->session_at(now);
    if (session.ok()) {
      a.session = time::session_name(*session);
    } else {
      a.session = "unknown: " + session.status().message();
      if (config_.session_checks) {
        a.blockers.push_back(
            fmt::format("{}: {}", code::kCalendarUnavailable, session.status().message()));
      }
    }
  } else {
    a.session = "not checked (session_checks off)";
  }
  a.day = state_.day_set ? state_.day : ist_date(now);
  a.daily_pnl = daily_pnl();
  a.daily_loss_bps = a.daily_pnl < 0 ? bps_of(-a.daily_pnl, config_.capital) : 0;
  a.unrealised = saturate(state_.book.unrealised());
  const Exposure e = exposure_for("", "");
  a.exposure = e.total;
  a.open_positions = e.open_symbols;
  a.pending_orders = static_cast<std::int64_t>(state_.pending.size());
  a.orders_last_minute = orders_since(now - kMinute);
  a.orders_last_5_minutes = orders_since(now - kFiveMinutes);
  for (auto it = state_.error_times.rbegin();
       it != state_.error_times.rend() && *it > now - kMinute; ++it) {
    ++a.errors_last_minute;
  }
  return a;
}

}  // namespace sm::risk
