#include "core/stage_trace.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

namespace sm {

StageTrace::StageTrace(const std::string& path) {
  if (path.empty()) return;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

StageTrace::~StageTrace() {
  if (fd_ >= 0) ::close(fd_);
}

void StageTrace::write_line(std::string_view stage, std::string_view key) const {
  const std::int64_t now = monotonic_ns();
  nlohmann::json line = {{"stage", stage}, {"key", key}, {"mono_ns", now}, {"pid", ::getpid()}};
  // A key that is not UTF-8 is replaced, not thrown: the trace never stops a program.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  // One write per line (O_APPEND keeps lines whole); a failed write loses a trace line only.
  (void)!::write(fd_, text.data(), text.size());
}

const StageTrace& stage_trace() {
  static const StageTrace trace([] {
    const char* path = std::getenv("SM_STAGE_TRACE");
    return std::string(path == nullptr ? "" : path);
  }());
  return trace;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace sm
