#include "tiering/tier_read_faults.h"

namespace tierkv {

void TierReadFaults::Fail(uint64_t reads) {
  std::lock_guard lock(mu_);
  failures_left_ = reads;
}

void TierReadFaults::Pause() {
  std::lock_guard lock(mu_);
  if (!released_) paused_ = true;
}

void TierReadFaults::Resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  resumed_.notify_all();
}

void TierReadFaults::Release() {
  {
    std::lock_guard lock(mu_);
    released_ = true;
    paused_ = false;
  }
  resumed_.notify_all();
}

Status TierReadFaults::BeforeBackgroundRead() {
  std::unique_lock lock(mu_);
  resumed_.wait(lock, [this] { return !paused_; });
  return TakeFailure();
}

Status TierReadFaults::BeforeSyncRead() {
  std::lock_guard lock(mu_);
  return TakeFailure();
}

Status TierReadFaults::TakeFailure() {
  if (failures_left_ == 0) return Status::Ok();
  --failures_left_;
  return Status::IoError("read failure injected by DEBUG TIER-READS");
}

}  // namespace tierkv
