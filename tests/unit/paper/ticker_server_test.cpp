// The paper ticker websocket against the real client (broker/ticker_client) on 127.0.0.1:
// subscription and modes, the 3,000-instrument limit, the 403 on a bad token, order messages,
// heartbeats and the stream faults.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/ticker_client.h"
#include "paper/ticker_server.h"

using namespace sm;
using namespace sm::paper;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kInfyToken = 408065;
constexpr std::uint32_t kTcsToken = 2953217;

// Collects what the client receives, thread-safe.
class Recorder final : public broker::TickerListener {
 public:
  void on_connected() override { connects.fetch_add(1); }
  void on_binary(std::span<const std::uint8_t> message) override {
    std::lock_guard<std::mutex> lock(mutex);
    Result<broker::TickerFrame> frame = broker::decode_ticker_frame(message);
    if (!frame.ok()) {
      ++malformed;
    } else if (frame->heartbeat) {
      ++heartbeats;
    } else {
      for (const broker::TickerPacket& packet : frame->packets) packets.push_back(packet);
    }
  }
  void on_text(std::string_view message) override {
    std::lock_guard<std::mutex> lock(mutex);
    Result<broker::TickerText> text = broker::parse_ticker_text(message);
    if (text.ok()) texts.push_back(*text);
  }

  template <typename Predicate>
  bool wait_for(Predicate predicate) {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (predicate()) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::mutex mutex;
  std::vector<broker::TickerPacket> packets;
  std::vector<broker::TickerText> texts;
  int heartbeats = 0;
  int malformed = 0;
  std::atomic<int> connects{0};
};

struct Rig {
  InMemoryPriceSource prices;
  TickerFaults faults;
  TickerServer server{prices,
                      [](std::string_view, std::string_view symbol) -> std::int64_t {
                        return symbol == "INFY" ? kInfyToken : kTcsToken;
                      },
                      [](std::string_view key, std::string_view token) {
                        return key == "paper-key" && token == "paper-token";
                      },
                      faults,
                      TickerServerOptions{0, 20, 200, {}},
                      nullptr};
  int port = 0;

  Rig() {
    Result<int> started = server.start();
    REQUIRE(started.ok());
    port = *started;
  }

  broker::TickerSessionOptions session(std::vector<std::uint32_t> tokens,
                                       broker::TickerMode mode) const {
    broker::TickerSessionOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    options.api_key = "paper-key";
    options.access_token = "paper-token";
    options.tokens = std::move(tokens);
    options.mode = mode;
    options.data_timeout_ms = 2000;
    return options;
  }
};

// Runs a client session on its own thread until stopped; its outcome is in result.
class Client {
 public:
  Client(broker::TickerSessionOptions options, Recorder& recorder)
      : thread_([this, options = std::move(options), &recorder] {
          result = broker::run_ticker_session(options, recorder, [this] { return stop_.load(); });
          done = true;
        }) {}
  ~Client() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Status result;
  std::atomic<bool> done{false};

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("the ticker streams subscribed prices in the requested mode", "[ticker]") {
  Rig rig;
  Recorder recorder;
  Client client(rig.session({kInfyToken}, broker::TickerMode::kFull), recorder);
  REQUIRE(recorder.wait_for([&] { return recorder.connects.load() == 1; }));
  Tick tick;
  tick.ts = 1'767'240'000'000;  // 2026-01-01 04:00:00Z
  tick.symbol = "INFY";
  tick.price = 150'025;
  tick.qty = 7;
  tick.volume = 1000;
  rig.prices.apply_tick("NSE", tick);
  tick.symbol = "TCS";  // not subscribed: never sent
  rig.prices.apply_tick("NSE", tick);
  REQUIRE(recorder.wait_for([&] { return !recorder.packets.empty(); }));
  client.finish();
  CHECK(client.result.ok());
  REQUIRE(recorder.packets.size() == 1);
  const broker::TickerPacket& packet = recorder.packets[0];
  CHECK(packet.instrument_token == kInfyToken);
  CHECK(packet.mode == broker::TickerMode::kFull);
  CHECK(packet.last_price == 150'025);
  CHECK(packet.last_trade_quantity == 7);
  CHECK(packet.volume == 1000);
  CHECK(packet.exchange_time_s == 1'767'240'000);
  // The synthetic book (paper/synthetic_depth.h): NSE tick of 5 paise, 7 shares a level step.
  CHECK(packet.bids[0] == broker::TickerDepthLevel{7, 150'020, 1});
  CHECK(packet.asks[4] == broker::TickerDepthLevel{35, 150'050, 5});
  CHECK(packet.total_buy_quantity == 105);
  CHECK(packet.total_sell_quantity == 105);
}

TEST_CASE("the ticker sends heartbeats when nothing else flows", "[ticker]") {
  Rig rig;
  Recorder recorder;
  Client client(rig.session({kInfyToken}, broker::TickerMode::kLtp), recorder);
  CHECK(recorder.wait_for([&] { return recorder.heartbeats >= 2; }));
  client.finish();
  CHECK(client.result.ok());
}

TEST_CASE("a bad access token is refused with 403 on the handshake", "[ticker]") {
  Rig rig;
  Recorder recorder;
  broker::TickerSessionOptions options = rig.session({kInfyToken}, broker::TickerMode::kQuote);
  options.access_token = "expired";
  Status status = broker::run_ticker_session(options, recorder, [] { return false; });
  CHECK(status.code() == ErrorCode::kAuthError);
  CHECK(recorder.connects.load() == 0);
}

TEST_CASE("3,001 instruments on one connection are refused with an error message", "[ticker]") {
  Rig rig;
  Recorder recorder;
  std::vector<std::uint32_t> tokens;
  for (std::uint32_t i = 1; i <= 3000; ++i) tokens.push_back(i << 8 | 1);
  SECTION("3,000 are accepted") {
    Client client(rig.session(tokens, broker::TickerMode::kQuote), recorder);
    REQUIRE(recorder.wait_for([&] { return recorder.connects.load() == 1; }));
    REQUIRE(recorder.wait_for([&] { return recorder.heartbeats >= 1; }));
    CHECK(recorder.texts.empty());
  }
  SECTION("3,001 are refused as a whole and the connection stays open") {
    tokens.push_back(kInfyToken);
    Client client(rig.session(tokens, broker::TickerMode::kQuote), recorder);
    REQUIRE(recorder.wait_for([&] { return !recorder.texts.empty(); }));
    CHECK(recorder.texts[0].kind == broker::TickerTextKind::kError);
    CHECK_THAT(recorder.texts[0].text, Catch::Contains("3001 instruments"));
    Tick tick;
    tick.ts = 1'767'240'000'000;
    tick.symbol = "INFY";
    tick.price = 150'000;
    rig.prices.apply_tick("NSE", tick);
    REQUIRE(recorder.wait_for([&] { return recorder.heartbeats >= 2; }));
    CHECK(recorder.packets.empty());  // INFY was in the refused subscription
    client.finish();
    CHECK(client.result.ok());
  }
}

TEST_CASE("order updates reach every connection as order text messages", "[ticker]") {
  Rig rig;
  Recorder recorder;
  Client client(rig.session({kInfyToken}, broker::TickerMode::kQuote), recorder);
  REQUIRE(recorder.wait_for([&] { return recorder.connects.load() == 1; }));
  REQUIRE(recorder.wait_for([&] { return rig.server.connections() == 1; }));
  rig.server.publish_order(R"({"order_id":"260101000000001","status":"COMPLETE"})");
  REQUIRE(recorder.wait_for([&] { return !recorder.texts.empty(); }));
  CHECK(recorder.texts[0].kind == broker::TickerTextKind::kOrder);
  CHECK(recorder.texts[0].order_json == R"({"order_id":"260101000000001","status":"COMPLETE"})");
}

TEST_CASE("stream faults: a malformed frame, a drop, silence", "[ticker]") {
  Rig rig;
  Recorder recorder;
  SECTION("a malformed frame reaches the client, which decodes it to an error") {
    Client client(rig.session({kInfyToken}, broker::TickerMode::kQuote), recorder);
    REQUIRE(recorder.wait_for([&] { return recorder.connects.load() == 1; }));
    REQUIRE(rig.faults.apply({{"malformed", true}}).ok());
    CHECK(recorder.wait_for([&] { return recorder.malformed == 1; }));
  }
  SECTION("a drop closes the connection") {
    Client client(rig.session({kInfyToken}, broker::TickerMode::kQuote), recorder);
    REQUIRE(recorder.wait_for([&] { return recorder.connects.load() == 1; }));
    REQUIRE(rig.faults.apply({{"drop", true}}).ok());
    REQUIRE(recorder.wait_for([&] { return client.done.load(); }));
    CHECK(client.result.code() == ErrorCode::kNetworkError);
  }
  SECTION("without heartbeats an idle connection times out") {
    REQUIRE(rig.faults.apply({{"heartbeats", false}}).ok());
    broker::TickerSessionOptions options = rig.session({kInfyToken}, broker::TickerMode::kQuote);
    options.data_timeout_ms = 300;
    Status status = broker::run_ticker_session(options, recorder, [] { return false; });
    CHECK(status.code() == ErrorCode::kTimeout);
  }
  SECTION("a stall sends nothing, heartbeats included, for its length") {
    broker::TickerSessionOptions options = rig.session({kInfyToken}, broker::TickerMode::kQuote);
    options.data_timeout_ms = 400;
    REQUIRE(rig.faults.apply({{"stall_ms", 5000}}).ok());
    const auto give_up =
        std::chrono::steady_clock::now() + 3s;  // without the stall: ok, not timeout
    Status status = broker::run_ticker_session(
        options, recorder, [&] { return std::chrono::steady_clock::now() > give_up; });
    CHECK(status.code() == ErrorCode::kTimeout);
    CHECK(recorder.heartbeats == 0);
  }
  SECTION("bad fault settings are refused") {
    CHECK_FALSE(rig.faults.apply({{"stall_ms", -1}}).ok());
    CHECK_FALSE(rig.faults.apply({{"drop", 1}}).ok());
    CHECK_FALSE(rig.faults.apply({{"explode", true}}).ok());
  }
}
