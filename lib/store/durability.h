// Internal to the store: the guard that keeps orders, fills, positions and audit tables on
// synchronous=FULL connections (docs/SCHEMA.md, "Durability").
#pragma once

#include <string_view>

#include "core/status.h"
#include "store/database.h"

namespace sm::store {

// Ok when db commits with synchronous=FULL (or is an in-memory database, where durability does not
// apply, or is inside a DeferredSync scope, whose owner answers for it); otherwise
// kInvalidArgument naming the operation.
Status require_durable(const Database& db, std::string_view operation);

}  // namespace sm::store
