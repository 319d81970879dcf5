// The HttpClient port: one request in, one response or one transport failure out. KiteBroker
// talks to the broker only through it; CurlHttpClient is the real implementation, tests may use
// it against local servers or replace it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sm::broker {

enum class HttpMethod { kGet, kPost, kPut, kDelete };
std::string_view http_method_name(HttpMethod method);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;
using FormParams = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string url;  // absolute, query string included
  HttpHeaders headers;
  std::string body;
  std::string content_type;                // sent as Content-Type when body is not empty
  std::int64_t timeout_ms = 7000;          // whole request, connect included (Kite SDKs use 7 s)
  std::int64_t connect_timeout_ms = 3000;  // TCP (and TLS) connection set-up
  // false for requests that must not run twice (placing an order). The client then never sends
  // them over a reused keep-alive connection: libcurl silently re-sends a request whose reused
  // connection died before any response byte, which for a POST /orders could place it twice.
  bool idempotent = true;

  // Sets body and content type for an application/x-www-form-urlencoded body.
  void set_form(const FormParams& params);
  // Sets body and content type for a JSON body (already serialised).
  void set_json(std::string json);
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased
  std::string body;
  // The first header named name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// How a request failed below HTTP. The distinction that matters is whether the server may have
// received the request: before-send failures are safe to retry for any request; after-send
// failures leave the outcome unknown.
enum class TransportFailure {
  kCouldNotConnect,          // DNS, refused, unreachable: nothing was sent
  kTimeoutBeforeSend,        // timed out while connecting: nothing was sent
  kTimeoutAfterSend,         // request (or part of it) sent, no complete response in time
  kConnectionLostAfterSend,  // request sent, connection closed or reset before a full response
  kOther,                    // anything else (TLS setup, bad URL); nothing usable was sent
};
std::string_view transport_failure_name(TransportFailure failure);
// True for kTimeoutAfterSend and kConnectionLostAfterSend.
bool request_may_have_arrived(TransportFailure failure);

struct HttpError {
  TransportFailure failure = TransportFailure::kOther;
  std::string message;
};

// A response (any HTTP status, 4xx and 5xx included) or a transport error.
class HttpOutcome {
 public:
  HttpOutcome(HttpResponse response) : response_(std::move(response)) {}
  HttpOutcome(HttpError error) : error_(std::move(error)) {}
  bool ok() const { return response_.has_value(); }
  // REQUIRES: ok().
  const HttpResponse& response() const { return *response_; }
  // REQUIRES: !ok().
  const HttpError& error() const { return *error_; }

 private:
  std::optional<HttpResponse> response_;
  std::optional<HttpError> error_;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and waits for the whole response. Never throws.
  virtual HttpOutcome send(const HttpRequest& request) = 0;
};

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);
// "a=1&b=x%20y": the form encoding Kite expects for query strings and POST/PUT bodies.
// Spaces become %20 (Kite accepts both %20 and +).
std::string form_encode(const FormParams& params);

}  // namespace sm::broker
