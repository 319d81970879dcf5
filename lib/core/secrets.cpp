#include "core/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace sm {
namespace {

// Closes a file descriptor on every return path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string env_or_empty(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

std::string_view strip_trailing_newlines(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Finds `name` in a KEY=VALUE secrets file. Error messages give the line number only, never the
// line: a malformed line may well be a secret.
Result<std::string> lookup_in_secrets_file(const std::string& path, std::string_view name,
                                           bool* found) {
  *found = false;
  Result<std::string> text = read_private_file(path);
  if (!text.ok()) return text.status();
  std::string_view rest = *text;
  int line_number = 0;
  std::string value;
  while (!rest.empty()) {
    const size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    const size_t equals = line.find('=');
    std::string_view key = equals == std::string_view::npos ? line : line.substr(0, equals);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
    if (equals == std::string_view::npos || !valid_key(key)) {
      return error(ErrorCode::kConfigError,
                   fmt::format("{}:{}: expected KEY=VALUE (KEY of letters, digits and _)", path,
                               line_number));
    }
    if (key != name) continue;
    if (*found) {
      return error(ErrorCode::kConfigError,
                   fmt::format("{}:{}: {} is set twice", path, line_number, name));
    }
    std::string_view raw = line.substr(equals + 1);
    if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') &&
        raw.back() == raw.front()) {
      raw = raw.substr(1, raw.size() - 2);
    }
    value = std::string(raw);
    *found = true;
  }
  return value;
}

// Suffixes (after an underscore) and whole names that mark a configuration key as a secret.
// "token" alone is a whole-name match only: instrument_token is Kite's public instrument id.
constexpr std::array<std::string_view, 20> kSecretNames = {
    "secret",          "password",     "passwd",        "passphrase",    "credentials",
    "apikey",          "api_key",      "api_secret",    "private_key",   "routing_key",
    "integration_key", "access_token", "refresh_token", "request_token", "bot_token",
    "auth_token",      "enctoken",     "webhook_url",   "client_secret", "secret_key"};

}  // namespace

Result<std::string> read_private_file(const std::string& path) {
  // Open first, then fstat the open descriptor: checking the path and reading it separately would
  // let the file be swapped in between.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return error(ErrorCode::kNotFound, fmt::format("secrets file {} does not exist", path));
    }
    if (err == EACCES) {
      return error(ErrorCode::kPermissionDenied,
                   fmt::format("cannot open secrets file {}: {}", path, std::strerror(err)));
    }
    return error(ErrorCode::kIoError,
                 fmt::format("cannot open secrets file {}: {}", path, std::strerror(err)));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return error(ErrorCode::kIoError,
                 fmt::format("cannot stat secrets file {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("secrets file {} is not a regular file", path));
  }
  if (info.st_uid != ::geteuid()) {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("secrets file {} is owned by uid {}, not by the current user (uid "
                             "{}); fix: chown {} {} && chmod 600 {}",
                             path, info.st_uid, ::geteuid(), ::geteuid(), path, path));
  }
  const unsigned mode = static_cast<unsigned>(info.st_mode) & 07777u;
  if ((mode & ~0600u) != 0) {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("secrets file {} has mode {:04o}; it must be 0600 or stricter (only "
                             "its owner may read it); fix: chmod 600 {}",
                             path, mode, path));
  }
  std::string content;
  std::array<char, 4096> buffer;
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return error(ErrorCode::kIoError,
                   fmt::format("cannot read secrets file {}: {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    content.append(buffer.data(), static_cast<size_t>(n));
  }
  return content;
}

Result<std::string> read_secret(std::string_view name, std::string_view secrets_file) {
  const std::string variable(name);
  if (std::string value = env_or_empty(variable); !value.empty()) return value;

  const std::string file_variable = variable + "_FILE";
  if (const std::string path = env_or_empty(file_variable); !path.empty()) {
    Result<std::string> content = read_private_file(path);
    if (!content.ok()) return content.status().with_context(file_variable);
    const std::string_view value = strip_trailing_newlines(*content);
    if (value.empty()) {
      return error(ErrorCode::kConfigError,
                   fmt::format("{}: {} (the file for {}) is empty", file_variable, path, variable));
    }
    return std::string(value);
  }

  std::string secrets_path(secrets_file);
  if (secrets_path.empty()) secrets_path = env_or_empty("SM_SECRETS_FILE");
  if (!secrets_path.empty()) {
    bool found = false;
    Result<std::string> value = lookup_in_secrets_file(secrets_path, name, &found);
    if (!value.ok()) return value.status();
    if (found) {
      if (value->empty()) {
        return error(ErrorCode::kConfigError,
                     fmt::format("{}: {} is empty", secrets_path, variable));
      }
      return value;
    }
  }
  return error(ErrorCode::kAuthError,
               fmt::format("secret {} is not set: set the environment variable {}, or {} to a "
                           "file with mode 0600, or add {}=... to the secrets file{}",
                           variable, variable, file_variable, variable,
                           secrets_path.empty() ? std::string(" (SM_SECRETS_FILE)")
                                                : fmt::format(" {}", secrets_path)));
}

std::string redacted(std::string_view secret) { return secret.empty() ? "[empty]" : "[redacted]"; }

bool looks_like_secret_key(std::string_view key) {
  std::string lower(key);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "token") return true;
  for (std::string_view name : kSecretNames) {
    if (lower == name) return true;
    if (lower.size() > name.size() &&
        lower.compare(lower.size() - name.size(), name.size(), name) == 0 &&
        lower[lower.size() - name.size() - 1] == '_') {
      return true;
    }
  }
  return false;
}

}  // namespace sm
