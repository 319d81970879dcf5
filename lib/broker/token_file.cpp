#include "broker/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/secrets.h"

namespace sm::broker {
namespace {

constexpr std::string_view kTokenKey = "SM_KITE_ACCESS_TOKEN";
constexpr std::string_view kIssuedKey = "SM_KITE_TOKEN_ISSUED_AT";
constexpr std::string_view kUserKey = "SM_KITE_USER_ID";

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

Status io_error(const std::string& what, const std::string& path) {
  return error(ErrorCode::kIoError, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Result<AccessToken> read_token_file(const std::string& path) {
  Result<std::string> content = read_private_file(path);
  if (!content.ok()) return content.status();
  AccessToken token;
  std::string_view rest = *content;
  int line_number = 0;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find('=');
    // Messages name the line, never its text: it may be the token.
    if (equals == std::string_view::npos) {
      return error(ErrorCode::kConfigError,
                   fmt::format("{}:{}: expected KEY=VALUE", path, line_number));
    }
    const std::string_view key = trim(line.substr(0, equals));
    const std::string_view value = trim(line.substr(equals + 1));
    if (key == kTokenKey) {
      token.access_token = std::string(value);
    } else if (key == kIssuedKey) {
      if (value.empty()) continue;
      Result<TimestampMs> ts = parse_timestamp(value, 0);
      if (!ts.ok()) {
        return error(ErrorCode::kConfigError,
                     fmt::format("{}:{}: {} is not a timestamp", path, line_number, kIssuedKey));
      }
      token.issued_at = *ts;
    } else if (key == kUserKey) {
      token.user_id = std::string(value);
    }
  }
  if (token.access_token.empty()) {
    return error(ErrorCode::kConfigError, fmt::format("{}: no {}", path, kTokenKey));
  }
  return token;
}

Status write_token_file(const std::string& path, const AccessToken& token) {
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::string text = fmt::format("{}={}\n", kTokenKey, token.access_token);
  if (token.issued_at > 0) text += fmt::format("{}={}\n", kIssuedKey, format_utc(token.issued_at));
  if (!token.user_id.empty()) text += fmt::format("{}={}\n", kUserKey, token.user_id);

  // O_EXCL with mode 0600: the token never exists on disk readable by others, not even briefly.
  ::unlink(temp.c_str());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", temp);
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    errno = saved_errno;
    Status s = io_error("cannot write", temp);
    ::unlink(temp.c_str());
    return s;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status s = io_error("cannot rename the new token file onto", path);
    ::unlink(temp.c_str());
    return s;
  }
  // The rename is durable only once the directory entry is on disk.
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status();
}

std::optional<Result<AccessToken>> TokenWatcher::poll() {
  Stamp stamp;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) {
    stamp.exists = true;
    stamp.inode = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
  if (last_ && *last_ == stamp) return std::nullopt;
  last_ = stamp;
  if (!stamp.exists) return std::nullopt;
  return read_token_file(path_);
}

}  // namespace sm::broker
