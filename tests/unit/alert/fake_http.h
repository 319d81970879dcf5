// An HttpClient that records every request and answers from a script (the last answer repeats).
#pragma once

#include <deque>
#include <vector>

#include "broker/http_client.h"

namespace sm::testing {

class ScriptedHttp : public broker::HttpClient {
 public:
  void answer(int status, std::string body, broker::HttpHeaders headers = {}) {
    broker::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    answers_.emplace_back(std::move(response));
  }
  void fail(broker::TransportFailure failure) {
    answers_.emplace_back(broker::HttpError{failure, "connect to 127.0.0.1 failed"});
  }
  broker::HttpOutcome send(const broker::HttpRequest& request) override {
    requests.push_back(request);
    if (answers_.empty()) {
      broker::HttpResponse ok;
      ok.status = 200;
      return ok;
    }
    broker::HttpOutcome next = answers_.front();
    if (answers_.size() > 1) answers_.pop_front();
    return next;
  }

  std::vector<broker::HttpRequest> requests;

 private:
  std::deque<broker::HttpOutcome> answers_;
};

}  // namespace sm::testing
