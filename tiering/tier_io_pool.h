// TierIoPool: the background threads that run blocking tier work, so the engine thread
// never waits for the disk. Two executors:
//   - writes: one thread running checkpoint batches, commits, journal open/close and
//     segment removal in submission order. A round relies on its batches, its commit and
//     its tombstone purge reaching the tier in the order it issued them, and one batch may
//     take seconds on a slow disk;
//   - reads: `read_threads` threads (tier-read-threads) for the cold reads clients wait
//     for (Tier::MultiGet) and the refresh of the tier's statistics. Apart from the writes
//     so that a read never queues behind seconds of round I/O (design brief, "The tier");
//     Tier promises that reads do not wait for a Write or Commit in progress, and that
//     reads may run on several threads at once. Several threads so that one client's read
//     does not queue behind another's: a disk serves several reads at once, and a read
//     that waits for the disk leaves its CPU to the others. Reads start in submission
//     order and may complete in any order; each reports its own completion.
// A task reports back by posting a completion to the engine thread itself (the owner
// hands each user a poster); the pool knows nothing of the engine.
//
// Thread-safety: every method from any thread. The destructor runs what is queued on
// both executors, then joins them.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tierkv {

// `threads` threads taking tasks from one queue in submission order; with one thread,
// each task runs after the one before it has finished.
class TaskExecutor {
 public:
  explicit TaskExecutor(size_t threads = 1);
  ~TaskExecutor();  // runs what is queued, then joins
  TaskExecutor(const TaskExecutor&) = delete;
  TaskExecutor& operator=(const TaskExecutor&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until every task submitted before the call has run.
  void Drain();
  size_t threads() const { return threads_.size(); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> tasks_;
  size_t running_tasks_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class TierIoPool {
 public:
  // The default read executor has the default of tier-read-threads.
  static constexpr size_t kDefaultReadThreads = 4;
  explicit TierIoPool(size_t read_threads = kDefaultReadThreads) : reads_(read_threads) {}

  // Checkpoint writes and everything that must stay in order with them.
  void Submit(std::function<void()> task) { writes_.Submit(std::move(task)); }
  // Reads (cold values, statistics): never behind a write task, nor behind one another
  // while a read thread is free.
  void SubmitRead(std::function<void()> task) { reads_.Submit(std::move(task)); }
  // Blocks until every task submitted to either executor before the call has run
  // (shutdown, tests).
  void Drain() {
    writes_.Drain();
    reads_.Drain();
  }
  size_t read_threads() const { return reads_.threads(); }

 private:
  TaskExecutor writes_{1};
  TaskExecutor reads_;
};

}  // namespace tierkv
