// Tests for engine/rdb/dump_payload: byte-exact DUMP payloads of strings (vectors taken from
// redis-server 7.0.15), round trips, and Redis's RESTORE errors for damaged payloads.
#include "engine/rdb/dump_payload.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/rdb/crc64.h"

namespace tierkv {
namespace {

using namespace std::string_literals;

const char kBadFooter[] = "ERR DUMP payload version or checksum are wrong";
const char kBadFormat[] = "ERR Bad data format";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// A payload around `body`, with any version and a correct CRC.
std::string Frame(std::string body, uint16_t version = kRdbVersion) {
  body.push_back(static_cast<char>(version & 0xff));
  body.push_back(static_cast<char>(version >> 8));
  uint64_t crc = Crc64(0, body.data(), body.size());
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

void ExpectError(std::string_view payload, const char* text) {
  Result<RdbObject> object = ParseDumpPayload(payload);
  ASSERT_FALSE(object.ok()) << testing::PrintToString(std::string(payload));
  EXPECT_EQ(object.status().code(), Code::kError);
  EXPECT_EQ(object.status().message(), text);
}

struct Vector {
  std::string value;
  const char* payload_hex;  // DUMP output of redis-server 7.0.15 after SET k <value>
};

std::vector<Vector> RedisVectors() {
  return {
      {"", "00000a005d9b5c400f7fa2da"},
      {"hello", "000568656c6c6f0a006372df766534200a"},
      {"10", "00c00a0a006e9f57450eae63bb"},
      {"-1", "00c0ff0a000c937e2485089dc5"},
      {"-129", "00c17fff0a001760822854808480"},
      {"32768", "00c2008000000a0045d82eedd5bda910"},
      {"-2147483648", "00c2000000800a00c74f873e33558187"},
      {"2147483648", "000a323134373438333634380a00e7b129a34c1d76ee"},
      {"007", "00033030370a007258e27b4c69bad9"},
      {"+1", "00022b310a00c286f0d7439aee6f"},
      {"12345678901234567890", "001431323334353637383930313233343536373839300a00bd37243ee83df2b1"},
      {std::string(20, 'a'), "001461616161616161616161616161616161616161610a0083b46b5e1b11acf1"},
      {std::string(21, 'a'), "00c30615016161e00a000a00fd0cb36807413f68"},
      {Repeat("ab", 30), "00c30a3c02616261e02e010161620a00bb16d3ebae6fc574"},
      {std::string(100, 'x'), "00c3094064017878e057000178780a005db7f663bb08625f"},
      {"\0bin\0ary\0"s, "00090062696e00617279000a003e7f178da9acd66c"},
  };
}

TEST(DumpPayloadTest, DumpStringMatchesRedis) {
  for (const Vector& v : RedisVectors()) {
    EXPECT_EQ(DumpString(v.value), FromHex(v.payload_hex)) << testing::PrintToString(v.value);
  }
}

TEST(DumpPayloadTest, ParsesRedisPayloads) {
  for (const Vector& v : RedisVectors()) {
    Result<RdbObject> object = ParseDumpPayload(FromHex(v.payload_hex));
    ASSERT_TRUE(object.ok()) << object.status().message();
    EXPECT_EQ(object->type, kRdbTypeString);
    ASSERT_TRUE(object->is_string());
    EXPECT_EQ(object->string_value(), v.value);
  }
}

TEST(DumpPayloadTest, RoundTrips) {
  std::mt19937 rng(3);
  std::vector<std::string> values = {"", "0", "-42", "99999999999", "text", "\0"s};
  for (size_t n : {21u, 1000u, 100000u}) {
    std::string random(n, '\0');
    for (char& c : random) c = static_cast<char>(rng());
    values.push_back(random);
    values.push_back(Repeat("round trip ", static_cast<int>(n / 11 + 1)));
  }
  for (const std::string& v : values) {
    for (bool compress : {true, false}) {
      std::string payload = DumpString(v, {.compress = compress});
      Result<RdbObject> object = ParseDumpPayload(payload);
      ASSERT_TRUE(object.ok()) << object.status().message();
      EXPECT_EQ(object->string_value(), v);
    }
  }
}

TEST(DumpPayloadTest, CompressionOptionIsHonoured) {
  std::string value = Repeat("abc", 100);
  EXPECT_LT(DumpString(value).size(), 100u);
  EXPECT_EQ(DumpString(value, {.compress = false}).size(), 1 + 2 + value.size() + kDumpFooterSize);
}

TEST(DumpPayloadTest, FooterCarriesVersionAndChecksum) {
  std::string payload = DumpString("hello");
  ASSERT_GE(payload.size(), kDumpFooterSize);
  EXPECT_EQ(payload.substr(payload.size() - 10, 2), "\x0a\x00"s);  // RDB version 10
  Result<std::string_view> body = VerifyDumpPayload(payload);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "\x00\x05hello"s);
}

TEST(DumpPayloadTest, AcceptsVersionsOneToEleven) {
  const std::string body = "\x00\x02hi"s;
  for (uint16_t version = 1; version <= 11; ++version) {
    Result<RdbObject> object = ParseDumpPayload(Frame(body, version));
    ASSERT_TRUE(object.ok()) << "version " << version;
    EXPECT_EQ(object->string_value(), "hi");
  }
  for (uint16_t version : {0, 12, 13, 255, 0x0a01, 0xffff}) {
    ExpectError(Frame(body, version), kBadFooter);
  }
}

TEST(DumpPayloadTest, EveryTruncationIsAnError) {
  std::string text = Repeat("truncated payload ", 40);
  for (const std::string& value : {"10"s, "hello"s, text}) {
    std::string payload = DumpString(value);
    for (size_t len = 0; len < payload.size(); ++len) {
      ExpectError(std::string_view(payload).substr(0, len), kBadFooter);
    }
  }
}

TEST(DumpPayloadTest, EveryFlippedBitIsAnError) {
  std::string payload = DumpString(Repeat("flip ", 20));
  for (size_t byte = 0; byte < payload.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = payload;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      ExpectError(damaged, kBadFooter);
    }
  }
}

TEST(DumpPayloadTest, GoodFooterBadBodyIsBadDataFormat) {
  ExpectError(Frame(""), kBadFormat);                          // no object at all
  ExpectError(Frame("\x00"s), kBadFormat);                      // type without value
  ExpectError(Frame("\x00\x05hel"s), kBadFormat);               // string cut short
  ExpectError(Frame("\x00\x02hi!"s), kBadFormat);               // trailing byte
  ExpectError(Frame("\x00\xc4"s), kBadFormat);                  // unknown string encoding
  ExpectError(Frame("\x00\xc3\x02\x05\x20\x00"s), kBadFormat);  // corrupt LZF
  ExpectError(Frame("\x02\x02\x01x"s), kBadFormat);             // a set whose second member is missing
  ExpectError(Frame("\x08\x00"s), kBadFormat);                  // not a type id
  ExpectError(Frame("\xff"s), kBadFormat);                      // an opcode
  // Every truncation of a valid body, re-framed with a good CRC.
  std::string body = DumpString(Repeat("body ", 30));
  body.resize(body.size() - kDumpFooterSize);
  for (size_t len = 0; len < body.size(); ++len) ExpectError(Frame(body.substr(0, len)), kBadFormat);
}

}  // namespace
}  // namespace tierkv
