// CurlHttpClient against raw local TCP servers: responses, keep-alive, and the classification of
// every transport failure that decides whether a request may be retried.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "broker/curl_http_client.h"
#include "tcp_test_server.h"

using namespace sm::broker;
using sm::test::TcpTestServer;

namespace {

// Serves every request on a connection with a 200 echo of the request line and body.
void echo_handler(int fd) {
  for (;;) {
    const std::string request = sm::test::read_http_request(fd);
    if (request.empty()) return;
    const std::string line = request.substr(0, request.find("\r\n"));
    const std::string body = request.substr(request.find("\r\n\r\n") + 4);
    std::string content_type;
    const size_t at = request.find("Content-Type: ");
    if (at != std::string::npos)
      content_type = request.substr(at + 14, request.find("\r\n", at) - at - 14);
    const std::string reply =
        "{\"line\":\"" + line + "\",\"body\":\"" + body + "\",\"type\":\"" + content_type + "\"}";
    sm::test::write_all(fd, sm::test::http_reply(200, reply));
  }
}

}  // namespace

TEST_CASE("a request gets status, lower-cased headers and body") {
  TcpTestServer server(echo_handler);
  CurlHttpClient client;
  HttpRequest request;
  request.method = HttpMethod::kPost;
  request.url = server.url("/orders/regular");
  request.set_form({{"tradingsymbol", "INFY"}, {"tag", "a b&c"}});
  request.headers.emplace_back("X-Kite-Version", "3");
  HttpOutcome outcome = client.send(request);
  REQUIRE(outcome.ok());
  CHECK(outcome.response().status == 200);
  CHECK(outcome.response().header("content-type") == "application/json");
  CHECK(outcome.response().header("Content-Type") == "application/json");
  CHECK(outcome.response().body.find("POST /orders/regular HTTP/1.1") != std::string::npos);
  CHECK(outcome.response().body.find("tradingsymbol=INFY&tag=a%20b%26c") != std::string::npos);
  CHECK(outcome.response().body.find("application/x-www-form-urlencoded") != std::string::npos);
}

TEST_CASE("PUT and DELETE use their methods, DELETE without a body sends none") {
  TcpTestServer server(echo_handler);
  CurlHttpClient client;
  HttpRequest put;
  put.method = HttpMethod::kPut;
  put.url = server.url("/orders/regular/1");
  put.set_form({{"price", "10.05"}});
  HttpOutcome p = client.send(put);
  REQUIRE(p.ok());
  CHECK(p.response().body.find("PUT /orders/regular/1") != std::string::npos);
  CHECK(p.response().body.find("price=10.05") != std::string::npos);
  HttpRequest del;
  del.method = HttpMethod::kDelete;
  del.url = server.url("/orders/regular/1?x=1");
  HttpOutcome d = client.send(del);
  REQUIRE(d.ok());
  CHECK(d.response().body.find("DELETE /orders/regular/1?x=1") != std::string::npos);
  CHECK(d.response().body.find("\"body\":\"\"") != std::string::npos);
}

TEST_CASE("idempotent requests reuse one kept-alive connection") {
  TcpTestServer server(echo_handler);
  CurlHttpClient client;
  for (int i = 0; i < 5; ++i) {
    HttpRequest get;
    get.url = server.url("/orders");
    REQUIRE(client.send(get).ok());
  }
  CHECK(server.accepted() == 1);
}

TEST_CASE("a refused connection is could_not_connect: nothing was sent") {
  int port = 0;
  {
    TcpTestServer closed([](int) {});
    port = closed.port();
  }  // closed: nothing listens on port any more
  CurlHttpClient client;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/orders";
  HttpOutcome outcome = client.send(request);
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().failure == TransportFailure::kCouldNotConnect);
  CHECK_FALSE(request_may_have_arrived(outcome.error().failure));
}

TEST_CASE("a server that reads the request and closes is connection_lost_after_send") {
  std::atomic<int> received{0};
  TcpTestServer server([&](int fd) {
    if (!sm::test::read_http_request(fd).empty()) ++received;
  });
  CurlHttpClient client;
  HttpRequest request;
  request.method = HttpMethod::kPost;
  request.idempotent = false;
  request.url = server.url("/orders/regular");
  request.set_form({{"quantity", "1"}});
  HttpOutcome outcome = client.send(request);
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().failure == TransportFailure::kConnectionLostAfterSend);
  CHECK(request_may_have_arrived(outcome.error().failure));
  CHECK(received == 1);
}

TEST_CASE("a server that never answers is timeout_after_send") {
  std::atomic<bool> release{false};
  TcpTestServer server([&](int fd) {
    sm::test::read_http_request(fd);
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  CurlHttpClient client;
  HttpRequest request;
  request.method = HttpMethod::kPost;
  request.idempotent = false;
  request.url = server.url("/orders/regular");
  request.timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  HttpOutcome outcome = client.send(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  release = true;
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().failure == TransportFailure::kTimeoutAfterSend);
  CHECK(elapsed < std::chrono::seconds(3));
}

TEST_CASE("a connection stuck in a full accept queue is timeout_before_send") {
  // listen(backlog 0) and never accept: the kernel completes at most one handshake; further SYNs
  // are dropped, so our connect cannot finish and no request byte is written.
  TcpTestServer server([](int) {}, 0, /*accept_connections=*/false);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(server.port()));
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CurlHttpClient client;
  HttpRequest request;
  request.url = server.url("/orders");
  request.timeout_ms = 1000;
  request.connect_timeout_ms = 300;
  HttpOutcome outcome = client.send(request);
  for (int fd : fillers) ::close(fd);
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().failure == TransportFailure::kTimeoutBeforeSend);
  CHECK_FALSE(request_may_have_arrived(outcome.error().failure));
}

// Regression: libcurl re-sends a request by itself when a reused keep-alive connection dies before
// any response byte. For POST /orders that is a second order. idempotent=false must prevent it.
TEST_CASE("a non-idempotent request is never re-sent by libcurl over a dead reused connection") {
  for (bool idempotent : {false, true}) {
    std::atomic<int> drops{0};
    TcpTestServer server([&](int fd) {
      for (;;) {
        const std::string request = sm::test::read_http_request(fd);
        if (request.empty()) return;
        if (request.find("/drop") != std::string::npos) {
          ++drops;
          return;  // read it, answer nothing, close
        }
        sm::test::write_all(fd, sm::test::http_reply(200, "{}"));
      }
    });
    CurlHttpClient client;
    HttpRequest warm;
    warm.url = server.url("/ok");
    REQUIRE(client.send(warm).ok());
    HttpRequest place;
    place.method = HttpMethod::kPost;
    place.url = server.url("/drop");
    place.set_form({{"quantity", "1"}});
    place.idempotent = idempotent;
    HttpOutcome outcome = client.send(place);
    REQUIRE_FALSE(outcome.ok());
    if (!idempotent) {
      CHECK(drops == 1);
      CHECK(server.accepted() == 2);  // the placement went over a fresh connection
      CHECK(outcome.error().failure == TransportFailure::kConnectionLostAfterSend);
    } else {
      CHECK(drops == 2);  // libcurl's own silent retry: why placements must set idempotent=false
    }
  }
}

TEST_CASE("url and form encoding") {
  CHECK(url_encode("NSE:INFY") == "NSE%3AINFY");
  CHECK(url_encode("a b+c~_.-") == "a%20b%2Bc~_.-");
  CHECK(form_encode({{"i", "NSE:NIFTY 50"}, {"i", "NSE:SBIN"}}) ==
        "i=NSE%3ANIFTY%2050&i=NSE%3ASBIN");
  CHECK(form_encode({}).empty());
}
