// Tests for tiering/tombstone_list.h: the tombstones a round wrote, kept until a later
// checkpoint lets them be purged. A cache that evicts keys the tier holds writes one per
// eviction, so what each costs in DRAM matters as much as what the list says.
#include "tiering/tombstone_list.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace tierkv {
namespace {

using Tombstones = std::vector<std::tuple<uint32_t, std::string, uint64_t>>;

Tombstones Contents(const TombstoneList& list) {
  Tombstones out;
  list.ForEach([&](uint32_t db, std::string_view key, uint64_t lsn) { out.emplace_back(db, std::string(key), lsn); });
  return out;
}

TEST(TombstoneList, KeepsWhatWasAddedInOrder) {
  TombstoneList list;
  EXPECT_TRUE(list.empty());
  list.Add(0, "a", 5);
  list.Add(TombstoneRef{3, std::string(300, 'k'), 7});
  list.Add(1, "", 9);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(Contents(list), (Tombstones{{0, "a", 5}, {3, std::string(300, 'k'), 7}, {1, "", 9}}));
}

TEST(TombstoneList, TakeUpToMovesOutTheCoveredOnesAndKeepsTheRest) {
  TombstoneList list;
  list.Add(0, "old", 5);
  list.Add(0, "new", 9);
  list.Add(1, "edge", 7);
  TombstoneList taken = list.TakeUpTo(7);
  EXPECT_EQ(Contents(taken), (Tombstones{{0, "old", 5}, {1, "edge", 7}}));
  EXPECT_EQ(Contents(list), (Tombstones{{0, "new", 9}}));
  list.Append(taken);  // a failed commit gives them back
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(Contents(list), (Tombstones{{0, "new", 9}, {0, "old", 5}, {1, "edge", 7}}));
}

// The end of a round takes every tombstone it covers, usually all of them: the buffer moves
// instead of being copied, so the list is not held twice.
TEST(TombstoneList, TakeUpToOfEveryTombstoneMovesTheBuffer) {
  TombstoneList list;
  for (uint64_t lsn = 1; lsn <= 1000; ++lsn) list.Add(0, "key:" + std::to_string(lsn), lsn);
  const size_t bytes = list.memory_bytes();
  TombstoneList taken = list.TakeUpTo(1000);
  EXPECT_EQ(taken.size(), 1000u);
  EXPECT_EQ(taken.memory_bytes(), bytes);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.memory_bytes(), TombstoneList().memory_bytes());
}

TEST(TombstoneList, MoveDbsFollowsASwap) {
  TombstoneList list;
  list.Add(0, "a", 1);
  list.Add(1, "b", 2);
  list.Add(5, "c", 3);
  list.MoveDbs({1, 0});  // SWAPDB 0 1; db 5 stays
  EXPECT_EQ(Contents(list), (Tombstones{{1, "a", 1}, {0, "b", 2}, {5, "c", 3}}));
}

// As a vector of {db, std::string, lsn} a tombstone with a 16-byte key cost about 80
// bytes (the struct and the key's heap copy): a cache evicting 40,000 keys a second held
// megabytes of them for two rounds.
TEST(TombstoneList, MemoryPerTombstoneIsItsKeyAndSixteenBytes) {
  TombstoneList list;
  constexpr size_t kCount = 50000;
  const std::string key = "key:000000000000";  // 16 bytes: past std::string's inline buffer
  for (size_t i = 0; i < kCount; ++i) list.Add(0, key, i);
  EXPECT_LE(list.memory_bytes(), kCount * (16 + key.size()) * 2);  // growth doubles at most
}

}  // namespace
}  // namespace tierkv
