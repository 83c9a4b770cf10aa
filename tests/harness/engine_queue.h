// EngineQueue: the engine thread's task queue, for tests of code that posts completions
// back to the engine thread (Checkpointer, Durability through `post_to_engine`).
//
// The test thread plays the engine thread: background threads Post() tasks, and the test
// runs them with RunUntil(condition), which waits on a condition variable for the next
// task and never sleeps. A bug that stops completions from arriving fails the test after
// the timeout instead of hanging it.
//
// Thread-safety: Post() and Poster() from any thread; RunUntil/RunPending only on the
// test thread (the one playing the engine).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>

namespace tierkv::testing {

class EngineQueue {
 public:
  using Task = std::function<void()>;

  void Post(Task task) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }

  // What CheckpointerOptions::post_to_engine / DurabilityOptions::post_to_engine want.
  std::function<void(Task)> Poster() {
    return [this](Task task) { Post(std::move(task)); };
  }

  // Runs posted tasks, in order, on the calling thread until `done()` holds. False if it
  // still does not hold after `timeout` without a task to run.
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      Task task;
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait_until(lock, deadline, [this] { return !tasks_.empty(); })) return false;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return true;
  }

  // Runs the tasks queued right now (and any they queue); returns how many ran.
  size_t RunPending() {
    size_t ran = 0;
    for (;;) {
      Task task;
      {
        std::lock_guard lock(mu_);
        if (tasks_.empty()) return ran;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
      ++ran;
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
};

}  // namespace tierkv::testing
