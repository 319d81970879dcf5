#include "broker/settings.h"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>

#include "broker/retry.h"
#include "broker/url_policy.h"
#include "core/secrets.h"

namespace sm::broker {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

Result<BrokerSettings> load_broker_settings(const Config& config, const BrokerFlags& flags) {
  BrokerSettings s;
  s.secrets_file = !flags.secrets_file.empty() ? flags.secrets_file : env_or("SM_SECRETS_FILE", "");
  KiteOptions& k = s.kite;

  Result<std::string> url = config.get_string("broker.base_url", k.base_url);
  if (!url.ok()) return url.status();
  k.base_url = !flags.base_url.empty() ? flags.base_url : *url;
  while (!k.base_url.empty() && k.base_url.back() == '/') k.base_url.pop_back();
  if (Status safe = check_secret_safe_url(
          k.base_url, flags.base_url.empty() ? "broker.base_url" : "--broker-url");
      !safe.ok()) {
    return error(ErrorCode::kConfigError, safe.message());
  }
  Result<std::string> token_file = config.get_string("broker.token_file", "var/kite_token");
  if (!token_file.ok()) return token_file.status();
  s.token_file =
      !flags.token_file.empty() ? flags.token_file : env_or("SM_KITE_TOKEN_FILE", *token_file);

  struct IntKey {
    const char* path;
    std::int64_t* target;
  };
  std::int64_t max_attempts = k.retry.max_attempts;
  std::int64_t orders_per_minute = k.rate_limits.orders_per_minute;
  std::int64_t orders_per_day = k.rate_limits.orders_per_day;
  const IntKey ints[] = {
      {"broker.timeout_ms", &k.timeout_ms},
      {"broker.connect_timeout_ms", &k.connect_timeout_ms},
      {"broker.retry.max_attempts", &max_attempts},
      {"broker.retry.initial_backoff_ms", &k.retry.initial_backoff_ms},
      {"broker.retry.max_backoff_ms", &k.retry.max_backoff_ms},
      {"broker.retry.max_elapsed_ms", &k.retry.max_elapsed_ms},
      {"broker.rate_limits.orders_per_minute", &orders_per_minute},
      {"broker.rate_limits.orders_per_day", &orders_per_day},
  };
  for (const IntKey& key : ints) {
    Result<std::int64_t> value = config.get_int(key.path, *key.target);
    if (!value.ok()) return value.status();
    if (*value < 0)
      return error(ErrorCode::kConfigError, fmt::format("{} must not be negative", key.path));
    *key.target = *value;
  }
  k.retry.max_attempts = static_cast<int>(std::max<std::int64_t>(1, max_attempts));
  k.rate_limits.orders_per_minute = orders_per_minute;
  k.rate_limits.orders_per_day = orders_per_day;
  struct DoubleKey {
    const char* path;
    double* target;
  };
  const DoubleKey doubles[] = {
      {"broker.rate_limits.order_per_second", &k.rate_limits.order_per_second},
      {"broker.rate_limits.other_per_second", &k.rate_limits.other_per_second},
      {"broker.rate_limits.quote_per_second", &k.rate_limits.quote_per_second},
  };
  for (const DoubleKey& key : doubles) {
    Result<double> value = config.get_double(key.path, *key.target);
    if (!value.ok()) return value.status();
    if (!(*value > 0))
      return error(ErrorCode::kConfigError, fmt::format("{} must be positive", key.path));
    *key.target = *value;
  }
  if (flags.timeout_ms > 0) k.timeout_ms = flags.timeout_ms;

  Result<std::string> api_key = read_secret("SM_KITE_API_KEY", s.secrets_file);
  if (!api_key.ok()) {
    if (api_key.status().code() == ErrorCode::kAuthError) {
      return error(ErrorCode::kConfigError,
                   "no Kite api key: set SM_KITE_API_KEY (environment, SM_KITE_API_KEY_FILE or the "
                   "secrets file)");
    }
    return api_key.status();
  }
  k.api_key = *api_key;
  return s;
}

std::string broker_url_problem(const std::string& url) {
  Status safe = check_secret_safe_url(url, "--broker-url");
  return safe.ok() ? std::string() : safe.message();
}

Result<std::optional<AccessToken>> initial_token(const BrokerSettings& settings) {
  Result<AccessToken> from_file = read_token_file(settings.token_file);
  if (from_file.ok()) return std::optional<AccessToken>(*from_file);
  if (from_file.status().code() != ErrorCode::kNotFound) return from_file.status();
  Result<std::string> fixed = read_secret("SM_KITE_ACCESS_TOKEN", settings.secrets_file);
  if (fixed.ok()) return std::optional<AccessToken>(AccessToken{*fixed, 0, ""});
  if (fixed.status().code() == ErrorCode::kAuthError) return std::optional<AccessToken>();
  return fixed.status();
}

std::unique_ptr<BrokerConnection> connect_broker(const BrokerSettings& settings,
                                                 const Logger* log) {
  auto c = std::make_unique<BrokerConnection>();
  const auto seed =
      static_cast<std::uint64_t>(::getpid()) ^ static_cast<std::uint64_t>(c->clock.now_ms());
  c->kite = std::make_unique<KiteBroker>(settings.kite, c->http, c->clock, c->sleeper,
                                         seeded_jitter(seed), log);
  return c;
}

}  // namespace sm::broker
