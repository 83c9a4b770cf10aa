// Cold values in the engine (engine/cold_values.h): which values may leave DRAM, what a
// cold entry still answers without its value, and how a value comes back.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/cold_values.h"
#include "engine/expire_ops.h"
#include "engine/key_ops.h"
#include "engine/shard.h"
#include "engine/types/hash/hash_value.h"
#include "engine/types/list/list_value.h"
#include "engine/types/set/set_value.h"
#include "engine/types/string/string_ops.h"
#include "engine/types/zset/zset.h"

namespace tierkv {
namespace {

const std::string kValue(200, 'v');

// A shard whose "tier" is a map of what was demoted; counts the loads.
class ColdValuesTest : public ::testing::Test {
 protected:
  ColdValuesTest() : shard_(Options()) {
    shard_.set_cold_loader([this](int, const Entry& cold) -> Result<Entry*> {
      ++loads_;
      auto stored = tier_.find(std::string(cold.key()));
      if (stored == tier_.end()) return Status::IoError("not in the test's tier");
      Entry* loaded = Entry::NewString(cold.key(), stored->second.value, kNoExpire);
      loaded->lsn = stored->second.lsn;
      return loaded;
    });
  }
  static EngineOptions Options() {
    EngineOptions options;
    options.maxmemory = 1 << 30;
    options.tiering.enabled = true;
    return options;
  }

  // A string the tier holds as it is (what a checkpoint round leaves behind).
  Entry* AddClean(std::string_view key, std::string_view value, int64_t expire_at = kNoExpire) {
    Entry* entry = Entry::NewString(key, value, expire_at);
    entry->flags |= Entry::kInTier | Entry::kTierValueCurrent;
    entry->lsn = ++lsn_;
    shard_.db(0).Set(entry);
    tier_[std::string(key)] = {std::string(value), entry->lsn};
    return shard_.db(0).Peek(key);
  }
  // What a read of the tier hands back: the value, stamped with the tier's LSN for it.
  static Entry* Loaded(std::string_view key, std::string_view value, uint64_t lsn) {
    Entry* loaded = Entry::NewString(key, value, kNoExpire);
    loaded->lsn = lsn;
    return loaded;
  }
  Entry* Demote(std::string_view key) {
    Entry* entry = shard_.db(0).Peek(key);
    return shard_.db(0).Demote(entry, entry->MemoryUsage());
  }

  struct Stored {
    std::string value;
    uint64_t lsn;  // what the tier's metadata says
  };
  Shard shard_;
  std::map<std::string, Stored> tier_;
  uint64_t lsn_ = 0;
  int loads_ = 0;
};

TEST_F(ColdValuesTest, OnlyValuesTheTierHoldsAsTheyAreMayLeave) {
  const TieringOptions options;
  const int64_t now = shard_.now_ms();
  Entry* clean = AddClean("clean", kValue);
  EXPECT_TRUE(IsDemotable(*clean, options, now));

  Entry* dirty = AddClean("dirty", kValue);
  dirty->flags |= Entry::kDirty;
  EXPECT_FALSE(IsDemotable(*dirty, options, now));

  Entry* writing = AddClean("writing", kValue);
  writing->flags |= Entry::kWriteInFlight;
  EXPECT_FALSE(IsDemotable(*writing, options, now));

  Entry* changed = AddClean("changed", kValue);
  changed->flags &= static_cast<uint8_t>(~Entry::kTierValueCurrent);
  EXPECT_FALSE(IsDemotable(*changed, options, now));

  EXPECT_FALSE(IsDemotable(*AddClean("small", "tiny"), options, now));
  EXPECT_FALSE(IsDemotable(*AddClean("integer", "12345"), options, now));
  EXPECT_FALSE(IsDemotable(*AddClean("expiring", kValue, now + 1000), options, now));
  EXPECT_TRUE(IsDemotable(*AddClean("lasting", kValue, now + 3'600'000), options, now));
}

TEST_F(ColdValuesTest, MetadataCommandsLeaveTheValueCold) {
  AddClean("k", kValue);
  Demote("k");
  EXPECT_EQ(shard_.db(0).cold_count(), 1u);
  const std::string_view keys[] = {"k"};
  EXPECT_EQ(OpExists(shard_, 0, keys), 1);
  EXPECT_EQ(OpType(shard_, 0, "k"), "string");
  EXPECT_EQ(OpTtl(shard_, 0, "k", TtlUnit::kSeconds, false), -1);
  EXPECT_TRUE(OpExpire(shard_, 0, "k", shard_.now_ms() + 60'000, 0));
  EXPECT_GT(OpTtl(shard_, 0, "k", TtlUnit::kSeconds, false), 0);
  EXPECT_EQ(loads_, 0);
  EXPECT_TRUE(shard_.db(0).Peek("k")->is_cold());
  // The value comes back under the entry's newer metadata (the TTL set while cold).
  auto value = OpGet(shard_, 0, "k");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(**value, kValue);
  EXPECT_EQ(loads_, 1);
  EXPECT_GT(OpTtl(shard_, 0, "k", TtlUnit::kSeconds, false), 0);
  EXPECT_EQ(shard_.db(0).cold_count(), 0u);
}

TEST_F(ColdValuesTest, DeleteAndOverwriteOfAColdKeyReadNothing) {
  AddClean("gone", kValue);
  AddClean("replaced", kValue);
  Demote("gone");
  Demote("replaced");
  const std::string_view keys[] = {"gone"};
  EXPECT_EQ(OpDel(shard_, 0, keys, FreeReason::kUserDel), 1);
  ASSERT_TRUE(OpSet(shard_, 0, "replaced", "new", SetOptions{}).ok());
  EXPECT_EQ(loads_, 0);
  EXPECT_EQ(shard_.db(0).cold_count(), 0u);
  EXPECT_EQ(**OpGet(shard_, 0, "replaced"), "new");
}

TEST_F(ColdValuesTest, AValueReadForAnOlderEntryIsNotInstalled) {
  AddClean("k", kValue);
  const uint64_t first_lsn = Demote("k")->cold_locator().value_lsn;
  // Deleted and written again, then demoted again: a read started for the first cold
  // entry must not install its value over the second.
  shard_.db(0).Delete("k");
  AddClean("k", "second" + kValue);
  Demote("k");
  EXPECT_FALSE(shard_.InstallLoadedValue(0, "k", first_lsn, Loaded("k", kValue, first_lsn)));
  EXPECT_TRUE(shard_.db(0).Peek("k")->is_cold());
  const uint64_t current = shard_.db(0).Peek("k")->cold_locator().value_lsn;
  EXPECT_TRUE(shard_.InstallLoadedValue(0, "k", current, Loaded("k", "second" + kValue, current)));
  EXPECT_EQ(**OpGet(shard_, 0, "k"), "second" + kValue);
  EXPECT_EQ(loads_, 0);
}

TEST_F(ColdValuesTest, ATierCopyOlderThanTheDemotedValueIsNeverInstalled) {
  AddClean("k", kValue);
  const uint64_t value_lsn = Demote("k")->cold_locator().value_lsn;
  // A read that raced a rewrite of the key found the state before it: refused, the
  // entry stays cold.
  EXPECT_FALSE(shard_.InstallLoadedValue(0, "k", value_lsn, Loaded("k", "older" + kValue, value_lsn - 1)));
  EXPECT_TRUE(shard_.db(0).Peek("k")->is_cold());
  // A newer metadata LSN (an expiry changed while cold) is the same value.
  EXPECT_TRUE(shard_.InstallLoadedValue(0, "k", value_lsn, Loaded("k", kValue, value_lsn + 1)));
  EXPECT_FALSE(shard_.db(0).Peek("k")->is_cold());

  // The synchronous path refuses it too, as a failed read (the key looks missing to the
  // command: engine/db.h, Find).
  AddClean("s", kValue);
  Demote("s");
  --tier_["s"].lsn;
  auto got = OpGet(shard_, 0, "s");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(shard_.last_load_error(), Shard::OlderThanDemoted().message());
  EXPECT_TRUE(shard_.db(0).Peek("s")->is_cold());
}

TEST_F(ColdValuesTest, AValueReadBackIsNotAnAccessOfItsOwn) {
  AddClean("k", kValue);
  Entry* cold = Demote("k");
  const uint32_t access = cold->access = 12345;
  // A CLIENT NO-TOUCH read: the command's own lookup does not touch, and neither does
  // bringing the value back for it.
  shard_.set_touch_enabled(false);
  EXPECT_EQ(**OpGet(shard_, 0, "k"), kValue);
  shard_.set_touch_enabled(true);
  EXPECT_EQ(shard_.db(0).Peek("k")->access, access);
  Demote("k");
  EXPECT_TRUE(shard_.InstallLoadedValue(0, "k", shard_.db(0).Peek("k")->cold_locator().value_lsn,
                                        Loaded("k", kValue, tier_["k"].lsn)));
  EXPECT_EQ(shard_.db(0).Peek("k")->access, access);
}

// A value of each collection type that grew past its compact encoding and shrank again,
// read back in the encoding a load picks for its size: it comes back as it left.
TEST_F(ColdValuesTest, AValueComesBackInTheEncodingItLeftWith) {
  const EncodingLimits limits;
  struct Case {
    const char* key;
    ValueType type;
    std::function<ValueObject*()> in_dram;   // the live value
    std::function<ValueObject*()> decoded;   // what decoding its tier copy gives
  };
  auto small_table = [] {
    FieldTable table;
    table.Set("f", "v");
    return new TableHash(std::move(table));
  };
  auto small_listpack_hash = [] {
    auto hash = new ListpackHash();
    hash->Set("f", "v");
    return hash;
  };
  auto skiplist = [&] {
    auto zset = ZSet::Create(1000, 1, limits);
    zset->Insert("m", 1.5, limits);
    return zset.release();
  };
  auto listpack_zset = [&] {
    auto zset = ZSet::Create(1, 1, limits);
    zset->Insert("m", 1.5, limits);
    return zset.release();
  };
  auto set_of = [&](Encoding encoding) {
    auto set = new SetValue();
    set->Add("1", limits);
    set->Add("2", limits);
    if (encoding == Encoding::kListpack) set->ConvertToListpack();
    if (encoding == Encoding::kHashtable) set->ConvertToHashtable(2);
    return set;
  };
  auto list_of = [](bool quicklist) {
    Listpack packed;
    packed.Append("a");
    packed.Append("b");
    if (!quicklist) return new ListValue(std::move(packed));
    auto nodes = std::make_unique<Quicklist>();
    nodes->AppendPackedNode(std::move(packed));
    return new ListValue(std::move(nodes));
  };
  const Case cases[] = {
      {"hash-shrank", ValueType::kHash, small_table, small_listpack_hash},
      {"zset-skiplist", ValueType::kZSet, skiplist, listpack_zset},
      {"set-hashtable", ValueType::kSet, [&] { return set_of(Encoding::kHashtable); }, [&] { return set_of(Encoding::kIntset); }},
      {"set-listpack", ValueType::kSet, [&] { return set_of(Encoding::kListpack); }, [&] { return set_of(Encoding::kIntset); }},
      {"list-quicklist", ValueType::kList, [&] { return list_of(true); }, [&] { return list_of(false); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    ValueObject* live = c.in_dram();
    const Encoding encoding = live->encoding();
    const size_t length = live->Length();
    Entry* entry = Entry::NewObject(c.key, c.type, encoding, live, kNoExpire);
    entry->flags |= Entry::kInTier | Entry::kTierValueCurrent;
    entry->lsn = ++lsn_;
    shard_.db(0).Set(entry);
    const uint64_t value_lsn = Demote(c.key)->cold_locator().value_lsn;
    ValueObject* decoded = c.decoded();
    ASSERT_NE(decoded->encoding(), encoding);
    Entry* loaded = Entry::NewObject(c.key, c.type, decoded->encoding(), decoded, kNoExpire);
    loaded->lsn = value_lsn;
    ASSERT_TRUE(shard_.InstallLoadedValue(0, c.key, value_lsn, loaded));
    const Entry* back = shard_.db(0).Peek(c.key);
    EXPECT_EQ(back->value_encoding(), encoding);
    EXPECT_EQ(back->object()->Length(), length);
  }
  // Never towards a compact encoding: a set of many short members whose cold entry was
  // guessed a listpack at start-up stays the hashtable its size asks for.
  auto many = new SetValue();
  for (int i = 0; i < 200; ++i) many->Add("m" + std::to_string(i), limits);
  ASSERT_EQ(many->encoding(), Encoding::kHashtable);
  shard_.db(0).Set(Entry::NewCold("guessed", kNoExpire, ValueType::kSet, Encoding::kListpack, {++lsn_, 800}));
  Entry* loaded = Entry::NewObject("guessed", ValueType::kSet, Encoding::kHashtable, many, kNoExpire);
  loaded->lsn = lsn_;
  ASSERT_TRUE(shard_.InstallLoadedValue(0, "guessed", lsn_, loaded));
  EXPECT_EQ(shard_.db(0).Peek("guessed")->value_encoding(), Encoding::kHashtable);
}

TEST_F(ColdValuesTest, AStringKeepsItsEncodingLabel) {
  Entry* raw = AddClean("raw", "12345");
  raw->encoding = Encoding::kRaw;  // APPEND or SETRANGE made it raw, as in Redis
  Demote("raw");
  EXPECT_EQ(**OpGet(shard_, 0, "raw"), "12345");
  EXPECT_EQ(shard_.db(0).Peek("raw")->encoding, Encoding::kRaw);
}

TEST_F(ColdValuesTest, DemotionPicksCleanValuesUntilUnderTheTarget) {
  for (int i = 0; i < 100; ++i) AddClean("k" + std::to_string(i), kValue);
  Entry* dirty = AddClean("dirty", kValue);
  dirty->flags |= Entry::kDirty;
  // Sampling is random, so one call may miss the last clean value: a few calls find all.
  size_t demoted = 0;
  for (int call = 0; call < 50 && demoted < 100; ++call) demoted += shard_.DemoteColdest(1000, 0);
  EXPECT_EQ(demoted, 100u);
  EXPECT_EQ(shard_.db(0).cold_count(), 100u);
  EXPECT_FALSE(shard_.db(0).Peek("dirty")->is_cold());
  EXPECT_EQ(shard_.tiering_stats().demotions, 100u);
}

TEST_F(ColdValuesTest, AFullTierStopsDemotionAndLetsThePolicyDecide) {
  // Values large enough that evicting one frees more than the tombstone it then owes.
  const std::string large(8000, 'x');
  for (int i = 0; i < 50; ++i) AddClean("k" + std::to_string(i), large);
  shard_.options().maxmemory = shard_.BudgetedMemory() / 2;
  shard_.set_tier_full(true);
  EXPECT_FALSE(shard_.demoting());
  EXPECT_FALSE(shard_.OverTieringHardLimit());  // writers are not made to wait for rounds
  shard_.options().policy = EvictionPolicy::kNoEviction;
  EXPECT_EQ(shard_.EnforceMaxmemory().code(), Code::kOutOfMemory);
  EXPECT_EQ(shard_.db(0).cold_count(), 0u);
  EXPECT_EQ(shard_.db(0).size(), 50u);

  // Evicting a few keys makes room.
  shard_.options().policy = EvictionPolicy::kAllKeysLru;
  shard_.options().maxmemory = shard_.BudgetedMemory() - 10 * shard_.db(0).Peek("k0")->MemoryUsage();
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_EQ(shard_.db(0).cold_count(), 0u);
  EXPECT_GT(shard_.stats().evicted_keys, 0u);
  EXPECT_LT(shard_.db(0).size(), 50u);

  // Room in the tier again: values leave DRAM instead of keys.
  const size_t keys = shard_.db(0).size();
  shard_.options().maxmemory = shard_.BudgetedMemory() / 2;
  shard_.set_tier_full(false);
  for (int i = 0; i < 5 && shard_.db(0).cold_count() < keys; ++i) EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_EQ(shard_.db(0).cold_count(), keys);
  EXPECT_EQ(shard_.db(0).size(), keys);
}

TEST_F(ColdValuesTest, APinnedValueStaysUntilUnpinned) {
  AddClean("pinned", kValue);
  AddClean("other", kValue);
  shard_.PinResident(0, "pinned");
  for (int call = 0; call < 20; ++call) (void)shard_.DemoteColdest(1000, 0);
  EXPECT_TRUE(shard_.db(0).Peek("other")->is_cold());
  EXPECT_FALSE(shard_.db(0).Peek("pinned")->is_cold());
  shard_.UnpinResident(0, "pinned");
  for (int call = 0; call < 20 && !shard_.db(0).Peek("pinned")->is_cold(); ++call) (void)shard_.DemoteColdest(1000, 0);
  EXPECT_TRUE(shard_.db(0).Peek("pinned")->is_cold());
}

// A load past the budget spent most of its CPU on demotion passes that sampled the
// keyspace after every command for clean values that could not be there yet.
TEST_F(ColdValuesTest, AStarvedDemotionPassIsNotRepeatedUntilValuesMayBeClean) {
  for (int i = 0; i < 20; ++i) {
    Entry* entry = AddClean("k" + std::to_string(i), kValue);
    entry->flags |= Entry::kDirty;  // changed since the round wrote it
  }
  shard_.options().maxmemory = shard_.BudgetedMemory() / 2;
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());  // never OOM: writers wait for a round
  EXPECT_TRUE(shard_.TakeDemotionStarved());
  EXPECT_EQ(shard_.tiering_stats().demotion_starved, 1u);

  // A round writes them, but the shard is not told yet: the next commands do not sample.
  for (int i = 0; i < 20; ++i) shard_.db(0).Peek("k" + std::to_string(i))->flags &= static_cast<uint8_t>(~Entry::kDirty);
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_EQ(shard_.db(0).cold_count(), 0u);
  EXPECT_TRUE(shard_.TakeDemotionStarved());  // the cron still starts rounds
  EXPECT_EQ(shard_.tiering_stats().demotion_starved, 1u);  // one starved episode, not one per command

  // The checkpointer says its batch landed: the next pass finds them.
  shard_.NoteValuesClean();
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_GT(shard_.db(0).cold_count(), 0u);
}

TEST_F(ColdValuesTest, TheCronRetriesAStarvedDemotionPass) {
  Entry* entry = AddClean("k", kValue);
  entry->flags |= Entry::kDirty;
  shard_.options().maxmemory = shard_.BudgetedMemory() / 2;
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  entry->flags &= static_cast<uint8_t>(~Entry::kDirty);  // what no one reports (a config change, say)
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_FALSE(shard_.db(0).Peek("k")->is_cold());
  shard_.HousekeepingStep();
  EXPECT_TRUE(shard_.EnforceMaxmemory().ok());
  EXPECT_TRUE(shard_.db(0).Peek("k")->is_cold());
}

TEST_F(ColdValuesTest, SwapDbReadsColdValuesBackAndHoldsDemotionUntilACheckpoint) {
  AddClean("k", kValue);
  Demote("k");
  shard_.SwapDb(0, 1);
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(shard_.db(1).cold_count(), 0u);
  EXPECT_FALSE(shard_.demotion_allowed());
  shard_.NoteCheckpointCommitted(shard_.last_lsn() + 1);
  EXPECT_TRUE(shard_.demotion_allowed());
}

}  // namespace
}  // namespace tierkv

namespace tierkv {
namespace {

TEST_F(ColdValuesTest, AValueServedOnceGoesBackUnlessTheBudgetHasRoomForIt) {
  AddClean("served", kValue);
  // Room for it under the budget (with a margin: the allocator's figure moves a little
  // with any allocation): it stays.
  const size_t usage = shard_.db(0).Peek("served")->MemoryUsage();
  shard_.options().maxmemory = shard_.BudgetedMemory() + usage + (1 << 20);
  EXPECT_FALSE(shard_.DemoteUnlessRoom(0, "served"));
  EXPECT_FALSE(shard_.db(0).Peek("served")->is_cold());
  // Memory over the budget: no room, it leaves, counted as a demotion.
  shard_.options().maxmemory = shard_.BudgetedMemory() / 2;
  const uint64_t demotions = shard_.tiering_stats().demotions;
  EXPECT_TRUE(shard_.DemoteUnlessRoom(0, "served"));
  EXPECT_TRUE(shard_.db(0).Peek("served")->is_cold());
  EXPECT_EQ(shard_.tiering_stats().demotions, demotions + 1);
  // Cold already, or a value the tier does not hold as it is: nothing to do.
  EXPECT_FALSE(shard_.DemoteUnlessRoom(0, "served"));
  shard_.db(0).Set(Entry::NewString("dirty", kValue, kNoExpire));
  EXPECT_FALSE(shard_.DemoteUnlessRoom(0, "dirty"));
  EXPECT_FALSE(shard_.DemoteUnlessRoom(0, "missing"));
}

}  // namespace
}  // namespace tierkv

namespace tierkv {
namespace {

TEST(ColdEntryTest, ACollectionLeftInTheTierMeasuresItsEntryAlone) {
  // Its value slot holds a locator, not a value object to measure.
  Entry* cold = Entry::NewCold("h", kNoExpire, ValueType::kHash, Encoding::kHashtable, {7, 4096});
  EXPECT_EQ(cold->SampledMemoryUsage(5), cold->MemoryUsage());
  EXPECT_EQ(cold->SampledMemoryUsage(0), cold->MemoryUsage());
  Entry::Free(cold);
}

}  // namespace
}  // namespace tierkv
