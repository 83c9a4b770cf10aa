// The hash value below the protocol: FieldTable (the hashtable encoding) against a
// std::map model, its incremental resizing and SCAN guarantees; the listpack encoding;
// the RDB encodings, with damaged input that must fail cleanly. Engine library only.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/digest.h"
#include "engine/keyspace_ops.h"
#include "engine/rdb/rdb_collections.h"
#include "engine/rdb/rdb_object.h"
#include "engine/types/hash/field_table.h"
#include "engine/types/hash/hash_ops.h"
#include "engine/types/hash/hash_value.h"

namespace tierkv::testing {
namespace {

using Model = std::map<std::string, std::string>;

Model ContentsOf(const FieldTable& table) {
  Model contents;
  table.ForEach([&](std::string_view field, std::string_view value) {
    EXPECT_TRUE(contents.emplace(field, value).second) << "field twice: " << field;
  });
  return contents;
}

Model ContentsOf(const HashValue& hash) {
  Model contents;
  hash.ForEach([&](std::string_view field, std::string_view value) {
    EXPECT_TRUE(contents.emplace(field, value).second) << "field twice: " << field;
  });
  return contents;
}

std::string FieldName(int i) { return "field:" + std::to_string(i); }

// Every field of a complete scan (cursor back to 0), with how often it came back.
std::map<std::string, int> ScanAll(const FieldTable& table) {
  std::map<std::string, int> seen;
  uint64_t cursor = 0;
  do {
    cursor = table.Scan(cursor, [&](std::string_view field, std::string_view) { ++seen[std::string(field)]; });
  } while (cursor != 0);
  return seen;
}

// --- FieldTable ---------------------------------------------------------------------

TEST(FieldTable, SetFindEraseAndOverwrite) {
  FieldTable table;
  EXPECT_EQ(table.Find("a"), std::nullopt);
  EXPECT_FALSE(table.Erase("a"));
  EXPECT_TRUE(table.Set("a", "1"));
  EXPECT_FALSE(table.Set("a", "22"));
  EXPECT_EQ(table.Find("a"), "22");
  EXPECT_TRUE(table.Set("", ""));  // empty field and value are ordinary entries
  EXPECT_EQ(table.Find(""), "");
  const std::string binary("\0\xff\n", 3);
  EXPECT_TRUE(table.Set(binary, binary));
  EXPECT_EQ(table.Find(binary), binary);
  // Lengths that need multi-byte varints in the node header.
  const std::string big(70000, 'x');
  EXPECT_TRUE(table.Set(big, big + "y"));
  EXPECT_EQ(table.Find(big), big + "y");
  EXPECT_EQ(table.size(), 4u);
  EXPECT_TRUE(table.Erase("a"));
  EXPECT_FALSE(table.Erase("a"));
  EXPECT_EQ(table.Find("a"), std::nullopt);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(ContentsOf(table), (Model{{"", ""}, {binary, binary}, {big, big + "y"}}));
}

TEST(FieldTable, RandomisedAgainstAMapThroughGrowthAndShrinking) {
  std::mt19937_64 rng(7);
  FieldTable table;
  Model model;
  bool saw_rehash = false;
  for (int round = 0; round < 6; ++round) {
    // Grow to a few thousand entries, then delete most of them (shrinks), with
    // overwrites and misses mixed in, checking lookups against the model as we go.
    const int target = 3000 + round * 500;
    for (int i = 0; i < target * 2; ++i) {
      const std::string field = FieldName(static_cast<int>(rng() % (target * 2)));
      const std::string value = "v" + std::to_string(rng() % 1000);
      EXPECT_EQ(table.Set(field, value), model.emplace(field, value).second);
      model[field] = value;
      saw_rehash |= table.rehashing();
      const std::string probe = FieldName(static_cast<int>(rng() % (target * 2)));
      const auto found = table.Find(probe);
      const auto expected = model.find(probe);
      ASSERT_EQ(found.has_value(), expected != model.end()) << probe;
      if (found) {
        ASSERT_EQ(*found, expected->second);
      }
    }
    ASSERT_EQ(table.size(), model.size());
    for (int i = 0; i < target * 3; ++i) {
      const std::string field = FieldName(static_cast<int>(rng() % (target * 2)));
      EXPECT_EQ(table.Erase(field), model.erase(field) == 1);
      saw_rehash |= table.rehashing();
    }
    ASSERT_EQ(table.size(), model.size());
    ASSERT_EQ(ContentsOf(table), model);
  }
  EXPECT_TRUE(saw_rehash);
}

TEST(FieldTable, GrowthIsIncrementalAndLookupsSeeBothArrays) {
  FieldTable table;
  int i = 0;
  // Past a few thousand fields, to a growth big enough to take several steps.
  while (i < 3000 || !table.rehashing()) {
    ASSERT_TRUE(table.Set(FieldName(i++), "x"));
    ASSERT_LT(i, 100000);
  }
  // The resize has started but not finished, and one more write moves a few clusters,
  // not the whole old array.
  const size_t size_at_start = table.size();
  EXPECT_GT(size_at_start, 3000u);
  ASSERT_TRUE(table.Set(FieldName(i++), "x"));
  EXPECT_TRUE(table.rehashing());
  // Meanwhile every field is found, in whichever array it is; lookups help drain.
  for (int j = 0; j < i; ++j) ASSERT_EQ(table.Find(FieldName(j)), "x") << j;
  while (table.rehashing()) ASSERT_TRUE(table.Set(FieldName(i++), "y"));
  EXPECT_EQ(table.size(), static_cast<size_t>(i));
  for (int j = 0; j < i; ++j) ASSERT_TRUE(table.Find(FieldName(j)).has_value()) << j;
}

TEST(FieldTable, ScanWithoutChangesReturnsEveryFieldExactlyOnce) {
  FieldTable table;
  for (int i = 0; i < 5000; ++i) table.Set(FieldName(i), "v");
  while (table.rehashing()) table.RehashStep(100);
  const auto seen = ScanAll(table);
  ASSERT_EQ(seen.size(), 5000u);
  for (const auto& [field, times] : seen) EXPECT_EQ(times, 1) << field;
}

// Redis's SCAN guarantee: a field present from the start to the end of a scan is
// returned at least once, however much the table grows or shrinks in between.
TEST(FieldTable, ScanReturnsEveryStableFieldAcrossGrowth) {
  FieldTable table;
  for (int i = 0; i < 300; ++i) table.Set("stable:" + std::to_string(i), "v");
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int added = 0;
  bool rehashed_during_scan = false;
  do {
    cursor = table.Scan(cursor, [&](std::string_view field, std::string_view) { seen.emplace(field); });
    // Grow between steps, several doublings while the scan is under way (bounded, so
    // that the scan can catch up and finish).
    for (int k = 0; k < 10 && added < 8000; ++k) table.Set("new:" + std::to_string(added++), "v");
    rehashed_during_scan |= table.rehashing();
  } while (cursor != 0);
  EXPECT_TRUE(rehashed_during_scan);
  EXPECT_GT(table.capacity(), 8192u);
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(seen.count("stable:" + std::to_string(i))) << i;
}

TEST(FieldTable, ScanReturnsEveryStableFieldAcrossShrinking) {
  FieldTable table;
  for (int i = 0; i < 200; ++i) table.Set("stable:" + std::to_string(i), "v");
  for (int i = 0; i < 20000; ++i) table.Set("doomed:" + std::to_string(i), "v");
  while (table.rehashing()) table.RehashStep(100);
  const size_t big_capacity = table.capacity();
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int deleted = 0;
  do {
    cursor = table.Scan(cursor, [&](std::string_view field, std::string_view) { seen.emplace(field); });
    for (int k = 0; k < 400 && deleted < 20000; ++k) table.Erase("doomed:" + std::to_string(deleted++));
  } while (cursor != 0);
  EXPECT_LT(table.capacity(), big_capacity);
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.count("stable:" + std::to_string(i))) << i;
}

TEST(FieldTable, RandomReachesEveryFieldRoughlyEvenly) {
  FieldTable table;
  for (int i = 0; i < 50; ++i) table.Set(FieldName(i), std::to_string(i));
  std::mt19937_64 rng(1);
  std::map<std::string, int> hits;
  for (int draw = 0; draw < 50000; ++draw) {
    const auto [field, value] = table.Random(rng);
    ASSERT_EQ(table.Find(field), value);
    ++hits[std::string(field)];
  }
  ASSERT_EQ(hits.size(), 50u);
  for (const auto& [field, count] : hits) {
    EXPECT_GT(count, 700) << field;  // expected 1000 each
    EXPECT_LT(count, 1300) << field;
  }
}

TEST(FieldTable, CopyIsDeepAndMemoryStaysCompact) {
  FieldTable table;
  for (int i = 0; i < 10000; ++i) table.Set(FieldName(i), "value-" + std::to_string(1000000 + i) + "xx");
  FieldTable copy(table);
  table.Set(FieldName(0), "changed");
  EXPECT_EQ(copy.Find(FieldName(0)), "value-1000000xx");
  EXPECT_EQ(copy.size(), 10000u);
  // ~8-byte field, 15-byte value: one 32-byte node plus slots at a load of 0.3..0.8.
  // Redis's dict costs ~90 bytes for the same pair.
  const double per_field = static_cast<double>(copy.MemoryUsage()) / 10000.0;
  EXPECT_LT(per_field, 60.0);
  FieldTable moved(std::move(copy));
  EXPECT_EQ(moved.size(), 10000u);
  EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from table is empty
}

// --- ListpackHash -------------------------------------------------------------------

TEST(ListpackHash, PairsInOrderWithIntegersDecoded) {
  ListpackHash hash;
  EXPECT_TRUE(hash.Set("a", "1"));
  EXPECT_TRUE(hash.Set("12", "-7"));
  EXPECT_TRUE(hash.Set("b", "text"));
  EXPECT_FALSE(hash.Set("a", "one"));
  Listpack::IntBuffer scratch;
  EXPECT_EQ(hash.Get("12", scratch), "-7");
  EXPECT_EQ(hash.Get("a", scratch), "one");
  EXPECT_EQ(hash.Get("-7", scratch), std::nullopt);  // values are not fields
  EXPECT_EQ(hash.Length(), 3u);
  std::vector<std::string> order;
  hash.ForEach([&](std::string_view field, std::string_view value) {
    order.push_back(std::string(field) + "=" + std::string(value));
  });
  EXPECT_EQ(order, (std::vector<std::string>{"a=one", "12=-7", "b=text"}));
  EXPECT_TRUE(hash.Delete("12"));
  EXPECT_FALSE(hash.Delete("12"));
  EXPECT_EQ(ContentsOf(hash), (Model{{"a", "one"}, {"b", "text"}}));
  const auto clone = hash.Clone();
  EXPECT_EQ(ContentsOf(static_cast<const HashValue&>(*clone)), ContentsOf(hash));
  EXPECT_EQ(ContentsOf(*ConvertToTable(hash)), ContentsOf(hash));
}

// --- RDB ----------------------------------------------------------------------------

std::string Serialize(const HashValue& hash) {
  std::string out;
  RdbWriter writer(&out);
  WriteRdbHash(writer, hash);
  return out;
}

Result<std::unique_ptr<ValueObject>> Deserialize(std::string_view bytes, const EncodingLimits& limits = {}) {
  RdbReader reader(bytes);
  Result<uint8_t> type = reader.ReadByte();
  if (!type.ok()) return type.status();
  return ReadRdbHash(reader, *type, limits);
}

ListpackHash SmallHash() {
  ListpackHash hash;
  hash.Set("name", "tierkv");
  hash.Set("count", "12345");
  hash.Set("neg", "-1");
  hash.Set("empty", "");
  return hash;
}

TEST(HashRdb, ListpackIsWrittenAsType16AndReadBackByteForByte) {
  const ListpackHash hash = SmallHash();
  const std::string bytes = Serialize(hash);
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeHashListpack);
  auto read = Deserialize(bytes);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ((*read)->encoding(), Encoding::kListpack);
  const auto& back = static_cast<const ListpackHash&>(**read);
  EXPECT_EQ(back.pairs().bytes(), hash.pairs().bytes());
  // More fields than this server's limit: loaded as a hashtable, as Redis does.
  EncodingLimits small;
  small.hash_max_listpack_entries = 2;
  auto converted = Deserialize(bytes, small);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ((*converted)->encoding(), Encoding::kHashtable);
  EXPECT_EQ(ContentsOf(static_cast<const HashValue&>(**converted)), ContentsOf(hash));
}

TEST(HashRdb, HashtableIsWrittenAsType4AndLoadsByTheLimits) {
  const auto table = ConvertToTable(SmallHash());
  const std::string bytes = Serialize(*table);
  ASSERT_EQ(static_cast<uint8_t>(bytes[0]), kRdbTypeHash);
  auto small = Deserialize(bytes);  // four short pairs: a listpack on load
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)->encoding(), Encoding::kListpack);
  EXPECT_EQ(ContentsOf(static_cast<const HashValue&>(**small)), ContentsOf(*table));
  EncodingLimits short_values;
  short_values.hash_max_listpack_value = 5;  // "tierkv" is six bytes
  auto converted = Deserialize(bytes, short_values);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ((*converted)->encoding(), Encoding::kHashtable);
  EXPECT_EQ(ContentsOf(static_cast<const HashValue&>(**converted)), ContentsOf(*table));
}

TEST(HashRdb, RejectsDuplicatesOddListpacksAndOldEncodings) {
  // Type 4 with a repeated field.
  std::string duplicate;
  RdbWriter writer(&duplicate);
  writer.WriteByte(kRdbTypeHash);
  writer.WriteLength(2);
  for (int i = 0; i < 2; ++i) {
    writer.WriteString("f");
    writer.WriteString("v");
  }
  EXPECT_EQ(Deserialize(duplicate).status().code(), Code::kCorruption);
  // Type 16 with a repeated field, and with an odd element count.
  Listpack repeated;
  for (const char* element : {"f", "1", "f", "2"}) repeated.Append(element);
  std::string repeated_bytes;
  RdbWriter repeated_writer(&repeated_bytes);
  repeated_writer.WriteByte(kRdbTypeHashListpack);
  repeated_writer.WriteString(repeated.bytes());
  EXPECT_EQ(Deserialize(repeated_bytes).status().code(), Code::kCorruption);
  Listpack odd;
  odd.Append("lonely");
  std::string odd_bytes;
  RdbWriter odd_writer(&odd_bytes);
  odd_writer.WriteByte(kRdbTypeHashListpack);
  odd_writer.WriteString(odd.bytes());
  EXPECT_EQ(Deserialize(odd_bytes).status().code(), Code::kCorruption);
  for (uint8_t old_type : {kRdbTypeHashZipmap, kRdbTypeHashZiplist}) {
    RdbReader reader("\x01\x02");
    EXPECT_EQ(ReadRdbHash(reader, old_type, {}).status().code(), Code::kCorruption);
  }
}

TEST(HashRdb, DamagedInputFailsCleanly) {
  // Every truncation and many random byte flips of both encodings: an error or a valid
  // hash, never a crash (run under the sanitizers too).
  ListpackHash hash = SmallHash();
  for (int i = 0; i < 40; ++i) hash.Set(FieldName(i), std::to_string(i * 1000003));
  const std::string listpack_bytes = Serialize(hash);
  const std::string table_bytes = Serialize(*ConvertToTable(hash));
  std::mt19937_64 rng(3);
  for (const std::string& original : {listpack_bytes, table_bytes}) {
    for (size_t cut = 0; cut < original.size(); ++cut) {
      EXPECT_FALSE(Deserialize(std::string_view(original).substr(0, cut)).ok()) << cut;
    }
    for (int trial = 0; trial < 3000; ++trial) {
      std::string damaged = original;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) damaged[1 + rng() % (damaged.size() - 1)] ^= static_cast<char>(1 + rng() % 255);
      auto read = Deserialize(damaged);
      if (read.ok()) {
        // Whatever decoded is a well-formed hash: its fields are distinct and readable.
        const auto& value = static_cast<const HashValue&>(**read);
        EXPECT_EQ(ContentsOf(value).size(), value.Length());
      }
    }
  }
}

TEST(HashRdb, GoesThroughTheGenericObjectCodec) {
  // The dispatch rdb_object.cc uses for DUMP, RESTORE, checkpoints and RDB files.
  Entry* entry = Entry::NewObject("k", ValueType::kHash, Encoding::kListpack, new ListpackHash(SmallHash()), kNoExpire);
  std::string bytes;
  RdbWriter writer(&bytes);
  WriteRdbObject(writer, *entry);
  RdbReader reader(bytes);
  auto object = ReadRdbObject(reader);
  ASSERT_TRUE(object.ok()) << object.status().message();
  Entry* back = NewEntryFromRdb("k", std::move(*object), kNoExpire);
  EXPECT_EQ(back->type, ValueType::kHash);
  EXPECT_EQ(ValueDigest(*back), ValueDigest(*entry));
  Entry::Free(back);
  Entry::Free(entry);
}

}  // namespace
}  // namespace tierkv::testing
