#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/program.h"
#include "store/database.h"
#include "store/ops_records.h"

namespace {

// The log lines a call wrote, read back from a temporary file.
class CapturedLog {
 public:
  CapturedLog() : file_(std::tmpfile()), log_("sm-test", sm::LogLevel::kDebug, file_) {}
  ~CapturedLog() { std::fclose(file_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  const sm::Logger& log() const { return log_; }
  std::string text() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file_)) out.append(buffer, n);
    return out;
  }

 private:
  std::FILE* file_;
  sm::Logger log_;
};

}  // namespace

TEST_CASE("record_config writes a row only when the configuration changed, and says who") {
  auto db = sm::store::Database::open(":memory:");
  REQUIRE(db.ok());
  CapturedLog captured;
  auto first = sm::Config::parse(R"({"risk": {"max_order_qty": 5}})");
  auto same = sm::Config::parse("{\"risk\": /* reformatted */ {\"max_order_qty\":5}}");
  auto changed = sm::Config::parse(R"({"risk": {"max_order_qty": 6}})");
  REQUIRE((first.ok() && same.ok() && changed.ok()));

  auto recorded = sm::cli::record_config(*db, "sm-risk", *first, captured.log(), "pavan", 1000);
  REQUIRE(recorded.ok());
  CHECK(*recorded);
  CHECK(captured.text().find("config_change_recorded") != std::string::npos);
  CHECK_FALSE(*sm::cli::record_config(*db, "sm-risk", *same, captured.log(), "pavan"));
  CHECK(*sm::cli::record_config(*db, "sm-order", *same, captured.log()));
  CHECK(*sm::cli::record_config(*db, "sm-risk", *changed, captured.log()));

  auto risk = sm::store::last_config_change(*db, "sm-risk");
  REQUIRE((risk.ok() && risk->has_value()));
  CHECK((*risk)->hash == changed->content_hash());
  CHECK((*risk)->content == changed->canonical_text());
  CHECK((*risk)->changed_by == sm::cli::default_actor());
  auto order = sm::store::last_config_change(*db, "sm-order");
  REQUIRE((order.ok() && order->has_value()));
  CHECK((*order)->changed_by == sm::cli::default_actor());
  CHECK(*db->query_int64("SELECT count(*) FROM config_changes WHERE changed_by = 'pavan'") == 1);
  CHECK(*db->query_int64("SELECT ts_ms FROM config_changes WHERE changed_by = 'pavan'") == 1000);
}

TEST_CASE("default_actor is $USER, else $LOGNAME, else unknown") {
  const char* user = std::getenv("USER");
  const char* logname = std::getenv("LOGNAME");
  const std::string saved_user = user != nullptr ? user : "";
  const std::string saved_logname = logname != nullptr ? logname : "";
  ::setenv("USER", "asha", 1);
  ::setenv("LOGNAME", "ravi", 1);
  CHECK(sm::cli::default_actor() == "asha");
  ::unsetenv("USER");
  CHECK(sm::cli::default_actor() == "ravi");
  ::setenv("LOGNAME", "", 1);
  CHECK(sm::cli::default_actor() == "unknown");
  if (user != nullptr) ::setenv("USER", saved_user.c_str(), 1);
  if (logname != nullptr) {
    ::setenv("LOGNAME", saved_logname.c_str(), 1);
  } else {
    ::unsetenv("LOGNAME");
  }
}

TEST_CASE("load_config logs the loaded hash, and a missing file is a configuration error") {
  CapturedLog captured;
  auto defaults = sm::cli::load_config(std::string(), captured.log());
  REQUIRE(defaults.ok());
  CHECK(captured.text().find(defaults->content_hash()) != std::string::npos);
  CHECK(captured.text().find("(defaults)") != std::string::npos);
  auto missing = sm::cli::load_config(std::string("/nonexistent/sm.json"), captured.log());
  CHECK(missing.status().code() == sm::ErrorCode::kConfigError);
}
