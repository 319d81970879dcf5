// The Kite Ticker websocket protocol without the websocket: the binary market-data frames the
// server sends, the 1-byte heartbeats, the JSON text messages in both directions, decoded and
// encoded. The layout is ../shared/reference/broker-and-alerts.md section 2 ([KDOCS websocket/]):
// big-endian, a u16 packet count, then per packet a u16 length and the packet. A packet's kind is
// known only from its length: 8 ltp, 28 index quote, 32 index full, 44 quote, 184 full (5 + 5
// depth). Decoding never trusts the input: a short, long or inconsistent frame is a kParseError
// naming what is wrong, never a crash or a read past the end.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm::broker {

enum class TickerMode { kLtp, kQuote, kFull };  // "ltp" / "quote" / "full"
std::string_view ticker_mode_name(TickerMode mode);
Result<TickerMode> parse_ticker_mode(std::string_view text);

// Exchange segment = instrument_token & 0xFF ([PYKC] EXCHANGE_MAP; not in Kite's docs).
inline constexpr int kSegmentNse = 1;
inline constexpr int kSegmentCds = 3;
inline constexpr int kSegmentBcd = 6;
inline constexpr int kSegmentIndices = 9;
inline int ticker_segment(std::uint32_t instrument_token) {
  return static_cast<int>(instrument_token & 0xFF);
}
// What a wire price is divided by to give rupees: 100 (paise) except currency derivatives,
// NSE CDS 10,000,000 and BSE BCD 10,000 (both SDKs; the docs name only the first).
std::int64_t ticker_price_divisor(int segment);
// A wire price in paise, rounded half away from zero for the currency segments (sub-paisa prices
// do not fit Paise; this toolkit trades equities, where the wire unit is the paisa).
Paise ticker_price_to_paise(std::uint32_t wire_price, int segment);

// Wire packet lengths in bytes.
inline constexpr std::size_t kTickerLtpLength = 8;
inline constexpr std::size_t kTickerIndexQuoteLength = 28;
inline constexpr std::size_t kTickerIndexFullLength = 32;
inline constexpr std::size_t kTickerQuoteLength = 44;
inline constexpr std::size_t kTickerFullLength = 184;
inline constexpr int kTickerDepthLevels = 5;

// One level of market depth. price is in wire units (see ticker_price_divisor).
struct TickerDepthLevel {
  std::uint32_t quantity = 0;
  std::uint32_t price = 0;
  std::uint16_t orders = 0;
  bool operator==(const TickerDepthLevel&) const = default;
};

// One decoded packet. Prices are in wire units (paise for equities). Fields beyond the packet's
// mode are zero. For an index (segment 9) last_trade_quantity..total_sell_quantity, the open
// interest fields, last_trade_time and depth are always zero; price_change is its own field there
// and zero for tradables (the wire carries no change for them; clients compute LTP - close).
struct TickerPacket {
  std::uint32_t instrument_token = 0;
  TickerMode mode = TickerMode::kLtp;
  std::uint32_t last_price = 0;
  std::uint32_t last_trade_quantity = 0;
  std::uint32_t average_price = 0;
  std::uint32_t volume = 0;
  std::uint32_t total_buy_quantity = 0;
  std::uint32_t total_sell_quantity = 0;
  std::uint32_t open = 0;
  std::uint32_t high = 0;
  std::uint32_t low = 0;
  std::uint32_t close = 0;
  std::int32_t price_change = 0;        // index packets only
  std::uint32_t last_trade_time_s = 0;  // Unix epoch seconds
  std::uint32_t open_interest = 0;
  std::uint32_t open_interest_day_high = 0;
  std::uint32_t open_interest_day_low = 0;
  std::uint32_t exchange_time_s = 0;  // Unix epoch seconds
  std::array<TickerDepthLevel, kTickerDepthLevels> bids{};
  std::array<TickerDepthLevel, kTickerDepthLevels> asks{};

  int segment() const { return ticker_segment(instrument_token); }
  bool is_index() const { return segment() == kSegmentIndices; }
  bool operator==(const TickerPacket&) const = default;
};

// The length a packet of this kind has on the wire.
std::size_t ticker_packet_length(TickerMode mode, bool is_index);

// Decodes one packet body (without its length prefix). Errors: kParseError when the length is not
// one of 8/28/32/44/184, or an index length (28, 32) carries a non-index token, or a tradable
// length (44, 184) an index token.
Result<TickerPacket> decode_ticker_packet(std::span<const std::uint8_t> body);

// A whole binary websocket message. A message shorter than 2 bytes is a heartbeat (the server sends
// one byte every few seconds when nothing else flows): heartbeat is true and packets empty.
struct TickerFrame {
  bool heartbeat = false;
  std::vector<TickerPacket> packets;
};
// Errors: kParseError naming the packet index and what is wrong (truncated length prefix, a length
// running past the end, bytes left over after the counted packets, a bad packet).
Result<TickerFrame> decode_ticker_frame(std::span<const std::uint8_t> message);

// The binary message for these packets, each encoded at the length of its mode (and index-ness).
// REQUIRES: packets.size() <= 65535.
std::string encode_ticker_frame(const std::vector<TickerPacket>& packets);
// The 1-byte heartbeat message.
std::string ticker_heartbeat();

// Client -> server text messages: {"a":"subscribe","v":[tokens]}, {"a":"unsubscribe","v":[...]},
// {"a":"mode","v":["full",[tokens]]}.
enum class TickerAction { kSubscribe, kUnsubscribe, kMode };
struct TickerRequest {
  TickerAction action = TickerAction::kSubscribe;
  TickerMode mode = TickerMode::kQuote;  // kMode only
  std::vector<std::uint32_t> tokens;
  bool operator==(const TickerRequest&) const = default;
};
std::string encode_ticker_request(const TickerRequest& request);
// Errors: kParseError (not JSON, unknown action, tokens not unsigned 32-bit integers, bad mode).
Result<TickerRequest> parse_ticker_request(std::string_view text);

// Server -> client text messages: {"type":"order","data":{postback object}},
// {"type":"error","data":"text"}, {"type":"message","data":"text"}.
enum class TickerTextKind { kOrder, kError, kMessage };
struct TickerText {
  TickerTextKind kind = TickerTextKind::kMessage;
  std::string text;        // error and message: the data string
  std::string order_json;  // order: the data object, serialised (a postback body)
};
// Errors: kParseError (not JSON, no type, unknown type, data of the wrong kind).
Result<TickerText> parse_ticker_text(std::string_view text);
std::string encode_ticker_text(const TickerText& message);

}  // namespace sm::broker
