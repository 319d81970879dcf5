#include "core/exit_codes.h"

namespace sm {

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return kExitOk;
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kParseError:
      return kExitDataError;
    case ErrorCode::kConfigError:
    case ErrorCode::kPermissionDenied:
      return kExitConfigError;
    case ErrorCode::kAuthError:
      return kExitAuth;
    case ErrorCode::kHalted:
      return kExitHalted;
    case ErrorCode::kNotFound:
    case ErrorCode::kIoError:
    case ErrorCode::kDatabaseError:
    case ErrorCode::kNetworkError:
    case ErrorCode::kTimeout:
    case ErrorCode::kRateLimited:
    case ErrorCode::kRejected:
    case ErrorCode::kUnavailable:
    case ErrorCode::kConflict:
    case ErrorCode::kInternal:
      return kExitFailure;
  }
  return kExitFailure;  // not reached: the switch names every code (-Wswitch checks it)
}

int report_failure(const Logger& log, std::string_view event, const Status& status) {
  return report_failure(log, event, status, exit_code_for(status));
}

int report_failure(const Logger& log, std::string_view event, const Status& status, int exit_code) {
  log.error_status(event, status);
  return exit_code;
}

int report_usage_error(const Logger& log, const Status& status) {
  log.error("usage_error", {{"message", status.message()}, {"hint", "run with --help"}});
  return kExitUsage;
}

}  // namespace sm
