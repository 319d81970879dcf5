// The risk gateway's settings: every check and kill-switch threshold, read from the "risk" section
// of the configuration (docs/RISK.md lists each key, its default and what it guards). Percentages
// are held as integer basis points and durations as milliseconds so that every comparison in the
// engine is exact integer arithmetic.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/messages.h"
#include "core/money.h"
#include "core/status.h"

namespace sm::risk {

// Known circuit limits of a symbol (from the broker's quote); either side may be unknown.
struct CircuitLimits {
  std::optional<Paise> lower;
  std::optional<Paise> upper;
};

struct RiskConfig {
  // Trading capital; every percentage threshold is a fraction of it. Required (> 0).
  Paise capital = 0;

  // Per-order caps (entries; exits are bounded by the position they close).
  Quantity max_order_qty = 1000;
  Paise max_order_value = 100'000'00;
  // Orders (entries and exits) approved in any sliding 60 s window.
  std::int64_t max_orders_per_minute = 10;
  // Exposure caps: open positions at their latest price plus unfilled approved buys plus the new
  // order. 0 means the default: capital for the total, a fifth of capital per symbol.
  Paise max_total_exposure = 0;
  Paise max_symbol_exposure = 0;
  // Distinct symbols held or with an unfilled buy, counting the new order's symbol.
  std::int64_t max_open_positions = 10;
  // A strategy's own exposure as a fraction of capital (the canary slice); per strategy name, else
  // the default (100%).
  std::int64_t default_strategy_capital_bps = 10'000;
  std::map<std::string, std::int64_t> strategy_capital_bps;

  // Price sanity: the signal's price must be within this band of the last traded price, which
  // must be known and no older than price_max_age_ms; the order price must lie inside the known
  // circuit limits.
  std::int64_t price_band_bps = 300;
  // 0 (the default): derived from where the price came from, price_max_age_for().
  std::int64_t price_max_age_ms = 0;
  std::map<std::string, CircuitLimits> circuit_limits;

  // A signal older than this (now - signal ts) is refused; one from the future by more than
  // future_tolerance_ms too.
  std::int64_t signal_max_age_ms = 300'000;
  std::int64_t future_tolerance_ms = 5'000;

  // Sessions: orders only in the continuous session, plus pre-open order entry and the closing
  // session when allowed; never on holidays. session_checks = false skips this (backtests on
  // daily bars).
  bool session_checks = true;
  bool allow_pre_open = false;
  bool allow_closing_session = false;

  // The same strategy, symbol and action approved again within this window is a duplicate.
  std::int64_t duplicate_window_ms = 60'000;

  // The orders this gateway writes.
  OrderType order_type = OrderType::kLimit;
  Product product = Product::kDelivery;
  std::int64_t limit_slippage_bps = 0;  // LIMIT price = reference price moved by this, rounded

  // Components whose heartbeat must be fresh (age <= heartbeat_max_age_ms, status not
  // "stopping") for any order to be approved. broker_component's heartbeat status says whether
  // the broker is reachable ("ok") or not ("degraded", "stopping").
  std::vector<std::string> required_components = {"sm-order"};
  std::int64_t heartbeat_max_age_ms = 30'000;
  std::string broker_component = "sm-order";

  // Kill switches (docs/RISK.md has the table).
  std::int64_t daily_loss_block_entries_bps = 300;
  std::int64_t daily_loss_halt_bps = 500;
  std::int64_t position_loss_exit_bps = 500;
  std::int64_t max_orders_per_5_minutes = 50;
  std::int64_t broker_disconnect_halt_ms = 30'000;
  // The market-data feed (sm-ingest's heartbeat, docs/INGEST.md "Feed health"): its source
  // reported disconnected, or the feed stopped, for longer than this halts trading (trigger
  // feed_disconnected). Judged only from the feed's own beats, so a replay of stored data, which
  // beats nothing, is never halted by it; a feed that falls silent is caught by
  // required_components (HEARTBEAT_STALE) when it is listed there.
  std::string feed_component = "sm-ingest";
  std::int64_t feed_disconnect_halt_ms = 30'000;
  std::int64_t latency_halt_ms = 5'000;
  std::int64_t latency_breach_count = 3;
  std::int64_t max_errors_per_minute = 10;

  // The component name written on decisions, halts and alerts.
  std::string component = "sm-risk";

  // The effective caps after defaults (0 = derived from capital).
  Paise total_exposure_cap() const { return max_total_exposure > 0 ? max_total_exposure : capital; }
  Paise symbol_exposure_cap() const {
    return max_symbol_exposure > 0 ? max_symbol_exposure : capital / 5;
  }
  std::int64_t strategy_capital_bps_for(const std::string& strategy) const;
  // How old a price may be: price_max_age_ms when configured, else two bar lengths of the price's
  // source, at least 120 s (a tick or a 1-minute bar: 120 s, one minute without trades allowed;
  // 5-minute bars: 600 s; daily bars: two days). A single 300 s for all was too loose for
  // 1-minute bars and too tight for longer ones.
  std::int64_t price_max_age_for(std::int64_t interval_ms) const {
    if (price_max_age_ms > 0) return price_max_age_ms;
    return std::max<std::int64_t>(120'000, 2 * interval_ms);
  }
};

// Reads the "risk" section. Fails with kConfigError naming the key when a value has the wrong
// type or is out of range (see validate), including a missing or non-positive capital.
Result<RiskConfig> load_risk_config(const Config& config);

// Checks ranges and consistency: capital > 0; caps and counts > 0; percentages in (0, 100]
// (slippage in [0, 1000] bps); block-entries loss below halt loss; durations > 0. kConfigError
// naming the key (as in the file, e.g. risk.daily_loss_halt_percent).
Status validate(const RiskConfig& config);

}  // namespace sm::risk
