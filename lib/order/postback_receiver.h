// Kite postbacks for sm-order (reference §1.8): an HTTP endpoint the broker POSTs order updates
// to. Each body's checksum is verified with the api secret (anyone can reach a URL); verified
// ones are kept as hints that an order changed, which the order manager follows at once instead
// of at its next poll. A postback is never the record itself: the order's history at the broker
// is, so a lost, late, repeated or reordered postback changes nothing but timing.
// Kite posts only to a public HTTPS URL registered for the app: put a TLS reverse proxy in front
// of this listener (docs/ORDERS.md "Postbacks"); sm-paper posts to it directly.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/status.h"

namespace sm::order {

struct PostbackHint {
  std::string order_id;  // the broker's
  std::string tag;       // our client order id, when the order carries one
  std::string status;    // COMPLETE, CANCELLED, REJECTED or UPDATE
};

class PostbackReceiver {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port
    std::string path = "/postback";
    std::string api_secret;
  };
  struct Counters {
    std::int64_t accepted = 0;
    std::int64_t refused = 0;  // bad checksum or malformed
  };

  PostbackReceiver(Options options, const Logger* log);
  ~PostbackReceiver();  // stop()
  PostbackReceiver(const PostbackReceiver&) = delete;
  PostbackReceiver& operator=(const PostbackReceiver&) = delete;

  // Binds and serves on a thread of its own. Returns the port. Errors: kIoError (cannot bind).
  Result<int> start();
  void stop();
  // The verified postbacks since the last call, oldest first.
  std::vector<PostbackHint> take();
  Counters counters() const;

 private:
  struct Server;
  Options options_;
  const Logger* log_;
  mutable std::mutex mutex_;
  std::vector<PostbackHint> hints_;
  Counters counters_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace sm::order
