// Dict: lookups and updates while an incremental rehash is under way, and the
// SCAN guarantee (a key present for the whole scan is returned at least once)
// while the table grows, shrinks, or is caught in the middle of either.
#include "engine/dict.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/hash.h"

namespace tierkv {
namespace {

std::string KeyName(int i) { return "key:" + std::to_string(i); }

// A Dict plus ownership of its entries (the Dict only links them).
class OwningDict {
 public:
  ~OwningDict() {
    dict.Clear([](Entry* e) { Entry::Free(e); });
  }

  void Insert(const std::string& key) { dict.Insert(Entry::NewString(key, "v", kNoExpire), HashKey(key)); }
  bool Remove(const std::string& key) {
    Entry* e = dict.Remove(key, HashKey(key));
    Entry::Free(e);
    return e != nullptr;
  }
  bool Contains(const std::string& key) const { return dict.Find(key, HashKey(key)) != nullptr; }

  // One SCAN call; the keys it returned are added to `seen`.
  uint64_t ScanStep(uint64_t cursor, std::multiset<std::string>* seen) const {
    return dict.Scan(cursor, [&](const Entry* e) { seen->emplace(e->key()); });
  }

  Dict dict;
};

void ExpectAllSeen(const std::set<std::string>& required, const std::multiset<std::string>& seen) {
  size_t missing = 0;
  for (const std::string& key : required) {
    if (seen.count(key) == 0) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << required.size() << " keys present throughout the scan";
}

TEST(Dict, FindInsertRemoveWhileRehashing) {
  OwningDict d;
  int inserted = 0;
  bool saw_rehash = false;
  // Grow through several resizes, checking every key at points mid-rehash.
  while (inserted < 5000) {
    d.Insert(KeyName(inserted++));
    if (d.dict.rehashing()) {
      saw_rehash = true;
      if (inserted % 97 == 0) {
        for (int i = 0; i < inserted; ++i) ASSERT_TRUE(d.Contains(KeyName(i))) << i;
      }
    }
  }
  EXPECT_TRUE(saw_rehash);
  EXPECT_EQ(d.dict.size(), 5000u);
  EXPECT_FALSE(d.Contains("absent"));
  // Remove every third key, some while rehashing is still in progress.
  for (int i = 0; i < 5000; i += 3) ASSERT_TRUE(d.Remove(KeyName(i)));
  EXPECT_FALSE(d.Remove(KeyName(0)));
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(d.Contains(KeyName(i)), i % 3 != 0) << i;
  EXPECT_EQ(d.dict.size(), 5000u - 1667u);
}

TEST(Dict, RemoveDuringRehashFindsEntriesInEitherTable) {
  OwningDict d;
  int n = 0;
  while (!d.dict.rehashing()) d.Insert(KeyName(n++));
  // Right after a resize starts almost everything is still in the old table;
  // the newest key is in the new one.
  ASSERT_TRUE(d.Contains(KeyName(n - 1)));
  ASSERT_TRUE(d.Remove(KeyName(n - 1)));
  ASSERT_TRUE(d.Remove(KeyName(0)));
  for (int i = 1; i < n - 1; ++i) EXPECT_TRUE(d.Contains(KeyName(i)));
  while (d.dict.RehashStep(1)) {
  }
  EXPECT_FALSE(d.dict.rehashing());
  for (int i = 1; i < n - 1; ++i) EXPECT_TRUE(d.Contains(KeyName(i)));
  EXPECT_EQ(d.dict.size(), static_cast<size_t>(n - 2));
}

TEST(Dict, ShrinkKeepsEveryEntry) {
  OwningDict d;
  for (int i = 0; i < 4000; ++i) d.Insert(KeyName(i));
  while (d.dict.RehashStep(100)) {
  }
  const size_t big = d.dict.MemoryUsage();
  for (int i = 0; i < 4000; ++i) {
    if (i % 100 != 0) d.Remove(KeyName(i));
  }
  while (d.dict.RehashStep(100)) {
  }
  d.dict.ShrinkIfSparse();
  ASSERT_TRUE(d.dict.rehashing());
  // Lookups work in the middle of the shrink, and inserts land correctly.
  d.dict.RehashStep(1);
  for (int i = 0; i < 4000; i += 100) EXPECT_TRUE(d.Contains(KeyName(i)));
  d.Insert("late");
  while (d.dict.RehashStep(1)) {
  }
  EXPECT_LT(d.dict.MemoryUsage(), big);
  for (int i = 0; i < 4000; i += 100) EXPECT_TRUE(d.Contains(KeyName(i)));
  EXPECT_TRUE(d.Contains("late"));
  EXPECT_EQ(d.dict.size(), 41u);
}

TEST(Dict, ScanOfStableTableReturnsEachKeyOnce) {
  OwningDict d;
  for (int i = 0; i < 3000; ++i) d.Insert(KeyName(i));
  while (d.dict.RehashStep(100)) {
  }
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = d.ScanStep(cursor, &seen);
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 3000u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 3000u);
}

TEST(Dict, ScanOfEmptyTableEndsAtOnce) {
  OwningDict d;
  std::multiset<std::string> seen;
  EXPECT_EQ(d.ScanStep(0, &seen), 0u);
  EXPECT_TRUE(seen.empty());
}

TEST(Dict, ScanReturnsOriginalKeysWhileTableGrows) {
  OwningDict d;
  std::set<std::string> original;
  for (int i = 0; i < 1000; ++i) {
    original.insert(KeyName(i));
    d.Insert(KeyName(i));
  }
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  int calls = 0;
  do {
    cursor = d.ScanStep(cursor, &seen);
    // Bursts of inserts at a few points: several resizes during one scan,
    // some caught half done. (Steady growth faster than a bucket per call
    // would keep a one-bucket-per-call scan from ever finishing.)
    if (calls == 3 || calls == 40 || calls == 500 || calls == 3000) {
      for (int j = 0; j < 3000; ++j) d.Insert("new:" + std::to_string(added++));
    }
    ASSERT_LT(++calls, 1000000);
  } while (cursor != 0);
  EXPECT_GT(d.dict.size(), 8192u);  // grew at least three times during the scan
  ExpectAllSeen(original, seen);
}

TEST(Dict, ScanReturnsSurvivorsWhileTableShrinks) {
  OwningDict d;
  for (int i = 0; i < 20000; ++i) d.Insert(KeyName(i));
  while (d.dict.RehashStep(1000)) {
  }
  std::set<std::string> survivors;
  std::vector<std::string> doomed;
  for (int i = 0; i < 20000; ++i) {
    if (i % 50 == 0) {
      survivors.insert(KeyName(i));
    } else {
      doomed.push_back(KeyName(i));
    }
  }
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  size_t next_doomed = 0;
  bool shrank = false;
  do {
    cursor = d.ScanStep(cursor, &seen);
    for (int j = 0; j < 2000 && next_doomed < doomed.size(); ++j) d.Remove(doomed[next_doomed++]);
    d.dict.ShrinkIfSparse();
    shrank |= d.dict.rehashing();
    d.dict.RehashStep(3);  // leave shrinks half done between calls
  } while (cursor != 0);
  EXPECT_TRUE(shrank);
  ExpectAllSeen(survivors, seen);
}

// Random inserts, removes, shrinks and rehash steps between SCAN calls, over
// many seeds: every key that was never removed must be returned.
TEST(Dict, ScanGuaranteeUnderRandomResizing) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    OwningDict d;
    const int initial = 200 + static_cast<int>(rng() % 3000);
    std::set<std::string> stable;
    std::vector<std::string> volatile_keys;
    for (int i = 0; i < initial; ++i) {
      const std::string key = KeyName(i);
      d.Insert(key);
      if (rng() % 4 == 0) {
        volatile_keys.push_back(key);
      } else {
        stable.insert(key);
      }
    }
    // Start anywhere: stable, growing or shrinking.
    d.dict.RehashStep(rng() % 50);
    std::multiset<std::string> seen;
    uint64_t cursor = 0;
    int fresh = 0;
    int inserts_left = 40000;
    int calls = 0;
    do {
      cursor = d.ScanStep(cursor, &seen);
      switch (rng() % 4) {
        case 0:  // burst of inserts: growth (bounded, so that the scan ends)
          for (uint64_t j = rng() % 2000; j > 0 && inserts_left > 0; --j, --inserts_left) {
            d.Insert("fresh:" + std::to_string(fresh++));
          }
          break;
        case 1:  // burst of removes of non-stable keys: shrink candidates
          for (uint64_t j = rng() % 500; j > 0 && !volatile_keys.empty(); --j) {
            d.Remove(volatile_keys.back());
            volatile_keys.pop_back();
          }
          for (; fresh > 0 && rng() % 8 != 0; --fresh) d.Remove("fresh:" + std::to_string(fresh - 1));
          d.dict.ShrinkIfSparse();
          break;
        case 2:
          d.dict.RehashStep(rng() % 20);
          break;
        default:
          break;
      }
      ASSERT_LT(++calls, 1000000);
    } while (cursor != 0);
    SCOPED_TRACE("seed " + std::to_string(seed));
    ExpectAllSeen(stable, seen);
  }
}

TEST(Dict, RandomReturnsPresentEntries) {
  OwningDict d;
  std::mt19937_64 rng(7);
  EXPECT_EQ(d.dict.Random(rng), nullptr);
  for (int i = 0; i < 100; ++i) d.Insert(KeyName(i));
  std::set<std::string> drawn;
  for (int i = 0; i < 2000; ++i) {
    const Entry* e = d.dict.Random(rng);
    ASSERT_NE(e, nullptr);
    ASSERT_TRUE(d.Contains(std::string(e->key())));
    drawn.emplace(e->key());
  }
  EXPECT_GT(drawn.size(), 90u);  // not stuck on a few buckets
}

TEST(Dict, MoveTransfersEntries) {
  OwningDict a;
  for (int i = 0; i < 100; ++i) a.Insert(KeyName(i));
  OwningDict b;
  b.dict = std::move(a.dict);
  EXPECT_EQ(b.dict.size(), 100u);
  EXPECT_EQ(a.dict.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_TRUE(b.Contains(KeyName(42)));
  EXPECT_FALSE(a.Contains(KeyName(42)));
}

}  // namespace
}  // namespace tierkv
