#include "core/log.h"

#include <atomic>
#include <cstdlib>

#include "core/json_writer.h"

namespace sm {

Result<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warning" || text == "warn") return LogLevel::kWarning;
  if (text == "error") return LogLevel::kError;
  return Status(ErrorCode::kInvalidArgument,
                std::string("log level must be debug, info, warning or error, not '") +
                    std::string(text) + "'");
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

namespace {

std::atomic<LogClock> installed_log_clock{nullptr};

TimestampMs log_now() {
  const LogClock clock = installed_log_clock.load(std::memory_order_acquire);
  return clock != nullptr ? clock() : 0;
}

LogLevel level_from_environment() {
  const char* text = std::getenv("SM_LOG_LEVEL");
  if (text == nullptr) return LogLevel::kInfo;
  Result<LogLevel> level = parse_log_level(text);
  return level.ok() ? *level : LogLevel::kInfo;
}
}  // namespace

void set_log_clock(LogClock clock) { installed_log_clock.store(clock, std::memory_order_release); }

Logger::Logger(std::string component, std::FILE* sink)
    : component_(std::move(component)), level_(level_from_environment()), sink_(sink) {}

Logger::Logger(std::string component, LogLevel level, std::FILE* sink)
    : component_(std::move(component)), level_(level), sink_(sink) {}

void Logger::log(LogLevel level, std::string_view event, const nlohmann::json& fields) const {
  if (level >= level_) write(level, event, fields);
  if (level == LogLevel::kError && error_hook_) error_hook_(event, fields);
}

void Logger::write(LogLevel level, std::string_view event, const nlohmann::json& fields) const {
  std::string line;
  JsonObjectWriter w(line);
  w.timestamp("ts", log_now());
  w.string("component", component_).string("level", log_level_name(level)).string("event", event);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      if (key == "ts" || key == "component" || key == "level" || key == "event") continue;
      w.raw(key, value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  w.finish();
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), sink_);
  std::fflush(sink_);
}

void Logger::error_status(std::string_view event, const Status& status,
                          nlohmann::json fields) const {
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields["code"] = std::string(error_code_name(status.code()));
  fields["message"] = status.message();
  log(LogLevel::kError, event, fields);
}

}  // namespace sm
