#include "core/secrets.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

using sm::ErrorCode;
using sm::read_secret;

namespace {

using sm::testing::TempDir;

// Writes content to name in dir and gives it mode; returns its path.
std::string write_with_mode(const TempDir& dir, const std::string& name, const std::string& content,
                            mode_t mode) {
  const std::string path = dir.write(name, content);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

const std::string kSecret = "s3cr3t-Value-42";

}  // namespace

TEST_CASE("a secret comes from its environment variable first", "[secrets]") {
  TempDir dir;
  const std::string file = write_with_mode(dir, "kite", "from-file\n", 0600);
  ScopedEnv value("SM_TEST_SECRET_A", kSecret);
  ScopedEnv path("SM_TEST_SECRET_A_FILE", file);
  sm::Result<std::string> secret = read_secret("SM_TEST_SECRET_A");
  REQUIRE(secret.ok());
  CHECK(*secret == kSecret);
}

TEST_CASE("a secret comes from a 0600 file named by NAME_FILE", "[secrets]") {
  TempDir dir;
  for (mode_t mode : {mode_t{0600}, mode_t{0400}}) {
    const std::string file = write_with_mode(dir, "secret", kSecret + "\n", mode);
    ScopedEnv path("SM_TEST_SECRET_B_FILE", file);
    sm::Result<std::string> secret = read_secret("SM_TEST_SECRET_B");
    REQUIRE(secret.ok());
    CHECK(*secret == kSecret);  // the trailing newline is not part of it
    std::filesystem::remove(file);
  }
}

TEST_CASE("files readable by others are refused with the chmod fix", "[secrets]") {
  TempDir dir;
  for (mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0700}, mode_t{0660}}) {
    INFO("mode " << std::oct << mode);
    const std::string file = write_with_mode(dir, "open", kSecret, mode);
    ScopedEnv path("SM_TEST_SECRET_C_FILE", file);
    sm::Result<std::string> secret = read_secret("SM_TEST_SECRET_C");
    REQUIRE_FALSE(secret.ok());
    CHECK(secret.status().code() == ErrorCode::kPermissionDenied);
    CHECK_THAT(secret.status().message(), Catch::Contains("chmod 600 " + file));
    CHECK_THAT(secret.status().message(), !Catch::Contains(kSecret));
    std::filesystem::remove(file);
  }
}

TEST_CASE("a secrets file of KEY=VALUE lines is searched last", "[secrets]") {
  TempDir dir;
  const std::string file = write_with_mode(dir, "secrets.env",
                                           "# StalkMarket secrets\n"
                                           "\n"
                                           "SM_TEST_KITE_API_KEY=abc123\r\n"
                                           "SM_TEST_TELEGRAM_BOT_TOKEN=\"123:AA=BB\"\n"
                                           "  SM_TEST_EMPTY=\n",
                                           0600);
  CHECK(*read_secret("SM_TEST_KITE_API_KEY", file) == "abc123");
  CHECK(*read_secret("SM_TEST_TELEGRAM_BOT_TOKEN", file) == "123:AA=BB");
  CHECK(read_secret("SM_TEST_EMPTY", file).status().code() == ErrorCode::kConfigError);

  sm::Result<std::string> missing = read_secret("SM_TEST_NOT_THERE", file);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kAuthError);
  CHECK_THAT(missing.status().message(), Catch::Contains("SM_TEST_NOT_THERE_FILE"));
  CHECK_THAT(missing.status().message(), Catch::Contains(file));

  {
    ScopedEnv from_env("SM_SECRETS_FILE", file);
    CHECK(*read_secret("SM_TEST_KITE_API_KEY") == "abc123");
  }
  ScopedEnv override_value("SM_TEST_KITE_API_KEY", "from-env");
  CHECK(*read_secret("SM_TEST_KITE_API_KEY", file) == "from-env");
}

TEST_CASE("a malformed secrets file line is reported by number, not content", "[secrets]") {
  TempDir dir;
  const std::string file =
      write_with_mode(dir, "bad.env", "GOOD=1\nthis-is-" + kSecret + "\n", 0600);
  sm::Result<std::string> secret = read_secret("GOOD", file);
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.status().code() == ErrorCode::kConfigError);
  CHECK_THAT(secret.status().message(), Catch::StartsWith(file + ":2: expected KEY=VALUE"));
  CHECK_THAT(secret.status().message(), !Catch::Contains(kSecret));

  const std::string twice = write_with_mode(dir, "twice.env", "A=1\nA=2\n", 0600);
  CHECK_THAT(read_secret("A", twice).status().message(),
             Catch::Contains(twice + ":2: A is set twice"));
  const std::string open = write_with_mode(dir, "open.env", "A=1\n", 0644);
  CHECK(read_secret("A", open).status().code() == ErrorCode::kPermissionDenied);
}

TEST_CASE("missing, empty and non-regular secret files are errors", "[secrets]") {
  TempDir dir;
  sm::Result<std::string> none = read_secret("SM_TEST_SECRET_NONE");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == ErrorCode::kAuthError);

  {
    ScopedEnv path("SM_TEST_SECRET_D_FILE", dir.path() + "/nope");
    CHECK(read_secret("SM_TEST_SECRET_D").status().code() == ErrorCode::kNotFound);
  }
  {
    ScopedEnv path("SM_TEST_SECRET_D_FILE", write_with_mode(dir, "empty", "\n", 0600));
    CHECK(read_secret("SM_TEST_SECRET_D").status().code() == ErrorCode::kConfigError);
  }
  {
    REQUIRE(::chmod(dir.path().c_str(), 0700) == 0);
    ScopedEnv path("SM_TEST_SECRET_D_FILE", dir.path());
    sm::Result<std::string> directory = read_secret("SM_TEST_SECRET_D");
    CHECK(directory.status().code() == ErrorCode::kPermissionDenied);
    CHECK_THAT(directory.status().message(), Catch::Contains("not a regular file"));
  }
}

TEST_CASE("a file owned by another user is refused", "[secrets]") {
  if (::geteuid() != 0) return;  // only root can give a file away; run as root in CI containers
  TempDir dir;
  const std::string file = write_with_mode(dir, "theirs", kSecret, 0600);
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  sm::Result<std::string> content = sm::read_private_file(file);
  REQUIRE_FALSE(content.ok());
  CHECK(content.status().code() == ErrorCode::kPermissionDenied);
  CHECK_THAT(content.status().message(), Catch::Contains("owned by uid 65534"));
}

TEST_CASE("secret-looking keys and redaction", "[secrets]") {
  for (const char* key :
       {"api_secret", "kite_api_secret", "access_token", "password", "bot_token", "routing_key",
        "TELEGRAM_BOT_TOKEN", "token", "client_secret", "webhook_url", "api_key", "passphrase"}) {
    INFO(key);
    CHECK(sm::looks_like_secret_key(key));
  }
  for (const char* key : {"instrument_token", "api_secret_file", "max_order_qty", "chat_id",
                          "token_bucket_size", "secretary", "keyword", "symbols"}) {
    INFO(key);
    CHECK_FALSE(sm::looks_like_secret_key(key));
  }
  CHECK(sm::redacted(kSecret) == "[redacted]");
  CHECK(sm::redacted("") == "[empty]");
}
