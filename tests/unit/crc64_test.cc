// Tests for engine/rdb/crc64: Redis's CRC-64 (Jones, reflected).
#include "engine/rdb/crc64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace tierkv {
namespace {

uint64_t Crc(std::string_view s) { return Crc64(0, s.data(), s.size()); }

// Bit-at-a-time reference: the definition the table must agree with.
uint64_t BitwiseCrc64(std::string_view s) {
  uint64_t crc = 0;
  for (unsigned char c : s) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

TEST(Crc64Test, CheckValue) { EXPECT_EQ(Crc("123456789"), 0xe9c6d914c4b8d9caULL); }

TEST(Crc64Test, EmptyInputLeavesCrcUnchanged) {
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc64(0x1234, nullptr, 0), 0x1234u);
}

// Verified against redis-server 7.0.15: DUMP of "SET k 10" ends with these 8 bytes
// ("n\x9fWE\x0e\xaec\xbb"), the CRC of the 5 bytes before them, little-endian.
TEST(Crc64Test, MatchesRedisDumpFooter) {
  EXPECT_EQ(Crc(std::string_view("\x00\xc0\x0a\x0a\x00", 5)), 0xbb63ae0e45579f6eULL);
}

TEST(Crc64Test, IncrementalEqualsOneShot) {
  const std::string data = "The quick brown fox jumps over the lazy dog, 0123456789.";
  for (size_t split = 0; split <= data.size(); ++split) {
    uint64_t crc = Crc64(0, data.data(), split);
    crc = Crc64(crc, data.data() + split, data.size() - split);
    EXPECT_EQ(crc, Crc(data)) << "split at " << split;
  }
}

TEST(Crc64Test, TableAgreesWithBitwiseDefinition) {
  std::mt19937 rng(42);
  for (size_t len : {1u, 2u, 7u, 8u, 255u, 1000u, 4096u}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    EXPECT_EQ(Crc(data), BitwiseCrc64(data)) << "len " << len;
  }
}

}  // namespace
}  // namespace tierkv
