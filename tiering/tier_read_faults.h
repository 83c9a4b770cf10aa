// TierReadFaults: faults injected into reads of cold values, so that tests can drive the
// paths a failing or slow disk takes (DEBUG TIER-READS; server/commands/debug_commands.cc).
//
// - Fail(n): the next n reads fail with an I/O error, on the read executor and on the
//   engine thread (a synchronous load) alike.
// - Pause()/Resume(): reads on the read executor wait until resumed, so that a test can
//   have many clients wait for one read without racing it. Synchronous loads never wait
//   (the engine thread must not block on a test hook); Release() resumes for good at
//   shutdown.
//
// Thread-safety: every method from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "engine/status.h"

namespace tierkv {

class TierReadFaults {
 public:
  void Fail(uint64_t reads);
  void Pause();
  void Resume();
  void Release();

  // Called before a read on the read executor: waits while paused; an error if this read
  // is to fail.
  Status BeforeBackgroundRead();
  // Called before a read on the engine thread: never waits.
  Status BeforeSyncRead();

 private:
  Status TakeFailure();  // mu_ held

  std::mutex mu_;
  std::condition_variable resumed_;
  uint64_t failures_left_ = 0;
  bool paused_ = false;
  bool released_ = false;
};

}  // namespace tierkv
