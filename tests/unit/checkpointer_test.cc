// Tests for tiering/checkpointer.h against a FakeTier: what a round writes (exactly the
// dirty keys, tombstones for deleted ones, erases for emptied dbs), when tombstones are
// purged, changes made while a round runs, failed writes and commits (nothing lost), the
// batch bounds, and the write-ahead rule (the journal is durable before a batch lands).
//
// The test thread plays the engine thread: the checkpointer posts its completions to an
// EngineQueue that the test drains; tier work runs on a real TierIoPool.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/keyspace_image.h"
#include "harness/recording_tier.h"
#include "engine/cold_values.h"
#include "engine/rdb/rdb_object.h"
#include "tiering/checkpointer.h"
#include "tiering/tier_io_pool.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::ImageOf;
using testing::KeyspaceImage;
using testing::RecordingTier;
using testing::TierImageOf;

std::string Key(int i) {
  char name[8];
  std::snprintf(name, sizeof(name), "k%02d", i);
  return name;
}

class CheckpointerTest : public ::testing::Test {
 protected:
  CheckpointerTest() { shard().changes().set_enabled(true); }

  void SetUp() override { MakeCheckpointer(1024, 4u << 20); }

  void TearDown() override {
    // Never leave the pool blocked at a gate: its destructor runs what is queued.
    fake_.ReleaseWrites();
    fake_.ReleaseCommits();
    EXPECT_FALSE(checkpointer_->in_progress());
  }

  void MakeCheckpointer(size_t batch_keys, size_t batch_bytes, size_t value_step_bytes = 512u << 10) {
    CheckpointerOptions options;
    options.batch_keys = batch_keys;
    options.batch_bytes = batch_bytes;
    options.value_step_bytes = value_step_bytes;
    options.post_to_engine = engine_.Poster();
    options.make_journal_durable = [this](uint64_t lsn) {
      std::lock_guard lock(hooks_mu_);
      durable_requests_.push_back({lsn, tier_.batch_count()});
      return std::exchange(journal_failure_, Status::Ok());
    };
    options.drop_journal_below = [this](uint64_t lsn) {
      std::lock_guard lock(hooks_mu_);
      drops_.push_back(lsn);
    };
    options.before_slice = [this](size_t items_done) {
      if (before_slice_) before_slice_(items_done);
    };
    checkpointer_ = std::make_unique<Checkpointer>(shard(), tier_, pool_, std::move(options));
  }

  Shard& shard() { return harness_.shard(); }

  // Runs a write command and commits it, as the server does after every command.
  void Write(std::vector<std::string> args) {
    const std::string reply = harness_.Run(args);
    EXPECT_TRUE(reply.empty() || reply[0] != '-') << args[0] << " replied " << reply;
    (void)shard().CommitChanges();
  }

  void WriteATombstoneNewerThanItsRound();

  bool StartRound() {
    round_done_ = false;
    return checkpointer_->Start(
        [this](const CheckpointResult& result) {
          result_ = result;
          round_done_ = true;
        },
        point_in_time_);
  }
  CheckpointResult FinishRound() {
    EXPECT_TRUE(engine_.RunUntil([this] { return round_done_; })) << "the round never ended";
    return result_;
  }
  CheckpointResult RunRound() {
    EXPECT_TRUE(StartRound());
    return FinishRound();
  }

  // With the commit gate closed: runs the round's engine steps until its Commit waits
  // at the gate. The tier wakes the engine loop when the Commit call arrives.
  bool RunUntilCommitStalled() {
    std::atomic<bool> entered{false};
    tier_.before_commit = [&](uint64_t) {
      entered = true;
      engine_.Post([] {});
    };
    const bool stalled = engine_.RunUntil([&] { return entered && fake_.WaitUntilCommitsStalled(1); });
    tier_.before_commit = nullptr;
    return stalled;
  }

  std::optional<TierEntry> Stored(uint32_t db, const std::string& key) {
    auto stored = fake_.Get(db, key);
    EXPECT_TRUE(stored.ok());
    return stored.ok() ? *stored : std::nullopt;
  }
  bool IsTombstone(uint32_t db, const std::string& key) {
    auto stored = Stored(db, key);
    return stored.has_value() && stored->tombstone;
  }
  uint64_t CheckpointLsn() {
    auto metadata = fake_.ReadMetadata();
    EXPECT_TRUE(metadata.ok());
    return metadata.ok() ? metadata->checkpoint_lsn : 0;
  }

  // The keys put (values and tombstones) by the batches recorded from `first_batch` on.
  std::multiset<std::string> KeysPutSince(size_t first_batch) {
    std::multiset<std::string> keys;
    const std::vector<TierBatch> batches = tier_.batches();
    for (size_t i = first_batch; i < batches.size(); ++i) {
      for (const TierBatch::Op& op : batches[i].ops()) {
        if (op.kind == TierBatch::Kind::kPut) keys.insert(std::to_string(op.entry.db) + ":" + op.entry.key);
      }
    }
    return keys;
  }

  // After a round that ran with no change made during it, the tier holds exactly the
  // keyspace: same values, expiries and LSNs.
  void ExpectTierMirrorsShard() {
    EXPECT_EQ(TierImageOf(fake_), ImageOf(shard()));
    for (int db = 0; db < shard().db_count(); ++db) {
      shard().db(db).ForEach([&](Entry* entry) {
        auto stored = Stored(static_cast<uint32_t>(db), std::string(entry->key()));
        ASSERT_TRUE(stored.has_value());
        EXPECT_EQ(stored->lsn, entry->lsn) << entry->key();
        EXPECT_FALSE(entry->flags & Entry::kDirty) << entry->key() << " still marked dirty";
      });
    }
  }

  // --- Huge values, serialized in steps ---
  static constexpr size_t kValueStep = 16u << 10;

  // A list of about `bytes` (elements of 100 bytes), and a hash of as many fields.
  void WriteHugeList(const std::string& key, size_t bytes) {
    for (size_t done = 0; done < bytes;) {
      std::vector<std::string> args{"RPUSH", key};
      for (int i = 0; i < 500; ++i, done += 100) args.push_back(std::to_string(done) + std::string(90, 'x'));
      Write(args);
    }
  }
  void WriteHugeHash(const std::string& key, size_t bytes) {
    for (size_t done = 0; done < bytes;) {
      std::vector<std::string> args{"HSET", key};
      for (int i = 0; i < 500; ++i, done += 100) {
        args.push_back("f" + std::to_string(done));
        args.push_back(std::string(90, 'y'));
      }
      Write(args);
    }
  }
  // The key's value as the tier stores it (its RDB object encoding), "" if absent.
  std::string Encoded(int db, const std::string& key) {
    const Entry* entry = shard().db(db).Peek(key);
    if (entry == nullptr) return "";
    std::string bytes;
    RdbWriter writer(&bytes);
    WriteRdbObject(writer, *entry);
    return bytes;
  }
  // Every way the key "huge" (expiring at `expire_at`) can leave or move, by name.
  using NamedChange = std::pair<std::string, std::function<void()>>;
  std::vector<NamedChange> WaysHugeLeavesOrMoves(int64_t expire_at) {
    return {
        {"DEL", [this] { Write({"DEL", "huge"}); }},
        {"UNLINK (freed in the background)", [this] { Write({"UNLINK", "huge"}); }},
        {"RENAME", [this] { Write({"RENAME", "huge", "renamed"}); }},
        {"MOVE", [this] { Write({"MOVE", "huge", "1"}); }},
        {"FLUSHALL ASYNC", [this] { Write({"FLUSHALL", "ASYNC"}); }},
        {"FLUSHDB", [this] { Write({"FLUSHDB"}); }},
        {"SWAPDB", [this] { Write({"SWAPDB", "0", "1"}); }},
        {"eviction",
         [this] {
           shard().options().maxmemory = 1;  // nothing fits: every key goes
           shard().options().policy = EvictionPolicy::kAllKeysRandom;
           (void)shard().EnforceMaxmemory();
           shard().options().maxmemory = 0;
           (void)shard().CommitChanges();
           EXPECT_EQ(shard().db(0).Peek("huge"), nullptr);
         }},
        {"expiry",
         [this, expire_at] {
           shard().set_now_ms(expire_at + 1);
           shard().ActiveExpireCycle(/*budget_us=*/1000000);
           (void)shard().CommitChanges();
           EXPECT_EQ(shard().db(0).Peek("huge"), nullptr);
           shard().set_now_ms(0);
         }},
    };
  }
  // Runs a round whose values are serialized kValueStep at a time; `during` runs once,
  // after `steps` engine tasks have run while a value was being serialized.
  void RoundChangingMidValue(size_t steps, const std::function<void()>& during) {
    MakeCheckpointer(1024, 4u << 20, kValueStep);
    ASSERT_TRUE(StartRound());
    size_t seen = 0;
    ASSERT_TRUE(
        engine_.RunUntil([&] { return round_done_ || (checkpointer_->serializing_value() && ++seen > steps); }));
    ASSERT_FALSE(round_done_) << "the round ended before serializing a value in steps";
    during();
    EXPECT_FALSE(checkpointer_->serializing_value()) << "the change did not finish the value first";
    ASSERT_TRUE(FinishRound().status.ok()) << result_.status.message();
  }

  struct DurableRequest {
    uint64_t lsn;
    size_t next_batch;  // index of the batch written after it
  };

  EngineQueue engine_;
  CommandHarness harness_;
  FakeTier fake_;
  RecordingTier tier_{fake_};
  std::unique_ptr<Checkpointer> checkpointer_;
  std::function<void(size_t)> before_slice_;
  bool point_in_time_ = false;  // rounds start as they do without a journal
  bool round_done_ = false;
  CheckpointResult result_;
  std::mutex hooks_mu_;
  std::vector<DurableRequest> durable_requests_;
  Status journal_failure_;  // the next make_journal_durable returns it (then OK again)
  std::vector<uint64_t> drops_;
  // Last: destroyed first, so the tasks it still runs find everything else alive.
  TierIoPool pool_;
};

// --- What a round writes --------------------------------------------------------------

// Past max_key_items the change log stops listing present keys (DRAM) and the round finds
// them by scanning for dirty marks: the same keys reach the tier, and only those.
TEST_F(CheckpointerTest, RoundScansForDirtyKeysOnceTheListStopsNamingThem) {
  shard().changes().set_max_key_items(4);
  for (int i = 0; i < 80; ++i) Write({"SET", Key(i), "v"});
  Write({"DEL", Key(5)});
  EXPECT_TRUE(shard().changes().scan_needed());
  EXPECT_LE(shard().changes().dirty_count(), 2u);  // the deleted key is still listed
  MakeCheckpointer(7, 4u << 20);  // several slices, the scan resuming between them
  CheckpointResult first = RunRound();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  ExpectTierMirrorsShard();
  auto deleted = Stored(0, Key(5));  // a tombstone, or already purged: never a value
  EXPECT_TRUE(!deleted.has_value() || deleted->tombstone);
  EXPECT_FALSE(shard().changes().scan_needed());

  // A few changes stay listed: the next round writes exactly them, without a scan.
  Write({"SET", Key(9), "again"});
  Write({"SET", Key(10), "again"});
  const size_t batches_before = tier_.batch_count();
  CheckpointResult second = RunRound();
  ASSERT_TRUE(second.status.ok());
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:" + Key(9), "0:" + Key(10)}));
  ExpectTierMirrorsShard();
}

// A round used to hold the whole list it took until it ended (about 80 bytes per item for
// a 16-byte key), beside the list filling for the next one: in a cache that evicts, that
// was a round's length of evictions counted against maxmemory. Items are freed once their
// slices are written.
TEST_F(CheckpointerTest, RoundFreesTheItemsItHasWritten) {
  for (int i = 0; i < 6000; ++i) Write({"SET", "a-longer-key-" + std::to_string(100000 + i), "v"});
  MakeCheckpointer(256, 4u << 20);
  std::vector<size_t> list_bytes;
  before_slice_ = [&](size_t) { list_bytes.push_back(checkpointer_->list_bytes()); };
  CheckpointResult result = RunRound();
  ASSERT_TRUE(result.status.ok()) << result.status.message();
  ExpectTierMirrorsShard();
  ASSERT_GE(list_bytes.size(), 20u);
  EXPECT_GE(list_bytes.front(), 6000u * 64);
  EXPECT_LE(list_bytes[list_bytes.size() - 2], list_bytes.front() / 4);
  EXPECT_EQ(checkpointer_->list_bytes(), 0u);
}

// The same after a slice fails late in the round: the unwritten part, counted from where
// the freed items were, goes back to the change log, and the next round writes it.
TEST_F(CheckpointerTest, FailedRoundAfterFreeingWrittenItemsGivesBackTheRest) {
  for (int i = 0; i < 6000; ++i) Write({"SET", "a-longer-key-" + std::to_string(100000 + i), "v"});
  CheckpointResult first = RunRound();
  ASSERT_TRUE(first.status.ok());
  // Deleted keys the tier holds owe tombstones; changed ones a new state.
  for (int i = 0; i < 6000; i += 2) Write({"DEL", "a-longer-key-" + std::to_string(100000 + i)});
  for (int i = 1; i < 6000; i += 4) Write({"SET", "a-longer-key-" + std::to_string(100000 + i), "w"});
  MakeCheckpointer(256, 4u << 20);
  before_slice_ = [&](size_t items_done) {
    if (items_done >= 3000 && items_done < 3256) fake_.FailNextWrites(1, Status::IoError("disk on fire"));
  };
  CheckpointResult failed = RunRound();
  EXPECT_FALSE(failed.status.ok());
  before_slice_ = nullptr;
  CheckpointResult retried = RunRound();
  ASSERT_TRUE(retried.status.ok()) << retried.status.message();
  for (int i = 0; i < 6000; i += 2) {
    auto stored = Stored(0, "a-longer-key-" + std::to_string(100000 + i));
    EXPECT_TRUE(!stored.has_value() || stored->tombstone) << i << " came back";
  }
  // Purge the last tombstones, then the tier is the keyspace.
  CheckpointResult last = RunRound();
  ASSERT_TRUE(last.status.ok());
  ExpectTierMirrorsShard();
}

// The purge of a round's tombstones (a round's length of evictions, in a cache) was one
// batch: tens of megabytes of DRAM at once on the I/O thread, counted against maxmemory,
// evicting thousands of keys at the end of every round. It is written a slice at a time.
TEST_F(CheckpointerTest, TombstonesArePurgedInBatchesOfASlice) {
  for (int i = 0; i < 3000; ++i) Write({"SET", "a-longer-key-" + std::to_string(100000 + i), "v"});
  ASSERT_TRUE(RunRound().status.ok());
  for (int i = 0; i < 3000; ++i) Write({"DEL", "a-longer-key-" + std::to_string(100000 + i)});
  MakeCheckpointer(256, 4u << 20);
  const size_t batches_before = tier_.batch_count();
  // Writes the tombstones, stamped with its own LSN (nothing changed during it), then
  // purges them once it has committed.
  ASSERT_TRUE(RunRound().status.ok());
  size_t erased = 0;
  const std::vector<TierBatch> batches = tier_.batches();
  for (size_t i = batches_before; i < batches.size(); ++i) {
    size_t in_batch = 0;
    for (const TierBatch::Op& op : batches[i].ops()) in_batch += op.kind == TierBatch::Kind::kErase;
    EXPECT_LE(in_batch, 256u);
    erased += in_batch;
  }
  EXPECT_EQ(erased, 3000u);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  EXPECT_FALSE(Stored(0, "a-longer-key-100000").has_value());
}

TEST_F(CheckpointerTest, FailedScanningRoundScansAgainAndLosesNothing) {
  shard().changes().set_max_key_items(4);
  for (int i = 0; i < 60; ++i) Write({"SET", Key(i), "v"});
  MakeCheckpointer(8, 4u << 20);
  fake_.FailNextWrites(1, Status::IoError("disk on fire"));
  CheckpointResult failed = RunRound();
  EXPECT_FALSE(failed.status.ok());
  EXPECT_TRUE(shard().changes().scan_needed());
  CheckpointResult retried = RunRound();
  ASSERT_TRUE(retried.status.ok()) << retried.status.message();
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, RoundWritesExactlyTheDirtyKeys) {
  for (int i = 0; i < 10; ++i) Write({"SET", Key(i), "v" + std::to_string(i)});
  Write({"SET", "ttl", "t", "PX", "1000000"});
  CheckpointResult first = RunRound();
  ASSERT_TRUE(first.status.ok()) << first.status.message();
  EXPECT_EQ(first.lsn, 11u);
  EXPECT_EQ(first.keys, 11u);
  EXPECT_EQ(fake_.counters().ops, 11u);
  EXPECT_EQ(CheckpointLsn(), 11u);
  ExpectTierMirrorsShard();
  EXPECT_EQ(shard().changes().dirty_count(), 0u);

  Write({"SET", Key(3), "new3"});
  Write({"INCR", "counter"});
  Write({"SET", Key(7), "new7"});
  const size_t batches_before = tier_.batch_count();
  CheckpointResult second = RunRound();
  ASSERT_TRUE(second.status.ok());
  EXPECT_EQ(second.lsn, 14u);
  EXPECT_EQ(second.keys, 3u);
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:k03", "0:k07", "0:counter"}));
  EXPECT_EQ(fake_.counters().ops, 14u);
  EXPECT_EQ(Stored(0, Key(1))->lsn, 2u);  // clean keys keep their old copy
  EXPECT_EQ(CheckpointLsn(), 14u);
  ExpectTierMirrorsShard();
  EXPECT_EQ(drops_, (std::vector<uint64_t>{11, 14}));
}

TEST_F(CheckpointerTest, MovedAndRenamedKeysAreWrittenUnderTheirNewNames) {
  Write({"MSET", "a", "1", "b", "2", "c", "3"});
  // Still dirty from the MSET when they move: the new (db, key) must be queued anyway.
  Write({"MOVE", "a", "4"});
  Write({"RENAME", "b", "b2"});
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
  Write({"MOVE", "c", "5"});
  Write({"RENAME", "b2", "b3"});
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
  EXPECT_EQ(Stored(0, "c"), std::nullopt);   // tombstones written and purged
  EXPECT_EQ(Stored(0, "b2"), std::nullopt);
}

// COPY k k DB 1 of a key no round had written yet: the round must write the copy too.
TEST_F(CheckpointerTest, ACopyUnderTheSameNameInAnotherDbIsWritten) {
  Write({"SET", "k", "v"});
  Write({"COPY", "k", "k", "DB", "1"});
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
  ASSERT_TRUE(Stored(1, "k").has_value());
}

TEST_F(CheckpointerTest, RoundWithNothingDirtyOnlyCommits) {
  Write({"SET", "a", "1"});
  ASSERT_TRUE(RunRound().status.ok());
  const testing::FakeTierCounters before = fake_.counters();
  CheckpointResult empty = RunRound();
  ASSERT_TRUE(empty.status.ok());
  EXPECT_EQ(empty.keys, 0u);
  EXPECT_EQ(fake_.counters().writes, before.writes);
  EXPECT_EQ(fake_.counters().commits, before.commits + 1);
  EXPECT_EQ(CheckpointLsn(), 1u);
}

TEST_F(CheckpointerTest, StartIsRefusedWhileARoundRuns) {
  Write({"SET", "a", "1"});
  fake_.StallWrites();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(fake_.WaitUntilWritesStalled(1));
  EXPECT_TRUE(checkpointer_->in_progress());
  EXPECT_FALSE(checkpointer_->Start([](const CheckpointResult&) { ADD_FAILURE() << "a refused round ended"; }));
  fake_.ReleaseWrites();
  EXPECT_TRUE(FinishRound().status.ok());
  EXPECT_FALSE(checkpointer_->in_progress());
}

TEST_F(CheckpointerTest, EveryBatchFollowsAJournalSyncCoveringIt) {
  MakeCheckpointer(/*batch_keys=*/3, 4u << 20);
  for (int i = 0; i < 10; ++i) Write({"SET", Key(i), "v"});
  Write({"DEL", Key(4)});
  before_slice_ = [this](size_t done) {
    if (done == 3) Write({"SET", Key(8), "changed during the round"});
  };
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();
  std::lock_guard lock(hooks_mu_);
  ASSERT_FALSE(durable_requests_.empty());
  for (size_t i = 0; i < batches.size(); ++i) {
    // Tombstone purges (erases only, after the commit) carry no state to cover.
    const auto& ops = batches[i].ops();
    if (std::all_of(ops.begin(), ops.end(), [](const TierBatch::Op& op) { return op.kind == TierBatch::Kind::kErase; })) {
      continue;
    }
    uint64_t newest = 0;
    for (const TierBatch::Op& op : ops) newest = std::max(newest, op.entry.lsn);
    auto request = std::find_if(durable_requests_.begin(), durable_requests_.end(),
                                [&](const DurableRequest& r) { return r.next_batch == i; });
    ASSERT_NE(request, durable_requests_.end()) << "batch " << i << " written without a journal sync first";
    EXPECT_GE(request->lsn, newest) << "batch " << i << " holds a state the journal may not have";
  }
  EXPECT_EQ(Stored(0, Key(8))->lsn, 12u);  // the state newer than S went in, covered
}

// --- Tombstones ---------------------------------------------------------------------

TEST_F(CheckpointerTest, DeletedKeyLeavesATombstoneUntilTheCheckpointCoversIt) {
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"DEL", "a"});
  // Hold the commit: the tombstone is in the tier, stamped with the deletion's LSN.
  fake_.StallCommits();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(RunUntilCommitStalled());
  auto tombstone = Stored(0, "a");
  ASSERT_TRUE(tombstone.has_value());
  EXPECT_TRUE(tombstone->tombstone);
  EXPECT_EQ(tombstone->lsn, 3u);
  fake_.ReleaseCommits();
  CheckpointResult round = FinishRound();
  ASSERT_TRUE(round.status.ok());
  EXPECT_EQ(round.keys, 1u);
  // Committed at S = 3 >= its LSN: no journal record can need it any more.
  EXPECT_EQ(Stored(0, "a"), std::nullopt);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  ExpectTierMirrorsShard();
}

// A round whose tombstone for b is stamped with LSN 5, newer than the round's S = 4: b
// was in the tier and deleted before the round, and a write lands between its slices.
void CheckpointerTest::WriteATombstoneNewerThanItsRound() {
  MakeCheckpointer(/*batch_keys=*/1, 4u << 20);
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"SET", "a", "2"});  // LSN 3
  Write({"DEL", "b"});       // LSN 4: the tier holds b, so b owes it a tombstone
  before_slice_ = [this](size_t done) {
    if (done == 1) Write({"SET", "c", "1"});  // LSN 5, before the round reaches b
  };
  CheckpointResult round = RunRound();
  before_slice_ = nullptr;
  ASSERT_TRUE(round.status.ok());
  EXPECT_EQ(round.lsn, 4u);
  ASSERT_TRUE(IsTombstone(0, "b"));
  EXPECT_EQ(Stored(0, "b")->lsn, 5u);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 1u);
}

TEST_F(CheckpointerTest, TombstoneNewerThanTheRoundStaysUntilALaterRound) {
  WriteATombstoneNewerThanItsRound();
  ASSERT_TRUE(RunRound().status.ok());  // S = 5 covers it
  EXPECT_EQ(Stored(0, "b"), std::nullopt);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, TombstoneIsNotPurgedWhenTheKeyWasWrittenAgain) {
  WriteATombstoneNewerThanItsRound();
  Write({"SET", "b", "again"});
  ASSERT_TRUE(RunRound().status.ok());
  auto stored = Stored(0, "b");
  ASSERT_TRUE(stored.has_value()) << "the purge erased the key's new value";
  EXPECT_FALSE(stored->tombstone);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  ExpectTierMirrorsShard();
}

// A cache evicting keys faster than rounds write them: a key created and deleted between
// two rounds was never in the tier, and costs it no tombstone.
TEST_F(CheckpointerTest, AKeyCreatedAndDeletedBetweenRoundsWritesNoTombstone) {
  Write({"SET", "kept", "1"});
  Write({"SET", "evicted", "1"});
  Write({"DEL", "evicted"});
  const size_t batches_before = tier_.batch_count();
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:kept"}));
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  ExpectTierMirrorsShard();
}

// The tier holds k; k is deleted, recreated and deleted again before the next round. The
// new entry was never in the tier, but the first deletion's tombstone is still owed: the
// old value must not come back at the next start.
TEST_F(CheckpointerTest, AKeyRecreatedAndDeletedAgainStillTombstonesItsOldTierCopy) {
  Write({"SET", "k", "old"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"DEL", "k"});
  Write({"SET", "k", "new"});
  Write({"DEL", "k"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_NE(Stored(0, "k").value_or(TierEntry{}).value, "old");
  ExpectTierMirrorsShard();
}

// The same once the change log lists no present keys (the round scans for them).
TEST_F(CheckpointerTest, AKeyRecreatedAndDeletedAgainWhileScanningStillTombstonesIt) {
  shard().changes().set_max_key_items(1);
  Write({"SET", "k", "old"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"DEL", "k"});
  Write({"SET", "k", "new"});
  for (int i = 0; i < 20; ++i) Write({"SET", Key(i), "v"});  // the list stops naming present keys
  ASSERT_TRUE(shard().changes().scan_needed());
  Write({"DEL", "k"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_NE(Stored(0, "k").value_or(TierEntry{}).value, "old");
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, RecoveredTombstonesArePurgedOnceACheckpointCoversThem) {
  TierBatch seeded;
  for (auto [key, lsn] : {std::pair<std::string, uint64_t>{"old", 5}, {"new", 9}}) {
    TierEntry tombstone;
    tombstone.key = key;
    tombstone.lsn = lsn;
    tombstone.tombstone = true;
    seeded.Put(tombstone);
  }
  ASSERT_TRUE(fake_.Write(seeded).ok());
  checkpointer_->AddTombstones({{0, "old", 5}, {0, "new", 9}});
  shard().set_last_lsn(7);
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(Stored(0, "old"), std::nullopt);
  EXPECT_TRUE(IsTombstone(0, "new"));
  EXPECT_EQ(checkpointer_->pending_tombstones(), 1u);
  shard().set_last_lsn(9);
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(Stored(0, "new"), std::nullopt);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
}

// --- Changes while a round runs -------------------------------------------------------

TEST_F(CheckpointerTest, ChangesBetweenSlicesGoInThisRoundOrTheNext) {
  MakeCheckpointer(/*batch_keys=*/5, 4u << 20);
  for (int i = 0; i < 20; ++i) Write({"SET", Key(i), "v1"});
  before_slice_ = [this](size_t done) {
    if (done != 10) return;
    Write({"SET", Key(0), "v2"});  // written already: queued for the next round
    Write({"SET", Key(15), "v2"});  // not yet: this round writes its new state
    Write({"DEL", Key(16)});        // not yet, and never in the tier: nothing to write
    Write({"DEL", Key(1)});         // written already: the next round's tombstone
    Write({"SET", "fresh", "v2"});  // new: the next round
  };
  CheckpointResult first = RunRound();
  before_slice_ = nullptr;
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.lsn, 20u);
  EXPECT_EQ(CheckpointLsn(), 20u);
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(0)}).value, "v1");
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(1)}).value, "v1");
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(15)}).value, "v2");
  EXPECT_EQ(Stored(0, Key(15))->lsn, 22u);
  EXPECT_EQ(Stored(0, Key(16)), std::nullopt);
  EXPECT_EQ(Stored(0, "fresh"), std::nullopt);

  const size_t batches_before = tier_.batch_count();
  CheckpointResult second = RunRound();
  ASSERT_TRUE(second.status.ok());
  EXPECT_EQ(second.lsn, 25u);
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:k00", "0:k01", "0:fresh"}));
  EXPECT_EQ(Stored(0, Key(1)), std::nullopt);   // tombstone written, then purged
  EXPECT_EQ(Stored(0, Key(16)), std::nullopt);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, ChangesWhileABatchIsInFlightAreNotLost) {
  MakeCheckpointer(/*batch_keys=*/4, 4u << 20);
  for (int i = 0; i < 10; ++i) Write({"SET", Key(i), "v1"});
  fake_.StallWrites();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(fake_.WaitUntilWritesStalled(1));  // k00..k03 serialized, in flight
  // The engine keeps serving meanwhile.
  Write({"SET", Key(1), "v2"});
  Write({"SET", Key(6), "v2"});
  Write({"DEL", Key(2)});
  EXPECT_EQ(harness_.Run({"GET", Key(1)}), "$2\r\nv2\r\n");
  fake_.ReleaseWrites();
  ASSERT_TRUE(FinishRound().status.ok());
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(1)}).value, "v1");  // the state as serialized
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(6)}).value, "v2");  // serialized after the change

  const size_t batches_before = tier_.batch_count();
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:k01", "0:k02"}));
  ExpectTierMirrorsShard();
}

// --- Emptied dbs --------------------------------------------------------------------

TEST_F(CheckpointerTest, FlushDbErasesTheDbBeforeTheKeysRecreatedAfterIt) {
  Write({"MSET", "a", "1", "b", "1", "c", "1"});
  Write({"SELECT", "1"});
  Write({"SET", "other", "1"});
  Write({"SELECT", "0"});
  ASSERT_TRUE(RunRound().status.ok());

  Write({"SET", "a", "2"});
  Write({"SET", "d", "2"});
  Write({"FLUSHDB"});
  Write({"SET", "b", "3"});
  Write({"SET", "e", "3"});
  const size_t batches_before = tier_.batch_count();
  CheckpointResult round = RunRound();
  ASSERT_TRUE(round.status.ok());
  // a and d were changed before the flush: writing them would be wasted.
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:b", "0:e"}));
  const std::vector<TierBatch> batches = tier_.batches();
  ASSERT_GT(batches.size(), batches_before);
  const TierBatch& batch = batches[batches_before];
  ASSERT_FALSE(batch.empty());
  EXPECT_EQ(batch.ops()[0].kind, TierBatch::Kind::kEraseDb);
  EXPECT_EQ(batch.ops()[0].entry.db, 0u);
  ExpectTierMirrorsShard();  // c is gone from the tier, db 1 untouched
  EXPECT_EQ(Stored(0, "c"), std::nullopt);
  EXPECT_EQ(Stored(0, "a"), std::nullopt);
}

// A swap used to rewrite both dbs key by key: it is one tier op now.
TEST_F(CheckpointerTest, SwapDbIsOneTierOpWhateverTheDbsHold) {
  Write({"SET", "a", "1"});
  Write({"SELECT", "1"});
  Write({"MSET", "b", "2", "c", "2"});
  Write({"SELECT", "0"});
  ASSERT_TRUE(RunRound().status.ok());
  const size_t batches_before = tier_.batch_count();
  Write({"SWAPDB", "0", "1"});
  Write({"SWAPDB", "2", "3"});
  Write({"SWAPDB", "3", "2"});  // undoes the one before: no op for it
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();
  ASSERT_EQ(batches.size(), batches_before + 1);
  ASSERT_EQ(batches.back().size(), 1u);
  EXPECT_EQ(batches.back().ops()[0].kind, TierBatch::Kind::kSwapDb);
  ExpectTierMirrorsShard();
  EXPECT_EQ(Stored(0, "a"), std::nullopt);
  EXPECT_EQ(Stored(1, "b"), std::nullopt);
}

TEST_F(CheckpointerTest, FlushDbDuringARound) {
  MakeCheckpointer(/*batch_keys=*/3, 4u << 20);
  for (int i = 0; i < 10; ++i) Write({"SET", Key(i), "v"});
  Write({"SELECT", "1"});
  Write({"SET", "x", "v"});
  Write({"SELECT", "0"});
  before_slice_ = [this](size_t done) {
    if (done == 3) Write({"FLUSHDB"});
  };
  ASSERT_TRUE(RunRound().status.ok());
  before_slice_ = nullptr;
  EXPECT_EQ(Stored(0, Key(5)), std::nullopt);  // gone when the round reached it, and never in the tier
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
  size_t in_db0 = 0;
  ASSERT_TRUE(fake_.ForEach([&](TierEntry&& stored) {
                      if (stored.db == 0) ++in_db0;
                      return Status::Ok();
                    }).ok());
  EXPECT_EQ(in_db0, 0u);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
}

TEST_F(CheckpointerTest, KeyRecreatedAfterAFlushDuringARoundIsWrittenAgainAfterTheErase) {
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  for (int i = 0; i < 6; ++i) Write({"SET", Key(i), "v1"});
  before_slice_ = [this](size_t done) {
    if (done != 2) return;
    // k04 is still ahead in this round's list. Its new entry is queued after the erase
    // in the next list, and this round then writes it (its old item finds it).
    Write({"FLUSHDB"});
    Write({"SET", Key(4), "recreated"});
  };
  ASSERT_TRUE(RunRound().status.ok());
  before_slice_ = nullptr;
  EXPECT_EQ(TierImageOf(fake_).at({0, Key(4)}).value, "recreated");
  // The next round erases db 0 in the tier: it must write k04 again after that.
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

// The round took k in db 0 and db 1; the swap during the round moved them: each is read
// from the db that holds it now and written where the tier has it until the next round
// swaps the tier too.
TEST_F(CheckpointerTest, KeysSwappedDuringARoundAreReadFromTheirNewDb) {
  MakeCheckpointer(/*batch_keys=*/1, 4u << 20);
  Write({"SET", "first", "0"});
  Write({"SET", "k", "db0"});
  Write({"SELECT", "1"});
  Write({"SET", "k", "db1"});
  Write({"SELECT", "0"});
  before_slice_ = [this](size_t done) {
    if (done != 1) return;
    Write({"SWAPDB", "0", "1"});
    Write({"SET", "k", "db1-after-swap"});  // the old db 1's k, now in db 0: marked already
    Write({"SET", "new", "x"});             // in db 0 after the swap: the next round's
  };
  ASSERT_TRUE(RunRound().status.ok());
  before_slice_ = nullptr;
  EXPECT_EQ(TierImageOf(fake_).at({1, "k"}).value, "db1-after-swap");
  EXPECT_EQ(TierImageOf(fake_).at({0, "k"}).value, "db0");
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

// --- Metadata-only writes -----------------------------------------------------------

// EXPIRE, PERSIST and GETEX used to make the round rewrite the key's whole value.
TEST_F(CheckpointerTest, AnExpiryChangeIsWrittenAsMetadataOnly) {
  const std::string large(100'000, 'v');
  Write({"SET", "big", large});
  Write({"SET", "h", "small"});
  ASSERT_TRUE(RunRound().status.ok());
  const uint64_t bytes_before = fake_.counters().bytes_written;
  const size_t batches_before = tier_.batch_count();
  Write({"EXPIRE", "big", "1000"});
  Write({"PEXPIRE", "h", "500000"});
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();
  ASSERT_EQ(batches.size(), batches_before + 1);
  for (const TierBatch::Op& op : batches.back().ops()) EXPECT_EQ(op.kind, TierBatch::Kind::kSetMetadata);
  EXPECT_EQ(fake_.counters().bytes_written - bytes_before, std::string("bigh").size());
  ExpectTierMirrorsShard();

  Write({"PERSIST", "big"});
  Write({"GETEX", "big", "EX", "300"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(fake_.counters().bytes_written - bytes_before, std::string("bighbig").size());
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, AValueChangeAfterAnExpiryChangeWritesTheValue) {
  Write({"SET", "k", "v1"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"MULTI"});
  Write({"EXPIRE", "k", "1000"});
  Write({"APPEND", "k", "+"});
  Write({"EXEC"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(tier_.batches().back().ops()[0].kind, TierBatch::Kind::kPut);
  Write({"PERSIST", "k"});
  Write({"SET", "k", "v2", "KEEPTTL"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(tier_.batches().back().ops()[0].kind, TierBatch::Kind::kPut);
  // A key renamed onto another carries no claim on the tier's copy of its new name.
  Write({"SET", "other", "o"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"RENAME", "k", "other"});
  Write({"EXPIRE", "other", "1000"});
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
  Write({"EXPIRE", "other", "2000"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(tier_.batches().back().ops()[0].kind, TierBatch::Kind::kSetMetadata);
  ExpectTierMirrorsShard();
}

// A value whose write failed is not in the tier: the next expiry change writes it whole.
TEST_F(CheckpointerTest, AfterAFailedSliceAnExpiryChangeWritesTheValue) {
  Write({"SET", "k", "v1"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"SET", "k", "v2"});
  fake_.FailNextWrites(1, Status::IoError("tier: write: EIO"));
  EXPECT_FALSE(RunRound().status.ok());
  Write({"EXPIRE", "k", "1000"});
  ASSERT_TRUE(RunRound().status.ok());
  EXPECT_EQ(tier_.batches().back().ops()[0].kind, TierBatch::Kind::kPut);
  ExpectTierMirrorsShard();
}

// A swap moves the tier's copy with the key: its expiry is still metadata only.
TEST_F(CheckpointerTest, AnExpiryChangeAfterASwapIsMetadataOnly) {
  Write({"SET", "k", "v"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"SWAPDB", "0", "4"});
  Write({"SELECT", "4"});
  Write({"EXPIRE", "k", "1000"});
  Write({"SELECT", "0"});
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();  // a copy: batches() returns by value
  const TierBatch& batch = batches.back();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.ops()[0].kind, TierBatch::Kind::kSwapDb);
  EXPECT_EQ(batch.ops()[1].kind, TierBatch::Kind::kSetMetadata);
  ExpectTierMirrorsShard();
}

// --- Failures -----------------------------------------------------------------------

TEST_F(CheckpointerTest, FailedWriteEndsTheRoundAndTheNextWritesTheRest) {
  MakeCheckpointer(/*batch_keys=*/4, 4u << 20);
  for (int i = 0; i < 10; ++i) Write({"SET", Key(i), "v"});
  before_slice_ = [this](size_t done) {
    if (done == 4) fake_.FailNextWrites(1, Status::IoError("tier: write: No space left on device"));
  };
  CheckpointResult failed = RunRound();
  before_slice_ = nullptr;
  EXPECT_FALSE(failed.status.ok());
  EXPECT_EQ(failed.status.message(), "tier: write: No space left on device");
  EXPECT_FALSE(checkpointer_->in_progress());
  EXPECT_EQ(CheckpointLsn(), 0u);  // nothing recorded
  EXPECT_TRUE(drops_.empty());     // and the journal kept
  EXPECT_EQ(TierImageOf(fake_).size(), 4u);
  EXPECT_EQ(shard().changes().dirty_count(), 6u);

  const size_t batches_before = tier_.batch_count();
  CheckpointResult next = RunRound();
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.keys, 6u);
  EXPECT_EQ(KeysPutSince(batches_before).size(), 6u);
  EXPECT_EQ(CheckpointLsn(), 10u);
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, FailedFirstWriteLosesNothing) {
  for (int i = 0; i < 5; ++i) Write({"SET", Key(i), "v"});
  Write({"DEL", Key(0)});
  Write({"FLUSHDB"});
  Write({"SET", "after", "v"});
  fake_.FailNextWrites(1, Status::IoError("tier: write: Input/output error"));
  EXPECT_FALSE(RunRound().status.ok());
  EXPECT_EQ(tier_.batch_count(), 0u);
  Write({"SET", "meanwhile", "v"});
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, FailedCommitLosesNothing) {
  Write({"SET", "t", "1"});
  ASSERT_TRUE(RunRound().status.ok());
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  Write({"DEL", "t"});
  fake_.FailNextCommits(1, Status::IoError("tier: sync: Input/output error"));
  CheckpointResult failed = RunRound();
  ASSERT_FALSE(failed.status.ok());
  EXPECT_EQ(CheckpointLsn(), 1u);
  EXPECT_EQ(drops_, (std::vector<uint64_t>{1}));  // the journal after 1 is kept
  EXPECT_TRUE(IsTombstone(0, "t"));               // not purged: not covered
  EXPECT_EQ(checkpointer_->pending_tombstones(), 1u);

  Write({"SET", "c", "1"});
  const size_t batches_before = tier_.batch_count();
  CheckpointResult next = RunRound();
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(KeysPutSince(batches_before), (std::multiset<std::string>{"0:c"}));
  EXPECT_EQ(CheckpointLsn(), 5u);
  EXPECT_EQ(Stored(0, "t"), std::nullopt);
  EXPECT_EQ(checkpointer_->pending_tombstones(), 0u);
  // The successful commit made the failed round's writes durable too.
  fake_.CrashAndLoseUncommitted();
  EXPECT_EQ(TierImageOf(fake_), ImageOf(shard()));
}

TEST_F(CheckpointerTest, JournalThatCannotBeMadeDurableStopsTheRoundBeforeTheTier) {
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  for (int i = 0; i < 5; ++i) Write({"SET", Key(i), "v"});
  before_slice_ = [this](size_t done) {
    if (done != 2) return;
    std::lock_guard lock(hooks_mu_);
    journal_failure_ = Status::IoError("journal: fsync: Input/output error");
  };
  CheckpointResult failed = RunRound();
  before_slice_ = nullptr;
  ASSERT_FALSE(failed.status.ok());
  EXPECT_EQ(failed.status.message(), "journal: fsync: Input/output error");
  // The batch whose journal records might be lost never reached the tier.
  EXPECT_EQ(TierImageOf(fake_).size(), 2u);
  EXPECT_EQ(CheckpointLsn(), 0u);
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

// --- Batch bounds -------------------------------------------------------------------

TEST_F(CheckpointerTest, BatchesRespectBatchKeys) {
  MakeCheckpointer(/*batch_keys=*/4, 4u << 20);
  for (int i = 0; i < 25; ++i) Write({"SET", Key(i), "v"});
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();
  ASSERT_EQ(batches.size(), 7u);
  size_t total = 0;
  for (const TierBatch& batch : batches) {
    EXPECT_LE(batch.size(), 4u);
    total += batch.size();
  }
  EXPECT_EQ(total, 25u);
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, BatchesEndPastBatchBytes) {
  MakeCheckpointer(/*batch_keys=*/1024, /*batch_bytes=*/2500);
  std::mt19937 letters(7);  // random letters: nothing for a compressor to shrink
  for (int i = 0; i < 10; ++i) {
    std::string value(1000, ' ');
    for (char& c : value) c = static_cast<char>('a' + letters() % 26);
    Write({"SET", Key(i), value});
  }
  ASSERT_TRUE(RunRound().status.ok());
  const std::vector<TierBatch> batches = tier_.batches();
  size_t total = 0;
  for (const TierBatch& batch : batches) {
    size_t bytes_before_last = 0;
    for (size_t i = 0; i + 1 < batch.size(); ++i) {
      bytes_before_last += batch.ops()[i].entry.key.size() + batch.ops()[i].entry.value.size();
    }
    // A batch closes once it reaches batch_bytes: only its last entry may cross it.
    EXPECT_LT(bytes_before_last, 2500u);
    EXPECT_LE(batch.size(), 3u);
    total += batch.size();
  }
  EXPECT_EQ(total, 10u);
  EXPECT_GE(batches.size(), 4u);
  ExpectTierMirrorsShard();
}

// --- Huge values, serialized in steps -------------------------------------------------
//
// A value is serialized a step at a time with other commands running in between; a
// change to it finishes its serialization first, so the tier gets the state (and LSN) it
// had when its serialization started.

TEST_F(CheckpointerTest, AHugeValueIsSerializedInStepsWithCommandsRunningBetween) {
  WriteHugeList("huge", 1u << 20);
  Write({"SET", "small", "v"});
  const std::string encoded = Encoded(0, "huge");
  MakeCheckpointer(1024, 4u << 20, kValueStep);
  ASSERT_TRUE(StartRound());
  int commands_between_steps = 0;
  ASSERT_TRUE(engine_.RunUntil([&] {
    if (checkpointer_->serializing_value()) {
      Write({"INCR", "counter"});  // another client, between two steps
      ++commands_between_steps;
    }
    return round_done_;
  }));
  ASSERT_TRUE(result_.status.ok());
  // About one step per kValueStep of work (the value's strings, before compression).
  EXPECT_GE(commands_between_steps, static_cast<int>((1u << 20) / kValueStep / 2));
  auto stored = Stored(0, "huge");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->value == encoded) << "the value written in steps differs";
  ASSERT_TRUE(RunRound().status.ok());  // the counter, changed during the round
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, ARoundCountsTheBytesStoredForValuesSerializedInSteps) {
  Write({"SET", "huge", std::string(1u << 20, 'c')});  // set aside, compressed on the I/O pool
  WriteHugeList("list", 256u << 10);
  Write({"SET", "small", "v"});
  MakeCheckpointer(1024, 4u << 20, kValueStep);
  const CheckpointResult round = RunRound();
  ASSERT_TRUE(round.status.ok());
  uint64_t stored = 0;
  for (const TierBatch& batch : tier_.batches()) {
    for (const TierBatch::Op& op : batch.ops()) stored += op.entry.key.size() + op.entry.value.size();
  }
  EXPECT_LT(Stored(0, "huge")->value.size(), 100000u);
  EXPECT_EQ(round.bytes, stored);
  EXPECT_EQ(round.keys, 3u);
}

TEST_F(CheckpointerTest, AWriteToAValueBeingSerializedFinishesItFirst) {
  WriteHugeList("huge", 1u << 20);
  const std::string before = Encoded(0, "huge");
  const uint64_t lsn_before = shard().db(0).Peek("huge")->lsn;
  RoundChangingMidValue(3, [this] { Write({"RPUSH", "huge", "one more"}); });
  auto stored = Stored(0, "huge");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->value == before) << "the tier got a value mixing two states";
  EXPECT_EQ(stored->lsn, lsn_before);  // the state's own LSN: the journal replays the RPUSH onto it
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

TEST_F(CheckpointerTest, ReadsAndWritesToAHashBeingSerializedLeaveItIntact) {
  WriteHugeHash("huge", 1u << 20);
  const std::string before = Encoded(0, "huge");
  RoundChangingMidValue(3, [this] {
    for (int i = 0; i < 100; ++i) EXPECT_EQ(harness_.Run({"HGET", "huge", "f" + std::to_string(i * 100)})[0], '$');
    Write({"HDEL", "huge", "f0", "f100"});
    Write({"HSET", "huge", "new", "field"});
  });
  auto stored = Stored(0, "huge");
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->value == before);
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

// Each way a key leaves or moves while its value is being serialized: the round writes
// the value as it was, with its LSN, and the next round writes where it went.
TEST_F(CheckpointerTest, AValueBeingSerializedThatLeavesOrMovesIsWrittenAsItWas) {
  const int64_t in_an_hour = Shard::WallClockMs() + 3600 * 1000;
  for (const auto& [name, change] : WaysHugeLeavesOrMoves(in_an_hour)) {
    SCOPED_TRACE(name);
    Write({"FLUSHALL"});
    ASSERT_TRUE(RunRound().status.ok());
    WriteHugeList("huge", 1u << 20);
    Write({"PEXPIREAT", "huge", std::to_string(in_an_hour)});
    const std::string before = Encoded(0, "huge");
    const uint64_t lsn_before = shard().db(0).Peek("huge")->lsn;
    RoundChangingMidValue(3, change);
    auto stored = Stored(0, "huge");
    ASSERT_TRUE(stored.has_value());
    EXPECT_FALSE(stored->tombstone);
    EXPECT_TRUE(stored->value == before);
    EXPECT_EQ(stored->lsn, lsn_before);
    ASSERT_TRUE(RunRound().status.ok());
    ExpectTierMirrorsShard();
  }
}

// Every type's cursor, stopped between steps by a write of that type.
TEST_F(CheckpointerTest, AValueOfEveryTypeWrittenToBetweenStepsIsWrittenAsItWas) {
  const std::string element(100, 'z');
  const std::vector<std::pair<std::vector<std::vector<std::string>>, std::vector<std::string>>> types = {
      {{{"SET", "huge", std::string(1u << 20, 's')}}, {"APPEND", "huge", "more"}},
      {{{"SETRANGE", "huge", "0", std::string(1u << 20, 'r')}}, {"SETRANGE", "huge", "10", "changed"}},
      {{}, {"RPUSH", "huge", "more"}},  // WriteHugeList below
      {{}, {"HSET", "huge", "new", "field"}},  // WriteHugeHash below
      {{}, {"SADD", "huge", "new"}},
      {{}, {"ZADD", "huge", "-1", "new"}},
      {{}, {"XADD", "huge", "*", "new", "entry"}},
  };
  for (size_t t = 0; t < types.size(); ++t) {
    const auto& [create, write] = types[t];
    SCOPED_TRACE(write[0]);
    Write({"FLUSHALL"});
    ASSERT_TRUE(RunRound().status.ok());
    for (const auto& args : create) Write(args);
    for (int batch = 0; create.empty() && batch < 20; ++batch) {
      std::vector<std::string> args{write[0], "huge"};
      if (write[0] == "XADD") {
        for (int i = 0; i < 500; ++i) Write({"XADD", "huge", "*", "f", element + std::to_string(i)});
        continue;
      }
      for (int i = 0; i < 500; ++i) {
        const std::string item = std::to_string(batch * 500 + i) + element;
        if (write[0] == "RPUSH" || write[0] == "SADD") args.push_back(item);
        if (write[0] == "HSET") args.insert(args.end(), {item, element});
        if (write[0] == "ZADD") args.insert(args.end(), {std::to_string(batch * 500 + i), item});
      }
      if (args.size() > 2) Write(args);
    }
    const std::string before = Encoded(0, "huge");
    const uint64_t lsn_before = shard().db(0).Peek("huge")->lsn;
    RoundChangingMidValue(3, [&] { Write(write); });
    auto stored = Stored(0, "huge");
    ASSERT_TRUE(stored.has_value());
    EXPECT_TRUE(stored->value == before);
    EXPECT_EQ(stored->lsn, lsn_before);
    ASSERT_TRUE(RunRound().status.ok());
    ExpectTierMirrorsShard();
  }
}

TEST_F(CheckpointerTest, ARoundWithSeveralHugeValues) {
  for (bool scanning : {false, true}) {
    SCOPED_TRACE(scanning ? "found by the scan" : "from the list");
    if (scanning) shard().changes().set_max_key_items(4);
    for (int i = 0; i < 4; ++i) {
      WriteHugeList("list" + std::to_string(i) + (scanning ? "s" : ""), 256u << 10);
      WriteHugeHash("hash" + std::to_string(i) + (scanning ? "s" : ""), 256u << 10);
      Write({"SET", Key(i), "small"});
    }
    MakeCheckpointer(1024, 4u << 20, kValueStep);
    ASSERT_TRUE(StartRound());
    ASSERT_TRUE(engine_.RunUntil([&] {
      if (checkpointer_->serializing_value()) Write({"RPUSH", "list1" + std::string(scanning ? "s" : ""), "x"});
      return round_done_;
    }));
    ASSERT_TRUE(result_.status.ok());
    ASSERT_TRUE(RunRound().status.ok());
    ExpectTierMirrorsShard();
  }
}

// --- Point-in-time rounds (no journal) -------------------------------------------------
//
// Without a journal nothing replays onto what a round wrote, so the tier must receive the
// keyspace exactly as it was when the round started, whatever runs between its slices.

class PointInTimeRoundTest : public CheckpointerTest {
 protected:
  PointInTimeRoundTest() { point_in_time_ = true; }

  // Pairs a<i> / b<i> (i < pairs) that every change below keeps equal, in `db`.
  void WritePairs(int pairs, const std::string& value) {
    for (int i = 0; i < pairs; ++i) Write({"MSET", "a" + std::to_string(i), value, "b" + std::to_string(i), value});
  }

  // Runs a round of slices of two keys; `change` runs once, before the first slice that
  // starts with at least `items_done` items of the list done. Returns the keyspace as it
  // was at the round's start.
  KeyspaceImage RoundChangingAt(size_t items_done, const std::function<void()>& change) {
    MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
    const KeyspaceImage at_start = ImageOf(shard());
    bool changed = false;
    before_slice_ = [&, items_done](size_t done) {
      if (done < items_done || std::exchange(changed, true)) return;
      change();
    };
    CheckpointResult round = RunRound();
    before_slice_ = nullptr;
    EXPECT_TRUE(changed) << "the round ended before " << items_done << " items";
    EXPECT_TRUE(round.status.ok()) << round.status.message();
    EXPECT_EQ(checkpointer_->held_bytes(), 0u);
    return at_start;
  }

  // The next round writes what changed during the last one: the tier then mirrors the shard.
  void ExpectNextRoundCatchesUp() {
    ASSERT_TRUE(RunRound().status.ok());
    ExpectTierMirrorsShard();
  }
};

TEST_F(PointInTimeRoundTest, MsetDuringARoundNeverReachesTheTierHalfApplied) {
  WritePairs(8, "v0");
  const KeyspaceImage at_start = RoundChangingAt(3, [this] {
    Write({"MSET", "a1", "v1", "b1", "v1"});  // a1 written already, b1 not yet
    Write({"MSET", "a5", "v1", "b5", "v1"});  // neither written yet
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
  EXPECT_EQ(TierImageOf(fake_).at({0, "b1"}).value, "v1");
}

TEST_F(PointInTimeRoundTest, TransactionDuringARoundNeverReachesTheTierHalfApplied) {
  WritePairs(8, "v0");
  const KeyspaceImage at_start = RoundChangingAt(3, [this] {
    Write({"MULTI"});
    Write({"SET", "a1", "v1"});
    Write({"APPEND", "b1", "1"});  // changed in place
    Write({"SET", "a6", "v1"});
    Write({"DEL", "b6"});
    Write({"EXEC"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, KeysDeletedDuringARoundAreWrittenAsTheyWere) {
  WritePairs(6, "v0");
  const KeyspaceImage at_start = RoundChangingAt(2, [this] {
    Write({"DEL", "a0", "b3", "a4"});
    Write({"UNLINK", "b4"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
  EXPECT_EQ(Stored(0, "b3"), std::nullopt);  // tombstone written, then purged
}

// A key no round had written, changed during a round: the round writes its kept state, so
// the tier now holds the key, and deleting it before the next round must tombstone it.
TEST_F(PointInTimeRoundTest, AKeyChangedDuringItsFirstRoundAndThenDeletedIsTombstoned) {
  WritePairs(4, "v0");
  const KeyspaceImage at_start = RoundChangingAt(2, [this] { Write({"MSET", "a3", "v1", "b3", "v1"}); });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  Write({"DEL", "a3", "b3"});
  ExpectNextRoundCatchesUp();
  EXPECT_FALSE(TierImageOf(fake_).contains({0, "a3"}));
}

TEST_F(PointInTimeRoundTest, KeyDeletedBeforeARoundAndRecreatedDuringItStaysDeleted) {
  WritePairs(4, "v0");
  ASSERT_TRUE(RunRound().status.ok());
  Write({"DEL", "a3", "b3"});
  WritePairs(2, "v1");  // a few items, so the deletions are written in a later slice
  const KeyspaceImage at_start = RoundChangingAt(0, [this] { Write({"MSET", "a3", "back", "b3", "back"}); });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  EXPECT_FALSE(TierImageOf(fake_).contains({0, "a3"}));
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, RenameAndMoveDuringARoundAreNotSeenByIt) {
  WritePairs(6, "v0");
  const KeyspaceImage at_start = RoundChangingAt(2, [this] {
    Write({"RENAME", "a4", "b4"});
    Write({"MOVE", "a5", "1"});
    Write({"COPY", "a0", "b5", "REPLACE"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, FlushDbDuringARoundIsNotSeenByIt) {
  WritePairs(6, "v0");
  Write({"SELECT", "1"});
  WritePairs(2, "db1");
  Write({"SELECT", "0"});
  const KeyspaceImage at_start = RoundChangingAt(3, [this] {
    Write({"FLUSHDB"});
    Write({"SET", "a5", "after the flush"});
    Write({"FLUSHALL"});
    Write({"SET", "a4", "after flushall"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, SwapDbDuringARoundIsNotSeenByIt) {
  WritePairs(6, "v0");
  Write({"SELECT", "1"});
  WritePairs(3, "db1");
  Write({"SELECT", "0"});
  const KeyspaceImage at_start = RoundChangingAt(3, [this] {
    Write({"SWAPDB", "0", "1"});
    Write({"SET", "a5", "after the swap"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, KeysExpiringDuringARoundAreWrittenAsTheyWere) {
  const int64_t in_an_hour = Shard::WallClockMs() + 3600 * 1000;
  for (int i = 0; i < 6; ++i) {
    Write({"SET", "a" + std::to_string(i), "v0", "PXAT", std::to_string(in_an_hour)});
    Write({"SET", "b" + std::to_string(i), "v0", "PXAT", std::to_string(in_an_hour)});
  }
  const KeyspaceImage at_start = RoundChangingAt(2, [&] {
    shard().set_now_ms(in_an_hour + 1);
    (void)shard().db(0).Find("a4");  // lazy expiry
    shard().ActiveExpireCycle(/*budget_us=*/1000000);
    (void)shard().CommitChanges();
    EXPECT_EQ(shard().db(0).size(), 0u);
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, KeysEvictedDuringARoundAreWrittenAsTheyWere) {
  WritePairs(6, "v0");
  const KeyspaceImage at_start = RoundChangingAt(2, [this] {
    shard().options().maxmemory = 1;  // nothing fits: every key goes
    shard().options().policy = EvictionPolicy::kAllKeysRandom;
    (void)shard().EnforceMaxmemory();
    shard().options().maxmemory = 0;
    (void)shard().CommitChanges();
    EXPECT_EQ(shard().db(0).size(), 0u);
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, StatesKeptBeforeAnEraseTheRoundStillOwesAreWrittenAfterIt) {
  WritePairs(2, "old");
  ASSERT_TRUE(RunRound().status.ok());
  Write({"SELECT", "1"});
  WritePairs(2, "db1");  // four items ahead of the erase of db 0
  Write({"SELECT", "0"});
  Write({"FLUSHDB"});
  WritePairs(3, "v0");
  const KeyspaceImage at_start = RoundChangingAt(0, [this] { Write({"MSET", "a1", "v1", "b1", "v1"}); });
  EXPECT_EQ(TierImageOf(fake_), at_start);  // a1 and b1 as they were, not wiped by the erase
  ExpectNextRoundCatchesUp();
}

// appendonly no while a round runs: records stop reaching the journal at L, so from then
// on the round writes what it still owes as it was at L (replay of the journal up to L
// completes the states it wrote before).
TEST_F(CheckpointerTest, RoundKeepsStatesFromTheLastJournaledChangeOnceTheJournalStops) {
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  for (int i = 0; i < 8; ++i) Write({"MSET", "a" + std::to_string(i), "v0", "b" + std::to_string(i), "v0"});
  bool stopped = false;
  before_slice_ = [&](size_t done) {
    if (done < 4 || std::exchange(stopped, true)) return;
    Write({"MSET", "a5", "journaled", "b5", "journaled"});
    checkpointer_->KeepStatesFrom(shard().last_lsn());
    Write({"MSET", "a5", "not journaled", "b5", "not journaled"});
    Write({"MSET", "a6", "not journaled", "b6", "not journaled"});
    Write({"DEL", "a7", "b7"});
  };
  ASSERT_TRUE(RunRound().status.ok());
  before_slice_ = nullptr;
  ASSERT_TRUE(stopped);
  const KeyspaceImage tier = TierImageOf(fake_);
  EXPECT_EQ(tier.at({0, "a5"}).value, "journaled");
  EXPECT_EQ(tier.at({0, "b5"}).value, "journaled");
  EXPECT_EQ(tier.at({0, "b6"}).value, "v0");
  EXPECT_EQ(tier.at({0, "a7"}).value, "v0");
  EXPECT_EQ(checkpointer_->held_bytes(), 0u);
  ASSERT_TRUE(RunRound().status.ok());
  ExpectTierMirrorsShard();
}

// A journaled round wrote a key recreated after a flush it did not cover (its mark is
// clear); the next round, without a journal, erases that db and must still write the key
// as it was, even when it changes before the round reaches it.
TEST_F(PointInTimeRoundTest, CleanKeyOfADbTheRoundErasesIsWrittenAsItWas) {
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  for (int i = 0; i < 6; ++i) Write({"SET", Key(i), "v1"});
  point_in_time_ = false;
  before_slice_ = [this](size_t done) {
    if (done != 2) return;
    Write({"FLUSHDB"});
    Write({"SET", Key(4), "recreated"});
  };
  ASSERT_TRUE(RunRound().status.ok());
  ASSERT_EQ(TierImageOf(fake_).at({0, Key(4)}).value, "recreated");
  point_in_time_ = true;
  const KeyspaceImage at_start = RoundChangingAt(0, [this] { Write({"SET", Key(4), "changed"}); });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, KeysOnlyReadDuringARoundAreWrittenOnceAndLeftClean) {
  WritePairs(6, "v0");
  const size_t batches_before = tier_.batch_count();
  const KeyspaceImage at_start = RoundChangingAt(2, [this] {
    for (int i = 0; i < 6; ++i) EXPECT_EQ(harness_.Run({"GET", "b" + std::to_string(i)}), "$2\r\nv0\r\n");
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  EXPECT_EQ(KeysPutSince(batches_before).size(), 12u);
  ExpectTierMirrorsShard();  // no mark left behind
}

TEST_F(PointInTimeRoundTest, StatesKeptForARoundAreCountedUntilWritten) {
  WritePairs(6, "v0");
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  fake_.StallWrites();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(fake_.WaitUntilWritesStalled(1));
  EXPECT_EQ(checkpointer_->held_bytes(), 0u);
  Write({"SET", "a5", std::string(1000, 'x')});
  EXPECT_GT(checkpointer_->held_bytes(), 0u);
  const size_t held = checkpointer_->held_bytes();
  EXPECT_EQ(checkpointer_->held_peak_bytes(), held);
  fake_.ReleaseWrites();
  CheckpointResult round = FinishRound();
  ASSERT_TRUE(round.status.ok());
  EXPECT_EQ(round.kept_peak_bytes, held);  // INFO's rdb_last_cow_size
  EXPECT_EQ(checkpointer_->held_bytes(), 0u);
  EXPECT_EQ(TierImageOf(fake_).at({0, "a5"}).value, "v0");
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, ScanningRoundIsPointInTimeToo) {
  shard().changes().set_max_key_items(4);
  WritePairs(20, "v0");
  ASSERT_TRUE(shard().changes().scan_needed());
  const KeyspaceImage at_start = RoundChangingAt(0, [this] {
    Write({"MSET", "a1", "v1", "b1", "v1", "a19", "v1", "b19", "v1"});
    Write({"DEL", "a7", "b7"});
  });
  EXPECT_EQ(TierImageOf(fake_), at_start);
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, FailedRoundLosesNoChangeMadeDuringIt) {
  WritePairs(6, "v0");
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  before_slice_ = [this](size_t done) {
    if (done != 2) return;
    Write({"MSET", "a4", "v1", "b4", "v1"});
    Write({"DEL", "a5"});
    fake_.FailNextWrites(1, Status::IoError("tier: write: Input/output error"));
  };
  EXPECT_FALSE(RunRound().status.ok());
  before_slice_ = nullptr;
  EXPECT_EQ(checkpointer_->held_bytes(), 0u);
  ExpectNextRoundCatchesUp();
}

// Demotion that found nothing clean does not sample again until told that values may be
// clean: a landed slice tells it, so its values leave DRAM while the round goes on.
TEST_F(CheckpointerTest, ALandedSliceLetsAStarvedDemotionTryAgain) {
  shard().options().tiering = {.enabled = true, .min_value_size = 0};
  shard().set_cold_loader([](int, const Entry&) -> Result<Entry*> { return Status::IoError("not read here"); });
  Write({"SET", "s", std::string(1000, 'x')});
  shard().options().maxmemory = 1;
  EXPECT_TRUE(shard().EnforceMaxmemory().ok());
  EXPECT_TRUE(shard().TakeDemotionStarved()) << "the value is dirty";
  fake_.StallCommits();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(RunUntilCommitStalled());  // the slice has landed; the commit waits
  EXPECT_TRUE(shard().EnforceMaxmemory().ok());
  EXPECT_TRUE(shard().db(0).Peek("s")->is_cold());
  fake_.ReleaseCommits();
  ASSERT_TRUE(FinishRound().status.ok());
}

// A point-in-time round's values go to the tier's stage, which reads do not see before
// the round's commit: a value demoted in between would be read from the last commit,
// which does not hold it (the cold read failed, "the tier holds no value"). So it stays
// in DRAM until the commit is in, and after a failed commit until a later one takes the
// stage.
TEST_F(PointInTimeRoundTest, AValueInTheStageLeavesDramOnlyOnceACommitMakesItReadable) {
  const TieringOptions tiering{.enabled = true, .min_value_size = 0};
  auto demotable = [&] { return IsDemotable(*shard().db(0).Peek("s"), tiering, 0); };
  Write({"SET", "s", std::string(1000, 'x')});
  fake_.StallCommits();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(RunUntilCommitStalled());
  EXPECT_EQ(Stored(0, "s"), std::nullopt);  // written, but only to the stage
  EXPECT_FALSE(demotable());
  fake_.ReleaseCommits();
  ASSERT_TRUE(FinishRound().status.ok());
  ASSERT_TRUE(Stored(0, "s").has_value());
  EXPECT_TRUE(demotable());

  Write({"SET", "s", std::string(1000, 'y')});
  fake_.FailNextCommits(1, Status::IoError("tier: sync: Input/output error"));
  ASSERT_FALSE(RunRound().status.ok());
  EXPECT_NE(Stored(0, "s").value().value, Encoded(0, "s"));  // still the last commit's value
  EXPECT_FALSE(demotable());
  ASSERT_TRUE(RunRound().status.ok());  // writes nothing new, commits the stage
  EXPECT_EQ(Stored(0, "s").value().value, Encoded(0, "s"));
  EXPECT_TRUE(demotable());
}

// RocksDB flushes a round that outgrows its write buffers before the commit; without a
// journal nothing would undo that part. The round's batches are staged, so a crash before
// its commit shows the previous image, whatever the tier had flushed (every count of
// uncommitted batches kept).
TEST_F(PointInTimeRoundTest, ACrashBeforeTheCommitShowsThePreviousImageHoweverMuchWasFlushed) {
  WritePairs(8, "v0");
  MakeCheckpointer(/*batch_keys=*/2, 4u << 20);
  ASSERT_TRUE(RunRound().status.ok());
  const KeyspaceImage previous = TierImageOf(fake_);
  WritePairs(8, "v1");
  Write({"DEL", "a7", "b7"});
  Write({"SELECT", "1"});
  WritePairs(3, "db1");
  fake_.StallCommits();
  ASSERT_TRUE(StartRound());
  ASSERT_TRUE(RunUntilCommitStalled());
  const size_t uncommitted = tier_.uncommitted_batches();
  EXPECT_GE(uncommitted, 3u);
  for (size_t kept = 0; kept <= uncommitted; ++kept) {
    EXPECT_EQ(TierImageOf(*tier_.CrashImage(kept)), previous) << kept << " of " << uncommitted << " batches kept";
  }
  fake_.ReleaseCommits();
  ASSERT_TRUE(FinishRound().status.ok());
  ExpectTierMirrorsShard();
}

TEST_F(PointInTimeRoundTest, ManyRoundsUnderRandomPairWritesAlwaysCommitEqualPairs) {
  MakeCheckpointer(/*batch_keys=*/3, 4u << 20);
  std::mt19937 rng(11);
  WritePairs(30, "0");
  int version = 0;
  before_slice_ = [&](size_t) {
    for (int n = 0; n < 4; ++n) {
      const std::string i = std::to_string(rng() % 30);
      const std::string value = std::to_string(++version);
      switch (rng() % 3) {
        case 0: Write({"MSET", "a" + i, value, "b" + i, value}); break;
        case 1: Write({"DEL", "a" + i, "b" + i}); break;
        default: Write({"MULTI"}); Write({"APPEND", "a" + i, "x"}); Write({"APPEND", "b" + i, "x"}); Write({"EXEC"});
      }
    }
  };
  for (int round = 0; round < 10; ++round) {
    const KeyspaceImage at_start = ImageOf(shard());
    ASSERT_TRUE(RunRound().status.ok());
    ASSERT_EQ(TierImageOf(fake_), at_start) << "round " << round;
  }
  before_slice_ = nullptr;
  ExpectNextRoundCatchesUp();
}

TEST_F(PointInTimeRoundTest, AHugeValueChangedWhileBeingSerializedIsWrittenAsAtTheStart) {
  const int64_t in_an_hour = Shard::WallClockMs() + 3600 * 1000;
  std::vector<NamedChange> changes = WaysHugeLeavesOrMoves(in_an_hour);
  changes.push_back({"RPUSH", [this] { Write({"RPUSH", "huge", "one more"}); }});
  changes.push_back({"LPOP", [this] { Write({"LPOP", "huge", "10"}); }});
  for (const auto& [name, change] : changes) {
    SCOPED_TRACE(name);
    Write({"FLUSHALL"});
    ASSERT_TRUE(RunRound().status.ok());
    WriteHugeList("huge", 1u << 20);
    Write({"PEXPIREAT", "huge", std::to_string(in_an_hour)});
    WriteHugeHash("other", 256u << 10);
    const KeyspaceImage at_start = ImageOf(shard());
    RoundChangingMidValue(3, change);
    EXPECT_EQ(TierImageOf(fake_), at_start);
    EXPECT_EQ(checkpointer_->held_bytes(), 0u);
    ExpectNextRoundCatchesUp();
  }
}

}  // namespace
}  // namespace tierkv
