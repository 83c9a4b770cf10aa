// RDB encodings of sorted sets (engine/rdb/rdb_zset.cc): both encodings round trip, the
// loaded encoding follows the limits, type 3's text scores read, and damaged input is
// Corruption, never a crash (a small fuzz over valid payloads).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/rdb/rdb_collections.h"
#include "engine/rdb/rdb_format.h"
#include "engine/types/zset/zset.h"

namespace tierkv {
namespace {

std::string Serialize(const ZSet& zset) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbZSet(writer, zset);
  return out;
}

Result<std::unique_ptr<ValueObject>> Deserialize(std::string_view bytes, const EncodingLimits& limits = {}) {
  RdbReader reader(bytes);
  auto type = reader.ReadByte();
  if (!type.ok()) return type.status();
  return ReadRdbZSet(reader, *type, limits);
}

const ZSet& AsZSet(const std::unique_ptr<ValueObject>& value) { return static_cast<const ZSet&>(*value); }

std::unique_ptr<ZSet> Build(size_t count, size_t member_size = 8) {
  EncodingLimits limits;
  auto zset = ZSet::Create(count, member_size, limits);
  for (size_t i = 0; i < count; ++i) {
    std::string member = "m" + std::to_string(i);
    member.resize(std::max(member.size(), member_size), 'x');
    double result;
    zset->Add(member, static_cast<double>(i % 17) / 4 - 1, {}, limits, &result);
  }
  return zset;
}

TEST(ZSetRdb, ListpackRoundTripsAsType17) {
  auto zset = Build(20);
  ASSERT_EQ(zset->encoding(), Encoding::kListpack);
  const std::string bytes = Serialize(*zset);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeZSetListpack);
  auto loaded = Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kListpack);
  EXPECT_EQ(AsZSet(*loaded).ToVector(), zset->ToVector());
}

TEST(ZSetRdb, IndexRoundTripsAsType5HighestFirst) {
  auto zset = Build(1000);
  ASSERT_EQ(zset->encoding(), Encoding::kSkiplist);
  const std::string bytes = Serialize(*zset);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeZSet2);
  // After the type and the count (2 bytes), the first member is the highest.
  RdbReader reader(bytes);
  ASSERT_TRUE(reader.ReadByte().ok());
  EXPECT_EQ(*reader.ReadLength(), 1000u);
  EXPECT_EQ(*reader.ReadString(), zset->Last().member());
  auto loaded = Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kSkiplist);
  EXPECT_EQ(AsZSet(*loaded).ToVector(), zset->ToVector());
  std::string why;
  EXPECT_TRUE(AsZSet(*loaded).index().CheckInvariants(&why)) << why;
}

TEST(ZSetRdb, LoadedEncodingFollowsTheLimits) {
  EncodingLimits limits;
  // A skiplist that shrank to 10 short members loads as a listpack.
  auto shrunk = Build(200);
  shrunk->RemoveRanks(10, 199);
  ASSERT_EQ(shrunk->encoding(), Encoding::kSkiplist);
  auto loaded = Deserialize(Serialize(*shrunk), limits);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kListpack);
  EXPECT_EQ(AsZSet(*loaded).ToVector(), shrunk->ToVector());
  // ... unless a member is too long.
  auto long_member = Build(5, 100);
  loaded = Deserialize(Serialize(*long_member), limits);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kSkiplist);
  // A listpack larger than this server's entry limit converts.
  limits.zset_max_listpack_entries = 5;
  loaded = Deserialize(Serialize(*Build(10)), limits);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kSkiplist);
  EXPECT_EQ(AsZSet(*loaded).ToVector(), Build(10)->ToVector());
}

TEST(ZSetRdb, ReadsType3TextScores) {
  std::string bytes;
  RdbWriter writer(&bytes);
  writer.WriteByte(kRdbTypeZSet);
  writer.WriteLength(4);
  auto text_score = [&](std::string_view member, std::string_view text) {
    writer.WriteString(member);
    writer.WriteByte(static_cast<uint8_t>(text.size()));
    writer.WriteBytes(text);
  };
  text_score("a", "1.5");
  text_score("b", "-2");
  writer.WriteString("c");
  writer.WriteByte(254);  // +inf
  writer.WriteString("d");
  writer.WriteByte(255);  // -inf
  auto loaded = Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<ScoredMember> expected = {{"d", -inf}, {"b", -2}, {"a", 1.5}, {"c", inf}};
  EXPECT_EQ(AsZSet(*loaded).ToVector(), expected);
  EXPECT_EQ(AsZSet(*loaded).encoding(), Encoding::kListpack);

  // 253 is NaN: refused.
  std::string nan_bytes;
  RdbWriter nan_writer(&nan_bytes);
  nan_writer.WriteByte(kRdbTypeZSet);
  nan_writer.WriteLength(1);
  nan_writer.WriteString("a");
  nan_writer.WriteByte(253);
  EXPECT_EQ(Deserialize(nan_bytes).status().code(), Code::kCorruption);
}

TEST(ZSetRdb, RefusesDamagedValues) {
  auto expect_corrupt = [](const std::string& bytes, const char* what) {
    auto loaded = Deserialize(bytes);
    ASSERT_FALSE(loaded.ok()) << what;
    EXPECT_EQ(loaded.status().code(), Code::kCorruption) << what;
  };
  auto pairs = [](std::initializer_list<std::pair<std::string, double>> items, uint64_t count) {
    std::string bytes;
    RdbWriter writer(&bytes);
    writer.WriteByte(kRdbTypeZSet2);
    writer.WriteLength(count);
    for (const auto& [member, score] : items) {
      writer.WriteString(member);
      uint64_t bits;
      std::memcpy(&bits, &score, sizeof(bits));
      for (int i = 0; i < 8; ++i) writer.WriteByte(static_cast<uint8_t>(bits >> (8 * i)));
    }
    return bytes;
  };
  expect_corrupt(pairs({}, 0), "empty");
  expect_corrupt(pairs({{"a", 1}, {"a", 2}}, 2), "duplicate member");
  expect_corrupt(pairs({{"a", std::nan("")}}, 1), "NaN score");
  expect_corrupt(pairs({{"a", 1}}, 1000000), "count past the payload");
  expect_corrupt(pairs({{"a", 1}}, 1).substr(0, 6), "truncated score");

  auto listpack = [](std::initializer_list<std::string_view> elements) {
    Listpack lp;
    for (std::string_view element : elements) lp.Append(element);
    std::string bytes;
    RdbWriter writer(&bytes);
    writer.WriteByte(kRdbTypeZSetListpack);
    writer.WriteString(lp.bytes());
    return bytes;
  };
  expect_corrupt(listpack({}), "empty listpack");
  expect_corrupt(listpack({"a", "1", "b"}), "odd listpack");
  expect_corrupt(listpack({"a", "1", "a", "2"}), "duplicate in a listpack");
  expect_corrupt(listpack({"a", "one"}), "score that is not a number");
  expect_corrupt(listpack({"a", "nan"}), "NaN score in a listpack");
  // Out of order: accepted and put in order.
  auto loaded = Deserialize(listpack({"b", "2", "a", "1", "c", "1"}));
  ASSERT_TRUE(loaded.ok());
  const std::vector<ScoredMember> expected = {{"a", 1}, {"c", 1}, {"b", 2}};
  EXPECT_EQ(AsZSet(*loaded).ToVector(), expected);
  // The pre-7.0 ziplist.
  EXPECT_EQ(Deserialize(std::string(1, static_cast<char>(kRdbTypeZSetZiplist)) + "x").status().code(),
            Code::kCorruption);
}

// Flipped bytes and truncations of valid payloads either load as a valid set or fail
// with Corruption; nothing crashes (the sanitizer build checks the memory side).
TEST(ZSetRdb, DamagedPayloadsNeverCrash) {
  std::mt19937_64 rng(99);
  const std::string payloads[] = {Serialize(*Build(30)), Serialize(*Build(300)), Serialize(*Build(3, 100))};
  for (const std::string& valid : payloads) {
    for (int trial = 0; trial < 1500; ++trial) {
      std::string damaged = valid;
      if (trial % 3 == 0) {
        damaged.resize(rng() % damaged.size());
      } else {
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) damaged[1 + rng() % (damaged.size() - 1)] ^= static_cast<char>(1 + rng() % 255);
      }
      auto loaded = Deserialize(damaged);
      if (!loaded.ok()) {
        EXPECT_EQ(loaded.status().code(), Code::kCorruption);
        continue;
      }
      const ZSet& zset = AsZSet(*loaded);
      if (!zset.is_listpack()) {
        std::string why;
        EXPECT_TRUE(zset.index().CheckInvariants(&why)) << why;
      }
      // Whatever loaded is ordered and usable.
      const std::vector<ScoredMember> items = zset.ToVector();
      for (size_t i = 1; i < items.size(); ++i) {
        EXPECT_TRUE(items[i - 1].score < items[i].score ||
                    (items[i - 1].score == items[i].score && items[i - 1].member < items[i].member));
      }
    }
  }
}

}  // namespace
}  // namespace tierkv
