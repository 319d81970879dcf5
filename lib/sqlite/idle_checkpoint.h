// Checkpoints the WAL while its program is idle, for a connection opened with
// OpenOptions::auto_checkpoint = false: the programs on the live order path (sm-signal, sm-risk,
// sm-order). SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000
// pages and makes that commit copy every page of the WAL into the database and fsync both files:
// milliseconds on a real disk, on a signal's way to the broker. Here the program's loop asks how
// long it may wait for input (wait_ms) and says whether input came (after_wait): once the WAL
// holds kDueFrames pages, a wait is cut to kQuietMs, and a wait that brought nothing runs a
// PASSIVE checkpoint. Input that never pauses that long cannot grow the WAL without bound: past
// kForceFrames the checkpoint runs after the pass, as SQLite's own would have.
#pragma once

#include <cstdint>

#include "core/log.h"
#include "sqlite/connection.h"

namespace sm::sqlite {

class IdleCheckpoint {
 public:
  static constexpr int kDueFrames = 1000;
  static constexpr int kForceFrames = 10000;
  static constexpr std::int64_t kQuietMs = 10;

  // REQUIRES: db and log outlive this object.
  IdleCheckpoint(Connection& db, const Logger& log) : db_(db), log_(log) {}

  // The longest wait for input: wanted_ms, or kQuietMs when a checkpoint is due.
  std::int64_t wait_ms(std::int64_t wanted_ms) const;
  // After a wait for input and what it brought was handled: checkpoints when the wait brought
  // nothing and one is due, or when the WAL is past kForceFrames. A failed checkpoint is logged
  // (checkpoint_failed) and tried again after the next commit; the commits go on either way.
  void after_wait(bool input_came);

 private:
  Connection& db_;
  const Logger& log_;
};

}  // namespace sm::sqlite
