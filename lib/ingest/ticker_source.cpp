#include "ingest/ticker_source.h"

#include <algorithm>
#include <random>

#include "broker/kite_json.h"
#include "broker/ticker_packets.h"

namespace sm::ingest {
namespace {

// Hands decoded packets to the live feed; polls it (bar closing, batch commits, heartbeat) on every
// message, heartbeats included, which arrive at least every few seconds.
class FeedListener final : public broker::TickerListener {
 public:
  FeedListener(const TickerSourceOptions& options, LiveFeed& feed, const time::Clock& clock,
               const Logger& log, TickerSourceCounts& counts)
      : options_(options), feed_(feed), clock_(clock), log_(log), counts_(counts) {}

  void on_connected() override {
    ++counts_.connections;
    connected_ = true;
    feed_.set_connected(true);
    log_.info("ticker_connected", {{"instruments", options_.session.tokens.size()},
                                   {"mode", broker::ticker_mode_name(options_.session.mode)}});
  }

  void on_binary(std::span<const std::uint8_t> message) override {
    Result<broker::TickerFrame> frame = broker::decode_ticker_frame(message);
    if (!frame.ok()) {
      ++counts_.malformed;
      log_.warn("ticker_malformed_frame",
                {{"bytes", message.size()}, {"message", frame.status().message()}});
    } else if (frame->heartbeat) {
      ++counts_.heartbeats;
    } else {
      ++counts_.frames;
      const TimestampMs now = clock_.now_ms();
      for (const broker::TickerPacket& packet : frame->packets) {
        auto symbol = options_.symbols.find(packet.instrument_token);
        if (symbol == options_.symbols.end()) {
          ++counts_.unknown_tokens;
          continue;
        }
        ++counts_.packets;
        if (packet.bids[0].quantity > 0 || packet.asks[0].quantity > 0) ++counts_.depth_packets;
        keep(feed_.on_tick(tick_from_packet(packet, symbol->second, now)));
      }
    }
    tend();
  }

  void on_text(std::string_view message) override {
    Result<broker::TickerText> text = broker::parse_ticker_text(message);
    if (!text.ok()) {
      log_.warn("ticker_malformed_text", {{"message", text.status().message()}});
    } else if (text->kind == broker::TickerTextKind::kOrder) {
      ++counts_.order_updates;
      Result<broker::Order> order = broker::parse_postback(text->order_json);
      if (order.ok()) {
        log_.info("ticker_order_update",
                  {{"order_id", order->order_id}, {"status", order->status}, {"tag", order->tag}});
        if (options_.on_order) options_.on_order(text->order_json);
      } else {
        log_.warn("ticker_malformed_text", {{"message", order.status().message()}});
      }
    } else {
      log_.warn(text->kind == broker::TickerTextKind::kError ? "ticker_error" : "ticker_message",
                {{"message", text->text}});
    }
    tend();
  }

  // The feed's first store failure: it ends the source.
  const Status& failure() const { return failure_; }
  bool connected() const { return connected_; }
  void disconnected() {
    if (connected_) feed_.set_connected(false);
    connected_ = false;
  }

 private:
  void keep(const Status& status) {
    if (!status.ok() && failure_.ok()) failure_ = status;
  }
  void tend() {
    keep(feed_.poll());
    if (feed_.heartbeat_due()) keep(feed_.beat());
  }

  const TickerSourceOptions& options_;
  LiveFeed& feed_;
  const time::Clock& clock_;
  const Logger& log_;
  TickerSourceCounts& counts_;
  Status failure_;
  bool connected_ = false;
};

// Reconnect waits are cut into slices this long so that options.alive keeps being called and a
// stop is noticed.
constexpr std::int64_t kWaitSliceMs = 100;

}  // namespace

std::int64_t reconnect_delay_ms(const TickerSourceOptions& options, int attempt, double unit) {
  std::int64_t delay = options.initial_backoff_ms;
  for (int i = 0; i < attempt && delay < options.max_backoff_ms; ++i) delay *= 2;
  delay = std::min(delay, options.max_backoff_ms);
  return static_cast<std::int64_t>(static_cast<double>(delay) * (0.5 + 0.5 * unit));
}

Tick tick_from_packet(const broker::TickerPacket& packet, std::string symbol,
                      TimestampMs received_ms) {
  Tick tick;
  tick.symbol = std::move(symbol);
  tick.ts = packet.exchange_time_s != 0 ? static_cast<TimestampMs>(packet.exchange_time_s) * 1000
                                        : received_ms;
  tick.price = broker::ticker_price_to_paise(packet.last_price, packet.segment());
  tick.qty = packet.last_trade_quantity;
  tick.volume = packet.volume;
  return tick;
}

Status run_ticker_source(const TickerSourceOptions& options, LiveFeed& feed,
                         const time::Clock& clock, const Logger& log,
                         const std::function<bool()>& should_stop,
                         const std::function<void(std::int64_t)>& sleep,
                         TickerSourceCounts& counts) {
  std::vector<std::string> symbols;
  for (const auto& [token, symbol] : options.symbols) symbols.push_back(symbol);
  feed.watch(symbols);
  std::mt19937_64 random(options.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int attempt = 0;
  const std::function<bool()> stop_or_alive = [&options, &should_stop] {
    if (options.alive) options.alive();
    return should_stop();
  };
  while (!stop_or_alive()) {
    FeedListener listener(options, feed, clock, log, counts);
    // The session polls this every 100 ms from its event loop: the loop's pass.
    Status ended = broker::run_ticker_session(options.session, listener, stop_or_alive);
    const bool had_connection = listener.connected();
    listener.disconnected();
    if (!listener.failure().ok()) return listener.failure();
    if (ended.ok()) break;  // asked to stop
    if (ended.code() == ErrorCode::kAuthError || ended.code() == ErrorCode::kInvalidArgument) {
      return ended;
    }
    if (had_connection) attempt = 0;  // a connection that was up starts the backoff afresh
    const std::int64_t delay = reconnect_delay_ms(options, attempt, unit(random));
    log.warn("ticker_disconnected", {{"code", error_code_name(ended.code())},
                                     {"message", ended.message()},
                                     {"reconnect_in_ms", delay}});
    if (Status polled = feed.poll(); !polled.ok()) return polled;
    if (feed.heartbeat_due()) SM_RETURN_IF_ERROR(feed.beat());
    for (std::int64_t left = delay; left > 0 && !stop_or_alive(); left -= kWaitSliceMs) {
      sleep(std::min(left, kWaitSliceMs));
    }
    ++attempt;
  }
  return Status();
}

}  // namespace sm::ingest
