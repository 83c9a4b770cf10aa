// The generator's reply scanner: where a reply ends, and whether it is an error or a miss.
#include "tools/bench/resp.h"

#include <gtest/gtest.h>

namespace tierkv::bench {
namespace {

TEST(RespScanTest, ScalarsAndBulks) {
  auto ok = ScanReply("+OK\r\n$3\r\nfoo\r\n");
  EXPECT_EQ(ok.kind, ReplyInfo::Kind::kOk);
  EXPECT_EQ(ok.length, 5u);
  EXPECT_FALSE(ok.error);
  auto bulk = ScanReply("$3\r\nfoo\r\n");
  EXPECT_EQ(bulk.length, 9u);
  EXPECT_FALSE(bulk.empty);
  EXPECT_TRUE(ScanReply("$-1\r\n").empty);
  EXPECT_TRUE(ScanReply("_\r\n").empty);
  EXPECT_TRUE(ScanReply("-ERR no\r\n").error);
  EXPECT_TRUE(ScanReply("*0\r\n").empty);
  EXPECT_TRUE(ScanReply("*-1\r\n").empty);
  EXPECT_EQ(ScanReply(":12\r\n").length, 5u);
}

TEST(RespScanTest, PartialRepliesAreIncomplete) {
  const std::string whole = "*2\r\n$3\r\nfoo\r\n%1\r\n+a\r\n:1\r\n";
  for (size_t n = 0; n < whole.size(); ++n) {
    EXPECT_EQ(ScanReply(whole.substr(0, n)).kind, ReplyInfo::Kind::kIncomplete) << n;
  }
  auto full = ScanReply(whole);
  EXPECT_EQ(full.kind, ReplyInfo::Kind::kOk);
  EXPECT_EQ(full.length, whole.size());
}

TEST(RespScanTest, Resp3AggregatesAndAttributes) {
  EXPECT_EQ(ScanReply("%2\r\n+a\r\n:1\r\n+b\r\n,1.5\r\n").length, 22u);
  auto with_attribute = ScanReply("|1\r\n+ttl\r\n:3\r\n$1\r\nx\r\n");
  EXPECT_EQ(with_attribute.type, '$');
  EXPECT_EQ(with_attribute.length, 21u);
  EXPECT_EQ(ScanReply(">2\r\n+message\r\n+x\r\n").type, '>');
  EXPECT_TRUE(ScanReply("!3\r\nbad\r\n").error);
}

TEST(RespScanTest, GarbageIsMalformed) {
  EXPECT_EQ(ScanReply("?\r\n").kind, ReplyInfo::Kind::kMalformed);
  EXPECT_EQ(ScanReply("$x\r\n").kind, ReplyInfo::Kind::kMalformed);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  EXPECT_EQ(ScanReply(deep).kind, ReplyInfo::Kind::kMalformed);
}

}  // namespace
}  // namespace tierkv::bench
