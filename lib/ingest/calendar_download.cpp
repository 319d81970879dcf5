#include "ingest/calendar_download.h"

#include <fmt/format.h>

#include "broker/url_policy.h"

namespace sm::ingest {
namespace {

// What a browser sends; NSE refuses requests without a browser's User-Agent.
constexpr std::string_view kUserAgent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
    "Safari/537.36";
constexpr std::int64_t kTimeoutMs = 30000;

broker::HttpRequest browser_request(const std::string& url, std::string_view accept) {
  broker::HttpRequest request;
  request.url = url;
  request.timeout_ms = kTimeoutMs;
  request.connect_timeout_ms = 10000;
  request.headers = {{"User-Agent", std::string(kUserAgent)},
                     {"Accept", std::string(accept)},
                     {"Accept-Language", "en-US,en;q=0.9"}};
  return request;
}

// "a=1; b=2" from the Set-Cookie headers of response: each cookie's name=value, its attributes
// (path, expiry, ...) dropped, which is all a single follow-up request needs.
std::string cookies_of(const broker::HttpResponse& response) {
  std::string cookies;
  for (const auto& [name, value] : response.headers) {
    if (name != "set-cookie") continue;
    const std::string pair = value.substr(0, value.find(';'));
    if (pair.find('=') == std::string::npos) continue;
    if (!cookies.empty()) cookies += "; ";
    cookies += pair;
  }
  return cookies;
}

}  // namespace

std::string default_page_url(std::string_view list_url) {
  return list_url.starts_with("https://www.nseindia.com/") ? std::string(kNseHolidayPageUrl)
                                                           : std::string();
}

Result<std::string> download_holiday_list(broker::HttpClient& http,
                                          const HolidayListSource& source) {
  SM_RETURN_IF_ERROR(broker::check_secret_safe_url(source.list_url, "--url"));
  if (!source.page_url.empty()) {
    SM_RETURN_IF_ERROR(broker::check_secret_safe_url(source.page_url, "--page-url"));
  }
  std::string cookies;
  if (!source.page_url.empty()) {
    broker::HttpOutcome page =
        http.send(browser_request(source.page_url, "text/html,application/xhtml+xml,*/*;q=0.8"));
    if (page.ok() && page.response().status >= 200 && page.response().status < 300) {
      cookies = cookies_of(page.response());
    }
  }
  broker::HttpRequest request =
      browser_request(source.list_url, "application/json, text/plain, */*");
  if (!source.page_url.empty()) request.headers.emplace_back("Referer", source.page_url);
  if (!cookies.empty()) request.headers.emplace_back("Cookie", cookies);
  broker::HttpOutcome list = http.send(request);
  if (!list.ok()) {
    return error(
        ErrorCode::kNetworkError,
        fmt::format("{}: {} ({})", source.list_url,
                    broker::transport_failure_name(list.error().failure), list.error().message));
  }
  if (list.response().status != 200) {
    return error(ErrorCode::kNetworkError,
                 fmt::format("{}: HTTP {}", source.list_url, list.response().status));
  }
  if (list.response().body.empty()) {
    return error(ErrorCode::kNetworkError, fmt::format("{}: an empty answer", source.list_url));
  }
  return list.response().body;
}

}  // namespace sm::ingest
