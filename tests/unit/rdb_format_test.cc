// Tests for engine/rdb/rdb_format: length and string encodings, byte-exact with Redis, and a
// reader that rejects every damaged or truncated input.
#include "engine/rdb/rdb_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace tierkv {
namespace {

using namespace std::string_literals;

std::string EncodeLength(uint64_t len) {
  std::string out;
  RdbWriter(&out).WriteLength(len);
  return out;
}

std::string EncodeString(std::string_view value, RdbWriteOptions options = {}) {
  std::string out;
  RdbWriter(&out, options).WriteString(value);
  return out;
}

std::string DecodeString(std::string_view encoded) {
  RdbReader reader(encoded);
  Result<std::string> value = reader.ReadString();
  EXPECT_TRUE(value.ok()) << value.status().message();
  EXPECT_TRUE(reader.at_end());
  return value.ok() ? *value : "<error>";
}

TEST(RdbFormatTest, LengthEncodings) {
  EXPECT_EQ(EncodeLength(0), "\x00"s);
  EXPECT_EQ(EncodeLength(63), "\x3f"s);
  EXPECT_EQ(EncodeLength(64), "\x40\x40"s);
  EXPECT_EQ(EncodeLength(300), "\x41\x2c"s);
  EXPECT_EQ(EncodeLength(16383), "\x7f\xff"s);
  EXPECT_EQ(EncodeLength(16384), "\x80\x00\x00\x40\x00"s);
  EXPECT_EQ(EncodeLength(0xffffffffULL), "\x80\xff\xff\xff\xff"s);
  EXPECT_EQ(EncodeLength(0x100000000ULL), "\x81\x00\x00\x00\x01\x00\x00\x00\x00"s);
  EXPECT_EQ(EncodeLength(std::numeric_limits<uint64_t>::max()), "\x81\xff\xff\xff\xff\xff\xff\xff\xff"s);
}

TEST(RdbFormatTest, LengthsRoundTrip) {
  std::vector<uint64_t> lengths = {0, 1, 63, 64, 65, 16383, 16384, 65535, 0xffffffffULL,
                                   0x100000000ULL, std::numeric_limits<uint64_t>::max()};
  std::string buffer;
  RdbWriter writer(&buffer);
  for (uint64_t len : lengths) writer.WriteLength(len);
  RdbReader reader(buffer);
  for (uint64_t len : lengths) {
    Result<uint64_t> read = reader.ReadLength();
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, len);
  }
  EXPECT_TRUE(reader.at_end());
}

TEST(RdbFormatTest, SpecialEncodingMarkers) {
  for (uint8_t enc : {kRdbEncInt8, kRdbEncInt16, kRdbEncInt32, kRdbEncLzf}) {
    std::string byte(1, static_cast<char>(0xc0 | enc));
    RdbReader reader(byte);
    Result<RdbLength> len = reader.ReadLengthOrEncoding();
    ASSERT_TRUE(len.ok());
    EXPECT_TRUE(len->encoded);
    EXPECT_EQ(len->value, enc);
    RdbReader strict(byte);
    EXPECT_FALSE(strict.ReadLength().ok()) << "a marker is not a length";
  }
}

TEST(RdbFormatTest, RejectsBadLengths) {
  for (int b = 0x82; b <= 0xbf; ++b) {
    std::string data(1, static_cast<char>(b));
    data += std::string(8, '\0');
    RdbReader reader(data);
    Result<RdbLength> len = reader.ReadLengthOrEncoding();
    ASSERT_FALSE(len.ok()) << "first byte " << b;
    EXPECT_EQ(len.status().code(), Code::kCorruption);
  }
  for (const std::string& truncated : {""s, "\x40"s, "\x80\x00\x00\x00"s, "\x81\x00\x00\x00\x00\x00\x00\x00"s}) {
    RdbReader reader(truncated);
    EXPECT_FALSE(reader.ReadLengthOrEncoding().ok()) << truncated.size() << " bytes";
  }
}

// Every expected encoding here was read from redis-server 7.0.15's DUMP output.
TEST(RdbFormatTest, IntegerLookingStringsUseRedisEncodings) {
  EXPECT_EQ(EncodeString("0"), "\xc0\x00"s);
  EXPECT_EQ(EncodeString("10"), "\xc0\x0a"s);
  EXPECT_EQ(EncodeString("-1"), "\xc0\xff"s);
  EXPECT_EQ(EncodeString("127"), "\xc0\x7f"s);
  EXPECT_EQ(EncodeString("-128"), "\xc0\x80"s);
  EXPECT_EQ(EncodeString("128"), "\xc1\x80\x00"s);
  EXPECT_EQ(EncodeString("-129"), "\xc1\x7f\xff"s);
  EXPECT_EQ(EncodeString("32767"), "\xc1\xff\x7f"s);
  EXPECT_EQ(EncodeString("-32768"), "\xc1\x00\x80"s);
  EXPECT_EQ(EncodeString("32768"), "\xc2\x00\x80\x00\x00"s);
  EXPECT_EQ(EncodeString("-32769"), "\xc2\xff\x7f\xff\xff"s);
  EXPECT_EQ(EncodeString("2147483647"), "\xc2\xff\xff\xff\x7f"s);
  EXPECT_EQ(EncodeString("-2147483648"), "\xc2\x00\x00\x00\x80"s);
}

TEST(RdbFormatTest, NonCanonicalOrWideIntegersStayRaw) {
  EXPECT_EQ(EncodeString("2147483648"), "\x0a" "2147483648"s);
  EXPECT_EQ(EncodeString("-2147483649"), "\x0b" "-2147483649"s);
  EXPECT_EQ(EncodeString("007"), "\x03" "007"s);
  EXPECT_EQ(EncodeString("-0"), "\x02" "-0"s);
  EXPECT_EQ(EncodeString("+1"), "\x02" "+1"s);
  EXPECT_EQ(EncodeString(" 1"), "\x02" " 1"s);
  EXPECT_EQ(EncodeString("1 "), "\x02" "1 "s);
  EXPECT_EQ(EncodeString("1\0"s), "\x02" "1\0"s);
  EXPECT_EQ(EncodeString(""), "\x00"s);
  EXPECT_EQ(EncodeString("12345678901234567890"), "\x14" "12345678901234567890"s);
}

TEST(RdbFormatTest, WriteIntegerStringMatchesWriteString) {
  const int64_t values[] = {0, 1, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769,
                            2147483647, 2147483648LL, -2147483648LL, -2147483649LL,
                            std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  for (int64_t v : values) {
    std::string via_int;
    RdbWriter(&via_int).WriteIntegerString(v);
    EXPECT_EQ(via_int, EncodeString(std::to_string(v))) << v;
    EXPECT_EQ(DecodeString(via_int), std::to_string(v));
  }
}

TEST(RdbFormatTest, CompressesLongStringsLikeRedis) {
  EXPECT_EQ(EncodeString(std::string(20, 'a')), "\x14"s + std::string(20, 'a'));  // too short
  EXPECT_EQ(EncodeString(std::string(21, 'a')), "\xc3\x06\x15" "\x01" "aa" "\xe0\x0a\x00"s);
  EXPECT_EQ(EncodeString(std::string(21, 'a'), {.compress = false}), "\x15"s + std::string(21, 'a'));
  std::string random(100, '\0');
  std::mt19937 rng(5);
  for (char& c : random) c = static_cast<char>(rng());
  EXPECT_EQ(EncodeString(random), "\x40\x64"s + random);  // incompressible: stored raw
}

TEST(RdbFormatTest, StringsRoundTrip) {
  std::mt19937 rng(11);
  std::vector<std::string> values = {"", "a", "0", "-5", "300", "70000", "-2147483648", "007",
                                     "hello world", "\0\0\0"s, std::string(64, 'z'),
                                     std::string(20000, 'q')};
  for (size_t n : {21u, 100u, 16384u, 100000u}) {
    std::string random(n, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    values.push_back(random);
    std::string text;
    while (text.size() < n) text += "some repetitive text " + std::to_string(rng() % 10);
    values.push_back(text.substr(0, n));
  }
  for (const std::string& v : values) {
    for (bool compress : {true, false}) {
      EXPECT_EQ(DecodeString(EncodeString(v, {.compress = compress})), v) << "size " << v.size();
    }
  }
}

TEST(RdbFormatTest, EveryTruncatedStringIsAnError) {
  std::string text;
  while (text.size() < 500) text += "truncate me ";
  for (const std::string& v : {"-30000"s, "70000"s, "hi"s, std::string(100, 'r'), text}) {
    std::string encoded = EncodeString(v);
    for (size_t len = 0; len < encoded.size(); ++len) {
      RdbReader reader(std::string_view(encoded).substr(0, len));
      Result<std::string> read = reader.ReadString();
      ASSERT_FALSE(read.ok()) << "value of size " << v.size() << " cut to " << len;
      EXPECT_EQ(read.status().code(), Code::kCorruption);
    }
  }
}

TEST(RdbFormatTest, RejectsDamagedStrings) {
  const std::string damaged[] = {
      "\xc4"s,                              // unknown special encoding
      "\xff"s,                              // unknown special encoding
      "\xc3\xc0\x05" "abcde"s,              // LZF compressed length is a marker
      "\xc3\x02\x05" "\x20\x00"s,           // LZF back reference before start
      "\xc3\x02\x05" "\x01" "a"s,           // LZF data cut short
      "\xc3\x02\x03" "\x00" "a"s,           // LZF decodes to less than declared
      "\xc3\x03\x01" "\x01" "ab"s,          // LZF decodes to more than declared
      "\xc3\x01\x81\x7f\xff\xff\xff\xff\xff\xff\xff" "\x00"s,  // absurd declared size
      "\x80\x7f\xff\xff\xff" "abc"s,        // raw length past the end
  };
  for (const std::string& bytes : damaged) {
    RdbReader reader(bytes);
    Result<std::string> read = reader.ReadString();
    ASSERT_FALSE(read.ok()) << testing::PrintToString(bytes);
    EXPECT_EQ(read.status().code(), Code::kCorruption);
  }
}

// Randomly damaged encodings must be decoded or rejected, never read out of bounds
// (this is what the sanitizer build checks).
TEST(RdbFormatTest, MutatedStringsNeverOverflow) {
  std::mt19937 rng(77);
  std::string text;
  while (text.size() < 300) text += "mutate " + std::to_string(rng() % 100);
  const std::string seeds[] = {EncodeString("-30000"), EncodeString("hello"), EncodeString(text),
                               EncodeString(std::string(5000, 'm'))};
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = seeds[i % 4];
    for (int flips = 1 + rng() % 3; flips > 0; --flips) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 2) bytes.resize(rng() % (bytes.size() + 1));
    RdbReader reader(bytes);
    Result<std::string> read = reader.ReadString();
    if (!read.ok()) {
      EXPECT_EQ(read.status().code(), Code::kCorruption);
    }
  }
}

TEST(RdbFormatTest, FixedWidthLittleEndian) {
  std::string out;
  RdbWriter writer(&out);
  writer.WriteUint16LE(0x0a0b);
  writer.WriteUint64LE(0x0102030405060708ULL);
  EXPECT_EQ(out, "\x0b\x0a\x08\x07\x06\x05\x04\x03\x02\x01"s);
  RdbReader reader(out);
  EXPECT_EQ(*reader.ReadUint16LE(), 0x0a0b);
  EXPECT_EQ(*reader.ReadUint64LE(), 0x0102030405060708ULL);
  EXPECT_TRUE(reader.at_end());
  EXPECT_FALSE(reader.ReadUint16LE().ok());
  RdbReader short_reader(std::string_view(out).substr(0, 7));
  EXPECT_FALSE(short_reader.ReadUint64LE().ok());
}

TEST(RdbFormatTest, ObjectTypeIds) {
  EXPECT_EQ(kRdbTypeString, 0);
  EXPECT_EQ(kRdbTypeHashListpack, 16);
  EXPECT_EQ(kRdbTypeStreamListpacks3, 21);
  EXPECT_TRUE(IsRdbObjectType(kRdbTypeModule2));
  EXPECT_FALSE(IsRdbObjectType(8));
  EXPECT_TRUE(IsRdbObjectType(kRdbTypeHashZipmap));
  EXPECT_TRUE(IsRdbObjectType(kRdbTypeStreamListpacks3));
  EXPECT_FALSE(IsRdbObjectType(22));
  EXPECT_FALSE(IsRdbObjectType(kRdbOpcodeEof));
}

}  // namespace
}  // namespace tierkv
