// The lines of a text read in large blocks, so that a price file of any size is read with a
// bounded buffer instead of whole (the streaming CSV reader, docs/INGEST.md "Large files").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  bool reading_ = false;  // rewind was called
};

// A temporary file that a reader writes once and reads back from the start as often as it needs:
// the streaming CSV reader keeps the rows its survey parsed in it (compactly encoded), so that the
// later passes over a large file read them back instead of parsing the text again. The file is
// unlinked from the start (nothing is left behind, whatever happens) and written and read through
// small buffers, so memory does not grow with it.
class SpillFile {
 public:
  // A new file in $TMPDIR, else /tmp. Fails with kIoError.
  static Result<SpillFile> create();

  SpillFile(SpillFile&& other) noexcept;
  SpillFile& operator=(SpillFile&& other) noexcept;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  // Appends bytes at the end. Fails with kIoError (a full disk). REQUIRES: rewind not called yet.
  Status append(std::string_view bytes);
  // Writes what is buffered and goes back to the start for reading. Fails with kIoError.
  Status rewind();
  // At least wanted bytes from the read position on, fewer only at the end of the file; the view
  // is valid until the next call. Fails with kIoError.
  Result<std::string_view> window(std::size_t wanted);
  // Moves the read position on by bytes. REQUIRES: bytes <= the size of the last window.
  void skip(std::size_t bytes) { position_ += bytes; }

 private:
  SpillFile() = default;
  Status flush();

  int fd_ = -1;
  std::vector<char> buffer_;  // writing: the bytes not yet written; reading: those read
  std::size_t position_ = 0;  // reading: the next byte of buffer_
  bool at_end_of_file_ = false;
  bool reading_ = false;  // rewind was called
};

}  // namespace sm::ingest
