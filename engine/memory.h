// Allocator statistics: the source of used_memory and of every maxmemory check.
//
// With jemalloc (the release build) the numbers are jemalloc's own: allocated,
// active, resident, fragmentation. UsedMemory() is cheap enough to call before
// every command: it adds to the last global snapshot (refreshed by
// RefreshMemoryStats() from the cron) what the engine thread and every
// registered background thread allocated and freed since. Background threads
// that free what the engine thread allocated (the journal writer frees each
// record's copy of the values it journals) must register with a
// MemoryAccountedThread: an unregistered thread's frees would be seen only at
// the next snapshot, and until then every journaled byte would look used twice
// and make eviction throw away keys to pay for memory already returned.
// The sanitizer build uses the sanitizer allocator's counters instead.
//
// Thread-safety: UsedMemory() and RefreshMemoryStats() are called from the
// engine thread only; MemoryAccountedThread from the thread it accounts for;
// ProcessRss() is safe anywhere.
#pragma once

#include <cstddef>
#include <string>
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

// Counts the constructing thread's allocations in UsedMemory() as they happen,
// until it is destroyed. Construct one at the top of a background thread's
// function; it must be destroyed on the same thread.
class MemoryAccountedThread {
 public:
  MemoryAccountedThread();
  ~MemoryAccountedThread();
  MemoryAccountedThread(const MemoryAccountedThread&) = delete;
  MemoryAccountedThread& operator=(const MemoryAccountedThread&) = delete;
};

// Hands the pages of freed memory back to the OS now instead of over the next
// seconds (after a synchronous FLUSHALL/FLUSHDB, as Redis does, so RSS falls
// with used_memory). Costs a walk of the allocator's arenas: not per command.
void ReturnFreedMemoryToOs();

// The allocator's own statistics report (MEMORY MALLOC-STATS): jemalloc's
// malloc_stats_print text, or "" when the allocator has none (sanitizer build).
std::string AllocatorStatsText();

void RefreshMemoryStats();
size_t UsedMemory();
MemoryStats GetMemoryStats();
size_t ProcessRss();
std::string_view AllocatorName();

}  // namespace tierkv
