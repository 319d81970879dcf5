#include "paper/postback_sender.h"

#include "broker/curl_http_client.h"
#include "broker/kite_json.h"

namespace sm::paper {

std::optional<std::string> postback_status(const broker::Order& order) {
  if (order.status == broker::kStatusComplete || order.status == broker::kStatusCancelled ||
      order.status == broker::kStatusRejected) {
    return order.status;
  }
  const bool open =
      order.status == broker::kStatusOpen || order.status == broker::kStatusTriggerPending;
  if (open && (order.modified || order.filled_quantity > 0)) return std::string("UPDATE");
  return std::nullopt;
}

PostbackSender::PostbackSender(Options options, const Logger* log)
    : options_(std::move(options)), log_(log), thread_([this] { deliver_all(); }) {}

PostbackSender::~PostbackSender() { stop(); }

void PostbackSender::on_order(const broker::Order& order) {
  std::optional<std::string> status = postback_status(order);
  if (!status) return;
  broker::Order sent = order;
  sent.status = *status;
  std::string body =
      broker::postback_to_json(sent, options_.user_id, options_.app_id, options_.api_secret).dump();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    bodies_.push_back(std::move(body));
  }
  wake_.notify_one();
}

void PostbackSender::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

PostbackSender::Counters PostbackSender::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

void PostbackSender::deliver_all() {
  broker::CurlHttpClient http;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !bodies_.empty(); });
    if (bodies_.empty()) return;  // stopping, nothing left
    std::string body = std::move(bodies_.front());
    bodies_.pop_front();
    lock.unlock();
    broker::HttpRequest request;
    request.method = broker::HttpMethod::kPost;
    request.url = options_.url;
    request.set_json(std::move(body));
    request.timeout_ms = options_.timeout_ms;
    broker::HttpOutcome outcome = http.send(request);
    const bool delivered = outcome.ok() && outcome.response().status / 100 == 2;
    if (log_ != nullptr && !delivered) {
      log_->warn("postback_failed", {{"url", options_.url},
                                     {"http_status", outcome.ok() ? outcome.response().status : 0},
                                     {"message", outcome.ok() ? "receiver answered non-2xx"
                                                              : outcome.error().message}});
    }
    lock.lock();
    ++(delivered ? counters_.sent : counters_.failed);
  }
}

}  // namespace sm::paper
