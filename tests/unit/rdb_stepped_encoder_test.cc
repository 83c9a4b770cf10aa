// Tests for engine/rdb/rdb_value_cursor.h (RdbSteppedEncoder) and rdb_encode_sink.h: a huge
// value of every type serialized a bounded step at a time assembles to exactly the bytes
// of the one-go encoding, which are DUMP's payload, and takes many steps to get there.
//
// Values are built with commands (the command harness), so that they have the encodings
// and shapes real commands give them (quicklist nodes and plain nodes, resized tables,
// skiplists, stream nodes and consumer groups).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_object.h"
#include "engine/rdb/rdb_value_cursor.h"
#include "harness/command_harness.h"

namespace tierkv {
namespace {

using testing::CommandHarness;

constexpr size_t kStep = 64u << 10;

// `size` bytes that LZF compresses somewhat (repeats within a small alphabet), different
// for every `seed`.
std::string Text(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string text(size, ' ');
  for (char& c : text) c = static_cast<char>('a' + rng() % 8);
  return text;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

class RdbSteppedEncoderTest : public ::testing::Test {
 protected:
  void Run(std::vector<std::string> args) {
    const std::string reply = harness_.Run(args);
    ASSERT_TRUE(reply.empty() || reply[0] != '-') << args[0] << " replied " << reply;
  }
  // Runs `command` with `args` and `per_call` more arguments at a time from `arguments`.
  void RunInCalls(const std::vector<std::string>& command, const std::vector<std::string>& arguments,
                  size_t per_call) {
    for (size_t i = 0; i < arguments.size(); i += per_call) {
      std::vector<std::string> args = command;
      for (size_t j = i; j < std::min(arguments.size(), i + per_call); ++j) args.push_back(arguments[j]);
      Run(args);
    }
  }

  const Entry& EntryOf(const std::string& key) {
    const Entry* entry = harness_.shard().db(0).Peek(key);
    EXPECT_NE(entry, nullptr) << key;
    return *entry;
  }

  static std::string OneGo(const Entry& entry) {
    std::string bytes;
    RdbWriter writer(&bytes);
    WriteRdbObject(writer, entry);
    return bytes;
  }

  // The object bytes of DUMP's payload (without its version and checksum footer).
  std::string DumpObject(const std::string& key) {
    const std::string reply = harness_.Run({"DUMP", key});
    const size_t header_end = reply.find("\r\n");
    EXPECT_EQ(reply[0], '$');
    const size_t length = std::stoul(reply.substr(1, header_end - 1));
    const std::string payload = reply.substr(header_end + 2, length);
    auto object = VerifyDumpPayload(payload);
    EXPECT_TRUE(object.ok());
    return object.ok() ? std::string(*object) : std::string();
  }

  // Serializes `key` in steps of kStep; expects the bytes of the one-go encoding and of
  // DUMP, in at least `min_steps` steps.
  void ExpectSteppedEqualsOneGo(const std::string& key, size_t min_steps) {
    const Entry& entry = EntryOf(key);
    const std::string one_go = OneGo(entry);
    RdbSteppedEncoder encoder(entry, kStep);
    size_t steps = 1;
    while (!encoder.Step(kStep)) ++steps;
    const std::string stepped = encoder.Take().Assemble();
    EXPECT_GE(steps, min_steps) << key << ": " << one_go.size() << " bytes";
    EXPECT_EQ(stepped.size(), one_go.size()) << key;
    EXPECT_TRUE(stepped == one_go) << key << ": the stepped encoding differs";
    EXPECT_TRUE(DumpObject(key) == one_go) << key << ": DUMP's payload differs";
  }

  CommandHarness harness_;
};

TEST_F(RdbSteppedEncoderTest, HugeQuicklistWithPlainNodesEqualsTheOneGoEncoding) {
  std::vector<std::string> elements;
  for (int i = 0; i < 30000; ++i) elements.push_back(Text(100, i));
  RunInCalls({"RPUSH", "list"}, elements, 1000);
  Run({"RPUSH", "list", Text(1u << 20, 1), RandomBytes(300u << 10, 2), "tail"});  // plain nodes
  ExpectSteppedEqualsOneGo("list", 20);
}

TEST_F(RdbSteppedEncoderTest, HugeHashtableHashEqualsTheOneGoEncoding) {
  std::vector<std::string> pairs;
  for (int i = 0; i < 30000; ++i) {
    pairs.push_back("field:" + std::to_string(i));
    pairs.push_back(Text(64, i));
  }
  RunInCalls({"HSET", "hash"}, pairs, 2000);
  Run({"HSET", "hash", "big", Text(1u << 20, 3)});
  ExpectSteppedEqualsOneGo("hash", 20);
}

TEST_F(RdbSteppedEncoderTest, HugeHashtableSetEqualsTheOneGoEncoding) {
  std::vector<std::string> members;
  for (int i = 0; i < 40000; ++i) members.push_back("member:" + std::to_string(i) + Text(40, i));
  RunInCalls({"SADD", "set"}, members, 1000);
  ExpectSteppedEqualsOneGo("set", 20);
}

TEST_F(RdbSteppedEncoderTest, HugeSkiplistZSetEqualsTheOneGoEncoding) {
  std::vector<std::string> pairs;
  for (int i = 0; i < 40000; ++i) {
    pairs.push_back(std::to_string(i * 0.5));
    pairs.push_back("member:" + std::to_string(i) + Text(30, i));
  }
  RunInCalls({"ZADD", "zset"}, pairs, 2000);
  ExpectSteppedEqualsOneGo("zset", 20);
}

TEST_F(RdbSteppedEncoderTest, HugeStreamWithGroupsEqualsTheOneGoEncoding) {
  for (int i = 0; i < 20000; ++i) Run({"XADD", "stream", "*", "field", Text(60, i), "n", std::to_string(i)});
  Run({"XGROUP", "CREATE", "stream", "readers", "0"});
  Run({"XREADGROUP", "GROUP", "readers", "alice", "COUNT", "100", "STREAMS", "stream", ">"});
  ExpectSteppedEqualsOneGo("stream", 10);
}

TEST_F(RdbSteppedEncoderTest, HugeStringsEqualTheOneGoEncoding) {
  Run({"SET", "compressible", Text(3u << 20, 4)});
  ExpectSteppedEqualsOneGo("compressible", 40);
  Run({"SET", "incompressible", RandomBytes(3u << 20, 5)});
  ExpectSteppedEqualsOneGo("incompressible", 40);
}

TEST_F(RdbSteppedEncoderTest, SmallValuesTakeOneStep) {
  Run({"SET", "string", "value"});
  Run({"RPUSH", "list", "a", "b"});
  Run({"HSET", "hash", "f", "v"});
  Run({"SADD", "intset", "1", "2"});
  Run({"SADD", "set", "a", "b"});
  Run({"ZADD", "zset", "1", "a"});
  Run({"XADD", "stream", "*", "f", "v"});
  for (const char* key : {"string", "list", "hash", "intset", "set", "zset", "stream"}) {
    ExpectSteppedEqualsOneGo(key, 1);
    RdbSteppedEncoder encoder(EntryOf(key), kStep);
    EXPECT_TRUE(encoder.Step(kStep)) << key;
  }
}

}  // namespace
}  // namespace tierkv
