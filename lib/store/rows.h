// Internal to the store: reading a query's rows into values, the loop every store function that
// returns rows would otherwise write again.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/timestamp.h"
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

// A scan that a later call resumes where this one stopped.
// REQUIRES: stmt selects rows with id > ?1 in id order, column 0 the id and column 1 the time the
// row was recorded. Binds ?1 to after_id and calls visit(stmt, id, recorded_ms) for each row up to
// the first one recorded after recorded_to: that row is still on its way, so the scan stops before
// it and the next one looks at it again. Returns the id of the last row visited (after_id when
// none), where the next scan starts, or the first step that fails.
template <typename Visit>
Result<std::int64_t> scan_recorded(Statement& stmt, std::int64_t after_id, TimestampMs recorded_to,
                                   Visit visit) {
  stmt.bind(1, after_id);
  std::int64_t scanned_to = after_id;
  while (true) {
    Result<bool> row = stmt.step();
    if (!row.ok()) return row.status();
    if (!*row) return scanned_to;
    const TimestampMs recorded_ms = stmt.column_int64(1);
    if (recorded_ms > recorded_to) return scanned_to;
    scanned_to = stmt.column_int64(0);
    visit(stmt, scanned_to, recorded_ms);
  }
}

}  // namespace sm::store
