// Interop test: our DUMP payload code against a real redis-server (Debian's 7.0).
//
// Starts /usr/bin/redis-server on a free loopback port and checks, for a spread of
// string values (empty, integers Redis stores as int8/16/32, wide integers, text, text
// that LZF compresses, incompressible random bytes, binary with NULs), that
//   - ParseDumpPayload decodes what Redis's DUMP returns, and our DumpString produces the
//     very same bytes;
//   - Redis RESTOREs what DumpString produces (compressed or not) to the same value;
//   - for payloads both sides reject, Redis's error text equals ours.
// Skipped (not failed) when redis-server is not installed.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "harness/server_process.h"

extern char** environ;

namespace tierkv {
namespace {

using namespace std::string_literals;

constexpr const char* kRedisServer = "/usr/bin/redis-server";

using testing::Command;
using testing::Context;
using testing::Reply;

// Debian's redis-server on a free loopback port, stopped on destruction.
struct RedisServer {
  static std::unique_ptr<testing::ServerProcess> Start() {
    return testing::ServerProcess::Start(kRedisServer, {"--daemonize", "no"});
  }
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string RepetitiveText(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "line " + std::to_string(i % 7) + ": the quick brown fox\n";
  s.resize(n);
  return s;
}

struct Case {
  const char* name;
  std::string value;
};

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      {"empty", ""},
      {"int 0", "0"},
      {"int 10", "10"},
      {"int 127", "127"},
      {"int 128", "128"},
      {"int 32767", "32767"},
      {"int 65536", "65536"},
      {"int32 max", "2147483647"},
      {"int -1", "-1"},
      {"int -128", "-128"},
      {"int -129", "-129"},
      {"int -32769", "-32769"},
      {"int32 min", "-2147483648"},
      {"int32 max + 1", "2147483648"},
      {"twenty digits", "12345678901234567890"},
      {"leading zero", "0123"},
      {"short text", "hello, world"},
      {"1 KB repetitive text", RepetitiveText(1024)},
      {"100 KB random bytes", RandomBytes(100 * 1024, 2024)},
      {"binary with NULs", "\0a\0b\0\0c\0"s},
      {"300 NULs", std::string(300, '\0')},
  };
  return cases;
}

class DumpInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(kRedisServer, &st) != 0) {
      GTEST_SKIP() << kRedisServer << " is not installed; skipping the DUMP/RESTORE interop test";
    }
    server_ = RedisServer::Start();
    ASSERT_NE(server_, nullptr) << "could not start " << kRedisServer << " on a loopback port";
    conn_ = server_->Connect();
    ASSERT_TRUE(conn_ && conn_->err == 0) << "cannot connect to redis-server on port " << server_->port();
  }

  std::string MustGet(const std::string& key) {
    Reply reply = Command(conn_.get(), {"GET", key});
    EXPECT_TRUE(reply && reply->type == REDIS_REPLY_STRING) << "GET " << key;
    if (!reply || reply->type != REDIS_REPLY_STRING) return "<no value>";
    return std::string(reply->str, reply->len);
  }

  // RESTOREs `payload` at `key`; returns "OK" or Redis's error text.
  std::string Restore(const std::string& key, const std::string& payload) {
    Reply reply = Command(conn_.get(), {"RESTORE", key, "0", payload, "REPLACE"});
    if (!reply) return "<no reply>";
    return std::string(reply->str, reply->len);
  }

  std::unique_ptr<testing::ServerProcess> server_;
  Context conn_;
};

TEST_F(DumpInteropTest, ParsesRedisDumpsAndProducesTheSameBytes) {
  std::vector<Case> cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const std::string& value = cases[i].value;
    // A distinct key per value: no value's memory is reused for the next.
    const std::string key = "dump:" + std::to_string(i);
    Reply set = Command(conn_.get(), {"SET", key, value});
    ASSERT_TRUE(set && set->type == REDIS_REPLY_STATUS);
    Reply dump = Command(conn_.get(), {"DUMP", key});
    ASSERT_TRUE(dump && dump->type == REDIS_REPLY_STRING);
    const std::string payload(dump->str, dump->len);

    Result<RdbObject> object = ParseDumpPayload(payload);
    ASSERT_TRUE(object.ok()) << object.status().message();
    ASSERT_TRUE(object->is_string());
    EXPECT_EQ(object->string_value(), value);
    EXPECT_EQ(DumpString(value), payload);
  }
}

// Many strings around every threshold (int encoding, 20-byte compression cut-off, the
// liblzf "saves 4 bytes" test, 8 KB back-reference window, 264-byte matches), each
// DUMPed by Redis and by us: the bytes must be identical.
TEST_F(DumpInteropTest, RandomValuesDumpToTheSameBytes) {
  std::mt19937 rng(99);
  for (int i = 0; i < 600; ++i) {
    const size_t sizes[] = {rng() % 12, 18 + rng() % 30, rng() % 600, rng() % 20000};
    const size_t size = sizes[i % 4];
    // Draw from a small alphabet with occasional copies of earlier stretches, so some
    // values compress a lot, some barely, some not at all.
    const unsigned alphabet = 1u + rng() % (i % 3 == 0 ? 256 : 8);
    std::string value;
    while (value.size() < size) {
      if (value.size() > 8 && rng() % 4 == 0) {
        size_t from = rng() % value.size();
        value += value.substr(from, std::min<size_t>(1 + rng() % 300, value.size() - from));
      } else {
        value.push_back(static_cast<char>(i % 5 == 0 ? '0' + rng() % 10 : rng() % alphabet));
      }
    }
    value.resize(size);
    const std::string key = "random:" + std::to_string(i);
    Reply set = Command(conn_.get(), {"SET", key, value});
    Reply dump = Command(conn_.get(), {"DUMP", key});
    ASSERT_TRUE(dump && dump->type == REDIS_REPLY_STRING);
    const std::string payload(dump->str, dump->len);
    ASSERT_EQ(DumpString(value), payload) << "value #" << i << " of size " << size;
    Result<RdbObject> object = ParseDumpPayload(payload);
    ASSERT_TRUE(object.ok());
    EXPECT_EQ(object->string_value(), value);
  }
}

TEST_F(DumpInteropTest, RepetitiveTextReallyTravelsCompressed) {
  const std::string value = RepetitiveText(1024);
  Reply set = Command(conn_.get(), {"SET", "compressed", value});
  Reply dump = Command(conn_.get(), {"DUMP", "compressed"});
  ASSERT_TRUE(dump && dump->type == REDIS_REPLY_STRING);
  ASSERT_GE(dump->len, 2u);
  EXPECT_EQ(static_cast<unsigned char>(dump->str[1]), 0xc3) << "expected the LZF string encoding";
  EXPECT_LT(dump->len, value.size() / 2);
  EXPECT_EQ(static_cast<unsigned char>(DumpString(value)[1]), 0xc3);
}

TEST_F(DumpInteropTest, RedisRestoresOurPayloads) {
  std::vector<Case> cases = Cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    for (bool compress : {true, false}) {
      const std::string key = "restore:" + std::to_string(i) + (compress ? ":lzf" : ":raw");
      ASSERT_EQ(Restore(key, DumpString(cases[i].value, {.compress = compress})), "OK");
      EXPECT_EQ(MustGet(key), cases[i].value);
    }
  }
}

TEST_F(DumpInteropTest, RejectionsUseRedisErrorTexts) {
  std::string good = DumpString("some value that is long enough to compress compress compress");
  std::string bad_crc = good;
  bad_crc.back() = static_cast<char>(bad_crc.back() ^ 1);
  std::string bad_body = good;
  bad_body[1] = static_cast<char>(0xc4);  // unknown string encoding; then fix the CRC
  bad_body.resize(bad_body.size() - kDumpFooterSize);
  AppendDumpFooter(&bad_body);
  std::string empty_body;
  AppendDumpFooter(&empty_body);

  for (const std::string& payload : {bad_crc, "short"s, good.substr(0, good.size() - 1), bad_body, empty_body}) {
    Result<RdbObject> ours = ParseDumpPayload(payload);
    ASSERT_FALSE(ours.ok());
    std::string theirs = Restore("rejected", payload);
    EXPECT_EQ(theirs, ours.status().message()) << ::testing::PrintToString(payload);
  }
}

}  // namespace
}  // namespace tierkv
