#include "order/catch_up.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "store/trading_records.h"

namespace sm::order {

IntentCatchUp::IntentCatchUp(store::Database& db, OrderManager& manager, CatchUpOptions options,
                             const Logger& log)
    : db_(db), manager_(manager), options_(options), log_(log) {}

Status IntentCatchUp::run(TimestampMs now, TimestampMs event_now) {
  Result<store::IntentScan> scan =
      store::approvals_without_order(db_, scanned_to_, now - options_.grace_ms);
  if (!scan.ok()) return scan.status();
  scanned_to_ = scan->scanned_to;
  if (scan->undecodable > 0) {
    counts_.undecodable += scan->undecodable;
    log_.error("intent_undecodable",
               {{"count", scan->undecodable},
                {"message", "stored order intents of approvals that do not decode: not placed"}});
  }
  // The young ones are recorded in one commit (OrderManager::submit_all), then placed.
  std::vector<OrderIntent> to_submit;
  for (const store::UnrecordedIntent& found : scan->unrecorded) {
    std::int64_t age_ms = now - found.decided_ms;
    if (event_now > 0 && found.intent.ts > 0)
      age_ms = std::max(age_ms, event_now - found.intent.ts);
    const std::string& id = found.intent.client_order_id;
    if (options_.max_age_ms > 0 && age_ms > options_.max_age_ms) {
      ++counts_.expired;
      SM_RETURN_IF_ERROR(manager_.expire(
          found.intent,
          fmt::format("approved {} s ago and never received by sm-order: expired (limit {} s), "
                      "not placed late",
                      age_ms / 1000, options_.max_age_ms / 1000)));
      continue;
    }
    ++counts_.submitted;
    log_.info("intent_caught_up", {{"client_order_id", id}, {"age_ms", age_ms}});
    to_submit.push_back(found.intent);
  }
  if (to_submit.empty()) return Status();
  return manager_.submit_all(to_submit);
}

}  // namespace sm::order
