// Line input that never blocks the order loop: waits for stdin with poll() for at most a given
// time, reads what is there, and hands back the complete lines. sm-order must keep polling its
// orders and beating its heartbeat while upstream is quiet, so it cannot sit in a blocking read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace sm::order {

struct InputLine {
  std::string text;         // without the line end (LF or CRLF)
  std::int64_t number = 0;  // 1-based
  bool too_long = false;    // longer than the limit: text is empty, the line was skipped
};

class InputPump {
 public:
  static constexpr size_t kDefaultMaxLineBytes = 1 << 20;
  // Does not own fd.
  explicit InputPump(int fd, size_t max_line_bytes = kDefaultMaxLineBytes)
      : fd_(fd), max_line_bytes_(max_line_bytes) {}

  // Waits up to timeout_ms (0 = just look) for input, reads what is available and appends every
  // complete line to lines. At end of input a last line without a newline is returned too and
  // eof() becomes true. A signal ends the wait early (no error). kIoError on a read error.
  Status read(std::int64_t timeout_ms, std::vector<InputLine>& lines);
  bool eof() const { return eof_; }

 private:
  void take_lines(std::vector<InputLine>& lines);
  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  bool skipping_ = false;  // inside an over-long line, dropping bytes until its end
  bool eof_ = false;
  std::int64_t line_number_ = 0;
};

}  // namespace sm::order
