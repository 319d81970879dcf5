// The one-sm-order-per-database lock, and (from broker/settings.h) how sm-order and sm-reconcile
// reach the broker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/settings.h"
#include "core/status.h"

namespace sm::order {

// The broker settings moved to broker/settings.h; these names keep sm-order's code unchanged.
using broker::broker_url_problem;
using broker::BrokerConnection;
using broker::BrokerFlags;
using broker::BrokerSettings;
using broker::connect_broker;
using broker::initial_token;
using broker::load_broker_settings;

// An exclusive lock held while sm-order runs on a database (flock on "<db>.sm-order.lock"), so two
// order managers can never place the same intents. Released when the process ends, however it
// ends.
class ProcessLock {
 public:
  // kConflict when another process holds it; kIoError when the lock file cannot be opened.
  static Result<std::unique_ptr<ProcessLock>> acquire(const std::string& db_path);
  // Whether some process holds the lock now (for sm-reconcile --apply); false for ":memory:".
  static bool held_by_other(const std::string& db_path);
  ~ProcessLock();
  ProcessLock(const ProcessLock&) = delete;
  ProcessLock& operator=(const ProcessLock&) = delete;

 private:
  explicit ProcessLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace sm::order
