#include "paper/synthetic_depth.h"

#include <algorithm>
#include <limits>

namespace sm::paper {
namespace {

std::uint32_t wire_u32(std::int64_t value) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(value, 0, std::numeric_limits<std::uint32_t>::max()));
}

// Whether an order at this price would be accepted: above zero and inside the known band.
bool inside_band(const MarketPrice& price, Paise level) {
  if (level <= 0) return false;
  if (price.lower_circuit > 0 && level < price.lower_circuit) return false;
  if (price.upper_circuit > 0 && level > price.upper_circuit) return false;
  return true;
}

}  // namespace

SyntheticDepth synthesize_depth(const MarketPrice& price, Paise tick) {
  SyntheticDepth depth;
  const Quantity step = price.interval_volume > 0 ? price.interval_volume : kSyntheticDepthQuantity;
  std::int64_t total_buy = 0;
  std::int64_t total_sell = 0;
  for (int k = 1; k <= broker::kTickerDepthLevels; ++k) {
    const auto index = static_cast<std::size_t>(k - 1);
    const std::uint32_t quantity = wire_u32(step * k);
    const auto orders = static_cast<std::uint16_t>(k);
    if (const Paise bid = price.last - k * tick; inside_band(price, bid)) {
      depth.bids[index] = {quantity, wire_u32(bid), orders};
      total_buy += quantity;
    }
    if (const Paise ask = price.last + k * tick; inside_band(price, ask)) {
      depth.asks[index] = {quantity, wire_u32(ask), orders};
      total_sell += quantity;
    }
  }
  depth.total_buy_quantity = wire_u32(total_buy);
  depth.total_sell_quantity = wire_u32(total_sell);
  return depth;
}

}  // namespace sm::paper
