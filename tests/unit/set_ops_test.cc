// Set commands through the real dispatcher (exact RESP2 and RESP3 bytes), and what a
// client cannot see: which lookups count as keyspace hits, the journal effect each write
// emits, and that replaying those effects on another server rebuilds the same sets.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/types/set/set_ops.h"
#include "engine/types/set/set_value.h"
#include "harness/command_harness.h"
#include "harness/journal_replay.h"
#include "harness/resp_literals.h"

namespace tierkv::testing {
namespace {

const SetValue* SetAt(CommandHarness& h, std::string_view key, int db = 0) {
  const Entry* entry = h.shard().db(db).Peek(key);
  if (entry == nullptr || entry->type != ValueType::kSet) return nullptr;
  return static_cast<const SetValue*>(entry->object());
}

std::set<std::string> MembersAt(CommandHarness& h, std::string_view key) {
  const SetValue* set = SetAt(h, key);
  if (set == nullptr) return {};
  const std::vector<std::string> members = set->Members();
  return {members.begin(), members.end()};
}

TEST(SetCommands, Resp2Replies) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SADD", "s", "3", "1", "2"}), Int(3));
  EXPECT_EQ(h.Run({"SMEMBERS", "s"}), "*3\r\n" + Bulk("1") + Bulk("2") + Bulk("3"));  // intset order
  EXPECT_EQ(h.Run({"SMISMEMBER", "s", "1", "9"}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(h.Run({"SPOP", "nokey"}), std::string(kNil));
  EXPECT_EQ(h.Run({"SPOP", "nokey", "3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey", "-3"}), "*0\r\n");
  EXPECT_EQ(h.Run({"SSCAN", "s", "0"}), "*2\r\n" + Bulk("0") + "*3\r\n" + Bulk("1") + Bulk("2") + Bulk("3"));
  EXPECT_EQ(h.Run({"SSCAN", "nokey", "0", "COUNT", "0"}), "*2\r\n" + Bulk("0") + "*0\r\n");
  EXPECT_EQ(h.Run({"SINTERCARD", "1", "s", "LIMIT", "2"}), Int(2));
  EXPECT_EQ(h.Run({"SPOP", "s", "-1"}), Err("ERR value is out of range, must be positive"));
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
            Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
}

TEST(SetCommands, Resp3SendsSetsWhereRedisDoes) {
  CommandHarness h;
  h.client().reply.set_protocol(3);
  h.Run({"SADD", "s", "1", "2"});
  EXPECT_EQ(h.Run({"SMEMBERS", "s"}), "~2\r\n" + Bulk("1") + Bulk("2"));
  EXPECT_EQ(h.Run({"SINTER", "s", "s"}), "~2\r\n" + Bulk("1") + Bulk("2"));
  EXPECT_EQ(h.Run({"SUNION", "nokey"}), "~0\r\n");
  EXPECT_EQ(h.Run({"SDIFF", "s", "nokey"}), "~2\r\n" + Bulk("1") + Bulk("2"));
  EXPECT_EQ(h.Run({"SPOP", "s", "0"}), "~0\r\n");
  EXPECT_EQ(h.Run({"SRANDMEMBER", "s", "5"}), "*2\r\n" + Bulk("1") + Bulk("2"));
  EXPECT_EQ(h.Run({"SRANDMEMBER", "nokey"}), "_\r\n");
  EXPECT_EQ(h.Run({"SPOP", "s", "9"}), "~2\r\n" + Bulk("1") + Bulk("2"));
}

TEST(SetCommands, ReadsCountHitsAndWritesDoNot) {
  CommandHarness h;
  KeyspaceStats& stats = h.shard().stats();
  h.Run({"SADD", "a", "x"});
  h.Run({"SREM", "nokey", "x"});
  h.Run({"SMOVE", "a", "b", "x"});
  h.Run({"SPOP", "b"});
  EXPECT_EQ(stats.keyspace_hits + stats.keyspace_misses, 0u);
  h.Run({"SADD", "a", "x"});
  h.Run({"SINTER", "a", "nokey", "a"});  // every key is looked up
  EXPECT_EQ(stats.keyspace_hits, 2u);
  EXPECT_EQ(stats.keyspace_misses, 1u);
  h.Run({"SUNIONSTORE", "dst", "a", "nokey"});
  EXPECT_EQ(stats.keyspace_hits, 3u);
  EXPECT_EQ(stats.keyspace_misses, 2u);
}

TEST(SetCommands, StoreDestinationIsAnyTypeAndEmptyResultDeletesIt) {
  CommandHarness h;
  h.Run({"SET", "dst", "text"});
  h.Run({"SADD", "a", "1", "2"});
  EXPECT_EQ(h.Run({"SINTERSTORE", "dst", "a", "a"}), Int(2));
  ASSERT_NE(SetAt(h, "dst"), nullptr);
  EXPECT_EQ(SetAt(h, "dst")->encoding(), Encoding::kIntset);
  EXPECT_EQ(h.Run({"SDIFFSTORE", "dst", "a", "a"}), Int(0));
  EXPECT_EQ(h.shard().db(0).Peek("dst"), nullptr);
}

TEST(SetCommands, IntersectionOfIntegersFromAHashtableStoresAnIntset) {
  CommandHarness h;
  std::vector<std::string> args = {"SADD", "t"};
  for (int i = 0; i < 300; ++i) args.push_back(std::to_string(i));
  args.push_back("text");
  h.Run(args);
  ASSERT_EQ(SetAt(h, "t")->encoding(), Encoding::kHashtable);
  h.Run({"SADD", "u", "5", "7", "text2"});
  EXPECT_EQ(h.Run({"SINTERSTORE", "d", "t", "t"}), Int(301));
  EXPECT_EQ(SetAt(h, "d")->encoding(), Encoding::kHashtable);
  EXPECT_EQ(h.Run({"SINTERSTORE", "d", "u", "t"}), Int(2));
  EXPECT_EQ(SetAt(h, "d")->encoding(), Encoding::kIntset);
  EXPECT_EQ(MembersAt(h, "d"), (std::set<std::string>{"5", "7"}));
}

// --- journaling -----------------------------------------------------------------------

class SetJournal : public JournalReplayTest {};

TEST_F(SetJournal, EachWriteJournalsItsOwnEffect) {
  Run({"SADD", "s", "a", "b", "a"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"SADD", "s", "a", "b", "a"}}));
  Run({"SREM", "s", "zz", "a"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"SREM", "s", "a"}}));
  records_.clear();
  Run({"SREM", "s", "zz"});  // nothing removed: no record
  Run({"SADD", "s", "b"});   // nothing added: no record
  EXPECT_TRUE(records_.empty());

  Run({"SADD", "p", "x", "y", "z"});
  const std::string popped = primary_.Run({"SPOP", "p"});
  ASSERT_TRUE(primary_.shard().changes().has_pending());
  auto record = primary_.shard().CommitChanges();
  ASSERT_TRUE(record.has_value());
  const std::string member = popped.substr(popped.find("\r\n") + 2, 1);
  EXPECT_EQ(record->effects, (std::vector<Effect>{{"SREM", "p", member}}));

  Run({"SMOVE", "p", "q", MembersAt(primary_, "p").count("x") ? "x" : "y"});
  ASSERT_EQ(LastEffects().size(), 2u);
  EXPECT_EQ(LastEffects()[0][0], "SREM");
  EXPECT_EQ(LastEffects()[0][1], "p");
  EXPECT_EQ(LastEffects()[1][0], "SADD");
  EXPECT_EQ(LastEffects()[1][1], "q");

  Run({"SADD", "all", "1", "2"});
  Run({"SPOP", "all", "5"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "all"}}));

  Run({"SUNIONSTORE", "u", "s", "q"});
  ASSERT_EQ(LastEffects().size(), 1u);
  EXPECT_EQ(LastEffects()[0][0], "RESTORE");  // the destination's resulting state
  EXPECT_EQ(LastEffects()[0][1], "u");
  Run({"SINTERSTORE", "u", "s", "nokey"});
  EXPECT_EQ(LastEffects(), (std::vector<Effect>{{"DEL", "u"}}));
}

TEST_F(SetJournal, SpopOfManyJournalsTheMembersOrTheRemainder) {
  std::vector<std::string> args = {"SADD", "s"};
  for (int i = 0; i < 100; ++i) args.push_back("m" + std::to_string(i));
  Run(args);
  Run({"SPOP", "s", "10"});  // by draws: SREM of the ten
  ASSERT_EQ(LastEffects().size(), 1u);
  EXPECT_EQ(LastEffects()[0][0], "SREM");
  EXPECT_EQ(LastEffects()[0].size(), 12u);
  Run({"SPOP", "s", "85"});  // five remain: the remainder's state is the smaller record
  ASSERT_EQ(LastEffects().size(), 1u);
  EXPECT_EQ(LastEffects()[0][0], "RESTORE");
  Replay();
  EXPECT_EQ(MembersAt(replica_, "s"), MembersAt(primary_, "s"));
  EXPECT_EQ(MembersAt(replica_, "s").size(), 5u);
}

// A long random mix of every set write over keys in every encoding: replaying the
// journal gives the same members, the same encodings where the writes were replayed as
// commands, and the same DEBUG DIGEST.
TEST_F(SetJournal, ReplayRebuildsTheSameSets) {
  std::mt19937_64 rng(2024);
  const std::vector<std::string> keys = {"ints", "strs", "mixed", "big", "other"};
  auto member = [&]() -> std::string {
    switch (rng() % 4) {
      case 0: return std::to_string(rng() % 600);
      case 1: return std::to_string(static_cast<int64_t>(rng()));
      case 2: return "s" + std::to_string(rng() % 300);
      default: return std::string(1 + rng() % 80, static_cast<char>('a' + rng() % 26));
    }
  };
  auto key = [&] { return keys[rng() % keys.size()]; };
  for (int step = 0; step < 3000; ++step) {
    const std::string k = key();
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2: {
        std::vector<std::string> args = {"SADD", k};
        const size_t n = 1 + rng() % (rng() % 8 == 0 ? 200 : 5);
        for (size_t i = 0; i < n; ++i) args.push_back(member());
        Run(args);
        break;
      }
      case 3: {
        std::vector<std::string> args = {"SREM", k};
        for (int i = 0; i < 4; ++i) args.push_back(member());
        Run(args);
        break;
      }
      case 4: Run({"SPOP", k}); break;
      case 5: Run({"SPOP", k, std::to_string(rng() % 40)}); break;
      case 6: Run({"SMOVE", k, key(), member()}); break;
      case 7: Run({"SINTERSTORE", key(), k, key()}); break;
      case 8: Run({"SUNIONSTORE", key(), k, key()}); break;
      default: Run({"SDIFFSTORE", key(), k, key()}); break;
    }
  }
  Replay();
  for (const std::string& k : keys) EXPECT_EQ(MembersAt(replica_, k), MembersAt(primary_, k)) << k;
  const std::string digest = primary_.Run({"DEBUG", "DIGEST"});
  ASSERT_EQ(digest.size(), 43u) << digest;  // +<40 hex digits>
  EXPECT_NE(digest, "+" + std::string(40, '0') + "\r\n");
  EXPECT_EQ(replica_.Run({"DEBUG", "DIGEST"}), digest);
}

TEST_F(SetJournal, ReplayOfCommandEffectsKeepsEncodings) {
  std::vector<std::string> ints = {"SADD", "i"};
  for (int i = 0; i < 600; ++i) ints.push_back(std::to_string(i));
  Run(ints);
  Run({"SADD", "l", "a", "b"});
  Run({"SADD", "l", "1"});
  Run({"SADD", "m", "1", "2"});
  Run({"SADD", "m", "x"});  // intset -> listpack
  std::vector<std::string> hint = {"SADD", "h", "a"};
  for (int i = 0; i < 200; ++i) hint.push_back("a");  // the argument count converts it
  Run(hint);
  Run({"SREM", "i", "5"});
  Run({"SMOVE", "m", "new", "1"});
  Replay();
  for (const char* k : {"i", "l", "m", "h", "new"}) {
    ASSERT_NE(SetAt(replica_, k), nullptr) << k;
    EXPECT_EQ(SetAt(replica_, k)->encoding(), SetAt(primary_, k)->encoding()) << k;
  }
  EXPECT_EQ(SetAt(replica_, "h")->encoding(), Encoding::kHashtable);
  EXPECT_EQ(SetAt(replica_, "m")->encoding(), Encoding::kListpack);
  EXPECT_EQ(SetAt(replica_, "new")->encoding(), Encoding::kIntset);
}

}  // namespace
}  // namespace tierkv::testing
