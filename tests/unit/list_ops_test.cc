// List commands through the real dispatcher, for what a client cannot see: the journal
// effect each write emits, that replaying those effects on another server rebuilds the
// same lists (contents, TTLs and encodings), which lookups count as keyspace hits, and the
// Op functions the blocking commands call.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/types/list/list_ops.h"
#include "harness/command_harness.h"
#include "harness/journal_replay.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

// Journal replay (harness/journal_replay.h) plus a list-by-list comparison.
class ListJournal : public JournalReplayTest {
 protected:
  void ExpectReplicaEqual(const std::vector<std::string>& keys) {
    EXPECT_EQ(primary_.Run({"DEBUG", "DIGEST"}), replica_.Run({"DEBUG", "DIGEST"}));
    for (const std::string& key : keys) {
      EXPECT_EQ(primary_.Run({"LRANGE", key, "0", "-1"}), replica_.Run({"LRANGE", key, "0", "-1"})) << key;
      EXPECT_EQ(primary_.Run({"OBJECT", "ENCODING", key}), replica_.Run({"OBJECT", "ENCODING", key})) << key;
      EXPECT_EQ(primary_.Run({"PTTL", key}), replica_.Run({"PTTL", key})) << key;
    }
  }
};

TEST_F(ListJournal, EachWriteJournalsItsOwnEffect) {
  Run({"RPUSH", "k", "a", "b", "c", "d", "e"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"RPUSH", "k", "a", "b", "c", "d", "e"}}));
  Run({"LPUSHX", "k", "z"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LPUSH", "k", "z"}}));
  Run({"RPOP", "k", "2"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"RPOP", "k", "2"}}));
  Run({"LPOP", "k", "100"});  // the count actually popped
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LPOP", "k", "4"}}));
  Run({"RPUSH", "k", "a", "x", "a", "b", "a"});
  Run({"LSET", "k", "-2", "B"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LSET", "k", "3", "B"}}));  // index from the head
  Run({"LINSERT", "k", "before", "x", "w"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LINSERT", "k", "BEFORE", "x", "w"}}));
  Run({"LREM", "k", "0", "a"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LREM", "k", "3", "a"}}));
  Run({"RPUSH", "k", "q", "q", "q"});
  Run({"LREM", "k", "-2", "q"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LREM", "k", "-2", "q"}}));
  Run({"LTRIM", "k", "1", "100"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LTRIM", "k", "1", "-1"}}));
  Run({"LMOVE", "k", "dst", "LEFT", "RIGHT"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LPOP", "k", "1"}, {"RPUSH", "dst", "x"}}));
  Run({"LMOVE", "k", "k", "RIGHT", "LEFT"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"LMOVE", "k", "k", "RIGHT", "LEFT"}}));
  Run({"LMPOP", "2", "nokey", "dst", "RIGHT", "COUNT", "5"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"RPOP", "dst", "1"}}));
  Run({"LTRIM", "k", "5", "1"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "k"}}));
  // Nothing changed, nothing journaled.
  Run({"LREM", "nokey", "0", "a"});
  Run({"LPUSHX", "nokey", "a"});
  Run({"LINSERT", "dst", "BEFORE", "a", "b"});
  Run({"LPOP", "nokey"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "k"}}));
  Replay();
  ExpectReplicaEqual({"k", "dst"});
}

// The replica ends with the same lists, encodings included, after a random mix of every
// write on lists that cross the listpack/quicklist limits (small count fill) and carry
// TTLs.
TEST_F(ListJournal, ReplayRebuildsTheSameLists) {
  for (CommandHarness* server : {&primary_, &replica_}) {
    ASSERT_EQ(server->Run({"CONFIG", "SET", "list-max-listpack-size", "6"}), "+OK\r\n");
  }
  std::mt19937_64 rng(99);
  const std::vector<std::string> keys = {"a", "b", "c"};
  auto key = [&] { return keys[rng() % keys.size()]; };
  auto value = [&] {
    const auto kind = rng() % 4;
    if (kind == 0) return std::to_string(rng() % 20);
    if (kind == 1) return std::string(rng() % 10000, 'L');
    return "v" + std::to_string(rng() % 8);
  };
  auto index = [&] { return std::to_string(static_cast<int64_t>(rng() % 30) - 15); };
  for (int step = 0; step < 3000; ++step) {
    switch (rng() % 12) {
      case 0: Run({"RPUSH", key(), value(), value(), value()}); break;
      case 1: Run({"LPUSH", key(), value()}); break;
      case 2: Run({"LPOP", key(), std::to_string(rng() % 4)}); break;
      case 3: Run({"RPOP", key()}); break;
      case 4: Run({"LSET", key(), index(), value()}); break;
      case 5: Run({"LINSERT", key(), rng() % 2 ? "BEFORE" : "AFTER", value(), value()}); break;
      case 6: Run({"LREM", key(), index(), value()}); break;
      case 7: Run({"LTRIM", key(), index(), index()}); break;
      case 8: Run({"LMOVE", key(), key(), rng() % 2 ? "LEFT" : "RIGHT", rng() % 2 ? "LEFT" : "RIGHT"}); break;
      case 9: Run({"RPOPLPUSH", key(), key()}); break;
      case 10: Run({"LMPOP", "2", key(), key(), rng() % 2 ? "LEFT" : "RIGHT", "COUNT", "2"}); break;
      default: Run({"PEXPIREAT", key(), "4102444800000"}); break;
    }
    if (step % 500 == 499) {
      Replay();
      ExpectReplicaEqual(keys);
    }
  }
}

// MULTI/EXEC puts several effects on one key into one record, in order.
TEST_F(ListJournal, TransactionKeepsEffectOrderPerKey) {
  Run({"MULTI"});
  Run({"RPUSH", "t", "1"});
  Run({"RPUSH", "t", "2"});
  Run({"LPUSH", "t", "0"});
  Run({"LMOVE", "t", "t", "RIGHT", "LEFT"});
  Run({"EXEC"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"RPUSH", "t", "1"},
                                                {"RPUSH", "t", "2"},
                                                {"LPUSH", "t", "0"},
                                                {"LMOVE", "t", "t", "RIGHT", "LEFT"}}));
  Replay();
  ExpectReplicaEqual({"t"});
  EXPECT_EQ(replica_.Run({"LRANGE", "t", "0", "-1"}), "*3\r\n" + Bulk("2") + Bulk("0") + Bulk("1"));
}

TEST(ListCommands, ReadsCountHitsAndWritesDoNot) {
  CommandHarness h;
  KeyspaceStats& stats = h.shard().stats();
  h.Run({"RPUSH", "k", "a"});
  h.Run({"LPOP", "nokey"});
  h.Run({"LSET", "k", "0", "b"});
  h.Run({"LMOVE", "k", "k2", "LEFT", "LEFT"});
  EXPECT_EQ(stats.keyspace_hits + stats.keyspace_misses, 0u);
  h.Run({"LRANGE", "k2", "0", "-1"});
  h.Run({"LLEN", "nokey"});
  h.Run({"LINDEX", "k2", "0"});
  h.Run({"LPOS", "k2", "b"});
  EXPECT_EQ(stats.keyspace_hits, 3u);
  EXPECT_EQ(stats.keyspace_misses, 1u);
}

TEST(ListCommands, Resp2AndResp3Replies) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"RPUSH", "k", "a", "b"}), Int(2));
  EXPECT_EQ(h.Run({"LPOP", "nokey", "1"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"LPOP", "nokey"}), std::string(kNil));
  EXPECT_EQ(h.Run({"LMPOP", "1", "nokey", "LEFT"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"LPOS", "k", "z"}), std::string(kNil));
  EXPECT_EQ(h.Run({"LMPOP", "1", "k", "LEFT"}), "*2\r\n" + Bulk("k") + "*1\r\n" + Bulk("a"));
  h.client().reply.set_protocol(3);
  EXPECT_EQ(h.Run({"LPOP", "nokey", "1"}), "_\r\n");
  EXPECT_EQ(h.Run({"LMPOP", "1", "nokey", "LEFT"}), "_\r\n");
  EXPECT_EQ(h.Run({"LINDEX", "k", "5"}), "_\r\n");
  EXPECT_EQ(h.Run({"LRANGE", "k", "0", "-1"}), "*1\r\n" + Bulk("b"));
}

// What the blocking commands call when serving a client.
TEST(ListOps, PopAndMoveForBlockedClients) {
  CommandHarness h;
  Shard& shard = h.shard();
  const std::vector<std::string_view> values = {"a", "b", "c"};
  ASSERT_EQ(*OpListPush(shard, 0, "k", ListEnd::kTail, values, false), 3);
  auto none = OpListPop(shard, 0, "nokey", ListEnd::kHead, 1);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto popped = OpListPop(shard, 0, "k", ListEnd::kTail, 2);
  ASSERT_TRUE(popped.ok());
  EXPECT_EQ(**popped, (std::vector<std::string>{"c", "b"}));
  auto moved = OpListMove(shard, 0, "k", "dst", ListEnd::kHead, ListEnd::kHead);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(**moved, "a");
  EXPECT_EQ(shard.db(0).Peek("k"), nullptr);  // emptied: deleted
  const std::vector<std::string_view> keys = {"nokey", "dst"};
  auto multi = OpListMultiPop(shard, 0, keys, ListEnd::kHead, 5);
  ASSERT_TRUE(multi.ok());
  EXPECT_EQ((*multi)->key, "dst");
  EXPECT_EQ((*multi)->values, (std::vector<std::string>{"a"}));
  h.Run({"SET", "s", "x"});
  EXPECT_EQ(OpListPop(shard, 0, "s", ListEnd::kHead, 1).status().code(), Code::kWrongType);
  h.Run({"RPUSH", "k", "v"});
  EXPECT_EQ(OpListMove(shard, 0, "k", "s", ListEnd::kHead, ListEnd::kHead).status().code(), Code::kWrongType);
  EXPECT_EQ(h.Run({"LLEN", "k"}), Int(1));  // nothing popped
}

}  // namespace
}  // namespace tierkv::testing
