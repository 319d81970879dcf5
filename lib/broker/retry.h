// Retry policy by error class (docs/BROKER.md "Retries").
//
//   failure                                              kRead   kChange  kPlace
//   transport, nothing sent (refused, connect timeout)   retry   retry    retry
//   transport, request may have arrived                  retry   retry    outcome unknown, stop
//   HTTP 429 (any error_type)                            retry   retry    retry (refused unread)
//   HTTP 5xx                                             retry   retry    outcome unknown, stop
//   TokenException / 403                                 stop: kAuthError, a person must log in
//   Input/Order/Margin/Holding/User/Permission, other 4xx  stop: retrying cannot change the answer
//   our own refusals (bad tag, local daily cap)          stop
// kChange (modify, cancel) is retried after a possible arrival because doing it twice is harmless:
// the second modify sets the same values, the second cancel fails with OrderException and the
// caller reads the order's state. A place whose outcome is unknown is never re-sent here: the
// caller looks its tag up in the order book (find_order_by_tag).
//
// Backoff: attempt n (1-based) waits d/2 + jitter*d/2 with d = min(max_backoff_ms,
// initial_backoff_ms * 2^(n-1)) and jitter in [0,1) from the injected source ("equal jitter": a
// floor so 429s really back off, spread so clients do not retry in lockstep). Bounded both by
// max_attempts and by max_elapsed_ms: a wait that would pass the elapsed budget is not taken.
// Each retry is logged as broker_retry: a warning after an HTTP answer (429, 5xx), debug after a
// transport failure (the caller reports an unreachable broker once per outage).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "broker/broker.h"
#include "broker/sleeper.h"
#include "core/log.h"
#include "time/clock.h"

namespace sm::broker {

enum class RequestKind {
  kRead,    // GET: no effect at the broker
  kChange,  // modify, cancel: changes state, harmless to repeat
  kPlace,   // place order: must never happen twice
};

enum class RetryDecision { kRetry, kStop };

// What to do after one failed attempt. An error with outcome_unknown is always kStop.
RetryDecision retry_decision(const BrokerError& error, RequestKind kind);

struct RetryPolicy {
  int max_attempts = 4;
  std::int64_t initial_backoff_ms = 250;
  std::int64_t max_backoff_ms = 4000;
  std::int64_t max_elapsed_ms = 20000;
};

// A number in [0, 1).
using JitterSource = std::function<double()>;
// A seeded pseudo-random source (std::mt19937_64), for production and for reproducible tests.
JitterSource seeded_jitter(std::uint64_t seed);

class Retrier {
 public:
  // Does not own clock, sleeper or log; REQUIRES: they outlive the retrier. log may be null.
  Retrier(RetryPolicy policy, const time::Clock& clock, Sleeper& sleeper, JitterSource jitter,
          const Logger* log = nullptr);

  // Runs attempt (given the 1-based attempt number) until it succeeds (returns nullopt), a failure
  // is not retryable, or the attempt/time budget is spent. Returns the last error, with attempts
  // set to the number of attempts made; nullopt on success.
  std::optional<BrokerError> run(
      RequestKind kind, const std::function<std::optional<BrokerError>(int attempt)>& attempt);

  // The wait before attempt `next_attempt` (>= 2) for a given jitter draw.
  std::int64_t backoff_ms(int next_attempt, double jitter) const;
  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  const time::Clock& clock_;
  Sleeper& sleeper_;
  JitterSource jitter_;
  const Logger* log_;
};

}  // namespace sm::broker
