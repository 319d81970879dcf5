// A progress bar for long research runs, drawn on stderr only when stderr is a terminal (so logs
// redirected to a file or a pipe stay one JSON object per line). Thread-safe: sweep workers may
// report from any thread.
#pragma once

#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

namespace sm::cli {

class ProgressBar {
 public:
  // Enabled when fd 2 is a terminal (isatty) and force_off is false.
  explicit ProgressBar(std::string label, bool force_off = false);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  // Redraws when the shown percentage changes (so a million updates cost a hundred writes).
  void update(std::size_t done, std::size_t total);
  // Clears the line (the summary that follows starts on a clean line).
  void finish();

  // The line drawn for done/total: "label [#####.....]  45% 45/100". For tests.
  static std::string render(const std::string& label, std::size_t done, std::size_t total,
                            int width);

 private:
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  int last_percent_ = -1;
  std::mutex mutex_;
};

}  // namespace sm::cli
