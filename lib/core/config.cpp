#include "core/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/read_file.h"
#include "core/secrets.h"
#include "core/sha256.h"

extern char** environ;

namespace sm {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kOverridePrefix = "SM_CFG__";

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string join_path(const std::vector<std::string>& parts, size_t count) {
  std::string path;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) path.push_back('.');
    path += parts[i];
  }
  return path;
}

// 1-based line and column of a byte offset, for JSON parse errors.
std::pair<size_t, size_t> line_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// nlohmann's parse_error text, without its "[json.exception...] parse error at line L, column C: "
// prefix (we compute the position ourselves) and without the "; last read: '...'" excerpt, which
// could echo part of a value into the logs.
std::string parse_reason(const std::string& what) {
  std::string reason = what;
  const size_t column = reason.find("column ");
  const size_t colon = reason.find(": ", column == std::string::npos ? 0 : column);
  if (colon != std::string::npos) reason = reason.substr(colon + 2);
  const size_t last_read = reason.find("; last read");
  if (last_read != std::string::npos) reason.resize(last_read);
  return reason;
}

// Refuses secret-looking keys anywhere in the tree; `prefix` is the dot path of `value`.
Status check_no_secrets(const Json& value, const std::string& prefix, std::string_view origin) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      const std::string path = prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
      if (looks_like_secret_key(key)) {
        return error(ErrorCode::kConfigError,
                     fmt::format("{}: key '{}' looks like a secret; secrets must not be in the "
                                 "configuration (it is hashed and recorded in the database). "
                                 "Remove it and provide the secret through the environment or a "
                                 "0600 secrets file (docs/CONFIG.md, Secrets)",
                                 origin, path));
      }
      SM_RETURN_IF_ERROR(check_no_secrets(child, path, origin));
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      SM_RETURN_IF_ERROR(check_no_secrets(value[i], fmt::format("{}[{}]", prefix, i), origin));
    }
  }
  return Status();
}

void collect_leaves(const Json& value, const std::string& prefix, std::vector<std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      collect_leaves(child, fmt::format("{}.{}", prefix, key), out);
    }
  } else {
    out.push_back(prefix);
  }
}

std::string describe(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} {}", value.type_name(), text);
}

}  // namespace

const std::set<std::string>& Config::known_sections() {
  static const std::set<std::string> kSections = {
      "store",     "ingest", "feed",     "signal", "strategy", "risk",  "order",     "broker",
      "reconcile", "alert",  "backtest", "paper",  "status",   "costs", "divergence"};
  return kSections;
}

const std::vector<std::string>& Config::known_keys() {
  static const std::vector<std::string> kKeys = {
      // signal: lib/signal/runner.cpp (instances_from_config) and program.cpp.
      "signal.strategies", "signal.symbols", "signal.timeframe", "signal.capital",
      "signal.heartbeat_interval_ms", "signal.checkpoint_bars", "signal.checkpoint_interval_s",
      // risk: lib/risk/config.cpp (load_risk_config) and lib/gateway/program.cpp.
      "risk.capital", "risk.max_order_qty", "risk.max_order_value", "risk.max_orders_per_minute",
      "risk.max_total_exposure", "risk.max_symbol_exposure", "risk.max_open_positions",
      "risk.default_strategy_capital_percent", "risk.strategy_capital_percent.*",
      "risk.price_band_percent", "risk.price_max_age_s", "risk.circuit_limits.*.lower",
      "risk.circuit_limits.*.upper", "risk.signal_max_age_s", "risk.future_tolerance_ms",
      "risk.session_checks", "risk.allow_pre_open", "risk.allow_closing_session",
      "risk.duplicate_window_s", "risk.order_type", "risk.product", "risk.limit_slippage_bps",
      "risk.required_components", "risk.heartbeat_max_age_s", "risk.broker_component",
      "risk.daily_loss_block_entries_percent", "risk.daily_loss_halt_percent",
      "risk.position_loss_exit_percent", "risk.max_orders_per_5_minutes",
      "risk.broker_disconnect_halt_s", "risk.feed_component", "risk.feed_disconnect_halt_s",
      "risk.latency_halt_ms", "risk.latency_breach_count", "risk.max_errors_per_minute",
      "risk.heartbeat_interval_ms",
      // order: lib/order/program.cpp (load_order_settings).
      "order.poll_interval_ms", "order.in_doubt_ms", "order.in_doubt_resolve_ms",
      "order.in_doubt_settle_ms", "order.lookup_interval_ms", "order.retry_after_ms",
      "order.probe_interval_ms", "order.max_queue_ms", "order.heartbeat_interval_ms",
      "order.eof_wait_ms", "order.variety", "order.cancel_on_exit", "order.postback_listen",
      "order.postback_path", "order.costs",
      // feed: lib/feed/program.cpp (sm-ingest poll).
      "feed.stale_after_s",
      // broker: lib/broker/settings.cpp (load_broker_settings).
      "broker.base_url", "broker.token_file", "broker.timeout_ms", "broker.connect_timeout_ms",
      "broker.retry.max_attempts", "broker.retry.initial_backoff_ms", "broker.retry.max_backoff_ms",
      "broker.retry.max_elapsed_ms", "broker.rate_limits.orders_per_minute",
      "broker.rate_limits.orders_per_day", "broker.rate_limits.order_per_second",
      "broker.rate_limits.other_per_second", "broker.rate_limits.quote_per_second",
      // divergence: lib/divergence/program.cpp (sm-backtest divergence).
      "divergence.late_fill_ms", "divergence.max_slippage_bps", "divergence.max_signal_differences",
      "divergence.max_missed_fills", "divergence.max_late_fills", "divergence.max_pnl_difference",
      "divergence.warmup_days",
      // backtest: lib/backtest_program/program.cpp (each the default of one flag).
      "backtest.fill", "backtest.entry_order", "backtest.entry_offset_bps",
      "backtest.order_valid_bars", "backtest.protective_stops", "backtest.slippage",
      "backtest.volume_cap", "backtest.costs", "backtest.product", "backtest.cash",
      "backtest.max_open_positions", "backtest.max_position_value", "backtest.close_at_end",
      "backtest.risk_free_rate",
      // paper: lib/paper/program.cpp.
      "paper.listen",
      // alert: lib/alert/settings.cpp (load_alert_settings).
      "alert.channels", "alert.rules", "alert.max_messages_per_minute",
      "alert.digest_interval_minutes", "alert.poll_interval_ms", "alert.retry.initial_backoff_ms",
      "alert.retry.max_backoff_ms", "alert.telegram.chat_id", "alert.telegram.base_url",
      "alert.pagerduty.url", "alert.email.url", "alert.email.from", "alert.email.to",
      "alert.email.username", "alert.watch.interval_s", "alert.watch.heartbeats.*",
      "alert.watch.market_data_max_age_s", "alert.watch.fills_max_wait_s",
      "alert.watch.dependency_warn_days", "alert.watch.session"};
  return kKeys;
}

namespace {

// Whether path (split at dots) is a known key ("*" matching any one part), or, when prefix_only,
// the beginning of one.
bool matches_known_key(const std::vector<std::string>& path, bool prefix_only) {
  for (const std::string& key : Config::known_keys()) {
    const std::vector<std::string> parts = split_path(key);
    if (prefix_only ? parts.size() <= path.size() : parts.size() != path.size()) continue;
    bool same = true;
    for (size_t i = 0; i < path.size() && same; ++i) {
      same = parts[i] == "*" || parts[i] == path[i];
    }
    if (same) return true;
  }
  return false;
}

}  // namespace

Status Config::check_known_keys() const {
  std::vector<std::pair<std::vector<std::string>, const Json*>> pending;
  for (const auto& [section, value] : root_.items()) {
    if (known_sections().count(section) == 0) {
      return error(ErrorCode::kConfigError,
                   fmt::format("{}: unknown section \"{}\" (known: {})", origin(section), section,
                               fmt::join(known_sections(), ", ")));
    }
    pending.push_back({{section}, &value});
  }
  while (!pending.empty()) {
    auto [path, value] = pending.back();
    pending.pop_back();
    if (!value->is_object()) continue;
    for (const auto& [name, child] : value->items()) {
      std::vector<std::string> child_path = path;
      child_path.push_back(name);
      if (matches_known_key(child_path, false)) continue;
      if (matches_known_key(child_path, true) && (child.is_object() || child.is_null())) {
        pending.emplace_back(std::move(child_path), &child);
        continue;
      }
      const std::string dotted = join_path(child_path, child_path.size());
      return error(ErrorCode::kConfigError,
                   fmt::format("{}: unknown key {} (docs/CONFIG.md lists every key)",
                               origin(dotted), dotted));
    }
  }
  return Status();
}

Config Config::defaults() { return Config(); }

Result<Config> Config::parse(std::string_view text, std::string_view source) {
  Config config;
  config.source_ = std::string(source);
  // Duplicate keys are almost always an editing mistake, and nlohmann would keep only the last,
  // so the parse callback tracks the keys of every open object.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t on_event = [&](int /*depth*/, Json::parse_event_t event,
                                               Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  try {
    config.root_ = Json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/true,
                               /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte == 0 ? 0 : e.byte - 1);
    return error(ErrorCode::kConfigError, fmt::format("{}:{}:{}: invalid JSON: {}", source, line,
                                                      column, parse_reason(e.what())));
  } catch (const Json::exception& e) {
    return error(ErrorCode::kConfigError, fmt::format("{}: invalid JSON: {}", source, e.what()));
  }
  if (!config.root_.is_object()) {
    return error(ErrorCode::kConfigError,
                 fmt::format("{}: the configuration must be one JSON object with a section per "
                             "program, not a {}",
                             source, config.root_.type_name()));
  }
  if (!duplicate.empty()) {
    return error(ErrorCode::kConfigError,
                 fmt::format("{}: key '{}' appears twice in the same object", source, duplicate));
  }
  SM_RETURN_IF_ERROR(check_no_secrets(config.root_, "", source));
  for (const auto& [section, value] : config.root_.items()) {
    if (known_sections().count(section) == 0) {
      config.warnings_.push_back(
          fmt::format("{}: unknown section '{}' (ignored by every program; known sections: {})",
                      source, section, fmt::join(known_sections(), ", ")));
    }
  }
  return config;
}

Result<Config> Config::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return error(ErrorCode::kConfigError,
                 fmt::format("configuration file {} does not exist", path));
  }
  Result<std::string> text = read_file(path);
  if (!text.ok()) {
    return error(ErrorCode::kConfigError,
                 fmt::format("cannot read configuration file: {}", text.status().message()));
  }
  Result<Config> config = parse(*text, path);
  if (!config.ok()) return config.status();
  SM_RETURN_IF_ERROR(config->apply_environment());
  return config;
}

Result<Config> Config::load_or_defaults(const std::string& path) {
  if (!path.empty()) return load(path);
  Config config = defaults();
  SM_RETURN_IF_ERROR(config.apply_environment());
  return config;
}

Status Config::apply_environment() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::string_view(*entry).substr(0, kOverridePrefix.size()) == kOverridePrefix) {
      entries.emplace_back(*entry);
    }
  }
  return apply_overrides(entries);
}

Status Config::apply_overrides(const std::vector<std::string>& environment) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const std::string& entry : environment) {
    if (entry.compare(0, kOverridePrefix.size(), kOverridePrefix) != 0) continue;
    const size_t equals = entry.find('=');
    if (equals == std::string::npos) continue;
    entries.emplace_back(entry.substr(0, equals), entry.substr(equals + 1));
  }
  // Sorted by name, so a whole-section override (SM_CFG__RISK) applies before the keys inside it
  // (SM_CFG__RISK__MAX_ORDER_QTY) whatever order the environment lists them in.
  std::sort(entries.begin(), entries.end());
  for (const auto& [name, text] : entries) {
    std::vector<std::string> parts;
    std::string_view rest = std::string_view(name).substr(kOverridePrefix.size());
    while (true) {
      const size_t separator = rest.find("__");
      std::string part(rest.substr(0, separator));
      std::transform(part.begin(), part.end(), part.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      });
      parts.push_back(std::move(part));
      if (separator == std::string_view::npos) break;
      rest.remove_prefix(separator + 2);
    }
    if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
      return error(ErrorCode::kConfigError,
                   fmt::format("environment variable {}: empty key part (use __ only between "
                               "keys, e.g. SM_CFG__RISK__MAX_ORDER_QTY)",
                               name));
    }
    const std::string path = join_path(parts, parts.size());
    // The value is checked before it is used; the message names the variable, never its value.
    if (looks_like_secret_key(parts.back())) {
      return error(ErrorCode::kConfigError,
                   fmt::format("environment variable {} sets '{}', which looks like a secret; "
                               "secrets are not configuration (it is recorded in the database): "
                               "use the secret's own variable (docs/CONFIG.md, Secrets)",
                               name, path));
    }
    Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) value = text;
    const std::string origin = fmt::format("environment variable {}", name);
    SM_RETURN_IF_ERROR(check_no_secrets(value, path, origin));
    Json* node = &root_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Json& child = (*node)[parts[i]];
      if (child.is_null()) child = Json::object();
      if (!child.is_object()) {
        return error(ErrorCode::kConfigError,
                     fmt::format("{}: cannot set {}: {} is a {}, not an object", origin, path,
                                 join_path(parts, i + 1), child.type_name()));
      }
      node = &child;
    }
    (*node)[parts.back()] = std::move(value);
    override_text_[path] = text;
    overrides_.emplace_back(name, path);
    if (known_sections().count(parts[0]) == 0) {
      warnings_.push_back(fmt::format("{}: unknown section '{}'", origin, parts[0]));
    }
  }
  return Status();
}

std::string Config::origin(const std::string& path) const {
  // The latest override that set this key or one of its parents wins, as it did when applied.
  const auto sets_path = [&path](const std::pair<std::string, std::string>& entry) {
    const std::string& set = entry.second;
    return path == set || (path.size() > set.size() && path.compare(0, set.size(), set) == 0 &&
                           path[set.size()] == '.');
  };
  const auto latest = std::find_if(overrides_.rbegin(), overrides_.rend(), sets_path);
  if (latest != overrides_.rend()) return fmt::format("environment variable {}", latest->first);
  return source_.empty() ? std::string("built-in defaults") : source_;
}

Status Config::type_error(std::string_view path, std::string_view expected,
                          const Json& value) const {
  return error(ErrorCode::kConfigError,
               fmt::format("{}: {} must be {}, not {}", origin(std::string(path)), path, expected,
                           describe(value)));
}

Result<const Json*> Config::find(std::string_view path) const {
  const std::vector<std::string> parts = split_path(path);
  const Json* node = &root_;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!node->is_object()) {
      return error(
          ErrorCode::kConfigError,
          fmt::format("{}: {} must be an object (reading {}), not {}", origin(join_path(parts, i)),
                      join_path(parts, i), path, describe(*node)));
    }
    auto it = node->find(parts[i]);
    if (it == node->end() || it->is_null()) return static_cast<const Json*>(nullptr);
    node = &*it;
  }
  return node;
}

bool Config::has(std::string_view path) const {
  Result<const Json*> node = find(path);
  return node.ok() && *node != nullptr;
}

Result<std::int64_t> Config::get_int(std::string_view path, std::int64_t default_value) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  const Json& value = **node;
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(INT64_MAX)) {
      return type_error(path, "an integer within int64", value);
    }
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return type_error(path, "an integer", value);
}

Result<double> Config::get_double(std::string_view path, double default_value) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  if (!(*node)->is_number()) return type_error(path, "a number", **node);
  return (*node)->get<double>();
}

Result<bool> Config::get_bool(std::string_view path, bool default_value) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  if (!(*node)->is_boolean()) return type_error(path, "true or false", **node);
  return (*node)->get<bool>();
}

Result<std::string> Config::get_string(std::string_view path, std::string default_value) const {
  const std::string key(path);
  read_.insert(key);
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  if ((*node)->is_string()) return (*node)->get<std::string>();
  // An override such as SM_CFG__ALERT__TELEGRAM__CHAT_ID=12345 parses as a number; the user
  // meant the text.
  if (auto it = override_text_.find(key); it != override_text_.end() && !(*node)->is_structured()) {
    return it->second;
  }
  return type_error(path, "a string", **node);
}

Result<std::vector<std::string>> Config::get_string_list(
    std::string_view path, std::vector<std::string> default_value) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  const Json& value = **node;
  if (!value.is_array()) return type_error(path, "a list of strings", value);
  std::vector<std::string> list;
  for (const Json& item : value) {
    if (!item.is_string()) return type_error(path, "a list of strings", value);
    list.push_back(item.get<std::string>());
  }
  return list;
}

Result<Paise> Config::get_rupees(std::string_view path, Paise default_value) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return default_value;
  const Json& value = **node;
  std::string text;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_number()) {
    // nlohmann prints a double as the shortest text that reads back to the same double, which
    // for any amount written with up to 15 significant digits is the text the user wrote.
    text = value.dump();
  } else {
    return type_error(path, "a rupee amount (a number or a string such as \"1250.50\")", value);
  }
  Result<Paise> paise = parse_rupees(text);
  if (!paise.ok()) {
    return error(ErrorCode::kConfigError,
                 fmt::format("{}: {} must be a rupee amount with at most two decimals: {}",
                             origin(std::string(path)), path, paise.status().message()));
  }
  return paise;
}

Result<Json> Config::get_section(std::string_view path) const {
  read_.insert(std::string(path));
  Result<const Json*> node = find(path);
  if (!node.ok()) return node.status();
  if (*node == nullptr) return Json::object();
  if (!(*node)->is_object()) return type_error(path, "an object", **node);
  return **node;
}

std::vector<std::string> Config::unread_keys(std::string_view section) const {
  std::vector<std::string> unread;
  auto it = root_.find(std::string(section));
  if (it == root_.end()) return unread;
  std::vector<std::string> leaves;
  collect_leaves(*it, std::string(section), leaves);
  for (const std::string& leaf : leaves) {
    // A leaf counts as read if it or any parent was asked for (get_section reads a whole subtree).
    bool read = false;
    std::string prefix = leaf;
    while (!read) {
      read = read_.count(prefix) > 0;
      const size_t dot = prefix.rfind('.');
      if (dot == std::string::npos) break;
      prefix.resize(dot);
    }
    if (!read) unread.push_back(leaf);
  }
  return unread;
}

std::string Config::canonical_text() const {
  // nlohmann's object type is a std::map, so dump() already writes keys in sorted (byte) order
  // at every level; compact output and no ASCII escaping make the text unique.
  return root_.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Config::content_hash() const { return sha256_hex(canonical_text()); }

Result<Config> load_config(const std::string& path, const Logger& log) {
  Result<Config> config = Config::load_or_defaults(path);
  if (!config.ok()) return config.status();
  SM_RETURN_IF_ERROR(config->check_known_keys());
  for (const std::string& warning : config->warnings())
    log.warn("config_warning", {{"message", warning}});
  log.info("config_loaded",
           {{"path", path.empty() ? "(defaults)" : path}, {"hash", config->content_hash()}});
  return config;
}

std::string default_actor() {
  for (const char* name : {"USER", "LOGNAME"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "unknown";
}

}  // namespace sm
