#include "order/postback_receiver.h"

#include <httplib.h>

#include "broker/kite_json.h"

namespace sm::order {

struct PostbackReceiver::Server {
  httplib::Server http;
};

PostbackReceiver::PostbackReceiver(Options options, const Logger* log)
    : options_(std::move(options)), log_(log) {}

PostbackReceiver::~PostbackReceiver() { stop(); }

Result<int> PostbackReceiver::start() {
  server_ = std::make_unique<Server>();
  // Kite sends the order as a raw JSON body; the content type is not relied upon.
  server_->http.Post(options_.path, [this](const httplib::Request& req, httplib::Response& res) {
    Result<broker::Order> order = broker::parse_verified_postback(req.body, options_.api_secret);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!order.ok()) {
      ++counters_.refused;
      if (log_ != nullptr) {
        log_->warn("postback_refused",
                   {{"remote", req.remote_addr}, {"message", order.status().message()}});
      }
      res.status = order.status().code() == ErrorCode::kAuthError ? 401 : 400;
      res.set_content("{\"status\":\"error\"}", "application/json");
      return;
    }
    ++counters_.accepted;
    hints_.push_back(PostbackHint{order->order_id, order->tag, order->status});
    res.status = 200;
    res.set_content("{\"status\":\"success\"}", "application/json");
  });
  const int port =
      options_.port == 0
          ? server_->http.bind_to_any_port(options_.host)
          : (server_->http.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0) {
    return error(ErrorCode::kIoError, "postbacks: cannot listen on " + options_.host + ":" +
                                          std::to_string(options_.port));
  }
  thread_ = std::thread([this] { server_->http.listen_after_bind(); });
  return port;
}

void PostbackReceiver::stop() {
  if (server_) server_->http.stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<PostbackHint> PostbackReceiver::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<PostbackHint> taken;
  taken.swap(hints_);
  return taken;
}

PostbackReceiver::Counters PostbackReceiver::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

}  // namespace sm::order
