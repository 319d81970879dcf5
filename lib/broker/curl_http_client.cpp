#include "broker/curl_http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>

#include "broker/url_policy.h"

namespace sm::broker {
namespace {

void global_init_once() {
  static std::once_flag once;
  // curl_global_init is not thread-safe on its own; call_once makes it so for our process.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  body->append(data, size * count);
  return size * count;
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // A status line starts a new header block (after "100 Continue" or a redirect): start over.
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  headers->emplace_back(std::move(name), std::string(value));
  return size * count;
}

TransportFailure classify(CURLcode code, long request_bytes) {
  const bool sent = request_bytes > 0;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::kCouldNotConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return sent ? TransportFailure::kTimeoutAfterSend : TransportFailure::kTimeoutBeforeSend;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
      return sent ? TransportFailure::kConnectionLostAfterSend : TransportFailure::kCouldNotConnect;
    default:
      return sent ? TransportFailure::kConnectionLostAfterSend : TransportFailure::kOther;
  }
}

}  // namespace

struct CurlHttpClient::Impl {
  Options options;
  CURL* handle = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

CurlHttpClient::CurlHttpClient() : CurlHttpClient(Options{}) {}

CurlHttpClient::CurlHttpClient(Options options) : impl_(std::make_unique<Impl>()) {
  global_init_once();
  impl_->options = std::move(options);
  impl_->handle = curl_easy_init();
}

CurlHttpClient::~CurlHttpClient() {
  if (impl_->handle != nullptr) curl_easy_cleanup(impl_->handle);
}

namespace {

void set_transfer_options(CURL* h, const HttpRequest& request,
                          const CurlHttpClient::Options& options) {
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts: we run threads
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  // send() refuses unsafe URLs itself; these make libcurl refuse them too, redirects included.
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, allowed_protocols_for(request.url));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  // gzip only: Kite compresses with gzip (the instrument dump). Offering every encoding libcurl
  // knows ("") lets cpp-httplib in sm-paper choose brotli at its slowest quality: about 0.7 s of
  // server CPU for a 500-order book, which turned order-book lookups into timeouts.
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_VERBOSE, options.verbose ? 1L : 0L);
  if (options.use_environment_proxy) {
    curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
  } else {
    curl_easy_setopt(h, CURLOPT_PROXY, "");  // "" disables proxies, including the environment's
  }
  if (!request.idempotent) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
}

void set_method(CURL* h, const HttpRequest& request) {
  switch (request.method) {
    case HttpMethod::kGet:
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
      break;
    case HttpMethod::kPost:
    case HttpMethod::kPut:
    case HttpMethod::kDelete:
      if (!request.body.empty() || request.method != HttpMethod::kDelete) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      }
      if (request.method != HttpMethod::kPost) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                         request.method == HttpMethod::kPut ? "PUT" : "DELETE");
      }
      break;
  }
}

// The caller frees the list after the transfer.
curl_slist* header_list_for(const HttpRequest& request) {
  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    header_list = curl_slist_append(header_list, fmt::format("{}: {}", name, value).c_str());
  }
  if (!request.body.empty() && !request.content_type.empty()) {
    header_list = curl_slist_append(header_list, ("Content-Type: " + request.content_type).c_str());
  }
  // No "Expect: 100-continue" round trip for larger bodies.
  header_list = curl_slist_append(header_list, "Expect:");
  return header_list;
}

HttpError transport_error(CURL* h, CURLcode code, const HttpRequest& request,
                          const char* error_buffer) {
  long request_bytes = 0;
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_bytes);
  const TransportFailure failure = classify(code, request_bytes);
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  // The query string is left out: logout carries the access token there.
  const std::string_view url = std::string_view(request.url).substr(0, request.url.find('?'));
  return HttpError{failure, fmt::format("{} {}: {} ({}, {} request bytes sent)",
                                        http_method_name(request.method), url, detail,
                                        transport_failure_name(failure), request_bytes)};
}

}  // namespace

HttpOutcome CurlHttpClient::send(const HttpRequest& request) {
  CURL* h = impl_->handle;
  if (h == nullptr) return HttpError{TransportFailure::kOther, "curl_easy_init failed"};
  if (Status safe = check_secret_safe_url(request.url, "request URL"); !safe.ok())
    return HttpError{TransportFailure::kOther, safe.message()};
  // Options persist on an easy handle; reset clears them but keeps the connection cache, which
  // is what makes keep-alive work across requests.
  curl_easy_reset(h);

  HttpResponse response;
  impl_->error_buffer[0] = '\0';
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, impl_->error_buffer);
  set_transfer_options(h, request, impl_->options);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  set_method(h, request);
  curl_slist* header_list = header_list_for(request);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);

  const CURLcode code = curl_easy_perform(h);
  curl_slist_free_all(header_list);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);

  if (code != CURLE_OK) return transport_error(h, code, request, impl_->error_buffer);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace sm::broker
