// Error values shared by every module. No exception crosses a lib/ interface: a function that can
// fail for expected reasons returns Status or Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sm {

// A small closed set. The snake_case name doubles as the JSON `code` field of error records.
enum class ErrorCode {
  kOk,
  kInvalidArgument,   // caller passed something meaningless (bad flag value, bad parameter)
  kParseError,        // input text is not what it should be (bad JSON, bad CSV field)
  kNotFound,          // a named thing does not exist (file, symbol, order)
  kIoError,           // the operating system refused (read, write, fsync)
  kDatabaseError,     // SQLite failed
  kConfigError,       // configuration file or environment is wrong
  kPermissionDenied,  // e.g. a secrets file readable by others
  kNetworkError,      // could not talk to a remote service
  kTimeout,           // a remote service did not answer in time
  kRateLimited,       // the remote service said slow down (HTTP 429)
  kAuthError,         // credentials missing, wrong or expired
  kRejected,          // the remote service refused the request for a business reason
  kHalted,            // trading is halted; the action was not taken
  kUnavailable,       // data needed to decide is missing or stale
  kConflict,          // the state changed underneath us (illegal transition, duplicate)
  kInternal,          // a bug: an invariant did not hold
};

std::string_view error_code_name(ErrorCode code);

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", for logs and tests.
  std::string to_string() const;

  // Prefixes context ("file.csv:12: ") to the message; keeps the code.
  Status with_context(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status error(ErrorCode code, std::string message) {
  return Status(code, std::move(message));
}

// Either a value or a failed Status. REQUIRES: value() only when ok(), status() is always valid.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Status status) : state_(std::move(status)) { assert(!std::get<Status>(state_).ok()); }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace sm

// Early return of a failed Status from a function returning Status or Result<T>.
#define SM_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::sm::Status sm_status_ = (expr);        \
    if (!sm_status_.ok()) return sm_status_; \
  } while (false)
