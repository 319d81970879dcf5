// Line-oriented input and output for NDJSON streams.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "core/messages.h"
#include "core/status.h"

namespace sm {

// Reads lines from a file descriptor with a large buffer. Accepts LF and CRLF endings and a last
// line without a newline (a truncated stream). Lines longer than max_line_bytes are reported as a
// failed line and skipped, so one runaway line cannot exhaust memory.
class LineReader {
 public:
  static constexpr size_t kDefaultMaxLineBytes = 1 << 20;
  // Does not take ownership of fd.
  explicit LineReader(int fd, size_t max_line_bytes = kDefaultMaxLineBytes);

  enum class Outcome { kLine, kTooLong, kEnd, kError };
  // On kLine, line views the reader's buffer and stays valid until the next call.
  // line_number() is the 1-based number of the line just returned.
  Outcome next(std::string_view& line);
  std::int64_t line_number() const { return line_number_; }
  // errno text when next() returned kError.
  const std::string& error_text() const { return error_text_; }

 private:
  bool fill();
  int fd_;
  size_t max_line_bytes_;
  std::string buffer_;
  size_t start_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  std::int64_t line_number_ = 0;
  std::string error_text_;
};

// A bad line, as reported to the BadLineHandler.
struct BadLine {
  std::string input;
  std::int64_t line = 0;
  Status status;
};

// Decodes messages from a stream, one per line. Blank lines are skipped. A line that does not
// decode is passed to on_bad_line and skipped; in strict mode reading stops at the first bad line.
class MessageReader {
 public:
  using BadLineHandler = std::function<void(const BadLine&)>;
  MessageReader(int fd, std::string input_name, BadLineHandler on_bad_line, bool strict = false);

  enum class Outcome { kMessage, kEnd, kStoppedOnBadLine, kReadError };
  // On kMessage, message holds the decoded line and raw_line() the original text (valid until the
  // next call), which is what a filter writes back for types it does not handle.
  Outcome next(Message& message);
  std::string_view raw_line() const { return raw_line_; }
  std::int64_t line_number() const { return lines_.line_number(); }
  std::int64_t bad_lines() const { return bad_lines_; }
  const std::string& input_name() const { return input_name_; }
  const std::string& read_error() const { return lines_.error_text(); }

 private:
  LineReader lines_;
  MessageDecoder decoder_;
  std::string input_name_;
  BadLineHandler on_bad_line_;
  bool strict_;
  std::string_view raw_line_;
  std::int64_t bad_lines_ = 0;
};

// Writes NDJSON lines to a FILE*. When the stream is a pipe, FIFO, socket or terminal each line is
// flushed as it is written, so live pipelines never stall in a buffer; to a regular file it
// buffers.
class NdjsonWriter {
 public:
  explicit NdjsonWriter(std::FILE* out);
  void write(const Message& message);
  // The market-data records written directly, without a copy into a Message (a feed's hot path).
  void write(const Tick& tick);
  void write(const Bar& bar);
  // Writes a line that is already JSON (pass-through of unknown types). A newline is added.
  void write_raw(std::string_view json_line);
  void flush();
  // Until end_burst(), a live stream is not flushed after each line; end_burst() flushes once.
  // The lines of one pass (a bar and the signal it made) then reach the reader in one write():
  // line by line, the reader is woken by the first and handles it alone before the writer gets
  // the CPU back to write the rest, a context switch and a pass more on a signal's way.
  void begin_burst() { in_burst_ = true; }
  void end_burst();
  // False once a write failed (e.g. EPIPE: the reader went away).
  bool good() const { return good_; }
  std::int64_t lines_written() const { return lines_; }

 private:
  void emit();
  std::FILE* out_;
  bool flush_each_line_;
  bool in_burst_ = false;
  bool good_ = true;
  std::string line_;
  std::int64_t lines_ = 0;
};

// True when fd is a pipe, FIFO, socket or terminal (anything live rather than a file).
bool is_live_stream(int fd);

}  // namespace sm
