// Line input that never blocks a program's loop: waits for a descriptor with poll() for at most a
// given time, reads what is there, and hands back the complete lines. sm-risk must keep evaluating
// its kill switches, and sm-order keep polling its orders and beating its heartbeat, while
// upstream is quiet, so neither can sit in a blocking read. (LineReader in ndjson.h is the
// blocking reader for programs that only react to input.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace sm {

struct InputLine {
  std::string text;         // without the line end (LF or CRLF)
  std::int64_t number = 0;  // 1-based
  bool too_long = false;    // longer than the limit: text is empty, the line was skipped
};

class InputPump {
 public:
  static constexpr size_t kDefaultMaxLineBytes = 1 << 20;
  // Does not own fd. REQUIRES: max_line_bytes > 0.
  explicit InputPump(int fd, size_t max_line_bytes = kDefaultMaxLineBytes)
      : fd_(fd), max_line_bytes_(max_line_bytes) {}

  // Waits up to timeout_ms (0 = just look) for input, reads what is available and appends every
  // complete line to lines (never clears it). A line longer than max_line_bytes is appended once,
  // as too_long with empty text, and its bytes are dropped up to its newline, so one runaway line
  // cannot exhaust memory. At end of input a last line without a newline is appended too and
  // eof() becomes true; later calls return at once with nothing. A signal (SIGTERM) ends the wait
  // early with no error and no lines. kIoError on a poll or read error.
  Status read(std::int64_t timeout_ms, std::vector<InputLine>& lines);
  bool eof() const { return eof_; }

 private:
  void take_lines(std::vector<InputLine>& lines);
  void add_line(size_t start, size_t end, std::vector<InputLine>& lines);

  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  bool skipping_ = false;  // inside an over-long line, dropping bytes until its end
  bool eof_ = false;
  std::int64_t line_number_ = 0;
};

// Sleeps up to timeout_ms; a signal (SIGTERM) ends the sleep early. For a loop with no input left
// to wait on that must still notice stop_requested() at once.
void pause_for(std::int64_t timeout_ms);

}  // namespace sm
