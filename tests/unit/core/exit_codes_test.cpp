#include "core/exit_codes.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/captured_log.h"

using sm::ErrorCode;
using sm::exit_code_for;
using sm::Status;

TEST_CASE("exit_code_for maps every error code to its documented exit code") {
  CHECK(exit_code_for(Status()) == sm::kExitOk);
  CHECK(exit_code_for(Status(ErrorCode::kInvalidArgument, "x")) == sm::kExitUsage);
  CHECK(exit_code_for(Status(ErrorCode::kParseError, "x")) == sm::kExitDataError);
  CHECK(exit_code_for(Status(ErrorCode::kConfigError, "x")) == sm::kExitConfigError);
  CHECK(exit_code_for(Status(ErrorCode::kPermissionDenied, "x")) == sm::kExitConfigError);
  CHECK(exit_code_for(Status(ErrorCode::kAuthError, "x")) == sm::kExitAuth);
  CHECK(exit_code_for(Status(ErrorCode::kHalted, "x")) == sm::kExitHalted);
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kIoError, ErrorCode::kDatabaseError,
                         ErrorCode::kNetworkError, ErrorCode::kTimeout, ErrorCode::kRateLimited,
                         ErrorCode::kRejected, ErrorCode::kUnavailable, ErrorCode::kConflict,
                         ErrorCode::kInternal}) {
    INFO(sm::error_code_name(code));
    CHECK(exit_code_for(Status(code, "x")) == sm::kExitFailure);
  }
}

TEST_CASE("report_failure logs one error line and returns the mapped or the given exit code") {
  sm::testing::CapturedLog captured;
  const Status bad(ErrorCode::kConfigError, "risk.capital is required");
  CHECK(sm::report_failure(captured.log(), "config_error", bad) == sm::kExitConfigError);
  CHECK(sm::report_failure(captured.log(), "data_error", Status(ErrorCode::kIoError, "gone"),
                           sm::kExitDataError) == sm::kExitDataError);
  const std::string text = captured.text();
  CHECK(text.find(R"("event":"config_error")") != std::string::npos);
  CHECK(text.find(R"("code":"config_error")") != std::string::npos);
  CHECK(text.find("risk.capital is required") != std::string::npos);
  CHECK(text.find(R"("event":"data_error")") != std::string::npos);
}

TEST_CASE("report_usage_error logs usage_error with a hint and returns the usage exit code") {
  sm::testing::CapturedLog captured;
  CHECK(sm::report_usage_error(captured.log(), Status(ErrorCode::kInvalidArgument, "bad --x")) ==
        sm::kExitUsage);
  CHECK(captured.text().find(R"("event":"usage_error")") != std::string::npos);
  CHECK(captured.text().find("run with --help") != std::string::npos);
}
