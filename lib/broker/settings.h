// How a program reaches the broker: where it is, the credentials, timeouts, retry and rate limits
// (docs/ORDERS.md "Configuration"). sm-order, sm-reconcile and sm-ingest's broker sources share it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "broker/sleeper.h"
#include "broker/token_file.h"
#include "core/config.h"
#include "core/log.h"
#include "core/status.h"
#include "time/clock.h"

namespace sm::broker {

// What the command line may override; empty / 0 means "from configuration, else the default".
struct BrokerFlags {
  std::string base_url;      // --broker-url
  std::string secrets_file;  // --secrets-file (else $SM_SECRETS_FILE)
  std::string token_file;    // --token-file (else $SM_KITE_TOKEN_FILE, broker.token_file)
  std::int64_t timeout_ms = 0;
};

struct BrokerSettings {
  KiteOptions kite;  // base_url, api_key, timeouts, retry, rate limits; no token yet
  std::string secrets_file;
  std::string token_file;
};

// Reads broker.* from config, applies flags, and the api key from SM_KITE_API_KEY (environment,
// SM_KITE_API_KEY_FILE or the secrets file). kConfigError (with what to set) when the api key is
// missing, a key has the wrong type, or the base URL is not https (plain http only to a loopback
// host: broker/url_policy.h); kPermissionDenied for an unsafe secrets file.
//   broker.base_url (https://api.kite.trade), broker.timeout_ms (7000), broker.connect_timeout_ms
//   (3000), broker.token_file (var/kite_token), broker.retry.{max_attempts, initial_backoff_ms,
//   max_backoff_ms, max_elapsed_ms}, broker.rate_limits.{order_per_second, other_per_second,
//   quote_per_second, orders_per_minute, orders_per_day}
Result<BrokerSettings> load_broker_settings(const Config& config, const BrokerFlags& flags);

// For a CLI11 check on --broker-url: "" when url is an https URL (or http to a loopback host), else
// why not, so a bad flag is a usage error before anything starts.
std::string broker_url_problem(const std::string& url);

// The access token to start with: the token file when it exists, else SM_KITE_ACCESS_TOKEN from the
// environment or secrets file, else nullopt (sm-order then waits for a login). An unsafe or broken
// token file is an error (kPermissionDenied / kConfigError).
Result<std::optional<AccessToken>> initial_token(const BrokerSettings& settings);

// A KiteBroker with everything it needs, owned together.
struct BrokerConnection {
  CurlHttpClient http;
  time::SystemClock clock;
  SystemSleeper sleeper;
  std::unique_ptr<KiteBroker> kite;
};
std::unique_ptr<BrokerConnection> connect_broker(const BrokerSettings& settings, const Logger* log);

}  // namespace sm::broker
