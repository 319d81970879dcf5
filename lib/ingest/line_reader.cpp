#include "ingest/line_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace sm::ingest {
namespace {

// Large enough that a read() costs little per line, small enough not to matter for memory; a
// line longer than this grows the buffer.
constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// A spill file's buffer: a write or read per 64 KiB.
constexpr std::size_t kSpillBlockBytes = 1 << 16;

// Reads from fd into data[size, capacity) until it is full or the file ends. `size` becomes the
// count of valid bytes; returns errno on a failed read (0 otherwise).
int read_until_full(int fd, char* data, std::size_t capacity, std::size_t& size,
                    bool& at_end_of_file) {
  while (size < capacity) {
    const ssize_t n = ::read(fd, data + size, capacity - size);
    if (n > 0) {
      size += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      at_end_of_file = true;
      return 0;
    }
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

Result<LineReader> LineReader::open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    return error(saved == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                 fmt::format("cannot open {}: {}", path, std::strerror(saved)));
  }
  LineReader reader;
  reader.fd_ = fd;
  reader.path_ = path;
  reader.buffer_.reserve(kBlockBytes);
  SM_RETURN_IF_ERROR(reader.rewind());
  return reader;
}

LineReader LineReader::over_text(std::string_view text) {
  LineReader reader;
  reader.text_ = text;
  reader.at_end_of_file_ = true;
  (void)reader.rewind();
  return reader;
}

LineReader::LineReader(LineReader&& other) noexcept { *this = std::move(other); }

LineReader& LineReader::operator=(LineReader&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  path_ = std::move(other.path_);
  const bool in_buffer = fd_ >= 0 && other.text_.data() != nullptr;
  const std::size_t offset =
      in_buffer ? static_cast<std::size_t>(other.text_.data() - other.buffer_.data()) : 0;
  buffer_ = std::move(other.buffer_);
  text_ = in_buffer ? std::string_view(buffer_).substr(offset, other.text_.size()) : other.text_;
  position_ = other.position_;
  number_ = other.number_;
  at_end_of_file_ = other.at_end_of_file_;
  return *this;
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status LineReader::rewind() {
  number_ = 0;
  position_ = 0;
  if (fd_ >= 0) {
    if (::lseek(fd_, 0, SEEK_SET) < 0) {
      return error(ErrorCode::kIoError,
                   fmt::format("cannot read {}: {}", path_, std::strerror(errno)));
    }
    buffer_.clear();
    text_ = {};
    at_end_of_file_ = false;
    SM_RETURN_IF_ERROR(fill());
  }
  if (text_.starts_with(kByteOrderMark)) position_ = kByteOrderMark.size();
  return Status();
}

// Moves the unread bytes to the front of the buffer and appends the next block.
Status LineReader::fill() {
  const std::string_view unread = text_.substr(position_);
  const std::size_t kept = unread.size();
  if (kept > 0) std::memmove(buffer_.data(), unread.data(), kept);
  const std::size_t wanted = std::max(kBlockBytes, 2 * kept);
  buffer_.resize(kept + wanted);
  std::size_t size = kept;
  if (const int failed =
          read_until_full(fd_, buffer_.data(), buffer_.size(), size, at_end_of_file_))
    return error(ErrorCode::kIoError,
                 fmt::format("cannot read {}: {}", path_, std::strerror(failed)));
  buffer_.resize(size);
  text_ = buffer_;
  position_ = 0;
  return Status();
}

Result<bool> LineReader::next(Line& line) {
  std::size_t end = text_.find('\n', position_);
  while (end == std::string_view::npos && !at_end_of_file_) {
    const std::size_t searched = text_.size() - position_;
    SM_RETURN_IF_ERROR(fill());
    end = text_.find('\n', searched);
  }
  if (position_ >= text_.size()) return false;
  if (end == std::string_view::npos) end = text_.size();
  std::string_view text = text_.substr(position_, end - position_);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  line = Line{text, ++number_};
  position_ = end + 1;
  return true;
}

Result<SpillFile> SpillFile::create() {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    // File systems without O_TMPFILE: a named file, unlinked at once.
    std::string name = dir + "/sm-spill.XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) {
    return error(ErrorCode::kIoError, fmt::format("cannot create a temporary file in {}: {}", dir,
                                                  std::strerror(errno)));
  }
  SpillFile file;
  file.fd_ = fd;
  file.buffer_.reserve(kSpillBlockBytes);
  return file;
}

SpillFile::SpillFile(SpillFile&& other) noexcept { *this = std::move(other); }

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  buffer_ = std::move(other.buffer_);
  position_ = other.position_;
  at_end_of_file_ = other.at_end_of_file_;
  reading_ = other.reading_;
  return *this;
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status SpillFile::flush() {
  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return error(ErrorCode::kIoError,
                   fmt::format("cannot write a temporary file: {}",
                               n < 0 ? std::strerror(errno) : "nothing written"));
    }
    written += static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return Status();
}

Status SpillFile::append(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kSpillBlockBytes) SM_RETURN_IF_ERROR(flush());
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return Status();
}

Status SpillFile::rewind() {
  if (!reading_) SM_RETURN_IF_ERROR(flush());
  if (::lseek(fd_, 0, SEEK_SET) < 0) {
    return error(ErrorCode::kIoError,
                 fmt::format("cannot read a temporary file: {}", std::strerror(errno)));
  }
  buffer_.clear();
  position_ = 0;
  at_end_of_file_ = false;
  reading_ = true;
  return Status();
}

Result<std::string_view> SpillFile::window(std::size_t wanted) {
  if (buffer_.size() - position_ < wanted && !at_end_of_file_) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(position_));
    position_ = 0;
    const std::size_t kept = buffer_.size();
    buffer_.resize(std::max(kSpillBlockBytes, kept + wanted));
    std::size_t size = kept;
    if (const int failed =
            read_until_full(fd_, buffer_.data(), buffer_.size(), size, at_end_of_file_))
      return error(ErrorCode::kIoError,
                   fmt::format("cannot read a temporary file: {}", std::strerror(failed)));
    buffer_.resize(size);
  }
  return std::string_view(buffer_.data() + position_, buffer_.size() - position_);
}

}  // namespace sm::ingest
