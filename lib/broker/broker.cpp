#include "broker/broker.h"

#include <fmt/format.h>
#include <algorithm>

namespace sm::broker {

bool is_terminal_status(std::string_view status) {
  return status == kStatusComplete || status == kStatusCancelled || status == kStatusRejected;
}

Status BrokerError::status() const {
  std::string text;
  if (outcome_unknown) text = "outcome_unknown: ";
  if (!error_type.empty()) {
    text += error_type;
    text += http_status > 0 ? fmt::format(" (HTTP {}): ", http_status) : ": ";
  } else if (http_status > 0) {
    text += fmt::format("HTTP {}: ", http_status);
  }
  text += message;
  if (attempts > 1) text += fmt::format(" (after {} attempts)", attempts);
  return Status(code == ErrorCode::kOk ? ErrorCode::kInternal : code, std::move(text));
}

std::string instrument_key(std::string_view exchange, std::string_view tradingsymbol) {
  std::string key;
  key.reserve(exchange.size() + 1 + tradingsymbol.size());
  key.append(exchange).push_back(':');
  key.append(tradingsymbol);
  return key;
}

Status validate_tag(std::string_view tag) {
  if (tag.empty()) return error(ErrorCode::kInvalidArgument, "order tag is empty");
  if (tag.size() > kMaxTagLength) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("order tag '{}' is {} characters; Kite allows at most {}", tag,
                             tag.size(), kMaxTagLength));
  }
  const bool alphanumeric = std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  if (!alphanumeric) {
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format("order tag '{}' has characters other than ASCII letters and digits", tag));
  }
  return Status();
}

BrokerResult<std::optional<Order>> find_order_by_tag(Broker& broker, std::string_view tag) {
  BrokerResult<std::vector<Order>> book = broker.orders();
  if (!book.ok()) return book.error();
  const Order* found = nullptr;
  for (const Order& order : *book) {
    const bool tagged = order.tag == tag ||
                        std::find(order.tags.begin(), order.tags.end(), tag) != order.tags.end();
    if (!tagged) continue;
    // Kite's order ids grow with time, so the first placed has the smallest (same length) id.
    if (found == nullptr || order.order_timestamp < found->order_timestamp ||
        (order.order_timestamp == found->order_timestamp &&
         (order.order_id.size() < found->order_id.size() ||
          (order.order_id.size() == found->order_id.size() && order.order_id < found->order_id)))) {
      found = &order;
    }
  }
  if (found == nullptr) return std::optional<Order>();
  return std::optional<Order>(*found);
}

}  // namespace sm::broker
