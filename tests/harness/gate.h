// Gate: a point a background thread (e.g. inside a test hook) blocks on until the test
// opens it; the test can wait until the thread has got there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tierkv::testing {

class Gate {
 public:
  // Blocks the calling thread until Open().
  void Enter() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  // Whether `count` threads (or calls) have entered within 30 s.
  bool WaitEntered(int count = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_ >= count; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

}  // namespace tierkv::testing
