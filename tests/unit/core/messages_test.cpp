#include <catch2/catch.hpp>

#include "core/messages.h"

using namespace sm;

TEST_CASE("an order update keeps its event time and its recorded time apart", "[messages]") {
  OrderUpdate u;
  u.ts = *parse_timestamp("2019-06-03T09:59:00Z");
  u.recorded_ts = *parse_timestamp("2026-12-07T01:40:00.250Z");
  u.client_order_id = "sm1";
  u.status = "COMPLETE";
  const std::string line = to_json(u);
  CHECK(line.find(R"("ts":"2019-06-03T09:59:00.000Z")") != std::string::npos);
  CHECK(line.find(R"("recorded_ts":"2026-12-07T01:40:00.250Z")") != std::string::npos);
  MessageDecoder decoder;
  auto decoded = decoder.decode(line);
  REQUIRE(decoded.ok());
  CHECK(std::get<OrderUpdate>(*decoded).recorded_ts == u.recorded_ts);
  // Another writer's update without one decodes with 0 and is written back without one.
  u.recorded_ts = 0;
  CHECK(to_json(u).find("recorded_ts") == std::string::npos);
}

TEST_CASE("a bar round-trips through NDJSON exactly", "[messages]") {
  Bar bar;
  bar.ts = *parse_timestamp("2024-03-28T03:45:00Z");
  bar.symbol = "RELIANCE";
  bar.timeframe = Timeframe{5};
  bar.open = 243835;
  bar.high = 244330;
  bar.low = 243575;
  bar.close = 244225;
  bar.volume = 105325;
  const std::string line = to_json(bar);
  CHECK(
      line ==
      R"({"type":"bar","ts":"2024-03-28T03:45:00.000Z","symbol":"RELIANCE","timeframe":"5m",)"
      R"("open":2438.35,"high":2443.30,"low":2435.75,"close":2442.25,"volume":105325,"partial":false})");
  MessageDecoder decoder;
  Result<Message> decoded = decoder.decode(line);
  REQUIRE(decoded.ok());
  const Bar& back = std::get<Bar>(*decoded);
  CHECK(back.ts == bar.ts);
  CHECK(back.open == bar.open);
  CHECK(back.close == bar.close);
  CHECK(back.timeframe == Timeframe{5});
  CHECK(back.volume == 105325);
}

TEST_CASE("every message type round-trips", "[messages]") {
  MessageDecoder decoder;
  const TimestampMs ts = 1711597500000;
  std::vector<Message> messages = {
      Tick{ts, "NIFTY", 1701435, 0, 0},
      Signal{ts, "breakout", "INFY", SignalAction::kExitLong, 100, 149805, 145000, "stop hit"},
      OrderIntent{ts, "sm0123456789abcdef", "breakout", "INFY", "NSE", Side::kSell, 100,
                  OrderType::kLimit, Product::kIntraday, 149805, 0, ts - 1, "exit"},
      OrderUpdate{ts, "sm1", "220303000308932", "INFY", Side::kBuy, "COMPLETE", 10, 10, 0, 149805,
                  "", ts + 60000},
      Fill{ts, "sm1", "220303000308932", "T1", "breakout", "INFY", Side::kBuy, 10, 149805, 1234},
      RiskDecision{ts, "breakout", "INFY", SignalAction::kEnterLong, ts, false,
                   "MAX_ORDER_VALUE_EXCEEDED", "value=125000.00, max=100000.00", ""},
      Alert{ts, Severity::kCritical, "sm-risk", "kill_switch", "halted: \"daily\" loss", "k1"},
      Heartbeat{ts, "sm-order", "ok", 42, ""},
      ErrorRecord{ts, "sm-ingest", "parse_error", "bad", "x.csv", 3, ""},
      ErrorRecord{ts, "sm-order", "network_error", "refused", "", 0, "broker_call_failed"},
      Halt{ts, "halt", "block_entries", "daily_loss_3pct", "loss 3.2%", "sm-risk", ts + 1000},
  };
  for (const Message& message : messages) {
    const std::string line = to_json(message);
    Result<Message> decoded = decoder.decode(line);
    INFO(line);
    REQUIRE(decoded.ok());
    CHECK(to_json(*decoded) == line);
  }
}

TEST_CASE("unknown types and unknown fields are tolerated", "[messages]") {
  MessageDecoder decoder;
  Result<Message> unknown = decoder.decode(R"({"type":"weather","ts":"x","rain":true})");
  REQUIRE(unknown.ok());
  CHECK(message_type(*unknown) == "weather");
  Result<Message> extra = decoder.decode(
      R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":1.5,"note":{"a":[1,2]},"oi":7})");
  REQUIRE(extra.ok());
  CHECK(std::get<Tick>(*extra).price == 150);
}

TEST_CASE("bad lines are errors that name the problem", "[messages]") {
  MessageDecoder decoder;
  auto reason = [&](std::string_view line) { return decoder.decode(line).status().message(); };
  CHECK_THAT(
      reason(
          R"({"type":"bar","ts":"2024-03-28T03:45:00Z","symbol":"A","timeframe":"5m","open":1,"high":1,"low":1)"),
      Catch::Contains("invalid JSON"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":"abc"})"),
             Catch::Contains("field 'price'"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":1.234})"),
             Catch::Contains("more than two decimal places"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":1e300})"),
             Catch::Contains("too large"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":-1})"),
             Catch::Contains("negative"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"yesterday","symbol":"A","price":1})"),
             Catch::Contains("field 'ts'"));
  CHECK_THAT(reason(R"({"type":"tick","symbol":"A","price":1})"),
             Catch::Contains("'ts' is missing"));
  CHECK_THAT(reason(R"({"ts":"2024-03-28T03:45:00Z"})"), Catch::Contains("'type' is missing"));
  CHECK_THAT(reason("[1,2]"), Catch::Contains("not a JSON object"));
  CHECK_THAT(reason(R"({"type":"tick"} x)"), Catch::Contains("invalid JSON"));
  CHECK_THAT(reason(R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":NaN})"),
             Catch::Contains("invalid JSON"));
}
