#include <catch2/catch.hpp>

#include <vector>

#include "broker/retry.h"

using namespace sm;
using namespace sm::broker;

namespace {

// Built with designated initialisers: assigning short literals to the strings trips a GCC 12
// false positive (-Wrestrict) under -O2.
BrokerError http_error(int status, std::string error_type, ErrorCode code) {
  return BrokerError{
      .code = code, .error_type = std::move(error_type), .http_status = status, .message = {}};
}

BrokerError transport_error(ErrorCode code, bool outcome_unknown = false) {
  return BrokerError{.code = outcome_unknown ? ErrorCode::kUnavailable : code,
                     .error_type = {},
                     .http_status = 0,
                     .message = {},
                     .outcome_unknown = outcome_unknown};
}

struct Rig {
  time::ManualClock clock{1'700'000'000'000};
  ManualSleeper sleeper{clock};
  RetryPolicy policy;
  Retrier retrier() {
    return Retrier(policy, clock, sleeper, [] { return 0.5; });
  }
};

}  // namespace

TEST_CASE("retry classes: transient failures retry, business refusals and auth stop") {
  for (RequestKind kind : {RequestKind::kRead, RequestKind::kChange, RequestKind::kPlace}) {
    CHECK(retry_decision(http_error(429, "NetworkException", ErrorCode::kRateLimited), kind) ==
          RetryDecision::kRetry);
    CHECK(retry_decision(transport_error(ErrorCode::kNetworkError), kind) == RetryDecision::kRetry);
    CHECK(retry_decision(transport_error(ErrorCode::kTimeout), kind) == RetryDecision::kRetry);
    for (const char* type : {"InputException", "OrderException", "MarginException",
                             "HoldingException", "UserException"}) {
      ErrorCode code = std::string(type) == "InputException" ? ErrorCode::kInvalidArgument
                                                             : ErrorCode::kRejected;
      CHECK(retry_decision(http_error(400, type, code), kind) == RetryDecision::kStop);
    }
    CHECK(retry_decision(http_error(403, "TokenException", ErrorCode::kAuthError), kind) ==
          RetryDecision::kStop);
    CHECK(retry_decision(http_error(403, "PermissionException", ErrorCode::kPermissionDenied),
                         kind) == RetryDecision::kStop);
    CHECK(retry_decision(transport_error(ErrorCode::kNetworkError, true), kind) ==
          RetryDecision::kStop);
    // Refused by our own limiter (no HTTP status): waiting longer is the only cure.
    CHECK(retry_decision(transport_error(ErrorCode::kRateLimited), kind) == RetryDecision::kStop);
  }
  CHECK(retry_decision(http_error(503, "NetworkException", ErrorCode::kNetworkError),
                       RequestKind::kRead) == RetryDecision::kRetry);
  CHECK(retry_decision(http_error(502, "DataException", ErrorCode::kNetworkError),
                       RequestKind::kChange) == RetryDecision::kRetry);
  CHECK(retry_decision(http_error(500, "GeneralException", ErrorCode::kNetworkError),
                       RequestKind::kPlace) == RetryDecision::kStop);
}

TEST_CASE("backoff doubles from the initial wait, capped, with equal jitter") {
  Rig rig;
  Retrier r = rig.retrier();
  CHECK(r.backoff_ms(2, 0.0) == 125);
  CHECK(r.backoff_ms(2, 0.999) == 249);
  CHECK(r.backoff_ms(3, 0.0) == 250);
  CHECK(r.backoff_ms(4, 0.5) == 750);
  CHECK(r.backoff_ms(20, 0.0) == 2000);  // capped at max_backoff_ms 4000
  CHECK(r.backoff_ms(20, 1.0) == 4000);
}

TEST_CASE("a call that fails twice with 503 then succeeds is retried with backoff") {
  Rig rig;
  Retrier r = rig.retrier();
  int calls = 0;
  std::optional<BrokerError> result =
      r.run(RequestKind::kRead, [&](int attempt) -> std::optional<BrokerError> {
        ++calls;
        CHECK(attempt == calls);
        if (calls < 3) return http_error(503, "NetworkException", ErrorCode::kNetworkError);
        return std::nullopt;
      });
  CHECK_FALSE(result.has_value());
  CHECK(calls == 3);
  CHECK(rig.sleeper.sleeps() == 2);
  CHECK(rig.sleeper.total_slept_ms() == 187 + 375);
}

TEST_CASE("retries stop at max_attempts and report the attempts made") {
  Rig rig;
  Retrier r = rig.retrier();
  int calls = 0;
  std::optional<BrokerError> result = r.run(RequestKind::kChange, [&](int) {
    ++calls;
    return std::optional<BrokerError>(http_error(429, "NetworkException", ErrorCode::kRateLimited));
  });
  REQUIRE(result.has_value());
  CHECK(calls == 4);
  CHECK(result->attempts == 4);
  CHECK(result->code == ErrorCode::kRateLimited);
  CHECK(result->status().message().find("after 4 attempts") != std::string::npos);
}

TEST_CASE("retries stop when the next wait would pass the elapsed budget") {
  Rig rig;
  rig.policy.max_attempts = 100;
  rig.policy.max_elapsed_ms = 1000;
  Retrier r = rig.retrier();
  int calls = 0;
  std::optional<BrokerError> result = r.run(RequestKind::kRead, [&](int) {
    ++calls;
    rig.clock.advance(100);  // each attempt takes 100 ms
    return std::optional<BrokerError>(transport_error(ErrorCode::kTimeout));
  });
  REQUIRE(result.has_value());
  // waits 187, 375 (elapsed 100+187+100+375+100 = 862); the next wait (750) would pass 1000 ms.
  CHECK(calls == 3);
  CHECK(rig.clock.now_ms() - 1'700'000'000'000 <= 1000);
}

TEST_CASE("a place whose outcome is unknown is attempted exactly once") {
  Rig rig;
  Retrier r = rig.retrier();
  int calls = 0;
  std::optional<BrokerError> result = r.run(RequestKind::kPlace, [&](int) {
    ++calls;
    return std::optional<BrokerError>(transport_error(ErrorCode::kTimeout, true));
  });
  REQUIRE(result.has_value());
  CHECK(calls == 1);
  CHECK(result->outcome_unknown);
  CHECK(rig.sleeper.sleeps() == 0);
}

TEST_CASE("TokenException stops at once with kAuthError") {
  Rig rig;
  Retrier r = rig.retrier();
  int calls = 0;
  std::optional<BrokerError> result = r.run(RequestKind::kRead, [&](int) {
    ++calls;
    return std::optional<BrokerError>(http_error(403, "TokenException", ErrorCode::kAuthError));
  });
  REQUIRE(result.has_value());
  CHECK(calls == 1);
  CHECK(result->code == ErrorCode::kAuthError);
}

TEST_CASE("seeded jitter is reproducible and in [0, 1)") {
  JitterSource a = seeded_jitter(42);
  JitterSource b = seeded_jitter(42);
  JitterSource c = seeded_jitter(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a();
    CHECK(x == b());
    CHECK(x >= 0.0);
    CHECK(x < 1.0);
    if (x != c()) differs = true;
  }
  CHECK(differs);
}
