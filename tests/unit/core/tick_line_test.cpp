#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/messages.h"
#include "core/tick_line.h"

using namespace sm;

namespace {

// The general decoder's reading of a line: a leading space is valid JSON whitespace and makes the
// fast path decline, so this is what MessageDecoder gave before the fast path existed.
Result<Message> decoded_the_long_way(MessageDecoder& decoder, const std::string& line) {
  return decoder.decode(" " + line);
}

void require_same_as_general_path(const std::string& line) {
  INFO(line);
  Tick fast;
  REQUIRE(decode_written_tick(line, fast));
  MessageDecoder decoder;
  Result<Message> general = decoded_the_long_way(decoder, line);
  REQUIRE(general.ok());
  const Tick& expected = std::get<Tick>(*general);
  CHECK(fast.ts == expected.ts);
  CHECK(fast.symbol == expected.symbol);
  CHECK(fast.price == expected.price);
  CHECK(fast.qty == expected.qty);
  CHECK(fast.volume == expected.volume);
}

}  // namespace

TEST_CASE("the tick fast path reads written ticks exactly as the general decoder", "[tick_line]") {
  const TimestampMs ts = 1711597500123;
  const std::vector<Tick> ticks = {
      Tick{ts, "RELIANCE", 243835, 5, 105325},
      Tick{ts, "NIFTY 50", 1701435, 0, 0},
      Tick{0, "M&M", 1, 1, 1},
      Tick{ts, "BAJAJ-AUTO", 99'999'999'999, 999'999'999'999'999'999, 999'999'999'999'999'999},
      Tick{ts, "X", 10, 0, 10},
      Tick{ts, "", 100, 7, 8},
  };
  for (const Tick& tick : ticks) require_same_as_general_path(to_json(tick));
  // Hand-written variants of the same shape.
  require_same_as_general_path(
      R"({"type":"tick","ts":"2024-01-01T03:45:00Z","symbol":"INFY","price":0.05,"qty":1,"volume":2})");
  require_same_as_general_path(
      R"({"type":"tick","ts":"2024-01-01T09:15:00+05:30","symbol":"INFY","price":1.50,"qty":1,"volume":2})");
}

TEST_CASE("the decoder gives the same tick with and without the fast path", "[tick_line]") {
  const std::string line = to_json(Tick{1711597500123, "TCS", 381250, 3, 4400});
  MessageDecoder decoder;
  Result<Message> fast = decoder.decode(line);
  Result<Message> general = decoded_the_long_way(decoder, line);
  REQUIRE(fast.ok());
  REQUIRE(general.ok());
  CHECK(to_json(*fast) == to_json(*general));
  CHECK(to_json(*fast) == line);
}

TEST_CASE("the tick fast path declines every other shape", "[tick_line]") {
  const std::vector<std::string> lines = {
      "",
      "{}",
      R"({"type":"bar","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2})",
      // whitespace, other field order, a missing or an extra field
      R"({ "type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2})",
      R"({"type":"tick","symbol":"INFY","ts":"2024-01-01T03:45:00.000Z","price":1.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2,"x":1})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2} )",
      // escapes and non-ASCII text
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"IN\u0046Y","price":1.00,"qty":1,"volume":2})",
      "{\"type\":\"tick\",\"ts\":\"2024-01-01T03:45:00.000Z\",\"symbol\":\"\xc3\xa9\",\"price\":1."
      "00,"
      "\"qty\":1,\"volume\":2}",
      // numbers not as written: integer, one or three decimals, sign, exponent, leading zero, huge
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.5,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.005,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":-1.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":-1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1e2,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":01.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":01,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1234567890.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1234567890123456789,"volume":2})",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":"1.00","qty":1,"volume":2})",
      // a time that is no timestamp, or a number
      R"({"type":"tick","ts":"yesterday","symbol":"INFY","price":1.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":"2024-02-30T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2})",
      R"({"type":"tick","ts":1704080700000,"symbol":"INFY","price":1.00,"qty":1,"volume":2})",
      // cut short
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.)",
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INF)",
  };
  for (const std::string& line : lines) {
    INFO(line);
    Tick tick;
    CHECK_FALSE(decode_written_tick(line, tick));
  }
}

TEST_CASE("a bad tick line keeps the general decoder's message", "[tick_line]") {
  MessageDecoder decoder;
  Result<Message> bad_time = decoder.decode(
      R"({"type":"tick","ts":"2024-02-30T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":1,"volume":2})");
  REQUIRE_FALSE(bad_time.ok());
  CHECK(bad_time.status().message().find("field 'ts'") != std::string::npos);
  Result<Message> negative = decoder.decode(
      R"({"type":"tick","ts":"2024-01-01T03:45:00.000Z","symbol":"INFY","price":1.00,"qty":-1,"volume":2})");
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.status().message() == "field 'qty' must not be negative");
}
