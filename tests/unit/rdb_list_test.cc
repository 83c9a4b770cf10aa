// RDB encodings of lists (engine/rdb/rdb_list.cc): byte equality with a Redis 7.0 DUMP,
// round trips of both encodings and of plain nodes, the encodings read on load, the old
// plain-list encoding, and damaged input (every truncation, random byte flips) ending in
// Corruption or a valid list, never a crash.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/rdb/dump_payload.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/rdb/rdb_object.h"
#include "engine/types/list/list_value.h"

namespace tierkv {
namespace {

using namespace std::string_literals;

std::string Serialize(const ListValue& list) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbList(writer, list);
  return out;
}

Result<RdbObject> Parse(std::string_view bytes, int64_t fill = -2) {
  EncodingLimits limits;
  limits.list_max_listpack_size = fill;
  RdbReader reader(bytes);
  auto object = ReadRdbObject(reader, limits);
  if (object.ok() && !reader.at_end()) return Status::Corruption("trailing bytes");
  return object;
}

const ListValue& AsList(const RdbObject& object) {
  return static_cast<const ListValue&>(*std::get<RdbCollection>(object.value).object);
}

std::vector<std::string> Elements(const ListValue& list) {
  std::vector<std::string> out;
  list.ForEach([&](std::string_view element) { out.emplace_back(element); });
  return out;
}

ListValue Build(const std::vector<std::string>& values, int64_t fill) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(fill);
  ListValue list;
  for (const std::string& value : values) {
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
  }
  return list;
}

// DUMP of RPUSH k a 1 -2 foo 12345678901 from redis-server 7.0.15, without its footer.
const std::string kRedisSmallList =
    "\x12\x01\x02\x1e\x1e\x00\x00\x00\x05\x00\x81" "a\x02\x01\x01\xdf\xfe\x02\x83" "foo\x04\xf4"
    "5\x1c\xdc\xdf\x02\x00\x00\x00\t\xff"s;

TEST(RdbListTest, SmallListBytesEqualRedis) {
  const ListValue list = Build({"a", "1", "-2", "foo", "12345678901"}, -2);
  ASSERT_TRUE(list.is_listpack());
  EXPECT_EQ(Serialize(list), kRedisSmallList);
  auto parsed = Parse(kRedisSmallList);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->type, kRdbTypeListQuicklist2);
  EXPECT_EQ(AsList(*parsed).encoding(), Encoding::kListpack);
  EXPECT_EQ(Elements(AsList(*parsed)), (std::vector<std::string>{"a", "1", "-2", "foo", "12345678901"}));
}

TEST(RdbListTest, QuicklistRoundTripKeepsNodesAndPlainElements) {
  std::vector<std::string> values;
  for (int i = 0; i < 3000; ++i) values.push_back("element-" + std::to_string(i));
  values.insert(values.begin() + 1000, std::string(20000, 'P'));  // a plain node
  values.push_back(std::to_string(-123456789));
  const ListValue list = Build(values, -2);
  ASSERT_FALSE(list.is_listpack());
  const std::string bytes = Serialize(list);
  auto parsed = Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const ListValue& loaded = AsList(*parsed);
  ASSERT_EQ(loaded.encoding(), Encoding::kQuicklist);
  EXPECT_EQ(Elements(loaded), values);
  ASSERT_EQ(loaded.quicklist()->node_count(), list.quicklist()->node_count());
  size_t plain = 0;
  for (size_t i = 0; i < loaded.quicklist()->node_count(); ++i) plain += loaded.quicklist()->node(i).plain;
  EXPECT_EQ(plain, 1u);
  // And writing it again gives the same bytes.
  EXPECT_EQ(Serialize(loaded), bytes);
}

TEST(RdbListTest, LoadChoosesTheEncodingFromTheLimit) {
  const ListValue small = Build({"a", "b", "c"}, -2);
  // With a count limit of 2, three elements in one node are a quicklist on load.
  auto parsed = Parse(Serialize(small), 2);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(AsList(*parsed).encoding(), Encoding::kQuicklist);
  // A two-node list whose nodes are small is still a quicklist (nodes are kept).
  const ListValue two_nodes = Build({"a", "b", "c"}, 2);
  ASSERT_EQ(two_nodes.quicklist()->node_count(), 2u);
  parsed = Parse(Serialize(two_nodes), -2);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(AsList(*parsed).encoding(), Encoding::kQuicklist);
  EXPECT_EQ(Elements(AsList(*parsed)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(RdbListTest, ReadsThePlainListEncoding) {
  std::string bytes;
  RdbWriter writer(&bytes);
  writer.WriteByte(kRdbTypeList);
  writer.WriteLength(3);
  writer.WriteString("x");
  writer.WriteString("42");
  writer.WriteString(std::string(100, 'z'));  // LZF-compressed by the writer
  auto parsed = Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(AsList(*parsed).encoding(), Encoding::kListpack);
  EXPECT_EQ(Elements(AsList(*parsed)), (std::vector<std::string>{"x", "42", std::string(100, 'z')}));
}

TEST(RdbListTest, RejectsWhatRedisRejects) {
  // Pre-7.0 quicklist of ziplists.
  EXPECT_EQ(Parse("\x0e\x01\x00"s).status().code(), Code::kCorruption);
  // No nodes / no elements: an empty list.
  EXPECT_EQ(Parse("\x12\x00"s).status().code(), Code::kCorruption);
  EXPECT_EQ(Parse("\x01\x00"s).status().code(), Code::kCorruption);
  // A node container other than 1 and 2.
  EXPECT_EQ(Parse("\x12\x01\x03\x01x"s).status().code(), Code::kCorruption);
  // An empty plain node.
  EXPECT_EQ(Parse("\x12\x01\x01\x00"s).status().code(), Code::kCorruption);
  // A packed node that is not a listpack.
  EXPECT_EQ(Parse("\x12\x01\x02\x03xyz"s).status().code(), Code::kCorruption);
  // Only empty listpacks: an empty list.
  EXPECT_EQ(Parse("\x12\x01\x02\x07\x07\x00\x00\x00\x00\x00\xff"s).status().code(), Code::kCorruption);
}

TEST(RdbListTest, EveryTruncationIsCorruption) {
  std::vector<std::string> values;
  for (int i = 0; i < 200; ++i) values.push_back(std::to_string(i * 7919) + "x");
  values.push_back(std::string(9000, 'q'));
  const std::string bytes = Serialize(Build(values, 4));
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto parsed = Parse(std::string_view(bytes).substr(0, len));
    EXPECT_FALSE(parsed.ok()) << len;
  }
}

// Random damage: a reader that accepts the bytes must produce a list it can walk whole
// in both directions; anything else is Corruption. Sanitizer builds check the memory side.
TEST(RdbListTest, RandomDamageNeverCrashes) {
  std::vector<std::string> values;
  for (int i = 0; i < 300; ++i) values.push_back(i % 3 ? "v" + std::to_string(i) : std::to_string(i - 150));
  const std::string small = Serialize(Build({"a", "1", "-2", "foo"}, -2));
  const std::string big = Serialize(Build(values, 8));
  std::mt19937_64 rng(20240601);
  for (const std::string* original : {&small, &big}) {
    for (int round = 0; round < 3000; ++round) {
      std::string damaged = *original;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        damaged[rng() % damaged.size()] = static_cast<char>(rng());
      }
      auto parsed = Parse(damaged);
      if (!parsed.ok()) {
        EXPECT_EQ(parsed.status().code(), Code::kCorruption);
        continue;
      }
      if (parsed->is_string()) continue;  // the type byte itself became another valid type
      const auto& value = *std::get<RdbCollection>(parsed->value).object;
      if (std::get<RdbCollection>(parsed->value).type != ValueType::kList) continue;
      const auto& list = static_cast<const ListValue&>(value);
      size_t forward = 0;
      list.ForEach([&](std::string_view) { ++forward; });
      size_t backward = 0;
      for (ListCursor at = list.Last(); at.valid(); at = list.Prev(at)) ++backward;
      EXPECT_EQ(forward, list.Length());
      EXPECT_EQ(backward, list.Length());
    }
  }
}

TEST(RdbListTest, DumpPayloadRoundTrip) {
  const ListValue list = Build({"x", "y", std::string(50, 'z')}, -2);
  std::string payload;
  RdbWriter writer(&payload);
  WriteRdbList(writer, list);
  AppendDumpFooter(&payload);
  auto parsed = ParseDumpPayload(payload);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(Elements(AsList(*parsed)), (std::vector<std::string>{"x", "y", std::string(50, 'z')}));
}

}  // namespace
}  // namespace tierkv
