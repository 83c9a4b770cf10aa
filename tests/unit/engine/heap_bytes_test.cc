// Tests for engine/heap_bytes.h: the estimates eviction sets apart from used_memory (the
// journal's queued records, the checkpoint bookkeeping) must match what the allocator
// hands out. Counting a 1 KiB value's copy as 1025 bytes when jemalloc gives it 1280 left
// a quarter of the journal's queue counted against the keys.
#include "engine/heap_bytes.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "engine/memory.h"

namespace tierkv {
namespace {

#ifdef TIERKV_NO_JEMALLOC
constexpr bool kJemalloc = false;
#else
constexpr bool kJemalloc = true;
#endif

TEST(HeapBytes, SizeClassesAreJemallocs) {
  EXPECT_EQ(AllocatorSizeClass(1), 16u);
  EXPECT_EQ(AllocatorSizeClass(17), 32u);
  EXPECT_EQ(AllocatorSizeClass(128), 128u);
  EXPECT_EQ(AllocatorSizeClass(129), 160u);
  EXPECT_EQ(AllocatorSizeClass(1025), 1280u);
  EXPECT_EQ(AllocatorSizeClass(4096), 4096u);
  EXPECT_EQ(AllocatorSizeClass(4097), 5120u);
}

TEST(HeapBytes, AStringCountsWhatTheAllocatorGaveIt) {
  if (!kJemalloc) GTEST_SKIP() << "size classes are jemalloc's";
  EXPECT_EQ(StringHeapBytes(std::string("short")), 0u);  // in the small-string buffer
  for (size_t size : {16u, 17u, 100u, 1024u, 3000u, 70000u}) {
    const std::string text(size, 'x');
    EXPECT_EQ(StringHeapBytes(text), malloc_usable_size(const_cast<char*>(text.data()))) << size;
  }
}

// What a queue of SET records of 1 KiB values holds, as the allocator counts it.
TEST(HeapBytes, EffectRecordsCountWhatTheyAllocate) {
  if (!kJemalloc) GTEST_SKIP() << "size classes are jemalloc's";
  constexpr size_t kRecords = 4000;
  std::vector<EffectRecord> records;
  records.reserve(kRecords);
  RefreshMemoryStats();
  const size_t before = UsedMemory();
  size_t estimated = 0;
  for (size_t i = 0; i < kRecords; ++i) {
    EffectRecord record;
    record.lsn = i + 1;
    record.effects.push_back(MakeEffect({"SET", "key:" + std::to_string(100000000000 + i), std::string(1024, 'v')}));
    estimated += EffectRecordHeapBytes(record) - sizeof(EffectRecord);  // the vector holds the structs
    records.push_back(std::move(record));
  }
  const size_t allocated = UsedMemory() - before;
  EXPECT_GE(estimated, allocated * 95 / 100);
  EXPECT_LE(estimated, allocated * 105 / 100);
}

}  // namespace
}  // namespace tierkv
