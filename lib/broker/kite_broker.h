// The Kite Connect v3 adapter (reference §1; docs/BROKER.md). Every request carries
// `X-Kite-Version: 3` and `Authorization: token api_key:access_token`; GET/DELETE parameters go in
// the query string, POST/PUT parameters form-encoded in the body. Responses are Kite envelopes;
// errors become BrokerError with Kite's error_type kept (broker/kite_errors.h). Each call passes
// the client-side rate limiter, then the retry policy (broker/retry.h).
//
// The access token dies at 06:00 IST every day (reference §1.3). When the time it was issued is
// known, calls after that moment fail locally with kAuthError instead of being sent.
//
// Not thread-safe (one HttpClient, one connection): one KiteBroker per thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "broker/broker.h"
#include "broker/http_client.h"
#include "broker/rate_limiter.h"
#include "broker/retry.h"
#include "broker/sleeper.h"
#include "core/log.h"
#include "time/clock.h"

namespace sm::broker {

struct KiteOptions {
  std::string base_url = "https://api.kite.trade";  // tests: http://127.0.0.1:PORT
  std::string api_key;
  std::string access_token;         // may be empty until login() or set_access_token()
  TimestampMs token_issued_at = 0;  // 0 = unknown: no local expiry check
  std::int64_t timeout_ms = 7000;
  std::int64_t connect_timeout_ms = 3000;
  RetryPolicy retry;
  RateLimits rate_limits;
};

// The first 06:00 IST strictly after issued_at: when a token issued then stops working.
TimestampMs kite_token_expiry(TimestampMs issued_at);

// checksum = lowercase hex SHA-256 of api_key + request_token + api_secret (reference §1.3).
std::string kite_session_checksum(std::string_view api_key, std::string_view request_token,
                                  std::string_view api_secret);

class KiteBroker final : public Broker {
 public:
  // Does not own http, clock, sleeper or log; REQUIRES: they outlive the broker. log may be null.
  KiteBroker(KiteOptions options, HttpClient& http, const time::Clock& clock, Sleeper& sleeper,
             JitterSource jitter, const Logger* log = nullptr);
  ~KiteBroker() override;

  BrokerResult<std::string> place_order(const OrderRequest& request) override;
  BrokerResult<std::string> modify_order(const ModifyRequest& request) override;
  BrokerResult<std::string> cancel_order(std::string_view variety,
                                         std::string_view order_id) override;
  BrokerResult<std::vector<Order>> orders() override;
  BrokerResult<std::vector<Order>> order_history(std::string_view order_id) override;
  BrokerResult<std::vector<Trade>> trades() override;
  BrokerResult<std::vector<Trade>> order_trades(std::string_view order_id) override;
  BrokerResult<Positions> positions() override;
  BrokerResult<std::vector<Holding>> holdings() override;
  BrokerResult<Margins> margins() override;
  BrokerResult<std::map<std::string, Quote>> quote(
      const std::vector<std::string>& instruments) override;
  BrokerResult<std::map<std::string, LtpQuote>> ltp(
      const std::vector<std::string>& instruments) override;
  BrokerResult<std::map<std::string, LtpQuote>> ohlc(
      const std::vector<std::string>& instruments) override;
  BrokerResult<std::vector<Instrument>> instruments(std::string_view exchange) override;

  BrokerResult<Profile> profile();

  // GET /instruments/historical/{instrument_token}/{interval}?from=&to= (reference §1.6): candles
  // whose start is in [from, to], both inclusive as Kite treats them. interval is Kite's word
  // (minute, 3minute, ..., 60minute, day). One request; the caller keeps to the per-interval span
  // limits (feed/historical.h). Rate-limited as EndpointClass::kHistorical.
  BrokerResult<std::vector<Candle>> historical(std::int64_t instrument_token,
                                               std::string_view interval, TimestampMs from,
                                               TimestampMs to);

  // The request-token exchange (POST /session/token). On success the new access token and its
  // login time are used for every later call. api_secret is used only for the checksum; neither
  // it nor the token is ever logged.
  BrokerResult<Session> login(std::string_view request_token, std::string_view api_secret);
  // DELETE /session/token: invalidates the access token at the broker.
  BrokerResult<bool> logout();

  // Switches to another access token (a renewed one read from the token file).
  void set_access_token(std::string access_token, TimestampMs issued_at);
  bool has_access_token() const { return !options_.access_token.empty(); }
  // The client-side limiter, e.g. to count placements of an earlier run (RateLimiter).
  RateLimiter& rate_limiter() { return limiter_; }
  const KiteOptions& options() const { return options_; }

 private:
  struct Call;
  BrokerResult<nlohmann::json> call(const Call& c);
  std::optional<BrokerError> attempt(const Call& c, std::string& body_out);
  std::optional<BrokerError> local_token_check() const;
  template <typename T, typename Parse>
  BrokerResult<T> call_and_parse(const Call& c, Parse parse);
  template <typename T, typename Parse>
  BrokerResult<std::map<std::string, T>> quotes(std::string_view path, size_t per_request,
                                                const std::vector<std::string>& instruments,
                                                Parse parse);

  KiteOptions options_;
  HttpClient& http_;
  const time::Clock& clock_;
  const Logger* log_;
  RateLimiter limiter_;
  Retrier retrier_;
};

}  // namespace sm::broker
