// The sorted-set value: the ordered index (B+tree with counts + member table) against a
// std::set reference model under random inserts, deletes and score changes; ranks and
// ranges; the listpack encoding and its conversion at the thresholds; score text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/number.h"
#include "engine/types/zset/member_table.h"
#include "engine/types/zset/order_tree.h"
#include "engine/types/zset/score_index.h"
#include "engine/types/zset/zset.h"
#include "engine/types/zset/zset_range.h"

namespace tierkv {
namespace {

using Model = std::set<std::pair<double, std::string>>;

std::string MemberName(std::mt19937_64& rng, size_t universe) {
  return "m:" + std::to_string(rng() % universe);
}

// Checks every invariant and that the index holds exactly the model, in order, with
// the right ranks.
void ExpectMatches(const ScoreIndex& index, const Model& model) {
  std::string why;
  ASSERT_TRUE(index.CheckInvariants(&why)) << why;
  ASSERT_EQ(index.size(), model.size());
  size_t rank = 0;
  OrderTree::Cursor it = index.tree().First();
  for (const auto& [score, member] : model) {
    ASSERT_TRUE(it.valid());
    ASSERT_EQ(it.score(), score);
    ASSERT_EQ(it.record()->member(), member);
    ASSERT_EQ(index.RankOf(it.record()), rank);
    ++rank;
    it.Next();
  }
  EXPECT_FALSE(it.valid());
}

TEST(OrderIndex, RandomInsertsDeletesAndScoreChangesMatchAModel) {
  for (size_t universe : {10u, 300u, 5000u}) {
    std::mt19937_64 rng(universe);
    ScoreIndex index;
    Model model;
    std::map<std::string, double> scores;
    for (int step = 0; step < 20000; ++step) {
      const std::string member = MemberName(rng, universe);
      // Few distinct scores, so ties (ordered by member) are common.
      const double score = static_cast<double>(rng() % 50) - 25;
      const int action = static_cast<int>(rng() % 10);
      auto known = scores.find(member);
      if (action < 5) {
        if (known == scores.end()) {
          index.Insert(member, score);
          model.insert({score, member});
          scores[member] = score;
        } else {
          index.SetScore(index.Find(member), score);
          model.erase({known->second, member});
          model.insert({score, member});
          known->second = score;
        }
      } else {
        const bool removed = index.Remove(member);
        EXPECT_EQ(removed, known != scores.end());
        if (known != scores.end()) {
          model.erase({known->second, member});
          scores.erase(known);
        }
      }
      if (step % 997 == 0) ExpectMatches(index, model);
    }
    ExpectMatches(index, model);
    // Drain it completely.
    for (const auto& [member, score] : scores) ASSERT_TRUE(index.Remove(member));
    ExpectMatches(index, {});
  }
}

TEST(OrderIndex, SortedAppendsFillLeavesAndPopsFromTheFrontStayBalanced) {
  ScoreIndex index;
  Model model;
  for (int i = 0; i < 10000; ++i) {
    index.Insert("t" + std::to_string(i), i);
    model.insert({i, "t" + std::to_string(i)});
  }
  ExpectMatches(index, model);
  // Appends split the last leaf at its end: leaves stay full (16 bytes an item, plus
  // allocator rounding and half-full inner nodes).
  EXPECT_LT(index.tree().MemoryUsage(), 10000 * 16 * 115 / 100);
  // A queue: pop the minimum 9,000 times.
  for (int i = 0; i < 9000; ++i) {
    const OrderTree::Cursor first = index.tree().First();
    ASSERT_TRUE(first.valid());
    ASSERT_EQ(first.score(), i);
    const std::string member(first.record()->member());
    ASSERT_TRUE(index.Remove(member));
    model.erase(model.begin());
    if (i % 500 == 0) ExpectMatches(index, model);
  }
  ExpectMatches(index, model);
  // Descending inserts (prepends) too.
  ScoreIndex reversed;
  Model reversed_model;
  for (int i = 5000; i > 0; --i) {
    reversed.Insert("r" + std::to_string(i), i);
    reversed_model.insert({i, "r" + std::to_string(i)});
  }
  ExpectMatches(reversed, reversed_model);
}

// A deeper tree (three levels of inner nodes at this size): random inserts, then most
// of it deleted at random, with every invariant checked along the way.
TEST(OrderIndex, DeepTreeGrowsAndShrinksRandomly) {
  std::mt19937_64 rng(2024);
  ScoreIndex index;
  Model model;
  std::vector<std::string> members;
  for (int i = 0; i < 60000; ++i) {
    const std::string member = "d" + std::to_string(rng());
    const double score = static_cast<double>(rng() % 1000);
    if (index.Find(member) != nullptr) continue;
    index.Insert(member, score);
    model.insert({score, member});
    members.push_back(member);
    if (i % 15000 == 0) ExpectMatches(index, model);
  }
  ExpectMatches(index, model);
  // Random inserts leave leaves about 80% full: neighbours take items before a split.
  EXPECT_LT(index.tree().MemoryUsage(), members.size() * 16 * 135 / 100);
  std::shuffle(members.begin(), members.end(), rng);
  for (size_t i = 0; i + 100 < members.size(); ++i) {
    const double score = index.Find(members[i])->score();
    ASSERT_TRUE(index.Remove(members[i]));
    model.erase({score, members[i]});
    if (i % 10000 == 0) ExpectMatches(index, model);
  }
  ExpectMatches(index, model);
}

TEST(OrderIndex, SeekFindsPartitionPointsAndRanks) {
  ScoreIndex index;
  for (int i = 0; i < 3000; ++i) index.Insert("k" + std::to_string(i), i / 3);  // 3 per score
  for (int score : {-1, 0, 1, 500, 999, 1000}) {
    size_t rank = 0;
    OrderTree::Cursor it =
        index.tree().Seek([&](const ScoredRef& x) { return x.score < score; }, &rank);
    const size_t expected = score < 0 ? 0 : std::min<size_t>(3000, static_cast<size_t>(score) * 3);
    EXPECT_EQ(rank, expected) << score;
    EXPECT_EQ(it.valid(), expected < 3000);
    if (it.valid()) {
      EXPECT_EQ(it.score(), std::max(score, 0));
    }
  }
  for (size_t rank : {0u, 1u, 61u, 62u, 1500u, 2999u}) {
    OrderTree::Cursor it = index.tree().AtRank(rank);
    ASSERT_TRUE(it.valid());
    EXPECT_EQ(index.RankOf(it.record()), rank);
  }
  EXPECT_FALSE(index.tree().AtRank(3000).valid());
}

TEST(ZSetMemberTableTest, ScanVisitsEveryMemberOnceAcrossResizes) {
  ScoreIndex index;
  for (int i = 0; i < 2000; ++i) index.Insert("s" + std::to_string(i), i);
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = index.table().Scan(cursor, 50, [&](const MemberRecord* record) { seen.insert(std::string(record->member())); });
    // Grow and shrink the table under the scan: members 0..999 stay throughout.
    if (steps == 3) {
      for (int i = 2000; i < 6000; ++i) index.Insert("s" + std::to_string(i), i);
    }
    if (steps == 6) {
      for (int i = 1000; i < 6000; ++i) index.Remove("s" + std::to_string(i));
    }
    ++steps;
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen.count("s" + std::to_string(i)), 1u) << i;
  std::string why;
  EXPECT_TRUE(index.CheckInvariants(&why)) << why;
}

TEST(ZSetMemberTableTest, TombstonesAreReclaimed) {
  ScoreIndex index;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i) index.Insert("x" + std::to_string(round * 100 + i), i);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(index.Remove("x" + std::to_string(round * 100 + i)));
  }
  index.Insert("last", 1);
  std::string why;
  EXPECT_TRUE(index.CheckInvariants(&why)) << why;
  EXPECT_LE(index.table().capacity(), 16u);
}

// ---- the value ----

EncodingLimits SmallLimits() {
  EncodingLimits limits;
  limits.zset_max_listpack_entries = 4;
  limits.zset_max_listpack_value = 8;
  return limits;
}

double AddPlain(ZSet& zset, std::string_view member, double score, const EncodingLimits& limits) {
  double result = 0;
  zset.Add(member, score, {}, limits, &result);
  return result;
}

TEST(ZSetValue, ListpackKeepsScoreThenMemberOrder) {
  EncodingLimits limits;
  auto zset = ZSet::Create(1, 1, limits);
  AddPlain(*zset, "b", 2, limits);
  AddPlain(*zset, "a", 2, limits);
  AddPlain(*zset, "c", 1.5, limits);
  AddPlain(*zset, "10", -1, limits);  // stored as a listpack integer
  EXPECT_EQ(zset->encoding(), Encoding::kListpack);
  const std::vector<ScoredMember> expected = {{"10", -1}, {"c", 1.5}, {"a", 2}, {"b", 2}};
  EXPECT_EQ(zset->ToVector(), expected);
  EXPECT_EQ(zset->Rank("a", nullptr), 2u);
  EXPECT_EQ(zset->Score("10"), -1);
  EXPECT_EQ(zset->Score("nope"), std::nullopt);
}

TEST(ZSetValue, ConvertsAtTheEntryLimit) {
  const EncodingLimits limits = SmallLimits();
  auto zset = ZSet::Create(1, 1, limits);
  for (int i = 0; i < 4; ++i) AddPlain(*zset, "m" + std::to_string(i), i, limits);
  EXPECT_EQ(zset->encoding(), Encoding::kListpack);
  AddPlain(*zset, "m4", 4, limits);
  EXPECT_EQ(zset->encoding(), Encoding::kSkiplist);
  EXPECT_EQ(zset->size(), 5u);
  // Removals never convert back.
  zset->Remove("m4");
  zset->Remove("m3");
  EXPECT_EQ(zset->encoding(), Encoding::kSkiplist);
  // ... but a STORE result that fits does.
  zset->ConvertToListpackIfFits(limits);
  EXPECT_EQ(zset->encoding(), Encoding::kListpack);
  const std::vector<ScoredMember> expected = {{"m0", 0}, {"m1", 1}, {"m2", 2}};
  EXPECT_EQ(zset->ToVector(), expected);
}

TEST(ZSetValue, ConvertsAtTheValueLimit) {
  const EncodingLimits limits = SmallLimits();
  auto zset = ZSet::Create(1, 1, limits);
  AddPlain(*zset, "12345678", 1, limits);  // exactly the limit
  EXPECT_EQ(zset->encoding(), Encoding::kListpack);
  AddPlain(*zset, "123456789", 2, limits);
  EXPECT_EQ(zset->encoding(), Encoding::kSkiplist);
  // Created directly in the index encoding when the first member is too long.
  EXPECT_EQ(ZSet::Create(1, 9, limits)->encoding(), Encoding::kSkiplist);
  EXPECT_EQ(ZSet::Create(5, 1, limits)->encoding(), Encoding::kSkiplist);
  auto fits = ZSet::Create(4, 8, limits);
  EXPECT_EQ(fits->encoding(), Encoding::kListpack);
  fits->ConvertIfLargerThanListpack(5, limits);
  EXPECT_EQ(fits->encoding(), Encoding::kSkiplist);
}

TEST(ZSetValue, AddFlagsFollowRedis) {
  EncodingLimits limits;
  for (bool big : {false, true}) {
    auto zset = ZSet::Create(big ? 1000 : 1, 1, limits);
    double result = 0;
    EXPECT_EQ(zset->Add("a", 5, {}, limits, &result), ZAddOutcome::kAdded);
    EXPECT_EQ(zset->Add("a", 5, {}, limits, &result), ZAddOutcome::kUnchanged);
    EXPECT_EQ(zset->Add("a", 6, {.nx = true}, limits, &result), ZAddOutcome::kSkipped);
    EXPECT_EQ(zset->Add("b", 6, {.xx = true}, limits, &result), ZAddOutcome::kSkipped);
    EXPECT_EQ(zset->Add("a", 4, {.gt = true}, limits, &result), ZAddOutcome::kSkipped);
    EXPECT_EQ(zset->Add("a", 7, {.gt = true}, limits, &result), ZAddOutcome::kUpdated);
    EXPECT_EQ(zset->Add("a", 8, {.lt = true}, limits, &result), ZAddOutcome::kSkipped);
    EXPECT_EQ(zset->Add("a", 2, {.incr = true}, limits, &result), ZAddOutcome::kUpdated);
    EXPECT_EQ(result, 9);
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(zset->Add("a", inf, {}, limits, &result), ZAddOutcome::kUpdated);
    EXPECT_EQ(zset->Add("a", -inf, {.incr = true}, limits, &result), ZAddOutcome::kNaN);
    EXPECT_EQ(zset->Score("a"), inf);
    EXPECT_EQ(zset->encoding(), big ? Encoding::kSkiplist : Encoding::kListpack);
  }
}

// The same operations on both encodings give the same answers.
TEST(ZSetValue, BothEncodingsAgreeOnRangesCountsAndRemovals) {
  std::mt19937_64 rng(7);
  EncodingLimits limits;
  for (int trial = 0; trial < 40; ++trial) {
    auto small = ZSet::Create(1, 1, limits);
    auto big = ZSet::Create(1000, 1, limits);
    const int count = static_cast<int>(rng() % 60) + 1;
    for (int i = 0; i < count; ++i) {
      const std::string member(1, static_cast<char>('a' + rng() % 26));
      const std::string full = member + std::to_string(rng() % 5);
      const double score = static_cast<double>(rng() % 7);
      AddPlain(*small, full, score, limits);
      AddPlain(*big, full, score, limits);
    }
    ASSERT_EQ(small->ToVector(), big->ToVector());
    const double lo = static_cast<double>(rng() % 8) - 1;
    const double hi = lo + static_cast<double>(rng() % 4);
    const ScoreRange scores{lo, hi, rng() % 2 == 0, rng() % 2 == 0};
    EXPECT_EQ(small->Count(scores), big->Count(scores));
    auto first_small = small->FirstIn(scores);
    auto first_big = big->FirstIn(scores);
    ASSERT_EQ(first_small.valid(), first_big.valid());
    if (first_small.valid()) {
      EXPECT_EQ(first_small.member(), first_big.member());
    }
    auto last_small = small->LastIn(scores);
    auto last_big = big->LastIn(scores);
    ASSERT_EQ(last_small.valid(), last_big.valid());
    if (last_small.valid()) {
      EXPECT_EQ(last_small.member(), last_big.member());
    }

    size_t expected = 0;
    for (const ScoredMember& item : small->ToVector()) expected += scores.Contains(item.score) ? 1 : 0;
    EXPECT_EQ(small->Count(scores), expected);
    EXPECT_EQ(small->RemoveRange(scores), expected);
    EXPECT_EQ(big->RemoveRange(scores), expected);
    ASSERT_EQ(small->ToVector(), big->ToVector());
    const size_t n = small->size();
    if (n > 2) {
      EXPECT_EQ(small->RemoveRanks(1, n - 2), n - 2);
      EXPECT_EQ(big->RemoveRanks(1, n - 2), n - 2);
      ASSERT_EQ(small->ToVector(), big->ToVector());
    }
    EXPECT_EQ(small->Pop(true, 1), big->Pop(true, 1));
    EXPECT_EQ(small->Pop(false, 5), big->Pop(false, 5));
    EXPECT_EQ(small->size(), big->size());
  }
}

// Lexicographic ranges are meaningful when every score is equal (as in Redis).
TEST(ZSetValue, LexRangesOnEqualScores) {
  EncodingLimits limits;
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    auto small = ZSet::Create(1, 1, limits);
    auto big = ZSet::Create(1000, 1, limits);
    std::set<std::string> model;
    const int count = static_cast<int>(rng() % 100) + 1;
    for (int i = 0; i < count; ++i) {
      std::string member(1 + rng() % 3, 'a');
      for (char& c : member) c = static_cast<char>('a' + rng() % 6);
      AddPlain(*small, member, 0, limits);
      AddPlain(*big, member, 0, limits);
      model.insert(member);
    }
    const char* bounds[] = {"-", "+", "[b", "(b", "[cc", "(cc", "[", "(ddd"};
    const std::string_view min = bounds[rng() % 8];
    const std::string_view max = bounds[rng() % 8];
    auto range = ParseLexRange(min, max);
    ASSERT_TRUE(range.ok());
    size_t expected = 0;
    for (const std::string& member : model) expected += range->Contains(member) ? 1 : 0;
    EXPECT_EQ(small->Count(*range), expected) << min << " " << max;
    EXPECT_EQ(big->Count(*range), expected) << min << " " << max;
    auto first = big->FirstIn(*range);
    auto last = small->LastIn(*range);
    EXPECT_EQ(first.valid(), expected > 0);
    EXPECT_EQ(last.valid(), expected > 0);
    EXPECT_EQ(small->RemoveRange(*range), expected);
    EXPECT_EQ(big->RemoveRange(*range), expected);
    EXPECT_EQ(small->ToVector(), big->ToVector());
  }
}

TEST(ZSetValue, CloneKeepsTheEncoding) {
  EncodingLimits limits;
  auto small = ZSet::Create(1, 1, limits);
  auto big = ZSet::Create(1000, 1, limits);
  for (int i = 0; i < 10; ++i) {
    AddPlain(*small, std::to_string(i), i, limits);
    AddPlain(*big, std::to_string(i), i, limits);
  }
  auto small_copy = small->Clone();
  auto big_copy = big->Clone();
  EXPECT_EQ(small_copy->encoding(), Encoding::kListpack);
  EXPECT_EQ(big_copy->encoding(), Encoding::kSkiplist);
  EXPECT_EQ(static_cast<ZSet&>(*big_copy).ToVector(), big->ToVector());
  EXPECT_GT(big->MemoryUsage(), small->MemoryUsage());
}

// ---- score text and ranges ----

TEST(ScoreText, FormatsAsRedis72) {
  EXPECT_EQ(FormatDouble(1), "1");
  EXPECT_EQ(FormatDouble(-2.5), "-2.5");
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
  EXPECT_EQ(FormatDouble(1.5e300), "1.5e+300");
  EXPECT_EQ(FormatDouble(1e-5), "0.00001");
  EXPECT_EQ(FormatDouble(1.5e-7), "1.5e-7");
  EXPECT_EQ(FormatDouble(123456.789), "123456.789");
  EXPECT_EQ(FormatDouble(4611686018427387904.0), "4611686018427387904");
  EXPECT_EQ(FormatDouble(9223372036854775808.0), "9223372036854776000");  // past 2^62: shortest digits
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDoubleShortest(100), "100");
  EXPECT_EQ(FormatDoubleShortest(1e22), "1e+22");
  EXPECT_EQ(FormatDoubleShortest(1.5e10), "1.5e+10");
  EXPECT_EQ(FormatDoubleShortest(5e-324), "5e-324");
  // Every formatted score reads back as itself.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t bits = rng();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    if (std::isnan(value)) continue;
    EXPECT_EQ(ZSet::ScoreFromText(FormatDouble(value)), value) << FormatDouble(value);
  }
}

TEST(ScoreRanges, ParseAsRedis) {
  auto range = ParseScoreRange("(1.5", "+inf");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->min_exclusive);
  EXPECT_FALSE(range->Contains(1.5));
  EXPECT_TRUE(range->Contains(1e300));
  // strtod's leniency, as zslParseRange: leading spaces, the empty string (0).
  range = ParseScoreRange(" 1", "");
  ASSERT_TRUE(range.ok());
  EXPECT_TRUE(range->Empty());
  EXPECT_FALSE(ParseScoreRange("nan", "1").ok());
  EXPECT_FALSE(ParseScoreRange("1x", "1").ok());
  EXPECT_EQ(ParseScoreRange("a", "1").status().message(), "ERR min or max is not a float");

  auto lex = ParseLexRange("-", "+");
  ASSERT_TRUE(lex.ok());
  EXPECT_TRUE(lex->Contains(""));
  EXPECT_FALSE(lex->Empty());
  EXPECT_TRUE(ParseLexRange("+", "-")->Empty());
  EXPECT_TRUE(ParseLexRange("(a", "[a")->Empty());
  EXPECT_FALSE(ParseLexRange("[a", "[a")->Empty());
  EXPECT_FALSE(ParseLexRange("a", "+").ok());
  EXPECT_FALSE(ParseLexRange("+x", "+").ok());
  EXPECT_FALSE(ParseLexRange("", "+").ok());
  EXPECT_EQ(ParseLexRange("a", "b").status().message(), "ERR min or max not valid string range item");
}

}  // namespace
}  // namespace tierkv
