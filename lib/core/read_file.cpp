#include "core/read_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/parallel_parts.h"

namespace sm {

Result<std::string> read_file(const std::string& path, std::size_t parts) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    return error(saved == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                 fmt::format("cannot open {}: {}", path, std::strerror(saved)));
  }
  std::string text;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode))
    reserve_in_parts(text, static_cast<std::size_t>(info.st_size), parts);
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    const int saved = errno;
    ::close(fd);
    return error(ErrorCode::kIoError,
                 fmt::format("cannot read {}: {}", path, std::strerror(saved)));
  }
  ::close(fd);
  return text;
}

}  // namespace sm
