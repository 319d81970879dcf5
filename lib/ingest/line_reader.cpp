#include "ingest/line_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace sm::ingest {
namespace {

// Large enough that a read() costs little per line, small enough not to matter for memory; a
// line longer than this grows the buffer.
constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

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
  while (size < buffer_.size()) {
    const ssize_t n = ::read(fd_, buffer_.data() + size, buffer_.size() - size);
    if (n > 0) {
      size += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      at_end_of_file_ = true;
      break;
    }
    if (errno == EINTR) continue;
    return error(ErrorCode::kIoError,
                 fmt::format("cannot read {}: {}", path_, std::strerror(errno)));
  }
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

}  // namespace sm::ingest
