// The risk engine: every check a signal must pass and every kill switch, as pure computation over
// a RiskState. No I/O, no clock (the caller passes `now`, UTC ms), no randomness: the same inputs
// give the same outputs, live (sm-risk, through lib/gateway) and in backtests (sm-backtest).
//
// Outputs are messages appended to a caller's vector, in the order they must be acted on:
//   - a RiskDecision for every signal (approved or denied, with a code and the numbers), followed
//     by its OrderIntent when approved;
//   - for a kill switch that fires: the forced exits (RiskDecision FORCED_EXIT + OrderIntent per
//     position), then the Halt (if it halts), then the Alert;
//   - Halt messages with action "resume" when a daily halt reaches its reset time.
// The engine applies its own outputs to the state (an approved order becomes pending and counts
// towards the rate windows; a halt becomes active) before returning.
//
// docs/RISK.md describes each check, code, kill switch and default.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/timestamp.h"
#include "risk/config.h"
#include "risk/state.h"
#include "time/calendar.h"

namespace sm::risk {

// Decision codes (RiskDecision::code). Approvals are APPROVED, or FORCED_EXIT for an exit a kill
// switch ordered; everything else is a denial.
namespace code {
inline constexpr std::string_view kApproved = "APPROVED";
inline constexpr std::string_view kForcedExit = "FORCED_EXIT";
inline constexpr std::string_view kInvalidSignal = "INVALID_SIGNAL";
inline constexpr std::string_view kDuplicateSignal = "DUPLICATE_SIGNAL";
inline constexpr std::string_view kSignalStale = "SIGNAL_STALE";
inline constexpr std::string_view kSignalFromFuture = "SIGNAL_FROM_FUTURE";
inline constexpr std::string_view kTradingHalted = "TRADING_HALTED";
inline constexpr std::string_view kTradingPaused = "TRADING_PAUSED";
inline constexpr std::string_view kEntriesBlocked = "ENTRIES_BLOCKED";
inline constexpr std::string_view kCalendarUnavailable = "CALENDAR_UNAVAILABLE";
inline constexpr std::string_view kMarketClosed = "MARKET_CLOSED";
inline constexpr std::string_view kOutsideSession = "OUTSIDE_SESSION";
inline constexpr std::string_view kHeartbeatMissing = "HEARTBEAT_MISSING";
inline constexpr std::string_view kHeartbeatStale = "HEARTBEAT_STALE";
inline constexpr std::string_view kBrokerDisconnected = "BROKER_DISCONNECTED";
inline constexpr std::string_view kPriceUnavailable = "PRICE_UNAVAILABLE";
inline constexpr std::string_view kPriceStale = "PRICE_STALE";
inline constexpr std::string_view kPriceOutOfBand = "PRICE_OUT_OF_BAND";
inline constexpr std::string_view kPriceOutsideCircuit = "PRICE_OUTSIDE_CIRCUIT";
inline constexpr std::string_view kNoPosition = "NO_POSITION";
inline constexpr std::string_view kMaxOrderQtyExceeded = "MAX_ORDER_QTY_EXCEEDED";
inline constexpr std::string_view kMaxOrderValueExceeded = "MAX_ORDER_VALUE_EXCEEDED";
inline constexpr std::string_view kMaxOrdersPerMinuteExceeded = "MAX_ORDERS_PER_MINUTE_EXCEEDED";
inline constexpr std::string_view kOrderRatePause = "ORDER_RATE_PAUSE";
inline constexpr std::string_view kMaxOpenPositionsExceeded = "MAX_OPEN_POSITIONS_EXCEEDED";
inline constexpr std::string_view kMaxSymbolExposureExceeded = "MAX_SYMBOL_EXPOSURE_EXCEEDED";
inline constexpr std::string_view kMaxTotalExposureExceeded = "MAX_TOTAL_EXPOSURE_EXCEEDED";
inline constexpr std::string_view kStrategyCapitalExceeded = "STRATEGY_CAPITAL_EXCEEDED";
}  // namespace code

// Halt triggers (Halt::trigger) and the kill-switch alert events.
namespace trigger {
inline constexpr std::string_view kDailyLossBlock = "daily_loss_block";  // block_entries, daily
inline constexpr std::string_view kDailyLossHalt = "daily_loss_halt";    // halt, daily
inline constexpr std::string_view kPositionLoss = "position_loss";       // forced exit, no halt
inline constexpr std::string_view kOrderRate = "order_rate";             // pause
inline constexpr std::string_view kBrokerDisconnected = "broker_disconnected";  // halt
inline constexpr std::string_view kFeedDisconnected = "feed_disconnected";      // halt
inline constexpr std::string_view kLatency = "latency";                         // block_entries
inline constexpr std::string_view kErrorRate = "error_rate";                    // halt
inline constexpr std::string_view kManual = "manual";
}  // namespace trigger

inline constexpr std::string_view kLevelBlockEntries = "block_entries";
inline constexpr std::string_view kLevelHalt = "halt";
inline constexpr std::string_view kLevelPause = "pause";

// The gateway's overall state, most severe first: paused > halted > entries_blocked > active.
enum class GatewayState { kActive, kEntriesBlocked, kHalted, kPaused };
std::string_view gateway_state_name(GatewayState state);  // active, entries_blocked, halted, paused

// The decision on `signal` made at `now`: approved, or denied with decision_code (a code:: value,
// docs/RISK.md), and the detail for people.
RiskDecision decision_on(const Signal& signal, TimestampMs now, bool approved,
                         std::string_view decision_code, std::string detail);

// A summary for `sm-risk status` and tests: the state, why, and the figures the kill switches
// watch. Computed by assess(); changes nothing.
struct Assessment {
  TimestampMs now = 0;
  GatewayState state = GatewayState::kActive;
  std::vector<ActiveHalt> halts;
  // Conditions that make every order fail closed right now (missing or stale heartbeats, calendar
  // without data, broker not connected), one sentence each.
  std::vector<std::string> blockers;
  Date day;
  Paise daily_pnl = 0;              // realised - charges + change in unrealised, today
  std::int64_t daily_loss_bps = 0;  // max(0, -daily_pnl) as basis points of capital
  Paise unrealised = 0;
  Paise exposure = 0;               // positions at latest prices plus unfilled buys
  std::int64_t open_positions = 0;  // distinct symbols held or with unfilled buys
  std::int64_t pending_orders = 0;
  std::int64_t orders_last_minute = 0;
  std::int64_t orders_last_5_minutes = 0;
  std::int64_t errors_last_minute = 0;
  std::string session;  // the calendar's session name now, or the reason it cannot tell
};

// A bonus or split applied to a held position on its ex-date (the store's record of it,
// store/corporate_actions.h): quantity scaled, cost unchanged, prices by price_numerator /
// price_denominator.
struct CorporateActionEffect {
  std::string strategy;
  std::string symbol;
  Date ex_date;
  Quantity qty_before = 0;
  Quantity qty_after = 0;
  std::int64_t price_numerator = 1;
  std::int64_t price_denominator = 1;
};

class RiskEngine {
 public:
  // calendar may be null: then, with session checks on, every order is denied
  // CALENDAR_UNAVAILABLE. REQUIRES: validate(config).ok(); calendar outlives the engine.
  RiskEngine(RiskConfig config, const time::Calendar* calendar);

  const RiskConfig& config() const { return config_; }
  // The state, for loading (lib/gateway) and inspection. Callers that change it keep its
  // invariants: pending keyed by client order id, deques oldest first (the book keeps its own).
  RiskState& state() { return state_; }
  const RiskState& state() const { return state_; }

  // Decides one signal as of now. Appends the RiskDecision (and the OrderIntent when approved),
  // then any kill-switch messages the decision caused (order rate). Returns a reference to the
  // appended decision, valid until `out` changes.
  const RiskDecision& decide(const Signal& signal, TimestampMs now, std::vector<Message>& out);

  // State updates. Each rolls the day if now is on a later IST date, applies the update, and
  // evaluates the kill switches it can affect, appending their messages.
  // A fill moves its position (average cost, as the store does), today's realised P&L and charges,
  // and the unfilled quantity of its pending order.
  void on_fill(const Fill& fill, TimestampMs now, std::vector<Message>& out);
  // A traded price (tick price, or a bar close known at bar end; interval_ms the bar's length, 0
  // for a tick, which sets how old it may get by default). Older than the one held: ignored.
  void on_price(std::string_view symbol, Paise price, TimestampMs known_at, TimestampMs now,
                std::vector<Message>& out, std::int64_t interval_ms = 0);
  // The broker's view of an order: a terminal status (COMPLETE, CANCELLED, REJECTED) ends its
  // pending entry; otherwise the unfilled quantity is set from qty - filled_qty.
  void on_order_update(const OrderUpdate& update, TimestampMs now, std::vector<Message>& out);
  void on_heartbeat(const Heartbeat& heartbeat, TimestampMs now, std::vector<Message>& out);
  // An unexpected error somewhere in the pipeline (an `error` message, or the caller's own).
  void on_error(TimestampMs error_ts, TimestampMs now, std::vector<Message>& out);
  // A corporate action took effect: the position (strategy, symbol) moves from qty_before to
  // qty_after (left alone when it does not hold qty_before: loaded already adjusted), and the
  // latest price of symbol, when known from before the ex-date, takes the price factor once per
  // (symbol, ex-date). Both together, so the unrealised P&L, today's P&L, the position-loss and
  // price-band checks see no jump; nothing is evaluated here.
  void on_corporate_action(const CorporateActionEffect& effect);
  // A person lifted halts (sm-risk resume): drops matching halts (all when level is empty) and
  // remembers the time per trigger so the kill switches weigh only later evidence.
  void on_resume(std::string_view level, TimestampMs now);
  // A halt set elsewhere (sm-risk halt, another gateway) becomes active here too.
  void on_halt(const ActiveHalt& halt);

  // Remembers a signal as decided (a loader restoring decisions stored earlier): deciding it again
  // gives DUPLICATE_SIGNAL. mark_approved also starts its duplicate window.
  void mark_decided(const Signal& signal);
  void mark_approved(const Signal& signal);

  // Time passing: lifts daily halts whose reset time has come (expire_halts) and evaluates every
  // kill switch. Call it before deciding when time may have moved on.
  void evaluate(TimestampMs now, std::vector<Message>& out);
  // Only the first half of evaluate: drops the halts whose reset time has come, appending a Halt
  // "resume" message and an info Alert for each. A loader calls it before replacing the halts
  // with the stored ones (which no longer list an expired halt), then evaluate().
  void expire_halts(TimestampMs now, std::vector<Message>& out);

  // Starts a new IST day if now is on a later date than state().day: today's realised P&L and
  // charges restart at 0 and the day-start marks are taken from the latest prices. Called by every
  // method above; public so a loader can set the day before applying history.
  void roll_day(TimestampMs now);

  Assessment assess(TimestampMs now) const;

  // The first moment of the next trading day's first sitting (pre-open start), by the calendar;
  // 0 when there is no calendar or it cannot say. Daily halts last until then.
  TimestampMs next_session_start(TimestampMs now) const;

  // Today's P&L (realised - charges + unrealised now - unrealised at day start).
  Paise daily_pnl() const;

 private:
  struct Exposure {
    Paise total = 0;
    Paise symbol = 0;
    Paise strategy = 0;
    std::int64_t open_symbols = 0;
    bool symbol_open = false;
  };

  // Why a signal is denied: its decision code (one of code::) and the numbers behind it.
  struct Denial {
    std::string_view code;
    std::string detail;
  };
  // The order an approved signal becomes, worked out check by check.
  struct OrderTerms {
    Side side = Side::kBuy;
    Paise order_price = 0;  // the limit price; 0 for a market order
    Paise value_price = 0;  // what one share is valued at: the limit, else the signal price
    Quantity qty = 0;
    Paise value = 0;  // value_price * qty
  };

  RiskDecision& deny(std::vector<Message>& out, const Signal& signal, TimestampMs now,
                     std::string_view code, std::string detail);
  // Runs the checks in order and appends the first denial, or the approval and its order.
  void check_and_decide(const Signal& signal, TimestampMs now, std::vector<Message>& out);
  // One check each (docs/RISK.md "Checks"): nullopt when the signal passes it.
  std::optional<Denial> check_signal_fields(const Signal& signal, bool entry) const;
  std::optional<Denial> check_request_burst(TimestampMs now) const;
  std::optional<Denial> check_duplicate(const Signal& signal) const;
  std::optional<Denial> check_signal_time(const Signal& signal, TimestampMs now) const;
  std::optional<Denial> check_halts(bool entry) const;
  std::optional<Denial> check_session(TimestampMs now) const;
  std::optional<Denial> check_components(TimestampMs now, bool entry) const;
  std::optional<Denial> check_market_price(const Signal& signal, TimestampMs now) const;
  std::optional<Denial> price_order(const Signal& signal, bool entry, OrderTerms& terms) const;
  std::optional<Denial> check_circuit(const Signal& signal, const OrderTerms& terms) const;
  std::optional<Denial> size_order(const Signal& signal, bool entry, OrderTerms& terms) const;
  std::optional<Denial> check_order_size(const OrderTerms& terms) const;
  std::optional<Denial> check_order_rate(TimestampMs now) const;
  std::optional<Denial> check_exposure(const Signal& signal, const OrderTerms& terms) const;
  void approve(const Signal& signal, const OrderTerms& terms, TimestampMs now,
               std::vector<Message>& out);
  // Order requests in the order-rate kill switch's window (5 minutes, or since the last resume).
  std::int64_t requests_in_burst(TimestampMs now) const;
  // The order-rate kill switch: a pause only a person lifts, and its alert.
  void pause_for_request_burst(TimestampMs now, std::vector<Message>& out);
  Exposure exposure_for(const std::string& strategy, const std::string& symbol) const;
  Paise tick_for(const std::string& symbol, Paise price) const;
  const ActiveHalt* most_severe_halt() const;
  std::int64_t orders_since(TimestampMs since) const;
  void prune(TimestampMs now);
  void record_order(const OrderIntent& intent, Paise exposure_price, TimestampMs now);
  void apply_fill_to_position(const Fill& fill);

  // Kill switches.
  void check_daily_loss(TimestampMs now, std::vector<Message>& out);
  void check_position_loss(TimestampMs now, std::vector<Message>& out);
  void check_broker(TimestampMs now, std::vector<Message>& out);
  void check_feed(TimestampMs now, std::vector<Message>& out);
  void check_errors(TimestampMs now, std::vector<Message>& out);
  void record_latency(std::int64_t latency_ms, TimestampMs now, std::vector<Message>& out);
  bool in_market_hours(TimestampMs now) const;
  bool halt_active(std::string_view level, std::string_view trigger) const;
  void raise_halt(std::string_view level, std::string_view trigger, std::string reason,
                  TimestampMs until, TimestampMs now, std::vector<Message>& out);
  void raise_alert(Severity severity, std::string_view event, std::string text,
                   std::string dedup_key, TimestampMs now, std::vector<Message>& out);
  // Emits an exit of the whole (unreserved) long position as a FORCED_EXIT decision and an order.
  // incident_ts makes the client order id stable across re-triggers and restarts.
  bool force_exit(const PositionState& position, std::string_view why, std::string detail,
                  TimestampMs incident_ts, TimestampMs now, std::vector<Message>& out);
  Quantity unreserved_qty(const PositionState& position) const;
  TimestampMs evidence_since(std::string_view trigger) const;

  RiskConfig config_;
  const time::Calendar* calendar_;
  RiskState state_;
};

// Formats basis points as a percentage with two decimals: 523 -> "5.23%".
std::string format_bps(std::int64_t bps);

}  // namespace sm::risk
