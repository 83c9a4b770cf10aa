#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine/entry_allocator.h"
#include "engine/hash.h"
#include "engine/lazy_free.h"
#include "engine/shard.h"

namespace tierkv {
namespace {

TEST(LazyFree, FreedDictSlotsComeBackToTheEngineThreadsAllocator) {
  LazyFreer freer;
  Dict dict;
  std::set<const void*> slots;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key:" + std::to_string(i);
    Entry* entry = Entry::NewString(key, "value", kNoExpire);
    slots.insert(entry);
    dict.Insert(entry, HashKey(key));
  }
  freer.FreeDict(std::move(dict));
  freer.Drain();  // also reclaims
  EXPECT_EQ(freer.pending_objects(), 0u);
  EXPECT_EQ(freer.freed_objects(), 100u);
  // Same size class: the next entry reuses a slot the thread gave back.
  Entry* reused = Entry::NewString("key:0", "value", kNoExpire);
  if (EntryAllocator::SlabBytes() > 0) {
    EXPECT_EQ(slots.count(reused), 1u);
  }
  Entry::Free(reused);
}

TEST(LazyFree, OnlyLargeValuesWithALazyReasonAreDeferred) {
  Shard shard(EngineOptions{});
  Db& db = shard.db(0);
  Entry* text = Entry::NewString("s", std::string(10000, 'x'), kNoExpire);
  LazyFreeOptions options;
  EXPECT_FALSE(LazyFreer::ShouldDefer(*text, FreeReason::kUnlink, options));  // a string is one allocation
  db.Set(text);
  shard.FlushAll(/*lazy=*/true);
  EXPECT_EQ(db.size(), 0u);
  shard.lazy_free().Drain();
  EXPECT_EQ(shard.lazy_free().freed_objects(), 1u);
}

}  // namespace
}  // namespace tierkv
