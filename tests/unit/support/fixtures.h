// The test fixture files under tests/fixtures (tests/CMakeLists.txt passes their directory as
// SM_TEST_FIXTURES): #include "support/fixtures.h".
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace sm::testing {

// The bytes of the fixture at relative (e.g. "ingest/x.csv"); fails the test when it cannot be
// read.
inline std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(SM_TEST_FIXTURES) + "/" + relative, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace sm::testing
