#include <gtest/gtest.h>

#include "harness/command_harness.h"

namespace tierkv::testing {
namespace {

TEST(Transactions, QueuedCommandsRunAtExec) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(h.Run({"EXEC"}), "*2\r\n+OK\r\n$1\r\nv\r\n");
}

TEST(Transactions, QueueingErrorAbortsExec) {
  CommandHarness h;
  h.Run({"MULTI"});
  EXPECT_EQ(h.Run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$-1\r\n");
}

TEST(Transactions, WatchedKeyModifiedByAnotherClientFailsExec) {
  CommandHarness h;
  h.Run({"WATCH", "k"});
  Client other(h.server().NextClientId());
  std::vector<std::string_view> set = {"SET", "k", "x"};
  h.server().Execute(other, set);
  h.Run({"MULTI"});
  h.Run({"SET", "k", "mine"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nx\r\n");
}

TEST(Transactions, NestedMultiIsAnErrorButDoesNotAbort) {
  CommandHarness h;
  h.Run({"MULTI"});
  EXPECT_EQ(h.Run({"MULTI"}), "-ERR MULTI calls can not be nested\r\n");
  h.Run({"SET", "k", "v"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n+OK\r\n");
}

}  // namespace
}  // namespace tierkv::testing
