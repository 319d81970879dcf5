// An opt-in trace of where a message's time goes on its way through the live programs
// (sm-signal | sm-risk | sm-order, issue 14). When the environment variable SM_STAGE_TRACE names
// a file, each program appends one NDJSON line per stage a message passes:
//   {"stage":"risk.read","key":"INFY","mono_ns":123456789,"pid":4242}
// mono_ns is CLOCK_MONOTONIC, the clock std::chrono::steady_clock reads on Linux, so the stamps of
// different processes (and of bench_pipeline) can be subtracted. Each line is one write() to a
// file opened with O_APPEND, so lines of concurrent programs never interleave.
//
// Off (the variable unset or empty), a stage costs one test of a flag: no clock read, no text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sm {

class StageTrace {
 public:
  // Appends to the file at path (created when missing). An empty path, or a file that cannot be
  // opened, gives a trace that is off.
  explicit StageTrace(const std::string& path);
  ~StageTrace();
  StageTrace(const StageTrace&) = delete;
  StageTrace& operator=(const StageTrace&) = delete;

  bool on() const { return fd_ >= 0; }
  // Appends a line for stage and key (usually the symbol) stamped now; nothing when off.
  void mark(std::string_view stage, std::string_view key) const {
    if (fd_ >= 0) write_line(stage, key);
  }

 private:
  void write_line(std::string_view stage, std::string_view key) const;
  int fd_ = -1;
};

// The process's trace, from SM_STAGE_TRACE read once at first use.
const StageTrace& stage_trace();

// CLOCK_MONOTONIC in nanoseconds: the stamp a StageTrace line carries.
std::int64_t monotonic_ns();

}  // namespace sm
