// Tests for engine/rdb/lzf: round trips, liblzf-identical output, and bounds-checked
// decompression of damaged input.
#include "engine/rdb/lzf.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace tierkv {
namespace {

using namespace std::string_literals;

constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Text-like data with plenty of repeats at various distances.
std::string RepetitiveText(size_t n, uint32_t seed) {
  static const char* const kWords[] = {"tier", "kv ", "redis", " value", "cold", "hot ", "\n", "dump"};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) s += kWords[rng() % 8];
  s.resize(n);
  return s;
}

void ExpectRoundTrip(const std::string& input) {
  std::optional<std::string> compressed = LzfCompress(input, kUnbounded);
  ASSERT_TRUE(compressed.has_value()) << "size " << input.size();
  Result<std::string> restored = LzfDecompress(*compressed, input.size());
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_EQ(*restored, input);
}

TEST(LzfTest, RoundTripsRandomData) {
  for (size_t n : {1u, 2u, 3u, 4u, 5u, 31u, 32u, 33u, 100u, 8191u, 8192u, 70000u}) {
    ExpectRoundTrip(RandomBytes(n, static_cast<uint32_t>(n)));
  }
}

TEST(LzfTest, RoundTripsRepetitiveData) {
  for (size_t n : {1u, 5u, 21u, 64u, 1000u, 10000u, 100000u}) {
    ExpectRoundTrip(RepetitiveText(n, static_cast<uint32_t>(n)));
    ExpectRoundTrip(std::string(n, 'x'));
    ExpectRoundTrip(std::string(n, '\0'));
  }
}

TEST(LzfTest, RoundTripsManySmallInputs) {
  for (uint32_t seed = 0; seed < 2000; ++seed) {
    const size_t n = 1 + seed % 300;
    ExpectRoundTrip(seed % 2 ? RandomBytes(n, seed) : RepetitiveText(n, seed));
  }
}

TEST(LzfTest, RepetitiveDataShrinks) {
  std::string input = RepetitiveText(1024, 7);
  std::optional<std::string> compressed = LzfCompress(input, input.size() - 4);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_LT(compressed->size(), input.size() / 2);
}

// Verified against redis-server 7.0.15 (the compressed bytes inside DUMP payloads).
TEST(LzfTest, OutputMatchesRedis) {
  std::string abab;
  for (int i = 0; i < 30; ++i) abab += "ab";
  EXPECT_EQ(LzfCompress(abab, abab.size() - 4), "\x02" "aba" "\xe0\x2e\x01" "\x01" "ab"s);
  EXPECT_EQ(LzfCompress(std::string(21, 'a'), 17), "\x01" "aa" "\xe0\x0a\x00"s);
  EXPECT_EQ(LzfCompress(std::string(100, 'x'), 96), "\x01" "xx" "\xe0\x57\x00" "\x01" "xx"s);
}

TEST(LzfTest, GivesUpWhenOutputWouldNotFit) {
  std::string random = RandomBytes(100, 1);
  EXPECT_FALSE(LzfCompress(random, 96).has_value());
  EXPECT_FALSE(LzfCompress("", 100).has_value());
  EXPECT_FALSE(LzfCompress("abc", 0).has_value());
  for (size_t budget = 0; budget < 200; ++budget) {
    std::string input = RepetitiveText(150, 3);
    std::optional<std::string> out = LzfCompress(input, budget);
    if (out) {
      EXPECT_LE(out->size(), budget);
    }
  }
}

TEST(LzfTest, DecompressesOverlappingBackReference) {
  // 'a', then copy 9 bytes from distance 1: a run of ten 'a's.
  Result<std::string> out = LzfDecompress(std::string("\x00" "a" "\xe0\x00\x00", 5), 10);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, std::string(10, 'a'));
}

TEST(LzfTest, EmptyStreamIsEmptyOutput) {
  Result<std::string> out = LzfDecompress("", 0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "");
}

void ExpectCorrupt(std::string_view in, size_t out_len) {
  Result<std::string> out = LzfDecompress(in, out_len);
  ASSERT_FALSE(out.ok()) << "accepted " << in.size() << " bytes as " << out_len;
  EXPECT_EQ(out.status().code(), Code::kCorruption);
}

TEST(LzfTest, RejectsDamagedStreams) {
  ExpectCorrupt(std::string("\x20\x00", 2), 3);                  // back reference before start
  ExpectCorrupt(std::string("\x00" "a" "\x20\x01", 4), 4);       // distance 2 > 1 byte written
  ExpectCorrupt(std::string("\x05" "abc", 4), 6);                // literal run past end of input
  ExpectCorrupt(std::string("\x00" "a" "\xe0", 3), 10);          // long back reference cut short
  ExpectCorrupt(std::string("\x00" "a" "\xe0\x00", 4), 10);      // ... after its length byte
  ExpectCorrupt(std::string("\x00" "a" "\x20", 3), 4);           // short back reference cut short
  ExpectCorrupt(std::string("\x01" "ab", 3), 1);                 // more output than declared
  ExpectCorrupt(std::string("\x01" "ab", 3), 3);                 // less output than declared
  ExpectCorrupt(std::string("\x00" "a", 2), 0);
  ExpectCorrupt("", 1);
}

TEST(LzfTest, RejectsImpossibleSizesWithoutAllocating) {
  ExpectCorrupt("\x00" "a"s, kUnbounded);
  ExpectCorrupt(std::string(10, '\0'), 10 * kLzfMaxExpansion + 1);
}

TEST(LzfTest, EveryTruncationIsAnError) {
  for (const std::string& input : {RepetitiveText(2000, 9), RandomBytes(300, 9)}) {
    std::optional<std::string> compressed = LzfCompress(input, kUnbounded);
    ASSERT_TRUE(compressed.has_value());
    for (size_t len = 0; len < compressed->size(); ++len) {
      ExpectCorrupt(std::string_view(*compressed).substr(0, len), input.size());
    }
  }
}

// Random garbage must be rejected or decoded, never read or written out of bounds
// (this is what the sanitizer build checks).
TEST(LzfTest, GarbageNeverOverflows) {
  std::mt19937 rng(123);
  for (int i = 0; i < 20000; ++i) {
    std::string garbage = RandomBytes(1 + rng() % 64, rng());
    size_t out_len = rng() % 512;
    Result<std::string> out = LzfDecompress(garbage, out_len);
    if (out.ok()) {
      EXPECT_EQ(out->size(), out_len);
    }
  }
}

}  // namespace
}  // namespace tierkv
