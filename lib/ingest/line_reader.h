// The lines of a text read in large blocks, so that a price file of any size is read with a
// bounded buffer instead of whole (the streaming CSV reader, docs/INGEST.md "Large files").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sm::ingest {

// One line of an input: its text without the "\n" (and a "\r" before it), and its 1-based number.
struct Line {
  std::string_view text;
  std::int64_t number;
};

// Splits a file, or a text in memory, into Lines exactly as a split of the whole text on "\n"
// would: a UTF-8 byte order mark at the start is dropped, a last line without "\n" counts, and
// blank lines are numbered like the others. Reading again from the start (rewind) gives the same
// lines, so a reader can make several passes over a file it never holds whole.
class LineReader {
 public:
  // The file at path. Fails as read_file does: kNotFound (no such file), kIoError.
  static Result<LineReader> open_file(const std::string& path);
  // A text in memory. REQUIRES: text outlives the reader.
  static LineReader over_text(std::string_view text);

  LineReader(LineReader&& other) noexcept;
  LineReader& operator=(LineReader&& other) noexcept;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // The next line into line (its text valid until the next call); false at the end. Fails with
  // kIoError naming the path when the file cannot be read.
  Result<bool> next(Line& line);
  // Back to the first line. Fails with kIoError.
  Status rewind();

 private:
  LineReader() = default;
  Status fill();

  int fd_ = -1;  // -1: reading text_
  std::string path_;
  std::string_view text_;  // the text, or the valid bytes of buffer_
  std::string buffer_;
  std::size_t position_ = 0;  // in text_
  std::int64_t number_ = 0;
  bool at_end_of_file_ = false;
};

}  // namespace sm::ingest
