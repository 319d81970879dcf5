#include "broker/http_client.h"

#include <algorithm>

namespace sm::broker {

std::string_view http_method_name(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string_view transport_failure_name(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kCouldNotConnect:
      return "could_not_connect";
    case TransportFailure::kTimeoutBeforeSend:
      return "timeout_before_send";
    case TransportFailure::kTimeoutAfterSend:
      return "timeout_after_send";
    case TransportFailure::kConnectionLostAfterSend:
      return "connection_lost_after_send";
    case TransportFailure::kOther:
      return "transport_error";
  }
  return "transport_error";
}

bool request_may_have_arrived(TransportFailure failure) {
  return failure == TransportFailure::kTimeoutAfterSend ||
         failure == TransportFailure::kConnectionLostAfterSend;
}

void HttpRequest::set_form(const FormParams& params) {
  body = form_encode(params);
  content_type = "application/x-www-form-urlencoded";
}

void HttpRequest::set_json(std::string json) {
  body = std::move(json);
  content_type = "application/json";
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(),
                   [&](char a, char b) { return lower(a) == lower(b); })) {
      return value;
    }
  }
  return std::nullopt;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

std::string form_encode(const FormParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += url_encode(key);
    out.push_back('=');
    out += url_encode(value);
  }
  return out;
}

}  // namespace sm::broker
