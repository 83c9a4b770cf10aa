// Tests for tiering/crc32c: CRC-32C (Castagnoli), the journal record checksum.
#include "tiering/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace tierkv {
namespace {

uint32_t Crc(std::string_view s) { return Crc32c(0, s.data(), s.size()); }

// Bit-at-a-time reference: the definition the slicing-by-8 tables must agree with.
uint32_t BitwiseCrc32c(std::string_view s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32cTest, CheckValue) { EXPECT_EQ(Crc("123456789"), 0xE3069283u); }

TEST(Crc32cTest, EmptyInputLeavesCrcUnchanged) {
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc32c(0x1234u, nullptr, 0), 0x1234u);
}

// Test vectors from RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32cTest, Rfc3720Vectors) {
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size(); ++len) {
      std::string_view piece(data.data() + start, len);
      ASSERT_EQ(Crc(piece), BitwiseCrc32c(piece)) << "start " << start << " len " << len;
    }
  }
}

TEST(Crc32cTest, IncrementalEqualsOneShot) {
  const std::string data = "The quick brown fox jumps over the lazy dog, 0123456789.";
  for (size_t split = 0; split <= data.size(); ++split) {
    const uint32_t first = Crc32c(0, data.data(), split);
    EXPECT_EQ(Crc32c(first, data.data() + split, data.size() - split), Crc(data)) << split;
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::string data = "journal record payload";
  const uint32_t original = Crc(data);
  for (size_t byte = 0; byte < data.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      data[byte] = static_cast<char>(data[byte] ^ (1 << bit));
      EXPECT_NE(Crc(data), original) << byte << ":" << bit;
      data[byte] = static_cast<char>(data[byte] ^ (1 << bit));
    }
  }
}

}  // namespace

// Whichever implementation Crc32c picked on this CPU agrees with the portable one, for
// every length and alignment around the 8-byte steps, whole and split in two.
TEST(Crc32cTest, DispatchedImplementationMatchesThePortableOne) {
  std::mt19937 rng(7);
  std::string buffer(600, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t len = 0; len < 300; len += (len < 40 ? 1 : 37)) {
      const char* data = buffer.data() + offset;
      ASSERT_EQ(Crc32c(0, data, len), Crc32cPortable(0, data, len)) << offset << " " << len;
      const size_t split = len / 3;
      ASSERT_EQ(Crc32c(Crc32c(0, data, split), data + split, len - split), Crc32cPortable(0, data, len));
    }
  }
}

}  // namespace tierkv
