// Internal to the store: reading a query's rows into values, the loop every store function that
// returns rows would otherwise write again.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "store/database.h"

namespace sm::store {

// Every row stmt returns, each made by read(stmt). Fails with the first step that fails.
template <typename T, typename Read>
Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> out;
  while (true) {
    Result<bool> row = stmt.step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(stmt));
  }
}

// The first row stmt returns, made by read(stmt); nullopt when it returns none.
template <typename T, typename Read>
Result<std::optional<T>> first_row(Statement& stmt, Read read) {
  Result<bool> row = stmt.step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<T>();
  return std::optional<T>(read(stmt));
}

}  // namespace sm::store
