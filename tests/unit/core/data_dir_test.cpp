#include <catch2/catch.hpp>

#include <string>

#include "core/data_dir.h"

using namespace sm;

TEST_CASE("an installed program prefers the data directory under its own prefix") {
  // Regression: programs installed with `make install PREFIX=/opt/x` looked only in the source
  // tree and the build-time prefix, so without the source tree every order was denied
  // CALENDAR_UNAVAILABLE.
  const auto directories = data_directories_for("/opt/x/bin/sm-risk");
  REQUIRE(directories.size() >= 2);
  CHECK(directories.front() == "/opt/x/share/stalkmarket");
  CHECK(directories.back() == SM_DATA_DIR);
}

TEST_CASE("a program of the build tree prefers the source tree's data") {
  const auto directories = data_directories_for(std::string(SM_BUILD_DIR) + "/bin/sm-risk");
  REQUIRE_FALSE(directories.empty());
  CHECK(directories.front() == SM_DATA_DIR);
  CHECK(directories.size() == 2);
}

TEST_CASE("an unknown program path gives the compiled-in places") {
  const auto directories = data_directories_for("");
  REQUIRE(directories.size() == 2);
  CHECK(directories[0] == SM_INSTALLED_DATA_DIR);
  CHECK(directories[1] == SM_DATA_DIR);
}

TEST_CASE("the running test program is in the build tree and finds the source data first") {
  CHECK(data_file_candidates("nse-calendar.csv").front() ==
        std::string(SM_DATA_DIR) + "/nse-calendar.csv");
}
