// Crash at every step of a checkpoint round, then recover: the keyspace must come back
// exactly as it was when the process died (every committed change present, every deleted
// key absent).
//
// The tier keeps what its last successful Commit covered, plus possibly some of the
// batches written after it, in order (RocksDB without its WAL may have flushed some
// memtables; a WriteBatch is all or nothing). Every crash point is checked with each
// possible number of such batches kept, from none to all. The journal keeps every record
// it was handed (a process crash: the page cache survives); CheckpointCrashTest also
// checks a power loss, where the journal keeps only what was synced, and the keyspace
// must come back as of the last synced record (which fails if a batch ever reached the
// tier before the journal records it holds were synced).
//
// Each recovered keyspace must then also survive a checkpoint round of its own: after
// it, the tier alone (no journal) must hold the same keyspace, which proves recovery
// queued everything the tier was missing (replayed keys, FLUSHDB survivors, tombstones).
//
// Two drivers:
//   - CheckpointCrashTest runs Checkpointer and Recover directly, with the journal written
//     by the test, and stops after every slice (before_slice), after the commit but before
//     the journal drop, after the drop but before the tombstone purge, and at the end;
//   - DurabilityCrashTest runs the real Durability (journal writer, segment dropping)
//     over the same FakeTier and stops at every tier call of a multi-batch round.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/keyspace_image.h"
#include "harness/recording_tier.h"
#include "harness/temp_dir.h"
#include "tiering/checkpointer.h"
#include "tiering/durability.h"
#include "tiering/journal_record.h"
#include "tiering/journal_segment.h"
#include "tiering/recovery.h"
#include "tiering/tier_io_pool.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::ImageOf;
using testing::KeyspaceImage;
using testing::RecordingTier;
using testing::TempDir;

using Files = std::map<std::string, std::string>;  // file name -> contents

Files ReadFiles(const std::string& dir) {
  Files files;
  for (const auto& item : std::filesystem::directory_iterator(dir)) {
    if (!item.is_regular_file()) continue;
    std::ifstream in(item.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[item.path().filename().string()] = bytes.str();
  }
  return files;
}

void WriteFiles(const std::string& dir, const Files& files) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : files) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
}

// What a crash at one point leaves behind.
struct CrashPoint {
  std::string label;
  Files journal;
  std::vector<std::unique_ptr<FakeTier>> tiers;  // [kept]: with `kept` uncommitted batches
  KeyspaceImage model;                           // the keyspace when it crashed
};

CrashPoint TakeCrashPoint(std::string label, const std::string& journal_dir, const RecordingTier& tier,
                          KeyspaceImage model) {
  CrashPoint point;
  point.label = std::move(label);
  point.journal = ReadFiles(journal_dir);
  const size_t uncommitted = tier.uncommitted_batches();
  for (size_t kept = 0; kept <= uncommitted; ++kept) point.tiers.push_back(tier.CrashImage(kept));
  point.model = std::move(model);
  return point;
}

RecoveryOptions RecoveryInto(const std::string& journal_dir) {
  RecoveryOptions options;
  options.journal_dir = journal_dir;
  return options;
}

// A whole checkpoint round of `shard` into `tier`, the test thread playing the engine.
void RunCheckpoint(Shard& shard, Tier& tier, std::vector<TombstoneRef> tombstones) {
  EngineQueue engine;
  bool done = false;
  CheckpointResult result;
  {
    TierIoPool pool;
    CheckpointerOptions options;
    options.batch_keys = 3;
    options.post_to_engine = engine.Poster();
    Checkpointer checkpointer(shard, tier, pool, std::move(options));
    checkpointer.AddTombstones(std::move(tombstones));
    ASSERT_TRUE(checkpointer.Start([&](const CheckpointResult& r) {
      result = r;
      done = true;
    }));
    ASSERT_TRUE(engine.RunUntil([&] { return done; }));
  }
  ASSERT_TRUE(result.status.ok()) << result.status.message();
}

// Recovers a fresh keyspace from the crash image (`kept` uncommitted batches) and the
// journal as the crash left it; then checkpoints it and recovers from the tier alone.
void ExpectRecoveryRestoresTheModel(CrashPoint& crash, size_t kept, const std::string& scratch) {
  SCOPED_TRACE(crash.label + "; uncommitted batches kept: " + std::to_string(kept) + " of " +
               std::to_string(crash.tiers.size() - 1));
  const std::string journal_dir = scratch + "/journal";
  WriteFiles(journal_dir, crash.journal);
  FakeTier& tier = *crash.tiers[kept];

  CommandHarness recovered;
  recovered.shard().changes().set_enabled(true);
  auto report = Recover(recovered.shard(), tier, RecoveryInto(journal_dir));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->truncated_tail.has_value());
  ASSERT_EQ(ImageOf(recovered.shard()), crash.model);

  RunCheckpoint(recovered.shard(), tier, std::move(report->tombstones));
  CommandHarness reloaded;
  reloaded.shard().changes().set_enabled(true);
  auto from_tier = Recover(reloaded.shard(), tier, RecoveryOptions{});
  ASSERT_TRUE(from_tier.ok()) << from_tier.status().message();
  EXPECT_EQ(ImageOf(reloaded.shard()), crash.model) << "the round after recovery left the tier incomplete";
}

// ---------------------------------------------------------------------------------------
// Checkpointer + Recover, stopped after every slice and between every later step.

class CheckpointCrashTest : public ::testing::Test {
 protected:
  CheckpointCrashTest() : journal_dir_(dir_.path() + "/journal") {
    shard().changes().set_enabled(true);
    SegmentWriterOptions journal;
    journal.dir = journal_dir_;
    journal.rotate_size = 400;  // several segments, so that rounds drop some
    auto writer = SegmentWriter::Open(journal);
    if (!writer.ok()) throw std::runtime_error(writer.status().message());
    journal_ = std::move(*writer);

    CheckpointerOptions options;
    options.batch_keys = 3;
    options.post_to_engine = engine_.Poster();
    options.make_journal_durable = [this](uint64_t lsn) {
      EXPECT_GE(journal_lsn_.load(), lsn) << "asked to sync records the journal was never given";
      // What a sync covers survives a power loss; nothing after it does.
      if (lsn > synced_lsn_) synced_lsn_ = lsn;
      return Status::Ok();
    };
    options.drop_journal_below = [this](uint64_t lsn) {
      // Runs on the pool while the engine thread waits for the round: the keyspace is
      // quiet, so reading it here is safe.
      Crash("committed at " + std::to_string(lsn) + ", journal not yet dropped");
      DropSegmentsBelow(lsn);
      Crash("journal dropped below " + std::to_string(lsn) + ", tombstones not yet purged");
    };
    options.before_slice = [this](size_t items_done) {
      Crash("after " + std::to_string(items_done) + " items written");
      if (during_round_) during_round_(items_done);
    };
    checkpointer_ = std::make_unique<Checkpointer>(shard(), tier_, pool_, std::move(options));
  }

  Shard& shard() { return harness_.shard(); }

  // Runs a command, commits it and appends its record to the journal.
  void Write(std::vector<std::string> args) {
    const std::string reply = harness_.Run(args);
    ASSERT_TRUE(reply.empty() || reply[0] != '-') << args[0] << " replied " << reply;
    std::optional<EffectRecord> record = shard().CommitChanges();
    if (!record.has_value()) return;
    std::string bytes;
    EncodeRecord(*record, &bytes);
    ASSERT_TRUE(journal_->Append(record->lsn, bytes).ok());
    journal_lsn_ = record->lsn;
    journal_ends_[record->lsn] = {std::filesystem::path(journal_->current_path()).filename().string(), journal_->size()};
    history_[record->lsn] = ImageOf(shard());
  }

  void Round() {
    ++round_;
    bool done = false;
    CheckpointResult result;
    ASSERT_TRUE(checkpointer_->Start([&](const CheckpointResult& r) {
      result = r;
      done = true;
    }));
    ASSERT_TRUE(engine_.RunUntil([&] { return done; }));
    ASSERT_TRUE(result.status.ok()) << result.status.message();
    Crash("round over");
  }

  void Crash(const std::string& what) {
    const std::string label = "round " + std::to_string(round_) + ": " + what;
    CrashPoint process = TakeCrashPoint(label + " (process crash)", journal_dir_, tier_, ImageOf(shard()));
    // A commit records S only once everything up to S is in the tier, so the journal
    // below it may be lost as well.
    const uint64_t synced = std::max(synced_lsn_.load(), tier_.committed_lsn());
    CrashPoint power = TakeCrashPoint(label + " (power loss, journal synced to " + std::to_string(synced) + ")",
                                      journal_dir_, tier_, history_.at(synced));
    power.journal = JournalUpTo(std::move(power.journal), synced);
    std::lock_guard lock(crashes_mu_);
    crashes_.push_back(std::move(process));
    crashes_.push_back(std::move(power));
  }

  // The journal files cut after the record `lsn`.
  Files JournalUpTo(Files files, uint64_t lsn) const {
    for (auto file = files.begin(); file != files.end();) {
      uint64_t first_lsn = 0;
      const bool segment = ParseJournalSegmentFileName(file->first, &first_lsn);
      file = segment && first_lsn > lsn ? files.erase(file) : std::next(file);
    }
    if (lsn == 0) return files;
    const auto& [name, size] = journal_ends_.at(lsn);
    if (auto file = files.find(name); file != files.end()) file->second.resize(size);
    return files;
  }

  // Durability's rule: a segment goes when the next one starts at or below lsn + 1.
  void DropSegmentsBelow(uint64_t lsn) {
    auto segments = ListJournalSegments(journal_dir_);
    ASSERT_TRUE(segments.ok());
    for (size_t i = 0; i + 1 < segments->size(); ++i) {
      if ((*segments)[i + 1].first_lsn > lsn + 1) break;
      ASSERT_EQ(::unlink((*segments)[i].path.c_str()), 0);
      ++segments_dropped_;
    }
  }

  TempDir dir_{"tierkv-crash"};
  std::string journal_dir_;
  EngineQueue engine_;
  CommandHarness harness_;
  FakeTier fake_;
  RecordingTier tier_{fake_};
  std::unique_ptr<SegmentWriter> journal_;
  std::atomic<uint64_t> journal_lsn_{0};
  std::atomic<uint64_t> synced_lsn_{0};
  // Per record: the segment and its size once the record was in it, and the keyspace.
  std::map<uint64_t, std::pair<std::string, uint64_t>> journal_ends_;
  std::map<uint64_t, KeyspaceImage> history_{{0, KeyspaceImage{}}};
  std::unique_ptr<Checkpointer> checkpointer_;
  std::function<void(size_t)> during_round_;
  int round_ = 0;
  int segments_dropped_ = 0;
  std::mutex crashes_mu_;
  std::vector<CrashPoint> crashes_;
  TierIoPool pool_;  // last: destroyed first
};

TEST_F(CheckpointCrashTest, RecoveryAfterACrashAtAnyStepRestoresEveryCommittedChange) {
  // Round 1: the base data set.
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 12; ++i) {
    mset.push_back("k" + std::to_string(i));
    mset.push_back("v1");
  }
  Write(mset);
  Write({"SET", "ttl", "t", "PX", "100000000"});
  Write({"SET", "ctr", "10"});
  Write({"SELECT", "1"});
  Write({"MSET", "a", "1", "b", "1", "c", "1"});
  Write({"SELECT", "2"});
  Write({"MSET", "x", "1", "y", "1"});
  Write({"SELECT", "0"});
  Round();

  // Round 2: every kind of change, and more while the round runs.
  Write({"SET", "k0", "v2"});
  Write({"DEL", "k1"});
  Write({"INCRBYFLOAT", "ctr", "1.5"});
  Write({"RENAME", "k2", "r2"});
  Write({"EXPIRE", "k3", "100000"});
  Write({"MOVE", "k4", "2"});
  Write({"SELECT", "1"});
  Write({"FLUSHDB"});
  Write({"SET", "a", "recreated"});
  Write({"SELECT", "0"});
  Write({"SWAPDB", "2", "3"});
  Write({"MULTI"});
  Write({"SET", "k5", "m"});
  Write({"DEL", "k6"});
  Write({"SET", "k7", "x"});
  Write({"SET", "k5", "final"});
  Write({"EXEC"});
  Write({"DEL", "k8"});
  Write({"SET", "k8", "back"});
  Write({"SETRANGE", "k9", "300", "z"});
  bool fired = false;
  during_round_ = [&, this](size_t items_done) {
    if (round_ != 2 || items_done < 6 || std::exchange(fired, true)) return;
    Write({"SET", "k10", "during"});
    Write({"DEL", "k11"});
    Write({"SET", "k0", "v3"});
    Write({"DEL", "r2"});
    Write({"SELECT", "3"});
    Write({"FLUSHDB"});
    Write({"SET", "x", "again"});
    Write({"SELECT", "0"});
    Crash("after " + std::to_string(items_done) + " items and the writes made during the round");
  };
  Round();
  ASSERT_TRUE(fired);

  // Round 3: everything flushed, a swap, and a deletion while the round runs.
  Write({"SET", "before_flushall", "1"});
  Write({"FLUSHALL"});
  Write({"SET", "z", "1"});
  Write({"SELECT", "5"});
  Write({"SET", "w", "1"});
  Write({"SELECT", "0"});
  Write({"SWAPDB", "0", "5"});
  fired = false;
  during_round_ = [&, this](size_t items_done) {
    if (round_ != 3 || items_done < 3 || std::exchange(fired, true)) return;
    Write({"DEL", "w"});
    Write({"SET", "late", "1"});
    // z (db 5) is still ahead in this round: recreated after a flush, it is queued after
    // an erase in the next round's list and written by this one meanwhile.
    Write({"SELECT", "5"});
    Write({"FLUSHDB"});
    Write({"SET", "z", "recreated"});
    // A swap while the round runs: the round reads the keys it took in db 5 from db 1
    // now, and the next round swaps the tier's dbs.
    Write({"SWAPDB", "1", "5"});
    Write({"SELECT", "1"});
    Write({"SET", "z", "after-swap"});
    Write({"SELECT", "0"});
  };
  Round();
  ASSERT_TRUE(fired);
  ASSERT_EQ(harness_.Run({"GET", "late"}), "$1\r\n1\r\n");

  // Round 4 writes what changed during round 3.
  during_round_ = nullptr;
  Round();
  EXPECT_EQ(testing::TierImageOf(fake_), ImageOf(shard()));
  ASSERT_GT(segments_dropped_, 0) << "no journal segment was ever dropped: the drop steps went untested";

  size_t checked = 0;
  bool kept_some = false;
  for (CrashPoint& crash : crashes_) {
    for (size_t kept = 0; kept < crash.tiers.size(); ++kept) {
      ExpectRecoveryRestoresTheModel(crash, kept, dir_.path() + "/recover");
      kept_some = kept_some || kept > 0;
      ++checked;
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_TRUE(kept_some);
  EXPECT_GT(checked, 120u);
  RecordProperty("recoveries_checked", static_cast<int>(checked));
}

// ---------------------------------------------------------------------------------------
// The real Durability: journal writer, checkpoint rounds, journal segment dropping.

class DurabilityCrashTest : public ::testing::Test {
 protected:
  DurabilityOptions Options(const std::string& dir, EngineQueue& engine) {
    DurabilityOptions options;
    options.dir = dir;
    options.fsync = FsyncPolicy::kNo;  // rounds flush the journal before writing the tier
    options.journal_segment_size = 8 << 10;
    options.journal_max_size = 0;
    options.post_to_engine = engine.Poster();
    return options;
  }

  static void RunRound(Durability& durability, EngineQueue& engine) {
    bool done = false;
    Status status;
    ASSERT_TRUE(durability.StartRound([&](const Status& s) {
      status = s;
      done = true;
    }));
    ASSERT_TRUE(engine.RunUntil([&] { return done; }));
    ASSERT_TRUE(status.ok()) << status.message();
  }

  void Crash(const std::string& what) {
    std::lock_guard lock(crashes_mu_);
    crashes_.push_back(
        TakeCrashPoint("round " + std::to_string(round_) + ": " + what, dir_.path() + "/journal", *tier_, model_));
  }

  void SetModel(KeyspaceImage model) {
    std::lock_guard lock(crashes_mu_);
    model_ = std::move(model);
  }

  // Opens Durability over the crash image and the journal it left: the keyspace must be
  // the model; after a round, the tier alone and a fresh Open must give it again.
  void ExpectDurabilityRecovers(CrashPoint& crash, size_t kept) {
    SCOPED_TRACE(crash.label + "; uncommitted batches kept: " + std::to_string(kept));
    TempDir scratch("tierkv-crash-reopen");
    WriteFiles(scratch.path() + "/journal", crash.journal);
    FakeTier& image = *crash.tiers[kept];
    {
      EngineQueue engine;
      CommandHarness recovered;
      auto opened = Durability::Open(recovered.shard(), std::make_unique<RecordingTier>(image),
                                     Options(scratch.path(), engine));
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      ASSERT_EQ(ImageOf(recovered.shard()), crash.model);
      RunRound(**opened, engine);
    }
    CommandHarness from_tier;
    from_tier.shard().changes().set_enabled(true);
    auto report = Recover(from_tier.shard(), image, RecoveryOptions{});
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(ImageOf(from_tier.shard()), crash.model) << "the round after recovery left the tier incomplete";
    {
      EngineQueue engine;
      CommandHarness reopened;
      auto opened = Durability::Open(reopened.shard(), std::make_unique<RecordingTier>(image),
                                     Options(scratch.path(), engine));
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      EXPECT_EQ(ImageOf(reopened.shard()), crash.model);
    }
  }

  TempDir dir_{"tierkv-durability-crash"};
  RecordingTier* tier_ = nullptr;  // owned by the Durability
  int round_ = 0;
  // The keyspace as of the last change: set at the start of a round and by the engine
  // task that changes keys during one; read by the crash hooks on the pool.
  KeyspaceImage model_;
  std::mutex crashes_mu_;
  std::vector<CrashPoint> crashes_;
};

TEST_F(DurabilityCrashTest, RecoveryAfterACrashAtAnyTierCallRestoresEveryCommittedChange) {
  EngineQueue engine;
  CommandHarness harness;
  FakeTier fake;
  auto recording = std::make_unique<RecordingTier>(fake);
  tier_ = recording.get();
  // The hooks run on the I/O pool while the engine thread only waits for the round.
  // While round 2 writes its first batch, the engine changes keys further down its list.
  std::function<void()> during_round;
  tier_->before_write = [&, this](size_t batches) {
    Crash("before tier write #" + std::to_string(batches + 1));
    if (during_round) engine.Post(std::exchange(during_round, nullptr));
  };
  tier_->before_commit = [this](uint64_t lsn) { Crash("all batches written, before commit " + std::to_string(lsn)); };
  tier_->after_commit = [this](uint64_t lsn) { Crash("committed " + std::to_string(lsn) + ", journal not dropped"); };
  auto opened = Durability::Open(harness.shard(), std::move(recording), Options(dir_.path(), engine));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Durability& durability = **opened;
  auto write = [&](std::vector<std::string> args) {
    const std::string reply = harness.Run(args);
    ASSERT_TRUE(reply.empty() || reply[0] != '-') << args[0] << " replied " << reply;
    durability.CommitChanges();
  };
  auto round = [&] {
    ++round_;
    SetModel(ImageOf(harness.shard()));
    RunRound(durability, engine);
    SetModel(ImageOf(harness.shard()));
    Crash("round over");
  };

  // More keys than one batch holds (1024), so that rounds take several batches.
  for (int i = 0; i < 2500; ++i) write({"SET", "key:" + std::to_string(i), "v1"});
  write({"SELECT", "1"});
  write({"MSET", "a", "1", "b", "1"});
  write({"SELECT", "0"});
  round();

  for (int i = 0; i < 2500; i += 2) write({"SET", "key:" + std::to_string(i), "v2"});
  for (int i = 1; i < 600; i += 6) write({"DEL", "key:" + std::to_string(i)});
  write({"RENAME", "key:3", "renamed"});
  write({"SELECT", "1"});
  write({"FLUSHDB"});
  write({"SET", "a", "after the flush"});
  write({"SELECT", "0"});
  write({"SWAPDB", "1", "2"});
  during_round = [&, this] {
    // db 2 (a, swapped in) is at the end of this round's list: flushed and recreated
    // now, it is queued after an erase in the next list and written by this round.
    write({"SELECT", "2"});
    write({"FLUSHDB"});
    write({"SET", "a", "recreated during the round"});
    write({"SELECT", "0"});
    write({"DEL", "key:100"});
    SetModel(ImageOf(harness.shard()));
  };
  round();
  round();
  EXPECT_EQ(testing::TierImageOf(fake), ImageOf(harness.shard()));
  EXPECT_GT(durability.info().journal_bytes, 0u);
  EXPECT_EQ(durability.info().checkpoint_lsn, harness.shard().last_lsn());

  size_t checked = 0;
  for (CrashPoint& crash : crashes_) {
    for (size_t kept = 0; kept < crash.tiers.size(); ++kept) {
      ExpectDurabilityRecovers(crash, kept);
      ++checked;
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(checked, 10u);
  RecordProperty("recoveries_checked", static_cast<int>(checked));
}

}  // namespace
}  // namespace tierkv
