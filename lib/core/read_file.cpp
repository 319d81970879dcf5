#include "core/read_file.h"

#include "core/huge_pages.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sm {

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    return error(saved == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                 fmt::format("cannot open {}: {}", path, std::strerror(saved)));
  }
  // A regular file is read straight into its string, in huge pages when large (a price CSV of a
  // million rows is 65 MB); what follows its size (a pipe, a file that grows) in blocks.
  std::string text;
  std::size_t size = 0;
  auto fail = [&] {
    const int saved = errno;
    ::close(fd);
    return error(ErrorCode::kIoError,
                 fmt::format("cannot read {}: {}", path, std::strerror(saved)));
  };
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    text.reserve(static_cast<std::size_t>(info.st_size));
    advise_huge_pages(text.data(), text.capacity());
    text.resize(static_cast<std::size_t>(info.st_size));
    while (size < text.size()) {
      const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
      if (n > 0) {
        size += static_cast<std::size_t>(n);
      } else if (n == 0) {
        break;
      } else if (errno != EINTR) {
        return fail();
      }
    }
    text.resize(size);
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    return fail();
  }
  ::close(fd);
  return text;
}

}  // namespace sm
