// Tests for tiering/durability: CONFIG SET appendonly / appendfsync while the journal is
// failed. The journal is made to fail for real: a file size limit (RLIMIT_FSIZE) makes the
// writer's write() stop part-way through a record with EFBIG, as a full disk would with
// ENOSPC, and lifting the limit is the space coming back.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/gate.h"
#include "harness/journal_files.h"
#include "harness/keyspace_image.h"
#include "harness/temp_dir.h"
#include "tiering/durability.h"
#include "tiering/entry_codec.h"
#include "tiering/journal_segment.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::TempDir;

// While it lives, files this process writes may not grow past `bytes` (writes beyond get
// EFBIG; SIGXFSZ is ignored so that they fail instead of killing the process).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  }
  ~FileSizeLimit() { EXPECT_EQ(::setrlimit(RLIMIT_FSIZE, &saved_), 0); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
};

uint64_t JournalSize(const std::string& dir) {
  uint64_t bytes = 0;
  Result<std::vector<JournalSegmentFile>> segments = ListJournalSegments(dir + "/journal");
  EXPECT_TRUE(segments.ok());
  if (!segments.ok()) return 0;
  for (const JournalSegmentFile& segment : *segments) {
    bytes += std::filesystem::file_size(segment.path);
  }
  return bytes;
}

// The LSNs of every record in the journal, which must end cleanly and, when
// `checkpoint_lsn` is given, continue that checkpoint.
std::vector<uint64_t> JournalLsns(const std::string& dir, std::optional<uint64_t> checkpoint_lsn = std::nullopt) {
  std::vector<uint64_t> lsns;
  for (const JournalRecord& record : testing::ScanJournal(dir + "/journal", checkpoint_lsn)) lsns.push_back(record.lsn);
  return lsns;
}

class DurabilityJournalFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DurabilityOptions options;
    options.dir = dir_.path();
    options.fsync = FsyncPolicy::kAlways;
    options.journal_max_size = 0;
    options.post_to_engine = engine_.Poster();
    options.on_durable = [this](uint64_t lsn) { released_lsn_ = lsn; };
    auto tier = std::make_unique<FakeTier>();
    tier_ = tier.get();
    auto opened = Durability::Open(harness_.shard(), std::move(tier), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    durability_ = std::move(*opened);
  }

  uint64_t Write(const std::string& key, const std::string& value) {
    EXPECT_EQ(harness_.Run({"SET", key, value}), "+OK\r\n");
    const uint64_t lsn = durability_->CommitChanges();
    durability_->SubmitPending();
    return lsn;
  }

  // A write acknowledged under always (synced), then one whose record the journal fails
  // to write part-way (its reply is held) until `limit_` is reset.
  void FailTheJournal() {
    synced_ = Write("synced", "1");
    ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= synced_; }));
    limit_.emplace(JournalSize(dir_.path()) + 16);  // 16 bytes of the next record fit
    held_ = Write("held", std::string(4096, 'v'));
    ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->write_error().empty(); }));
  }

  // Nothing of the failed journal is dropped or declared durable.
  void ExpectTheHeldWriteStillHeld() {
    engine_.RunPending();
    EXPECT_LT(durability_->durable_lsn(), held_);
    EXPECT_LT(released_lsn_, held_);
    EXPECT_FALSE(durability_->write_error().empty()) << "writes must stay refused";
  }

  // Space comes back; the cron's retry makes the held write durable.
  void RetryUntilReleased() {
    limit_.reset();
    durability_->Cron(Shard::WallClockMs());
    ASSERT_TRUE(engine_.RunUntil([&] { return released_lsn_ >= held_ && durability_->write_error().empty(); }));
  }

  TempDir dir_{"tierkv-durability"};
  EngineQueue engine_;
  CommandHarness harness_;
  FakeTier* tier_ = nullptr;  // owned by durability_
  std::unique_ptr<Durability> durability_;
  uint64_t released_lsn_ = 0;  // what on_durable said last
  std::optional<FileSizeLimit> limit_;
  uint64_t synced_ = 0;
  uint64_t held_ = 0;
};

// Closing the failed writer dropped its unsynced record, released the held reply, and
// the new writer appended after the partial record: a journal the next start calls corrupt.
TEST_F(DurabilityJournalFailureTest, AppendfsyncChangeWhileFailedDropsNoRecordNorReleasesAHeldReply) {
  ASSERT_NO_FATAL_FAILURE(FailTheJournal());
  durability_->SetJournal(true, FsyncPolicy::kEverySec);
  durability_->SetJournal(true, FsyncPolicy::kNo);
  ExpectTheHeldWriteStillHeld();
  ASSERT_NO_FATAL_FAILURE(RetryUntilReleased());
  EXPECT_EQ(JournalLsns(dir_.path()), (std::vector<uint64_t>{synced_, held_}));
}

// appendonly no used to close the failed writer at once, the same way.
TEST_F(DurabilityJournalFailureTest, AppendonlyOffWhileFailedWaitsForTheRecordsToBeDurable) {
  ASSERT_NO_FATAL_FAILURE(FailTheJournal());
  durability_->SetJournal(false, FsyncPolicy::kAlways);
  ExpectTheHeldWriteStillHeld();
  ASSERT_NO_FATAL_FAILURE(RetryUntilReleased());
  // Then closed: later writes are not journaled, and nothing waits for them.
  const uint64_t unjournaled = Write("after", "x");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= unjournaled; }));
  EXPECT_EQ(JournalLsns(dir_.path()), (std::vector<uint64_t>{synced_, held_}));
}

// A round rotates the journal, the new segment's first write fails, and the round's
// commit used to drop the segment the failed writer cuts back to: its retry then failed
// with ENOENT for good.
TEST_F(DurabilityJournalFailureTest, ARoundKeepsTheSegmentTheFailedWriterReturnsTo) {
  synced_ = Write("synced", "1");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= synced_; }));
  const std::vector<JournalSegmentFile> before = *ListJournalSegments(dir_.path() + "/journal");
  ASSERT_EQ(before.size(), 1u);
  tier_->StallCommits();
  bool round_done = false;
  Status round_status;
  ASSERT_TRUE(durability_->StartRound([&](const Status& status) {
    round_status = status;
    round_done = true;
  }));
  // The engine runs the round's slices until its commit is held (bounded: 30 s).
  bool stalled = false;
  for (int i = 0; i < 30000 && !stalled; ++i) {
    engine_.RunPending();
    stalled = tier_->WaitUntilCommitsStalled(1, std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(stalled);
  limit_.emplace(16);  // the next segment's first record fails part-way
  held_ = Write("held", std::string(4096, 'v'));
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->write_error().empty(); }));
  ASSERT_EQ(ListJournalSegments(dir_.path() + "/journal")->size(), 2u);
  tier_->ReleaseCommits();
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }));
  ASSERT_TRUE(round_status.ok()) << round_status.message();
  EXPECT_TRUE(std::filesystem::exists(before[0].path)) << "the round dropped the failed writer's segment";

  ASSERT_NO_FATAL_FAILURE(RetryUntilReleased());
  EXPECT_EQ(JournalLsns(dir_.path()), (std::vector<uint64_t>{synced_, held_}));
}

// appendonly no, then yes before the old writer was closed: the record committed
// meanwhile waits for the next writer, which was opened above its LSN and refused it, so
// its reply was held for ever.
TEST_F(DurabilityJournalFailureTest, AppendonlyOnWhileTheOldWriterClosesKeepsTheRecordsForTheNext) {
  durability_->SetJournal(false, FsyncPolicy::kAlways);  // the close runs on the I/O pool
  Write("off", "x");
  durability_->SetJournal(true, FsyncPolicy::kAlways);  // before the engine hears it closed
  const uint64_t waiting = Write("on", "x");
  ASSERT_TRUE(engine_.RunUntil([&] { return released_lsn_ >= waiting; }));
  EXPECT_EQ(JournalLsns(dir_.path()), (std::vector<uint64_t>{waiting}));
}

// appendonly yes opens the writer on the I/O pool, once the round covering the changes
// made without it has committed; records committed meanwhile wait for it. A shutdown
// after that round, before the open arrives, must still journal them.
TEST_F(DurabilityJournalFailureTest, RecordsWaitingForTheJournalToOpenReachItAtShutdown) {
  durability_->SetJournal(false, FsyncPolicy::kAlways);
  const uint64_t unjournaled = Write("off", "x");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= unjournaled; }));  // closed
  durability_->SetJournal(true, FsyncPolicy::kAlways);
  const uint64_t waiting = Write("opening", "x");
  // The covering round ends; the open it starts has not reached the engine thread.
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->info().rounds >= 1 && !durability_->round_in_progress(); }));
  durability_.reset();
  EXPECT_EQ(JournalLsns(dir_.path()), (std::vector<uint64_t>{waiting}));
}

// Every segment must continue the tier's checkpoint. A writer opened at once by
// appendonly yes started a segment above the LSNs changed while the journal was off, and
// a crash before the covering round committed left a journal start-up refuses
// ("LSNs ... are missing"). The writer now opens only after that round.
TEST_F(DurabilityJournalFailureTest, AppendonlyOnAfterOffOpensTheJournalOnlyAfterTheCoveringRound) {
  durability_->SetJournal(false, FsyncPolicy::kAlways);
  const uint64_t unjournaled = Write("off", "x");
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= unjournaled; }));
  tier_->StallCommits();
  durability_->SetJournal(true, FsyncPolicy::kAlways);
  const uint64_t waiting = Write("on", "x");
  // The round's steps run on the engine thread until its commit waits at the gate.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!tier_->WaitUntilCommitsStalled(1, std::chrono::milliseconds(10))) {
    engine_.RunPending();
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
  }
  engine_.RunPending();
  // The round has not committed: nothing past the gap is in the journal, nor released.
  EXPECT_TRUE(JournalLsns(dir_.path()).empty());
  EXPECT_LT(released_lsn_, waiting);

  tier_->ReleaseCommits();
  ASSERT_TRUE(engine_.RunUntil([&] { return released_lsn_ >= waiting; }));
  Result<TierMetadata> metadata = tier_->ReadMetadata();
  ASSERT_TRUE(metadata.ok());
  ASSERT_GE(metadata->checkpoint_lsn, unjournaled);
  // The journal continues the checkpoint: a scanner given it finds no missing LSNs.
  EXPECT_EQ(JournalLsns(dir_.path(), metadata->checkpoint_lsn), (std::vector<uint64_t>{waiting}));
}

// A FakeTier that remembers which threads asked for its statistics (RocksTier computes
// them from RocksDB properties: disk work the engine thread must not do), and holds the
// reads of the keys named in held_keys at held_reads until the test opens it.
class StatsThreadTier final : public Tier {
 public:
  Status Write(const TierBatch& batch) override { return fake.Write(batch); }
  Status WriteStaged(const TierBatch& batch) override { return fake.WriteStaged(batch); }
  Status Commit(uint64_t checkpoint_lsn) override { return fake.Commit(checkpoint_lsn); }
  Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) override {
    if (std::find(held_keys.begin(), held_keys.end(), key) != held_keys.end()) held_reads.Enter();
    return fake.Get(db, key);
  }
  Status ForEach(const std::function<Status(TierEntry&&)>& visit) override { return fake.ForEach(visit); }
  Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) override { return fake.ForEachKey(visit); }
  Result<TierMetadata> ReadMetadata() override { return fake.ReadMetadata(); }
  TierStats stats() const override {
    std::lock_guard lock(mu_);
    callers_.push_back(std::this_thread::get_id());
    return fake.stats();
  }
  bool CalledFrom(std::thread::id thread) const {
    std::lock_guard lock(mu_);
    return std::find(callers_.begin(), callers_.end(), thread) != callers_.end();
  }
  void ForgetCallers() {
    std::lock_guard lock(mu_);
    callers_.clear();
  }

  FakeTier fake;
  std::vector<std::string> held_keys;  // set before the reads start
  testing::Gate held_reads;

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::thread::id> callers_;
};

// Tier I/O seen from the engine thread (this test's thread, which runs EngineQueue).
class DurabilityTierIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DurabilityOptions options;
    options.dir = dir_.path();
    options.journal_max_size = 0;
    options.post_to_engine = engine_.Poster();
    auto tier = std::make_unique<StatsThreadTier>();
    tier_ = tier.get();
    auto opened = Durability::Open(harness_.shard(), std::move(tier), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    durability_ = std::move(*opened);
  }
  // A failed test must not leave a round's write or a read held: the pool's drain would
  // wait for it.
  void TearDown() override {
    tier_->fake.ReleaseWrites();
    tier_->held_reads.Open();
  }

  void Write(const std::string& key, const std::string& value) {
    EXPECT_EQ(harness_.Run({"SET", key, value}), "+OK\r\n");
    durability_->CommitChanges();
  }

  // Starts a round and runs its slices until its first batch write is held at the gate.
  void StartRoundHeldInItsWrite(bool* round_done) {
    tier_->fake.StallWrites();
    ASSERT_TRUE(durability_->StartRound([round_done](const Status&) { *round_done = true; }));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!tier_->fake.WaitUntilWritesStalled(1, std::chrono::milliseconds(10))) {
      engine_.RunPending();
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    }
  }

  TempDir dir_{"tierkv-durability-io"};
  EngineQueue engine_;
  CommandHarness harness_;
  StatsThreadTier* tier_ = nullptr;  // owned by durability_
  std::unique_ptr<Durability> durability_;
};

// Cold reads shared the one I/O thread with checkpoint writes: a read queued behind a
// round's batch waited for all of that batch's disk time.
TEST_F(DurabilityTierIoTest, AColdReadCompletesWhileARoundWriteIsStalled) {
  TierBatch stored;
  TierEntry cold;
  cold.key = "cold";
  cold.lsn = 1;
  cold.value = "stored value bytes";
  stored.Put(cold);
  ASSERT_TRUE(tier_->fake.Write(stored).ok());
  Write("dirty", "x");
  bool round_done = false;
  ASSERT_NO_FATAL_FAILURE(StartRoundHeldInItsWrite(&round_done));

  std::optional<std::vector<Tier::GetResult>> read;
  durability_->ReadFromTier({{0, "cold"}, {0, "missing"}}, [&](std::vector<Tier::GetResult> entries) { read = std::move(entries); });
  ASSERT_TRUE(engine_.RunUntil([&] { return read.has_value(); })) << "the read queued behind the stalled write";
  ASSERT_EQ(read->size(), 2u);
  ASSERT_TRUE((*read)[0].ok());
  ASSERT_TRUE((*read)[0].value().has_value());
  EXPECT_EQ((*read)[0].value()->value, cold.value);
  ASSERT_TRUE((*read)[1].ok());
  EXPECT_FALSE((*read)[1].value().has_value());
  EXPECT_FALSE(round_done);

  tier_->fake.ReleaseWrites();
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }));
}

// A string value the tier holds whose entry is cold (what a demotion leaves behind);
// returns the value LSN a read of it is for.
uint64_t AddCold(Shard& shard, FakeTier& tier, const std::string& key, const std::string& value, uint64_t lsn) {
  Entry* entry = Entry::NewString(key, value, kNoExpire);
  entry->flags |= Entry::kInTier | Entry::kTierValueCurrent;
  entry->lsn = lsn;
  TierBatch stored;
  stored.Put(EntryToTier(0, *entry));
  EXPECT_TRUE(tier.Write(stored).ok());
  shard.db(0).Set(entry);
  entry = shard.db(0).Peek(key);
  return shard.db(0).Demote(entry, entry->MemoryUsage())->cold_locator().value_lsn;
}

// Cold reads ran one at a time on one thread: a client's read waited for every read
// queued before it. On several threads a read goes on while others are held, and reads
// complete in any order: a value read for a cold entry that a checkpoint round has since
// replaced, or that was deleted, must not be installed over what is there now.
TEST_F(DurabilityTierIoTest, ColdReadsRunTogetherAndCompleteInAnyOrder) {
  Shard& shard = harness_.shard();
  const std::string old_value(200, 'o');
  const uint64_t rewritten_lsn = AddCold(shard, tier_->fake, "rewritten", old_value, 10);
  const uint64_t erased_lsn = AddCold(shard, tier_->fake, "erased", old_value, 11);
  const uint64_t fast_lsn = AddCold(shard, tier_->fake, "fast", std::string(200, 'f'), 12);
  tier_->held_keys = {"rewritten", "erased"};

  // What ColdReads does with a completion: installed if the key is still the cold entry
  // the read was for.
  std::map<std::string, bool> installed;
  auto read = [&](const std::string& key, uint64_t value_lsn) {
    durability_->ReadFromTier({{0, key}}, [&, key, value_lsn](std::vector<Tier::GetResult> entries) {
      ASSERT_EQ(entries.size(), 1u);
      ASSERT_TRUE(entries[0].ok());
      ASSERT_TRUE(entries[0]->has_value());
      Result<Entry*> loaded = EntryFromTier(**entries[0]);
      ASSERT_TRUE(loaded.ok());
      installed[key] = shard.InstallLoadedValue(0, key, value_lsn, *loaded);
    });
  };
  read("rewritten", rewritten_lsn);
  read("erased", erased_lsn);
  read("fast", fast_lsn);
  ASSERT_TRUE(tier_->held_reads.WaitEntered(2));
  ASSERT_TRUE(engine_.RunUntil([&] { return installed.contains("fast"); })) << "a read queued behind held ones";
  EXPECT_TRUE(installed["fast"]);
  EXPECT_EQ(installed.size(), 1u);
  EXPECT_FALSE(shard.db(0).Peek("fast")->is_cold());

  // Meanwhile a round writes a newer value of one held key and it leaves DRAM again; the
  // other is deleted. Then the held reads complete, with what the tier held before.
  shard.db(0).Delete("rewritten");
  const std::string new_value(200, 'n');
  const uint64_t newer_lsn = AddCold(shard, tier_->fake, "rewritten", new_value, 20);
  TierBatch reverted;
  Entry* old_state = Entry::NewString("rewritten", old_value, kNoExpire);
  old_state->lsn = 10;
  reverted.Put(EntryToTier(0, *old_state));
  Entry::Free(old_state);
  ASSERT_TRUE(tier_->fake.Write(reverted).ok());  // the held read returns the old state
  shard.db(0).Delete("erased");
  tier_->held_reads.Open();
  ASSERT_TRUE(engine_.RunUntil([&] { return installed.size() == 3; }));
  EXPECT_FALSE(installed["rewritten"]);
  EXPECT_FALSE(installed["erased"]);
  const Entry* rewritten = shard.db(0).Peek("rewritten");
  ASSERT_NE(rewritten, nullptr);
  EXPECT_TRUE(rewritten->is_cold());
  EXPECT_EQ(rewritten->cold_locator().value_lsn, newer_lsn);
  EXPECT_EQ(shard.db(0).Peek("erased"), nullptr);
  EXPECT_EQ(durability_->tier_read_requests(), 3u);
  EXPECT_EQ(durability_->tier_read_keys(), 3u);
}

// A cache that evicts keys the tier holds owes a tombstone per eviction: the dirty list's
// items, then the round's, then the tombstones to purge. Counted against maxmemory, that
// bookkeeping made such a cache keep half the keys Redis keeps; set apart without a
// bound, it could grow unseen while rounds lag. It is set apart up to its bound.
TEST_F(DurabilityTierIoTest, CheckpointBookkeepingIsSetApartFromEvictionUpToABound) {
  constexpr int kKeys = 160000;
  auto key = [](int i) { return "evicted-key-" + std::to_string(1000000 + i); };
  for (int i = 0; i < kKeys; ++i) Write(key(i), "v");
  bool round_done = false;
  ASSERT_TRUE(durability_->StartRound([&](const Status& status) {
    EXPECT_TRUE(status.ok()) << status.message();
    round_done = true;
  }));
  // 160,000 keys: minutes under the sanitizers on a loaded machine.
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }, std::chrono::minutes(5)));
  harness_.shard().options().maxmemory = 64u << 20;  // the bound: 8 MiB
  for (int i = 0; i < kKeys; i += 10) {
    EXPECT_EQ(harness_.Run({"DEL", key(i)}), ":1\r\n");
    durability_->CommitChanges();
  }
  ASSERT_TRUE(durability_->SyncJournal().ok());  // the journal's own copy is freed
  const size_t small = durability_->CheckpointBookkeepingBytes();
  EXPECT_GE(small, kKeys / 10 * 64u);
  EXPECT_GE(durability_->MemoryNotCountedForEvict(), small);

  for (int i = 0; i < kKeys; ++i) {
    if (i % 10 == 0) continue;
    EXPECT_EQ(harness_.Run({"DEL", key(i)}), ":1\r\n");
    durability_->CommitChanges();
  }
  ASSERT_TRUE(durability_->SyncJournal().ok());
  EXPECT_GE(durability_->CheckpointBookkeepingBytes(), 10u << 20);
  EXPECT_LE(durability_->MemoryNotCountedForEvict(), (8u << 20) + (1u << 20));
}

// INFO persistence asked RocksDB for its properties (block cache, memtables, file sizes)
// on the engine thread, at every INFO and LASTSAVE.
TEST_F(DurabilityTierIoTest, InfoReadsTierStatisticsWithoutCallingTheTierOnTheEngineThread) {
  tier_->ForgetCallers();  // Open may ask at start-up, before clients are served
  Write("k", std::string(100, 'v'));
  bool round_done = false;
  ASSERT_TRUE(durability_->StartRound([&](const Status&) { round_done = true; }));
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }));
  // The round's end refreshes the snapshot off the engine thread.
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->info().tier.keys == 1; }));
  (void)durability_->info();
  EXPECT_FALSE(tier_->CalledFrom(std::this_thread::get_id()));
}

// Segments are deleted only by a committed round: while rounds failed (the tier's disk
// full), the journal grew without limit, and without save rules writes were never refused.
TEST_F(DurabilityTierIoTest, TheJournalStopsGrowingWhileRoundsFail) {
  durability_->set_journal_max_size(4096);  // a limit of 16 KiB
  ASSERT_EQ(durability_->journal_limit(), 16384u);
  tier_->fake.FailNextCommits(1000, Status::IoError("tier: No space left on device"));
  Write("first", "x");
  Status round_status;
  bool round_done = false;
  ASSERT_TRUE(durability_->StartRound([&](const Status& status) {
    round_status = status;
    round_done = true;
  }));
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }));
  ASSERT_FALSE(round_status.ok());
  EXPECT_TRUE(durability_->write_refusal().empty()) << "refused before the journal reached its limit";

  for (int i = 0; i < 64 && durability_->write_refusal().empty(); ++i) Write("k" + std::to_string(i), std::string(1024, 'v'));
  const std::string refusal = durability_->write_refusal();
  EXPECT_NE(refusal.find("Errors writing to the AOF file: the journal reached its limit"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("No space left on device"), std::string::npos) << refusal;
  EXPECT_LE(durability_->info().journal_bytes, durability_->journal_limit() + 4096);
  EXPECT_TRUE(durability_->write_error().empty()) << "the journal itself is healthy";

  // Space comes back: the cron's next round (after the failed-round delay) commits, the
  // journal is trimmed and writes are accepted again.
  tier_->fake.FailNextCommits(0, Status::Ok());
  int64_t now = Shard::WallClockMs() + 6000;
  for (int i = 0; i < 100 && !durability_->write_refusal().empty(); ++i) {
    if (!durability_->round_in_progress()) durability_->Cron(now += 6000);
    ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->round_in_progress(); }));
  }
  EXPECT_TRUE(durability_->write_refusal().empty()) << durability_->write_refusal();
  EXPECT_TRUE(durability_->info().last_round_ok);
}

// Turning the journal off while a round runs: the records after the switch are never
// journaled, so the round must not write a state only they could complete. What it still
// owes reaches the tier as it was at the switch.
TEST_F(DurabilityJournalFailureTest, AppendonlyOffDuringARoundKeepsItsLaterStatesOutOfTheTier) {
  constexpr int kPairs = 1100;  // 2200 keys: a round of three slices
  for (int i = 0; i < kPairs; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(harness_.Run({"MSET", "a" + n, "v0", "b" + n, "v0"}), "+OK\r\n");
    (void)durability_->CommitChanges();
  }
  tier_->StallWrites();
  bool round_done = false;
  ASSERT_TRUE(durability_->StartRound([&](const Status& status) {
    EXPECT_TRUE(status.ok()) << status.message();
    round_done = true;
  }));
  ASSERT_TRUE(tier_->WaitUntilWritesStalled(1));  // the first slice is in flight
  durability_->SetJournal(false, FsyncPolicy::kAlways);
  const std::string last = std::to_string(kPairs - 1);  // in the last slice
  EXPECT_EQ(harness_.Run({"MSET", "a" + last, "after", "b" + last, "after"}), "+OK\r\n");
  (void)durability_->CommitChanges();
  tier_->ReleaseWrites();
  ASSERT_TRUE(engine_.RunUntil([&] { return round_done; }));
  const testing::KeyspaceImage tier = testing::TierImageOf(*tier_);
  EXPECT_EQ(tier.at({0, "a" + last}).value, "v0");
  EXPECT_EQ(tier.at({0, "b" + last}).value, "v0");
}

}  // namespace
}  // namespace tierkv

namespace tierkv {
namespace {

// A Durability over a FakeTier whose journal writer's thread is held inside its first batch
// write (a stalled disk) until the test opens the gate.
class DurabilityStalledWriterTest : public ::testing::Test {
 protected:
  void Open(DurabilityOptions options) {
    options.dir = dir_.path();
    options.post_to_engine = engine_.Poster();
    options.journal_hooks.before_write = [gate = gate_](uint64_t) {
      gate->Enter();
      return Status::Ok();
    };
    auto opened = Durability::Open(harness_.shard(), std::make_unique<FakeTier>(), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    durability_ = std::move(*opened);
  }
  // A failed assertion must not leave the writer held: closing the journal waits for it.
  void TearDown() override { gate_->Open(); }

  void Write(int i, const std::string& value) {
    EXPECT_EQ(harness_.Run({"SET", "k" + std::to_string(i), value}), "+OK\r\n");
    durability_->CommitChanges();
    durability_->SubmitPending();
  }

  TempDir dir_{"tierkv-stalled-writer"};
  EngineQueue engine_;
  CommandHarness harness_;
  std::shared_ptr<testing::Gate> gate_ = std::make_shared<testing::Gate>();
  std::unique_ptr<Durability> durability_;
};

// The engine may hand out LSNs only below the reservation on disk (an LSN is never reused,
// even after a crash that loses the unsynced tail). While the writer could not extend it,
// writes went on being numbered past it.
TEST_F(DurabilityStalledWriterTest, WritesAreRefusedWhileTheReservationLagsAndResumeOnceItIsWritten) {
  constexpr uint64_t kStep = 16;
  DurabilityOptions options;
  options.lsn_reservation_step = kStep;
  ASSERT_NO_FATAL_FAILURE(Open(std::move(options)));
  Write(0, "v");
  ASSERT_TRUE(gate_->WaitEntered());
  int written = 1;
  for (; written < 4 * static_cast<int>(kStep) && durability_->write_refusal().empty(); ++written) Write(written, "v");
  const std::string refusal = durability_->write_refusal();
  EXPECT_NE(refusal.find("the journal's LSN reservation has not reached the disk"), std::string::npos) << refusal;
  EXPECT_EQ(durability_->info().journal_lsn, kStep) << "numbered up to the reservation and not past it";

  gate_->Open();
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->write_refusal().empty(); }));
  Write(written, "v");
  EXPECT_EQ(durability_->info().journal_lsn, kStep + 1);
  ASSERT_TRUE(engine_.RunUntil([&] { return durability_->durable_lsn() >= kStep + 1; }));
}

// A disk slower than the writes: the journal thread stuck in a write while records pile
// up. Past a sixteenth of maxmemory (at least 8 MiB) the journal is backlogged, which makes
// the server suspend the clients that write (never the engine thread, which used to wait
// for the writer here); once the writer takes the queue, it is not.
TEST_F(DurabilityStalledWriterTest, TheJournalIsBackloggedWhileRecordsPastItsBoundWaitForTheWriter) {
  harness_.shard().options().maxmemory = 128u << 20;  // the bound: 8 MiB
  ASSERT_NO_FATAL_FAILURE(Open({}));
  const std::string value(1 << 20, 'v');
  Write(0, value);
  ASSERT_TRUE(gate_->WaitEntered());  // the writer is stuck in its first batch
  EXPECT_FALSE(durability_->journal_backlogged());
  int i = 1;
  for (; i < 32 && !durability_->journal_backlogged(); ++i) Write(i, value);
  EXPECT_TRUE(durability_->journal_backlogged());
  EXPECT_GE(i, 8) << "backlogged before the bound";

  gate_->Open();
  ASSERT_TRUE(engine_.RunUntil([&] { return !durability_->journal_backlogged(); }));
}

}  // namespace
}  // namespace tierkv
