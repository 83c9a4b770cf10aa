// Hashes through the commands: conversions at both encoding thresholds, SCAN and
// HRANDFIELD on both encodings, and the effects hash writes journal (replayed into a
// second keyspace, which must end up with the same digests).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/digest.h"
#include "engine/keyspace_ops.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/rdb/rdb_object.h"
#include "engine/types/hash/field_table.h"
#include "engine/types/hash/hash_ops.h"
#include "engine/types/hash/hash_value.h"
#include "harness/command_harness.h"
#include "harness/keyspace_image.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

using Model = std::map<std::string, std::string>;

Model ContentsOf(const HashValue& hash) {
  Model contents;
  hash.ForEach([&](std::string_view field, std::string_view value) {
    EXPECT_TRUE(contents.emplace(field, value).second) << "field twice: " << field;
  });
  return contents;
}

std::string FieldName(int i) { return "field:" + std::to_string(i); }


// --- Encodings and conversions through the commands ---------------------------------

class HashCommands : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string> args) { return h_.Run(args); }
  Encoding EncodingOf(std::string_view key) { return h_.shard().db(0).Peek(key)->value_encoding(); }
  const HashValue& HashAt(std::string_view key) { return ValueOf<HashValue>(h_.shard().db(0).Peek(key)); }
  EncodingLimits& limits() { return h_.shard().options().limits; }

  CommandHarness h_;
};

TEST_F(HashCommands, EntryLimitConvertsPastTheLimitAndNeverBack) {
  limits().hash_max_listpack_entries = 4;
  for (int i = 0; i < 4; ++i) Run({"HSET", "h", FieldName(i), "v"});
  EXPECT_EQ(EncodingOf("h"), Encoding::kListpack);
  EXPECT_EQ(Run({"HSET", "h", FieldName(4), "v"}), Int(1));
  EXPECT_EQ(EncodingOf("h"), Encoding::kHashtable);
  EXPECT_EQ(Run({"HDEL", "h", FieldName(0), FieldName(1), FieldName(2)}), Int(3));
  EXPECT_EQ(EncodingOf("h"), Encoding::kHashtable);
  EXPECT_EQ(ContentsOf(HashAt("h")), (Model{{FieldName(3), "v"}, {FieldName(4), "v"}}));
}

TEST_F(HashCommands, ValueLimitConvertsOnALongFieldOrValue) {
  limits().hash_max_listpack_value = 8;
  Run({"HSET", "v", "f", "12345678"});
  EXPECT_EQ(EncodingOf("v"), Encoding::kListpack);
  Run({"HSET", "v", "g", "123456789"});
  EXPECT_EQ(EncodingOf("v"), Encoding::kHashtable);
  Run({"HSET", "f", "12345678", "x"});
  EXPECT_EQ(EncodingOf("f"), Encoding::kListpack);
  Run({"HSETNX", "f", "123456789", "x"});
  EXPECT_EQ(EncodingOf("f"), Encoding::kHashtable);
  // HINCRBY and HINCRBYFLOAT check the field as Redis's hashTypeSet does.
  Run({"HSET", "i", "a", "1"});
  Run({"HINCRBY", "i", "a-long-field", "1"});
  EXPECT_EQ(EncodingOf("i"), Encoding::kHashtable);
  Run({"HSET", "d", "a", "1"});
  EXPECT_EQ(Run({"HINCRBYFLOAT", "d", "a", "0.000001"}), Bulk("1.000001"));
  EXPECT_EQ(EncodingOf("d"), Encoding::kListpack);
  Run({"HINCRBYFLOAT", "d", "a", "0.0000001"});  // "1.0000011": nine bytes
  EXPECT_EQ(EncodingOf("d"), Encoding::kHashtable);
}

TEST_F(HashCommands, MorePairsThanTheEntryLimitConvertEvenWhenTheyRepeat) {
  // Redis's hashTypeTryConversion pre-sizes a hashtable from the argument count alone.
  limits().hash_max_listpack_entries = 3;
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "a", "2", "a", "3", "a", "4"}), Int(1));
  EXPECT_EQ(EncodingOf("h"), Encoding::kHashtable);
  EXPECT_EQ(ContentsOf(HashAt("h")), (Model{{"a", "4"}}));
}

TEST_F(HashCommands, HashtableHashBehavesLikeAListpackOne) {
  // The same script against both encodings gives the same replies.
  const std::vector<std::vector<std::string>> script = {
      {"HSET", "h", "a", "1", "b", "2", "c", "x"}, {"HSETNX", "h", "a", "9"}, {"HSETNX", "h", "d", "4"},
      {"HGET", "h", "a"},  {"HMGET", "h", "a", "zz", "d"}, {"HINCRBY", "h", "b", "40"},
      {"HINCRBY", "h", "c", "1"}, {"HINCRBYFLOAT", "h", "b", "0.5"}, {"HSTRLEN", "h", "b"},
      {"HEXISTS", "h", "c"}, {"HDEL", "h", "c", "zz"}, {"HLEN", "h"},
  };
  std::vector<std::string> listpack_replies;
  std::vector<std::string> table_replies;
  for (const auto& command : script) listpack_replies.push_back(Run(command));
  EXPECT_EQ(EncodingOf("h"), Encoding::kListpack);
  Run({"DEL", "h"});
  limits().hash_max_listpack_entries = 0;
  for (const auto& command : script) table_replies.push_back(Run(command));
  EXPECT_EQ(EncodingOf("h"), Encoding::kHashtable);
  EXPECT_EQ(listpack_replies, table_replies);
  EXPECT_EQ(listpack_replies[5], Int(42));
  EXPECT_EQ(listpack_replies[6], Err("ERR hash value is not an integer"));
  EXPECT_EQ(listpack_replies[7], Bulk("42.5"));
}

TEST_F(HashCommands, LastFieldDeletedDeletesTheKey) {
  Run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"HDEL", "h", "a", "b", "a"}), Int(2));
  EXPECT_EQ(h_.shard().db(0).Peek("h"), nullptr);
  EXPECT_EQ(Run({"HDEL", "h", "a"}), Int(0));
}

TEST_F(HashCommands, ScanOfAHashtableIsPagedAndOfAListpackWhole) {
  Run({"HSET", "small", "a", "1", "b", "2"});
  EXPECT_EQ(Run({"HSCAN", "small", "12345", "COUNT", "1"}),
            "*2\r\n$1\r\n0\r\n*4\r\n" + Bulk("a") + Bulk("1") + Bulk("b") + Bulk("2"));
  limits().hash_max_listpack_entries = 8;
  std::vector<std::string> args = {"HSET", "big"};
  for (int i = 0; i < 1000; ++i) {
    args.push_back(FieldName(i));
    args.push_back(std::to_string(i));
  }
  Run(args);
  std::set<std::string> fields;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    auto page = OpHScan(h_.shard(), 0, "big", cursor, HashScanOptions{std::nullopt, 10});
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->pairs.size(), 60u);  // a few home slots per call, not the table
    for (const HashPair& pair : page->pairs) {
      EXPECT_EQ(pair.field, FieldName(std::stoi(pair.value)));
      fields.insert(pair.field);
    }
    cursor = page->cursor;
    ++calls;
  } while (cursor != 0);
  EXPECT_EQ(fields.size(), 1000u);
  EXPECT_GT(calls, 20);
  auto matched = OpHScan(h_.shard(), 0, "big", 0, HashScanOptions{std::string("field:99*"), 100000});
  ASSERT_TRUE(matched.ok());
  EXPECT_EQ(matched->cursor, 0u);
  EXPECT_EQ(matched->pairs.size(), 11u);  // field:99 and field:990..999
}

TEST_F(HashCommands, RandomFieldCountsForBothEncodings) {
  for (size_t entries : {size_t{512}, size_t{0}}) {
    limits().hash_max_listpack_entries = entries;
    Run({"DEL", "h"});
    std::vector<std::string> args = {"HSET", "h"};
    for (int i = 0; i < 30; ++i) {
      args.push_back(FieldName(i));
      args.push_back(std::to_string(i));
    }
    Run(args);
    for (int64_t count : {1, 5, 12, 29, 30, 31, 100}) {
      auto picks = OpHRandFieldCount(h_.shard(), 0, "h", count, true);
      ASSERT_TRUE(picks.ok());
      ASSERT_EQ(picks->size(), std::min<size_t>(static_cast<size_t>(count), 30));
      std::set<std::string> distinct;
      for (const HashPair& pick : *picks) {
        EXPECT_EQ(pick.field, FieldName(std::stoi(pick.value)));
        distinct.insert(pick.field);
      }
      EXPECT_EQ(distinct.size(), picks->size()) << "count " << count << " repeated a field";
    }
    auto repeated = OpHRandFieldCount(h_.shard(), 0, "h", -300, false);
    ASSERT_TRUE(repeated.ok());
    ASSERT_EQ(repeated->size(), 300u);
    std::set<std::string> distinct;
    for (const HashPair& pick : *repeated) {
      EXPECT_TRUE(pick.value.empty());
      distinct.insert(pick.field);
    }
    EXPECT_GT(distinct.size(), 20u);  // 300 draws of 30 fields miss almost none
  }
}

// --- Journal effects: replayed into a second keyspace, the digests must agree ---------

class HashEffects : public ::testing::Test {
 protected:
  HashEffects() { primary_.shard().changes().set_enabled(true); }

  std::optional<EffectRecord> Write(std::vector<std::string> args) {
    const std::string reply = primary_.Run(args);
    EXPECT_FALSE(!reply.empty() && reply[0] == '-') << args[0] << " replied " << reply;
    std::optional<EffectRecord> record = primary_.shard().CommitChanges();
    if (record) {
      Status applied = ApplyRecord(replica_.shard(), *record);
      EXPECT_TRUE(applied.ok()) << applied.message();
    }
    return record;
  }

  void ExpectSameHash(std::string_view key) {
    const Entry* original = primary_.shard().db(0).Peek(key);
    const Entry* replayed = replica_.shard().db(0).Peek(key);
    ASSERT_EQ(original == nullptr, replayed == nullptr) << key;
    if (original != nullptr) {
      EXPECT_EQ(ValueDigest(*original), ValueDigest(*replayed)) << key;
    }
  }

  CommandHarness primary_;
  CommandHarness replica_;
};

std::vector<Effect> EffectsOf(const std::optional<EffectRecord>& record) {
  return record ? record->effects : std::vector<Effect>{};
}

TEST_F(HashEffects, EveryWriteJournalsADeterministicCommand) {
  EXPECT_EQ(EffectsOf(Write({"HSET", "h", "a", "1", "b", "2"})), (std::vector<Effect>{{"HSET", "h", "a", "1", "b", "2"}}));
  EXPECT_EQ(EffectsOf(Write({"HMSET", "h", "c", "3"})), (std::vector<Effect>{{"HSET", "h", "c", "3"}}));
  EXPECT_EQ(EffectsOf(Write({"HSETNX", "h", "a", "9"})), std::vector<Effect>{});
  EXPECT_EQ(EffectsOf(Write({"HSETNX", "h", "d", "4"})), (std::vector<Effect>{{"HSET", "h", "d", "4"}}));
  EXPECT_EQ(EffectsOf(Write({"HINCRBY", "h", "a", "41"})), (std::vector<Effect>{{"HSET", "h", "a", "42"}}));
  EXPECT_EQ(EffectsOf(Write({"HINCRBYFLOAT", "h", "b", "0.1"})), (std::vector<Effect>{{"HSET", "h", "b", "2.1"}}));
  EXPECT_EQ(EffectsOf(Write({"HDEL", "h", "c", "nope", "d"})), (std::vector<Effect>{{"HDEL", "h", "c", "d"}}));
  EXPECT_EQ(EffectsOf(Write({"HDEL", "h", "nope"})), std::vector<Effect>{});
  ExpectSameHash("h");
  EXPECT_EQ(EffectsOf(Write({"HDEL", "h", "a", "b"})), (std::vector<Effect>{{"HDEL", "h", "a", "b"}}));
  ExpectSameHash("h");
  EXPECT_EQ(replica_.shard().db(0).Peek("h"), nullptr);
}

TEST_F(HashEffects, ReplayRebuildsLargeHashesAndFloatResultsExactly) {
  for (int i = 0; i < 700; ++i) Write({"HSET", "big", FieldName(i), std::to_string(i * 7)});
  for (int i = 0; i < 700; i += 3) Write({"HDEL", "big", FieldName(i)});
  for (int i = 0; i < 50; ++i) Write({"HINCRBYFLOAT", "big", "float", "0.3333333333333333"});
  Write({"HINCRBY", "big", FieldName(1), "-1000"});
  ExpectSameHash("big");
  EXPECT_EQ(replica_.shard().db(0).Peek("big")->value_encoding(), Encoding::kHashtable);
}

}  // namespace
}  // namespace tierkv::testing
