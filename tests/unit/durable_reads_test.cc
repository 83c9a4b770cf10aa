// appendfsync always: no client observes a write before an fsync covers it. A reader's
// reply waits for the LSN of the keys it read, not only the writer's own reply.
//
// The harness never runs the server's io_context by itself, so the journal's "synced"
// reports (posted to it) arrive only when a test runs it: between commands, durable_lsn
// stays where the test left it, and the holds can be checked without any timing.
#include <chrono>

#include <gtest/gtest.h>

#include "harness/command_harness.h"
#include "harness/temp_dir.h"

namespace tierkv {
namespace {

using testing::CommandHarness;
using testing::TempDir;

ServerSettings AlwaysFsync(const std::string& dir) {
  ServerSettings settings;
  settings.dir = dir;
  settings.appendfsync = "always";
  return settings;
}

class DurableReadsTest : public ::testing::Test {
 protected:
  DurableReadsTest() : harness_({}, AlwaysFsync(dir_.path())), reader_(harness_.server().NextClientId()) {
    Status opened = harness_.server().OpenDurability();
    EXPECT_TRUE(opened.ok()) << opened.message();
  }

  std::string Read(const std::vector<std::string>& args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    reader_.output.clear();
    harness_.server().Execute(reader_, views);
    return reader_.output;
  }

  // Runs the engine's queued completions until the journal reports `lsn` synced.
  void WaitDurable(uint64_t lsn) {
    Durability& durability = *harness_.server().durability();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (durability.durable_lsn() < lsn && std::chrono::steady_clock::now() < deadline) {
      harness_.server().io().restart();
      harness_.server().io().run_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(durability.durable_lsn(), lsn);
  }

  uint64_t NewestLsn() { return harness_.shard().last_lsn(); }

  TempDir dir_;
  CommandHarness harness_;
  Client reader_;
};

TEST_F(DurableReadsTest, ReaderOfAnUnsyncedWriteIsHeldUntilItsSync) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  const uint64_t write_lsn = NewestLsn();
  EXPECT_TRUE(harness_.server().RepliesHeld(harness_.client()));

  EXPECT_EQ(Read({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(harness_.server().durable_replies().WaitingFor(reader_.id), write_lsn);
  EXPECT_TRUE(harness_.server().RepliesHeld(reader_));

  WaitDurable(write_lsn);
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
  EXPECT_FALSE(harness_.server().RepliesHeld(harness_.client()));
}

TEST_F(DurableReadsTest, ReadOfADurableKeyIsNotHeldBehindAnotherKeysWrite) {
  ASSERT_EQ(harness_.Run({"SET", "old", "1"}), "+OK\r\n");
  WaitDurable(NewestLsn());
  ASSERT_EQ(harness_.Run({"SET", "new", "2"}), "+OK\r\n");

  EXPECT_EQ(Read({"GET", "old"}), "$1\r\n1\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, MissOfAKeyWhoseDeleteIsInFlightIsHeld) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  WaitDurable(NewestLsn());
  ASSERT_EQ(harness_.Run({"DEL", "k"}), ":1\r\n");

  EXPECT_EQ(Read({"EXISTS", "k"}), ":0\r\n");
  EXPECT_TRUE(harness_.server().RepliesHeld(reader_));
  WaitDurable(NewestLsn());
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, MissIsNotHeldBehindAWriteThatRemovedNothing) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Read({"EXISTS", "never-written"}), ":0\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, CommandWithoutKeyPositionsWaitsForEveryWriteInFlight) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Read({"DBSIZE"}), ":1\r\n");
  EXPECT_EQ(harness_.server().durable_replies().WaitingFor(reader_.id), NewestLsn());
  EXPECT_TRUE(harness_.server().RepliesHeld(reader_));
}

// A journal that cannot sync (disk full) holds every reply that depends on it, and must
// not hold the INFO or PING an operator sends to find out why.
TEST_F(DurableReadsTest, CommandsThatDoNotTouchTheKeyspaceAreNotHeldBehindAWrite) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Read({"PING"}), "+PONG\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
  EXPECT_EQ(Read({"INFO", "persistence"})[0], '$');
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, WriteThatChangedNothingWaitsForTheKeyItRead) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Read({"SET", "k", "other", "NX"}), "$-1\r\n");
  EXPECT_TRUE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, TransactionIsHeldForWhatItsCommandsRead) {
  ASSERT_EQ(harness_.Run({"SET", "old", "1"}), "+OK\r\n");
  WaitDurable(NewestLsn());
  ASSERT_EQ(harness_.Run({"SET", "new", "2"}), "+OK\r\n");

  ASSERT_EQ(Read({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(Read({"GET", "old"}), "+QUEUED\r\n");
  EXPECT_EQ(Read({"EXEC"}), "*1\r\n$1\r\n1\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));

  ASSERT_EQ(Read({"MULTI"}), "+OK\r\n");
  ASSERT_EQ(Read({"GET", "new"}), "+QUEUED\r\n");
  EXPECT_EQ(Read({"EXEC"}), "*1\r\n$1\r\n2\r\n");
  EXPECT_TRUE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, CommandRefusedBeforeItRanIsNotHeld) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Read({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

TEST_F(DurableReadsTest, NothingIsHeldWhenNoWriteIsInFlight) {
  ASSERT_EQ(harness_.Run({"SET", "k", "v"}), "+OK\r\n");
  WaitDurable(NewestLsn());
  EXPECT_EQ(Read({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Read({"DBSIZE"}), ":1\r\n");
  EXPECT_FALSE(harness_.server().RepliesHeld(reader_));
}

}  // namespace
}  // namespace tierkv
