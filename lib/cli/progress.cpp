#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace sm::cli {

ProgressBar::ProgressBar(std::string label, bool force_off)
    : label_(std::move(label)), enabled_(!force_off && isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { finish(); }

std::string ProgressBar::render(const std::string& label, std::size_t done, std::size_t total,
                                int width) {
  const std::size_t cells = static_cast<std::size_t>(width);
  const std::size_t filled = total == 0 ? cells : std::min(cells, done * cells / total);
  const std::size_t percent = total == 0 ? 100 : std::min<std::size_t>(100, done * 100 / total);
  return fmt::format("{} [{}{}] {:3d}% {}/{}", label, std::string(filled, '#'),
                     std::string(cells - filled, '.'), percent, done, total);
}

void ProgressBar::update(std::size_t done, std::size_t total) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  if (percent == last_percent_) return;
  last_percent_ = percent;
  // \r returns to the line start, ESC[K clears what a longer earlier line left behind.
  const std::string line = fmt::format("\r{}\x1b[K", render(label_, done, total, 30));
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!drawn_) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace sm::cli
