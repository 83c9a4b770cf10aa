// Allocator statistics: the source of used_memory and of every maxmemory check.
//
// With jemalloc (the release build) the numbers are jemalloc's own: allocated,
// active, resident, fragmentation. UsedMemory() is cheap enough to call before
// every command: it adds the calling thread's allocation counter delta to the
// last global snapshot, refreshed by RefreshMemoryStats() from the cron.
// The sanitizer build uses the sanitizer allocator's counters instead.
//
// Thread-safety: UsedMemory() and RefreshMemoryStats() are called from the
// engine thread only; ProcessRss() is safe anywhere.
#pragma once

#include <cstddef>
#include <string_view>

namespace tierkv {

struct MemoryStats {
  size_t allocated = 0;  // bytes handed out by the allocator (used_memory)
  size_t active = 0;     // bytes in active pages
  size_t resident = 0;   // allocator bytes resident in RAM
  size_t peak = 0;       // highest allocated seen
};

// Moves the allocator's page purging (madvise of freed memory) to its own
// background threads, as Redis's jemalloc-bg-thread does, so the engine
// thread never stalls returning memory to the OS. Called once at start-up.
void EnableAllocatorBackgroundPurging();

void RefreshMemoryStats();
size_t UsedMemory();
MemoryStats GetMemoryStats();
size_t ProcessRss();
std::string_view AllocatorName();

}  // namespace tierkv
