#include "broker/retry.h"

#include <algorithm>
#include <memory>
#include <random>

namespace sm::broker {

RetryDecision retry_decision(const BrokerError& error, RequestKind kind) {
  if (error.outcome_unknown) return RetryDecision::kStop;
  if (error.code == ErrorCode::kAuthError || error.code == ErrorCode::kPermissionDenied) {
    return RetryDecision::kStop;
  }
  if (error.http_status == 429) return RetryDecision::kRetry;
  if (error.http_status >= 500) {
    // A 5xx to a place may come from a gateway after the OMS took the order; KiteBroker marks
    // those outcome_unknown before we get here, this is the second line of defence.
    return kind == RequestKind::kPlace ? RetryDecision::kStop : RetryDecision::kRetry;
  }
  if (error.http_status == 0 && error.error_type.empty() &&
      (error.code == ErrorCode::kNetworkError || error.code == ErrorCode::kTimeout)) {
    // A transport failure. For kPlace, one that may have arrived is already outcome_unknown.
    return RetryDecision::kRetry;
  }
  return RetryDecision::kStop;
}

JitterSource seeded_jitter(std::uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

Retrier::Retrier(RetryPolicy policy, const time::Clock& clock, Sleeper& sleeper,
                 JitterSource jitter, const Logger* log)
    : policy_(policy), clock_(clock), sleeper_(sleeper), jitter_(std::move(jitter)), log_(log) {}

std::int64_t Retrier::backoff_ms(int next_attempt, double jitter) const {
  std::int64_t d = std::max<std::int64_t>(policy_.initial_backoff_ms, 0);
  for (int i = 2; i < next_attempt && d < policy_.max_backoff_ms; ++i) d *= 2;
  d = std::min(d, policy_.max_backoff_ms);
  jitter = std::clamp(jitter, 0.0, 1.0);
  // The wait is jittered over the upper half of the backoff, [d/2, d]; the range is counted in
  // whole milliseconds before it is scaled.
  const std::int64_t floor_ms = d / 2;
  const std::int64_t jitter_range_ms = d - floor_ms;
  return floor_ms + static_cast<std::int64_t>(jitter * static_cast<double>(jitter_range_ms));
}

std::optional<BrokerError> Retrier::run(
    RequestKind kind, const std::function<std::optional<BrokerError>(int attempt)>& attempt) {
  const TimestampMs start = clock_.now_ms();
  const int max_attempts = std::max(policy_.max_attempts, 1);
  for (int n = 1;; ++n) {
    std::optional<BrokerError> failure = attempt(n);
    if (!failure) return std::nullopt;
    failure->attempts = n;
    if (retry_decision(*failure, kind) == RetryDecision::kStop || n >= max_attempts) return failure;
    const std::int64_t wait = backoff_ms(n + 1, jitter_ ? jitter_() : 0.5);
    if (clock_.now_ms() - start + wait > policy_.max_elapsed_ms) return failure;
    if (log_ != nullptr) {
      // A broker that cannot be reached at all is reported by the caller once per outage
      // (sm-order's broker_disconnected and heartbeat); a warning per retry would repeat it every
      // few seconds for as long as it lasts. Answers (429, 5xx) still warn.
      const LogLevel level = failure->http_status == 0 ? LogLevel::kDebug : LogLevel::kWarning;
      log_->log(level, "broker_retry",
                {{"attempt", n},
                 {"wait_ms", wait},
                 {"code", std::string(error_code_name(failure->code))},
                 {"http_status", failure->http_status},
                 {"error_type", failure->error_type},
                 {"message", failure->message}});
    }
    sleeper_.sleep_ms(wait);
  }
}

}  // namespace sm::broker
