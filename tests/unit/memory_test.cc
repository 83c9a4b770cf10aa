// Allocator accounting (engine/memory.h): what eviction decides on. A free made on a
// background thread must lower UsedMemory() as soon as the thread is registered, or every
// journaled byte looks used twice until the next snapshot; pages freed after a FLUSHALL
// must go back to the OS on request.
#include "engine/memory.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifndef TIERKV_NO_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace tierkv {
namespace {

constexpr size_t kBlockBytes = 1024;
constexpr size_t kTotalBytes = 16u << 20;

#ifdef TIERKV_NO_JEMALLOC
constexpr bool kJemalloc = false;
#else
constexpr bool kJemalloc = true;
#endif

// Blocks allocated (and written, so that their pages are resident) on this thread.
std::vector<std::unique_ptr<char[]>> AllocateBlocks(size_t total, size_t block) {
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(total / block);
  for (size_t done = 0; done < total; done += block) {
    blocks.emplace_back(new char[block]);
    std::memset(blocks.back().get(), 0x5a, block);
  }
  return blocks;
}

// Frees `blocks` on a new thread, registered with MemoryAccountedThread if `registered`;
// `check` runs on this thread while that thread is still alive (after its frees).
template <typename Check>
void FreeOnAnotherThread(std::vector<std::unique_ptr<char[]>> blocks, bool registered, Check&& check) {
  std::mutex mu;
  std::condition_variable changed;
  bool freed = false;
  bool checked = false;
  std::thread background([&] {
    std::unique_ptr<MemoryAccountedThread> accounted;
    if (registered) accounted = std::make_unique<MemoryAccountedThread>();
    blocks.clear();
    blocks.shrink_to_fit();
    std::unique_lock lock(mu);
    freed = true;
    changed.notify_all();
    changed.wait(lock, [&] { return checked; });
  });
  {
    std::unique_lock lock(mu);
    changed.wait(lock, [&] { return freed; });
  }
  check();
  {
    std::lock_guard lock(mu);
    checked = true;
  }
  changed.notify_all();
  background.join();
}

TEST(MemoryAccounting, AllocationsOnTheEngineThreadShowWithoutARefresh) {
  RefreshMemoryStats();
  const size_t before = UsedMemory();
  auto blocks = AllocateBlocks(kTotalBytes, kBlockBytes);
  EXPECT_GE(UsedMemory(), before + kTotalBytes * 9 / 10);
  blocks.clear();
  blocks.shrink_to_fit();
  EXPECT_LE(UsedMemory(), before + kTotalBytes / 10);
}

TEST(MemoryAccounting, FreesOnARegisteredThreadShowWithoutARefresh) {
  if (!kJemalloc) GTEST_SKIP() << "per-thread counters come from jemalloc";
  RefreshMemoryStats();
  auto blocks = AllocateBlocks(kTotalBytes, kBlockBytes);
  const size_t allocated = UsedMemory();
  FreeOnAnotherThread(std::move(blocks), /*registered=*/true,
                      [&] { EXPECT_LE(UsedMemory(), allocated - kTotalBytes * 9 / 10); });
  // The thread has ended: what it freed still counts until the next snapshot.
  EXPECT_LE(UsedMemory(), allocated - kTotalBytes * 9 / 10);
  RefreshMemoryStats();
  EXPECT_LE(UsedMemory(), allocated - kTotalBytes * 9 / 10);
}

// The reason background threads that free engine memory must register: an unregistered
// thread's frees reach UsedMemory() only with the next snapshot.
TEST(MemoryAccounting, FreesOnAnUnregisteredThreadShowAtTheNextRefresh) {
  if (!kJemalloc) GTEST_SKIP() << "per-thread counters come from jemalloc";
  RefreshMemoryStats();
  auto blocks = AllocateBlocks(kTotalBytes, kBlockBytes);
  const size_t allocated = UsedMemory();
  FreeOnAnotherThread(std::move(blocks), /*registered=*/false, [&] {
    EXPECT_GE(UsedMemory(), allocated - kTotalBytes / 10);
    RefreshMemoryStats();
    EXPECT_LE(UsedMemory(), allocated - kTotalBytes * 9 / 10);
  });
}

#ifndef TIERKV_NO_JEMALLOC
ssize_t DecayOption(const char* name) {
  ssize_t value = -2;
  size_t length = sizeof(value);
  EXPECT_EQ(mallctl(name, &value, &length, nullptr, 0), 0) << name;
  return value;
}

// With jemalloc's default ten seconds, pages freed on the journal, tier and RocksDB threads
// stayed resident long enough to put RSS at twice maxmemory in an evicting cache.
TEST(MemoryAccounting, FreedPagesReturnToTheOsWithinASecond) {
  EXPECT_EQ(DecayOption("opt.dirty_decay_ms"), 1000);
  EXPECT_EQ(DecayOption("opt.muzzy_decay_ms"), 0);
}
#endif

TEST(MemoryAccounting, ReturnFreedMemoryToOsLowersRss) {
  if (!kJemalloc) GTEST_SKIP() << "the sanitizer allocator keeps its own pages";
  auto blocks = AllocateBlocks(4 * kTotalBytes, 4 * kBlockBytes);
  blocks.clear();
  blocks.shrink_to_fit();
  // jemalloc keeps freed pages for seconds (its decay), so RSS has not fallen yet.
  const size_t resident_after_free = ProcessRss();
  ReturnFreedMemoryToOs();
  EXPECT_LE(ProcessRss(), resident_after_free - 2 * kTotalBytes);
}

TEST(MemoryAccounting, PeakFollowsTheHighestAllocation) {
  RefreshMemoryStats();
  const size_t peak_before = GetMemoryStats().peak;
  {
    auto blocks = AllocateBlocks(kTotalBytes, kBlockBytes);
    RefreshMemoryStats();
  }
  RefreshMemoryStats();
  const MemoryStats stats = GetMemoryStats();
  EXPECT_GE(stats.peak, std::max(peak_before, stats.allocated + kTotalBytes * 9 / 10));
}

}  // namespace
}  // namespace tierkv
