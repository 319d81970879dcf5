#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "broker/token_file.h"
#include "core/secrets.h"
#include "support/temp_dir.h"

using namespace sm;
using namespace sm::broker;

TEST_CASE("a written token file reads back, is 0600, and read_secret understands it too") {
  testing::TempDir dir;
  const std::string path = dir.file("sub/kite_token");
  REQUIRE(write_token_file(path, {"tok123", 1711598400000, "AB1234"}).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  Result<AccessToken> t = read_token_file(path);
  REQUIRE(t.ok());
  CHECK(t->access_token == "tok123");
  CHECK(t->issued_at == 1711598400000);
  CHECK(t->user_id == "AB1234");
  Result<std::string> via_secrets = read_secret("SM_KITE_ACCESS_TOKEN", path);
  if (!std::getenv("SM_KITE_ACCESS_TOKEN")) {
    REQUIRE(via_secrets.ok());
    CHECK(*via_secrets == "tok123");
  }
  // Rewriting replaces the content; no temporary file is left behind.
  REQUIRE(write_token_file(path, {"tok456", 0, ""}).ok());
  CHECK(read_token_file(path)->access_token == "tok456");
  CHECK(read_token_file(path)->issued_at == 0);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
}

TEST_CASE(
    "an unsafe, missing or broken token file is refused with a reason that does not leak it") {
  testing::TempDir dir;
  const std::string path = dir.file("kite_token");
  CHECK(read_token_file(path).status().code() == ErrorCode::kNotFound);
  {
    std::ofstream f(path);
    f << "SM_KITE_ACCESS_TOKEN=secretvalue\n";
  }
  ::chmod(path.c_str(), 0644);
  Result<AccessToken> unsafe = read_token_file(path);
  CHECK(unsafe.status().code() == ErrorCode::kPermissionDenied);
  ::chmod(path.c_str(), 0600);
  CHECK(read_token_file(path).ok());
  {
    std::ofstream f(path);
    f << "this line has secretvalue but no equals sign\n";
  }
  Result<AccessToken> broken = read_token_file(path);
  CHECK(broken.status().code() == ErrorCode::kConfigError);
  CHECK(broken.status().message().find("secretvalue") == std::string::npos);
  CHECK(broken.status().message().find(":1:") != std::string::npos);
  {
    std::ofstream f(path);
    f << "SM_KITE_USER_ID=AB\n";
  }
  CHECK(read_token_file(path).status().code() == ErrorCode::kConfigError);
}

TEST_CASE("the watcher reports the file once per change, including a file that appears later") {
  testing::TempDir dir;
  const std::string path = dir.file("kite_token");
  TokenWatcher watcher(path);
  CHECK_FALSE(watcher.poll().has_value());  // absent
  REQUIRE(write_token_file(path, {"first", 0, ""}).ok());
  std::optional<Result<AccessToken>> seen = watcher.poll();
  REQUIRE(seen.has_value());
  REQUIRE(seen->ok());
  CHECK((*seen)->access_token == "first");
  CHECK_FALSE(watcher.poll().has_value());                  // unchanged
  REQUIRE(write_token_file(path, {"second", 0, ""}).ok());  // a new inode by rename
  seen = watcher.poll();
  REQUIRE(seen.has_value());
  CHECK((*seen)->access_token == "second");
  CHECK_FALSE(watcher.poll().has_value());
}
