// A trading database of its own for a unit test, in a private temporary directory removed when the
// test ends: #include "support/temp_database.h".
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "store/database.h"
#include "support/temp_dir.h"

namespace sm::testing {

// The database at dir.file(name), opened and migrated to the latest schema; the constructor fails
// the test when it cannot be.
struct TempDatabase {
  explicit TempDatabase(const std::string& name = "stalk.db") {
    Result<store::Database> opened = store::Database::open(dir.file(name));
    REQUIRE(opened.ok());
    db = std::move(opened.value());
  }

  TempDir dir;
  store::Database db;
};

}  // namespace sm::testing
