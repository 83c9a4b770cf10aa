// RDB encodings of sets (engine/rdb/rdb_set.cc): what is written for each encoding (intset
// blob, or a plain member list that Redis 7.0 can read), how types 2, 11 and 20 load and
// which encoding they load into under the limits, and that damaged input is Corruption,
// never a crash (a small fuzz over valid payloads).
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/rdb/rdb_collections.h"
#include "engine/types/set/set_value.h"

namespace tierkv {
namespace {

std::string Write(const SetValue& set) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbSet(writer, set);
  return out;
}

Result<std::unique_ptr<ValueObject>> Read(std::string_view bytes, const EncodingLimits& limits = {}) {
  RdbReader reader(bytes);
  auto type = reader.ReadByte();
  if (!type.ok()) return type.status();
  auto value = ReadRdbSet(reader, *type, limits);
  if (value.ok() && !reader.at_end()) return Status::Corruption("trailing bytes");
  return value;
}

const SetValue& AsSet(const std::unique_ptr<ValueObject>& value) { return static_cast<const SetValue&>(*value); }

std::set<std::string> MembersOf(const SetValue& set) {
  const std::vector<std::string> members = set.Members();
  return {members.begin(), members.end()};
}

SetValue Build(const std::vector<std::string>& members, const EncodingLimits& limits = {}) {
  auto set = SetValue::CreateFor(members.front(), 1, limits);
  for (const std::string& member : members) set->Add(member, limits);
  return std::move(*set);
}

// A type-2 payload listing `members` as given (duplicates included).
std::string MemberList(const std::vector<std::string>& members) {
  std::string out;
  RdbWriter writer(&out);
  writer.WriteByte(kRdbTypeSet);
  writer.WriteLength(members.size());
  for (const std::string& member : members) writer.WriteString(member);
  return out;
}

std::string ListpackPayload(const std::vector<std::string>& members) {
  Listpack packed;
  for (const std::string& member : members) packed.Append(member);
  std::string out;
  RdbWriter writer(&out);
  writer.WriteByte(kRdbTypeSetListpack);
  writer.WriteString(packed.bytes());
  return out;
}

std::vector<std::string> Numbered(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(RdbSet, IntsetIsWrittenAsItsBlob) {
  const SetValue set = Build({"1", "2", "3"});
  ASSERT_EQ(set.encoding(), Encoding::kIntset);
  // type 11, a 14-byte string: width 2, count 3, 1 2 3 (as Redis 7.0 writes it)
  const std::string expected("\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00", 16);
  EXPECT_EQ(Write(set), expected);
}

TEST(RdbSet, ListpackAndHashtableAreWrittenAsMemberLists) {
  const SetValue packed = Build({"a", "12"});
  ASSERT_EQ(packed.encoding(), Encoding::kListpack);
  const std::string bytes = Write(packed);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeSet);
  EXPECT_EQ(bytes.size(), 1u + 1 + 2 + 2);  // type, count, "a", 12 as an int8 string
  const SetValue table = Build(Numbered("member", 300));
  ASSERT_EQ(table.encoding(), Encoding::kHashtable);
  EXPECT_EQ(static_cast<uint8_t>(Write(table)[0]), kRdbTypeSet);
}

TEST(RdbSet, EveryEncodingRoundTrips) {
  std::vector<std::string> ints;
  for (int64_t v : {INT64_MIN, int64_t{-70000}, int64_t{-1}, int64_t{0}, int64_t{40000}, INT64_MAX}) {
    ints.push_back(std::to_string(v));
  }
  std::vector<std::string> mixed = {"a", "", std::string("\0\xff", 2), "17", std::string(64, 'x')};
  std::vector<std::string> big = Numbered("m", 1000);
  big.push_back(std::string(5000, 'L'));  // LZF-compressed on the way
  for (const auto& members : {ints, mixed, big}) {
    const SetValue set = Build(members);
    auto loaded = Read(Write(set));
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(AsSet(*loaded).encoding(), set.encoding());
    EXPECT_EQ(MembersOf(AsSet(*loaded)), MembersOf(set));
  }
}

TEST(RdbSet, MemberListsLoadIntoTheEncodingRedisWouldChoose) {
  const EncodingLimits limits;
  auto encoding_of = [&](const std::vector<std::string>& members) {
    auto loaded = Read(MemberList(members), limits);
    EXPECT_TRUE(loaded.ok()) << loaded.status().message();
    return loaded.ok() ? AsSet(*loaded).encoding() : Encoding::kRaw;
  };
  EXPECT_EQ(encoding_of(Numbered("", 512)), Encoding::kIntset);
  EXPECT_EQ(encoding_of(Numbered("", 513)), Encoding::kHashtable);
  std::vector<std::string> ints_then_text = Numbered("", 127);
  ints_then_text.push_back("text");
  EXPECT_EQ(encoding_of(ints_then_text), Encoding::kListpack);
  ints_then_text.insert(ints_then_text.begin(), "-5");
  EXPECT_EQ(encoding_of(ints_then_text), Encoding::kHashtable);  // 129 members
  EXPECT_EQ(encoding_of(Numbered("s", 128)), Encoding::kListpack);
  EXPECT_EQ(encoding_of(Numbered("s", 129)), Encoding::kHashtable);
  EXPECT_EQ(encoding_of({"a", std::string(65, 'v')}), Encoding::kHashtable);
}

TEST(RdbSet, IntsetBlobsConvertPastThisServersLimit) {
  EncodingLimits small;
  small.set_max_intset_entries = 3;
  auto loaded = Read(Write(Build({"1", "2", "3", "4"})), small);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(AsSet(*loaded).encoding(), Encoding::kHashtable);
  EXPECT_EQ(MembersOf(AsSet(*loaded)), (std::set<std::string>{"1", "2", "3", "4"}));
}

TEST(RdbSet, ListpackType20LoadsAndConverts) {
  auto loaded = Read(ListpackPayload({"a", "7", "b"}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(AsSet(*loaded).encoding(), Encoding::kListpack);
  EXPECT_EQ(MembersOf(AsSet(*loaded)), (std::set<std::string>{"a", "7", "b"}));
  auto big = Read(ListpackPayload(Numbered("x", 200)));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(AsSet(*big).encoding(), Encoding::kHashtable);
  EXPECT_EQ(AsSet(*big).Length(), 200u);
}

TEST(RdbSet, DuplicatesAndEmptySetsAreCorrupt) {
  auto corrupt = [](const std::string& bytes) { return Read(bytes).status().code() == Code::kCorruption; };
  EXPECT_TRUE(corrupt(MemberList({"1", "2", "1"})));                  // in an intset
  EXPECT_TRUE(corrupt(MemberList({"a", "b", "a"})));                  // in a listpack
  std::vector<std::string> many = Numbered("m", 300);
  many.push_back("m7");
  EXPECT_TRUE(corrupt(MemberList(many)));                             // in a hashtable
  EXPECT_TRUE(corrupt(MemberList({})));
  EXPECT_TRUE(corrupt(ListpackPayload({"a", "b", "a"})));
  EXPECT_TRUE(corrupt(ListpackPayload({})));
  std::vector<std::string> many_packed = Numbered("p", 200);
  many_packed.push_back("p3");
  EXPECT_TRUE(corrupt(ListpackPayload(many_packed)));
  // A count far beyond the payload must not size anything.
  std::string huge;
  RdbWriter writer(&huge);
  writer.WriteByte(kRdbTypeSet);
  writer.WriteLength(uint64_t{1} << 40);
  writer.WriteString("a");
  EXPECT_TRUE(corrupt(huge));
  RdbReader other_type("x");
  EXPECT_EQ(ReadRdbSet(other_type, kRdbTypeZSet, {}).status().code(), Code::kCorruption);
}

// Damage anywhere in a valid payload gives Corruption (or, when the damage happens to
// leave a valid set, a set): never a crash, a hang or an out-of-bounds read.
TEST(RdbSet, FuzzedPayloadsNeverCrash) {
  std::vector<std::string> payloads = {
      Write(Build({"1", "-2", "40000", "-3000000000"})),
      Write(Build({"a", "bb", "12", ""})),
      Write(Build(Numbered("member", 150))),
      ListpackPayload({"a", "7", "-70000", std::string(70, 'z')}),
  };
  std::mt19937_64 rng(42);
  size_t loaded = 0;
  for (const std::string& good : payloads) {
    ASSERT_TRUE(Read(good).ok());
    for (size_t cut = 0; cut < good.size(); ++cut) {
      EXPECT_FALSE(Read(good.substr(0, cut)).ok()) << cut;
    }
    for (int round = 0; round < 3000; ++round) {
      std::string damaged = good;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < flips; ++i) damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      auto result = Read(damaged);
      if (result.ok()) {
        ++loaded;
        EXPECT_GT(AsSet(*result).Length(), 0u);
      } else {
        EXPECT_EQ(result.status().code(), Code::kCorruption);
      }
    }
  }
  EXPECT_LT(loaded, 12000u);  // most damage is detected
}

}  // namespace
}  // namespace tierkv
