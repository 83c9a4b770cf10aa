// Tests for tiering/recovery.h: loading the tier, replaying the journal tail with the
// per-key LSN rule (a record applies to a key only if it is newer than the key's state in
// the tier, tombstones included), replayed FLUSHDB/FLUSHALL against states newer than
// them, torn tails (cut and reported) versus damage before the end (fatal, with file and
// offset), and where LSN numbering resumes.
//
// The tier is a FakeTier seeded directly; journals are written with SegmentWriter and
// EncodeRecord; effects are applied through the real command handlers.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "harness/command_harness.h"
#include "harness/engine_queue.h"
#include "harness/fake_tier.h"
#include "harness/journal_files.h"
#include "harness/keyspace_image.h"
#include "harness/resp_literals.h"
#include "harness/temp_dir.h"
#include "tiering/checkpointer.h"
#include "tiering/entry_codec.h"
#include "tiering/journal_record.h"
#include "tiering/journal_segment.h"
#include "tiering/lsn_reservation.h"
#include "tiering/recovery.h"
#include "tiering/tier_io_pool.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::EngineQueue;
using testing::FakeTier;
using testing::Int;
using testing::ImageOf;
using testing::KeyspaceImage;
using testing::TempDir;
using testing::TierImageOf;

TierEntry StoredValue(uint32_t db, const std::string& key, const std::string& value, uint64_t lsn,
                      int64_t expire_at = kNoExpire) {
  Entry* entry = Entry::NewString(key, value, expire_at);
  entry->lsn = lsn;
  TierEntry stored = EntryToTier(db, *entry);
  Entry::Free(entry);
  return stored;
}

std::string Encoded(const std::vector<EffectRecord>& records) {
  std::string bytes;
  for (const EffectRecord& record : records) EncodeRecord(record, &bytes);
  return bytes;
}

uint64_t FileSize(const std::string& path) { return std::filesystem::file_size(path); }

class RecoveryTest : public ::testing::Test {
 protected:
  RecoveryTest() : journal_dir_(dir_.path() + "/journal"), changes_(shard(), applied_) {
    shard().changes().set_enabled(true);
    shard().add_observer(&changes_);
  }

  Shard& shard() { return harness_.shard(); }

  void SeedTier(const std::vector<TierEntry>& entries, uint64_t checkpoint_lsn) {
    TierBatch batch;
    for (const TierEntry& entry : entries) batch.Put(entry);
    ASSERT_TRUE(tier_.Write(batch).ok());
    ASSERT_TRUE(tier_.Commit(checkpoint_lsn).ok());
  }

  // Each group of records becomes its own segment file; returns the segment paths.
  std::vector<std::string> WriteJournal(const std::vector<std::vector<EffectRecord>>& segments) {
    SegmentWriterOptions options;
    options.dir = journal_dir_;
    options.rotate_size = 1;  // every Append after the first starts a new segment
    auto writer = SegmentWriter::Open(options);
    EXPECT_TRUE(writer.ok());
    std::vector<std::string> paths;
    for (const auto& records : segments) {
      EXPECT_TRUE((*writer)->Append(records.front().lsn, Encoded(records)).ok());
      paths.push_back((*writer)->current_path());
    }
    return paths;
  }

  Result<RecoveryReport> RunRecovery() {
    RecoveryOptions options;
    options.journal_dir = journal_dir_;
    options.log = [this](const std::string& line) { log_.push_back(line); };
    return Recover(shard(), tier_, options);
  }

  // A start-up with tiering: values stored in 64 bytes or more stay in the tier, read
  // back from it when a command (or a replayed effect) needs them. `readable` false makes
  // every read back fail.
  Result<RecoveryReport> RunColdRecovery(bool readable = true) {
    shard().set_cold_loader([this, readable](int db, const Entry& cold) -> Result<Entry*> {
      ++cold_reads_;
      auto stored = tier_.Get(static_cast<uint32_t>(db), cold.key());
      if (!readable || !stored.ok() || !stored->has_value()) return Status::IoError("unreadable");
      return EntryFromTier(**stored);
    });
    RecoveryOptions options;
    options.journal_dir = journal_dir_;
    options.leave_values_cold = true;
    return Recover(shard(), tier_, options);
  }

  // Recovers the same tier and journal into another keyspace (a second start-up).
  Result<RecoveryReport> RecoverAgain(CommandHarness& again) {
    RecoveryOptions options;
    options.journal_dir = journal_dir_;
    return Recover(again.shard(), tier_, options);
  }

  std::optional<std::string> Value(int db, const std::string& key) {
    const Entry* entry = shard().db(db).Peek(key);
    if (entry == nullptr) return std::nullopt;
    return std::string(entry->string_value());
  }
  uint64_t Lsn(int db, const std::string& key) {
    const Entry* entry = shard().db(db).Peek(key);
    EXPECT_NE(entry, nullptr) << key;
    return entry == nullptr ? 0 : entry->lsn;
  }
  bool Logged(const std::string& fragment) {
    return std::any_of(log_.begin(), log_.end(),
                       [&](const std::string& line) { return line.find(fragment) != std::string::npos; });
  }

  // Every key change replay makes, as "db:key=value" ("db:key" once the key is gone or
  // for a collection), in order: which effects applied and what they left.
  class ChangeRecorder final : public KeyspaceObserver {
   public:
    ChangeRecorder(Shard& shard, std::vector<std::string>& out) : shard_(shard), out_(out) {}
    void OnKeyModified(int db, std::string_view key) override {
      const Entry* entry = shard_.db(db).Peek(key);
      std::string change = std::to_string(db) + ":" + std::string(key);
      if (entry != nullptr && entry->type == ValueType::kString && !entry->is_cold()) {
        change += "=" + std::string(entry->string_value());
      }
      out_.push_back(std::move(change));
    }
    void OnDbChanged(int) override {}
    void OnDbsSwapped(int, int) override {}

   private:
    Shard& shard_;
    std::vector<std::string>& out_;
  };

  TempDir dir_{"tierkv-recovery"};
  std::string journal_dir_;
  CommandHarness harness_;
  FakeTier tier_;
  std::vector<std::string> applied_;  // what changes_ saw
  ChangeRecorder changes_;
  std::vector<std::string> log_;
  int cold_reads_ = 0;
};

// `size` bytes that LZF cannot shrink (the tier stores strings compressed where that
// pays, and these tests need values stored in at least 64 bytes).
std::string Incompressible(size_t size, char seed = 'a') {
  std::string bytes;
  uint32_t state = static_cast<uint8_t>(seed);
  while (bytes.size() < size) {
    state = state * 1103515245 + 12345;
    bytes.push_back(static_cast<char>('!' + (state >> 16) % 90));
  }
  return bytes;
}

// What the tier would hold for a key built by `commands` (run on a keyspace of its own).
TierEntry StoredFrom(const std::vector<std::vector<std::string>>& commands, const std::string& key, uint64_t lsn) {
  CommandHarness source;
  for (const auto& command : commands) source.Run(command);
  Entry* entry = source.shard().db(0).Peek(key);
  EXPECT_NE(entry, nullptr) << key;
  entry->lsn = lsn;
  return EntryToTier(0, *entry);
}

TEST_F(RecoveryTest, LoadsTheTierWithExpiriesAndLsns) {
  const int64_t later = Shard::WallClockMs() + 3'600'000;
  SeedTier({StoredValue(0, "a", "1", 4), StoredValue(3, "b", "2", 7, later)}, 7);
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->checkpoint_lsn, 7u);
  EXPECT_EQ(report->keys_loaded, 2u);
  EXPECT_EQ(report->records_replayed, 0u);
  EXPECT_EQ(ImageOf(shard()), (KeyspaceImage{{{0, "a"}, {"1", kNoExpire}}, {{3, "b"}, {"2", later}}}));
  EXPECT_EQ(Lsn(0, "a"), 4u);
  EXPECT_EQ(Lsn(3, "b"), 7u);
  // What came from the tier is already there: nothing to checkpoint.
  EXPECT_EQ(shard().changes().dirty_count(), 0u);
  EXPECT_EQ(shard().db(3).expires_count(), 1u);
}

TEST_F(RecoveryTest, RecordsApplyToAKeyOnlyAboveItsTierLsn) {
  // The tier holds k at LSN 10, written by a round that never committed past 5.
  SeedTier({StoredValue(0, "k", "tier10", 10), StoredValue(0, "other", "o", 3)}, 5);
  std::vector<EffectRecord> records;
  for (uint64_t lsn = 3; lsn <= 12; ++lsn) {
    EffectRecord record{lsn, 0, {{"SET", "k", "v" + std::to_string(lsn)}}};
    if (lsn == 4) record.effects.push_back({"SET", "ghost", "covered by the checkpoint"});
    if (lsn == 11) record.effects.push_back({"SET", "j", "j11"});
    records.push_back(record);
  }
  WriteJournal({records});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:k=v11", "0:j=j11", "0:k=v12"}));
  EXPECT_EQ(report->records_replayed, 7u);  // 6..12
  EXPECT_EQ(report->effects_applied, 3u);
  EXPECT_EQ(report->effects_skipped, 5u);   // k at 6..10
  EXPECT_EQ(Value(0, "k"), "v12");
  EXPECT_EQ(Lsn(0, "k"), 12u);
  EXPECT_EQ(Lsn(0, "j"), 11u);
  EXPECT_EQ(Lsn(0, "other"), 3u);
  EXPECT_EQ(Value(0, "ghost"), std::nullopt);
  EXPECT_EQ(report->last_lsn, 12u);
  EXPECT_FALSE(report->truncated_tail.has_value());
}

TEST_F(RecoveryTest, EveryEffectOfARecordOnOneKeyApplies) {
  // Own effects (a MULTI, an XREADGROUP) can name one key several times in a record; the
  // first stamps the key with the record's LSN, which must not hide the others.
  SeedTier({StoredValue(0, "k", "tier", 4)}, 5);
  WriteJournal({{{6, 0, {{"APPEND", "k", "+a"}, {"SET", "other", "o"}, {"APPEND", "k", "+b"}}}}});
  ASSERT_TRUE(RunRecovery().ok());
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:k=tier+a", "0:other=o", "0:k=tier+a+b"}));
  EXPECT_EQ(Value(0, "k"), "tier+a+b");
  EXPECT_EQ(Lsn(0, "k"), 6u);
}

TEST_F(RecoveryTest, RecordsApplyInTheirOwnDbAfterSelect) {
  SeedTier({StoredValue(2, "k", "tier", 8)}, 5);
  WriteJournal({{{6, 0, {{"SET", "k", "db0"}, {"SELECT", "2"}, {"SET", "k", "db2 at 6"}}},
                 {9, 1, {{"SET", "k", "db1"}, {"SELECT", "2"}, {"DEL", "k"}}}}});
  ASSERT_TRUE(RunRecovery().ok());
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:k=db0", "1:k=db1", "2:k"}));
  EXPECT_EQ(Value(0, "k"), "db0");
  EXPECT_EQ(Value(1, "k"), "db1");
  EXPECT_EQ(Value(2, "k"), std::nullopt);
}

TEST_F(RecoveryTest, TombstoneNewerThanTheCheckpointBlocksOlderRecords) {
  TierEntry k = TombstoneToTier(0, "k", 9);
  TierEntry m = TombstoneToTier(0, "m", 9);
  TierEntry old = TombstoneToTier(0, "old", 3);  // already covered: only waiting for its purge
  SeedTier({k, m, old}, 5);
  WriteJournal({{{6, 0, {{"SET", "k", "v6"}, {"SET", "m", "m6"}}},
                 {7, 0, {{"SET", "old", "o7"}}},
                 {8, 0, {{"SET", "k", "v8"}, {"SET", "m", "m8"}}},
                 {10, 0, {{"SET", "k", "v10"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  // k and m were deleted at 9: their states at 6 and 8 must not come back.
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:old=o7", "0:k=v10"}));
  EXPECT_EQ(Value(0, "k"), "v10");
  EXPECT_EQ(Value(0, "m"), std::nullopt);
  EXPECT_EQ(Value(0, "old"), "o7");
  EXPECT_EQ(report->effects_skipped, 4u);
  EXPECT_EQ(report->last_lsn, 10u);
  // Every tombstone goes back to the checkpointer, to be purged once covered.
  ASSERT_EQ(report->tombstones.size(), 3u);
  std::vector<std::string> tombstones;
  for (const TombstoneRef& ref : report->tombstones) tombstones.push_back(ref.key + "@" + std::to_string(ref.lsn));
  std::sort(tombstones.begin(), tombstones.end());
  EXPECT_EQ(tombstones, (std::vector<std::string>{"k@9", "m@9", "old@3"}));
}

// Shared by the FLUSHDB tests: a checkpoint round over the recovered keyspace, into the
// same tier, must leave the tier equal to it.
void CheckpointInto(Shard& shard, Tier& tier) {
  EngineQueue engine;
  bool done = false;
  CheckpointResult result;
  {
    TierIoPool pool;
    CheckpointerOptions options;
    options.post_to_engine = engine.Poster();
    Checkpointer checkpointer(shard, tier, pool, std::move(options));
    ASSERT_TRUE(checkpointer.Start([&](const CheckpointResult& r) {
      result = r;
      done = true;
    }));
    ASSERT_TRUE(engine.RunUntil([&] { return done; }));
  }
  ASSERT_TRUE(result.status.ok()) << result.status.message();
}

TEST_F(RecoveryTest, ReplayedFlushDbRemovesOnlyOlderKeysAndQueuesSurvivors) {
  // Checkpoint 2. Then: x set at 3, c at 4, db 0 flushed at 7, b at 8, e at 9. An
  // unfinished round had written c (4) and b (8) to the tier; a (1) is from before.
  SeedTier({StoredValue(0, "a", "a1", 1), StoredValue(0, "c", "c4", 4), StoredValue(0, "b", "b8", 8),
            StoredValue(1, "d", "d1", 1), TombstoneToTier(0, "t", 8)},
           2);
  WriteJournal({{{3, 0, {{"SET", "x", "x3"}}},
                 {4, 0, {{"SET", "c", "c4"}}},
                 {7, 0, {{"FLUSHDB"}}},
                 {8, 0, {{"SET", "b", "b8"}, {"DEL", "t"}}},
                 {9, 0, {{"SET", "e", "e9"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(ImageOf(shard()), (KeyspaceImage{{{0, "b"}, {"b8", kNoExpire}},
                                             {{0, "e"}, {"e9", kNoExpire}},
                                             {{1, "d"}, {"d1", kNoExpire}}}));
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:x=x3", "0:e=e9"}));

  // The tier's copy of db 0 must be erased whole and b written back after the erase.
  std::vector<DirtyItem> dirty = shard().changes().TakeDirty();
  auto erase = std::find_if(dirty.begin(), dirty.end(), [](const DirtyItem& item) {
    return item.kind == DirtyItem::Kind::kEraseDb && item.db == 0;
  });
  ASSERT_NE(erase, dirty.end());
  for (const char* key : {"b", "e"}) {
    EXPECT_NE(std::find_if(erase, dirty.end(),
                           [&](const DirtyItem& item) { return item.kind == DirtyItem::Kind::kKey && item.key == key; }),
              dirty.end())
        << key << " is not queued after the erase";
  }
  EXPECT_NE(shard().db(0).Peek("b")->flags & Entry::kDirty, 0);
  shard().changes().GiveBackDirty(shard(), std::move(dirty));

  CheckpointInto(shard(), tier_);
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
}

// The same with tiering: start-up left b cold (its value stored in 64 bytes or more).
// The tier's db 0 is erased by the next round and b written back after the erase, so b
// must be resident by then: a cold survivor was written as the locator it held instead
// of its value, and the erase left the tier without it ("the tier holds no value").
TEST_F(RecoveryTest, WithTieringAReplayedFlushDbReadsItsColdSurvivorsBackBeforeTheErase) {
  const std::string b8 = Incompressible(100, 'b');
  SeedTier({StoredValue(0, "a", Incompressible(100, 'a'), 1), StoredValue(0, "b", b8, 8),
            StoredValue(1, "d", Incompressible(100, 'd'), 1)},
           2);
  WriteJournal({{{3, 0, {{"SET", "x", "x3"}}},
                 {7, 0, {{"FLUSHDB"}}},
                 {8, 0, {{"SET", "b", b8}}},
                 {9, 0, {{"SET", "e", "e9"}}}}});
  auto report = RunColdRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  const Entry* survivor = shard().db(0).Peek("b");
  ASSERT_NE(survivor, nullptr);
  EXPECT_FALSE(survivor->is_cold());
  EXPECT_NE(survivor->flags & Entry::kDirty, 0);
  EXPECT_TRUE(shard().db(1).Peek("d")->is_cold());  // another db's keys stay in the tier
  EXPECT_EQ(shard().db(0).Peek("a"), nullptr);

  CheckpointInto(shard(), tier_);
  shard().db(1).MakeResidentWhere([](const Entry&) { return true; });
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
  EXPECT_EQ(harness_.Run({"GET", "b"}), testing::Bulk(b8));
}

TEST_F(RecoveryTest, WithTieringAColdFlushDbSurvivorTheTierCannotGiveBackStopsRecovery) {
  SeedTier({StoredValue(0, "b", Incompressible(100, 'b'), 8)}, 2);
  WriteJournal({{{3, 0, {{"SET", "x", "x3"}}}, {7, 0, {{"FLUSHDB"}}}}});
  auto report = RunColdRecovery(/*readable=*/false);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("LSN 7"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("FLUSHDB"), std::string::npos) << report.status().message();
}

// The tier holds the dbs a replayed SWAPDB exchanged under their old numbers until a
// round writes the swap: the swapped values read back may not leave DRAM before that round
// commits, or they would be read back from the other db (its value of the same key name,
// or none). The swap is the first record replayed, so the fence must come from its own LSN.
TEST_F(RecoveryTest, WithTieringValuesAReplayedSwapDbMovedStayInDramUntilARoundWritesTheSwap) {
  SeedTier({StoredValue(0, "k", Incompressible(100, 'a'), 1), StoredValue(1, "k", Incompressible(100, 'b'), 1)}, 2);
  WriteJournal({{{3, 0, {{"SWAPDB", "0", "1"}}}}});
  shard().options().tiering.enabled = true;
  shard().options().maxmemory = 1;
  auto report = RunColdRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  shard().NoteCheckpointCommitted(report->checkpoint_lsn);  // as the server does after recovery
  EXPECT_FALSE(shard().db(0).Peek("k")->is_cold());
  EXPECT_EQ(harness_.Run({"GET", "k"}), testing::Bulk(Incompressible(100, 'b')));
  EXPECT_FALSE(shard().demotion_allowed());
  CheckpointInto(shard(), tier_);
  shard().NoteCheckpointCommitted(shard().last_lsn());
  EXPECT_TRUE(shard().demotion_allowed());
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
}

TEST_F(RecoveryTest, WithTieringASwapDbWhoseColdValuesTheTierCannotGiveBackStopsRecovery) {
  SeedTier({StoredValue(0, "k", Incompressible(100, 'a'), 1)}, 2);
  WriteJournal({{{3, 0, {{"SWAPDB", "0", "1"}}}}});
  auto report = RunColdRecovery(/*readable=*/false);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("LSN 3"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("SWAPDB"), std::string::npos) << report.status().message();
}

// Checkpoint 2, then: a set at 3 in db 0, dbs 0 and 1 swapped at 4, a set at 5 (now in
// db 1), b at 6 (now in db 0), t set at 7 and deleted at 8 in db 0. An unfinished round
// wrote a (5) and t's tombstone (8); the crash forgot its swap, so they sit where their
// db's contents were at the checkpoint, and move with the replayed SWAPDB.
TEST_F(RecoveryTest, ReplayedSwapDbMovesKeysWithTheirLsns) {
  SeedTier({StoredValue(0, "a", "a5", 5), StoredValue(1, "b", "b1", 1), TombstoneToTier(1, "t", 8)}, 2);
  WriteJournal({{{3, 0, {{"SET", "a", "a3"}}},
                 {4, 0, {{"SWAPDB", "0", "1"}}},
                 {5, 1, {{"SET", "a", "a5"}}},
                 {6, 0, {{"SET", "b", "b6"}}},
                 {7, 0, {{"SET", "t", "t7"}}},
                 {8, 0, {{"DEL", "t"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(ImageOf(shard()), (KeyspaceImage{{{0, "b"}, {"b6", kNoExpire}}, {{1, "a"}, {"a5", kNoExpire}}}));
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:b=b6"}));
  EXPECT_EQ(Lsn(1, "a"), 5u);
  // The next round swaps the tier's dbs too and writes what replay changed.
  CheckpointInto(shard(), tier_);
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
}

TEST_F(RecoveryTest, ASwapDbOfAMissingDbStopsRecovery) {
  WriteJournal({{{1, 0, {{"SWAPDB", "0", "16"}}}}});
  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("names a missing db"), std::string::npos) << report.status().message();
}

TEST_F(RecoveryTest, ReplayedFlushAllRemovesOlderKeysInEveryDb) {
  SeedTier({StoredValue(0, "a", "a1", 1), StoredValue(5, "b", "b1", 1), StoredValue(7, "n", "n6", 6)}, 2);
  WriteJournal({{{3, 2, {{"SET", "x", "x3"}}}, {4, 0, {{"FLUSHALL"}}}, {6, 7, {{"SET", "n", "n6"}}}}});
  ASSERT_TRUE(RunRecovery().ok());
  EXPECT_EQ(ImageOf(shard()), (KeyspaceImage{{{7, "n"}, {"n6", kNoExpire}}}));
  CheckpointInto(shard(), tier_);
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
}

TEST_F(RecoveryTest, TheNewestFunctionEffectAboveTheCheckpointIsTheServerState) {
  tier_.SetServerState("libraries at 2");
  SeedTier({StoredValue(0, "a", "a1", 1)}, 2);
  RecoveryReport checkpoint_only = RunRecovery().value();
  EXPECT_EQ(checkpoint_only.server_state, "libraries at 2");

  WriteJournal({{{3, 0, {{"FUNCTION", "RESTORE", "libraries at 3", "FLUSH"}}},
                 {4, 0, {{"SET", "b", "b4"}, {"FUNCTION", "RESTORE", "libraries at 4", "FLUSH"}}},
                 {5, 0, {{"SET", "c", "c5"}}}}});
  CommandHarness again;
  RecoveryReport replayed = RecoverAgain(again).value();
  EXPECT_EQ(replayed.server_state, "libraries at 4");
  EXPECT_EQ(replayed.last_lsn, 5u);
  EXPECT_EQ(again.shard().db(0).Peek("b")->string_value(), "b4");  // the record's key effect applied too
}

TEST_F(RecoveryTest, AFunctionEffectWithoutItsPayloadStopsRecovery) {
  SeedTier({}, 1);
  WriteJournal({{{2, 0, {{"FUNCTION", "RESTORE"}}}}});
  EXPECT_FALSE(RunRecovery().ok());
}

TEST_F(RecoveryTest, TornTailIsCutAndReported) {
  std::vector<EffectRecord> records;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) records.push_back({lsn, 0, {{"SET", "k" + std::to_string(lsn), "v"}}});
  records.push_back({6, 0, {{"SET", "k6", std::string(100, 'v')}}});
  const std::vector<std::string> paths = WriteJournal({records});
  const testing::RecordPlace torn = testing::RecordPlaces(journal_dir_).back();
  const uint64_t good_size = torn.offset;
  std::filesystem::resize_file(paths[0], torn.offset + (torn.end - torn.offset) / 2);
  ASSERT_GT(FileSize(paths[0]), good_size);

  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_TRUE(report->truncated_tail.has_value());
  EXPECT_EQ(report->truncated_tail->file, paths[0]);
  EXPECT_EQ(report->truncated_tail->offset, good_size);
  EXPECT_EQ(report->truncated_tail->kind, JournalDamageKind::kTorn);
  EXPECT_EQ(FileSize(paths[0]), good_size);  // cut, so the writer appends after it
  EXPECT_EQ(report->records_replayed, 5u);
  EXPECT_EQ(shard().KeyCount(), 5u);
  EXPECT_EQ(Value(0, "k6"), std::nullopt);
  EXPECT_EQ(shard().last_lsn(), 5u);
  EXPECT_TRUE(Logged("torn")) << "the cut was not reported";
  EXPECT_TRUE(Logged(paths[0]));

  // Recovering again finds a clean journal.
  CommandHarness again;
  again.shard().changes().set_enabled(true);
  auto second = RecoverAgain(again);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->truncated_tail.has_value());
  EXPECT_EQ(ImageOf(again.shard()), ImageOf(shard()));
}

// Flips one byte of the record that starts at `offset` (inside its first frame's payload).
void DamageRecordAt(const std::string& path, uint64_t offset) { testing::FlipByteAt(path, offset + kFrameHeaderSize + 1); }

TEST_F(RecoveryTest, DamageInAnEarlierSegmentFailsWithFileAndOffset) {
  std::vector<EffectRecord> first;
  std::vector<EffectRecord> second;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) first.push_back({lsn, 0, {{"SET", "k", std::to_string(lsn)}}});
  for (uint64_t lsn = 6; lsn <= 8; ++lsn) second.push_back({lsn, 0, {{"SET", "k", std::to_string(lsn)}}});
  const std::vector<std::string> paths = WriteJournal({first, second});
  ASSERT_EQ(paths.size(), 2u);
  ASSERT_NE(paths[0], paths[1]);
  const uint64_t offset = testing::RecordPlaces(journal_dir_)[2].offset;  // record 3
  DamageRecordAt(paths[0], offset);
  const uint64_t size = FileSize(paths[0]);

  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kCorruption);
  const std::string& message = report.status().message();
  EXPECT_NE(message.find(paths[0]), std::string::npos) << message;
  EXPECT_NE(message.find("offset " + std::to_string(offset)), std::string::npos) << message;
  EXPECT_EQ(FileSize(paths[0]), size) << "damage before the end must never be cut silently";
}

TEST_F(RecoveryTest, DamageFollowedByGoodRecordsInTheLastSegmentIsFatal) {
  std::vector<EffectRecord> records;
  for (uint64_t lsn = 1; lsn <= 5; ++lsn) records.push_back({lsn, 0, {{"SET", "k", std::to_string(lsn)}}});
  const std::vector<std::string> paths = WriteJournal({records});
  const uint64_t offset = testing::RecordPlaces(journal_dir_)[1].offset;  // record 2
  DamageRecordAt(paths[0], offset);
  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(paths[0]), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("offset " + std::to_string(offset)), std::string::npos)
      << report.status().message();
}

// Effects recorded before their key expired must land on that key, and the key must
// still be expired afterwards. A TTL that passed while the server was down used to make
// replay store nothing (PEXPIREAT, SET ... PXAT, RESTORE ... ABSTTL in the past), so the
// next effect recreated the key, partial and without a TTL.
TEST_F(RecoveryTest, KeysThatExpiredWhileDownAreRebuiltWithTheirPastExpiry) {
  const int64_t past = Shard::WallClockMs() - 60'000;  // a minute before the restart
  const std::string when = std::to_string(past);
  CommandHarness source;
  source.Run({"SADD", "st", "m1"});
  const std::string set_dump = DumpEntry(*source.shard().db(0).Peek("st"));
  WriteJournal({{{1, 0, {{"HSET", "h", "a", "1"}}},
                 {2, 0, {{"PEXPIREAT", "h", when}}},
                 {3, 0, {{"HSET", "h", "b", "2"}}},
                 {4, 0, {{"SET", "s", "v", "PXAT", when}}},
                 {5, 0, {{"APPEND", "s", "x"}}},
                 {6, 0, {{"RESTORE", "st", when, set_dump, "REPLACE", "ABSTTL"}}},
                 {7, 0, {{"SADD", "st", "m2"}}},
                 {8, 0, {{"SET", "bits", std::string(1, '\0'), "PXAT", when}, {"SETBIT", "bits", "7", "1"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  for (const char* key : {"h", "s", "st", "bits"}) {
    const Entry* entry = shard().db(0).Peek(key);
    ASSERT_NE(entry, nullptr) << key;
    EXPECT_EQ(entry->expire_at(), past) << key;
  }
  EXPECT_EQ(Value(0, "s"), "vx");
  EXPECT_EQ(Value(0, "bits"), std::string(1, '\x01'));
  shard().set_expiry_enabled(false);  // look inside without expiring them
  EXPECT_EQ(harness_.Run({"HLEN", "h"}), Int(2));
  EXPECT_EQ(harness_.Run({"SCARD", "st"}), Int(2));
  shard().set_expiry_enabled(true);

  // Replay is over: they expire as they would have, and their expiry is journaled.
  EXPECT_EQ(harness_.Run({"EXISTS", "h", "s", "st", "bits"}), Int(0));
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects, (std::vector<Effect>{{"DEL", "h"}, {"DEL", "s"}, {"DEL", "st"}, {"DEL", "bits"}}));
}

TEST_F(RecoveryTest, AnEffectTheCommandsRefuseStopsRecoveryAtItsRecord) {
  const std::vector<std::string> paths =
      WriteJournal({{{1, 0, {{"SET", "a", "1"}}}, {2, 0, {{"NOSUCHCOMMAND", "a"}}}, {3, 0, {{"SET", "b", "1"}}}}});
  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  const std::string& message = report.status().message();
  EXPECT_NE(message.find("LSN 2"), std::string::npos) << message;
  EXPECT_NE(message.find(paths[0]), std::string::npos) << message;
  EXPECT_NE(message.find("offset " + std::to_string(testing::RecordPlaces(journal_dir_)[1].offset)),
            std::string::npos)
      << message;
}

TEST_F(RecoveryTest, NumberingResumesAboveTheTiersLargestLsn) {
  SeedTier({StoredValue(0, "a", "1", 40), TombstoneToTier(0, "t", 38)}, 30);
  WriteJournal({{{31, 0, {{"SET", "b", "1"}}}, {35, 0, {{"SET", "c", "1"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->last_lsn, 40u);
  EXPECT_EQ(shard().last_lsn(), 40u);
  harness_.Run({"SET", "next", "1"});
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->lsn, 41u);
}

TEST_F(RecoveryTest, NumberingResumesAboveTheJournalsLargestLsn) {
  SeedTier({StoredValue(0, "a", "1", 40)}, 30);
  WriteJournal({{{31, 0, {{"SET", "b", "1"}}}, {50, 0, {{"SET", "c", "1"}}}}});
  ASSERT_TRUE(RunRecovery().ok());
  EXPECT_EQ(shard().last_lsn(), 50u);
}

TEST_F(RecoveryTest, NumberingResumesAboveATombstoneOrTheCheckpoint) {
  SeedTier({StoredValue(0, "a", "1", 40), TombstoneToTier(0, "t", 60)}, 30);
  ASSERT_TRUE(RunRecovery().ok());
  EXPECT_EQ(shard().last_lsn(), 60u);

  CommandHarness other;
  FakeTier checkpointed;
  ASSERT_TRUE(checkpointed.Commit(70).ok());
  RecoveryOptions options;  // no journal
  auto report = Recover(other.shard(), checkpointed, options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(other.shard().last_lsn(), 70u);
}

TEST_F(RecoveryTest, RecordsAtOrBelowTheCheckpointStillCountForNumbering) {
  // A journal segment not yet dropped after its checkpoint: skipped, but its LSNs exist.
  SeedTier({}, 20);
  WriteJournal({{{10, 0, {{"SET", "stale", "1"}}}, {20, 0, {{"SET", "stale", "2"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(applied_.empty());
  EXPECT_EQ(report->records_replayed, 0u);
  EXPECT_EQ(shard().last_lsn(), 20u);
}

// Segments written by earlier releases (format version 1, no header) replay as before; the
// writer then continues in a version 2 segment, and both replay together.
TEST_F(RecoveryTest, Version1JournalReplaysAndTheJournalContinuesInVersion2) {
  std::filesystem::create_directories(journal_dir_);
  std::string v1;
  EncodeV1RecordForTesting({1, 0, {{"SET", "a", "1"}}}, &v1);
  EncodeV1RecordForTesting({2, 3, {{"SET", "b", "2"}}}, &v1);
  std::ofstream(journal_dir_ + "/" + JournalSegmentFileName(1), std::ios::binary) << v1;
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->records_replayed, 2u);
  EXPECT_EQ(Value(0, "a"), "1");
  EXPECT_EQ(Value(3, "b"), "2");

  WriteJournal({{{3, 0, {{"SET", "a", "3"}}}}});
  ASSERT_EQ(ListJournalSegments(journal_dir_)->size(), 2u);
  CommandHarness again;
  auto second = RecoverAgain(again);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->records_replayed, 3u);
  EXPECT_EQ(std::string(again.shard().db(0).Peek("a")->string_value()), "3");
}

TEST_F(RecoveryTest, MissingMiddleSegmentStopsStartUpNamingTheGap) {
  const std::vector<std::string> paths = WriteJournal({{{1, 0, {{"SET", "a", "1"}}}, {2, 0, {{"SET", "a", "2"}}}},
                                                       {{3, 0, {{"SET", "a", "3"}}}, {4, 0, {{"SET", "a", "4"}}}},
                                                       {{5, 0, {{"SET", "a", "5"}}}}});
  ASSERT_EQ(paths.size(), 3u);
  std::filesystem::remove(paths[1]);
  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Code::kCorruption);
  const std::string& message = report.status().message();
  EXPECT_NE(message.find("LSNs 3..4 are missing"), std::string::npos) << message;
  EXPECT_NE(message.find(paths[0]), std::string::npos) << message;
  EXPECT_NE(message.find(paths[2]), std::string::npos) << message;
}

TEST_F(RecoveryTest, JournalThatDoesNotContinueTheCheckpointStopsStartUp) {
  SeedTier({StoredValue(0, "a", "1", 5)}, 5);
  WriteJournal({{{9, 0, {{"SET", "a", "9"}}}}});
  auto report = RunRecovery();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("LSNs 6..8 are missing between the checkpoint (LSN 5)"), std::string::npos)
      << report.status().message();
}

TEST_F(RecoveryTest, SegmentsWhollyBelowTheCheckpointNeedNoContinuity) {
  // Dropped segments below the checkpoint leave the journal starting anywhere at or below
  // the LSN after it.
  SeedTier({}, 40);
  WriteJournal({{{30, 0, {{"SET", "old", "1"}}}}, {{41, 0, {{"SET", "new", "1"}}}}});
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(applied_, (std::vector<std::string>{"0:new=1"}));
}

// A segment is created for a batch starting at its name; if the crash lost every record of
// it, that LSN may still have been acknowledged (everysec) and must not be handed out again.
TEST_F(RecoveryTest, NumberingResumesAboveASegmentNamedAboveTheLastRecord) {
  const std::vector<std::string> paths =
      WriteJournal({{{1, 0, {{"SET", "a", "1"}}}, {2, 0, {{"SET", "a", "2"}}}}, {{3, 0, {{"SET", "a", "3"}}}}});
  ASSERT_EQ(paths.size(), 2u);
  std::filesystem::resize_file(paths[1], kSegmentHeaderSize);  // LSN 3 never reached the disk
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->last_lsn, 3u);
  EXPECT_EQ(shard().last_lsn(), 3u);
  harness_.Run({"SET", "b", "1"});
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->lsn, 4u);

  // The writer continues in that segment; the skipped LSN inside it is no gap.
  auto writer = SegmentWriter::Open({journal_dir_, 1 << 20});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(4, Encoded({*record})).ok());
  EXPECT_EQ((*writer)->current_path(), paths[1]);
  CommandHarness again;
  auto second = RecoverAgain(again);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->records_replayed, 3u);
  EXPECT_EQ(again.shard().last_lsn(), 4u);
}

// Records numbered 4..5 were handed out (acknowledged under everysec, or one day streamed
// to a replica) and lost with the unsynced tail inside the last segment: the records that
// remain say nothing of them, and a restart numbered the next write 4 again. The writer's
// reservation says how far numbering may have gone, and recovery resumes above it.
TEST_F(RecoveryTest, LsnsLostWithAnUnsyncedTailInsideASegmentAreNotHandedOutAgain) {
  WriteJournal({{{1, 0, {{"SET", "a", "1"}}}, {2, 0, {{"SET", "a", "2"}}}, {3, 0, {{"SET", "a", "3"}}}}});
  ASSERT_TRUE(WriteLsnReservation(journal_dir_, 1000).ok());  // the writer had reserved up to 1000
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->reserved_lsn, 1000u);
  EXPECT_EQ(shard().last_lsn(), 1000u);
  harness_.Run({"SET", "b", "1"});
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->lsn, 1001u);

  // The skipped LSNs are a gap inside a segment: the next start accepts the journal.
  ASSERT_TRUE(StartSegmentForSkippedLsns(journal_dir_, *report).ok());
  auto writer = SegmentWriter::Open({journal_dir_});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(record->lsn, Encoded({*record})).ok());
  CommandHarness again;
  auto second = RecoverAgain(again);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->records_replayed, 4u);
  EXPECT_EQ(again.shard().last_lsn(), 1001u);
}

// The same with nothing left to append to: no segment at all (a crash before the first
// write reached the disk) or a full newest one. The writer's next segment, named after its
// first record, would follow the checkpoint with a gap the next start calls a lost segment.
TEST_F(RecoveryTest, LsnsSkippedAboveTheReservationLieInsideASegmentEvenWithoutOne) {
  SeedTier({StoredValue(0, "a", "1", 5)}, 5);
  ASSERT_TRUE(std::filesystem::create_directories(journal_dir_));
  ASSERT_TRUE(WriteLsnReservation(journal_dir_, 1000).ok());
  auto report = RunRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(shard().last_lsn(), 1000u);
  harness_.Run({"SET", "b", "1"});
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  ASSERT_TRUE(StartSegmentForSkippedLsns(journal_dir_, *report).ok());
  SegmentWriterOptions full;  // every Append after the first starts a new segment
  full.dir = journal_dir_;
  full.rotate_size = 1;
  auto writer = SegmentWriter::Open(full);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(record->lsn, Encoded({*record})).ok());
  EXPECT_EQ((*writer)->current_path(), journal_dir_ + "/" + JournalSegmentFileName(6));
  CommandHarness again;
  auto second = RecoverAgain(again);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->records_replayed, 1u);
}

TEST_F(RecoveryTest, ReplayedKeysAreQueuedForTheNextCheckpoint) {
  SeedTier({StoredValue(0, "in_tier", "1", 2)}, 2);
  WriteJournal({{{3, 0, {{"SET", "a", "1"}}}, {4, 0, {{"DEL", "in_tier"}}}}});
  ASSERT_TRUE(RunRecovery().ok());
  CheckpointInto(shard(), tier_);
  EXPECT_EQ(TierImageOf(tier_), ImageOf(shard()));
  EXPECT_EQ(ImageOf(shard()), (KeyspaceImage{{{0, "a"}, {"1", kNoExpire}}}));
  auto metadata = tier_.ReadMetadata();
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->checkpoint_lsn, 4u);
}

}  // namespace
}  // namespace tierkv

namespace tierkv {
namespace {

TEST_F(RecoveryTest, WithTieringLargeValuesStayInTheTierAndComeBackByteIdentical) {
  const int64_t later = Shard::WallClockMs() + 3'600'000;
  const std::string field = Incompressible(30, 'f');
  const TierEntry hash =
      StoredFrom({{"HSET", "h", field, "a", Incompressible(30, 'g'), "b", Incompressible(30, 'h'), "c"}}, "h", 5);
  const TierEntry list = StoredFrom({{"RPUSH", "l", Incompressible(100, 'x'), Incompressible(100, 'y')}}, "l", 6);
  // 1000 bytes the tier stores in a few dozen: read at start-up (its stored size says
  // nothing of its size in DRAM), then left cold like the others.
  const TierEntry compressible = StoredValue(0, "compressible", std::string(1000, 'z'), 2);
  ASSERT_LT(compressible.value.size(), 64u);
  SeedTier({StoredValue(0, "small", "tiny", 3), StoredValue(0, "big", Incompressible(100, 'b'), 4, later), hash, list,
            compressible},
           6);
  auto report = RunColdRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->keys_loaded, 5u);
  EXPECT_EQ(report->keys_left_cold, 4u);
  EXPECT_EQ(cold_reads_, 0);
  EXPECT_EQ(shard().db(0).cold_count(), 4u);
  EXPECT_TRUE(shard().db(0).Peek("compressible")->is_cold());

  const Entry* small = shard().db(0).Peek("small");
  ASSERT_NE(small, nullptr);
  EXPECT_FALSE(small->is_cold());
  // The keys' metadata is all there without the values.
  const Entry* big = shard().db(0).Peek("big");
  ASSERT_NE(big, nullptr);
  ASSERT_TRUE(big->is_cold());
  EXPECT_EQ(big->type, ValueType::kString);
  EXPECT_EQ(big->value_encoding(), Encoding::kRaw);
  EXPECT_EQ(big->expire_at(), later);
  EXPECT_EQ(big->lsn, 4u);
  EXPECT_EQ(shard().db(0).expires_count(), 1u);
  const Entry* cold_hash = shard().db(0).Peek("h");
  ASSERT_NE(cold_hash, nullptr);
  EXPECT_TRUE(cold_hash->is_cold());
  EXPECT_EQ(cold_hash->type, ValueType::kHash);
  EXPECT_EQ(cold_hash->value_encoding(), Encoding::kListpack);
  EXPECT_EQ(shard().db(0).Peek("l")->type, ValueType::kList);
  EXPECT_EQ(shard().changes().dirty_count(), 0u);  // nothing to checkpoint

  // A read brings each value back, as the tier stores it.
  EXPECT_EQ(harness_.Run({"GET", "big"}), testing::Bulk(Incompressible(100, 'b')));
  EXPECT_EQ(harness_.Run({"HLEN", "h"}), Int(3));
  EXPECT_EQ(harness_.Run({"LLEN", "l"}), Int(2));
  EXPECT_EQ(harness_.Run({"STRLEN", "compressible"}), Int(1000));
  EXPECT_EQ(cold_reads_, 4);
  EXPECT_EQ(shard().db(0).cold_count(), 0u);
  EXPECT_EQ(EntryToTier(0, *shard().db(0).Peek("h")).value, hash.value);
  EXPECT_EQ(EntryToTier(0, *shard().db(0).Peek("l")).value, list.value);
  EXPECT_EQ(shard().db(0).Peek("h")->lsn, 5u);
}

TEST_F(RecoveryTest, WithTieringAReplayedEffectOnAColdKeyAppliesToItsValue) {
  const std::string field = Incompressible(30, 'f');
  SeedTier({StoredFrom({{"HSET", "h", field + "1", "a", Incompressible(30, 'g'), "b"}}, "h", 4),
            StoredValue(0, "s", Incompressible(100, 's'), 4)},
           5);
  WriteJournal({{{6, 0, {{"HSET", "h", "new", "n"}}}, {7, 0, {{"PEXPIREAT", "s", "99999999999999"}}}}});
  auto report = RunColdRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->effects_applied, 2u);
  const Entry* hash = shard().db(0).Peek("h");
  ASSERT_NE(hash, nullptr);
  EXPECT_FALSE(hash->is_cold());
  EXPECT_EQ(hash->lsn, 6u);
  EXPECT_EQ(harness_.Run({"HGET", "h", field + "1"}), testing::Bulk("a"));
  EXPECT_EQ(harness_.Run({"HGET", "h", "new"}), testing::Bulk("n"));
  // An expiry changes metadata only: the value stays in the tier.
  const Entry* string = shard().db(0).Peek("s");
  ASSERT_NE(string, nullptr);
  EXPECT_TRUE(string->is_cold());
  EXPECT_EQ(string->expire_at(), 99999999999999);
  EXPECT_EQ(cold_reads_, 1);
}

TEST_F(RecoveryTest, WithTieringAColdValueTheTierCannotGiveBackStopsRecovery) {
  SeedTier({StoredFrom({{"HSET", "h", Incompressible(30, 'f'), "a", Incompressible(30, 'g'), "b"}}, "h", 4)}, 5);
  WriteJournal({{{6, 0, {{"HSET", "h", "new", "n"}}}}});
  auto report = RunColdRecovery(/*readable=*/false);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("key 'h'"), std::string::npos) << report.status().message();
  EXPECT_NE(report.status().message().find("LSN 6"), std::string::npos) << report.status().message();
}

}  // namespace
}  // namespace tierkv

namespace tierkv {
namespace {

TEST_F(RecoveryTest, WithTieringAColdKeyThatExpiredWhileDownStaysExpiredWithoutARead) {
  const int64_t past = Shard::WallClockMs() - 60'000;  // a minute before the restart
  SeedTier({StoredValue(0, "gone", Incompressible(100, 'g'), 4, past)}, 5);
  auto report = RunColdRecovery();
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_TRUE(shard().db(0).Peek("gone")->is_cold());
  EXPECT_EQ(harness_.Run({"GET", "gone"}), "$-1\r\n");
  EXPECT_EQ(harness_.Run({"EXISTS", "gone"}), Int(0));
  EXPECT_EQ(cold_reads_, 0);  // its metadata alone said it had expired
  auto record = shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects, (std::vector<Effect>{{"DEL", "gone"}}));
}

}  // namespace
}  // namespace tierkv
