#include "engine/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#ifndef TIERKV_NO_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
// Only the sanitizer build goes without jemalloc. Its runtime (GCC's and
// clang's libasan) counts the bytes its allocator hands out; GCC does not ship
// the header that declares these, so they are declared here.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_heap_size();
#endif

namespace tierkv {
namespace {

struct Snapshot {
  MemoryStats stats;
  uint64_t thread_allocated = 0;
  uint64_t thread_deallocated = 0;
};

Snapshot& CurrentSnapshot() {
  static Snapshot snapshot;
  return snapshot;
}

#ifndef TIERKV_NO_JEMALLOC
size_t ReadSizeStat(const char* name) {
  size_t value = 0;
  size_t length = sizeof(value);
  if (mallctl(name, &value, &length, nullptr, 0) != 0) return 0;
  return value;
}

// jemalloc keeps per-thread running totals behind these pointers; reading them
// costs two loads, which is what lets UsedMemory() run before every command.
struct ThreadCounters {
  uint64_t* allocated = nullptr;
  uint64_t* deallocated = nullptr;
  ThreadCounters() {
    size_t length = sizeof(allocated);
    mallctl("thread.allocatedp", &allocated, &length, nullptr, 0);
    length = sizeof(deallocated);
    mallctl("thread.deallocatedp", &deallocated, &length, nullptr, 0);
  }
};

ThreadCounters& Counters() {
  thread_local ThreadCounters counters;
  return counters;
}
#endif

}  // namespace

void EnableAllocatorBackgroundPurging() {
#ifndef TIERKV_NO_JEMALLOC
  bool enable = true;
  mallctl("background_thread", nullptr, nullptr, &enable, sizeof(enable));
#endif
}

void RefreshMemoryStats() {
  Snapshot& snap = CurrentSnapshot();
#ifndef TIERKV_NO_JEMALLOC
  uint64_t epoch = 1;
  size_t length = sizeof(epoch);
  mallctl("epoch", &epoch, &length, &epoch, length);
  snap.stats.allocated = ReadSizeStat("stats.allocated");
  snap.stats.active = ReadSizeStat("stats.active");
  snap.stats.resident = ReadSizeStat("stats.resident");
  ThreadCounters& counters = Counters();
  snap.thread_allocated = counters.allocated ? *counters.allocated : 0;
  snap.thread_deallocated = counters.deallocated ? *counters.deallocated : 0;
#else
  snap.stats.allocated = __sanitizer_get_current_allocated_bytes();
  snap.stats.active = __sanitizer_get_heap_size();
  snap.stats.resident = ProcessRss();
#endif
  snap.stats.peak = std::max(snap.stats.peak, snap.stats.allocated);
}

size_t UsedMemory() {
#ifndef TIERKV_NO_JEMALLOC
  const Snapshot& snap = CurrentSnapshot();
  ThreadCounters& counters = Counters();
  if (counters.allocated == nullptr) return snap.stats.allocated;
  const int64_t delta = static_cast<int64_t>(*counters.allocated - snap.thread_allocated) -
                        static_cast<int64_t>(*counters.deallocated - snap.thread_deallocated);
  const int64_t used = static_cast<int64_t>(snap.stats.allocated) + delta;
  return used > 0 ? static_cast<size_t>(used) : 0;
#else
  return __sanitizer_get_current_allocated_bytes();
#endif
}

MemoryStats GetMemoryStats() {
  RefreshMemoryStats();
  return CurrentSnapshot().stats;
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
