// The set value and its encodings: Redis's intset bytes and upgrades, the member table
// (Robin Hood probing, resizes, SCAN's guarantee across resizes), the conversions between
// intset, listpack and hashtable at Redis 7.2's thresholds, and the random-member
// algorithms (no repeats for positive counts, uniform draws, SPOP's two strategies).
#include <gtest/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/types/set/intset.h"
#include "engine/types/set/member_table.h"
#include "engine/types/set/set_random.h"
#include "engine/types/set/set_value.h"

namespace tierkv {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::vector<int64_t> IntsetMembers(const IntSet& set) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < set.size(); ++i) out.push_back(set.At(i));
  return out;
}

std::set<std::string> AsSet(const std::vector<std::string>& members) { return {members.begin(), members.end()}; }

std::set<std::string> MembersOf(const SetValue& set) { return AsSet(set.Members()); }

// --- IntSet ----------------------------------------------------------------------------

TEST(IntSet, LayoutIsRedisBytes) {
  IntSet set;
  EXPECT_EQ(Hex(set.bytes()), "0200000000000000");
  EXPECT_TRUE(set.Add(3));
  EXPECT_TRUE(set.Add(1));
  EXPECT_TRUE(set.Add(2));
  EXPECT_FALSE(set.Add(2));
  // width 2, count 3, members 1 2 3 little-endian
  EXPECT_EQ(Hex(set.bytes()), "0200000003000000010002000300");
}

TEST(IntSet, UpgradesWidthAtBothEnds) {
  IntSet set;
  ASSERT_TRUE(set.Add(5));
  ASSERT_TRUE(set.Add(-7));
  EXPECT_EQ(set.width(), 2u);
  ASSERT_TRUE(set.Add(INT16_MAX));
  EXPECT_EQ(set.width(), 2u);
  ASSERT_TRUE(set.Add(int64_t{INT16_MAX} + 1));  // past int16: appended at width 4
  EXPECT_EQ(set.width(), 4u);
  EXPECT_EQ(IntsetMembers(set), (std::vector<int64_t>{-7, 5, INT16_MAX, int64_t{INT16_MAX} + 1}));
  ASSERT_TRUE(set.Add(int64_t{INT32_MIN} - 1));  // below int32: prepended at width 8
  EXPECT_EQ(set.width(), 8u);
  EXPECT_EQ(IntsetMembers(set),
            (std::vector<int64_t>{int64_t{INT32_MIN} - 1, -7, 5, INT16_MAX, int64_t{INT16_MAX} + 1}));
  ASSERT_TRUE(set.Add(INT64_MAX));
  ASSERT_TRUE(set.Add(INT64_MIN));
  EXPECT_EQ(set.Min(), INT64_MIN);
  EXPECT_EQ(set.Max(), INT64_MAX);
  EXPECT_EQ(set.bytes().size(), 8u + 7 * 8);
  EXPECT_EQ(Hex(set.bytes().substr(0, 8)), "0800000007000000");
}

TEST(IntSet, ContainsAndRemoveNeverNarrow) {
  IntSet set;
  for (int64_t v : {10, 20, 30, 100000}) ASSERT_TRUE(set.Add(v));
  EXPECT_EQ(set.width(), 4u);
  EXPECT_TRUE(set.Contains(100000));
  EXPECT_FALSE(set.Contains(INT64_MAX));  // wider than any member
  EXPECT_FALSE(set.Contains(15));
  EXPECT_TRUE(set.Remove(100000));
  EXPECT_FALSE(set.Remove(100000));
  EXPECT_FALSE(set.Remove(INT64_MIN));
  EXPECT_EQ(set.width(), 4u);  // as Redis: no downgrade
  EXPECT_EQ(IntsetMembers(set), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_TRUE(set.Remove(10));
  EXPECT_TRUE(set.Remove(20));
  EXPECT_TRUE(set.Remove(30));
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.Add(-1));
  EXPECT_EQ(IntsetMembers(set), (std::vector<int64_t>{-1}));
}

TEST(IntSet, RandomOperationsMatchAReference) {
  std::mt19937_64 rng(7);
  IntSet set;
  std::set<int64_t> reference;
  std::uniform_int_distribution<int> kind(0, 2);
  for (int step = 0; step < 20000; ++step) {
    int64_t value;
    switch (kind(rng)) {
      case 0: value = static_cast<int16_t>(rng() % 2000); break;
      case 1: value = static_cast<int32_t>(rng()); break;
      default: value = static_cast<int64_t>(rng()); break;
    }
    if (rng() % 3 == 0) {
      EXPECT_EQ(set.Remove(value), reference.erase(value) == 1);
    } else {
      EXPECT_EQ(set.Add(value), reference.insert(value).second);
    }
  }
  EXPECT_EQ(IntsetMembers(set), std::vector<int64_t>(reference.begin(), reference.end()));
}

TEST(IntSet, FromBytesValidatesEverything) {
  IntSet set;
  for (int64_t v : {-5, 1, 70000}) ASSERT_TRUE(set.Add(v));
  const std::string good(set.bytes());
  auto copy = IntSet::FromBytes(good);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->bytes(), good);

  auto corrupt = [](std::string bytes) { return IntSet::FromBytes(bytes).status().code() == Code::kCorruption; };
  EXPECT_TRUE(corrupt(good.substr(0, 7)));                    // short header
  EXPECT_TRUE(corrupt(good.substr(0, good.size() - 1)));      // truncated member
  EXPECT_TRUE(corrupt(good + "x"));                           // trailing byte
  std::string bad_width = good;
  bad_width[0] = 3;
  EXPECT_TRUE(corrupt(bad_width));
  std::string descending = good;
  std::swap_ranges(descending.begin() + 8, descending.begin() + 12, descending.begin() + 12);
  EXPECT_TRUE(corrupt(descending));
  std::string duplicate = good;
  std::copy(duplicate.begin() + 8, duplicate.begin() + 12, duplicate.begin() + 12);
  EXPECT_TRUE(corrupt(duplicate));
  EXPECT_TRUE(corrupt(std::string("\x02\0\0\0\0\0\0\0", 8)));  // empty
}

TEST(IntSet, CopiesAndMovesAreIndependent) {
  IntSet a;
  a.Add(1);
  IntSet b = a;
  b.Add(2);
  EXPECT_EQ(a.size(), 1u);
  IntSet c = std::move(b);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(b.empty());  // NOLINT: a moved-from intset is empty and usable
  EXPECT_TRUE(b.Add(9));
  EXPECT_EQ(IntsetMembers(b), (std::vector<int64_t>{9}));
}

// --- MemberTable -----------------------------------------------------------------------

std::vector<std::string> ScanAll(const MemberTable& table) {
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = table.Scan(cursor, [&](std::string_view m) { seen.emplace_back(m); });
  } while (cursor != 0);
  return seen;
}

TEST(MemberTable, MatchesAReferenceThroughGrowthAndShrinking) {
  std::mt19937_64 rng(11);
  MemberTable table;
  std::set<std::string> reference;
  for (int step = 0; step < 60000; ++step) {
    const std::string member = "m" + std::to_string(rng() % 20000);
    // Insert-heavy first, erase-heavy later, so the table both grows and shrinks.
    const bool erase = (step < 30000) ? rng() % 4 == 0 : rng() % 4 != 0;
    if (erase) {
      EXPECT_EQ(table.Erase(member), reference.erase(member) == 1);
    } else {
      EXPECT_EQ(table.Insert(member), reference.insert(member).second);
    }
  }
  EXPECT_EQ(table.size(), reference.size());
  for (const std::string& member : reference) EXPECT_TRUE(table.Contains(member));
  std::vector<std::string> listed;
  table.ForEach([&](std::string_view m) { listed.emplace_back(m); });
  EXPECT_EQ(AsSet(listed), reference);
  EXPECT_EQ(listed.size(), reference.size());
  // Shrunk back under a sparse load (as Redis's dict) but never below 1/10 full.
  EXPECT_LE(table.slot_count(), std::max<size_t>(16, reference.size() * 10));
}

TEST(MemberTable, EmptyLongAndBinaryMembers) {
  MemberTable table;
  const std::string long_member(20000, 'x');  // a three-byte length prefix
  const std::string binary("a\0b\xff", 4);
  EXPECT_TRUE(table.Insert(""));
  EXPECT_TRUE(table.Insert(long_member));
  EXPECT_TRUE(table.Insert(binary));
  EXPECT_TRUE(table.Insert(std::string(127, 'y')));
  EXPECT_TRUE(table.Insert(std::string(128, 'y')));
  EXPECT_FALSE(table.Insert(""));
  EXPECT_TRUE(table.Contains(long_member));
  EXPECT_TRUE(table.Contains(binary));
  EXPECT_FALSE(table.Contains(std::string("a\0b", 3)));
  EXPECT_EQ(table.MemberAt(table.Find(long_member)), long_member);
  EXPECT_GE(table.MemoryUsage(), 20000u);
}

TEST(MemberTable, CopyIsDeep) {
  MemberTable a;
  for (int i = 0; i < 100; ++i) a.Insert("k" + std::to_string(i));
  MemberTable b = a;
  b.Erase("k1");
  b.Insert("new");
  EXPECT_TRUE(a.Contains("k1"));
  EXPECT_FALSE(a.Contains("new"));
  EXPECT_EQ(a.size(), 100u);
  EXPECT_EQ(b.size(), 100u);
  MemberTable c;
  c = std::move(b);
  EXPECT_TRUE(c.Contains("new"));
  EXPECT_EQ(b.size(), 0u);  // NOLINT: moved-from is empty
}

TEST(MemberTable, AMemberCostsItsAllocationAndAboutTwelveBytesOfTable) {
  MemberTable table;
  const size_t members = 1000;
  for (size_t i = 0; i < members; ++i) table.Insert("member:" + std::to_string(100000 + i));  // 13 bytes
  // Each member is one allocation of a length byte and its 13 bytes (16 bytes under
  // jemalloc), counted as the allocator sized it.
  void* probe = std::malloc(14);
  const size_t member_allocation = malloc_usable_size(probe);
  std::free(probe);
  const size_t table_bytes = table.MemoryUsage() - members * member_allocation;
  // 10 bytes per slot, the slots filling a size class (here 14,336 bytes: 1,433 slots,
  // just grown to 7/10 full), plus whatever slack the allocator gives a few members.
  EXPECT_EQ(table.slot_count(), 1433u);
  EXPECT_GE(table_bytes, 1433u * 10);
  EXPECT_LE(table_bytes, 14336u + 1024);
}

TEST(MemberTable, LoadStaysBetweenATenthAndSevenEighths) {
  MemberTable table;
  for (int i = 0; i < 20000; ++i) {
    table.Insert(std::to_string(i));
    ASSERT_LE(table.size() * 8, table.slot_count() * 7) << i;
    if (i > 100) {
      ASSERT_GE(table.size() * 10, table.slot_count() * 5) << i;  // grown by 1.25-1.5x
    }
  }
  for (int i = 0; i < 20000; ++i) {
    table.Erase(std::to_string(i));
    if (table.slot_count() > 8) {
      ASSERT_GE(table.size() * 10, table.slot_count()) << i;
    }
  }
  EXPECT_EQ(table.slot_count(), 8u);
}

TEST(MemberTable, FullScanReturnsEveryMemberOnce) {
  MemberTable table;
  for (int i = 0; i < 5000; ++i) table.Insert(std::to_string(i * 7919));
  std::vector<std::string> seen = ScanAll(table);
  EXPECT_EQ(seen.size(), 5000u);
  EXPECT_EQ(AsSet(seen).size(), 5000u);
}

// Redis's SCAN guarantee, and more: a member present from the start to the end of a scan
// is returned exactly once, however the table is resized between steps.
TEST(MemberTable, ScanKeepsItsGuaranteeAcrossGrowthAndShrinking) {
  for (const bool grow : {true, false}) {
    MemberTable table;
    std::set<std::string> stable;
    for (int i = 0; i < 300; ++i) {
      table.Insert("stable" + std::to_string(i));
      stable.insert("stable" + std::to_string(i));
    }
    if (!grow) {
      for (int i = 0; i < 20000; ++i) table.Insert("temp" + std::to_string(i));
    }
    std::multiset<std::string> seen;
    uint64_t cursor = 0;
    int step = 0;
    const size_t slots_before = table.slot_count();
    do {
      cursor = table.Scan(cursor, [&](std::string_view m) { seen.emplace(m); });
      ++step;
      if (grow && step <= 100) {
        for (int i = 0; i < 200; ++i) table.Insert("extra" + std::to_string(step) + "_" + std::to_string(i));
      } else if (!grow) {
        for (int i = 0; i < 400; ++i) table.Erase("temp" + std::to_string((step - 1) * 400 + i));
      }
    } while (cursor != 0);
    if (grow) {
      EXPECT_GT(table.slot_count(), slots_before * 8);
    } else {
      EXPECT_LT(table.slot_count(), slots_before / 8);
    }
    // Redis promises at least once; the hash-ordered cursor gives exactly once.
    for (const std::string& member : stable) EXPECT_EQ(seen.count(member), 1u) << member << " grow=" << grow;
  }
}

TEST(MemberTable, RandomSlotIsUniform) {
  MemberTable table;
  for (int i = 0; i < 10; ++i) table.Insert("m" + std::to_string(i));
  std::mt19937_64 rng(3);
  std::map<std::string, int> hits;
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) ++hits[std::string(table.MemberAt(table.RandomSlot(rng)))];
  ASSERT_EQ(hits.size(), 10u);
  for (const auto& [member, count] : hits) EXPECT_NEAR(count, draws / 10, draws / 100) << member;
}

// --- SetValue conversions --------------------------------------------------------------

EncodingLimits Defaults() { return EncodingLimits{}; }

TEST(SetValue, CreateForFollowsSetTypeCreate) {
  const EncodingLimits limits = Defaults();
  EXPECT_EQ(SetValue::CreateFor("1", 1, limits)->encoding(), Encoding::kIntset);
  EXPECT_EQ(SetValue::CreateFor("1", 512, limits)->encoding(), Encoding::kIntset);
  EXPECT_EQ(SetValue::CreateFor("1", 513, limits)->encoding(), Encoding::kHashtable);
  EXPECT_EQ(SetValue::CreateFor("a", 128, limits)->encoding(), Encoding::kListpack);
  EXPECT_EQ(SetValue::CreateFor("a", 129, limits)->encoding(), Encoding::kHashtable);
  EXPECT_EQ(SetValue::CreateFor("01", 1, limits)->encoding(), Encoding::kListpack);  // not canonical
}

TEST(SetValue, IntsetBecomesHashtablePastItsEntryLimit) {
  EncodingLimits limits = Defaults();
  SetValue set;
  for (int i = 0; i < 512; ++i) ASSERT_TRUE(set.Add(std::to_string(i * 3), limits));
  EXPECT_EQ(set.encoding(), Encoding::kIntset);
  ASSERT_TRUE(set.Add("-1", limits));
  EXPECT_EQ(set.encoding(), Encoding::kHashtable);
  EXPECT_EQ(set.Length(), 513u);
  EXPECT_TRUE(set.Contains("-1"));
  EXPECT_TRUE(set.Contains("1533"));
}

TEST(SetValue, IntsetTakesAStringAsListpackOnlyInsideTheListpackLimits) {
  const EncodingLimits limits = Defaults();
  auto fill = [&](int count) {
    SetValue set;
    for (int i = 0; i < count; ++i) set.Add(std::to_string(i), limits);
    return set;
  };
  SetValue small = fill(127);
  ASSERT_TRUE(small.Add("text", limits));
  EXPECT_EQ(small.encoding(), Encoding::kListpack);
  EXPECT_EQ(small.Length(), 128u);
  EXPECT_TRUE(small.Contains("126"));

  SetValue full = fill(128);  // 128 members already: the listpack would exceed its limit
  ASSERT_TRUE(full.Add("text", limits));
  EXPECT_EQ(full.encoding(), Encoding::kHashtable);

  SetValue long_value = fill(3);
  ASSERT_TRUE(long_value.Add(std::string(65, 'v'), limits));
  EXPECT_EQ(long_value.encoding(), Encoding::kHashtable);
  SetValue edge_value = fill(3);
  ASSERT_TRUE(edge_value.Add(std::string(64, 'v'), limits));
  EXPECT_EQ(edge_value.encoding(), Encoding::kListpack);

  // The intset's widest member counts too (Redis's sdigits10 of min and max).
  EncodingLimits narrow = limits;
  narrow.set_max_listpack_value = 4;
  SetValue wide;
  wide.Add("-1000", narrow);  // five characters
  ASSERT_TRUE(wide.Add("ab", narrow));
  EXPECT_EQ(wide.encoding(), Encoding::kHashtable);
  SetValue fits;
  fits.Add("-100", narrow);
  ASSERT_TRUE(fits.Add("ab", narrow));
  EXPECT_EQ(fits.encoding(), Encoding::kListpack);
}

TEST(SetValue, ListpackBecomesHashtablePastEitherLimit) {
  const EncodingLimits limits = Defaults();
  SetValue set(Listpack{});
  for (int i = 0; i < 128; ++i) ASSERT_TRUE(set.Add("m" + std::to_string(i), limits));
  EXPECT_FALSE(set.Add("m5", limits));
  EXPECT_EQ(set.encoding(), Encoding::kListpack);
  ASSERT_TRUE(set.Add("m128", limits));
  EXPECT_EQ(set.encoding(), Encoding::kHashtable);
  EXPECT_EQ(set.Length(), 129u);

  SetValue long_member(Listpack{});
  long_member.Add("a", limits);
  ASSERT_TRUE(long_member.Add(std::string(65, 'x'), limits));
  EXPECT_EQ(long_member.encoding(), Encoding::kHashtable);
  EXPECT_TRUE(long_member.Contains("a"));
}

TEST(SetValue, ListpackKeepsIntegersAsIntegersAndFindsThemByText) {
  const EncodingLimits limits = Defaults();
  SetValue set(Listpack{});
  set.Add("x", limits);
  set.Add("12", limits);
  set.Add("-9223372036854775808", limits);
  EXPECT_TRUE(set.Contains("12"));
  EXPECT_FALSE(set.Contains("012"));
  EXPECT_FALSE(set.Add("12", limits));
  EXPECT_EQ(MembersOf(set), (std::set<std::string>{"x", "12", "-9223372036854775808"}));
  EXPECT_TRUE(set.Remove("12"));
  EXPECT_FALSE(set.Remove("12"));
}

TEST(SetValue, NeverConvertsBackOnRemoval) {
  const EncodingLimits limits = Defaults();
  SetValue set(Listpack{});
  for (int i = 0; i < 200; ++i) set.Add("m" + std::to_string(i), limits);
  ASSERT_EQ(set.encoding(), Encoding::kHashtable);
  for (int i = 1; i < 200; ++i) ASSERT_TRUE(set.Remove("m" + std::to_string(i)));
  EXPECT_EQ(set.encoding(), Encoding::kHashtable);
  EXPECT_EQ(MembersOf(set), (std::set<std::string>{"m0"}));
}

TEST(SetValue, SizeHintConvertsCompactEncodings) {
  const EncodingLimits limits = Defaults();
  SetValue packed(Listpack{});
  packed.Add("a", limits);
  packed.ConvertForSizeHint(128, limits);
  EXPECT_EQ(packed.encoding(), Encoding::kListpack);
  packed.ConvertForSizeHint(129, limits);
  EXPECT_EQ(packed.encoding(), Encoding::kHashtable);
  SetValue ints;
  ints.Add("1", limits);
  ints.ConvertForSizeHint(512, limits);
  EXPECT_EQ(ints.encoding(), Encoding::kIntset);
  ints.ConvertForSizeHint(513, limits);
  EXPECT_EQ(ints.encoding(), Encoding::kHashtable);
  EXPECT_TRUE(ints.Contains("1"));
}

TEST(SetValue, AllIntegerSetsReencodeAsIntsetWhenTheyFit) {
  const EncodingLimits limits = Defaults();
  SetValue set(Listpack{});
  for (int i = 0; i < 300; ++i) set.Add(std::to_string(i), limits);
  ASSERT_EQ(set.encoding(), Encoding::kHashtable);
  set.ConvertToIntsetIfFits(limits);
  EXPECT_EQ(set.encoding(), Encoding::kIntset);
  EXPECT_EQ(set.Length(), 300u);
  EXPECT_TRUE(set.Contains("299"));
  SetValue big(Listpack{});
  for (int i = 0; i < 600; ++i) big.Add(std::to_string(i), limits);
  big.ConvertToIntsetIfFits(limits);
  EXPECT_EQ(big.encoding(), Encoding::kHashtable);  // over set-max-intset-entries
}

TEST(SetValue, CloneKeepsEncodingAndMembers) {
  const EncodingLimits limits = Defaults();
  for (int size : {5, 100, 1000}) {
    SetValue set(Listpack{});
    for (int i = 0; i < size; ++i) set.Add("v" + std::to_string(i), limits);
    auto clone = set.Clone();
    const auto& copy = static_cast<const SetValue&>(*clone);
    EXPECT_EQ(copy.encoding(), set.encoding());
    EXPECT_EQ(MembersOf(copy), MembersOf(set));
  }
  SetValue ints;
  ints.Add("7", limits);
  EXPECT_EQ(ints.Clone()->encoding(), Encoding::kIntset);
}

// --- random members --------------------------------------------------------------------

// One set per encoding, `size` members each.
std::vector<SetValue> OnePerEncoding(int size) {
  EncodingLimits big = Defaults();
  big.set_max_listpack_entries = 100000;
  big.set_max_intset_entries = 100000;
  std::vector<SetValue> sets;
  SetValue ints;
  SetValue packed(Listpack{});
  SetValue table{MemberTable{}};
  for (int i = 0; i < size; ++i) {
    ints.Add(std::to_string(i), big);
    packed.Add("p" + std::to_string(i), big);
    table.Add("t" + std::to_string(i), big);
  }
  EXPECT_EQ(ints.encoding(), Encoding::kIntset);
  EXPECT_EQ(packed.encoding(), Encoding::kListpack);
  EXPECT_EQ(table.encoding(), Encoding::kHashtable);
  sets.push_back(std::move(ints));
  sets.push_back(std::move(packed));
  sets.push_back(std::move(table));
  return sets;
}

TEST(SetRandom, PositiveCountsNeverRepeat) {
  std::mt19937_64 rng(5);
  for (int size : {3, 50, 1000}) {
    for (const SetValue& set : OnePerEncoding(size)) {
      const std::set<std::string> all = MembersOf(set);
      // Both strategies: counts above and below a third of the set.
      for (uint64_t count : {uint64_t{1}, uint64_t(size / 4 + 1), uint64_t(size / 2 + 1), uint64_t(size - 1)}) {
        if (count == 0 || count >= static_cast<uint64_t>(size)) continue;
        const std::vector<std::string> chosen = RandomDistinctMembers(set, count, rng);
        ASSERT_EQ(chosen.size(), count);
        const std::set<std::string> distinct = AsSet(chosen);
        EXPECT_EQ(distinct.size(), count) << "repeat at size " << size << " count " << count;
        for (const std::string& m : distinct) EXPECT_TRUE(all.count(m));
      }
    }
  }
}

TEST(SetRandom, DistinctSamplesAreUniform) {
  std::mt19937_64 rng(9);
  for (const SetValue& set : OnePerEncoding(20)) {
    for (uint64_t count : {uint64_t{2}, uint64_t{15}}) {
      std::map<std::string, int> hits;
      const int rounds = 20000;
      for (int i = 0; i < rounds; ++i) {
        for (const std::string& m : RandomDistinctMembers(set, count, rng)) ++hits[m];
      }
      ASSERT_EQ(hits.size(), 20u);
      const double expected = rounds * static_cast<double>(count) / 20;
      for (const auto& [member, n] : hits) EXPECT_NEAR(n, expected, expected * 0.1) << member;
    }
  }
}

TEST(SetRandom, NegativeCountsDrawIndependently) {
  std::mt19937_64 rng(13);
  for (const SetValue& set : OnePerEncoding(4)) {
    const std::set<std::string> all = MembersOf(set);
    std::map<std::string, int> hits;
    uint64_t emitted = 0;
    RandomMembersWithRepeats(set, 40000, rng, [&](std::string_view m) {
      ++emitted;
      ++hits[std::string(m)];
    });
    EXPECT_EQ(emitted, 40000u);
    ASSERT_EQ(hits.size(), 4u);  // more draws than members: repeats
    for (const auto& [member, n] : hits) {
      EXPECT_TRUE(all.count(member));
      EXPECT_NEAR(n, 10000, 600);
    }
    hits.clear();
    for (int i = 0; i < 40000; ++i) ++hits[RandomMember(set, rng)];
    for (const auto& [member, n] : hits) EXPECT_NEAR(n, 10000, 600);
  }
}

TEST(SetRandom, PopRemovesWhatItReturns) {
  std::mt19937_64 rng(17);
  const EncodingLimits limits = Defaults();
  for (int size : {10, 300}) {
    for (SetValue& set : OnePerEncoding(size)) {
      const std::set<std::string> before = MembersOf(set);
      // Few (draws) then most (rebuild) of what is left.
      const uint64_t few = size / 10;
      PoppedMembers first = PopRandomMembers(set, few, limits, rng);
      EXPECT_FALSE(first.rebuilt);
      const uint64_t most = set.Length() - 1;
      PoppedMembers second = PopRandomMembers(set, most, limits, rng);
      EXPECT_TRUE(second.rebuilt);
      std::string last = PopRandomMember(set, rng);
      EXPECT_EQ(set.Length(), 0u);
      std::vector<std::string> all = first.members;
      all.insert(all.end(), second.members.begin(), second.members.end());
      all.push_back(last);
      EXPECT_EQ(all.size(), before.size());
      EXPECT_EQ(AsSet(all), before);
    }
  }
}

TEST(SetRandom, RebuiltSetTakesTheEncodingANewSetWould) {
  std::mt19937_64 rng(19);
  const EncodingLimits limits = Defaults();
  SetValue table(Listpack{});
  for (int i = 0; i < 1000; ++i) table.Add("member" + std::to_string(i), limits);
  ASSERT_EQ(table.encoding(), Encoding::kHashtable);
  PoppedMembers popped = PopRandomMembers(table, 990, limits, rng);
  EXPECT_TRUE(popped.rebuilt);
  EXPECT_EQ(table.Length(), 10u);
  EXPECT_EQ(table.encoding(), Encoding::kListpack);

  SetValue ints(Listpack{});
  for (int i = 0; i < 1000; ++i) ints.Add(std::to_string(i), limits);
  ASSERT_EQ(ints.encoding(), Encoding::kHashtable);
  PopRandomMembers(ints, 950, limits, rng);
  EXPECT_EQ(ints.encoding(), Encoding::kListpack);  // a hashtable's remainder starts as a listpack, as in Redis
  EXPECT_EQ(ints.Length(), 50u);
}

TEST(SetRandom, SinglePopsAreUniform) {
  std::mt19937_64 rng(23);
  for (const SetValue& original : OnePerEncoding(5)) {
    std::map<std::string, int> hits;
    for (int i = 0; i < 25000; ++i) {
      SetValue copy = original;
      ++hits[PopRandomMember(copy, rng)];
    }
    ASSERT_EQ(hits.size(), 5u);
    for (const auto& [member, n] : hits) EXPECT_NEAR(n, 5000, 400) << member;
  }
}

}  // namespace
}  // namespace tierkv
