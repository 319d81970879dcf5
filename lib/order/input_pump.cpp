#include "order/input_pump.h"

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

namespace sm::order {

void InputPump::take_lines(std::vector<InputLine>& lines) {
  size_t start = 0;
  while (true) {
    const size_t nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    ++line_number_;
    if (skipping_) {
      skipping_ = false;  // the over-long line ends here; it was reported when it passed the limit
    } else {
      size_t end = nl;
      if (end > start && buffer_[end - 1] == '\r') --end;
      lines.push_back({buffer_.substr(start, end - start), line_number_, false});
    }
    start = nl + 1;
  }
  buffer_.erase(0, start);
  if (!skipping_ && buffer_.size() > max_line_bytes_) {
    lines.push_back({std::string(), line_number_ + 1, true});
    skipping_ = true;
  }
  if (skipping_) buffer_.clear();
}

Status InputPump::read(std::int64_t timeout_ms, std::vector<InputLine>& lines) {
  if (eof_) return Status();
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, timeout_ms)));
  if (ready < 0) {
    if (errno == EINTR) return Status();
    return error(ErrorCode::kIoError, fmt::format("waiting for input: {}", std::strerror(errno)));
  }
  if (ready == 0) return Status();
  char chunk[65536];
  const ssize_t n = ::read(fd_, chunk, sizeof chunk);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return Status();
    return error(ErrorCode::kIoError, fmt::format("reading input: {}", std::strerror(errno)));
  }
  if (n == 0) {
    eof_ = true;
    if (!buffer_.empty() && !skipping_) {
      std::string last = std::move(buffer_);
      if (!last.empty() && last.back() == '\r') last.pop_back();
      lines.push_back({std::move(last), ++line_number_, false});
    }
    buffer_.clear();
    return Status();
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  take_lines(lines);
  return Status();
}

}  // namespace sm::order
