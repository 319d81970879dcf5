// The paper ticker's synthetic book: worked by hand, and through the wire and back.
#include <catch2/catch.hpp>

#include "broker/ticker_packets.h"
#include "paper/synthetic_depth.h"

using namespace sm;
using namespace sm::paper;
using broker::TickerDepthLevel;

namespace {

MarketPrice price_at(Paise last, Quantity volume) {
  MarketPrice price;
  price.last = last;
  price.interval_volume = volume;
  return price;
}

}  // namespace

TEST_CASE("levels are a tick apart around the last price and thicken away from it", "[depth]") {
  // Last ₹1,500.50, tick 5 paise, the latest update traded 40 shares.
  const SyntheticDepth depth = synthesize_depth(price_at(150'050, 40), 5);
  CHECK(depth.bids[0] == TickerDepthLevel{40, 150'045, 1});
  CHECK(depth.bids[1] == TickerDepthLevel{80, 150'040, 2});
  CHECK(depth.bids[4] == TickerDepthLevel{200, 150'025, 5});
  CHECK(depth.asks[0] == TickerDepthLevel{40, 150'055, 1});
  CHECK(depth.asks[2] == TickerDepthLevel{120, 150'065, 3});
  CHECK(depth.asks[4] == TickerDepthLevel{200, 150'075, 5});
  // 40 + 80 + 120 + 160 + 200 on each side.
  CHECK(depth.total_buy_quantity == 600);
  CHECK(depth.total_sell_quantity == 600);
}

TEST_CASE("an update without volume shows 100 shares a level step", "[depth]") {
  const SyntheticDepth depth = synthesize_depth(price_at(10'000, 0), 1);
  CHECK(depth.bids[0] == TickerDepthLevel{100, 9'999, 1});
  CHECK(depth.asks[1] == TickerDepthLevel{200, 10'002, 2});
  CHECK(depth.total_buy_quantity == 1'500);
}

TEST_CASE("levels outside the circuit band or at zero stay empty", "[depth]") {
  MarketPrice price = price_at(10'000, 10);
  price.upper_circuit = 10'010;  // the asks at 10,015 and 10,020 would be refused
  price.lower_circuit = 9'990;
  SyntheticDepth depth = synthesize_depth(price, 5);
  CHECK(depth.asks[1] == TickerDepthLevel{20, 10'010, 2});
  CHECK(depth.asks[2] == TickerDepthLevel{});
  CHECK(depth.asks[4] == TickerDepthLevel{});
  CHECK(depth.bids[1] == TickerDepthLevel{20, 9'990, 2});
  CHECK(depth.bids[2] == TickerDepthLevel{});
  CHECK(depth.total_sell_quantity == 30);
  CHECK(depth.total_buy_quantity == 30);

  depth = synthesize_depth(price_at(3, 10), 1);  // 3 paise: only two bids above zero
  CHECK(depth.bids[1] == TickerDepthLevel{20, 1, 2});
  CHECK(depth.bids[2] == TickerDepthLevel{});
  CHECK(depth.asks[4] == TickerDepthLevel{50, 8, 5});
}

TEST_CASE("huge volumes are capped at the wire's 32 bits", "[depth]") {
  const SyntheticDepth depth = synthesize_depth(price_at(10'000, 4'000'000'000), 5);
  CHECK(depth.bids[0].quantity == 4'000'000'000u);
  CHECK(depth.bids[1].quantity == 4'294'967'295u);
  CHECK(depth.total_buy_quantity == 4'294'967'295u);
}

TEST_CASE("a full packet with the synthetic book is 184 bytes and decodes to itself", "[depth]") {
  broker::TickerPacket packet;
  packet.instrument_token = 408'065;  // NSE: segment 1
  packet.mode = broker::TickerMode::kFull;
  packet.last_price = 150'050;
  packet.last_trade_quantity = 40;
  packet.volume = 12'345;
  packet.open = 149'000;
  packet.high = 151'000;
  packet.low = 148'500;
  packet.close = 149'500;
  packet.last_trade_time_s = 1'767'240'000;
  packet.exchange_time_s = 1'767'240'000;
  const SyntheticDepth depth = synthesize_depth(price_at(150'050, 40), 5);
  packet.bids = depth.bids;
  packet.asks = depth.asks;
  packet.total_buy_quantity = depth.total_buy_quantity;
  packet.total_sell_quantity = depth.total_sell_quantity;

  const std::string frame = broker::encode_ticker_frame({packet});
  REQUIRE(frame.size() == 2 + 2 + broker::kTickerFullLength);
  Result<broker::TickerFrame> decoded = broker::decode_ticker_frame(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->packets.size() == 1);
  CHECK(decoded->packets[0] == packet);
  CHECK(decoded->packets[0].asks[4] == TickerDepthLevel{200, 150'075, 5});
}
