#include "ingest/issues.h"

#include <fmt/format.h>

namespace sm::ingest {

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::kMissingField:
      return "missing_field";
    case Reason::kWrongColumnCount:
      return "wrong_column_count";
    case Reason::kUnparsableTimestamp:
      return "unparsable_timestamp";
    case Reason::kUnparsableNumber:
      return "unparsable_number";
    case Reason::kNumberOutOfRange:
      return "number_out_of_range";
    case Reason::kBadSymbol:
      return "bad_symbol";
    case Reason::kNonPositivePrice:
      return "non_positive_price";
    case Reason::kNegativeVolume:
      return "negative_volume";
    case Reason::kHighBelowLow:
      return "high_below_low";
    case Reason::kOpenCloseOutsideRange:
      return "open_close_outside_range";
    case Reason::kDuplicateTimestamp:
      return "duplicate_timestamp";
    case Reason::kTimestampOutOfRange:
      return "timestamp_out_of_range";
    case Reason::kBadLine:
      return "bad_line";
    case Reason::kUnsupportedType:
      return "unsupported_type";
  }
  return "unknown";
}

namespace {

std::optional<Problem> check_time(std::string_view symbol, TimestampMs ts,
                                  const TimeLimits& limits) {
  if (ts < limits.not_before) {
    return Problem{"ts", Reason::kTimestampOutOfRange,
                   fmt::format("{} is before {}", format_utc(ts), format_utc(limits.not_before)),
                   true};
  }
  if (limits.not_after != 0 && ts > limits.not_after) {
    return Problem{"ts", Reason::kTimestampOutOfRange,
                   fmt::format("{} at {} is in the future (after {})", symbol, format_utc(ts),
                               format_utc(limits.not_after)),
                   true};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Problem> check_bar(const Bar& bar, const TimeLimits& limits) {
  if (auto problem = check_time(bar.symbol, bar.ts, limits)) return problem;
  const std::pair<const char*, Paise> prices[] = {
      {"open", bar.open}, {"high", bar.high}, {"low", bar.low}, {"close", bar.close}};
  for (const auto& [field, value] : prices) {
    if (value <= 0) {
      return Problem{field, Reason::kNonPositivePrice,
                     fmt::format("{} is {}", field, format_rupees(value)), true};
    }
  }
  if (bar.volume < 0) {
    return Problem{"volume", Reason::kNegativeVolume, fmt::format("volume is {}", bar.volume),
                   true};
  }
  if (bar.volume > kMaxVolume) {
    return Problem{"volume", Reason::kNumberOutOfRange,
                   fmt::format("volume {} is too large", bar.volume), true};
  }
  if (bar.high < bar.low) {
    return Problem{"high", Reason::kHighBelowLow,
                   fmt::format("high {} < low {}", format_rupees(bar.high), format_rupees(bar.low)),
                   true};
  }
  for (const auto& [field, value] : {prices[0], prices[3]}) {
    if (value < bar.low || value > bar.high) {
      return Problem{field, Reason::kOpenCloseOutsideRange,
                     fmt::format("{} {} outside [{}, {}]", field, format_rupees(value),
                                 format_rupees(bar.low), format_rupees(bar.high)),
                     false};
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_tick(const Tick& tick, const TimeLimits& limits) {
  if (auto problem = check_time(tick.symbol, tick.ts, limits)) return problem;
  if (tick.price <= 0) {
    return Problem{"price", Reason::kNonPositivePrice,
                   fmt::format("price is {}", format_rupees(tick.price)), true};
  }
  if (tick.qty < 0)
    return Problem{"qty", Reason::kNegativeVolume, fmt::format("qty is {}", tick.qty), true};
  if (tick.volume < 0) {
    return Problem{"volume", Reason::kNegativeVolume, fmt::format("volume is {}", tick.volume),
                   true};
  }
  if (tick.qty > kMaxVolume || tick.volume > kMaxVolume) {
    return Problem{tick.qty > kMaxVolume ? "qty" : "volume", Reason::kNumberOutOfRange,
                   fmt::format("qty {} or volume {} is too large", tick.qty, tick.volume), true};
  }
  return std::nullopt;
}

bool IssueReporter::report(const RowIssue& issue) {
  const std::string_view name = reason_name(issue.reason);
  ++counts_[std::string(name)];
  if (issue.dropped) {
    ++dropped_;
  } else {
    ++flagged_;
  }
  nlohmann::json fields = {{"input", issue.input},
                           {"line", issue.line},
                           {"at", fmt::format("{}:{}", issue.input, issue.line)},
                           {"field", issue.field},
                           {"reason", name},
                           {"detail", issue.detail},
                           {"action", issue.dropped ? "dropped" : "kept"}};
  log_.warn("bad_row", fields);
  if (strict_ && issue.dropped) {
    stopped_ = true;
    return false;
  }
  return true;
}

nlohmann::json IssueReporter::counts_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, count] : counts_) out[name] = count;
  return out;
}

}  // namespace sm::ingest
