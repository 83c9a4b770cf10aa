// TierIoPool: the background thread that runs blocking tier work (checkpoint batches,
// commits, journal segment removal) so the engine thread never waits for the disk.
//
// Tasks run one at a time in submission order: a checkpoint round relies on its batches,
// its commit and its tombstone purge reaching the tier in the order it issued them. A
// task reports back by posting a completion to the engine thread itself (the owner hands
// each user a poster); the pool knows nothing of the engine.
//
// Thread-safety: Submit() from any thread. The destructor runs what is queued, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tierkv {

class TierIoPool {
 public:
  TierIoPool();
  ~TierIoPool();
  TierIoPool(const TierIoPool&) = delete;
  TierIoPool& operator=(const TierIoPool&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until every task submitted before the call has run (shutdown, tests).
  void Drain();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> tasks_;
  bool running_task_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tierkv
