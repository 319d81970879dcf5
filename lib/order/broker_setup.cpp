#include "order/broker_setup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

namespace sm::order {
namespace {

std::string lock_path(const std::string& db_path) { return db_path + ".sm-order.lock"; }

}  // namespace

Result<std::unique_ptr<ProcessLock>> ProcessLock::acquire(const std::string& db_path) {
  if (db_path == ":memory:") return std::unique_ptr<ProcessLock>(new ProcessLock(-1));
  const std::string path = lock_path(db_path);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return error(ErrorCode::kIoError,
                 fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) {
      return error(
          ErrorCode::kConflict,
          fmt::format("another sm-order is running on this database (lock {} is held)", path));
    }
    return error(ErrorCode::kIoError,
                 fmt::format("cannot lock {}: {}", path, std::strerror(saved)));
  }
  return std::unique_ptr<ProcessLock>(new ProcessLock(fd));
}

bool ProcessLock::held_by_other(const std::string& db_path) {
  if (db_path == ":memory:") return false;
  const int fd = ::open(lock_path(db_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

ProcessLock::~ProcessLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace sm::order
