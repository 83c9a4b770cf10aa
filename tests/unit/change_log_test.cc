// Tests for engine/change_log.h: the effect record each kind of write command commits,
// LSN stamping, and the dirty list a checkpoint round takes (contents, order, dedupe
// through Entry::kDirty, which must follow an entry through reallocation and must not
// follow it to another key).
//
// Commands run through the real dispatcher (CommandHarness); the test commits after each
// top-level command, as the server does. Every record is also replayed onto a mirror
// keyspace that started identical: after each test the mirror must equal the keyspace,
// which proves the effects are self-contained resulting states, whatever the command.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/change_log.h"
#include "engine/rdb/dump_payload.h"
#include "engine/shard.h"
#include "harness/command_harness.h"
#include "harness/keyspace_image.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::ImageOf;

EffectRecord Record(uint64_t lsn, uint32_t db, std::vector<Effect> effects) {
  return EffectRecord{lsn, db, std::move(effects)};
}

// "K 0 key" for a key item, "D 0 key" for one that owes the tier a tombstone, "E 3" for
// an emptied db: comparable and readable.
std::vector<std::string> Describe(const std::vector<DirtyItem>& items) {
  std::vector<std::string> described;
  for (const DirtyItem& item : items) {
    switch (item.kind) {
      case DirtyItem::Kind::kKey:
        described.push_back((item.owes_tombstone ? "D " : "K ") + std::to_string(item.db) + " " + item.key);
        break;
      case DirtyItem::Kind::kEraseDb:
        described.push_back("E " + std::to_string(item.db));
        break;
      case DirtyItem::Kind::kSwapDb:
        described.push_back("S " + std::to_string(item.db) + " " + std::to_string(item.other_db));
        break;
    }
  }
  return described;
}

class ChangeLogTest : public ::testing::Test {
 protected:
  ChangeLogTest() {
    shard().changes().set_enabled(true);
  }

  void TearDown() override {
    // Replaying every record from the same start gives the same keyspace.
    EXPECT_EQ(ImageOf(mirror_.shard()), ImageOf(shard()));
  }

  Shard& shard() { return harness_.shard(); }

  // Runs a command that must succeed, then commits what it changed (one record).
  std::optional<EffectRecord> Write(std::vector<std::string> args) {
    const std::string reply = harness_.Run(args);
    EXPECT_TRUE(reply.empty() || reply[0] != '-') << args[0] << " replied " << reply;
    std::optional<EffectRecord> record = shard().CommitChanges();
    if (record.has_value()) Replay(*record);
    return record;
  }

  // A command that must not change anything (MULTI, a queued command, SELECT, a read).
  void Run(std::vector<std::string> args) {
    harness_.Run(args);
    EXPECT_FALSE(shard().changes().has_pending()) << args[0] << " noted a change";
  }

  std::vector<std::string> TakeDirty() { return Describe(shard().changes().TakeDirty()); }

  Entry* Find(int db, const std::string& key) { return shard().db(db).Peek(key); }
  bool IsDirty(int db, const std::string& key) {
    Entry* entry = Find(db, key);
    return entry != nullptr && (entry->flags & Entry::kDirty) != 0;
  }
  bool IsInTier(int db, const std::string& key) {
    Entry* entry = Find(db, key);
    return entry != nullptr && (entry->flags & Entry::kInTier) != 0;
  }
  // What a round's serialization of the key does to its entry (Checkpointer::AddEntry).
  void WrittenByARound(int db, const std::string& key) {
    Entry* entry = Find(db, key);
    ASSERT_NE(entry, nullptr) << key;
    entry->flags &= static_cast<uint8_t>(~Entry::kDirty);
    entry->flags |= Entry::kInTier;
  }

  CommandHarness harness_;

 private:
  void Replay(const EffectRecord& record) {
    Status applied = testing::ApplyRecord(mirror_.shard(), record);
    EXPECT_TRUE(applied.ok()) << applied.message();
  }

  CommandHarness mirror_;  // changes not tracked: it only receives the records
};

// --- Effects per command ------------------------------------------------------------

TEST_F(ChangeLogTest, SetRecordsTheValueAndAppendOnlyTheSuffix) {
  EXPECT_EQ(Write({"SET", "k", "v"}), Record(1, 0, {{"SET", "k", "v"}}));
  EXPECT_EQ(Write({"APPEND", "k", "w"}), Record(2, 0, {{"APPEND", "k", "w"}}));
}

TEST_F(ChangeLogTest, RelativeExpiryBecomesAbsolutePxat) {
  const int64_t before = Shard::WallClockMs();
  auto record = Write({"SET", "k", "v", "PX", "100000"});
  const int64_t after = Shard::WallClockMs();
  ASSERT_TRUE(record.has_value());
  const int64_t expire_at = Find(0, "k")->expire_at();
  EXPECT_GE(expire_at, before + 100000);
  EXPECT_LE(expire_at, after + 100000);
  EXPECT_EQ(record, Record(1, 0, {{"SET", "k", "v", "PXAT", std::to_string(expire_at)}}));

  // EXPIRE names the absolute time, and never the value.
  auto expired = Write({"EXPIRE", "k", "500"});
  const int64_t new_expire_at = Find(0, "k")->expire_at();
  EXPECT_EQ(expired, Record(2, 0, {{"PEXPIREAT", "k", std::to_string(new_expire_at)}}));
  EXPECT_EQ(Write({"PERSIST", "k"}), Record(3, 0, {{"PERSIST", "k"}}));
}

TEST_F(ChangeLogTest, IncrByFloatRecordsTheResult) {
  Write({"SET", "n", "10.5"});
  EXPECT_EQ(Write({"INCRBYFLOAT", "n", "0.1"}), Record(2, 0, {{"SET", "n", "10.6"}}));
  EXPECT_EQ(Write({"INCR", "counter"}), Record(3, 0, {{"SET", "counter", "1"}}));
}

// The bytes an effect costs in the journal, roughly: its arguments.
size_t EffectBytes(const std::optional<EffectRecord>& record) {
  size_t bytes = 0;
  if (record.has_value()) {
    for (const Effect& effect : record->effects) {
      for (const std::string& arg : effect) bytes += arg.size();
    }
  }
  return bytes;
}

// A change to a large string once journaled the whole string (an APPEND of 10 bytes to
// 64 MB wrote 64 MB); its effect now costs what the change costs.
TEST_F(ChangeLogTest, EditingALargeStringJournalsOnlyTheEdit) {
  Write({"SETRANGE", "big", std::to_string((1 << 20) - 1), "!"});
  auto appended = Write({"APPEND", "big", "0123456789"});
  EXPECT_EQ(appended, Record(2, 0, {{"APPEND", "big", "0123456789"}}));
  EXPECT_EQ(Write({"SETRANGE", "big", "5", "abc"}), Record(3, 0, {{"SETRANGE", "big", "5", "abc"}}));
  Write({"SETBIT", "bitmap", std::to_string(8 * (1 << 20) - 1), "1"});
  auto bit = Write({"SETBIT", "bitmap", "12345", "1"});
  EXPECT_EQ(bit, Record(5, 0, {{"SETBIT", "bitmap", "12345", "1"}}));
  EXPECT_EQ(Write({"SETBIT", "bitmap", "12345", "1"}), std::nullopt);  // no change, no record
  for (const auto& record : {appended, bit}) EXPECT_LT(EffectBytes(record), 100u);
}

TEST_F(ChangeLogTest, BitfieldJournalsTheResolvedValueOfEveryWrite) {
  Write({"SET", "f", "ab"});
  // SAT clamps 97 + 300 to 255; FAIL refuses 98 + 300 but still covers byte 3, as a
  // SET of its current value (0) does; SET i8 answers the old value but writes -3.
  auto record = Write({"BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "OVERFLOW", "FAIL",
                       "INCRBY", "u8", "#3", "300", "INCRBY", "u8", "8", "300", "SET", "i8", "16", "-3", "GET",
                       "u8", "0"});
  EXPECT_EQ(record, Record(2, 0, {{"BITFIELD", "f", "SET", "u8", "0", "255", "SET", "u8", "24", "0", "SET", "u8",
                                   "8", "98", "SET", "i8", "16", "-3"}}));
  EXPECT_EQ(Find(0, "f")->string_value(), std::string("\xff" "b" "\xfd" "\0", 4));
  // WRAP: the wrapped result, which needs no OVERFLOW mode to replay.
  EXPECT_EQ(Write({"BITFIELD", "f", "INCRBY", "i8", "16", "-126"}),
            Record(3, 0, {{"BITFIELD", "f", "SET", "i8", "16", "127"}}));
}

TEST_F(ChangeLogTest, CountersJournalTheirResultWithTheKeptExpiry) {
  Write({"SET", "n", "41", "PX", "100000"});
  const std::string expire_at = std::to_string(Find(0, "n")->expire_at());
  EXPECT_EQ(Write({"INCR", "n"}), Record(2, 0, {{"SET", "n", "42", "PXAT", expire_at}}));
  EXPECT_EQ(Write({"DECRBY", "n", "2"}), Record(3, 0, {{"SET", "n", "40", "PXAT", expire_at}}));
  EXPECT_EQ(Write({"INCRBYFLOAT", "n", "0.5"}), Record(4, 0, {{"SET", "n", "40.5", "PXAT", expire_at}}));
  // KEEPTTL is resolved to the time it kept.
  EXPECT_EQ(Write({"SET", "n", "x", "KEEPTTL"}), Record(5, 0, {{"SET", "n", "x", "PXAT", expire_at}}));
}

// EXPIRE on a collection once journaled the whole collection as a DUMP payload. TTL
// changes never need the value (after tiering it may be only in the tier).
TEST_F(ChangeLogTest, TtlChangesOnAnyTypeJournalNoValue) {
  std::vector<std::string> hset{"HSET", "h"};
  for (int i = 0; i < 1000; ++i) {
    hset.push_back("field" + std::to_string(i));
    hset.push_back(std::string(100, 'v'));
  }
  Write(hset);
  Write({"SET", "s", std::string(10000, 's')});
  auto expired = Write({"EXPIRE", "h", "1000"});
  EXPECT_EQ(expired, Record(3, 0, {{"PEXPIREAT", "h", std::to_string(Find(0, "h")->expire_at())}}));
  EXPECT_LT(EffectBytes(expired), 100u);
  EXPECT_EQ(Write({"PERSIST", "h"}), Record(4, 0, {{"PERSIST", "h"}}));
  EXPECT_EQ(Write({"PEXPIREAT", "h", "4102444800000"}), Record(5, 0, {{"PEXPIREAT", "h", "4102444800000"}}));
  EXPECT_EQ(Write({"GETEX", "s", "PXAT", "4102444800000"}), Record(6, 0, {{"PEXPIREAT", "s", "4102444800000"}}));
  EXPECT_EQ(Write({"GETEX", "s", "PERSIST"}), Record(7, 0, {{"PERSIST", "s"}}));
  // A time already past deletes, as Redis does: journaled as the deletion it is.
  EXPECT_EQ(Write({"EXPIREAT", "h", "1"}), Record(8, 0, {{"DEL", "h"}}));
  EXPECT_EQ(Write({"GETEX", "s", "PXAT", "1"}), Record(9, 0, {{"DEL", "s"}}));
}

TEST_F(ChangeLogTest, StringEffectsInATransactionRestartAtTheirLastWholeValue) {
  Write({"SET", "k", std::string(1000, 'x')});
  Run({"MULTI"});
  Run({"APPEND", "k", "a"});
  Run({"SET", "k", "v"});  // whatever k was, it is now "v": what came before is moot
  Run({"APPEND", "k", "w"});
  Run({"SETRANGE", "k", "0", "V"});
  Run({"PEXPIREAT", "k", "4102444800000"});
  EXPECT_EQ(Write({"EXEC"}), Record(2, 0, {{"SET", "k", "v"}, {"APPEND", "k", "w"}, {"SETRANGE", "k", "0", "V"},
                                           {"PEXPIREAT", "k", "4102444800000"}}));
  // A change without an effect of its own (COPY reads another key) falls back to the
  // resulting state.
  Run({"MULTI"});
  Run({"COPY", "k", "c"});
  Run({"APPEND", "c", "!"});
  EXPECT_EQ(Write({"EXEC"}), Record(3, 0, {{"SET", "c", "Vw!", "PXAT", "4102444800000"}}));
}

// --- Collections: own effects, and the resulting state where a change brought none -------

TEST_F(ChangeLogTest, ACollectionWriteJournalsItsOwnEffect) {
  EXPECT_EQ(Write({"HSET", "h", "f", "v", "g", "w"}), Record(1, 0, {{"HSET", "h", "f", "v", "g", "w"}}));
  EXPECT_EQ(Write({"HINCRBY", "h", "n", "5"}), Record(2, 0, {{"HSET", "h", "n", "5"}}));
}

TEST_F(ChangeLogTest, OwnEffectsOfOneKeyInATransactionKeepTheirOrder) {
  Run({"MULTI"});
  Run({"HSET", "h", "a", "1"});
  Run({"SET", "s", "x"});
  Run({"HDEL", "h", "a"});
  Run({"HSET", "h", "b", "2"});
  EXPECT_EQ(Write({"EXEC"}),
            Record(1, 0, {{"SET", "s", "x"}, {"HSET", "h", "a", "1"}, {"HDEL", "h", "a"}, {"HSET", "h", "b", "2"}}));
}

TEST_F(ChangeLogTest, AChangeWithoutAnEffectJournalsTheCollectionsResultingState) {
  Write({"HSET", "src", "f", "v"});
  Write({"PEXPIRE", "src", "100000"});
  Run({"MULTI"});
  Run({"COPY", "src", "h", "REPLACE"});  // reads another key: no effect of its own
  Run({"HSET", "h", "g", "w"});
  auto record = Write({"EXEC"});
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->effects.size(), 1u);
  const Effect& effect = record->effects[0];
  const Entry* entry = Find(0, "h");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(effect, (Effect{"RESTORE", "h", std::to_string(entry->expire_at()), DumpEntry(*entry), "REPLACE",
                            "ABSTTL"}));
}

TEST_F(ChangeLogTest, OwnEffectsBeforeAFlushAreDropped) {
  Write({"HSET", "h", "old", "1"});
  Run({"MULTI"});
  Run({"HSET", "h", "a", "1"});
  Run({"FLUSHDB"});
  Run({"HSET", "h", "b", "2"});
  EXPECT_EQ(Write({"EXEC"}), Record(2, 0, {{"FLUSHDB"}, {"HSET", "h", "b", "2"}}));
}

TEST_F(ChangeLogTest, RemovingTheLastFieldJournalsTheRemovalWhichDeletesOnReplay) {
  Write({"HSET", "h", "f", "v"});
  EXPECT_EQ(Write({"HDEL", "h", "f"}), Record(2, 0, {{"HDEL", "h", "f"}}));
  EXPECT_EQ(Find(0, "h"), nullptr);
  Write({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(Write({"DEL", "l"}), Record(4, 0, {{"DEL", "l"}}));
}

TEST_F(ChangeLogTest, DelRecordsDel) {
  Write({"MSET", "a", "1", "b", "2"});
  EXPECT_EQ(Write({"DEL", "a", "missing"}), Record(2, 0, {{"DEL", "a"}}));
  // Nothing changed: nothing to journal, and the LSN is not consumed.
  EXPECT_EQ(Write({"DEL", "missing"}), std::nullopt);
  EXPECT_EQ(Write({"GET", "b"}), std::nullopt);
  EXPECT_EQ(shard().last_lsn(), 2u);
}

TEST_F(ChangeLogTest, MsetRecordsEveryKey) {
  EXPECT_EQ(Write({"MSET", "a", "1", "b", "2", "a", "3"}), Record(1, 0, {{"SET", "b", "2"}, {"SET", "a", "3"}}));
}

TEST_F(ChangeLogTest, RenameRecordsDelOfOldAndSetOfNew) {
  Write({"SET", "a", "v", "PX", "100000"});
  Write({"SET", "b", "old"});
  auto record = Write({"RENAME", "a", "b"});
  const int64_t expire_at = Find(0, "b")->expire_at();
  ASSERT_NE(expire_at, kNoExpire);
  EXPECT_EQ(record, Record(3, 0, {{"DEL", "a"}, {"SET", "b", "v", "PXAT", std::to_string(expire_at)}}));
}

TEST_F(ChangeLogTest, MoveSelectsBetweenTheTwoDbs) {
  Run({"SELECT", "2"});
  Write({"SET", "k", "v"});
  EXPECT_EQ(Write({"MOVE", "k", "5"}), Record(2, 2, {{"DEL", "k"}, {"SELECT", "5"}, {"SET", "k", "v"}}));
  EXPECT_EQ(Find(2, "k"), nullptr);
  ASSERT_NE(Find(5, "k"), nullptr);
}

TEST_F(ChangeLogTest, FlushDbAndFlushAll) {
  Run({"SELECT", "3"});
  Write({"SET", "k", "v"});
  EXPECT_EQ(Write({"FLUSHDB"}), Record(2, 3, {{"FLUSHDB"}}));
  Write({"SET", "k", "v"});
  EXPECT_EQ(Write({"FLUSHALL"}), Record(4, 0, {{"FLUSHALL"}}));
}

// SWAPDB used to journal both dbs whole (FLUSHDB and a SET per key): one effect now.
TEST_F(ChangeLogTest, SwapDbIsOneEffectWhateverTheDbsHold) {
  Write({"SET", "a", "1"});
  Run({"SELECT", "1"});
  for (int i = 0; i < 100; ++i) Write({"SET", "b" + std::to_string(i), "2"});
  Run({"SELECT", "0"});
  EXPECT_EQ(Write({"SWAPDB", "0", "1"}), Record(102, 0, {{"SWAPDB", "0", "1"}}));
}

// A key changed before the swap in the same transaction has moved by the end of it: its
// state is journaled after the SWAPDB, under its new db (replay swaps first).
TEST_F(ChangeLogTest, KeysChangedBeforeASwapInOneTransactionAreJournaledAfterIt) {
  Write({"SET", "b", "old"});
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"HSET", "h", "f", "v"});
  Run({"SWAPDB", "0", "1"});
  Run({"SET", "a", "2"});
  const std::optional<EffectRecord> record = Write({"EXEC"});
  ASSERT_NE(Find(1, "h"), nullptr);
  EXPECT_EQ(record, Record(2, 1, {{"SWAPDB", "0", "1"},
                                           {"SET", "a", "1"},
                                           {"RESTORE", "h", "0", DumpEntry(*Find(1, "h")), "REPLACE", "ABSTTL"},
                                           {"SELECT", "0"},
                                           {"SET", "a", "2"}}));
  EXPECT_EQ(Find(1, "b")->lsn, 1u);  // moved, not rewritten
}

TEST_F(ChangeLogTest, TransactionIsOneRecordWithEachKeyOnceAtItsFinalState) {
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"INCR", "a"});
  Run({"SET", "b", "x"});
  Run({"DEL", "b"});
  Run({"SET", "c", "1"});
  Run({"SET", "a", "5"});
  // Each key at its last mention, with its state at the end of the transaction.
  EXPECT_EQ(Write({"EXEC"}), Record(1, 0, {{"DEL", "b"}, {"SET", "c", "1"}, {"SET", "a", "5"}}));
  EXPECT_EQ(shard().last_lsn(), 1u);
  EXPECT_EQ(Find(0, "a")->lsn, 1u);
  EXPECT_EQ(Find(0, "c")->lsn, 1u);
}

TEST_F(ChangeLogTest, TransactionAcrossDbsSelectsForEachSwitch) {
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"SELECT", "4"});
  Run({"SET", "b", "2"});
  Run({"SELECT", "0"});
  Run({"SET", "c", "3"});
  EXPECT_EQ(Write({"EXEC"}),
            Record(1, 0, {{"SET", "a", "1"}, {"SELECT", "4"}, {"SET", "b", "2"}, {"SELECT", "0"}, {"SET", "c", "3"}}));
}

TEST_F(ChangeLogTest, KeysChangedAfterFlushDbInOneRecordComeAfterIt) {
  Write({"MSET", "a", "0", "b", "0", "d", "0"});
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  Run({"FLUSHDB"});
  Run({"SET", "a", "2"});
  Run({"SET", "c", "2"});
  // b's last mention is before the flush (its final state, gone, is harmless there); a
  // and c are recreated after it, so their SETs must follow the FLUSHDB or replay would
  // wipe them.
  EXPECT_EQ(Write({"EXEC"}), Record(2, 0, {{"DEL", "b"}, {"FLUSHDB"}, {"SET", "a", "2"}, {"SET", "c", "2"}}));
}

TEST_F(ChangeLogTest, ExpiredKeyFoundByAReadIsJournaledAsDel) {
  Write({"SET", "k", "v", "PX", "100000"});
  // Make it expired as of now, then touch it with a read: lazy expiry deletes it, and
  // the deletion is a change like any other.
  Find(0, "k")->expire_block()->expire_at_ms = Shard::WallClockMs() - 1;
  EXPECT_EQ(Write({"GET", "k"}), Record(2, 0, {{"DEL", "k"}}));
  EXPECT_EQ(Find(0, "k"), nullptr);
}

TEST_F(ChangeLogTest, NothingIsTrackedWhileDisabled) {
  shard().changes().set_enabled(false);
  harness_.Run({"SET", "k", "v"});
  harness_.Run({"FLUSHALL"});
  EXPECT_FALSE(shard().changes().has_pending());
  EXPECT_EQ(shard().CommitChanges(), std::nullopt);
  EXPECT_EQ(shard().changes().dirty_count(), 0u);
  EXPECT_EQ(shard().last_lsn(), 0u);
}

// --- LSN stamping -------------------------------------------------------------------

TEST_F(ChangeLogTest, CommitStampsTouchedEntriesWithTheRecordLsn) {
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  EXPECT_EQ(Find(0, "a")->lsn, 1u);
  EXPECT_EQ(Find(0, "b")->lsn, 2u);
  auto record = Write({"MSET", "a", "2", "c", "2"});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->lsn, 3u);
  EXPECT_EQ(Find(0, "a")->lsn, 3u);
  EXPECT_EQ(Find(0, "c")->lsn, 3u);
  EXPECT_EQ(Find(0, "b")->lsn, 2u);  // untouched
  EXPECT_EQ(shard().last_lsn(), 3u);
  // The LSN moves with a renamed value (the new key's state is this record's).
  Write({"RENAME", "b", "d"});
  EXPECT_EQ(Find(0, "d")->lsn, 4u);
}

TEST_F(ChangeLogTest, ReplayedCommitStampsWithTheGivenLsnAndBuildsNoRecord) {
  harness_.Run({"SET", "a", "1"});
  shard().CommitReplayed(41);
  EXPECT_FALSE(shard().changes().has_pending());
  EXPECT_EQ(Find(0, "a")->lsn, 41u);
  EXPECT_EQ(shard().last_lsn(), 41u);
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 a"}));
  // Numbering goes on above it.
  shard().changes().TakeDirty();
  Write({"SET", "a", "1"});  // the mirror never saw the replayed SET
  EXPECT_EQ(Find(0, "a")->lsn, 42u);
}

// --- The dirty list -----------------------------------------------------------------

TEST_F(ChangeLogTest, DirtyListHoldsKeysAndEmptiedDbsInChangeOrder) {
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  Run({"SELECT", "2"});
  Write({"SET", "c", "1"});
  Run({"SELECT", "0"});
  WrittenByARound(0, "a");
  Write({"DEL", "a"});  // a is gone from a tier that holds it: queued again for its tombstone
  Run({"SELECT", "2"});
  Write({"FLUSHDB"});
  EXPECT_EQ(shard().changes().dirty_count(), 5u);
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 a", "K 0 b", "K 2 c", "D 0 a", "E 2"}));
  EXPECT_EQ(shard().changes().dirty_count(), 0u);
  EXPECT_TRUE(TakeDirty().empty());
}

TEST_F(ChangeLogTest, FlushAllQueuesAnEraseForEveryDb) {
  Write({"FLUSHALL"});
  std::vector<std::string> expected;
  for (int db = 0; db < shard().db_count(); ++db) expected.push_back("E " + std::to_string(db));
  EXPECT_EQ(TakeDirty(), expected);
}

TEST_F(ChangeLogTest, SwapDbQueuesOneSwapItemAndKeepsTheMarks) {
  Write({"SET", "a", "1"});
  Run({"SELECT", "1"});
  Write({"SET", "b", "2"});
  Run({"SELECT", "0"});
  shard().changes().TakeDirty();  // a and b stay marked: written by no round yet
  Write({"SWAPDB", "0", "1"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"S 0 1"}));
  EXPECT_TRUE(IsDirty(0, "b"));
  EXPECT_TRUE(IsDirty(1, "a"));
}

TEST(PutSwapsFirstTest, SwapsComeFirstAndItemsNameTheDbsAfterThem) {
  using Kind = DirtyItem::Kind;
  std::vector<DirtyItem> items = {{Kind::kKey, 0, "x"},      {Kind::kSwapDb, 0, {}, 1}, {Kind::kKey, 0, "y"},
                                  {Kind::kSwapDb, 1, {}, 2}, {Kind::kEraseDb, 2, {}},   {Kind::kSwapDb, 3, {}, 3}};
  const std::vector<int> moved = PutSwapsFirst(items);
  // db 0's contents went to 1 then 2; db 1's to 0; db 2's to 1.
  EXPECT_EQ(moved, (std::vector<int>{2, 0, 1, 3}));
  EXPECT_EQ(Describe(items), (std::vector<std::string>{"S 0 1", "S 1 2", "K 2 x", "K 0 y", "E 2"}));
  std::vector<DirtyItem> unswapped = {{Kind::kKey, 4, "k"}};
  EXPECT_TRUE(PutSwapsFirst(unswapped).empty());
  EXPECT_EQ(Describe(unswapped), (std::vector<std::string>{"K 4 k"}));
}

// A list with many swaps keeps at most one per db once compacted.
TEST_F(ChangeLogTest, ManySwapsWithoutRoundsCompactToAFewItems) {
  Write({"SET", "k", "v"});
  for (int i = 0; i < 3001; ++i) Write({"SWAPDB", "0", std::to_string(1 + i % 3)});
  const std::vector<std::string> dirty = TakeDirty();
  EXPECT_LE(dirty.size(), 1024u);
}

TEST_F(ChangeLogTest, AKeyChangedManyTimesBetweenRoundsHasOneDirtyItem) {
  for (int i = 0; i < 1000; ++i) Write({"INCR", "x"});
  EXPECT_EQ(shard().changes().dirty_count(), 1u);
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 x"}));
  EXPECT_EQ(Find(0, "x")->lsn, 1000u);
  EXPECT_TRUE(IsDirty(0, "x"));
}

// Deletes and flushes are queued without dedupe; with no round to take the list, it
// must still stay within the distinct keys it names (compaction at 1024 items).
TEST_F(ChangeLogTest, DeletesWithoutRoundsDoNotGrowTheDirtyListWithoutBound) {
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "k" + std::to_string(i % 10);
    Write({"SET", key, "v"});
    WrittenByARound(0, key);
    Write({"DEL", key});
  }
  EXPECT_LE(shard().changes().dirty_count(), 1024u);
  std::set<std::string> keys;
  for (const std::string& item : TakeDirty()) keys.insert(item.substr(2));
  EXPECT_EQ(keys.size(), 10u);
}

// A cache evicting keys no round has written yet: nothing is owed to the tier, so no
// tombstone is queued, and compaction drops the items the keys left behind.
TEST_F(ChangeLogTest, KeysNoRoundWroteOweNoTombstoneAndLeaveNoItems) {
  Write({"SET", "k", "v"});
  Write({"DEL", "k"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 k"})) << "the SET's item only, which a round skips";
  for (int i = 0; i < 5000; ++i) {
    Write({"SET", "evicted:" + std::to_string(i), "v"});
    Write({"DEL", "evicted:" + std::to_string(i)});
  }
  EXPECT_LT(shard().changes().dirty_count(), 1024u);
  for (const std::string& item : TakeDirty()) EXPECT_EQ(item[0], 'K') << item;
}

// A DEL then a SET of the same key in one transaction: the tier still holds the state
// before the DEL, so the new entry's later removal must tombstone it.
TEST_F(ChangeLogTest, AKeyRecreatedInTheCommandThatRemovedItKeepsItsTierCopy) {
  Write({"SET", "k", "old"});
  WrittenByARound(0, "k");
  Run({"MULTI"});
  Run({"DEL", "k"});
  Run({"SET", "k", "new"});
  Write({"EXEC"});
  EXPECT_TRUE(IsInTier(0, "k"));
  (void)TakeDirty();
  Write({"DEL", "k"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"D 0 k"}));
}

TEST_F(ChangeLogTest, RenameAndMoveOfAKeyInTheTierOweItsOldNameATombstone) {
  Write({"SET", "a", "1"});
  Write({"SET", "b", "2"});
  WrittenByARound(0, "a");
  WrittenByARound(0, "b");
  (void)TakeDirty();
  Write({"RENAME", "a", "renamed"});
  Write({"MOVE", "b", "3"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"D 0 a", "K 0 renamed", "D 0 b", "K 3 b"}));
  EXPECT_FALSE(IsInTier(0, "renamed")) << "the tier never held that name";
  EXPECT_FALSE(IsInTier(3, "b"));
}

TEST_F(ChangeLogTest, ATierCopyFollowsItsKeyThroughReallocationAndOverwrite) {
  Write({"SET", "s", "ab"});
  WrittenByARound(0, "s");
  Write({"APPEND", "s", std::string(4096, 'x')});  // the entry grows: reallocated
  Write({"EXPIRE", "s", "100"});                    // and again, with an expiry block
  Write({"SET", "s", "other"});                     // a new entry under the same key
  EXPECT_TRUE(IsInTier(0, "s"));
}

// The tombstone a deleted key owes survives the key's recreation in a later command,
// whichever mention of it compaction keeps.
TEST_F(ChangeLogTest, CompactionKeepsATombstoneAnEarlierMentionOwed) {
  Write({"SET", "k", "old"});
  WrittenByARound(0, "k");
  (void)TakeDirty();
  Write({"DEL", "k"});      // owes a tombstone
  Write({"SET", "k", "new"});  // a new entry, which the tier never held
  Write({"DEL", "k"});      // owes nothing by itself
  for (int i = 0; i < 2000; ++i) {
    Write({"SET", "filler", std::to_string(i)});
    Write({"DEL", "filler"});
  }
  std::vector<std::string> items = TakeDirty();
  EXPECT_NE(std::find(items.begin(), items.end(), "D 0 k"), items.end());
}

// Past max_key_items present keys are no longer listed: a tombstone their item owed
// moves to the entry, so that its removal still queues one.
TEST_F(ChangeLogTest, StopListingKeysMovesAnOwedTombstoneToTheEntry) {
  Write({"SET", "k", "old"});
  WrittenByARound(0, "k");
  (void)TakeDirty();
  Write({"DEL", "k"});
  Write({"SET", "k", "new"});
  EXPECT_FALSE(IsInTier(0, "k"));
  shard().changes().set_max_key_items(1);
  for (int i = 0; i < 20; ++i) Write({"SET", "more:" + std::to_string(i), "v"});
  ASSERT_TRUE(shard().changes().scan_needed());
  EXPECT_TRUE(IsInTier(0, "k"));
}

TEST_F(ChangeLogTest, CompactionKeepsOnlyWhatFollowsTheLastEraseOfADb) {
  for (int i = 0; i < 600; ++i) {
    Write({"SET", "before" + std::to_string(i % 5), "v"});
    WrittenByARound(0, "before" + std::to_string(i % 5));
    Write({"DEL", "before" + std::to_string(i % 5)});
  }
  Write({"FLUSHDB"});
  Write({"SET", "after", "v"});
  for (int i = 0; i < 600; ++i) {
    Write({"SET", "tmp", "v"});
    WrittenByARound(0, "tmp");
    Write({"DEL", "tmp"});
  }
  // The items before the erase are moot (it wipes them): the erase comes first, then the
  // keys queued after it.
  EXPECT_LE(shard().changes().dirty_count(), 1024u);
  std::vector<std::string> items = TakeDirty();
  ASSERT_GE(items.size(), 3u);
  EXPECT_EQ(items[0], "E 0");
  EXPECT_EQ(items[1], "K 0 after");
  const std::set<std::string> tmp_items(items.begin() + 2, items.end());
  EXPECT_TRUE(tmp_items.contains("D 0 tmp"));
  const std::set<std::string> allowed{"K 0 tmp", "D 0 tmp"};
  EXPECT_TRUE(std::includes(allowed.begin(), allowed.end(), tmp_items.begin(), tmp_items.end()));
}

TEST_F(ChangeLogTest, DirtyMarkSurvivesGrowingAString) {
  Write({"SET", "s", "ab"});
  const Entry* before = Find(0, "s");
  Write({"SETRANGE", "s", "500", "x"});
  // The value outgrew its allocation: a new entry, which kept the mark, so no second
  // item was queued.
  ASSERT_NE(Find(0, "s"), before) << "SETRANGE did not reallocate; the test proves nothing";
  EXPECT_TRUE(IsDirty(0, "s"));
  EXPECT_EQ(shard().changes().dirty_count(), 1u);
  Write({"APPEND", "s", std::string(4000, 'y')});
  EXPECT_EQ(shard().changes().dirty_count(), 1u);
}

TEST_F(ChangeLogTest, DirtyMarkSurvivesAddingAndRemovingATtl) {
  Write({"SET", "k", "v"});
  const Entry* before = Find(0, "k");
  Write({"EXPIRE", "k", "1000"});
  const Entry* with_ttl = Find(0, "k");
  ASSERT_NE(with_ttl, before) << "EXPIRE did not reallocate; the test proves nothing";
  EXPECT_TRUE(IsDirty(0, "k"));
  Write({"PERSIST", "k"});
  ASSERT_NE(Find(0, "k"), with_ttl);
  EXPECT_TRUE(IsDirty(0, "k"));
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 k"}));
}

TEST_F(ChangeLogTest, AKeyWrittenByARoundIsQueuedAgainWhenItChanges) {
  Write({"SET", "s", "ab"});
  shard().changes().TakeDirty();
  Find(0, "s")->flags &= static_cast<uint8_t>(~Entry::kDirty);  // what a round does when it writes it
  Write({"SETRANGE", "s", "500", "x"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 s"}));
  EXPECT_TRUE(IsDirty(0, "s"));
}

TEST_F(ChangeLogTest, RenameQueuesTheNewKeyEvenWhenTheOldOneWasDirty) {
  Write({"SET", "a", "v"});
  ASSERT_TRUE(IsDirty(0, "a"));
  Write({"RENAME", "a", "b"});
  EXPECT_TRUE(IsDirty(0, "b"));
  // a was never in the tier: its old name owes it no tombstone.
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 a", "K 0 b"}));
}

TEST_F(ChangeLogTest, RenameOntoAQueuedKeyNeedsNoSecondItem) {
  Write({"SET", "a", "v"});
  Write({"SET", "b", "w"});
  shard().changes().TakeDirty();
  WrittenByARound(0, "a");  // b was not
  Write({"RENAME", "a", "b"});
  // b still has its item from before (in the list the test took), and keeps its mark:
  // the round writes whatever state b has by then.
  EXPECT_TRUE(IsDirty(0, "b"));
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"D 0 a"}));
}

// The copy took the source entry's dirty mark along: its commit saw the mark and queued
// nothing, so no round wrote the copy, and a restart after the journal segments holding
// it were dropped lost it.
TEST_F(ChangeLogTest, CopyUnderTheSameNameToAnotherDbIsQueued) {
  Write({"SET", "k", "v"});
  ASSERT_TRUE(IsDirty(0, "k"));
  Write({"COPY", "k", "k", "DB", "1"});
  EXPECT_TRUE(IsDirty(1, "k"));
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 k", "K 1 k"}));
}

TEST_F(ChangeLogTest, MoveQueuesTheKeyInItsNewDb) {
  Write({"SET", "k", "v"});
  ASSERT_TRUE(IsDirty(0, "k"));
  Write({"MOVE", "k", "1"});
  // The same entry changed tables; its mark belonged to (0, k), so (1, k) is queued.
  EXPECT_TRUE(IsDirty(1, "k"));
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 k", "K 1 k"}));
}

TEST_F(ChangeLogTest, GiveBackPutsItemsInFrontAndMarksThemDirtyAgain) {
  Write({"SET", "a", "1"});
  Write({"SET", "b", "1"});
  std::vector<DirtyItem> round = shard().changes().TakeDirty();
  // A round serialized both (clearing their marks), then failed to write them.
  for (const char* key : {"a", "b"}) Find(0, key)->flags &= static_cast<uint8_t>(~Entry::kDirty);
  Write({"SET", "c", "1"});
  Write({"DEL", "z"});  // nothing: z never existed
  shard().changes().GiveBackDirty(shard(), std::move(round));
  EXPECT_TRUE(IsDirty(0, "a"));
  EXPECT_TRUE(IsDirty(0, "b"));
  // Marked again, so changing them queues nothing more.
  Write({"SET", "a", "2"});
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 a", "K 0 b", "K 0 c"}));
}

TEST_F(ChangeLogTest, GiveBackOfAKeyDeletedMeanwhileKeepsItsItem) {
  Write({"SET", "a", "1"});
  std::vector<DirtyItem> round = shard().changes().TakeDirty();
  WrittenByARound(0, "a");
  Write({"DEL", "a"});
  Write({"FLUSHDB"});
  shard().changes().GiveBackDirty(shard(), std::move(round));
  EXPECT_EQ(TakeDirty(), (std::vector<std::string>{"K 0 a", "D 0 a", "E 0"}));
}

}  // namespace
}  // namespace tierkv
