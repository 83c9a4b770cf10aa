#include "tiering/tier_io_pool.h"

#include <algorithm>

#include "engine/memory.h"

namespace tierkv {

TaskExecutor::TaskExecutor(size_t threads) {
  threads_.reserve(std::max<size_t>(threads, 1));
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) threads_.emplace_back([this] { Run(); });
}

TaskExecutor::~TaskExecutor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void TaskExecutor::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void TaskExecutor::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return tasks_.empty() && running_tasks_ == 0; });
}

void TaskExecutor::Run() {
  // Checkpoint batches copy entries on the engine thread and free them here; read
  // results are built here and freed on the engine thread.
  const MemoryAccountedThread accounted;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, and everything queued has run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_tasks_;
    lock.unlock();
    task();
    task = nullptr;  // what it captured is freed before the executor counts it done
    lock.lock();
    --running_tasks_;
    if (tasks_.empty() && running_tasks_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace tierkv
