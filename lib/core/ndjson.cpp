#include "core/ndjson.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "core/shutdown.h"

namespace sm {

LineReader::LineReader(int fd, size_t max_line_bytes) : fd_(fd), max_line_bytes_(max_line_bytes) {
  buffer_.resize(1 << 16);
}

bool LineReader::fill() {
  if (start_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) {
      if (stop_requested()) {
        eof_ = true;  // a stop request ends input as if the stream had closed
        return false;
      }
      continue;
    }
    error_text_ = std::strerror(errno);
    return false;
  }
}

LineReader::Outcome LineReader::next(std::string_view& line) {
  bool skipping_long_line = false;
  size_t scan_from = start_;
  for (;;) {
    const void* found = std::memchr(buffer_.data() + scan_from, '\n', end_ - scan_from);
    if (found != nullptr) {
      const size_t newline = static_cast<size_t>(static_cast<const char*>(found) - buffer_.data());
      size_t line_end = newline;
      if (line_end > start_ && buffer_[line_end - 1] == '\r') --line_end;
      line = std::string_view(buffer_.data() + start_, line_end - start_);
      start_ = newline + 1;
      ++line_number_;
      if (skipping_long_line || line.size() > max_line_bytes_) return Outcome::kTooLong;
      return Outcome::kLine;
    }
    if (end_ - start_ > max_line_bytes_) {
      // Drop what we have of the overlong line and keep scanning for its end.
      skipping_long_line = true;
      start_ = end_;
    }
    if (eof_) {
      if (start_ == end_) {
        if (skipping_long_line) {
          ++line_number_;
          return Outcome::kTooLong;
        }
        return Outcome::kEnd;
      }
      size_t line_end = end_;
      if (buffer_[line_end - 1] == '\r') --line_end;
      line = std::string_view(buffer_.data() + start_, line_end - start_);
      start_ = end_;
      ++line_number_;
      return skipping_long_line ? Outcome::kTooLong : Outcome::kLine;
    }
    const size_t scanned = end_ - start_;
    if (!fill() && !eof_) return Outcome::kError;
    scan_from = start_ + scanned;
  }
}

MessageReader::MessageReader(int fd, std::string input_name, BadLineHandler on_bad_line,
                             bool strict)
    : lines_(fd),
      input_name_(std::move(input_name)),
      on_bad_line_(std::move(on_bad_line)),
      strict_(strict) {}

MessageReader::Outcome MessageReader::next(Message& message) {
  for (;;) {
    std::string_view line;
    const LineReader::Outcome outcome = lines_.next(line);
    if (outcome == LineReader::Outcome::kEnd) return Outcome::kEnd;
    if (outcome == LineReader::Outcome::kError) return Outcome::kReadError;
    Status status;
    if (outcome == LineReader::Outcome::kTooLong) {
      status = error(ErrorCode::kParseError, "line is longer than the 1 MiB limit");
    } else {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      Result<Message> decoded = decoder_.decode(line);
      if (decoded.ok()) {
        message = std::move(decoded).value();
        raw_line_ = line;
        return Outcome::kMessage;
      }
      status = decoded.status();
    }
    ++bad_lines_;
    if (on_bad_line_) on_bad_line_(BadLine{input_name_, lines_.line_number(), status});
    if (strict_) return Outcome::kStoppedOnBadLine;
  }
}

bool is_live_stream(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return false;
  return S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode) || S_ISCHR(info.st_mode);
}

NdjsonWriter::NdjsonWriter(std::FILE* out)
    : out_(out), flush_each_line_(is_live_stream(fileno(out))) {}

void NdjsonWriter::write(const Message& message) {
  line_.clear();
  append_json(line_, message);
  emit();
}

void NdjsonWriter::write(const Tick& tick) {
  line_.clear();
  append_json(line_, tick);
  emit();
}

void NdjsonWriter::write(const Bar& bar) {
  line_.clear();
  append_json(line_, bar);
  emit();
}

void NdjsonWriter::write_raw(std::string_view json_line) {
  line_.assign(json_line);
  emit();
}

void NdjsonWriter::emit() {
  line_.push_back('\n');
  if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) good_ = false;
  if (flush_each_line_ && !in_burst_ && std::fflush(out_) != 0) good_ = false;
  ++lines_;
}

void NdjsonWriter::end_burst() {
  in_burst_ = false;
  if (flush_each_line_ && std::fflush(out_) != 0) good_ = false;
}

void NdjsonWriter::flush() {
  if (std::fflush(out_) != 0) good_ = false;
}

}  // namespace sm
