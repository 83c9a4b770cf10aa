// Tests for tiering/pmem/: what only PmemTier has (the conformance suite in tier_test.cc
// runs it too): the pool's layout and version checks, a pool filled to its size, a
// transaction aborted half way, and a SIGKILL in the middle of writes and stages.
// Pools live in /dev/shm; ctest sets PMEM_IS_PMEM_FORCE=1.
#include <gtest/gtest.h>

#if TIERKV_PMEM

#include <libpmemobj.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "harness/temp_dir.h"
#include "harness/tier_entries.h"
#include "tiering/pmem/pmem_tier.h"

namespace tierkv {
namespace {

using testing::TempDir;
using testing::Value;

class PmemTierTest : public ::testing::Test {
 protected:
  std::unique_ptr<PmemTier> Open(uint64_t pool_size = 64 << 20, uint64_t pool_version = kPmemPoolVersion) {
    PmemTierOptions options;
    options.path = path_;
    options.pool_size = pool_size;
    options.pool_version = pool_version;
    auto opened = PmemTier::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  Status OpenStatus(uint64_t pool_version = kPmemPoolVersion) {
    PmemTierOptions options;
    options.path = path_;
    options.pool_version = pool_version;
    return PmemTier::Open(options).status();
  }
  static std::map<std::string, TierEntry> Contents(Tier& tier) {
    std::map<std::string, TierEntry> all;
    Status status = tier.ForEach([&](TierEntry&& entry) {
      std::string name = std::to_string(entry.db) + "/" + entry.key;
      all.emplace(std::move(name), std::move(entry));
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.message();
    return all;
  }

  TempDir dir_{"tierkv-pmem", "/dev/shm"};
  const std::string path_ = dir_.path() + "/pool";
};

TEST_F(PmemTierTest, APoolOfAnotherLayoutIsRefusedNamingIt) {
  PMEMobjpool* other = pmemobj_create(path_.c_str(), "some-other-layout", PMEMOBJ_MIN_POOL, 0600);
  ASSERT_NE(other, nullptr) << pmemobj_errormsg();
  pmemobj_close(other);
  const Status status = OpenStatus();
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("tierkv-tier"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("some-other-layout"), std::string::npos) << status.message();
}

TEST_F(PmemTierTest, APoolOfAnotherVersionIsRefusedNamingBoth) {
  Open().reset();
  const Status status = OpenStatus(kPmemPoolVersion + 1);
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("pool version " + std::to_string(kPmemPoolVersion)), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("reads version " + std::to_string(kPmemPoolVersion + 1)), std::string::npos)
      << status.message();
  EXPECT_TRUE(OpenStatus().ok());  // untouched by the refusal
}

TEST_F(PmemTierTest, OpenWithoutCreatingNamesTheMissingPool) {
  PmemTierOptions options;
  options.path = path_;
  options.create_if_missing = false;
  const Status status = PmemTier::Open(options).status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path_), std::string::npos) << status.message();
}

// Written until the pool refuses: every refusal is a Status naming the full pool, what was
// written before stays readable (now and after a reopen), and freeing space lets writes in
// again.
TEST_F(PmemTierTest, AFullPoolAnswersErrorsAndStaysConsistent) {
  auto tier = Open(PMEMOBJ_MIN_POOL);
  const std::string value(64 << 10, 'v');
  uint64_t written = 0;
  Status refused = Status::Ok();
  for (uint64_t i = 1; i <= 1000; ++i) {
    TierBatch batch;
    batch.Put(Value(0, "k" + std::to_string(i), i, value + std::to_string(i)));
    refused = tier->Write(batch);
    if (!refused.ok()) break;
    written = i;
  }
  ASSERT_FALSE(refused.ok()) << "a pool of " << PMEMOBJ_MIN_POOL << " bytes took 1000 values of 64 KiB";
  EXPECT_NE(refused.message().find("pool full"), std::string::npos) << refused.message();
  ASSERT_GT(written, 10u) << refused.message();
  EXPECT_EQ(tier->stats().keys, written);
  const PmemPoolBytes bytes = tier->pool_bytes();
  EXPECT_GT(bytes.used, written * value.size());
  EXPECT_LE(bytes.used, bytes.capacity);
  // Refused again (a second, larger value), and still whole.
  TierBatch larger;
  larger.Put(Value(0, "big", 9999, std::string(1 << 20, 'b')));
  EXPECT_FALSE(tier->Write(larger).ok());
  for (uint64_t i = 1; i <= written; ++i) {
    auto got = tier->Get(0, "k" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(*got, Value(0, "k" + std::to_string(i), i, value + std::to_string(i)));
  }
  EXPECT_EQ(tier->Get(0, "big").value(), std::nullopt);

  // Room again once keys go.
  TierBatch erase;
  for (uint64_t i = 1; i <= written / 2; ++i) erase.Erase(0, "k" + std::to_string(i));
  Status erased = tier->Write(erase);
  ASSERT_TRUE(erased.ok()) << erased.message();
  TierBatch again;
  again.Put(Value(0, "after", written + 1, value));
  Status status = tier->Write(again);
  ASSERT_TRUE(status.ok()) << status.message();
  status = tier->Commit(written + 1);
  ASSERT_TRUE(status.ok()) << status.message();
  const auto before = Contents(*tier);
  tier.reset();
  tier = Open();
  EXPECT_EQ(Contents(*tier), before);
  EXPECT_EQ(before.size(), written - written / 2 + 1);
}

// A batch whose last put does not fit aborts its transaction after it rewrote a key's
// metadata in place, freed another and allocated a third: none of it stays, in DRAM or in
// the pool.
TEST_F(PmemTierTest, AnAbortedTransactionLeavesThePoolAsItWas) {
  auto tier = Open(PMEMOBJ_MIN_POOL);
  TierBatch first;
  first.Put(Value(0, "a", 1, "value a"));
  first.Put(Value(0, "b", 2, "value b"));
  first.Put(Value(1, "c", 3, "value c"));
  ASSERT_TRUE(tier->Write(first).ok());
  ASSERT_TRUE(tier->Commit(3).ok());
  const auto before = Contents(*tier);
  const TierStats stats_before = tier->stats();

  TierBatch doomed;
  doomed.SetMetadata(0, "a", 4, 1'700'000'000'000);
  doomed.Erase(0, "b");
  doomed.Put(Value(0, "new", 5, "fits"));
  doomed.SwapDb(0, 1);
  doomed.Put(Value(0, "huge", 6, std::string(PMEMOBJ_MIN_POOL, 'x')));
  const Status status = tier->Write(doomed);
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_EQ(Contents(*tier), before);
  EXPECT_EQ(tier->stats().keys, stats_before.keys);
  EXPECT_EQ(tier->stats().disk_bytes, stats_before.disk_bytes);

  // The same in a stage, which the next commit then records without it.
  ASSERT_FALSE(tier->WriteStaged(doomed).ok());
  TierBatch staged;
  staged.Put(Value(0, "d", 7, "value d"));
  ASSERT_TRUE(tier->WriteStaged(staged).ok());
  ASSERT_TRUE(tier->Commit(7).ok());
  auto expected = before;
  expected.emplace("0/d", Value(0, "d", 7, "value d"));
  EXPECT_EQ(Contents(*tier), expected);

  tier.reset();
  tier = Open();
  EXPECT_EQ(Contents(*tier), expected);
  EXPECT_EQ(tier->ReadMetadata().value().checkpoint_lsn, 7u);
}

// A child process writes rounds (every key of a round staged with the round's LSN, then
// Commit) and plain batches (three keys with one LSN) until it is killed; the pool it
// leaves must open with every round whole: all round keys at the checkpoint LSN, and each
// plain batch whole.
TEST_F(PmemTierTest, ASigkillAmidWritesAndRoundsLeavesWholeRoundsAndBatches) {
  constexpr int kRoundKeys = 40;
  Open().reset();  // created before the child runs
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    PmemTierOptions options;
    options.path = path_;
    auto opened = PmemTier::Open(options);
    if (!opened.ok()) ::_exit(2);
    PmemTier& tier = **opened;
    const std::string value(2000, 'r');
    for (uint64_t lsn = 1; lsn < 1'000'000; ++lsn) {
      TierBatch plain;  // before the stage begins (a Write after it would join it)
      for (const char* key : {"x", "y", "z"}) plain.Put(Value(1, key, lsn, std::to_string(lsn)));
      if (!tier.Write(plain).ok()) ::_exit(4);
      TierBatch round;
      for (int k = 0; k < kRoundKeys; ++k) {
        round.Put(Value(0, "round" + std::to_string(k), lsn, value + std::to_string(lsn)));
      }
      if (!tier.WriteStaged(round).ok()) ::_exit(3);
      if (!tier.Commit(lsn).ok()) ::_exit(5);
      if (lsn == 20) (void)!::write(ready[1], "r", 1);
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child never got going";
  ::close(ready[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // into the middle of some round
  ::kill(child, SIGKILL);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the child ended on its own: " << wait_status;

  auto tier = Open();
  const uint64_t checkpoint = tier->ReadMetadata().value().checkpoint_lsn;
  ASSERT_GE(checkpoint, 20u);
  const auto all = Contents(*tier);
  ASSERT_EQ(all.size(), kRoundKeys + 3u);
  for (int k = 0; k < kRoundKeys; ++k) {
    const TierEntry& entry = all.at("0/round" + std::to_string(k));
    EXPECT_EQ(entry.lsn, checkpoint) << entry.key;
    EXPECT_EQ(entry.value, std::string(2000, 'r') + std::to_string(checkpoint));
  }
  const uint64_t plain = all.at("1/x").lsn;
  EXPECT_GE(plain, checkpoint);
  EXPECT_LE(plain, checkpoint + 1);  // a plain write is durable when it returns
  for (const char* key : {"x", "y", "z"}) {
    EXPECT_EQ(all.at(std::string("1/") + key), Value(1, key, plain, std::to_string(plain)));
  }
  // The pool holds what it shows, nothing of the dropped stage.
  EXPECT_EQ(tier->stats().keys, kRoundKeys + 3u);
  EXPECT_LT(tier->pool_bytes().used, (kRoundKeys + 3u) * 4096u);
}

}  // namespace
}  // namespace tierkv

#else

TEST(PmemTierTest, SkippedWithoutLibpmemobj) {
  GTEST_SKIP() << "built without TIERKV_PMEM (libpmemobj not found): the persistent-memory tier is not tested";
}

#endif
