// sm-order's catch-up from the store (issue 11: nothing lost between stages). The risk gateway
// stores every approval with its order intent (risk_decisions.order_json) before writing the
// intent on; a FIFO whose reader died, or a gateway killed between storing and writing, leaves an
// approval whose intent sm-order never recorded. IntentCatchUp finds those and hands each to the
// OrderManager: placed (submit) while young enough, else expired (recorded as such, never placed
// late).
#pragma once

#include <cstdint>

#include "core/log.h"
#include "core/status.h"
#include "order/order_manager.h"
#include "store/database.h"

namespace sm::order {

struct CatchUpOptions {
  // An approval older than this when found is expired instead of placed; 0 = never expires.
  // sm-order uses order.max_queue_ms: the same limit an intent queued in memory has.
  std::int64_t max_age_ms = 120000;
  // Approvals younger than this are left alone: their intent may still be on its way on stdin
  // (a repeat would be harmless, but a --paper-prices replay must see the bar first).
  std::int64_t grace_ms = 2000;
};

struct CatchUpCounts {
  std::int64_t submitted = 0;
  std::int64_t expired = 0;
  std::int64_t undecodable = 0;  // stored intents that did not decode (logged once each scan)
};

class IntentCatchUp {
 public:
  // REQUIRES: db, manager and log outlive the catch-up.
  IntentCatchUp(store::Database& db, OrderManager& manager, CatchUpOptions options,
                const Logger& log);

  // Looks at the approvals stored since the last call (all of them the first time) that were
  // recorded by now - grace_ms and whose intent is not in orders, oldest first: submits each one
  // at most max_age_ms old, expires the others. Fails only on database errors.
  //
  // Age is measured on one clock at a time, never the wall clock against market time: now (the
  // wall clock) minus when the approval was recorded (the gateway's wall clock), and, when
  // event_now is known (> 0: the latest market time sm-order has seen on its input), event_now
  // minus the intent's own time (the market time it was decided at, which under sm-risk
  // --event-time is the replay's). The older of the two counts. Live, both say the same; in a
  // replay (decisions years old by the wall clock) the recorded time keeps it from expiring
  // everything, and the market time keeps a replay run at speed from placing, market-minutes
  // later, what the wall clock calls young.
  Status run(TimestampMs now, TimestampMs event_now = 0);

  const CatchUpCounts& counts() const { return counts_; }

 private:
  store::Database& db_;
  OrderManager& manager_;
  CatchUpOptions options_;
  const Logger& log_;
  std::int64_t scanned_to_ = 0;
  CatchUpCounts counts_;
};

}  // namespace sm::order
