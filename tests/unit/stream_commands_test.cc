// Stream commands through the dispatcher, and the journal effects of every stream write
// replayed into a second keyspace.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/digest.h"
#include "engine/keyspace_ops.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/types/stream/stream.h"
#include "engine/types/stream/stream_ops.h"
#include "harness/command_harness.h"
#include "harness/keyspace_image.h"
#include "harness/resp_literals.h"

namespace tierkv {
namespace {

using testing::Bulk;
using testing::CommandHarness;
using testing::Err;
using testing::Int;

std::string Serialize(const Stream& stream) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbStream(writer, stream);
  return out;
}

// ---- Commands and their journal effects -------------------------------------------------

class StreamEffects : public ::testing::Test {
 protected:
  StreamEffects() { primary_.shard().changes().set_enabled(true); }

  std::vector<Effect> Write(std::vector<std::string> args) {
    const std::string reply = primary_.Run(args);
    EXPECT_FALSE(!reply.empty() && reply[0] == '-') << args[0] << " replied " << reply;
    std::optional<EffectRecord> record = primary_.shard().CommitChanges();
    if (!record) return {};
    Status applied = testing::ApplyRecord(replica_.shard(), *record);
    EXPECT_TRUE(applied.ok()) << applied.message();
    return record->effects;
  }

  // Everything RDB keeps (entries, metadata, groups, PELs with times and counts) agrees.
  void ExpectSameStream(std::string_view key) {
    const Entry* original = primary_.shard().db(0).Peek(key);
    const Entry* replayed = replica_.shard().db(0).Peek(key);
    ASSERT_EQ(original == nullptr, replayed == nullptr) << key;
    if (original == nullptr) return;
    EXPECT_EQ(ValueDigest(*original), ValueDigest(*replayed));
    // Consumers' seen times are the one thing replay sets to its own clock.
    EXPECT_EQ(StripSeenTimes(ValueOf<Stream>(original)), StripSeenTimes(ValueOf<Stream>(replayed)));
  }

  static std::string StripSeenTimes(const Stream& stream) {
    Stream copy(stream);
    if (copy.groups() != nullptr) {
      for (auto& [name, group] : *copy.groups()) {
        for (auto& [consumer_name, consumer] : group.consumers) consumer.seen_time = 0;
      }
    }
    return Serialize(copy);
  }

  CommandHarness primary_;
  CommandHarness replica_;
};

TEST_F(StreamEffects, AddTrimAndDeleteJournalResolvedCommands) {
  EXPECT_EQ(Write({"XADD", "s", "5-*", "a", "1"}), (std::vector<Effect>{{"XADD", "s", "5-0", "a", "1"}}));
  const std::vector<Effect> automatic = Write({"XADD", "s", "*", "a", "2"});
  ASSERT_EQ(automatic.size(), 1u);
  EXPECT_NE(automatic[0][2], "*");
  for (int i = 0; i < 250; ++i) Write({"XADD", "s", "*", "n", std::to_string(i)});
  // "~" trims whole nodes; the journal says how many entries stayed.
  const std::vector<Effect> approx = Write({"XADD", "s", "MAXLEN", "~", "120", "*", "x", "y"});
  ASSERT_EQ(approx.size(), 1u);
  EXPECT_EQ(approx[0][2], "MAXLEN");
  EXPECT_EQ(approx[0][3], "=");
  EXPECT_EQ(approx[0][4], std::to_string(ValueOf<Stream>(primary_.shard().db(0).Peek("s")).length()));
  EXPECT_EQ(Write({"XTRIM", "s", "MAXLEN", "~", "1000"}), std::vector<Effect>{}) << "nothing trimmed, nothing journaled";
  const std::vector<Effect> minid = Write({"XTRIM", "s", "MINID", "~", automatic[0][2]});
  EXPECT_TRUE(minid.empty() || minid[0][2] == "MAXLEN");
  Write({"XTRIM", "s", "MAXLEN", "100"});
  EXPECT_EQ(Write({"XDEL", "s", "1-1", automatic[0][2]}), std::vector<Effect>{}) << "both already gone";
  Write({"XADD", "s", "NOMKSTREAM", "MINID", "0", "*", "z", "z"});
  EXPECT_EQ(Write({"XADD", "missing", "NOMKSTREAM", "*", "a", "b"}), std::vector<Effect>{});
  ExpectSameStream("s");
}

TEST_F(StreamEffects, ConsumerGroupFlowReplaysToTheSameState) {
  for (int i = 1; i <= 30; ++i) Write({"XADD", "s", std::to_string(i) + "-1", "f", std::to_string(i)});
  EXPECT_EQ(Write({"XGROUP", "CREATE", "s", "g", "0"}),
            (std::vector<Effect>{{"TIERKV.XGROUP", "s", "CREATE", "g", "0-0", "ENTRIESREAD", "-1"}}));
  Write({"XGROUP", "CREATE", "made", "g", "$", "MKSTREAM", "ENTRIESREAD", "0"});
  const std::vector<Effect> read = Write({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"});
  ASSERT_EQ(read.size(), 4u);
  EXPECT_EQ(read[0], (Effect{"TIERKV.XGROUP", "s", "CREATECONSUMER", "g", "alice"}));
  EXPECT_EQ(read[1][0], "XCLAIM");
  EXPECT_EQ(read[1][5], "1-1");
  EXPECT_EQ(read[3], (Effect{"TIERKV.XGROUP", "s", "SETID", "g", "2-1", "ENTRIESREAD", "2"}));
  Write({"XREADGROUP", "GROUP", "g", "bob", "COUNT", "5", "NOACK", "STREAMS", "s", ">"});
  Write({"XREADGROUP", "GROUP", "g", "carol", "COUNT", "6", "STREAMS", "s", ">"});
  Write({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"});  // history: counts go up
  Write({"XACK", "s", "g", "1-1", "99-9"});
  Write({"XDEL", "s", "9-1"});
  Write({"XCLAIM", "s", "g", "dave", "0", "8-1", "9-1", "10-1", "RETRYCOUNT", "7", "LASTID", "20-1"});
  Write({"XCLAIM", "s", "g", "dave", "0", "25-1", "FORCE", "JUSTID", "IDLE", "5000"});
  Write({"XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "3"});
  Write({"XGROUP", "SETID", "s", "g", "3-1"});
  Write({"XREADGROUP", "GROUP", "g", "frank", "STREAMS", "s", ">"});  // takes over pending entries
  Write({"XGROUP", "CREATECONSUMER", "s", "g", "idle"});
  Write({"XGROUP", "DELCONSUMER", "s", "g", "bob"});
  Write({"XGROUP", "CREATE", "s", "temp", "$"});
  Write({"XGROUP", "DESTROY", "s", "temp"});
  Write({"XSETID", "s", "100-0", "ENTRIESADDED", "500", "MAXDELETEDID", "50-0"});
  ExpectSameStream("s");
  ExpectSameStream("made");
}

TEST_F(StreamEffects, MultiWithSeveralChangesToOneStream) {
  primary_.Run({"MULTI"});
  for (const char* id : {"1-1", "2-1", "3-1"}) primary_.Run({"XADD", "s", id, "a", "b"});
  primary_.Run({"XGROUP", "CREATE", "s", "g", "0"});
  primary_.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  Write({"EXEC"});
  ExpectSameStream("s");
}

TEST(StreamCommands, RepliesThroughTheDispatcher) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"XADD", "s", "1-1", "a", "1"}), Bulk("1-1"));
  EXPECT_EQ(h.Run({"XADD", "s", "1-1", "a", "1"}),
            Err("ERR The ID specified in XADD is equal or smaller than the target stream top item"));
  EXPECT_EQ(h.Run({"XADD", "s", "0-0", "a", "1"}), Err("ERR The ID specified in XADD must be greater than 0-0"));
  EXPECT_EQ(h.Run({"XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "a", "1"}),
            Err("ERR syntax error, LIMIT cannot be used without the special ~ option"));
  EXPECT_EQ(h.Run({"XADD", "s", "1-2", "a"}), Err("ERR wrong number of arguments for 'xadd' command"));
  EXPECT_EQ(h.Run({"XLEN", "s"}), Int(1));
  EXPECT_EQ(h.Run({"XRANGE", "s", "-", "+"}), "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"XRANGE", "nokey", "-", "+", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(h.Run({"XREAD", "STREAMS", "s", "$"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"XREAD", "BLOCK", "100", "STREAMS", "s", "0"}),
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
  EXPECT_EQ(h.Run({"XREAD", "BLOCK", "-1", "STREAMS", "s", "0"}), Err("ERR timeout is negative"));
  EXPECT_EQ(h.Run({"XGROUP", "CREATE", "s", "g", "$"}), std::string(testing::kOk));
  EXPECT_EQ(h.Run({"XGROUP", "CREATE", "s", "g", "$"}), Err("BUSYGROUP Consumer Group name already exists"));
  EXPECT_EQ(h.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"XPENDING", "s", "g"}), "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n");
  EXPECT_EQ(h.Run({"XINFO", "GROUPS", "nokey"}), Err("ERR no such key"));
  EXPECT_EQ(h.Run({"XSETID", "nokey", "1-1"}), Err("ERR no such key"));
  EXPECT_EQ(h.Run({"SET", "str", "x"}), std::string(testing::kOk));
  EXPECT_EQ(h.Run({"XADD", "str", "*", "a", "1"}), Err("WRONGTYPE Operation against a key holding the wrong kind of value"));
  EXPECT_EQ(h.Run({"OBJECT", "ENCODING", "s"}), Bulk("stream"));
  EXPECT_EQ(h.Run({"TYPE", "s"}), "+stream\r\n");
  // XREAD's keys for COMMAND GETKEYS and cluster routing: those after STREAMS.
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST(StreamCommands, EmptyStreamsStayAndCopyIsDeep) {
  CommandHarness h;
  h.Run({"XADD", "s", "1-1", "a", "1"});
  h.Run({"XGROUP", "CREATE", "s", "g", "0"});
  EXPECT_EQ(h.Run({"XDEL", "s", "1-1"}), Int(1));
  EXPECT_EQ(h.Run({"EXISTS", "s"}), Int(1)) << "a stream is the one collection kept empty";
  EXPECT_EQ(h.Run({"XADD", "s", "2-1", "b", "2"}), Bulk("2-1"));
  EXPECT_EQ(h.Run({"COPY", "s", "t"}), Int(1));
  h.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  EXPECT_EQ(h.Run({"XLEN", "t"}), Int(1));
  EXPECT_EQ(h.Run({"XPENDING", "t", "g", "-", "+", "10"}), "*0\r\n");
  EXPECT_EQ(h.Run({"XPENDING", "s", "g", "-", "+", "10", "c"}).substr(0, 4), "*1\r\n");
}

}  // namespace
}  // namespace tierkv
