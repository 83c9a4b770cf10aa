#include <gtest/gtest.h>

#include <string>

#include "engine/digest.h"
#include "engine/sha1.h"
#include "harness/command_harness.h"

namespace tierkv {
namespace {

TEST(Sha1, Fips180TestVectors) {
  EXPECT_EQ(HexDigest(Sha1Digest("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HexDigest(Sha1Digest("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexDigest(Sha1Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HexDigest(Sha1Digest(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, PaddingBoundaries) {
  // 55, 56 and 64 bytes put the length field in the same, the next, or a fresh block.
  EXPECT_EQ(HexDigest(Sha1Digest(std::string(55, 'a'))), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(HexDigest(Sha1Digest(std::string(56, 'a'))), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(HexDigest(Sha1Digest(std::string(64, 'a'))), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Sha1, UpdatesInPiecesEqualOneUpdate) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7);
  for (size_t piece : {1u, 3u, 63u, 64u, 65u, 200u}) {
    Sha1 sha;
    for (size_t at = 0; at < data.size(); at += piece) sha.Update(std::string_view(data).substr(at, piece));
    EXPECT_EQ(sha.Final(), Sha1Digest(data)) << "piece " << piece;
  }
}

// Expected digests are redis-server 7.0's DEBUG DIGEST / DIGEST-VALUE output.
class DigestTest : public ::testing::Test {
 protected:
  static ServerSettings DebugAllowed() {
    ServerSettings settings;
    settings.enable_debug_command = "yes";
    return settings;
  }
  testing::CommandHarness h{EngineOptions{}, DebugAllowed()};
};

TEST_F(DigestTest, EmptyDatasetIsFortyZeros) {
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), "+" + std::string(40, '0') + "\r\n");
  EXPECT_EQ(HexDigest(DatasetDigest(h.shard())), std::string(40, '0'));
}

TEST_F(DigestTest, MatchesRedisForStrings) {
  h.Run({"SET", "a", "1"});
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST-VALUE", "a", "nokey"}),
            "*2\r\n+b4fc66738120fba0b5aa500ab5c2bf89cea1c5da\r\n+" + std::string(40, '0') + "\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), "+943d800368fb9c0e951138f1bc0e313ac769d91f\r\n");
  h.Run({"SET", "b", "hello"});
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST-VALUE", "b"}), "*1\r\n+36b23a1456b2dce2c3ed252c456761301dba8060\r\n");
  EXPECT_EQ(h.Run({"DEBUG", "DIGEST"}), "+2539797405e828ad7a3aa48c536b3eaf2803a421\r\n");
}

TEST_F(DigestTest, ExpireAndDatabaseChangeTheDigest) {
  h.Run({"SET", "a", "1"});
  const std::string plain = h.Run({"DEBUG", "DIGEST"});
  h.Run({"PEXPIREAT", "a", "4102444800000"});
  EXPECT_NE(h.Run({"DEBUG", "DIGEST"}), plain);
  h.Run({"FLUSHALL"});
  h.Run({"SELECT", "1"});
  h.Run({"SET", "a", "1"});
  EXPECT_NE(h.Run({"DEBUG", "DIGEST"}), plain);
}

}  // namespace
}  // namespace tierkv
