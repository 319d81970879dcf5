// Test helper (not installed): writes a database as a release three schema versions old left it
// (tests/unit/support/older_release_database.h) at the path given, so the program tests can check
// that the current programs upgrade it without losing a row. Prints the file's schema version.
// Exit 0 when written, 1 on failure, 2 without exactly one path.
#include <cstdio>
#include <string>

#include "../unit/support/older_release_database.h"
#include "sqlite/connection.h"
#include "store/schema.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sm-test-older-database PATH\n");
    return 2;
  }
  const sm::Status made = sm::testing::make_older_release_database(argv[1]);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.to_string().c_str());
    return 1;
  }
  std::printf("%d\n", sm::testing::older_release_version());
  return 0;
}
