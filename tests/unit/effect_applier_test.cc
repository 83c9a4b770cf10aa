// The engine's effect applier (engine/effects/effect_applier.h): every effect kind the
// engine writes, produced by running the real commands on a journaling primary and
// applied to a bare engine Shard, must leave that Shard equal to the primary; malformed
// and unknown effects are Corruption and change nothing; expiry stays off while an effect
// applies.
#include "engine/effects/effect_applier.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/keyspace_ops.h"
#include "engine/rdb/dump_payload.h"
#include "engine/types/hash/hash_value.h"
#include "engine/types/list/list_value.h"
#include "engine/types/stream/stream.h"
#include "engine/types/stream/stream_ops.h"
#include "engine/types/string/string_ops.h"
#include "harness/command_harness.h"
#include "harness/keyspace_image.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::ImageOf;
using testing::KeyspaceImage;

// Stream state beyond what DEBUG DIGEST-VALUE covers (groups, PELs with delivery times and
// counts), with consumers' seen and active times cleared: replay sets those to its own
// clock. Clears them in place.
std::string StreamState(Shard& shard, int db, std::string_view key) {
  Entry* entry = shard.db(db).Peek(key);
  if (entry == nullptr || entry->type != ValueType::kStream) return "";
  Stream& stream = ValueOf<Stream>(entry);
  if (stream.groups() != nullptr) {
    for (auto& [name, group] : *stream.groups()) {
      for (auto& [consumer_name, consumer] : group.consumers) {
        consumer.seen_time = 0;
        consumer.active_time = -1;
      }
    }
  }
  return DumpEntry(*entry);
}

class EffectApplierTest : public ::testing::Test {
 protected:
  EffectApplierTest() { primary_.shard().changes().set_enabled(true); }

  // Runs a command on the primary, applies the record it journaled to the replica, and
  // checks that both keyspaces agree.
  void Run(std::vector<std::string> args) {
    const std::string reply = primary_.Run(args);
    ASSERT_FALSE(!reply.empty() && reply[0] == '-') << args[0] << " replied " << reply;
    ApplyWhatRunJournaled(args);
  }

  // The same for a command that may be refused (a random one): a refusal journals nothing.
  void RunAny(std::vector<std::string> args) {
    (void)primary_.Run(args);
    ApplyWhatRunJournaled(args);
  }

  void ApplyWhatRunJournaled(const std::vector<std::string>& args) {
    std::optional<EffectRecord> record = primary_.shard().CommitChanges();
    if (!record) return;
    for (const Effect& effect : record->effects) verbs_seen_.insert(effect[0]);
    const Status applied = testing::ApplyRecord(replica_, *record);
    ASSERT_TRUE(applied.ok()) << applied.message() << " applying " << ::testing::PrintToString(*record);
    ExpectSameKeyspace(args);
  }

  void ExpectSameKeyspace(const std::vector<std::string>& after) {
    const KeyspaceImage image = ImageOf(primary_.shard());
    ASSERT_EQ(image, ImageOf(replica_)) << "after " << ::testing::PrintToString(after);
    for (const auto& [db_key, state] : image) {
      const auto& [db, key] = db_key;
      EXPECT_EQ(StreamState(primary_.shard(), db, key), StreamState(replica_, db, key)) << key;
    }
  }

  CommandHarness primary_;
  Shard replica_{EngineOptions{}};  // the engine alone: no server, no command table
  std::set<std::string> verbs_seen_;
};

TEST_F(EffectApplierTest, StringAndKeyEffectsRebuildThePrimary) {
  Run({"SET", "s", "v"});
  Run({"SET", "t", "v", "PX", "100000"});
  Run({"INCRBY", "n", "41"});
  Run({"APPEND", "s", "+tail"});
  Run({"SETRANGE", "s", "2", "zz"});
  Run({"SETRANGE", "gap", "5", "x"});
  Run({"SETBIT", "b", "17", "1"});
  Run({"BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "i5", "8", "3", "OVERFLOW", "FAIL", "INCRBY", "u2", "20",
       "9"});
  Run({"PFADD", "hll", "a", "b", "c"});
  Run({"PFADD", "empty-hll"});
  Run({"EXPIRE", "s", "1000"});
  Run({"GETEX", "t", "PERSIST"});
  Run({"DEL", "n"});
  Run({"GETDEL", "gap"});
  EXPECT_EQ(verbs_seen_, (std::set<std::string>{"SET", "APPEND", "SETRANGE", "SETBIT", "BITFIELD", "PFADD",
                                                 "PEXPIREAT", "PERSIST", "DEL"}));
}

TEST_F(EffectApplierTest, HashSetAndSortedSetEffectsRebuildThePrimary) {
  Run({"HSET", "h", "f", "v", "g", "w"});
  Run({"HINCRBY", "h", "c", "5"});
  Run({"HINCRBYFLOAT", "h", "x", "1.5"});
  Run({"HDEL", "h", "f"});
  Run({"HDEL", "h", "g", "c", "x"});  // empties the hash: the key goes
  Run({"SADD", "st", "a", "b", "c", "1", "2"});
  Run({"SREM", "st", "a"});
  Run({"SPOP", "st"});
  Run({"SMOVE", "st", "st2", "b"});
  Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"});
  Run({"ZINCRBY", "z", "2.5", "a"});
  Run({"ZADD", "z", "GT", "CH", "inf", "b"});
  Run({"ZREM", "z", "c"});
  Run({"ZPOPMIN", "z"});
  Run({"ZREMRANGEBYRANK", "z", "-1", "-1"});
  Run({"ZREMRANGEBYSCORE", "z", "(4", "+inf"});
  Run({"ZADD", "z", "0", "p", "0", "q", "0", "r"});
  Run({"ZREMRANGEBYLEX", "z", "[p", "(r"});
  Run({"GEOADD", "geo", "13.361389", "38.115556", "Palermo"});
  EXPECT_EQ(verbs_seen_, (std::set<std::string>{"HSET", "HDEL", "SADD", "SREM", "ZADD", "ZREM", "ZREMRANGEBYRANK",
                                                 "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"}));
}

TEST_F(EffectApplierTest, ListEffectsRebuildThePrimary) {
  Run({"RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"});
  Run({"LPUSH", "l", "z"});
  Run({"LPOP", "l", "2"});
  Run({"RPOP", "l"});
  Run({"LMOVE", "l", "l", "LEFT", "RIGHT"});
  Run({"LMOVE", "l", "other", "RIGHT", "LEFT"});
  Run({"LSET", "l", "-1", "X"});
  Run({"LINSERT", "l", "BEFORE", "X", "W"});
  Run({"RPUSH", "l", "W", "W"});
  Run({"LREM", "l", "-2", "W"});
  Run({"LTRIM", "l", "1", "-2"});
  Run({"LTRIM", "other", "5", "10"});  // empties the list: DEL
  EXPECT_EQ(verbs_seen_, (std::set<std::string>{"RPUSH", "LPUSH", "LPOP", "RPOP", "LMOVE", "LSET", "LINSERT", "LREM",
                                                 "LTRIM", "DEL"}));
}

TEST_F(EffectApplierTest, StreamAndConsumerGroupEffectsRebuildThePrimary) {
  for (int i = 1; i <= 6; ++i) Run({"XADD", "s", std::to_string(i) + "-1", "f", std::to_string(i)});
  Run({"XADD", "s", "MAXLEN", "5", "*", "f", "7"});
  Run({"XTRIM", "s", "MAXLEN", "4"});
  Run({"XDEL", "s", "4-1"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XGROUP", "CREATE", "other", "g2", "$", "MKSTREAM"});
  Run({"XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">"});
  Run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"});
  Run({"XACK", "s", "g", "6-1"});
  Run({"XCLAIM", "s", "g", "c2", "0", "5-1"});
  Run({"XAUTOCLAIM", "s", "g", "c3", "0", "0"});
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "c4"});
  Run({"XGROUP", "DELCONSUMER", "s", "g", "c4"});
  Run({"XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"});
  Run({"XSETID", "s", "99999999999999-0", "ENTRIESADDED", "50", "MAXDELETEDID", "4-1"});
  Run({"XGROUP", "DESTROY", "other", "g2"});
  EXPECT_EQ(verbs_seen_, (std::set<std::string>{"XADD", "XTRIM", "XDEL", "XACK", "XCLAIM", "XSETID",
                                                 std::string(kXGroupEffectCommand)}));
}

TEST_F(EffectApplierTest, ResultingStatesOfCollectionsRebuildThePrimary) {
  Run({"SADD", "a", "1", "2", "x"});
  Run({"SADD", "b", "2", "y"});
  Run({"SUNIONSTORE", "union", "a", "b"});
  Run({"HSET", "h", "f", "v"});
  Run({"PEXPIRE", "h", "3600000"});
  Run({"RENAME", "h", "renamed"});
  Run({"COPY", "renamed", "copied"});
  Run({"RPUSH", "l", "3", "1", "2"});
  Run({"SORT", "l", "STORE", "sorted"});
  Run({"MOVE", "sorted", "4"});
  Run({"ZADD", "z", "1", "m"});
  Run({"ZUNIONSTORE", "z", "1", "z"});
  Run({"XADD", "s", "1-1", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"COPY", "s", "s-copy"});
  Run({"SWAPDB", "0", "4"});
  EXPECT_TRUE(verbs_seen_.contains("RESTORE"));
}

TEST_F(EffectApplierTest, DatabaseEffectsSwitchAndEmptyDatabases) {
  Run({"SET", "a", "1"});
  Run({"MULTI"});
  Run({"SET", "b", "2"});
  Run({"SELECT", "3"});
  Run({"SET", "c", "3"});
  Run({"EXEC"});
  Run({"SET", "d", "4"});  // the harness client now sits in db 3
  Run({"MOVE", "d", "5"});
  Run({"FLUSHDB"});
  Run({"SELECT", "0"});
  Run({"SET", "e", "5"});
  Run({"FLUSHALL"});
  Run({"SET", "f", "6"});
  EXPECT_TRUE(verbs_seen_.contains("SELECT"));
  EXPECT_TRUE(verbs_seen_.contains("FLUSHDB"));
  EXPECT_TRUE(verbs_seen_.contains("FLUSHALL"));
}

// Random writes of every family on a few shared keys (so types collide, collections empty
// and keys are deleted, renamed and moved between dbs), each record applied as it comes.
TEST_F(EffectApplierTest, RandomWritesOfEveryFamilyKeepTheReplicaEqual) {
  std::mt19937 rng(20261207);
  auto pick = [&](std::initializer_list<const char*> words) {
    return std::string(*(words.begin() + rng() % words.size()));
  };
  auto number = [&](int below) { return std::to_string(static_cast<int>(rng() % static_cast<unsigned>(below))); };
  for (int step = 0; step < 10000; ++step) {
    const std::string key = pick({"a", "b", "c", "d", "e", "f"});
    const std::string other = pick({"a", "b", "c", "d", "e", "f"});
    const std::string member = "m" + number(12);
    std::vector<std::vector<std::string>> commands = {
        {"SET", key, number(100)},
        {"SET", key, "v", "PX", std::to_string(1000 + static_cast<int>(rng() % 100000))},
        {"APPEND", key, member},
        {"INCRBY", key, number(9)},
        {"SETBIT", key, number(64), number(2)},
        {"PFADD", key, member},
        {"HSET", key, member, number(5)},
        {"HDEL", key, member},
        {"HINCRBY", key, member, number(5)},
        {"SADD", key, member, number(20)},
        {"SREM", key, member},
        {"SPOP", key, number(3)},
        {"SMOVE", key, other, member},
        {"ZADD", key, number(10), member},
        {"ZINCRBY", key, "0.5", member},
        {"ZREM", key, member},
        {"ZPOPMAX", key},
        {"ZREMRANGEBYSCORE", key, number(5), "+inf"},
        {"RPUSH", key, member, member},
        {"LPOP", key, number(3)},
        {"LMOVE", key, other, pick({"LEFT", "RIGHT"}), pick({"LEFT", "RIGHT"})},
        {"LREM", key, number(2), member},
        {"LTRIM", key, number(2), "-" + std::to_string(1 + rng() % 2)},
        {"XADD", key, "MAXLEN", "~", number(30), "*", "f", member},
        {"XGROUP", "CREATE", key, "g", "0", "MKSTREAM"},
        {"XREADGROUP", "GROUP", "g", member, "COUNT", "2", "STREAMS", key, ">"},
        {"XAUTOCLAIM", key, "g", member, "0", "0", "COUNT", "2"},
        {"EXPIRE", key, number(1000)},
        {"PERSIST", key},
        {"DEL", key},
        {"RENAME", key, other},
        {"COPY", key, other, "REPLACE"},
        {"SUNIONSTORE", key, other, key},
        {"MOVE", key, number(3)},
        {"SELECT", number(3)},
    };
    RunAny(commands[rng() % commands.size()]);
    if (HasFailure()) return;
  }
  for (const char* verb : {"SET", "APPEND", "SETBIT", "PFADD", "HSET", "HDEL", "SADD", "SREM", "ZADD", "ZREM",
                           "ZREMRANGEBYSCORE", "RPUSH", "LPUSH", "LPOP", "RPOP", "LMOVE", "LREM", "LTRIM", "XADD",
                           "XCLAIM", "PEXPIREAT", "PERSIST", "DEL", "RESTORE", "SELECT"}) {
    EXPECT_TRUE(verbs_seen_.contains(verb)) << verb << " never came up";
  }
}

// ---- What the applier refuses -------------------------------------------------------------

class EffectRefusalTest : public ::testing::Test {
 protected:
  EffectRefusalTest() {
    int db = 0;
    for (const Effect& effect : std::vector<Effect>{{"SET", "str", "v"},
                                                    {"HSET", "h", "f", "v"},
                                                    {"RPUSH", "l", "a", "b"},
                                                    {"XADD", "s", "1-1", "f", "v"}}) {
      EXPECT_TRUE(ApplyEffect(shard_, db, effect).ok());
    }
  }

  // `effect` is refused as Corruption naming its verb, and nothing changes.
  void ExpectRefused(const Effect& effect, std::string_view named) {
    const KeyspaceImage before = ImageOf(shard_);
    int db = 0;
    const Status status = ApplyEffect(shard_, db, effect);
    EXPECT_EQ(status.code(), Code::kCorruption) << ::testing::PrintToString(effect);
    EXPECT_NE(status.message().find(named), std::string::npos) << status.message();
    EXPECT_EQ(db, 0);
    EXPECT_EQ(ImageOf(shard_), before) << ::testing::PrintToString(effect);
    EXPECT_EQ(CheckEffect(effect).ok(), status.message().find("does not apply") != std::string::npos)
        << "CheckEffect judges the form only: " << ::testing::PrintToString(effect);
  }

  Shard shard_{EngineOptions{}};
};

TEST_F(EffectRefusalTest, UnknownVerbsAndEmptyEffectsAreCorruption) {
  ExpectRefused({}, "empty effect");
  ExpectRefused({"NOSUCHVERB", "k"}, "NOSUCHVERB");
  ExpectRefused({"set", "str", "w"}, "set");  // the engine writes verbs upper-case
  ExpectRefused({"HGETALL", "h"}, "HGETALL");
  ExpectRefused({"HSET"}, "HSET");
  EXPECT_FALSE(IsEffectVerb("NOSUCHVERB"));
  EXPECT_TRUE(IsEffectVerb("HSET"));
  EXPECT_TRUE(IsEffectVerb("SELECT"));
}

TEST_F(EffectRefusalTest, MalformedArgumentsAreCorruptionNamingTheVerbAndChangeNothing) {
  const std::vector<Effect> malformed = {
      {"SET", "str"},
      {"SET", "str", "w", "PX", "5"},
      {"SET", "str", "w", "PXAT", "soon"},
      {"SET", "str", "w", "PXAT", "0"},
      {"DEL", "str", "h"},
      {"PEXPIREAT", "str"},
      {"PEXPIREAT", "str", "1.5"},
      {"PERSIST", "str", "extra"},
      {"APPEND", "str"},
      {"SETRANGE", "str", "-1", "x"},
      {"SETBIT", "str", "3", "2"},
      {"BITFIELD", "str", "SET", "u64", "0", "1"},
      {"BITFIELD", "str", "INCRBY", "u8", "0", "1"},
      {"BITFIELD", "str", "SET", "u8", "0"},
      {"HSET", "h", "f"},
      {"HSET", "h", "f", "v", "g"},
      {"HDEL", "h"},
      {"SADD", "st"},
      {"SREM", "st"},
      {"ZADD", "z", "1"},
      {"ZADD", "z", "one", "m"},
      {"ZADD", "z", "nan", "m"},
      {"ZREM", "z"},
      {"ZREMRANGEBYRANK", "z", "0", "x"},
      {"ZREMRANGEBYSCORE", "z", "low", "1"},
      {"ZREMRANGEBYLEX", "z", "p", "[q"},
      {"LPUSH", "l"},
      {"LPOP", "l", "0"},
      {"RPOP", "l"},
      {"LMOVE", "l", "l", "LEFT", "UP"},
      {"LSET", "l", "first", "x"},
      {"LINSERT", "l", "NEAR", "a", "x"},
      {"LREM", "l", "all", "a"},
      {"LTRIM", "l", "0"},
      {"XADD", "s", "*", "f", "v"},
      {"XADD", "s", "2-1", "f"},
      {"XADD", "s", "MAXLEN", "~", "1", "2-1", "f", "v"},
      {"XTRIM", "s", "MINID", "=", "1-1"},
      {"XDEL", "s", "not-an-id"},
      {"XSETID", "s", "5-0", "ENTRIESADDED"},
      {"XSETID", "s", "5-0", "MAXDELETEDID", "1-1", "ENTRIESADDED", "3"},
      {"XACK", "s", "g"},
      {"XCLAIM", "s", "g", "c", "0", "1-1", "TIME", "5", "RETRYCOUNT", "1", "FORCE"},
      {"XCLAIM", "s", "g", "c", "10", "1-1", "TIME", "5", "RETRYCOUNT", "1", "FORCE", "JUSTID"},
      {std::string(kXGroupEffectCommand), "s", "CREATE", "g", "$", "ENTRIESREAD", "0"},
      {std::string(kXGroupEffectCommand), "s", "CREATE", "g", "0-0"},
      {std::string(kXGroupEffectCommand), "s", "SETID", "g", "0-0", "ENTRIESREAD", "-2"},
      {std::string(kXGroupEffectCommand), "s", "DESTROY"},
      {std::string(kXGroupEffectCommand), "s", "RENAME", "g", "h"},
      {"RESTORE", "k", "0", "not a payload", "REPLACE", "ABSTTL"},
      {"RESTORE", "k", "-5", "not a payload", "REPLACE", "ABSTTL"},
      {"RESTORE", "k", "0", "x", "REPLACE"},
      {"SELECT", "one"},
      {"SELECT", "-1"},
      {"FLUSHDB", "ASYNC"},
      {"FLUSHALL", "SYNC"},
  };
  for (const Effect& effect : malformed) ExpectRefused(effect, "malformed " + effect[0] + " effect");
}

TEST_F(EffectRefusalTest, AnEffectOnAKeyInAnotherStateIsCorruption) {
  ExpectRefused({"HSET", "str", "f", "v"}, "HSET does not apply to key 'str': the key holds another type");
  ExpectRefused({"LSET", "l", "5", "x"}, "LSET does not apply to key 'l'");
  ExpectRefused({"XCLAIM", "s", "nogroup", "c", "0", "1-1", "TIME", "5", "RETRYCOUNT", "1", "FORCE", "JUSTID"},
                "XCLAIM does not apply to key 's'");
}

TEST_F(EffectRefusalTest, SelectOfAMissingDbIsCorruptionAndKeepsTheDb) {
  int db = 2;
  const Status status = ApplyEffect(shard_, db, {"SELECT", std::to_string(shard_.db_count())});
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("missing db"), std::string::npos) << status.message();
  EXPECT_EQ(db, 2);
  ASSERT_TRUE(ApplyEffect(shard_, db, {"SELECT", "7"}).ok());
  EXPECT_EQ(db, 7);
}

// ---- Expiry while effects apply -------------------------------------------------------------

TEST(EffectApplierExpiry, EffectsLandOnKeysWhoseExpiryPassedAndTheKeysStillExpireAfterwards) {
  Shard shard{EngineOptions{}};
  int db = 0;
  const int64_t past = Shard::WallClockMs() - 60'000;
  ASSERT_TRUE(ApplyEffect(shard, db, {"SET", "s", "v", "PXAT", std::to_string(past)}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"APPEND", "s", "+more"}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"HSET", "h", "f", "v"}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"PEXPIREAT", "h", std::to_string(past)}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"HSET", "h", "g", "w"}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"RPUSH", "l", "a", "b"}).ok());
  const std::string list_payload = DumpEntry(*shard.db(0).Peek("l"));
  ASSERT_TRUE(ApplyEffect(shard, db, {"RESTORE", "restored", std::to_string(past), list_payload, "REPLACE", "ABSTTL"}).ok());
  ASSERT_TRUE(ApplyEffect(shard, db, {"RPUSH", "restored", "c"}).ok());
  // Stored with their past expiry, and the later effects landed on the same keys.
  const KeyspaceImage image = ImageOf(shard);
  ASSERT_TRUE(image.contains({0, "s"}));
  EXPECT_EQ(image.at({0, "s"}), (testing::KeyState{"v+more", past}));
  ASSERT_NE(shard.db(0).Peek("h"), nullptr);
  EXPECT_EQ(shard.db(0).Peek("h")->expire_at(), past);
  EXPECT_EQ(ValueOf<HashValue>(shard.db(0).Peek("h")).Length(), 2u);
  ASSERT_NE(shard.db(0).Peek("restored"), nullptr);
  EXPECT_EQ(shard.db(0).Peek("restored")->expire_at(), past);
  EXPECT_EQ(ValueOf<ListValue>(shard.db(0).Peek("restored")).Length(), 3u);
  // Expiry is back on once an effect has applied: the next lookup expires the keys.
  EXPECT_TRUE(shard.expiry_enabled());
  shard.set_now_ms(Shard::WallClockMs());
  auto value = OpGet(shard, 0, "s");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(value->has_value());
}

TEST(EffectApplierExpiry, AnEffectLeavesExpiryAsItFoundIt) {
  Shard shard{EngineOptions{}};
  int db = 0;
  shard.set_expiry_enabled(false);  // a caller replaying with expiry off keeps it off
  ASSERT_TRUE(ApplyEffect(shard, db, {"SET", "k", "v"}).ok());
  EXPECT_FALSE(shard.expiry_enabled());
  ASSERT_FALSE(ApplyEffect(shard, db, {"NOSUCHVERB", "k"}).ok());
  EXPECT_FALSE(shard.expiry_enabled());
}

}  // namespace
}  // namespace tierkv
