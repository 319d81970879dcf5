#include "store/durability.h"

#include <fmt/format.h>

namespace sm::store {

Status require_durable(const Database& db, std::string_view operation) {
  if (db.synchronous() == Synchronous::kFull || db.path() == ":memory:" || db.sync_deferred()) {
    return Status();
  }
  return error(ErrorCode::kInvalidArgument,
               fmt::format("{}: refused on a connection with synchronous={} ({}); orders, fills "
                           "and audit records need FULL",
                           operation, synchronous_name(db.synchronous()), db.path()));
}

}  // namespace sm::store
