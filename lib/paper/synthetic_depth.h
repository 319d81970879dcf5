// Market depth for the paper ticker's full-mode packets. The paper broker has a price feed, not an
// order book, so it synthesises the book a quiet, evenly spread market would show around the last
// price (docs/BROKER.md "The Kite Ticker websocket"):
//
// - level k (1..5) of the bids is at last - k * tick and of the asks at last + k * tick, so the
//   last trade sits in the middle of a two-tick spread;
// - each level holds k times the latest update's volume (a bar's volume, a tick's quantity), or
//   kSyntheticDepthQuantity shares when the update carried none (a paper_quote), in k orders:
//   the book thickens away from the touch;
// - a level at or below zero, or outside the circuit band when the price source knows it, is left
//   empty (all fields zero), as an exchange takes no order there;
// - the total buy and sell quantities are the sums of the levels shown.
//
// Nothing else reads this book: paper orders fill at the engine's own prices, never against it.
#pragma once

#include <array>
#include <cstdint>

#include "broker/ticker_packets.h"
#include "core/money.h"
#include "paper/price_source.h"

namespace sm::paper {

// Shares per level step when the latest update carried no volume.
inline constexpr Quantity kSyntheticDepthQuantity = 100;

struct SyntheticDepth {
  std::array<broker::TickerDepthLevel, broker::kTickerDepthLevels> bids{};
  std::array<broker::TickerDepthLevel, broker::kTickerDepthLevels> asks{};
  std::uint32_t total_buy_quantity = 0;
  std::uint32_t total_sell_quantity = 0;
};

// The book above for price, levels tick paise apart, prices in paise (the wire unit of equities).
// Quantities beyond the wire's 32 bits are capped. REQUIRES: tick > 0.
SyntheticDepth synthesize_depth(const MarketPrice& price, Paise tick);

}  // namespace sm::paper
