#include "core/input_pump.h"

#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sm {

namespace {

constexpr std::int64_t kMaxPollTimeoutMs = std::int64_t{24} * 3600 * 1000;

int poll_timeout(std::int64_t timeout_ms) {
  return static_cast<int>(std::clamp<std::int64_t>(timeout_ms, 0, kMaxPollTimeoutMs));
}

}  // namespace

void InputPump::add_line(size_t start, size_t end, std::vector<InputLine>& lines) {
  if (end > start && buffer_[end - 1] == '\r') --end;
  ++line_number_;
  // A whole line can arrive in the same read that takes it past the limit, before the
  // buffer check below ever sees it unfinished.
  if (end - start > max_line_bytes_) {
    lines.push_back({std::string(), line_number_, true});
  } else {
    lines.push_back({buffer_.substr(start, end - start), line_number_, false});
  }
}

void InputPump::take_lines(std::vector<InputLine>& lines) {
  size_t start = 0;
  while (true) {
    const size_t newline = buffer_.find('\n', start);
    if (newline == std::string::npos) break;
    if (skipping_) {
      // The over-long line ends here; it was reported when it passed the limit.
      skipping_ = false;
    } else {
      add_line(start, newline, lines);
    }
    start = newline + 1;
  }
  buffer_.erase(0, start);
  if (!skipping_ && buffer_.size() > max_line_bytes_) {
    lines.push_back({std::string(), ++line_number_, true});
    skipping_ = true;
  }
  if (skipping_) buffer_.clear();
}

Status InputPump::read(std::int64_t timeout_ms, std::vector<InputLine>& lines) {
  if (eof_) return Status();
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, poll_timeout(timeout_ms));
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
    if (!buffer_.empty() && !skipping_) add_line(0, buffer_.size(), lines);
    buffer_.clear();
    return Status();
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  take_lines(lines);
  return Status();
}

void pause_for(std::int64_t timeout_ms) {
  // poll() with no descriptors is a sleep that a signal handler interrupts (EINTR).
  (void)::poll(nullptr, 0, poll_timeout(timeout_ms));
}

}  // namespace sm
