// The schema, as an ordered list of forward-only migrations. Migration i (0-based) takes a database
// from PRAGMA user_version i to i + 1. Released migrations are never edited: a change is a new
// migration appended to the list (docs/SCHEMA.md, "Migrations").
#pragma once

#include <span>

#include "sqlite/connection.h"

namespace sm::store {

using sqlite::Migration;

std::span<const Migration> schema_migrations();

}  // namespace sm::store
