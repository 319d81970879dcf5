#include "risk/config.h"

#include <fmt/format.h>

#include <cmath>

namespace sm::risk {

namespace {

constexpr std::int64_t kBpPerPercent = 100;
constexpr std::int64_t kMsPerS = 1000;

// Reads the typed values of the "risk" section, stopping at the first error.
class Reader {
 public:
  explicit Reader(const Config& config) : config_(config) {}

  const Status& status() const { return status_; }

  void integer(const char* key, std::int64_t& out) {
    if (!status_.ok()) return;
    Result<std::int64_t> value = config_.get_int(path(key), out);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  void rupees(const char* key, Paise& out) {
    if (!status_.ok()) return;
    Result<Paise> value = config_.get_rupees(path(key), out);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  void boolean(const char* key, bool& out) {
    if (!status_.ok()) return;
    Result<bool> value = config_.get_bool(path(key), out);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  void text(const char* key, std::string& out) {
    if (!status_.ok()) return;
    Result<std::string> value = config_.get_string(path(key), out);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  void list(const char* key, std::vector<std::string>& out) {
    if (!status_.ok()) return;
    Result<std::vector<std::string>> value = config_.get_string_list(path(key), out);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  // Seconds in the file, milliseconds in memory.
  void seconds(const char* key, std::int64_t& out_ms) {
    std::int64_t seconds = out_ms / kMsPerS;
    integer(key, seconds);
    if (status_.ok()) out_ms = seconds * kMsPerS;
  }
  // A percentage (number) in the file, basis points in memory.
  void percent(const std::string& key, std::int64_t& out_bp) {
    if (!status_.ok()) return;
    Result<double> value = config_.get_double(path(key), static_cast<double>(out_bp) / 100.0);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    if (!std::isfinite(*value) || *value < 0 || *value > 1e6) {
      status_ = error(ErrorCode::kConfigError,
                      fmt::format("{}: {} is not a percentage", path(key), *value));
      return;
    }
    out_bp = std::llround(*value * kBpPerPercent);
  }
  void section(const char* key, nlohmann::json& out) {
    if (!status_.ok()) return;
    Result<nlohmann::json> value = config_.get_section(path(key));
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = std::move(*value);
  }
  void rupees_optional(const std::string& key, std::optional<Paise>& out) {
    if (!status_.ok() || !config_.has(path(key))) return;
    Result<Paise> value = config_.get_rupees(path(key), 0);
    if (!value.ok()) {
      status_ = value.status();
      return;
    }
    out = *value;
  }
  void fail(std::string message) {
    if (status_.ok()) status_ = error(ErrorCode::kConfigError, std::move(message));
  }

 private:
  static std::string path(std::string_view key) { return fmt::format("risk.{}", key); }
  const Config& config_;
  Status status_;
};

Status range_error(std::string_view key, std::string_view rule) {
  return error(ErrorCode::kConfigError, fmt::format("risk.{} must be {}", key, rule));
}

}  // namespace

std::int64_t RiskConfig::strategy_capital_bps_for(const std::string& strategy) const {
  auto it = strategy_capital_bps.find(strategy);
  return it == strategy_capital_bps.end() ? default_strategy_capital_bps : it->second;
}

Result<RiskConfig> load_risk_config(const Config& config) {
  RiskConfig c;
  Reader r(config);
  r.rupees("capital", c.capital);
  r.integer("max_order_qty", c.max_order_qty);
  r.rupees("max_order_value", c.max_order_value);
  r.integer("max_orders_per_minute", c.max_orders_per_minute);
  r.rupees("max_total_exposure", c.max_total_exposure);
  r.rupees("max_symbol_exposure", c.max_symbol_exposure);
  r.integer("max_open_positions", c.max_open_positions);
  r.percent("default_strategy_capital_percent", c.default_strategy_capital_bps);
  nlohmann::json per_strategy;
  r.section("strategy_capital_percent", per_strategy);
  for (const auto& item : per_strategy.items()) {
    std::int64_t bp = c.default_strategy_capital_bps;
    r.percent("strategy_capital_percent." + item.key(), bp);
    c.strategy_capital_bps[item.key()] = bp;
  }
  r.percent("price_band_percent", c.price_band_bps);
  r.seconds("price_max_age_s", c.price_max_age_ms);
  nlohmann::json circuits;
  r.section("circuit_limits", circuits);
  for (const auto& item : circuits.items()) {
    if (!item.value().is_object()) {
      r.fail(fmt::format("risk.circuit_limits.{} must be an object with lower and/or upper",
                         item.key()));
      break;
    }
    CircuitLimits limits;
    r.rupees_optional("circuit_limits." + item.key() + ".lower", limits.lower);
    r.rupees_optional("circuit_limits." + item.key() + ".upper", limits.upper);
    c.circuit_limits[item.key()] = limits;
  }
  r.seconds("signal_max_age_s", c.signal_max_age_ms);
  r.integer("future_tolerance_ms", c.future_tolerance_ms);
  r.boolean("session_checks", c.session_checks);
  r.boolean("allow_pre_open", c.allow_pre_open);
  r.boolean("allow_closing_session", c.allow_closing_session);
  r.seconds("duplicate_window_s", c.duplicate_window_ms);
  std::string order_type(order_type_name(c.order_type));
  r.text("order_type", order_type);
  std::string product(product_name(c.product));
  r.text("product", product);
  r.integer("limit_slippage_bps", c.limit_slippage_bps);
  r.list("required_components", c.required_components);
  r.seconds("heartbeat_max_age_s", c.heartbeat_max_age_ms);
  r.text("broker_component", c.broker_component);
  r.percent("daily_loss_block_entries_percent", c.daily_loss_block_entries_bps);
  r.percent("daily_loss_halt_percent", c.daily_loss_halt_bps);
  r.percent("position_loss_exit_percent", c.position_loss_exit_bps);
  r.integer("max_orders_per_5_minutes", c.max_orders_per_5_minutes);
  r.seconds("broker_disconnect_halt_s", c.broker_disconnect_halt_ms);
  r.text("feed_component", c.feed_component);
  r.seconds("feed_disconnect_halt_s", c.feed_disconnect_halt_ms);
  r.integer("latency_halt_ms", c.latency_halt_ms);
  r.integer("latency_breach_count", c.latency_breach_count);
  r.integer("max_errors_per_minute", c.max_errors_per_minute);
  if (!r.status().ok()) return r.status();

  Result<OrderType> type = parse_order_type(order_type);
  if (!type.ok() || (*type != OrderType::kLimit && *type != OrderType::kMarket)) {
    return range_error("order_type", fmt::format("LIMIT or MARKET, not \"{}\"", order_type));
  }
  c.order_type = *type;
  Result<Product> parsed_product = parse_product(product);
  if (!parsed_product.ok()) {
    return range_error("product", fmt::format("CNC or MIS, not \"{}\"", product));
  }
  c.product = *parsed_product;
  SM_RETURN_IF_ERROR(validate(c));
  return c;
}

Status validate(const RiskConfig& c) {
  if (c.capital <= 0) {
    return range_error("capital",
                       "set to the trading capital in rupees (> 0); every percentage "
                       "threshold is a fraction of it");
  }
  if (c.max_order_qty <= 0) return range_error("max_order_qty", "> 0");
  if (c.max_order_value <= 0) return range_error("max_order_value", "> 0");
  if (c.max_orders_per_minute <= 0) return range_error("max_orders_per_minute", "> 0");
  if (c.max_total_exposure < 0) return range_error("max_total_exposure", ">= 0 (0 = capital)");
  if (c.max_symbol_exposure < 0) {
    return range_error("max_symbol_exposure", ">= 0 (0 = a fifth of capital)");
  }
  if (c.max_open_positions <= 0) return range_error("max_open_positions", "> 0");
  const auto percent_ok = [](std::int64_t bp) { return bp > 0 && bp <= 10'000; };
  if (!percent_ok(c.default_strategy_capital_bps)) {
    return range_error("default_strategy_capital_percent", "in (0, 100]");
  }
  for (const auto& [name, bp] : c.strategy_capital_bps) {
    if (!percent_ok(bp)) return range_error("strategy_capital_percent." + name, "in (0, 100]");
  }
  if (!percent_ok(c.price_band_bps)) return range_error("price_band_percent", "in (0, 100]");
  if (c.price_max_age_ms < 0) return range_error("price_max_age_s", ">= 0 (0: by timeframe)");
  for (const auto& [symbol, limits] : c.circuit_limits) {
    if ((limits.lower && *limits.lower <= 0) || (limits.upper && *limits.upper <= 0) ||
        (limits.lower && limits.upper && *limits.lower >= *limits.upper)) {
      return range_error("circuit_limits." + symbol, "positive with lower < upper");
    }
  }
  if (c.signal_max_age_ms <= 0) return range_error("signal_max_age_s", "> 0");
  if (c.future_tolerance_ms < 0) return range_error("future_tolerance_ms", ">= 0");
  if (c.duplicate_window_ms < 0) return range_error("duplicate_window_s", ">= 0");
  if (c.limit_slippage_bps < 0 || c.limit_slippage_bps > 1000) {
    return range_error("limit_slippage_bps", "in [0, 1000]");
  }
  if (c.heartbeat_max_age_ms <= 0) return range_error("heartbeat_max_age_s", "> 0");
  if (!percent_ok(c.daily_loss_block_entries_bps)) {
    return range_error("daily_loss_block_entries_percent", "in (0, 100]");
  }
  if (!percent_ok(c.daily_loss_halt_bps)) {
    return range_error("daily_loss_halt_percent", "in (0, 100]");
  }
  if (c.daily_loss_block_entries_bps >= c.daily_loss_halt_bps) {
    return range_error("daily_loss_block_entries_percent",
                       "below risk.daily_loss_halt_percent (entries are blocked before the halt)");
  }
  if (!percent_ok(c.position_loss_exit_bps)) {
    return range_error("position_loss_exit_percent", "in (0, 100]");
  }
  if (c.max_orders_per_5_minutes <= 0) return range_error("max_orders_per_5_minutes", "> 0");
  if (c.broker_disconnect_halt_ms <= 0) return range_error("broker_disconnect_halt_s", "> 0");
  if (c.feed_disconnect_halt_ms <= 0) return range_error("feed_disconnect_halt_s", "> 0");
  if (c.latency_halt_ms <= 0) return range_error("latency_halt_ms", "> 0");
  if (c.latency_breach_count <= 0) return range_error("latency_breach_count", "> 0");
  if (c.max_errors_per_minute <= 0) return range_error("max_errors_per_minute", "> 0");
  if (c.component.empty()) return range_error("component", "non-empty");
  return Status();
}

}  // namespace sm::risk
