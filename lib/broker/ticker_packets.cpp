#include "broker/ticker_packets.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace sm::broker {
namespace {

using nlohmann::json;

// Text the peer sent may hold invalid UTF-8; it is replaced rather than thrown on.
std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status parse_error(std::string message) {
  return Status(ErrorCode::kParseError, std::move(message));
}

// Big-endian reads over a span whose size the caller has checked.
std::uint32_t read_u32(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return static_cast<std::uint16_t>((bytes[offset] << 8) | bytes[offset + 1]);
}

void append_u32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>(value >> 24));
  out.push_back(static_cast<char>(value >> 16));
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

void append_u16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value));
}

// Offsets of the tradable full packet past the quote fields.
constexpr std::size_t kDepthOffset = 64;
constexpr std::size_t kDepthEntryLength = 12;

void decode_depth(std::span<const std::uint8_t> body, TickerPacket& packet) {
  for (std::size_t level = 0; level < packet.bids.size(); ++level) {
    const std::size_t bid = kDepthOffset + level * kDepthEntryLength;
    const std::size_t ask = bid + kTickerDepthLevels * kDepthEntryLength;
    packet.bids[level] = {read_u32(body, bid), read_u32(body, bid + 4), read_u16(body, bid + 8)};
    packet.asks[level] = {read_u32(body, ask), read_u32(body, ask + 4), read_u16(body, ask + 8)};
  }
}

void append_depth(std::string& out, const TickerDepthLevel& level) {
  append_u32(out, level.quantity);
  append_u32(out, level.price);
  append_u16(out, level.orders);
  append_u16(out, 0);  // padding, zero on the wire
}

Result<std::vector<std::uint32_t>> parse_tokens(const json& value) {
  if (!value.is_array()) return parse_error("tokens are not an array");
  std::vector<std::uint32_t> tokens;
  tokens.reserve(value.size());
  for (const json& token : value) {
    if (!token.is_number_unsigned() ||
        token.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      return parse_error(fmt::format("token {} is not an instrument token", dump_json(token)));
    }
    tokens.push_back(static_cast<std::uint32_t>(token.get<std::uint64_t>()));
  }
  return tokens;
}

}  // namespace

std::string_view ticker_mode_name(TickerMode mode) {
  switch (mode) {
    case TickerMode::kLtp:
      return "ltp";
    case TickerMode::kQuote:
      return "quote";
    case TickerMode::kFull:
      return "full";
  }
  return "ltp";
}

Result<TickerMode> parse_ticker_mode(std::string_view text) {
  if (text == "ltp") return TickerMode::kLtp;
  if (text == "quote") return TickerMode::kQuote;
  if (text == "full") return TickerMode::kFull;
  return parse_error(fmt::format("unknown ticker mode '{}' (ltp, quote or full)", text));
}

std::int64_t ticker_price_divisor(int segment) {
  if (segment == kSegmentCds) return 10'000'000;
  if (segment == kSegmentBcd) return 10'000;
  return 100;
}

Paise ticker_price_to_paise(std::uint32_t wire_price, int segment) {
  const std::int64_t divisor = ticker_price_divisor(segment);
  if (divisor == 100) return wire_price;
  const std::int64_t per_paisa = divisor / 100;
  return (static_cast<std::int64_t>(wire_price) + per_paisa / 2) / per_paisa;
}

std::size_t ticker_packet_length(TickerMode mode, bool is_index) {
  switch (mode) {
    case TickerMode::kLtp:
      return kTickerLtpLength;
    case TickerMode::kQuote:
      return is_index ? kTickerIndexQuoteLength : kTickerQuoteLength;
    case TickerMode::kFull:
      return is_index ? kTickerIndexFullLength : kTickerFullLength;
  }
  return kTickerLtpLength;
}

Result<TickerPacket> decode_ticker_packet(std::span<const std::uint8_t> body) {
  const std::size_t length = body.size();
  if (length != kTickerLtpLength && length != kTickerIndexQuoteLength &&
      length != kTickerIndexFullLength && length != kTickerQuoteLength &&
      length != kTickerFullLength) {
    return parse_error(fmt::format("packet length {} is none of 8, 28, 32, 44, 184", length));
  }
  TickerPacket packet;
  packet.instrument_token = read_u32(body, 0);
  packet.last_price = read_u32(body, 4);
  if (length == kTickerLtpLength) return packet;

  const bool index_length = length == kTickerIndexQuoteLength || length == kTickerIndexFullLength;
  if (index_length != packet.is_index()) {
    return parse_error(fmt::format("packet length {} does not fit token {} (segment {})", length,
                                   packet.instrument_token, packet.segment()));
  }
  if (index_length) {
    // Index layout: high, low, open, close (a different order from tradables), then change.
    packet.mode = length == kTickerIndexFullLength ? TickerMode::kFull : TickerMode::kQuote;
    packet.high = read_u32(body, 8);
    packet.low = read_u32(body, 12);
    packet.open = read_u32(body, 16);
    packet.close = read_u32(body, 20);
    packet.price_change = static_cast<std::int32_t>(read_u32(body, 24));
    if (length == kTickerIndexFullLength) packet.exchange_time_s = read_u32(body, 28);
    return packet;
  }
  packet.mode = length == kTickerFullLength ? TickerMode::kFull : TickerMode::kQuote;
  packet.last_trade_quantity = read_u32(body, 8);
  packet.average_price = read_u32(body, 12);
  packet.volume = read_u32(body, 16);
  packet.total_buy_quantity = read_u32(body, 20);
  packet.total_sell_quantity = read_u32(body, 24);
  packet.open = read_u32(body, 28);
  packet.high = read_u32(body, 32);
  packet.low = read_u32(body, 36);
  packet.close = read_u32(body, 40);
  if (length == kTickerQuoteLength) return packet;
  packet.last_trade_time_s = read_u32(body, 44);
  packet.open_interest = read_u32(body, 48);
  packet.open_interest_day_high = read_u32(body, 52);
  packet.open_interest_day_low = read_u32(body, 56);
  packet.exchange_time_s = read_u32(body, 60);
  decode_depth(body, packet);
  return packet;
}

Result<TickerFrame> decode_ticker_frame(std::span<const std::uint8_t> message) {
  TickerFrame frame;
  if (message.size() < 2) {
    frame.heartbeat = true;
    return frame;
  }
  const std::size_t count = read_u16(message, 0);
  std::size_t offset = 2;
  // Every packet takes at least 2 + 8 bytes: a hostile count must not reserve megabytes.
  frame.packets.reserve(std::min(count, (message.size() - 2) / (2 + kTickerLtpLength)));
  for (std::size_t i = 0; i < count; ++i) {
    if (message.size() - offset < 2) {
      return parse_error(fmt::format("frame of {} bytes ends before the length of packet {} of {}",
                                     message.size(), i + 1, count));
    }
    const std::size_t length = read_u16(message, offset);
    offset += 2;
    if (message.size() - offset < length) {
      return parse_error(fmt::format("packet {} of {} claims {} bytes, {} left", i + 1, count,
                                     length, message.size() - offset));
    }
    Result<TickerPacket> packet = decode_ticker_packet(message.subspan(offset, length));
    if (!packet.ok()) return packet.status().with_context(fmt::format("packet {}", i + 1));
    frame.packets.push_back(std::move(packet).value());
    offset += length;
  }
  if (offset != message.size()) {
    return parse_error(
        fmt::format("{} bytes after the {} counted packets", message.size() - offset, count));
  }
  return frame;
}

std::string encode_ticker_frame(const std::vector<TickerPacket>& packets) {
  std::string out;
  append_u16(out, static_cast<std::uint16_t>(packets.size()));
  for (const TickerPacket& packet : packets) {
    const bool index = packet.is_index();
    const std::size_t length = ticker_packet_length(packet.mode, index);
    append_u16(out, static_cast<std::uint16_t>(length));
    append_u32(out, packet.instrument_token);
    append_u32(out, packet.last_price);
    if (packet.mode == TickerMode::kLtp) continue;
    if (index) {
      for (std::uint32_t value : {packet.high, packet.low, packet.open, packet.close}) {
        append_u32(out, value);
      }
      append_u32(out, static_cast<std::uint32_t>(packet.price_change));
      if (packet.mode == TickerMode::kFull) append_u32(out, packet.exchange_time_s);
      continue;
    }
    for (std::uint32_t value : {packet.last_trade_quantity, packet.average_price, packet.volume,
                                packet.total_buy_quantity, packet.total_sell_quantity, packet.open,
                                packet.high, packet.low, packet.close}) {
      append_u32(out, value);
    }
    if (packet.mode == TickerMode::kQuote) continue;
    for (std::uint32_t value :
         {packet.last_trade_time_s, packet.open_interest, packet.open_interest_day_high,
          packet.open_interest_day_low, packet.exchange_time_s}) {
      append_u32(out, value);
    }
    for (const TickerDepthLevel& level : packet.bids) append_depth(out, level);
    for (const TickerDepthLevel& level : packet.asks) append_depth(out, level);
  }
  return out;
}

std::string ticker_heartbeat() { return std::string(1, '\0'); }

std::string encode_ticker_request(const TickerRequest& request) {
  json out;
  switch (request.action) {
    case TickerAction::kSubscribe:
      out = {{"a", "subscribe"}, {"v", request.tokens}};
      break;
    case TickerAction::kUnsubscribe:
      out = {{"a", "unsubscribe"}, {"v", request.tokens}};
      break;
    case TickerAction::kMode:
      out = {{"a", "mode"}, {"v", json::array({ticker_mode_name(request.mode), request.tokens})}};
      break;
  }
  return dump_json(out);
}

Result<TickerRequest> parse_ticker_request(std::string_view text) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return parse_error("ticker request is not a JSON object");
  }
  const auto action = document.find("a");
  const auto value = document.find("v");
  if (action == document.end() || !action->is_string() || value == document.end()) {
    return parse_error("ticker request needs \"a\" (a string) and \"v\"");
  }
  TickerRequest request;
  const std::string& name = action->get_ref<const std::string&>();
  const json* tokens = &*value;
  if (name == "subscribe") {
    request.action = TickerAction::kSubscribe;
  } else if (name == "unsubscribe") {
    request.action = TickerAction::kUnsubscribe;
  } else if (name == "mode") {
    request.action = TickerAction::kMode;
    if (!value->is_array() || value->size() != 2 || !(*value)[0].is_string()) {
      return parse_error("mode request needs \"v\": [mode, [tokens]]");
    }
    Result<TickerMode> mode = parse_ticker_mode((*value)[0].get_ref<const std::string&>());
    if (!mode.ok()) return mode.status();
    request.mode = *mode;
    tokens = &(*value)[1];
  } else {
    return parse_error(fmt::format("unknown ticker action '{}'", name));
  }
  Result<std::vector<std::uint32_t>> parsed = parse_tokens(*tokens);
  if (!parsed.ok()) return parsed.status();
  request.tokens = std::move(parsed).value();
  return request;
}

Result<TickerText> parse_ticker_text(std::string_view text) {
  const json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return parse_error("ticker text message is not a JSON object");
  }
  const auto type = document.find("type");
  const auto data = document.find("data");
  if (type == document.end() || !type->is_string() || data == document.end()) {
    return parse_error("ticker text message needs \"type\" (a string) and \"data\"");
  }
  const std::string& name = type->get_ref<const std::string&>();
  TickerText message;
  if (name == "order") {
    if (!data->is_object()) return parse_error("order message data is not an object");
    message.kind = TickerTextKind::kOrder;
    message.order_json = dump_json(*data);
    return message;
  }
  if (name == "error") {
    message.kind = TickerTextKind::kError;
  } else if (name == "message") {
    message.kind = TickerTextKind::kMessage;
  } else {
    return parse_error(fmt::format("unknown ticker text message type '{}'", name));
  }
  if (!data->is_string()) return parse_error(fmt::format("{} message data is not a string", name));
  message.text = data->get<std::string>();
  return message;
}

std::string encode_ticker_text(const TickerText& message) {
  switch (message.kind) {
    case TickerTextKind::kOrder: {
      json data = json::parse(message.order_json, nullptr, /*allow_exceptions=*/false);
      if (data.is_discarded()) data = json::object();
      return dump_json({{"type", "order"}, {"data", data}});
    }
    case TickerTextKind::kError:
      return dump_json({{"type", "error"}, {"data", message.text}});
    case TickerTextKind::kMessage:
      return dump_json({{"type", "message"}, {"data", message.text}});
  }
  return "{}";
}

}  // namespace sm::broker
