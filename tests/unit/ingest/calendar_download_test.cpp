#include "ingest/calendar_download.h"

#include <catch2/catch.hpp>
#include <deque>

namespace {

// Answers requests in order from a script and keeps them.
class ScriptedHttp : public sm::broker::HttpClient {
 public:
  sm::broker::HttpOutcome send(const sm::broker::HttpRequest& request) override {
    requests.push_back(request);
    sm::broker::HttpOutcome next = answers.front();
    answers.pop_front();
    return next;
  }
  std::deque<sm::broker::HttpOutcome> answers;
  std::vector<sm::broker::HttpRequest> requests;
};

sm::broker::HttpResponse response(int status, std::string body,
                                  sm::broker::HttpHeaders headers = {}) {
  sm::broker::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string header(const sm::broker::HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (n == name) return v;
  }
  return "";
}

const sm::ingest::HolidayListSource kLocal{"http://127.0.0.1:9/api/holiday-master?type=trading",
                                           "http://127.0.0.1:9/holidays"};

}  // namespace

TEST_CASE("the list is asked for with the page's cookies, as Referer, like a browser",
          "[ingest][calendar_download]") {
  ScriptedHttp http;
  http.answers = {response(200, "<html>",
                           {{"set-cookie", "nsit=s1; Path=/; HttpOnly"},
                            {"content-type", "text/html"},
                            {"set-cookie", "bm_sv=x2; Secure"}}),
                  response(200, R"({"CM":[]})")};
  auto list = sm::ingest::download_holiday_list(http, kLocal);
  REQUIRE(list.ok());
  CHECK(*list == R"({"CM":[]})");
  REQUIRE(http.requests.size() == 2);
  CHECK(http.requests[0].url == kLocal.page_url);
  const sm::broker::HttpRequest& api = http.requests[1];
  CHECK(api.url == kLocal.list_url);
  CHECK(header(api, "Cookie") == "nsit=s1; bm_sv=x2");
  CHECK(header(api, "Referer") == kLocal.page_url);
  CHECK(header(api, "User-Agent").rfind("Mozilla/5.0", 0) == 0);
  CHECK(header(api, "Accept").rfind("application/json", 0) == 0);
}

TEST_CASE("a failed page is only a missing cookie; a refused list is an error naming the status",
          "[ingest][calendar_download]") {
  ScriptedHttp http;
  http.answers = {response(403, ""), response(401, R"({"message":"Unauthorized"})")};
  auto refused = sm::ingest::download_holiday_list(http, kLocal);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == sm::ErrorCode::kNetworkError);
  CHECK(refused.status().message().find("HTTP 401") != std::string::npos);
  CHECK(header(http.requests[1], "Cookie").empty());
  http.answers = {sm::broker::HttpError{sm::broker::TransportFailure::kCouldNotConnect, "refused"}};
  auto down = sm::ingest::download_holiday_list(http, {kLocal.list_url, ""});
  CHECK(down.status().code() == sm::ErrorCode::kNetworkError);
  http.answers = {response(200, "")};
  CHECK_FALSE(sm::ingest::download_holiday_list(http, {kLocal.list_url, ""}).ok());
}

TEST_CASE("the list is never fetched in clear from another host", "[ingest][calendar_download]") {
  ScriptedHttp http;
  auto clear = sm::ingest::download_holiday_list(http, {"http://example.com/list.csv", ""});
  CHECK(clear.status().code() == sm::ErrorCode::kInvalidArgument);
  auto page = sm::ingest::download_holiday_list(
      http, {"https://example.com/list.csv", "http://example.com/page"});
  CHECK(page.status().code() == sm::ErrorCode::kInvalidArgument);
  CHECK(http.requests.empty());
}

TEST_CASE("NSE's own URL gets NSE's holiday page; other URLs none", "[ingest][calendar_download]") {
  CHECK(sm::ingest::default_page_url(sm::ingest::kNseHolidayListUrl) ==
        sm::ingest::kNseHolidayPageUrl);
  CHECK(sm::ingest::default_page_url("https://example.com/holidays.csv").empty());
}
