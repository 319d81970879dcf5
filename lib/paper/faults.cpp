#include "paper/faults.h"

#include <fmt/format.h>

#include <utility>

namespace sm::paper {

using nlohmann::json;

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kHttpError:
      return "http_error";
    case FaultKind::kDelay:
      return "delay";
    case FaultKind::kDelayAfter:
      return "delay_after";
    case FaultKind::kDropBefore:
      return "drop_before";
    case FaultKind::kDropAfterAccept:
      return "drop_after_accept";
    case FaultKind::kReject:
      return "reject";
  }
  return "http_error";
}

std::string default_error_type(int http_status) {
  switch (http_status) {
    case 429:
      return "NetworkException";
    case 403:
      return "TokenException";
    case 502:
      return "NetworkException";
    case 503:
      return "NetworkException";
    case 504:
      return "DataException";
    default:
      return http_status >= 500 ? "GeneralException" : "InputException";
  }
}

namespace {

std::string default_message(int http_status) {
  switch (http_status) {
    case 429:
      return "Too many requests";
    case 502:
      return "Couldn't reach the OMS";
    case 503:
      return "Service unavailable";
    case 504:
      return "Gateway timeout";
    default:
      return fmt::format("Injected error {}", http_status);
  }
}

Status bad(std::string_view field, std::string_view why) {
  return error(ErrorCode::kInvalidArgument, fmt::format("fault rule: field '{}' {}", field, why));
}

}  // namespace

Result<FaultRule> parse_fault_rule(const json& object) {
  if (!object.is_object())
    return error(ErrorCode::kInvalidArgument, "fault rule: expected a JSON object");
  FaultRule rule;
  try {
    const std::string kind = object.value("kind", std::string("http_error"));
    if (kind == "http_error") {
      rule.kind = FaultKind::kHttpError;
    } else if (kind == "delay") {
      rule.kind = FaultKind::kDelay;
    } else if (kind == "delay_after") {
      rule.kind = FaultKind::kDelayAfter;
    } else if (kind == "drop_before") {
      rule.kind = FaultKind::kDropBefore;
    } else if (kind == "drop_after_accept") {
      rule.kind = FaultKind::kDropAfterAccept;
    } else if (kind == "reject") {
      rule.kind = FaultKind::kReject;
    } else {
      return bad("kind", fmt::format("'{}' is not http_error, delay, delay_after, drop_before, "
                                     "drop_after_accept or reject",
                                     kind));
    }
    rule.method = object.value("method", std::string());
    rule.path_prefix = object.value("path", std::string());
    rule.http_status = object.value("status", rule.kind == FaultKind::kHttpError ? 500 : 0);
    if (rule.kind == FaultKind::kHttpError && (rule.http_status < 400 || rule.http_status > 599)) {
      return bad("status", "must be 400..599");
    }
    rule.error_type = object.value("error_type", std::string());
    if (rule.error_type.empty() && rule.kind == FaultKind::kHttpError) {
      rule.error_type = default_error_type(rule.http_status);
    }
    rule.message = object.value("message", std::string());
    if (rule.message.empty()) {
      rule.message = rule.kind == FaultKind::kReject
                         ? "RMS:Rule: injected rejection by the paper broker"
                         : default_message(rule.http_status);
    }
    rule.delay_ms = object.value("delay_ms", std::int64_t{0});
    if (rule.delay_ms < 0) return bad("delay_ms", "is negative");
    if ((rule.kind == FaultKind::kDelay || rule.kind == FaultKind::kDelayAfter) &&
        rule.delay_ms == 0) {
      return bad("delay_ms", "is required for a delay");
    }
    rule.count = object.value("count", std::int64_t{1});
    if (rule.count < 0) return bad("count", "is negative");
    rule.skip = object.value("skip", std::int64_t{0});
    if (rule.skip < 0) return bad("skip", "is negative");
    rule.probability = object.value("probability", 1.0);
    if (!(rule.probability >= 0.0 && rule.probability <= 1.0))
      return bad("probability", "must be in [0, 1]");
  } catch (const json::exception& e) {
    return error(ErrorCode::kInvalidArgument, fmt::format("fault rule: {}", e.what()));
  }
  return rule;
}

json fault_rule_to_json(const FaultRule& rule) {
  json j{{"kind", fault_kind_name(rule.kind)},
         {"count", rule.count},
         {"skip", rule.skip},
         {"probability", rule.probability}};
  if (!rule.method.empty()) j["method"] = rule.method;
  if (!rule.path_prefix.empty()) j["path"] = rule.path_prefix;
  if (rule.kind == FaultKind::kHttpError) {
    j["status"] = rule.http_status;
    j["error_type"] = rule.error_type;
  }
  if (rule.delay_ms > 0) j["delay_ms"] = rule.delay_ms;
  if (!rule.message.empty()) j["message"] = rule.message;
  return j;
}

void FaultInjector::add(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.push_back(Active{std::move(rule)});
}

void FaultInjector::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  rules_.clear();
  token_expire_after_ = 0;
  token_calls_ = 0;
  token_expired_ = false;
}

void FaultInjector::reseed(std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
}

void FaultInjector::set_token_expire_after(std::int64_t calls) {
  std::lock_guard<std::mutex> lock(mutex_);
  token_expire_after_ = calls;
  token_calls_ = 0;
  token_expired_ = false;
}

void FaultInjector::reset_token_budget() {
  std::lock_guard<std::mutex> lock(mutex_);
  token_calls_ = 0;
  token_expired_ = false;
}

std::optional<FaultRule> FaultInjector::match(std::string_view method, std::string_view path) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Active& active : rules_) {
    const FaultRule& rule = active.rule;
    if (rule.count > 0 && active.fired >= rule.count) continue;
    if (!rule.method.empty() && rule.method != method) continue;
    if (!rule.path_prefix.empty() && path.substr(0, rule.path_prefix.size()) != rule.path_prefix)
      continue;
    if (active.seen++ < rule.skip) continue;
    // Draw only for probabilistic rules, so adding a certain rule does not shift the sequence.
    if (rule.probability < 1.0 &&
        std::uniform_real_distribution<double>(0.0, 1.0)(rng_) >= rule.probability) {
      continue;
    }
    ++active.fired;
    return rule;
  }
  return std::nullopt;
}

bool FaultInjector::count_authenticated_call() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (token_expire_after_ <= 0) return false;
  if (token_expired_) return true;
  if (token_calls_ >= token_expire_after_) {
    token_expired_ = true;
    return true;
  }
  ++token_calls_;
  return false;
}

json FaultInjector::to_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  json rules = json::array();
  for (const Active& active : rules_) {
    json j = fault_rule_to_json(active.rule);
    j["fired"] = active.fired;
    rules.push_back(std::move(j));
  }
  return json{{"rules", rules},
              {"token_expire_after_calls", token_expire_after_},
              {"token_calls", token_calls_},
              {"token_expired", token_expired_}};
}

Status TickerFaults::apply(const json& object) {
  if (!object.is_object()) {
    return error(ErrorCode::kInvalidArgument, "ticker fault: expected a JSON object");
  }
  const auto bad = [](std::string_view field, std::string_view why) {
    return error(ErrorCode::kInvalidArgument, fmt::format("ticker fault: {} {}", field, why));
  };
  for (const auto& [key, value] : object.items()) {
    if ((key == "drop" || key == "malformed" || key == "heartbeats") && !value.is_boolean()) {
      return bad(key, "must be true or false");
    }
    if (key == "stall_ms" && (!value.is_number_integer() || value.get<std::int64_t>() < 0)) {
      return bad(key, "must be a whole number of milliseconds, 0 or more");
    }
    if (key != "drop" && key != "malformed" && key != "heartbeats" && key != "stall_ms") {
      return bad(key, "is not drop, stall_ms, malformed or heartbeats");
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (object.value("drop", false)) drop_ = true;
  if (object.value("malformed", false)) malformed_ = true;
  if (object.contains("heartbeats")) heartbeats_ = object["heartbeats"].get<bool>();
  if (object.contains("stall_ms")) stall_ms_ = object["stall_ms"].get<std::int64_t>();
  return Status();
}

void TickerFaults::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  drop_ = malformed_ = false;
  stall_ms_ = stall_until_ms_ = 0;
  heartbeats_ = true;
}

bool TickerFaults::take_drop() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(drop_, false);
}

bool TickerFaults::take_malformed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(malformed_, false);
}

bool TickerFaults::stalled(std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stall_ms_ > 0) {
    stall_until_ms_ = now_ms + std::exchange(stall_ms_, 0);
  }
  if (stall_until_ms_ != 0 && now_ms >= stall_until_ms_) stall_until_ms_ = 0;
  return stall_until_ms_ != 0;
}

bool TickerFaults::heartbeats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeats_;
}

json TickerFaults::to_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {{"drop_pending", drop_},
          {"malformed_pending", malformed_},
          {"stalled", stall_ms_ > 0 || stall_until_ms_ != 0},
          {"heartbeats", heartbeats_}};
}

}  // namespace sm::paper
