// Tests for server/durable_replies: which client's replies wait for which LSN, what a
// command that ran makes its client wait for, and which parked clients a durable LSN
// releases. The keyspace's LSNs come from commands run through the real table, committed
// as the journal would number them; no journal runs here (durable_reads_test covers the
// server with one).
#include "server/durable_replies.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "harness/command_harness.h"
#include "server/key_specs.h"

namespace tierkv {
namespace {

using testing::CommandHarness;

constexpr uint64_t kReader = 7;
constexpr uint64_t kOther = 8;

TEST(DurableReplies, AClientWaitsForTheGreatestLsnItWasGiven) {
  DurableReplies replies;
  EXPECT_EQ(replies.WaitingFor(kReader), 0u);
  EXPECT_FALSE(replies.Held(kReader, 0));
  replies.WaitFor(kReader, 5);
  replies.WaitFor(kReader, 3);
  EXPECT_EQ(replies.WaitingFor(kReader), 5u);
  EXPECT_TRUE(replies.Held(kReader, 4));
  EXPECT_FALSE(replies.Held(kReader, 5));
  EXPECT_EQ(replies.WaitingFor(kOther), 0u);
}

TEST(DurableReplies, ReleaseResumesParkedClientsItCoversInParkingOrder) {
  DurableReplies replies;
  replies.WaitFor(kOther, 3);
  replies.WaitFor(kReader, 2);
  replies.WaitFor(9, 10);
  replies.Park(kOther);
  replies.Park(kReader);
  replies.Park(kOther);  // a connection flushing twice while held parks once
  replies.Park(9);

  EXPECT_EQ(replies.Release(1), (std::vector<uint64_t>{}));
  EXPECT_EQ(replies.Release(3), (std::vector<uint64_t>{kOther, kReader}));
  EXPECT_EQ(replies.WaitingFor(kOther), 0u);
  EXPECT_EQ(replies.WaitingFor(kReader), 0u);
  EXPECT_EQ(replies.WaitingFor(9), 10u);
  EXPECT_EQ(replies.Release(10), (std::vector<uint64_t>{9}));
  EXPECT_EQ(replies.Release(10), (std::vector<uint64_t>{}));
}

TEST(DurableReplies, ReleaseForgetsCoveredWaitsOfClientsThatNeverParked) {
  DurableReplies replies;
  replies.WaitFor(kReader, 4);
  EXPECT_EQ(replies.Release(4), (std::vector<uint64_t>{}));
  EXPECT_EQ(replies.WaitingFor(kReader), 0u);
}

TEST(DurableReplies, ADisconnectedClientIsForgotten) {
  DurableReplies replies;
  replies.WaitFor(kReader, 4);
  replies.Park(kReader);
  replies.Forget(kReader);
  EXPECT_EQ(replies.WaitingFor(kReader), 0u);
  EXPECT_EQ(replies.Release(4), (std::vector<uint64_t>{}));
}

TEST(DurableReplies, TheClientsAReleaseLetGoAreAwaitedUntilEachRanACommand) {
  DurableReplies replies;
  EXPECT_FALSE(replies.AwaitingReleased());
  replies.WaitFor(kReader, 2);
  replies.WaitFor(kOther, 2);
  replies.Park(kReader);
  replies.Park(kOther);
  ASSERT_EQ(replies.Release(2), (std::vector<uint64_t>{kReader, kOther}));
  EXPECT_TRUE(replies.AwaitingReleased());
  EXPECT_FALSE(replies.Returned(9));  // never released: not awaited
  EXPECT_FALSE(replies.Returned(kReader));
  EXPECT_TRUE(replies.AwaitingReleased());
  EXPECT_FALSE(replies.Returned(kReader));  // its second command changes nothing
  EXPECT_TRUE(replies.Returned(kOther));    // the last one back
  EXPECT_FALSE(replies.AwaitingReleased());
}

TEST(DurableReplies, OnlyTheLastReleaseIsAwaitedSoAQuietClientDelaysOneBatch) {
  DurableReplies replies;
  replies.WaitFor(kReader, 2);
  replies.Park(kReader);
  ASSERT_EQ(replies.Release(2), (std::vector<uint64_t>{kReader}));
  EXPECT_TRUE(replies.AwaitingReleased());  // kReader never sends again
  replies.WaitFor(kOther, 3);
  replies.Park(kOther);
  ASSERT_EQ(replies.Release(3), (std::vector<uint64_t>{kOther}));
  EXPECT_TRUE(replies.Returned(kOther));
  EXPECT_FALSE(replies.AwaitingReleased());
  EXPECT_TRUE(replies.Release(4).empty());  // a sync that released nobody awaits nobody
  EXPECT_FALSE(replies.AwaitingReleased());
}

TEST(DurableReplies, ADisconnectedReleasedClientIsNotAwaited) {
  DurableReplies replies;
  replies.WaitFor(kReader, 2);
  replies.Park(kReader);
  replies.Release(2);
  replies.Forget(kReader);
  EXPECT_FALSE(replies.AwaitingReleased());
}

// Commands run through the real table on a keyspace whose writes get LSNs 1, 2, ...
class DurableRepliesReadsTest : public ::testing::Test {
 protected:
  DurableRepliesReadsTest() { harness_.shard().changes().set_enabled(true); }

  // Runs a write and commits it; returns its LSN.
  uint64_t Write(const std::vector<std::string>& args) {
    harness_.Run(args);
    EXPECT_TRUE(harness_.shard().CommitChanges().has_value());
    return harness_.shard().last_lsn();
  }

  // What a reader that ran `args` waits for, with the journal durable up to `durable`.
  uint64_t WaitAfterRead(const std::vector<std::string>& args, uint64_t durable) {
    DurableReplies replies;
    const CommandSpec* spec = harness_.server().commands().Find(args[0]);
    EXPECT_NE(spec, nullptr) << args[0];
    std::vector<std::string_view> views(args.begin(), args.end());
    replies.WaitForReads(kReader, *spec, views, harness_.shard().db(0), harness_.shard().last_lsn(), durable);
    return replies.WaitingFor(kReader);
  }

  CommandHarness harness_;
};

TEST_F(DurableRepliesReadsTest, AReadWaitsForTheKeyItReadNotForNewerWrites) {
  const uint64_t first = Write({"SET", "a", "1"});
  Write({"SET", "b", "2"});
  EXPECT_EQ(WaitAfterRead({"GET", "a"}, 0), first);
  EXPECT_EQ(WaitAfterRead({"GET", "a"}, first), 0u);
  EXPECT_EQ(WaitAfterRead({"MGET", "a", "b"}, first), harness_.shard().last_lsn());
}

TEST_F(DurableRepliesReadsTest, AMissWaitsForItsDbsLastRemoval) {
  Write({"SET", "gone", "1"});
  const uint64_t removal = Write({"DEL", "gone"});
  Write({"SET", "other", "2"});
  EXPECT_EQ(WaitAfterRead({"EXISTS", "gone"}, 0), removal);
  EXPECT_EQ(WaitAfterRead({"EXISTS", "never-written"}, 0), removal);
  EXPECT_EQ(WaitAfterRead({"EXISTS", "gone"}, removal), 0u);
}

TEST_F(DurableRepliesReadsTest, CommandsThatMaySeeAnyKeyWaitForEveryWrite) {
  Write({"RPUSH", "list", "1"});
  const uint64_t newest = Write({"SET", "unrelated", "x"});
  EXPECT_EQ(WaitAfterRead({"DBSIZE"}, 0), newest);
  EXPECT_EQ(WaitAfterRead({"KEYS", "*"}, 0), newest);
  // SORT's BY/GET patterns read keys named by the list's content.
  EXPECT_EQ(WaitAfterRead({"SORT_RO", "list", "GET", "unrelated"}, 0), newest);
  EXPECT_EQ(WaitAfterRead({"SORT", "list"}, 0), newest);
}

TEST_F(DurableRepliesReadsTest, CommandsThatDoNotTouchTheKeyspaceNeverWait) {
  Write({"SET", "k", "v"});
  EXPECT_EQ(WaitAfterRead({"PING"}, 0), 0u);
  EXPECT_EQ(WaitAfterRead({"INFO"}, 0), 0u);
}

// The property replaces a list of command names: it must find SORT and SORT_RO in the
// table, and nothing that names every key it reads.
TEST(ReadsUnnamedKeys, FindsExactlyTheCommandsWhoseSpecsCannotLocateWhatTheyRead) {
  CommandHarness harness;
  std::vector<std::string> found;
  for (const auto& spec : harness.server().commands().all()) {
    if (ReadsUnnamedKeys(*spec)) found.push_back(spec->name);
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::string>{"sort", "sort_ro"}));
}

}  // namespace
}  // namespace tierkv
