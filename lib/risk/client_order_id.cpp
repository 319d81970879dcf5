#include "risk/client_order_id.h"

#include <string>

#include "core/sha256.h"

namespace sm::risk {

std::string client_order_id(std::string_view strategy, std::string_view symbol,
                            TimestampMs signal_ts, std::string_view intent) {
  Sha256 hash;
  hash.update(std::string_view("sm-order-id/v1\n"));
  hash.update(strategy);
  hash.update(std::string_view("\n"));
  hash.update(symbol);
  hash.update(std::string_view("\n"));
  hash.update(std::to_string(signal_ts));
  hash.update(std::string_view("\n"));
  hash.update(intent);
  const std::string hex = to_hex(hash.finish());
  return "sm" + hex.substr(0, 18);
}

bool is_valid_order_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 20) return false;
  for (char c : tag) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) return false;
  }
  return true;
}

}  // namespace sm::risk
