// Which URLs may carry the access token: regression for "broker.base_url and --broker-url accept
// http:// for any host".
#include <catch2/catch.hpp>

#include "broker/curl_http_client.h"
#include "broker/url_policy.h"

using namespace sm::broker;

TEST_CASE("https to any host and plain http to a loopback host are accepted") {
  for (const char* url :
       {"https://api.kite.trade", "https://api.kite.trade/", "HTTPS://api.kite.trade:443/x",
        "http://127.0.0.1:8765", "http://localhost:9/", "http://LOCALHOST", "http://[::1]:8765"}) {
    INFO(url);
    CHECK(check_secret_safe_url(url, "--broker-url").ok());
  }
}

TEST_CASE("plain http to a remote host is refused: it would send the access token in clear") {
  for (const char* url :
       {"http://api.kite.trade", "http://10.0.0.5:8765", "http://127.0.0.1@example.com/",
        "http://127.0.0.2", "http://localhost.example.com"}) {
    INFO(url);
    const sm::Status status = check_secret_safe_url(url, "broker.base_url");
    CHECK(status.code() == sm::ErrorCode::kInvalidArgument);
    CHECK(status.message().find("broker.base_url") != std::string::npos);
    CHECK(status.message().find("https") != std::string::npos);
  }
}

TEST_CASE("a string that is not an http(s) URL with a host is refused") {
  for (const char* url : {"not a url", "", "api.kite.trade", "ftp://api.kite.trade",
                          "file:///etc/passwd", "https://", "//api.kite.trade"}) {
    INFO(url);
    CHECK(check_secret_safe_url(url, "--broker-url").code() == sm::ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a refusal never repeats the query string, which may hold the access token") {
  const sm::Status status =
      check_secret_safe_url("http://example.com/session/token?access_token=SECRET", "request URL");
  REQUIRE(!status.ok());
  CHECK(status.message().find("SECRET") == std::string::npos);
}

TEST_CASE("libcurl is limited to https, and http only for a loopback host") {
  CHECK(std::string(allowed_protocols_for("https://api.kite.trade")) == "https");
  CHECK(std::string(allowed_protocols_for("http://api.kite.trade")) == "https");
  CHECK(std::string(allowed_protocols_for("http://127.0.0.1:8765")) == "http,https");
}

TEST_CASE("CurlHttpClient refuses plain http to a remote host without connecting") {
  CurlHttpClient client;
  HttpRequest request;
  request.url = "http://192.0.2.1:9/orders";  // TEST-NET-1: nothing answers there
  request.connect_timeout_ms = 60000;
  HttpOutcome outcome = client.send(request);
  REQUIRE(!outcome.ok());
  CHECK(outcome.error().failure == TransportFailure::kOther);
  CHECK(outcome.error().message.find("https") != std::string::npos);
}
