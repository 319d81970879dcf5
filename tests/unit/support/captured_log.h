// A Logger whose lines a unit test reads back: it writes to an anonymous temporary file. Shared by
// every unit-test program: #include "support/captured_log.h".
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include "core/log.h"

namespace sm::testing {

class CapturedLog {
 public:
  // Throws std::runtime_error when no temporary file can be made (Catch reports the test failed).
  explicit CapturedLog(LogLevel level = LogLevel::kDebug)
      : file_(open_file()), log_("sm-test", level, file_) {}
  ~CapturedLog() { std::fclose(file_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  const Logger& log() const { return log_; }
  Logger& log() { return log_; }
  // Every line written so far.
  std::string text() const {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file_)) out.append(buffer, n);
    std::fseek(file_, 0, SEEK_END);  // later lines are appended, not written over these
    return out;
  }

 private:
  static std::FILE* open_file() {
    std::FILE* file = std::tmpfile();
    if (file == nullptr) throw std::runtime_error("cannot create a temporary file for the log");
    return file;
  }

  std::FILE* file_;
  Logger log_;
};

}  // namespace sm::testing
