// Deterministic client order ids. sm-order sends the id to Kite as the order `tag`, and placing is
// idempotent on it, so the same decision must always give the same id and different decisions
// different ids. Kite's rule for a tag is [A-Za-z0-9]{1,20}.
#pragma once

#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace sm::risk {

// "sm" followed by the first 18 lower-case hex digits (72 bits) of
//   SHA-256("sm-order-id/v1\n" + strategy + "\n" + symbol + "\n" + signal_ts + "\n" + intent)
// where signal_ts is the decimal UTC milliseconds and intent says what the order is for
// ("enter_long", "exit_long", "force_exit:position_loss", ...). Fields are newline-separated, and
// names never contain a newline, so no two inputs share a preimage. 20 characters, all
// alphanumeric. The derivation is fixed: changing it would re-place orders after an upgrade.
std::string client_order_id(std::string_view strategy, std::string_view symbol,
                            TimestampMs signal_ts, std::string_view intent);

// True for a text Kite accepts as a tag: 1 to 20 characters, each A-Z, a-z or 0-9.
bool is_valid_order_tag(std::string_view tag);

}  // namespace sm::risk
