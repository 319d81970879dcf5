// The websocket source's pure parts: the reconnect backoff and the packet -> tick mapping.
#include <catch2/catch.hpp>

#include "ingest/ticker_source.h"

using namespace sm;
using namespace sm::ingest;

TEST_CASE("reconnect delays double from the initial one up to the cap, with jitter", "[ticker]") {
  TickerSourceOptions options;
  options.initial_backoff_ms = 1'000;
  options.max_backoff_ms = 60'000;
  CHECK(reconnect_delay_ms(options, 0, 1.0) == 1'000);
  CHECK(reconnect_delay_ms(options, 1, 1.0) == 2'000);
  CHECK(reconnect_delay_ms(options, 5, 1.0) == 32'000);
  CHECK(reconnect_delay_ms(options, 6, 1.0) == 60'000);
  CHECK(reconnect_delay_ms(options, 1000, 1.0) == 60'000);  // no overflow
  CHECK(reconnect_delay_ms(options, 0, 0.0) == 500);        // jitter: half at least
  CHECK(reconnect_delay_ms(options, 6, 0.5) == 45'000);
}

TEST_CASE("a packet becomes a tick in paise with the exchange time when it has one", "[ticker]") {
  broker::TickerPacket packet;
  packet.instrument_token = 408065;
  packet.mode = broker::TickerMode::kFull;
  packet.last_price = 157370;
  packet.last_trade_quantity = 7;
  packet.volume = 1192471;
  packet.exchange_time_s = 1625461887;
  Tick tick = tick_from_packet(packet, "INFY", 42);
  CHECK(tick.symbol == "INFY");
  CHECK(tick.price == 157370);
  CHECK(tick.qty == 7);
  CHECK(tick.volume == 1192471);
  CHECK(tick.ts == 1'625'461'887'000);
  packet.exchange_time_s = 0;  // ltp and quote packets carry no time
  CHECK(tick_from_packet(packet, "INFY", 42).ts == 42);
}
