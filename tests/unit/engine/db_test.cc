// The keyspace: Db storage, the volatile-key index, lazy expiry, SWAPDB and
// FLUSH bookkeeping, and eviction under each maxmemory policy.
#include "engine/db.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "engine/shard.h"

namespace tierkv {
namespace {

Entry* NewString(Shard& shard, std::string_view key, std::string_view value, int64_t expire_at = kNoExpire) {
  Entry* entry = Entry::NewString(key, value, expire_at);
  shard.InitAccess(entry);
  return entry;
}

class RecordingObserver : public KeyspaceObserver {
 public:
  void OnKeyModified(int db, std::string_view key) override { modified.insert(std::to_string(db) + ":" + std::string(key)); }
  void OnDbChanged(int db) override { flushed.insert(db); }
  void OnDbsSwapped(int a, int b) override { swapped.insert(a * 100 + b); }
  std::set<std::string> modified;
  std::set<int> flushed;
  std::set<int> swapped;
};

TEST(Db, SetFindReplaceDelete) {
  Shard shard({});
  Db& db = shard.db(0);
  db.Set(NewString(shard, "k", "v1"));
  ASSERT_NE(db.Find("k"), nullptr);
  EXPECT_EQ(db.Find("k")->string_value(), "v1");
  db.Set(NewString(shard, "k", "a much longer second value that needs a new allocation"));
  EXPECT_EQ(db.size(), 1u);
  EXPECT_EQ(db.Find("k")->string_value(), "a much longer second value that needs a new allocation");
  EXPECT_TRUE(db.Delete("k"));
  EXPECT_FALSE(db.Delete("k"));
  EXPECT_EQ(db.Find("k"), nullptr);
}

TEST(Db, ExpiredKeyIsNeverVisibleAndIsCountedOnce) {
  Shard shard({});
  RecordingObserver observer;
  shard.add_observer(&observer);
  shard.set_now_ms(1000);
  Db& db = shard.db(3);
  db.Set(NewString(shard, "session", "alice", /*expire_at=*/1500));
  EXPECT_NE(db.Find("session"), nullptr);
  shard.set_now_ms(1500);  // expiry is inclusive of the deadline, as in Redis
  EXPECT_EQ(db.Find("session"), nullptr);
  EXPECT_EQ(db.size(), 0u);
  EXPECT_EQ(db.expires_count(), 0u);
  EXPECT_EQ(shard.stats().expired_keys, 1u);
  EXPECT_TRUE(observer.modified.count("3:session"));
}

TEST(Db, VolatileIndexFollowsEntriesThatMoveOrLoseTheirTtl) {
  Shard shard({});
  shard.set_now_ms(0);
  Db& db = shard.db(0);
  for (int i = 0; i < 100; ++i) db.Set(NewString(shard, "k" + std::to_string(i), "v", 1000 + i));
  EXPECT_EQ(db.expires_count(), 100u);
  // Persist half of them (the entry shrinks and moves), delete a quarter.
  for (int i = 0; i < 50; ++i) db.SetExpire(db.Find("k" + std::to_string(i)), kNoExpire);
  for (int i = 50; i < 75; ++i) db.Delete("k" + std::to_string(i));
  EXPECT_EQ(db.expires_count(), 25u);
  // Every sampled volatile entry still has a TTL and is still in the table.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    Entry* e = db.RandomVolatileEntry(rng);
    ASSERT_NE(e, nullptr);
    ASSERT_TRUE(e->has_expire());
    ASSERT_EQ(db.Peek(e->key()), e);
  }
  // Active expiry removes exactly the 25 volatile keys once they are due.
  shard.set_now_ms(5000);
  shard.ActiveExpireCycle(1'000'000);
  EXPECT_EQ(db.expires_count(), 0u);
  EXPECT_EQ(db.size(), 50u);
}

TEST(Db, ReserveStringKeepsValueAndTtl) {
  Shard shard({});
  shard.set_now_ms(0);
  Db& db = shard.db(0);
  db.Set(NewString(shard, "k", "abc", 9999));
  Entry* grown = db.ReserveString(db.Find("k"), 4096);
  EXPECT_GE(grown->value_capacity(), 4096u);
  EXPECT_EQ(grown->string_value(), "abc");
  EXPECT_EQ(grown->expire_at(), 9999);
  EXPECT_EQ(db.Find("k"), grown);
}

TEST(Shard, SwapDbAndFlushNotifyBeforeChanging) {
  Shard shard({});
  RecordingObserver observer;
  shard.add_observer(&observer);
  shard.db(0).Set(NewString(shard, "a", "1"));
  shard.db(1).Set(NewString(shard, "b", "2"));
  shard.SwapDb(0, 1);
  EXPECT_TRUE(observer.swapped.count(1));
  EXPECT_NE(shard.db(0).Find("b"), nullptr);
  EXPECT_NE(shard.db(1).Find("a"), nullptr);
  shard.FlushDb(1);
  EXPECT_TRUE(observer.flushed.count(1));
  EXPECT_EQ(shard.db(1).size(), 0u);
  EXPECT_EQ(shard.KeyCount(), 1u);
  shard.FlushAll();
  EXPECT_EQ(shard.KeyCount(), 0u);
}

TEST(Shard, NoEvictionRefusesOnceOverTheLimit) {
  EngineOptions options;
  options.maxmemory = 1;  // anything allocated is over
  Shard shard(options);
  EXPECT_EQ(shard.EnforceMaxmemory().code(), Code::kOutOfMemory);
}

TEST(Shard, VolatilePoliciesEvictOnlyKeysWithATtl) {
  EngineOptions options;
  options.policy = EvictionPolicy::kVolatileLru;
  options.maxmemory = 1;
  Shard shard(options);
  shard.set_now_ms(0);
  for (int i = 0; i < 10; ++i) shard.db(0).Set(NewString(shard, "persistent" + std::to_string(i), "v"));
  for (int i = 0; i < 10; ++i) shard.db(0).Set(NewString(shard, "volatile" + std::to_string(i), "v", 1'000'000));
  // Still over the (impossible) limit once the volatile keys are gone: OOM,
  // but every persistent key survives.
  EXPECT_EQ(shard.EnforceMaxmemory().code(), Code::kOutOfMemory);
  EXPECT_EQ(shard.db(0).size(), 10u);
  EXPECT_EQ(shard.db(0).expires_count(), 0u);
  EXPECT_EQ(shard.stats().evicted_keys, 10u);
}

TEST(Shard, AllKeysPoliciesEvictEverythingIfNeeded) {
  for (EvictionPolicy policy : {EvictionPolicy::kAllKeysLru, EvictionPolicy::kAllKeysLfu, EvictionPolicy::kAllKeysRandom}) {
    EngineOptions options;
    options.policy = policy;
    options.maxmemory = 1;
    Shard shard(options);
    for (int db = 0; db < 3; ++db) {
      for (int i = 0; i < 20; ++i) shard.db(db).Set(NewString(shard, "k" + std::to_string(i), "v"));
    }
    EXPECT_EQ(shard.EnforceMaxmemory().code(), Code::kOutOfMemory);
    EXPECT_EQ(shard.KeyCount(), 0u);
    EXPECT_EQ(shard.stats().evicted_keys, 60u);
  }
}

// A command was refused OOM while evictable keys remained: after its share of evictions
// (or when a background thread's free moved the figure between two looks) the shard
// answered OOM. As Redis, only a keyspace with nothing left to evict refuses.
TEST(Shard, EvictionThatHasKeysLeftNeverRefuses) {
  EngineOptions options;
  options.policy = EvictionPolicy::kAllKeysRandom;
  options.maxmemory = 1;  // never reached: every call evicts its whole share
  Shard shard(options);
  constexpr int kKeys = 10001;  // one more than a call evicts
  for (int i = 0; i < kKeys; ++i) shard.db(0).Set(NewString(shard, "k" + std::to_string(i), "v"));
  EXPECT_TRUE(shard.EnforceMaxmemory().ok());
  EXPECT_EQ(shard.KeyCount(), 1u);
  EXPECT_EQ(shard.EnforceMaxmemory().code(), Code::kOutOfMemory);
  EXPECT_EQ(shard.KeyCount(), 0u);
}

TEST(Shard, LfuCounterStartsAtFiveAndDecaysWithTime) {
  EngineOptions options;
  options.policy = EvictionPolicy::kAllKeysLfu;
  Shard shard(options);
  shard.set_now_ms(0);
  Entry* entry = NewString(shard, "k", "v");
  EXPECT_EQ(shard.LfuCounter(entry), 5);
  shard.set_now_ms(3 * 60 * 1000);  // three decay periods later
  EXPECT_EQ(shard.LfuCounter(entry), 2);
  Entry::Free(entry);
}

TEST(Shard, IdleTimeCountsSecondsSinceLastAccess) {
  Shard shard({});
  shard.set_now_ms(10'000);
  shard.db(0).Set(NewString(shard, "k", "v"));
  shard.set_now_ms(25'000);
  EXPECT_EQ(shard.IdleSeconds(shard.db(0).Peek("k")), 15u);
  shard.db(0).Find("k");  // touches
  EXPECT_EQ(shard.IdleSeconds(shard.db(0).Peek("k")), 0u);
}

}  // namespace
}  // namespace tierkv
