// What the risk engine knows about the world: positions, today's P&L, latest prices, unfilled
// orders, recent order and error times, component heartbeats and active halts. Plain data but for
// the book (book.h), which keeps its own sums and so is changed only through its methods. Live,
// the gateway (lib/gateway) loads it from the database and keeps it current; a backtest builds it
// from its own fills and bars. The engine (engine.h) updates it as messages arrive.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "risk/book.h"

namespace sm::risk {

// An approved order not yet completely filled nor ended at the broker. Its unfilled quantity counts
// towards exposure (buys) or against the position it closes (sells) until it fills or ends.
struct PendingOrder {
  std::string client_order_id;
  std::string strategy;
  std::string symbol;
  Side side = Side::kBuy;
  Quantity qty = 0;  // unfilled quantity
  Paise price = 0;   // what one share is valued at for exposure: limit price, else reference
  TimestampMs ts = 0;
};

// A halt in force. level: block_entries (exits still allowed), halt (no orders), pause (a halt only
// a person lifts).
struct ActiveHalt {
  std::int64_t id = 0;  // the store's halt id; 0 while not stored (backtests)
  std::string level;
  std::string trigger;
  std::string reason;
  std::string by;
  TimestampMs since = 0;
  TimestampMs until = 0;  // lifts by itself at this time; 0 = only a person lifts it
};

// The latest heartbeat of a component.
struct ComponentStatus {
  std::string status;            // ok, degraded, stopping
  TimestampMs ts = 0;            // its last heartbeat
  TimestampMs status_since = 0;  // when the current status began
  // From the detail of a feed's heartbeat ({"connected": false, "disconnected_since": ...}): its
  // source is disconnected, since then (0: not said).
  bool source_disconnected = false;
  TimestampMs disconnected_since = 0;
};

struct RiskState {
  // The IST calendar day the daily figures describe, and its start (00:00 IST) in UTC.
  // day_set is false until the first day is set (the engine then starts one at the first event).
  bool day_set = false;
  Date day;
  TimestampMs day_start_ms = 0;
  // Today's realised P&L and charges, from fills with ts on `day`.
  Paise realised_today = 0;
  Paise charges_today = 0;
  // Sum over the positions held at the start of the day of (qty * mark - cost), marks being the
  // latest prices known then (day_start_prices; a position without one counts as 0). Today's P&L is
  // realised_today - charges_today + unrealised now - day_start_unrealised.
  Paise day_start_unrealised = 0;
  std::map<std::string, Paise> day_start_prices;

  Book book;                                          // positions and latest prices
  std::unordered_map<std::string, Paise> tick_sizes;  // instrument tick; else nse_tick_for
  std::map<std::string, PendingOrder> pending;        // by client order id

  std::deque<TimestampMs> order_times;   // approval times of recent orders, oldest first
  std::deque<TimestampMs> signal_times;  // arrival times of recent signals (order requests)
  std::deque<TimestampMs> error_times;   // times of recent unexpected errors, oldest first
  std::int64_t latency_breaches = 0;     // consecutive critical-path latency samples over the limit

  std::map<std::string, ComponentStatus> components;  // by component name
  std::vector<ActiveHalt> halts;
  // The last time a person cleared a halt with this trigger: kill switches weigh only evidence
  // after it, so a resume is not undone by the very samples that caused the halt.
  std::map<std::string, TimestampMs> resumed_ms;

  // Signals already decided ("strategy\nsymbol\naction\nts" -> signal ts) and the last approved
  // signal ts per "strategy\nsymbol\naction", for duplicate suppression. Pruned after two days.
  std::unordered_map<std::string, TimestampMs> decided;
  std::unordered_map<std::string, TimestampMs> last_approved;
  // Kill-switch incidents already acted on (one forced exit and one alert per position incident).
  std::unordered_set<std::string> incidents;
  // (symbol, ex-date) of the corporate actions whose price factor the latest price has been given.
  std::set<std::pair<std::string, Date>> prices_adjusted;
};

}  // namespace sm::risk
