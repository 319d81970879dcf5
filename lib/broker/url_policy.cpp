#include "broker/url_policy.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <optional>

namespace sm::broker {
namespace {

struct UrlParts {
  std::string scheme;
  std::string host;
};

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

std::optional<std::string> url_part(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || text == nullptr) return std::nullopt;
  std::string copy(text);
  curl_free(text);
  return copy;
}

// libcurl's own parser, so the host we judge is the host libcurl connects to (userinfo such as
// "http://127.0.0.1@example.com" included).
std::optional<UrlParts> parse(std::string_view text) {
  std::unique_ptr<CURLU, CurlUrlDeleter> url(curl_url());
  if (url == nullptr) return std::nullopt;
  const std::string copy(text);
  if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return std::nullopt;
  std::optional<std::string> scheme = url_part(url.get(), CURLUPART_SCHEME);
  std::optional<std::string> host = url_part(url.get(), CURLUPART_HOST);
  if (!scheme || !host || host->empty()) return std::nullopt;
  for (char& c : *scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return UrlParts{std::move(*scheme), std::move(*host)};
}

std::string_view without_query(std::string_view url) { return url.substr(0, url.find('?')); }

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (host == "127.0.0.1" || host == "[::1]" || host == "::1") return true;
  if (host.size() != 9) return false;
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != "localhost"[i]) return false;
  }
  return true;
}

Status check_secret_safe_url(std::string_view url, std::string_view what) {
  std::optional<UrlParts> parts = parse(url);
  if (!parts) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{} '{}' is not an absolute http(s) URL with a host", what,
                             without_query(url)));
  }
  if (parts->scheme == "https") return Status();
  if (parts->scheme == "http") {
    if (is_loopback_host(parts->host)) return Status();
    return error(
        ErrorCode::kInvalidArgument,
        fmt::format(
            "{} '{}' must use https: plain http is allowed only to 127.0.0.1, "
            "localhost or [::1] (what it carries, a secret or data we act on, would travel in "
            "clear)",
            what, without_query(url)));
  }
  return error(ErrorCode::kInvalidArgument,
               fmt::format("{} '{}' must be an https URL (http only to 127.0.0.1, localhost or "
                           "[::1])",
                           what, without_query(url)));
}

const char* allowed_protocols_for(std::string_view url) {
  std::optional<UrlParts> parts = parse(url);
  return parts && parts->scheme == "http" && is_loopback_host(parts->host) ? "http,https" : "https";
}

}  // namespace sm::broker
