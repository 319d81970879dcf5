// The Kite Ticker codec against the packet samples in tests/fixtures/kite
// (zerodha/kiteconnect-mocks ticker_*.packet, base64 of one packet body) and hand-built frames.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "broker/ticker_packets.h"

using namespace sm;
using namespace sm::broker;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// The fixtures are base64 text; a test-only decoder (no padding tricks beyond '=').
std::vector<std::uint8_t> base64_decode(std::string_view text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const std::size_t value = kAlphabet.find(c);
    if (value == std::string::npos) continue;  // '=', newlines
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  return out;
}

std::vector<std::uint8_t> packet_fixture(const std::string& name) {
  std::ifstream in(std::string(SM_TEST_FIXTURES) + "/kite/" + name);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return base64_decode(text.str());
}

// Wraps one packet body as a one-packet frame: 00 01 | length | body.
std::vector<std::uint8_t> one_packet_frame(const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> frame(4 + body.size());
  frame[1] = 1;
  frame[2] = static_cast<std::uint8_t>(body.size() >> 8);
  frame[3] = static_cast<std::uint8_t>(body.size() & 0xFF);
  std::copy(body.begin(), body.end(), frame.begin() + 4);
  return frame;
}

constexpr std::uint32_t kInfy = 408065;     // NSE (low byte 1)
constexpr std::uint32_t kNifty50 = 256265;  // INDICES (low byte 9)

}  // namespace

TEST_CASE("the full-mode fixture decodes to ticker_full.json", "[ticker]") {
  std::vector<std::uint8_t> body = packet_fixture("ticker_full.packet");
  REQUIRE(body.size() == kTickerFullLength);
  Result<TickerPacket> packet = decode_ticker_packet(body);
  REQUIRE(packet.ok());
  CHECK(packet->instrument_token == kInfy);
  CHECK(packet->segment() == kSegmentNse);
  CHECK_FALSE(packet->is_index());
  CHECK(packet->mode == TickerMode::kFull);
  CHECK(packet->last_price == 157370);
  CHECK(packet->last_trade_quantity == 7);
  CHECK(packet->average_price == 157037);
  CHECK(packet->volume == 1192471);
  CHECK(packet->total_buy_quantity == 256443);
  CHECK(packet->total_sell_quantity == 363009);
  CHECK(packet->open == 156915);
  CHECK(packet->high == 157500);
  CHECK(packet->low == 156105);
  CHECK(packet->close == 156780);
  CHECK(packet->last_trade_time_s == 1625461887);  // 2021-07-05T10:41:27+05:30
  CHECK(packet->exchange_time_s == 1625461887);
  CHECK(packet->open_interest == 0);
  CHECK(packet->bids[0] == TickerDepthLevel{5, 157340, 1});
  CHECK(packet->bids[1] == TickerDepthLevel{140, 157300, 2});
  CHECK(packet->bids[4] == TickerDepthLevel{50, 157285, 1});
  CHECK(packet->asks[0] == TickerDepthLevel{172, 157370, 3});
  CHECK(packet->asks[4] == TickerDepthLevel{724, 157395, 5});
}

TEST_CASE("the quote-mode fixture decodes to ticker_quote.json", "[ticker]") {
  std::vector<std::uint8_t> body = packet_fixture("ticker_quote.packet");
  REQUIRE(body.size() == kTickerQuoteLength);
  Result<TickerPacket> packet = decode_ticker_packet(body);
  REQUIRE(packet.ok());
  CHECK(packet->mode == TickerMode::kQuote);
  CHECK(packet->last_price == 157315);
  CHECK(packet->last_trade_quantity == 1);
  CHECK(packet->average_price == 157033);
  CHECK(packet->volume == 1175986);
  CHECK(packet->total_buy_quantity == 256511);
  CHECK(packet->total_sell_quantity == 360503);
  CHECK(packet->close == 156780);
  CHECK(packet->exchange_time_s == 0);  // beyond quote mode
}

TEST_CASE("a fixture packet inside a frame decodes and re-encodes to the same bytes", "[ticker]") {
  for (const char* name : {"ticker_full.packet", "ticker_quote.packet"}) {
    std::vector<std::uint8_t> frame = one_packet_frame(packet_fixture(name));
    Result<TickerFrame> decoded = decode_ticker_frame(frame);
    REQUIRE(decoded.ok());
    CHECK_FALSE(decoded->heartbeat);
    REQUIRE(decoded->packets.size() == 1);
    CHECK(bytes_of(encode_ticker_frame(decoded->packets)) == frame);
  }
}

TEST_CASE("index packets use their own OHLC order and carry a change field", "[ticker]") {
  TickerPacket index;
  index.instrument_token = kNifty50;
  index.mode = TickerMode::kFull;
  index.last_price = 1'580'000;
  index.high = 1'590'000;
  index.low = 1'570'000;
  index.open = 1'575'000;
  index.close = 1'560'000;
  index.price_change = -2500;
  index.exchange_time_s = 1625461887;
  std::string frame = encode_ticker_frame({index});
  REQUIRE(frame.size() == 4 + kTickerIndexFullLength);
  // high sits at packet offset 8, i.e. frame offset 12.
  CHECK(static_cast<unsigned char>(frame[12 + 1]) == ((1'590'000 >> 16) & 0xFF));
  Result<TickerFrame> decoded = decode_ticker_frame(bytes_of(frame));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->packets.size() == 1);
  CHECK(decoded->packets[0] == index);

  index.mode = TickerMode::kQuote;
  index.exchange_time_s = 0;
  decoded = decode_ticker_frame(bytes_of(encode_ticker_frame({index})));
  REQUIRE(decoded.ok());
  CHECK(decoded->packets[0] == index);
}

TEST_CASE("a frame holds several packets of mixed modes", "[ticker]") {
  TickerPacket ltp;
  ltp.instrument_token = kInfy;
  ltp.last_price = 150'000;
  TickerPacket quote = ltp;
  quote.mode = TickerMode::kQuote;
  quote.instrument_token = 738561;  // RELIANCE, NSE
  quote.volume = 42;
  quote.close = 149'000;
  TickerPacket full = quote;
  full.mode = TickerMode::kFull;
  full.asks[2] = {10, 150'100, 4};
  std::string frame = encode_ticker_frame({ltp, quote, full});
  CHECK(frame.size() == 2 + 3 * 2 + 8 + 44 + 184);
  Result<TickerFrame> decoded = decode_ticker_frame(bytes_of(frame));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->packets.size() == 3);
  CHECK(decoded->packets[0] == ltp);
  CHECK(decoded->packets[1] == quote);
  CHECK(decoded->packets[2] == full);
}

TEST_CASE("messages shorter than two bytes are heartbeats", "[ticker]") {
  for (const std::string& message : {std::string(), ticker_heartbeat()}) {
    Result<TickerFrame> decoded = decode_ticker_frame(bytes_of(message));
    REQUIRE(decoded.ok());
    CHECK(decoded->heartbeat);
    CHECK(decoded->packets.empty());
  }
  CHECK(ticker_heartbeat().size() == 1);
}

TEST_CASE("truncated and malformed frames are parse errors that say what is wrong", "[ticker]") {
  std::vector<std::uint8_t> frame = one_packet_frame(packet_fixture("ticker_full.packet"));
  SECTION("every truncation of a valid frame") {
    for (std::size_t size = 2; size < frame.size(); ++size) {
      Result<TickerFrame> decoded =
          decode_ticker_frame(std::span<const std::uint8_t>(frame.data(), size));
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.status().code() == ErrorCode::kParseError);
    }
  }
  SECTION("a length running past the end") {
    frame[3] = 0xFF;
    Result<TickerFrame> decoded = decode_ticker_frame(frame);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("claims"));
  }
  SECTION("bytes after the counted packets") {
    frame.push_back(0);
    Result<TickerFrame> decoded = decode_ticker_frame(frame);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("after the 1 counted packets"));
  }
  SECTION("a packet length none of the known ones") {
    std::vector<std::uint8_t> odd = one_packet_frame(std::vector<std::uint8_t>(12, 0));
    Result<TickerFrame> decoded = decode_ticker_frame(odd);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("packet 1: packet length 12"));
  }
  SECTION("an index length with a tradable token") {
    std::vector<std::uint8_t> body(kTickerIndexQuoteLength, 0);
    body[3] = 1;  // segment NSE
    Result<TickerFrame> decoded = decode_ticker_frame(one_packet_frame(body));
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("does not fit token"));
  }
  SECTION("a count larger than the packets present") {
    frame[1] = 2;
    CHECK_FALSE(decode_ticker_frame(frame).ok());
  }
}

TEST_CASE("prices convert to paise by segment", "[ticker]") {
  CHECK(ticker_price_divisor(kSegmentNse) == 100);
  CHECK(ticker_price_divisor(kSegmentCds) == 10'000'000);
  CHECK(ticker_price_divisor(kSegmentBcd) == 10'000);
  CHECK(ticker_price_to_paise(157370, kSegmentNse) == 157370);
  CHECK(ticker_price_to_paise(834'512, kSegmentBcd) == 8345);      // 83.4512 rupees
  CHECK(ticker_price_to_paise(834'567'000, kSegmentCds) == 8346);  // 83.4567000 rupees
}

TEST_CASE("client requests encode and parse as Kite spells them", "[ticker]") {
  TickerRequest subscribe{TickerAction::kSubscribe, TickerMode::kQuote, {408065, 884737}};
  CHECK(encode_ticker_request(subscribe) == R"({"a":"subscribe","v":[408065,884737]})");
  TickerRequest mode{TickerAction::kMode, TickerMode::kFull, {408065}};
  CHECK(encode_ticker_request(mode) == R"({"a":"mode","v":["full",[408065]]})");
  for (const TickerRequest& request :
       {subscribe, mode, TickerRequest{TickerAction::kUnsubscribe, TickerMode::kQuote, {1}}}) {
    Result<TickerRequest> parsed = parse_ticker_request(encode_ticker_request(request));
    REQUIRE(parsed.ok());
    CHECK(*parsed == request);
  }
  for (std::string_view bad :
       {"", "[]", R"({"a":"subscribe"})", R"({"a":"subscribe","v":[-1]})",
        R"({"a":"subscribe","v":[4294967296]})", R"({"a":"subscribe","v":["1"]})",
        R"({"a":"mode","v":["fast",[1]]})", R"({"a":"mode","v":[1]})", R"({"a":"sing","v":[]})"}) {
    Result<TickerRequest> parsed = parse_ticker_request(bad);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status().code() == ErrorCode::kParseError);
  }
}

TEST_CASE("server text messages: order, error and message", "[ticker]") {
  Result<TickerText> order = parse_ticker_text(R"({"type":"order","data":{"order_id":"1"}})");
  REQUIRE(order.ok());
  CHECK(order->kind == TickerTextKind::kOrder);
  CHECK(order->order_json == R"({"order_id":"1"})");
  CHECK(encode_ticker_text(*order) == R"({"data":{"order_id":"1"},"type":"order"})");

  Result<TickerText> error = parse_ticker_text(R"({"type":"error","data":"bad token"})");
  REQUIRE(error.ok());
  CHECK(error->kind == TickerTextKind::kError);
  CHECK(error->text == "bad token");
  Result<TickerText> message = parse_ticker_text(
      encode_ticker_text(TickerText{TickerTextKind::kMessage, "market closes early", ""}));
  REQUIRE(message.ok());
  CHECK(message->kind == TickerTextKind::kMessage);
  CHECK(message->text == "market closes early");

  for (std::string_view bad : {"", "{}", R"({"type":"order","data":"x"})",
                               R"({"type":"error","data":{}})", R"({"type":"gossip","data":""})"}) {
    CHECK_FALSE(parse_ticker_text(bad).ok());
  }
}
