// Postbacks from the paper broker, as Kite sends them (reference §1.8): on COMPLETE, CANCELLED,
// REJECTED and UPDATE (an open order modified), POST <url> with the order JSON as the raw body plus
// user_id, app_id, unfilled_quantity and the checksum signed with the api secret. Delivery runs on
// its own thread over libcurl, so the engine never waits for the receiver; like Kite's, a postback
// is sent once and a failure is logged, not retried (the client must poll anyway).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "broker/types.h"
#include "core/log.h"

namespace sm::paper {

// The status a postback for this stored order state carries, or nullopt when Kite sends none
// (PUT ORDER REQ RECEIVED, VALIDATION PENDING, an OPEN order that was not modified, ...).
std::optional<std::string> postback_status(const broker::Order& order);

class PostbackSender {
 public:
  struct Options {
    std::string url;
    std::string user_id;
    std::int64_t app_id = 0;
    std::string api_secret;
    std::int64_t timeout_ms = 5000;
  };
  struct Counters {
    std::int64_t sent = 0;    // answered 2xx
    std::int64_t failed = 0;  // transport failure or non-2xx
  };

  PostbackSender(Options options, const Logger* log);
  ~PostbackSender();  // stop()
  PostbackSender(const PostbackSender&) = delete;
  PostbackSender& operator=(const PostbackSender&) = delete;

  // Queues the postback for order if it warrants one. Quick; safe from any thread.
  void on_order(const broker::Order& order);
  // Delivers what is queued (each once), then ends the thread.
  void stop();
  Counters counters() const;

 private:
  void deliver_all();

  Options options_;
  const Logger* log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> bodies_;
  bool stopping_ = false;
  Counters counters_;
  std::thread thread_;
};

}  // namespace sm::paper
