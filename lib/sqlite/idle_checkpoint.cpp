#include "sqlite/idle_checkpoint.h"

#include <algorithm>

namespace sm::sqlite {

std::int64_t IdleCheckpoint::wait_ms(std::int64_t wanted_ms) const {
  return db_.wal_frames() >= kDueFrames ? std::min(wanted_ms, kQuietMs) : wanted_ms;
}

void IdleCheckpoint::after_wait(bool input_came) {
  const int frames = db_.wal_frames();
  if (frames < kForceFrames && (input_came || frames < kDueFrames)) return;
  if (Status done = db_.checkpoint(); !done.ok()) {
    log_.warn("checkpoint_failed", {{"wal_pages", frames}, {"message", done.message()}});
  }
}

}  // namespace sm::sqlite
