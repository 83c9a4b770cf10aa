// TierIoPool: the background threads that run blocking tier work, so the engine thread
// never waits for the disk. Two executors, each one thread running its tasks in
// submission order:
//   - writes: checkpoint batches, commits, journal open/close and segment removal. A round
//     relies on its batches, its commit and its tombstone purge reaching the tier in the
//     order it issued them, and one batch may take seconds on a slow disk;
//   - reads: cold reads a client waits for (Tier::Get) and the refresh of the tier's
//     statistics. Apart from the writes so that a read never queues behind seconds of
//     round I/O (design brief, "The tier"); Tier promises that reads do not wait for a
//     Write or Commit in progress.
// A task reports back by posting a completion to the engine thread itself (the owner
// hands each user a poster); the pool knows nothing of the engine.
//
// Thread-safety: every method from any thread. The destructor runs what is queued on
// both executors, then joins them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace tierkv {

// One thread running tasks one at a time, in submission order.
class SerialExecutor {
 public:
  SerialExecutor();
  ~SerialExecutor();  // runs what is queued, then joins
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until every task submitted before the call has run.
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

class TierIoPool {
 public:
  // Checkpoint writes and everything that must stay in order with them.
  void Submit(std::function<void()> task) { writes_.Submit(std::move(task)); }
  // Reads (cold values, statistics): never behind a write task.
  void SubmitRead(std::function<void()> task) { reads_.Submit(std::move(task)); }
  // Blocks until every task submitted to either executor before the call has run
  // (shutdown, tests).
  void Drain() {
    writes_.Drain();
    reads_.Drain();
  }

 private:
  SerialExecutor writes_;
  SerialExecutor reads_;
};

}  // namespace tierkv
