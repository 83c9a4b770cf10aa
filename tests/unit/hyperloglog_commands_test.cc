// HyperLogLog commands through the dispatcher: replies, errors, PFDEBUG, journal effects
// and their replay.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/types/hyperloglog/hll_buffer.h"
#include "engine/types/hyperloglog/hll_estimate.h"
#include "engine/types/hyperloglog/hll_format.h"
#include "engine/types/hyperloglog/hll_hash.h"
#include "engine/types/hyperloglog/hll_selftest.h"
#include "engine/types/hyperloglog/hll_sparse.h"
#include "harness/command_harness.h"
#include "harness/keyspace_image.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

using namespace tierkv::hll;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

const std::string kSparseHeader = Bytes({'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
// A damaged sparse value: one XZERO whose second byte is missing, read as zero, so it
// covers registers 0..8192 only. "foo" (register 7348) fits, "a" (12711) does not.
// Its cached cardinality is marked stale, or PFCOUNT would answer from the cache.
const std::string kCutHll = kSparseHeader.substr(0, 15) + Bytes({0x80, 0x60});

// --- Commands -------------------------------------------------------------------------

const Entry* Peek(CommandHarness& h, std::string_view key) { return h.shard().db(0).Peek(key); }

TEST(HllCommands, AddCountMergeReplies) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"PFADD", "h"}), Int(1));  // creates an empty HLL
  EXPECT_EQ(h.Run({"PFADD", "h"}), Int(0));
  EXPECT_EQ(h.Run({"PFADD", "h", "a", "b", "c"}), Int(1));
  EXPECT_EQ(h.Run({"PFADD", "h", "a", "b"}), Int(0));
  EXPECT_EQ(h.Run({"PFCOUNT", "h"}), Int(3));
  EXPECT_EQ(h.Run({"PFCOUNT", "missing"}), Int(0));
  EXPECT_EQ(h.Run({"PFADD", "g", "c", "d"}), Int(1));
  EXPECT_EQ(h.Run({"PFCOUNT", "h", "g", "missing"}), Int(4));
  EXPECT_EQ(h.Run({"PFMERGE", "m", "h", "g"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"PFCOUNT", "m"}), Int(4));
  EXPECT_EQ(h.Run({"PFMERGE", "empty"}), "+OK\r\n");
  std::string empty = NewSparse();
  InvalidateCache(reinterpret_cast<uint8_t*>(empty.data()));  // PFMERGE always marks it stale
  EXPECT_EQ(h.Run({"GET", "empty"}), Bulk(empty));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "h"}), Bulk("raw"));
}

TEST(HllCommands, WrongTypesAndDamagedValues) {
  CommandHarness h;
  h.Run({"SET", "s", "not an hll"});
  h.Run({"SET", "n", "12345"});
  const std::string not_hll = Err("WRONGTYPE Key is not a valid HyperLogLog string value.");
  EXPECT_EQ(h.Run({"PFADD", "s", "x"}), not_hll);
  EXPECT_EQ(h.Run({"PFADD", "n", "x"}), not_hll);
  EXPECT_EQ(h.Run({"PFCOUNT", "s"}), not_hll);
  EXPECT_EQ(h.Run({"PFCOUNT", "missing", "s"}), not_hll);
  EXPECT_EQ(h.Run({"PFMERGE", "d", "s"}), not_hll);
  EXPECT_EQ(Peek(h, "d"), nullptr);  // nothing written when an input is refused
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "s"}), not_hll);

  h.Run({"SET", "cut", kCutHll});
  const std::string corrupt = Err("INVALIDOBJ Corrupted HLL object detected");
  EXPECT_EQ(h.Run({"PFCOUNT", "cut"}), corrupt);
  EXPECT_EQ(h.Run({"PFCOUNT", "cut", "cut"}), corrupt);
  EXPECT_EQ(h.Run({"PFMERGE", "d", "cut"}), corrupt);
  EXPECT_EQ(h.Run({"PFADD", "cut", "a"}), corrupt);
  EXPECT_EQ(h.Run({"PFDEBUG", "TODENSE", "cut"}), corrupt);
  EXPECT_EQ(h.Run({"PFDEBUG", "GETREG", "cut"}), corrupt);
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "cut"}), Bulk("Z:8193"));
}

TEST(HllCommands, PfDebug) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "nokey"}), Err("ERR The specified key does not exist"));
  h.Run({"PFADD", "h", "foo"});
  EXPECT_EQ(h.Run({"PFDEBUG", "NOSUCH", "h"}), Err("ERR Unknown PFDEBUG subcommand 'NOSUCH'"));
  EXPECT_EQ(h.Run({"PFDEBUG", "encoding", "h"}), "+sparse\r\n");
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "h"}), Bulk("Z:7348 v:5,1 Z:9035"));
  EXPECT_EQ(h.Run({"PFDEBUG", "TODENSE", "h"}), Int(1));
  EXPECT_EQ(h.Run({"PFDEBUG", "TODENSE", "h"}), Int(0));
  EXPECT_EQ(h.Run({"PFDEBUG", "ENCODING", "h"}), "+dense\r\n");
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "h"}), Err("ERR HLL encoding is not sparse"));
  const std::string registers = h.Run({"PFDEBUG", "GETREG", "h"});
  EXPECT_EQ(registers.substr(0, 8), "*16384\r\n");
  EXPECT_NE(registers.find(":5\r\n"), std::string::npos);
  EXPECT_EQ(h.Run({"PFDEBUG", "GETREG"}), Err("ERR wrong number of arguments for 'pfdebug' command"));
  EXPECT_EQ(h.Run({"PFSELFTEST", "x"}), Err("ERR wrong number of arguments for 'pfselftest' command"));
}

TEST(HllCommands, DenseValueFitsItsEntry) {
  CommandHarness h;
  std::vector<std::string> args{"PFADD", "h"};
  for (int i = 0; i < 5000; ++i) args.push_back("d" + std::to_string(i));
  h.Run(args);
  const Entry* entry = Peek(h, "h");
  ASSERT_EQ(entry->value_len, kDenseSize);
  // Allocated at its exact size, not doubled as an APPENDed string would be.
  EXPECT_LT(entry->value_capacity(), kDenseSize + kDenseSize / 4);
}

// The cache is part of the value, so writing it is a change (as in Redis, which counts it
// in `dirty` and propagates it): journaled as the 8 header bytes, it replays to the same
// value, and a checkpoint carries it into the tier, so the value leaves DRAM with it.
TEST(HllCommands, CountJournalsTheCacheItWrites) {
  CommandHarness h;
  CommandHarness mirror;
  h.shard().changes().set_enabled(true);
  h.Run({"PFADD", "h", "a", "b"});
  ASSERT_TRUE(ApplyRecord(mirror.shard(), *h.shard().CommitChanges()).ok());
  const uint64_t dirty = h.shard().stats().dirty;
  EXPECT_FALSE(CacheValid(reinterpret_cast<const uint8_t*>(Peek(h, "h")->value_data())));
  EXPECT_EQ(h.Run({"PFCOUNT", "h"}), Int(2));
  EXPECT_TRUE(CacheValid(reinterpret_cast<const uint8_t*>(Peek(h, "h")->value_data())));
  EXPECT_EQ(CachedCardinality(reinterpret_cast<const uint8_t*>(Peek(h, "h")->value_data())), 2u);
  EXPECT_EQ(h.shard().stats().dirty, dirty + 1);
  std::optional<EffectRecord> record = h.shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->effects.size(), 1u);
  EXPECT_EQ(record->effects[0][0], "SETRANGE");
  EXPECT_EQ(record->effects[0][2], "8");
  EXPECT_EQ(record->effects[0][3].size(), 8u);
  ASSERT_TRUE(ApplyRecord(mirror.shard(), *record).ok());
  EXPECT_EQ(ImageOf(mirror.shard()), ImageOf(h.shard()));
  // A valid cache is read, not written: nothing more to journal.
  EXPECT_EQ(h.Run({"PFCOUNT", "h"}), Int(2));
  EXPECT_FALSE(h.shard().changes().has_pending());
  EXPECT_EQ(h.shard().stats().dirty, dirty + 1);
}

TEST(HllCommands, PfAddJournalsItselfAndReplaysToTheSameBytes) {
  CommandHarness h;
  CommandHarness mirror;
  h.shard().changes().set_enabled(true);
  auto write = [&](std::vector<std::string> args) {
    h.Run(args);
    std::optional<EffectRecord> record = h.shard().CommitChanges();
    if (record) {
      const Status applied = ApplyRecord(mirror.shard(), *record);
      EXPECT_TRUE(applied.ok()) << applied.message();
    }
    return record;
  };
  auto record = write({"PFADD", "h", "x", "y"});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects, (std::vector<Effect>{{"PFADD", "h", "x", "y"}}));
  EXPECT_FALSE(write({"PFADD", "h", "x"}).has_value());  // nothing changed, nothing journaled
  // Enough elements to go dense inside one command.
  std::vector<std::string> many{"PFADD", "h"};
  for (int i = 0; i < 3000; ++i) many.push_back("m" + std::to_string(i));
  record = write(many);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects[0][0], "PFADD");
  EXPECT_EQ(record->effects[0].size(), many.size());
  // PFMERGE and the PFDEBUG conversion journal the resulting value.
  write({"PFADD", "small", "s"});
  record = write({"PFMERGE", "merged", "h", "small"});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects[0][0], "SET");
  record = write({"PFDEBUG", "TODENSE", "small"});
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects[0][0], "SET");
  EXPECT_EQ(ImageOf(mirror.shard()), ImageOf(h.shard()));
}

TEST(HllCommands, PfAddStoppedByDamageJournalsTheElementsBeforeIt) {
  CommandHarness h;
  h.shard().changes().set_enabled(true);
  h.Run({"SET", "cut", kCutHll});
  (void)h.shard().CommitChanges();
  EXPECT_EQ(h.Run({"PFADD", "cut", "foo", "a", "hello"}), Err("INVALIDOBJ Corrupted HLL object detected"));
  std::optional<EffectRecord> record = h.shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->effects, (std::vector<Effect>{{"PFADD", "cut", "foo"}}));
  // "foo" split the cut XZERO; the split's last byte fell past the value's end again
  // (as in Redis), so the final XZERO still reads a zero low byte: 0x300 + 1 registers.
  EXPECT_EQ(h.Run({"PFDEBUG", "DECODE", "cut"}), Bulk("Z:7348 v:5,1 Z:769"));
}

}  // namespace
}  // namespace tierkv::testing
