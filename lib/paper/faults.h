// Fault injection for the paper broker (docs/BROKER.md "Fault injection"). Rules come from
// --fault flags or POST /_paper/faults as JSON objects:
//   {"kind": "http_error", "status": 429}                 answer with a Kite error envelope
//   {"kind": "http_error", "status": 400, "error_type": "OrderException", "message": "..."}
//   {"kind": "delay", "delay_ms": 3000}                    wait, then handle (client may time out
//                                                          before the request is acted on)
//   {"kind": "delay_after", "delay_ms": 3000}              handle, then wait before answering
//   {"kind": "drop_before"}                                close the connection without handling
//   {"kind": "drop_after_accept"}                          handle (the order exists), then close
//                                                          the connection without answering
//   {"kind": "reject", "message": "..."}                   a placement becomes a REJECTED order
// Common fields: "method" ("POST", ...; default any), "path" (prefix, default any Kite path;
// control paths /_paper/* are never faulted), "count" (how many times it fires; default 1, 0 =
// every time), "skip" (let this many matching requests through first), "probability" (0..1,
// default 1; drawn from a generator seeded with --seed, so a run is reproducible).
// Token expiry after N authenticated calls is a separate setting: {"token_expire_after_calls": N}.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sm::paper {

enum class FaultKind { kHttpError, kDelay, kDelayAfter, kDropBefore, kDropAfterAccept, kReject };
std::string_view fault_kind_name(FaultKind kind);

struct FaultRule {
  FaultKind kind = FaultKind::kHttpError;
  std::string method;       // "" = any
  std::string path_prefix;  // "" = any
  int http_status = 500;
  std::string error_type;  // default from the status (429 NetworkException, 5xx per Kite)
  std::string message;
  std::int64_t delay_ms = 0;
  std::int64_t count = 1;  // 0 = unlimited
  std::int64_t skip = 0;
  double probability = 1.0;
};

// Parses one rule. kInvalidArgument naming the field for an unknown kind, a status outside
// 400..599 for http_error, a negative delay or count, a probability outside [0, 1].
Result<FaultRule> parse_fault_rule(const nlohmann::json& object);
nlohmann::json fault_rule_to_json(const FaultRule& rule);

// The error_type Kite sends with an HTTP status (429 NetworkException, 500 GeneralException,
// 502 NetworkException, 503 NetworkException, 504 DataException, 403 TokenException,
// other 4xx InputException).
std::string default_error_type(int http_status);

class FaultInjector {
 public:
  explicit FaultInjector(std::uint64_t seed = 1) : rng_(seed) {}

  void add(FaultRule rule);
  void clear();  // rules and token expiry
  void reseed(std::uint64_t seed);
  // After `calls` more authenticated calls, tokens stop working (TokenException). 0 = off.
  void set_token_expire_after(std::int64_t calls);

  // The first rule matching this request that fires, if any; consumes one of its count.
  std::optional<FaultRule> match(std::string_view method, std::string_view path);
  // Counts one authenticated call; true when the token-expiry budget has just run out or ran out
  // before (every later call fails until clear() or a new login resets it via reset_token_budget).
  bool count_authenticated_call();
  void reset_token_budget();

  nlohmann::json to_json() const;

 private:
  struct Active {
    FaultRule rule;
    std::int64_t seen = 0;
    std::int64_t fired = 0;
  };
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::vector<Active> rules_;
  std::int64_t token_expire_after_ = 0;
  std::int64_t token_calls_ = 0;
  bool token_expired_ = false;
};

// Faults of the ticker websocket stream (paper/ticker_server.h), set by --ticker-fault or
// POST /_paper/ticker_faults as one JSON object with any of:
//   {"drop": true}        close every open ticker connection once (clients reconnect)
//   {"stall_ms": 8000}    send nothing at all, heartbeats included, for this long
//   {"malformed": true}   send one binary frame whose packet length is none of Kite's
//   {"heartbeats": false} stop the heartbeats (packets still flow); true resumes them
// Thread-safe: the control endpoint sets, the ticker thread takes.
class TickerFaults {
 public:
  // kInvalidArgument naming the field for an unknown field or a value of the wrong type or sign.
  Status apply(const nlohmann::json& object);
  void clear();

  // True once per drop request (and per malformed request): the caller acts on it.
  bool take_drop();
  bool take_malformed();
  // Whether sending is stalled at now_ms (steady clock milliseconds; a stall starts when set).
  bool stalled(std::int64_t now_ms);
  bool heartbeats() const;

  nlohmann::json to_json() const;

 private:
  mutable std::mutex mutex_;
  bool drop_ = false;
  bool malformed_ = false;
  std::int64_t stall_ms_ = 0;        // requested, not yet started
  std::int64_t stall_until_ms_ = 0;  // 0 = not stalled
  bool heartbeats_ = true;
};

}  // namespace sm::paper
