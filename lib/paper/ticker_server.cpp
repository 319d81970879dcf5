#include "paper/ticker_server.h"

#include <fmt/format.h>
#include <libwebsockets.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/ticker_client.h"
#include "broker/ticker_packets.h"
#include "paper/synthetic_depth.h"

namespace sm::paper {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint32_t wire(std::int64_t value) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(value, 0, std::numeric_limits<std::uint32_t>::max()));
}

struct Outgoing {
  std::string bytes;
  bool binary = false;
};

struct Connection {
  std::map<std::uint32_t, broker::TickerMode> subscriptions;
  std::map<std::uint32_t, std::int64_t> sent_update_seq;
  std::deque<Outgoing> outgoing;
  std::string message;  // fragments of the message being received
  std::int64_t last_sent_ms = 0;
  bool close = false;
};

// Sends Kite's answer to a bad token on the upgrade request itself: HTTP 403 with its error body.
constexpr char kTokenRefusal[] =
    R"({"status":"error","message":"Incorrect `api_key` or `access_token`.","error_type":"TokenException","data":null})";

}  // namespace

struct TickerServer::Impl {
  const InMemoryPriceSource& prices;
  TokenOf token_of;
  Authorizer authorize;
  TickerFaults& faults;
  TickerServerOptions options;
  const Logger* log;

  lws_context* context = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  int port = 0;

  // Touched only on the service thread.
  std::map<lws*, Connection> connections;
  std::map<std::uint32_t, std::pair<std::string, std::string>> instruments;  // token -> exch, sym
  std::size_t instruments_known = 0;
  std::int64_t last_pump_ms = 0;

  mutable std::mutex mutex;  // guards pending_orders, open
  std::vector<std::string> pending_orders;
  int open = 0;

  struct Timer {
    lws_sorted_usec_list_t sul{};
    Impl* impl = nullptr;
  } timer;

  Impl(const InMemoryPriceSource& p, TokenOf t, Authorizer a, TickerFaults& f,
       TickerServerOptions o, const Logger* l)
      : prices(p), token_of(std::move(t)), authorize(std::move(a)), faults(f), options(o), log(l) {}

  static Impl* of(lws* wsi) { return static_cast<Impl*>(lws_context_user(lws_get_context(wsi))); }

  void refresh_instruments() {
    std::vector<std::string> keys = prices.keys();
    if (keys.size() == instruments_known) return;
    for (const std::string& key : keys) {
      const std::size_t colon = key.find(':');
      if (colon == std::string::npos) continue;
      const std::string exchange = key.substr(0, colon);
      const std::string symbol = key.substr(colon + 1);
      instruments[static_cast<std::uint32_t>(token_of(exchange, symbol))] = {exchange, symbol};
    }
    instruments_known = keys.size();
  }

  bool allowed(lws* wsi) {
    char buffer[512];
    const char* api_key = lws_get_urlarg_by_name(wsi, "api_key=", buffer, sizeof buffer);
    const std::string key = api_key ? api_key : "";
    const char* access_token = lws_get_urlarg_by_name(wsi, "access_token=", buffer, sizeof buffer);
    const std::string token = access_token ? access_token : "";
    return authorize(key, token);
  }

  void send_text(Connection& connection, std::string text) {
    connection.outgoing.push_back({std::move(text), false});
  }

  void on_request(Connection& connection, std::string_view text) {
    Result<broker::TickerRequest> request = broker::parse_ticker_request(text);
    if (!request.ok()) {
      send_text(connection, broker::encode_ticker_text(
                                {broker::TickerTextKind::kError, request.status().message(), ""}));
      return;
    }
    switch (request->action) {
      case broker::TickerAction::kSubscribe: {
        std::size_t total = connection.subscriptions.size();
        for (std::uint32_t token : request->tokens)
          total += !connection.subscriptions.contains(token);
        if (total > broker::kTickerMaxTokensPerConnection) {
          send_text(connection,
                    broker::encode_ticker_text(
                        {broker::TickerTextKind::kError,
                         fmt::format("subscription refused: {} instruments on one connection, at "
                                     "most {} allowed",
                                     total, broker::kTickerMaxTokensPerConnection),
                         ""}));
          if (log) log->warn("ticker_subscribe_refused", {{"instruments", total}});
          return;
        }
        // Kite's SDKs assume quote mode until a mode message says otherwise.
        for (std::uint32_t token : request->tokens) {
          connection.subscriptions.try_emplace(token, broker::TickerMode::kQuote);
        }
        return;
      }
      case broker::TickerAction::kUnsubscribe:
        for (std::uint32_t token : request->tokens) {
          connection.subscriptions.erase(token);
          connection.sent_update_seq.erase(token);
        }
        return;
      case broker::TickerAction::kMode:
        for (std::uint32_t token : request->tokens) {
          auto it = connection.subscriptions.find(token);
          if (it != connection.subscriptions.end()) it->second = request->mode;
        }
        return;
    }
  }

  broker::TickerPacket packet_for(std::uint32_t token, broker::TickerMode mode,
                                  const MarketPrice& price, const std::string& exchange,
                                  const std::string& symbol) {
    broker::TickerPacket packet;
    packet.instrument_token = token;
    packet.mode = mode;
    packet.last_price = wire(price.last);
    if (mode == broker::TickerMode::kLtp) return packet;
    packet.last_trade_quantity = wire(price.interval_volume);
    packet.volume = wire(price.day_volume);
    packet.open = wire(price.day_open);
    packet.high = wire(price.day_high);
    packet.low = wire(price.day_low);
    packet.close = wire(price.previous_close);
    if (mode == broker::TickerMode::kQuote) return packet;
    packet.last_trade_time_s = wire(price.ts / 1000);
    packet.exchange_time_s = wire(price.ts / 1000);
    const Paise tick = options.tick_size ? options.tick_size(exchange, symbol, price.last)
                                         : nse_tick_for(price.last);
    const SyntheticDepth depth = synthesize_depth(price, tick > 0 ? tick : 1);
    packet.bids = depth.bids;
    packet.asks = depth.asks;
    packet.total_buy_quantity = depth.total_buy_quantity;
    packet.total_sell_quantity = depth.total_sell_quantity;
    return packet;
  }

  // Queues what changed for one connection; whether anything was queued.
  bool queue_prices(Connection& connection) {
    std::vector<broker::TickerPacket> packets;
    for (const auto& [token, mode] : connection.subscriptions) {
      auto instrument = instruments.find(token);
      if (instrument == instruments.end()) continue;
      std::optional<MarketPrice> price =
          prices.latest(instrument->second.first, instrument->second.second);
      if (!price) continue;
      std::int64_t& sent = connection.sent_update_seq[token];
      if (sent == price->update_seq) continue;
      sent = price->update_seq;
      packets.push_back(
          packet_for(token, mode, *price, instrument->second.first, instrument->second.second));
      if (packets.size() == 1000) {  // keeps one frame well under Kite's sizes
        connection.outgoing.push_back({broker::encode_ticker_frame(packets), true});
        packets.clear();
      }
    }
    if (!packets.empty())
      connection.outgoing.push_back({broker::encode_ticker_frame(packets), true});
    return !connection.outgoing.empty();
  }

  void pump() {
    const std::int64_t now = steady_ms();
    if (faults.take_drop()) {
      for (auto& [wsi, connection] : connections) connection.close = true;
      if (log && !connections.empty())
        log->info("ticker_fault_drop", {{"connections", connections.size()}});
    }
    const bool malformed = faults.take_malformed();
    std::vector<std::string> orders;
    {
      std::lock_guard<std::mutex> lock(mutex);
      orders.swap(pending_orders);
    }
    if (faults.stalled(now)) return;  // orders queued before the stall are sent after it
    refresh_instruments();
    for (auto& [wsi, connection] : connections) {
      for (const std::string& order : orders) send_text(connection, order);
      if (malformed) {
        // A frame claiming one packet of 12 bytes: no Kite packet has that length.
        connection.outgoing.push_back(
            {std::string("\x00\x01\x00\x0c", 4) + std::string(12, '\x01'), true});
      }
      queue_prices(connection);
      if (connection.outgoing.empty() && faults.heartbeats() &&
          now - connection.last_sent_ms >= options.heartbeat_ms) {
        connection.outgoing.push_back({broker::ticker_heartbeat(), true});
      }
      if (!connection.outgoing.empty() || connection.close) lws_callback_on_writable(wsi);
    }
    if (!orders.empty() && connections.empty() && log) {
      log->debug("ticker_orders_unsent", {{"orders", orders.size()}});
    }
  }

  static void on_timer(lws_sorted_usec_list_t* sul) {
    Impl* impl = reinterpret_cast<Timer*>(sul)->impl;
    impl->pump();
    lws_sul_schedule(impl->context, 0, sul, on_timer, impl->options.interval_ms * LWS_US_PER_MS);
  }

  int write_next(lws* wsi, Connection& connection) {
    if (connection.close) return -1;  // lws closes the connection
    if (connection.outgoing.empty()) return 0;
    Outgoing& next = connection.outgoing.front();
    std::string buffer(LWS_PRE + next.bytes.size(), '\0');
    std::memcpy(buffer.data() + LWS_PRE, next.bytes.data(), next.bytes.size());
    const int written =
        lws_write(wsi, reinterpret_cast<unsigned char*>(buffer.data() + LWS_PRE), next.bytes.size(),
                  next.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (written < static_cast<int>(next.bytes.size())) return -1;
    connection.outgoing.pop_front();
    connection.last_sent_ms = steady_ms();
    if (!connection.outgoing.empty()) lws_callback_on_writable(wsi);
    return 0;
  }

  int on_event(lws* wsi, lws_callback_reasons reason, void* in, std::size_t length) {
    switch (reason) {
      case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (allowed(wsi)) return 0;
        if (log) log->warn("ticker_handshake_refused", {{"reason", "TokenException"}});
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, kTokenRefusal);
        return 1;
      case LWS_CALLBACK_ESTABLISHED: {
        connections[wsi].last_sent_ms = steady_ms();
        std::lock_guard<std::mutex> lock(mutex);
        ++open;
        return 0;
      }
      case LWS_CALLBACK_RECEIVE: {
        auto it = connections.find(wsi);
        if (it == connections.end()) return 0;
        Connection& connection = it->second;
        if (connection.message.size() + length > (1u << 20)) return -1;  // not a ticker request
        connection.message.append(static_cast<const char*>(in), length);
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
        on_request(connection, connection.message);
        connection.message.clear();
        if (!connection.outgoing.empty()) lws_callback_on_writable(wsi);
        return 0;
      }
      case LWS_CALLBACK_SERVER_WRITEABLE: {
        auto it = connections.find(wsi);
        return it == connections.end() ? 0 : write_next(wsi, it->second);
      }
      case LWS_CALLBACK_CLOSED:
        if (connections.erase(wsi) > 0) {
          std::lock_guard<std::mutex> lock(mutex);
          --open;
        }
        return 0;
      default:
        return 0;
    }
  }

  static int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
                      std::size_t length) {
    if (wsi == nullptr) return 0;
    Impl* impl = of(wsi);
    return impl ? impl->on_event(wsi, reason, in, length) : 0;
  }
};

TickerServer::TickerServer(const InMemoryPriceSource& prices, TokenOf token_of,
                           Authorizer authorize, TickerFaults& faults, TickerServerOptions options,
                           const Logger* log)
    : impl_(std::make_unique<Impl>(prices, std::move(token_of), std::move(authorize), faults,
                                   options, log)) {}

TickerServer::~TickerServer() { stop(); }

Result<int> TickerServer::start() {
  if (impl_->context != nullptr) return impl_->port;
  static const lws_protocols kServerProtocols[] = {
      {"kite-ticker", Impl::callback, 0, 4096, 0, nullptr, 0},
      {nullptr, nullptr, 0, 0, 0, nullptr, 0},
  };
  lws_set_log_level(0, nullptr);  // stderr carries only our JSON lines
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = impl_->options.port;
  info.iface = "127.0.0.1";
  info.vhost_name = "ticker";
  info.protocols = kServerProtocols;
  info.gid = -1;
  info.uid = -1;
  info.user = impl_.get();
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  impl_->context = lws_create_context(&info);
  if (impl_->context == nullptr) {
    return Status(ErrorCode::kIoError,
                  fmt::format("ticker: cannot listen on 127.0.0.1:{}", impl_->options.port));
  }
  lws_vhost* vhost = lws_get_vhost_by_name(impl_->context, "ticker");
  impl_->port = vhost ? lws_get_vhost_listen_port(vhost) : 0;
  if (impl_->port <= 0) {
    lws_context_destroy(impl_->context);
    impl_->context = nullptr;
    return Status(ErrorCode::kIoError, "ticker: no listening port");
  }
  impl_->timer.impl = impl_.get();
  lws_sul_schedule(impl_->context, 0, &impl_->timer.sul, Impl::on_timer,
                   impl_->options.interval_ms * LWS_US_PER_MS);
  impl_->thread = std::thread([impl = impl_.get()] {
    while (!impl->stopping.load()) {
      if (lws_service(impl->context, 0) < 0) break;
    }
  });
  return impl_->port;
}

void TickerServer::stop() {
  if (impl_->context == nullptr) return;
  impl_->stopping = true;
  lws_cancel_service(impl_->context);
  if (impl_->thread.joinable()) impl_->thread.join();
  lws_sul_cancel(&impl_->timer.sul);
  lws_context_destroy(impl_->context);
  impl_->context = nullptr;
}

void TickerServer::publish_order(std::string order_json) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->pending_orders.push_back(
      broker::encode_ticker_text({broker::TickerTextKind::kOrder, "", std::move(order_json)}));
}

int TickerServer::connections() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->open;
}

}  // namespace sm::paper
