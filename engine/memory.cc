#include "engine/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <vector>

#ifndef TIERKV_NO_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
// Only the sanitizer build goes without jemalloc. Its runtime (GCC's and
// clang's libasan) counts the bytes its allocator hands out; GCC does not ship
// the header that declares these, so they are declared here.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_heap_size();
#endif

#ifndef TIERKV_NO_JEMALLOC
// jemalloc's start-up options, read before main(). Freed pages are returned to the OS after
// one second (dirty_decay_ms, jemalloc's default is ten) and without the MADV_FREE stage
// (muzzy_decay_ms), whose pages still count in RSS. Redis frees and reuses memory on one
// thread; here the journal writer, the tier's I/O thread and RocksDB's threads free what
// others allocated, in arenas of their own, and ten seconds of those pages put RSS at
// twice maxmemory in a cache that evicts with the journal on.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";
}
#endif

namespace tierkv {
namespace {

#ifndef TIERKV_NO_JEMALLOC
size_t ReadSizeStat(const char* name) {
  size_t value = 0;
  size_t length = sizeof(value);
  if (mallctl(name, &value, &length, nullptr, 0) != 0) return 0;
  return value;
}

// jemalloc keeps per-thread running totals of the bytes a thread allocated and
// freed behind these pointers; reading them costs two loads, which is what lets
// UsedMemory() run before every command. The owning thread writes them without
// atomics; another thread reads them relaxed (a word-sized aligned load), which
// at worst sees a value a few allocations old.
struct ThreadCounters {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  int64_t net_at_snapshot = 0;  // Net() when the last snapshot was taken

  ThreadCounters() {
    size_t length = sizeof(allocated);
    mallctl("thread.allocatedp", &allocated, &length, nullptr, 0);
    length = sizeof(deallocated);
    mallctl("thread.deallocatedp", &deallocated, &length, nullptr, 0);
  }
  // Bytes this thread allocated and has not freed itself (negative when it
  // frees more than it allocates, as the journal writer does).
  int64_t Net() const {
    if (allocated == nullptr || deallocated == nullptr) return 0;
    return static_cast<int64_t>(__atomic_load_n(allocated, __ATOMIC_RELAXED) -
                                __atomic_load_n(deallocated, __ATOMIC_RELAXED));
  }
  int64_t SinceSnapshot() const { return Net() - net_at_snapshot; }
};

ThreadCounters& Counters() {
  thread_local ThreadCounters counters;
  return counters;
}

// The snapshot and the registered background threads. The engine thread's own
// counters are not in `threads`: it reads them without the lock.
struct Accounting {
  MemoryStats stats;  // engine thread only
  std::mutex mu;
  std::vector<ThreadCounters*> threads;  // guarded by mu
  int64_t retired = 0;  // guarded by mu: what ended threads did since the snapshot
};

Accounting& Accounts() {
  static Accounting accounting;
  return accounting;
}
#else
MemoryStats& SanitizerStats() {
  static MemoryStats stats;
  return stats;
}
#endif

}  // namespace

#ifndef TIERKV_NO_JEMALLOC
MemoryAccountedThread::MemoryAccountedThread() {
  ThreadCounters& counters = Counters();
  Accounting& accounting = Accounts();
  std::lock_guard lock(accounting.mu);
  // What it did before now reaches UsedMemory() with the next snapshot.
  counters.net_at_snapshot = counters.Net();
  accounting.threads.push_back(&counters);
}

MemoryAccountedThread::~MemoryAccountedThread() {
  ThreadCounters& counters = Counters();
  Accounting& accounting = Accounts();
  std::lock_guard lock(accounting.mu);
  accounting.retired += counters.SinceSnapshot();
  std::erase(accounting.threads, &counters);
}
#else
MemoryAccountedThread::MemoryAccountedThread() = default;
MemoryAccountedThread::~MemoryAccountedThread() = default;
#endif

void EnableAllocatorBackgroundPurging() {
#ifndef TIERKV_NO_JEMALLOC
  bool enable = true;
  mallctl("background_thread", nullptr, nullptr, &enable, sizeof(enable));
#endif
}

void ReturnFreedMemoryToOs() {
#ifndef TIERKV_NO_JEMALLOC
  // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena's unused dirty pages.
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
#endif
}

std::string AllocatorStatsText() {
#ifndef TIERKV_NO_JEMALLOC
  std::string text;
  malloc_stats_print(
      [](void* out, const char* chunk) { static_cast<std::string*>(out)->append(chunk); }, &text, nullptr);
  return text;
#else
  return "";
#endif
}

void RefreshMemoryStats() {
#ifndef TIERKV_NO_JEMALLOC
  Accounting& accounting = Accounts();
  uint64_t epoch = 1;
  size_t length = sizeof(epoch);
  mallctl("epoch", &epoch, &length, &epoch, length);
  MemoryStats& stats = accounting.stats;
  stats.allocated = ReadSizeStat("stats.allocated");
  stats.active = ReadSizeStat("stats.active");
  stats.resident = ReadSizeStat("stats.resident");
  stats.peak = std::max(stats.peak, stats.allocated);
  Counters().net_at_snapshot = Counters().Net();
  std::lock_guard lock(accounting.mu);
  for (ThreadCounters* counters : accounting.threads) counters->net_at_snapshot = counters->Net();
  accounting.retired = 0;
#else
  MemoryStats& stats = SanitizerStats();
  stats.allocated = __sanitizer_get_current_allocated_bytes();
  stats.active = __sanitizer_get_heap_size();
  stats.resident = ProcessRss();
  stats.peak = std::max(stats.peak, stats.allocated);
#endif
}

size_t UsedMemory() {
#ifndef TIERKV_NO_JEMALLOC
  Accounting& accounting = Accounts();
  int64_t delta = Counters().SinceSnapshot();
  {
    std::lock_guard lock(accounting.mu);
    for (const ThreadCounters* counters : accounting.threads) delta += counters->SinceSnapshot();
    delta += accounting.retired;
  }
  const int64_t used = static_cast<int64_t>(accounting.stats.allocated) + delta;
  return used > 0 ? static_cast<size_t>(used) : 0;
#else
  return __sanitizer_get_current_allocated_bytes();
#endif
}

MemoryStats GetMemoryStats() {
  RefreshMemoryStats();
#ifndef TIERKV_NO_JEMALLOC
  return Accounts().stats;
#else
  return SanitizerStats();
#endif
}

size_t ProcessRss() {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) return 0;
  unsigned long pages_total = 0;
  unsigned long pages_resident = 0;
  const int fields = std::fscanf(file, "%lu %lu", &pages_total, &pages_resident);
  std::fclose(file);
  if (fields != 2) return 0;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string_view AllocatorName() {
#ifndef TIERKV_NO_JEMALLOC
  return "jemalloc-5.3.0";
#else
  return "libc";
#endif
}

}  // namespace tierkv
