#include "sqlite/connection.h"

#include <catch2/catch.hpp>

#include "support/temp_dir.h"

using sm::sqlite::Connection;
using sm::sqlite::Migration;

namespace {

constexpr Migration kTwoSteps[] = {
    {"notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT"},
    {"note authors", "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''"},
};

}  // namespace

TEST_CASE("a connection applies no schema until migrated, then only the missing steps") {
  auto db = Connection::open(":memory:");
  REQUIRE(db.ok());
  CHECK(*db->schema_version() == 0);
  REQUIRE(db->migrate(std::span(kTwoSteps).first(1)).ok());
  CHECK(*db->schema_version() == 1);
  REQUIRE(db->execute("INSERT INTO notes (text) VALUES ('kept')").ok());
  REQUIRE(db->migrate(kTwoSteps).ok());
  CHECK(*db->schema_version() == 2);
  CHECK(*db->query_int64("SELECT count(*) FROM notes WHERE author = ''") == 1);
}

TEST_CASE("a failing migration is rolled back and names its step") {
  constexpr Migration broken[] = {
      {"notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY) STRICT; CREATE TABLE notes (x)"}};
  auto db = Connection::open(":memory:");
  REQUIRE(db.ok());
  sm::Status migrated = db->migrate(broken);
  REQUIRE_FALSE(migrated.ok());
  CHECK_THAT(migrated.message(), Catch::Contains("migration to version 1 (notes)"));
  CHECK(*db->schema_version() == 0);
  CHECK(*db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'notes'") == 0);
}

TEST_CASE("a file migrated further than the program knows is refused") {
  sm::testing::TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto db = Connection::open(path);
    REQUIRE(db.ok());
    REQUIRE(db->migrate(kTwoSteps).ok());
  }
  auto db = Connection::open(path);
  REQUIRE(db.ok());
  sm::Status migrated = db->migrate(std::span(kTwoSteps).first(1));
  REQUIRE_FALSE(migrated.ok());
  CHECK(migrated.code() == sm::ErrorCode::kDatabaseError);
  CHECK_THAT(migrated.message(), Catch::Contains(path));
}

TEST_CASE("reset keeps or clears the bindings as asked") {
  auto db = Connection::open(":memory:");
  REQUIRE(db.ok());
  auto select = db->prepare("SELECT ?1, ?2");
  REQUIRE(select.ok());
  select->bind(1, std::int64_t{7}).bind(2, std::int64_t{8});
  REQUIRE(*select->step());
  select->reset_keeping_bindings();
  select->bind(2, std::int64_t{9});
  REQUIRE(*select->step());
  CHECK(select->column_int64(0) == 7);
  CHECK(select->column_int64(1) == 9);
  select->reset();
  REQUIRE(*select->step());
  CHECK(select->column_is_null(0));
}
