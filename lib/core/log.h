// Structured logs: one JSON object per line on stderr with ts, component, level, event and fields.
// stderr carries only these lines; stdout is reserved for NDJSON records or tables.
#pragma once

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/timestamp.h"

namespace sm {

enum class LogLevel { kDebug, kInfo, kWarning, kError };
Result<LogLevel> parse_log_level(std::string_view text);  // debug, info, warning (warn), error
std::string_view log_level_name(LogLevel level);

// Where the ts of every log line comes from: a function returning UTC milliseconds. Core does not
// read the clock itself (lib/time does): cli::run installs the wall clock before it parses the
// command line, and a test may install a fixed one. Until one is installed (or after nullptr is),
// lines carry ts 0. Process-wide; safe to call while other threads log.
using LogClock = TimestampMs (*)();
void set_log_clock(LogClock clock);

class Logger {
 public:
  // Level defaults to $SM_LOG_LEVEL, else info. Does not own sink.
  explicit Logger(std::string component, std::FILE* sink = stderr);
  Logger(std::string component, LogLevel level, std::FILE* sink = stderr);

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  const std::string& component() const { return component_; }

  // fields must be a JSON object (or null); its members follow the fixed keys in the line.
  void log(LogLevel level, std::string_view event, const nlohmann::json& fields = nullptr) const;
  void debug(std::string_view event, const nlohmann::json& fields = nullptr) const {
    log(LogLevel::kDebug, event, fields);
  }
  void info(std::string_view event, const nlohmann::json& fields = nullptr) const {
    log(LogLevel::kInfo, event, fields);
  }
  void warn(std::string_view event, const nlohmann::json& fields = nullptr) const {
    log(LogLevel::kWarning, event, fields);
  }
  void error(std::string_view event, const nlohmann::json& fields = nullptr) const {
    log(LogLevel::kError, event, fields);
  }
  // An error line for a failed Status: event, code and message.
  void error_status(std::string_view event, const Status& status,
                    nlohmann::json fields = nullptr) const;

  // Called with the event and fields of every error line, after it is written (whatever the
  // level): how a program's errors also become data (store::ErrorRecorder). Like the sink, it is
  // where lines go, so a Logger passed by const reference can be given one; nullptr removes it.
  using ErrorHook = std::function<void(std::string_view event, const nlohmann::json& fields)>;
  void set_error_hook(ErrorHook hook) const { error_hook_ = std::move(hook); }

 private:
  void write(LogLevel level, std::string_view event, const nlohmann::json& fields) const;

  std::string component_;
  LogLevel level_;
  std::FILE* sink_;
  mutable ErrorHook error_hook_;
};

}  // namespace sm
