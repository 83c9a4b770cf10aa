// What starts a checkpoint round besides the save rules: the dirty list's DRAM. A cache
// that evicts lists every evicted key until a round writes its tombstone; with no save
// rule firing, the list would grow with the evictions and take the memory they freed.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/temp_dir.h"
#include "tiering/durability.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::TempDir;

constexpr size_t kMaxmemory = 512u << 20;  // the list's bound is then 8 MiB
constexpr size_t kBound = kMaxmemory / 64;

EngineOptions WithMaxmemory() {
  EngineOptions options;
  options.maxmemory = kMaxmemory;
  return options;
}

class RoundTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DurabilityOptions options;
    options.dir = dir_.path();
    options.journal = false;
    options.post_to_engine = engine_.Poster();
    auto opened = Durability::Open(harness_.shard(), std::make_unique<FakeTier>(), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    durability_ = std::move(*opened);
  }

  // Lists deleted keys (as evictions do) until the list takes `bytes` of DRAM.
  void ListDeletedKeys(size_t bytes) {
    ChangeLog& changes = harness_.shard().changes();
    for (int i = 0; changes.dirty_bytes() < bytes; ++i) {
      changes.QueueDirty({DirtyItem::Kind::kKey, 0, "evicted:" + std::to_string(i) + std::string(200, 'k')});
    }
  }

  TempDir dir_{"tierkv-round-triggers"};
  EngineQueue engine_;
  CommandHarness harness_{WithMaxmemory()};
  std::unique_ptr<Durability> durability_;
};

TEST_F(RoundTriggerTest, ADirtyListPastItsBoundStartsARoundWithoutSaveRules) {
  ListDeletedKeys(kBound);
  durability_->Cron(Shard::WallClockMs());
  EXPECT_TRUE(durability_->round_in_progress());
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  EXPECT_EQ(durability_->info().rounds, 1u);
  EXPECT_EQ(harness_.shard().changes().dirty_count(), 0u) << "the round wrote the listed tombstones";
}

TEST_F(RoundTriggerTest, ADirtyListBelowItsBoundWaitsForTheSaveRules) {
  ListDeletedKeys(kBound / 2);
  durability_->Cron(Shard::WallClockMs());
  EXPECT_FALSE(durability_->round_in_progress());
  EXPECT_EQ(durability_->info().rounds, 0u);
}

// Tiering: a round starts before memory reaches the budget, so that values are clean
// (free to leave DRAM at once) when it does, rather than writers waiting there for a
// whole round to be written.
class TieringRoundTriggerTest : public RoundTriggerTest {
 protected:
  void SetUp() override {
    RoundTriggerTest::SetUp();
    harness_.shard().options().tiering.enabled = true;
  }
  // A key changed since the last round: listed dirty, as a command's commit does.
  void WriteKey(const std::string& key) {
    harness_.Run({"SET", key, std::string(1000, 'v')});
    (void)durability_->CommitChanges();
  }
  void SetMaxmemory(size_t bytes) { harness_.shard().options().maxmemory = bytes; }
};

TEST_F(TieringRoundTriggerTest, MemoryPastThreeQuartersOfTheBudgetStartsARound) {
  WriteKey("k");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 10 / 9);  // used: 90% of the budget
  durability_->Cron(Shard::WallClockMs());
  EXPECT_TRUE(durability_->round_in_progress());
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  EXPECT_EQ(durability_->info().rounds, 1u);
  EXPECT_FALSE(harness_.shard().changes().has_dirty());
}

TEST_F(TieringRoundTriggerTest, MemoryWellUnderTheBudgetWaitsForTheSaveRules) {
  WriteKey("k");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 2);  // used: half the budget
  durability_->Cron(Shard::WallClockMs());
  EXPECT_FALSE(durability_->round_in_progress());
}

TEST_F(TieringRoundTriggerTest, NothingDirtyStartsNothing) {
  SetMaxmemory(harness_.shard().BudgetedMemory() * 10 / 9);
  durability_->Cron(Shard::WallClockMs());
  EXPECT_FALSE(durability_->round_in_progress());
}

TEST_F(TieringRoundTriggerTest, DemotionFindingNothingCleanStartsNoRoundWhenNothingIsDirty) {
  WriteKey("k");
  ASSERT_TRUE(durability_->StartRound(nullptr));  // as SAVE: the value is in the tier, clean
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  ASSERT_FALSE(harness_.shard().changes().has_dirty());
  const uint64_t rounds = durability_->info().rounds;
  // Over a budget below what the keys take by themselves: nothing can leave DRAM.
  SetMaxmemory(1);
  harness_.shard().options().tiering.min_value_size = 1u << 20;  // no value may leave
  EXPECT_TRUE(harness_.shard().EnforceMaxmemory().ok());
  durability_->Cron(Shard::WallClockMs() + 10'000);
  EXPECT_FALSE(durability_->round_in_progress()) << "a round with nothing dirty frees nothing";
  EXPECT_EQ(durability_->info().rounds, rounds);
}

TEST_F(TieringRoundTriggerTest, WithoutTieringMemoryStartsNoRound) {
  harness_.shard().options().tiering.enabled = false;
  WriteKey("k");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 10 / 9);
  durability_->Cron(Shard::WallClockMs());
  EXPECT_FALSE(durability_->round_in_progress());
}

TEST_F(TieringRoundTriggerTest, RoundsFollowEachOtherWhileDemotionFindsNothingClean) {
  WriteKey("first");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 10 / 9);
  durability_->Cron(Shard::WallClockMs());
  ASSERT_TRUE(durability_->round_in_progress());
  // Writes outrun the round: over the budget with nothing clean (the value written after
  // S is dirty, the round's is still being written).
  WriteKey("during");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 9 / 10);
  EXPECT_TRUE(harness_.shard().EnforceMaxmemory().ok());
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->info().rounds == 1; }));
  EXPECT_TRUE(durability_->round_in_progress()) << "the next round starts without waiting for the cron";
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  EXPECT_EQ(durability_->info().rounds, 2u);
  EXPECT_FALSE(harness_.shard().changes().has_dirty());
}

TEST_F(TieringRoundTriggerTest, NearTheBudgetRoundsStartAtMostOnceASecond) {
  WriteKey("first");
  SetMaxmemory(harness_.shard().BudgetedMemory() * 10 / 9);
  const int64_t now = Shard::WallClockMs();
  durability_->Cron(now);
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  EXPECT_EQ(durability_->info().rounds, 1u) << "demotion was not starved: no round follows at once";
  WriteKey("trickle");
  durability_->Cron(now + 100);
  EXPECT_FALSE(durability_->round_in_progress());
  durability_->Cron(now + 1500);
  EXPECT_TRUE(durability_->round_in_progress());
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
}

}  // namespace
}  // namespace tierkv
