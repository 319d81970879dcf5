#include "broker/ticker_client.h"

#include "broker/http_client.h"

#include <fmt/format.h>
#include <libwebsockets.h>

#include <chrono>
#include <cstring>
#include <deque>

namespace sm::broker {
namespace {

// A Kite frame of 3,000 full packets is 3000 * 186 + 2 bytes; anything far beyond that is not a
// ticker message and is refused rather than buffered.
constexpr std::size_t kMaxMessageBytes = 4 << 20;
constexpr lws_usec_t kPollInterval = 100 * LWS_US_PER_MS;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Session;

// The timer libwebsockets calls back; sul first, so the callback's pointer is the whole struct.
struct PollTimer {
  lws_sorted_usec_list_t sul{};
  Session* session = nullptr;
};

struct Session {
  Session(const TickerSessionOptions& o, TickerListener& l, const std::function<bool()>& s)
      : options(o), listener(l), should_stop(s) {}

  const TickerSessionOptions& options;
  TickerListener& listener;
  const std::function<bool()>& should_stop;
  lws_context* context = nullptr;
  lws* wsi = nullptr;
  PollTimer poll_timer;
  std::string message;
  std::deque<std::string> outgoing;
  std::int64_t started_ms = steady_ms();
  std::int64_t last_message_ms = 0;
  bool connected = false;
  bool finished = false;
  Status result;

  void finish(Status status) {
    if (finished) return;
    finished = true;
    result = std::move(status);
  }
};

Session* session_of(lws* wsi) {
  return static_cast<Session*>(lws_context_user(lws_get_context(wsi)));
}

// Does nothing but keep a timer pending: lws_service sleeps until its next scheduled event, and
// without this one that can be 30 s away; with it, the loop in run_ticker_session looks at the
// stop flag and the timeouts every kPollInterval.
void on_poll_timer(lws_sorted_usec_list_t* timer) {
  Session* session = reinterpret_cast<PollTimer*>(timer)->session;
  lws_sul_schedule(session->context, 0, timer, on_poll_timer, kPollInterval);
}

void check_stop_and_timeouts(Session& session) {
  const std::int64_t now = steady_ms();
  if (session.should_stop()) {
    session.finish(Status());
  } else if (session.connected && now - session.last_message_ms > session.options.data_timeout_ms) {
    session.finish(Status(ErrorCode::kTimeout, fmt::format("no message from the ticker for {} ms",
                                                           session.options.data_timeout_ms)));
  } else if (!session.connected && now - session.started_ms > session.options.connect_timeout_ms) {
    session.finish(Status(ErrorCode::kTimeout, fmt::format("no websocket handshake within {} ms",
                                                           session.options.connect_timeout_ms)));
  }
}

void queue_subscription(Session& session) {
  if (session.options.tokens.empty()) return;
  session.outgoing.push_back(encode_ticker_request(
      {TickerAction::kSubscribe, session.options.mode, session.options.tokens}));
  session.outgoing.push_back(
      encode_ticker_request({TickerAction::kMode, session.options.mode, session.options.tokens}));
}

int write_next(Session& session, lws* wsi) {
  if (session.outgoing.empty()) return 0;
  std::string& text = session.outgoing.front();
  std::string buffer(LWS_PRE + text.size(), '\0');
  std::memcpy(buffer.data() + LWS_PRE, text.data(), text.size());
  const int written = lws_write(wsi, reinterpret_cast<unsigned char*>(buffer.data() + LWS_PRE),
                                text.size(), LWS_WRITE_TEXT);
  if (written < static_cast<int>(text.size())) {
    session.finish(Status(ErrorCode::kNetworkError, "could not send to the ticker"));
    return -1;
  }
  session.outgoing.pop_front();
  if (!session.outgoing.empty()) lws_callback_on_writable(wsi);
  return 0;
}

int on_receive(Session& session, lws* wsi, const void* in, std::size_t length) {
  session.last_message_ms = steady_ms();
  if (session.message.size() + length > kMaxMessageBytes) {
    session.finish(Status(ErrorCode::kNetworkError,
                          fmt::format("ticker message over {} bytes", kMaxMessageBytes)));
    return -1;
  }
  session.message.append(static_cast<const char*>(in), length);
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
  if (lws_frame_is_binary(wsi)) {
    session.listener.on_binary(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(session.message.data()), session.message.size()));
  } else {
    session.listener.on_text(session.message);
  }
  session.message.clear();
  return 0;
}

int callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, std::size_t length) {
  Session* session = wsi ? session_of(wsi) : nullptr;
  if (session == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      session->connected = true;
      session->last_message_ms = steady_ms();
      queue_subscription(*session);
      session->listener.on_connected();
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      return on_receive(*session, wsi, in, length);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return write_next(*session, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      // Kite answers an expired or wrong token with 403 on the upgrade request.
      const unsigned int http_status = lws_http_client_http_response(wsi);
      const std::string why = in ? std::string(static_cast<const char*>(in), length) : "";
      if (http_status == 403) {
        session->finish(Status(ErrorCode::kAuthError,
                               "ticker handshake refused with HTTP 403 (TokenException): the "
                               "access token is expired or wrong"));
      } else {
        session->finish(
            Status(ErrorCode::kNetworkError,
                   fmt::format("ticker connection failed: {}{}", why.empty() ? "no detail" : why,
                               http_status ? fmt::format(" (HTTP {})", http_status) : "")));
      }
      session->wsi = nullptr;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      session->finish(Status(ErrorCode::kNetworkError, "the ticker closed the connection"));
      session->wsi = nullptr;
      return 0;
    default:
      return 0;
  }
}

const lws_protocols kProtocols[] = {
    {"kite-ticker", callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

Result<TickerEndpoint> parse_ticker_url(std::string_view url) {
  TickerEndpoint endpoint;
  std::string_view rest;
  if (url.starts_with("wss://")) {
    endpoint.tls = true;
    endpoint.port = 443;
    rest = url.substr(6);
  } else if (url.starts_with("ws://")) {
    endpoint.port = 80;
    rest = url.substr(5);
  } else {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("ticker URL '{}' is not ws:// or wss://", url));
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) endpoint.path = std::string(rest.substr(slash));
  if (endpoint.path.find('?') != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, "ticker URL must not carry a query string");
  }
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(colon + 1);
    int port = 0;
    if (digits.empty() || digits.size() > 5) {
      return Status(ErrorCode::kInvalidArgument, fmt::format("bad port in ticker URL '{}'", url));
    }
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return Status(ErrorCode::kInvalidArgument, fmt::format("bad port in ticker URL '{}'", url));
      }
      port = port * 10 + (c - '0');
    }
    if (port == 0 || port > 65535) {
      return Status(ErrorCode::kInvalidArgument, fmt::format("bad port in ticker URL '{}'", url));
    }
    endpoint.port = port;
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) {
    return Status(ErrorCode::kInvalidArgument, fmt::format("no host in ticker URL '{}'", url));
  }
  endpoint.host = std::string(authority);
  return endpoint;
}

Status run_ticker_session(const TickerSessionOptions& options, TickerListener& listener,
                          const std::function<bool()>& should_stop) {
  Result<TickerEndpoint> endpoint = parse_ticker_url(options.url);
  if (!endpoint.ok()) return endpoint.status();
  // libwebsockets logs to stderr in its own format; stderr is for one-line JSON diagnostics only.
  lws_set_log_level(0, nullptr);

  Session session(options, listener, should_stop);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.user = &session;
  if (endpoint->tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  session.context = lws_create_context(&info);
  if (session.context == nullptr) {
    return Status(ErrorCode::kInternal, "could not create a libwebsockets context");
  }

  const std::string path =
      fmt::format("{}?api_key={}&access_token={}", endpoint->path, url_encode(options.api_key),
                  url_encode(options.access_token));
  lws_client_connect_info connect;
  std::memset(&connect, 0, sizeof connect);
  connect.context = session.context;
  connect.address = endpoint->host.c_str();
  connect.port = endpoint->port;
  connect.path = path.c_str();
  connect.host = endpoint->host.c_str();
  connect.origin = endpoint->host.c_str();
  connect.ssl_connection = endpoint->tls ? LCCSCF_USE_SSL : 0;
  connect.local_protocol_name = kProtocols[0].name;
  connect.pwsi = &session.wsi;
  if (lws_client_connect_via_info(&connect) == nullptr && !session.finished) {
    session.finish(Status(ErrorCode::kNetworkError,
                          fmt::format("could not start a connection to {}", options.url)));
  }
  session.poll_timer.session = &session;
  lws_sul_schedule(session.context, 0, &session.poll_timer.sul, on_poll_timer, kPollInterval);
  while (!session.finished) {
    if (lws_service(session.context, 0) < 0) {
      session.finish(Status(ErrorCode::kNetworkError, "the websocket event loop failed"));
    }
    check_stop_and_timeouts(session);
  }
  lws_sul_cancel(&session.poll_timer.sul);
  lws_context_destroy(session.context);
  return session.result;
}

}  // namespace sm::broker
