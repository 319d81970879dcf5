// HttpClient over libcurl. One easy handle is reused for every request, so connections to the
// same host stay alive between calls (TLS set-up once, not per request).
//
// Transport failures are classified from the libcurl result and CURLINFO_REQUEST_SIZE, the number
// of request bytes libcurl handed to the socket for this transfer:
//   could not resolve/connect                -> kCouldNotConnect
//   timeout with 0 request bytes written     -> kTimeoutBeforeSend (connect or TLS not finished)
//   timeout with request bytes written       -> kTimeoutAfterSend (outcome unknown)
//   send/recv error, empty or broken reply   -> kConnectionLostAfterSend if any request byte was
//                                               written, else kCouldNotConnect
// Any written byte counts as "sent": a server might act on a request whose last bytes we think
// failed, so the classification errs toward "outcome unknown", never toward "safe to retry".
// A request with idempotent == false is sent on a fresh connection (CURLOPT_FRESH_CONNECT): on a
// reused connection libcurl re-sends a request by itself when the connection dies before any
// response byte, which must never happen to an order placement.
// Only https, or plain http to a loopback host, is ever requested (broker/url_policy.h): any other
// URL fails with kOther before a connection is made, and redirects are never followed.
#pragma once

#include <memory>
#include <string>

#include "broker/http_client.h"

namespace sm::broker {

class CurlHttpClient : public HttpClient {
 public:
  struct Options {
    std::string user_agent = "stalkmarket/0.1";
    // Honour http_proxy/https_proxy from the environment (never for 127.0.0.1/localhost). Off by
    // default so a stray proxy variable cannot reroute broker traffic.
    bool use_environment_proxy = false;
    // Verbose libcurl tracing to stderr, for debugging only (it would print the auth header).
    bool verbose = false;
  };

  CurlHttpClient();
  explicit CurlHttpClient(Options options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // Not thread-safe: one CurlHttpClient per thread.
  HttpOutcome send(const HttpRequest& request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sm::broker
