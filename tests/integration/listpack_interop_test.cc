// Interop test: our Listpack against the listpacks a real redis-server (Debian's 7.0)
// writes. Builds small hashes (and a list) there with HSET/HDEL/RPUSH, DUMPs them, takes
// the listpack blob out of the payload (a hash is RDB type 16 = <RDB string: listpack>;
// a list is type 18 = <node count> (<container> <RDB string: listpack>)*), and checks
// that a Listpack fed the same values through Append/Replace/Erase has identical
// bytes(), and that FromBytes accepts Redis's blob and reads the same values back.
// Skipped (not failed) when redis-server is not installed.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_format.h"
#include "engine/types/listpack.h"
#include "harness/server_process.h"

namespace tierkv {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr uint8_t kRdbTypeHashListpack = 16;
constexpr uint8_t kRdbTypeListQuicklist2 = 18;
constexpr uint64_t kQuicklistNodePacked = 2;

using testing::Command;
using testing::Context;
using testing::Reply;

std::vector<std::string> Values(const Listpack& lp) {
  std::vector<std::string> out;
  Listpack::IntBuffer scratch;
  for (Listpack::Pos p = lp.First(); p != Listpack::kEnd; p = lp.Next(p)) out.emplace_back(lp.Get(p, scratch));
  return out;
}

class ListpackInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(kRedisServer, &st) != 0) GTEST_SKIP() << kRedisServer << " is not installed";
    server_ = testing::ServerProcess::Start(kRedisServer, {"--daemonize", "no"});
    ASSERT_NE(server_, nullptr) << "could not start " << kRedisServer;
    conn_ = server_->Connect();
    ASSERT_TRUE(conn_ && conn_->err == 0);
    // Big values must stay in a listpack too.
    Run({"CONFIG", "SET", "hash-max-listpack-value", "1000000"});
    Run({"CONFIG", "SET", "hash-max-listpack-entries", "100000"});
  }

  Reply Run(const std::vector<std::string>& args) {
    Reply reply = Command(conn_.get(), args);
    EXPECT_TRUE(reply && reply->type != REDIS_REPLY_ERROR) << args[0] << ": " << (reply ? reply->str : "no reply");
    return reply;
  }

  // A list is "quicklist" in Redis 7.0 and "listpack" in 7.2; both DUMP as type 18.
  std::string Dump(const std::string& key, bool check_listpack_encoding = true) {
    Reply encoding = Run({"OBJECT", "ENCODING", key});
    if (check_listpack_encoding) {
      EXPECT_EQ(std::string(encoding->str, encoding->len), "listpack") << key;
    }
    Reply dump = Run({"DUMP", key});
    EXPECT_EQ(dump->type, REDIS_REPLY_STRING);
    return std::string(dump->str, dump->len);
  }

  // The listpack blob of a hash DUMPed by Redis.
  std::string HashBlob(const std::string& key) {
    const std::string payload = Dump(key);
    Result<std::string_view> object = VerifyDumpPayload(payload);
    EXPECT_TRUE(object.ok());
    if (!object.ok()) return {};
    RdbReader reader(*object);
    Result<uint8_t> type = reader.ReadByte();
    EXPECT_TRUE(type.ok() && *type == kRdbTypeHashListpack);
    Result<std::string> blob = reader.ReadString();
    EXPECT_TRUE(blob.ok());
    EXPECT_TRUE(reader.at_end());
    return blob.ok() ? *blob : std::string();
  }

  // Applies HSET to both Redis and our listpack the way a listpack hash does: replace
  // the value of an existing field, append field and value otherwise.
  void HSet(const std::string& key, Listpack* ours, const std::string& field, const std::string& value) {
    Run({"HSET", key, field, value});
    const Listpack::Pos pos = ours->Find(field, ours->First(), 1);
    if (pos == Listpack::kEnd) {
      ours->Append(field);
      ours->Append(value);
    } else {
      ours->Replace(ours->Next(pos), value);
    }
  }

  void HDel(const std::string& key, Listpack* ours, const std::string& field) {
    Run({"HDEL", key, field});
    const Listpack::Pos pos = ours->Find(field, ours->First(), 1);
    ASSERT_NE(pos, Listpack::kEnd) << field;
    ours->Erase(pos, 2);
  }

  void ExpectSameAsRedis(const std::string& key, const Listpack& ours) {
    const std::string blob = HashBlob(key);
    EXPECT_EQ(ours.bytes(), blob);
    Result<Listpack> theirs = Listpack::FromBytes(blob);
    ASSERT_TRUE(theirs.ok()) << theirs.status().message();
    EXPECT_EQ(Values(*theirs), Values(ours));
  }

  std::unique_ptr<testing::ServerProcess> server_;
  Context conn_;
};

std::string Text(size_t n, char seed) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

TEST_F(ListpackInteropTest, HashOfMixedIntegersAndStringsHasTheSameBytes) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"name", "tierkv"},
      {"0", "127"},
      {"128", "-1"},
      {"-4096", "4095"},
      {"4096", "-4097"},
      {"32767", "-32768"},
      {"32768", "-32769"},
      {"8388607", "-8388608"},
      {"8388608", "2147483647"},
      {"-2147483648", "2147483648"},
      {"9223372036854775807", "-9223372036854775808"},
      {"9223372036854775808", "-9223372036854775809"},
      {"01", "+1"},
      {"-0", "1.5"},
      {" 7", "7 "},
      {"", "empty field"},
      {"12345678901234567890", "-"},
      {std::string("bin\0ary", 7), std::string("\xff\x00\xfe", 3)},
  };
  Listpack ours;
  for (const auto& [field, value] : pairs) HSet("h", &ours, field, value);
  ExpectSameAsRedis("h", ours);
}

TEST_F(ListpackInteropTest, HashOfStringsAtEveryLengthBoundaryHasTheSameBytes) {
  Listpack ours;
  const size_t lengths[] = {0, 1, 63, 64, 125, 126, 4095, 4096, 16377, 16378, 70000};
  for (size_t i = 0; i < std::size(lengths); ++i) {
    HSet("big", &ours, "f" + std::to_string(i), Text(lengths[i], static_cast<char>('a' + i)));
  }
  ExpectSameAsRedis("big", ours);
}

TEST_F(ListpackInteropTest, HashAfterUpdatesAndDeletionsHasTheSameBytes) {
  Listpack ours;
  for (int i = 0; i < 40; ++i) HSet("edit", &ours, "field:" + std::to_string(i), std::to_string(i * 37 - 500));
  HSet("edit", &ours, "field:3", Text(200, 'x'));     // grows, crosses 1-byte backlen
  HSet("edit", &ours, "field:5", "5");                 // int to smaller int
  HSet("edit", &ours, "field:7", Text(5000, 'y'));    // to a 32-bit string
  HSet("edit", &ours, "field:7", "-99999999999");      // and back to a 64-bit integer
  HSet("edit", &ours, "field:39", "last");
  HDel("edit", &ours, "field:0");
  HDel("edit", &ours, "field:20");
  HDel("edit", &ours, "field:39");
  HSet("edit", &ours, "field:0", "back at the end");
  ExpectSameAsRedis("edit", ours);
}

TEST_F(ListpackInteropTest, ListNodeHasTheSameBytes) {
  std::vector<std::string> values = {"a", "1", "-1", "300", "70000", "-5000000000", "hello world", Text(100, 'k')};
  std::vector<std::string> command = {"RPUSH", "list"};
  command.insert(command.end(), values.begin(), values.end());
  Run(command);
  Run({"LPUSH", "list", "head"});
  values.insert(values.begin(), "head");

  const std::string payload = Dump("list", /*check_listpack_encoding=*/false);
  Result<std::string_view> object = VerifyDumpPayload(payload);
  ASSERT_TRUE(object.ok());
  RdbReader reader(*object);
  Result<uint8_t> type = reader.ReadByte();
  ASSERT_TRUE(type.ok());
  ASSERT_EQ(*type, kRdbTypeListQuicklist2);
  Result<uint64_t> nodes = reader.ReadLength();
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(*nodes, 1u);
  Result<uint64_t> container = reader.ReadLength();
  ASSERT_TRUE(container.ok());
  ASSERT_EQ(*container, kQuicklistNodePacked);
  Result<std::string> blob = reader.ReadString();
  ASSERT_TRUE(blob.ok());
  EXPECT_TRUE(reader.at_end());

  Listpack ours;
  for (size_t i = 1; i < values.size(); ++i) ours.Append(values[i]);
  ours.Prepend("head");
  EXPECT_EQ(ours.bytes(), *blob);
  Result<Listpack> theirs = Listpack::FromBytes(*blob);
  ASSERT_TRUE(theirs.ok());
  EXPECT_EQ(Values(*theirs), values);
}

}  // namespace
}  // namespace tierkv
