// ListValue and Quicklist: Redis 7.2's listpack/quicklist conversions at the
// list-max-listpack-size limits (size- and count-based), node splitting and filling,
// plain nodes for large elements, index walks, and a randomized comparison of every
// operation against a std::deque model with the node invariants checked after each step.
#include "engine/types/list/list_value.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace tierkv {
namespace {

std::vector<std::string> Elements(const ListValue& list) {
  std::vector<std::string> out;
  list.ForEach([&](std::string_view element) { out.emplace_back(element); });
  return out;
}

std::vector<std::string> Reversed(const ListValue& list) {
  std::vector<std::string> out;
  Listpack::IntBuffer scratch;
  for (ListCursor at = list.Last(); at.valid(); at = list.Prev(at)) out.emplace_back(list.Get(at, scratch));
  return out;
}

// Node shape: counts add up, packed nodes of several elements are within the limit (a
// lone element up to the limit may pass it by its framing, as in Redis), plain nodes hold
// exactly one element, no node is empty.
void ExpectValidNodes(const ListValue& list, const ListNodeLimit& limit) {
  if (list.is_listpack()) return;
  const Quicklist& nodes = *list.quicklist();
  size_t total = 0;
  for (size_t i = 0; i < nodes.node_count(); ++i) {
    const ListNode& node = nodes.node(i);
    ASSERT_GT(node.count, 0u) << "node " << i;
    ASSERT_EQ(node.count, node.entries.size()) << "node " << i;
    if (node.plain) {
      ASSERT_EQ(node.count, 1u);
    } else if (node.count == 1) {
      // One element no larger than the limit: its framing may take the node past it.
      Listpack::IntBuffer scratch;
      ASSERT_FALSE(limit.IsLargeElement(node.entries.Get(node.entries.First(), scratch).size())) << "node " << i;
    } else {
      ASSERT_FALSE(limit.Exceeds(node.entries.bytes_size(), node.count))
          << "node " << i << " of " << nodes.node_count() << ": " << node.entries.bytes_size() << " bytes, "
          << node.count << " elements";
    }
    total += node.count;
  }
  ASSERT_EQ(total, nodes.size());
}

std::string Value(size_t size, char fill) { return std::string(size, fill); }

// ---- The limit ----

TEST(ListNodeLimitTest, NegativeFillsLimitBytes) {
  const size_t expected[] = {4096, 8192, 16384, 32768, 65536};
  for (int fill = -1; fill >= -5; --fill) {
    const ListNodeLimit limit = ListNodeLimit::FromFill(fill);
    const size_t bytes = expected[-fill - 1];
    EXPECT_FALSE(limit.Exceeds(bytes, 100000)) << fill;
    EXPECT_TRUE(limit.Exceeds(bytes + 1, 1)) << fill;
    EXPECT_FALSE(limit.IsLargeElement(bytes)) << fill;
    EXPECT_TRUE(limit.IsLargeElement(bytes + 1)) << fill;
  }
  EXPECT_FALSE(ListNodeLimit::FromFill(-100).Exceeds(65536, 1));
  EXPECT_TRUE(ListNodeLimit::FromFill(INT64_MIN).Exceeds(65537, 1));
}

TEST(ListNodeLimitTest, APackedThresholdDecidesPlainNodesWhateverTheFill) {
  for (int64_t fill : {-2, 5}) {
    const ListNodeLimit limit = ListNodeLimit::FromFill(fill, /*packed_threshold=*/100);
    EXPECT_FALSE(limit.IsLargeElement(99)) << fill;
    EXPECT_TRUE(limit.IsLargeElement(100)) << fill;  // from the threshold on, as Redis's >=
    EXPECT_TRUE(limit.Halved().IsLargeElement(100)) << fill;
  }
  EXPECT_FALSE(ListNodeLimit::FromFill(-2, 0).IsLargeElement(8192));  // 0: the fill's rule
}

TEST(ListNodeLimitTest, PositiveFillsCountEntriesWithinTheSafetySize) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(5);
  EXPECT_FALSE(limit.Exceeds(100, 5));
  EXPECT_TRUE(limit.Exceeds(100, 6));
  EXPECT_TRUE(limit.Exceeds(8193, 1));
  EXPECT_TRUE(limit.IsLargeElement(8193));
  EXPECT_FALSE(limit.IsLargeElement(8192));
  // 0 still allows one element per node.
  EXPECT_FALSE(ListNodeLimit::FromFill(0).Exceeds(10, 1));
  EXPECT_TRUE(ListNodeLimit::FromFill(0).Exceeds(10, 2));
  // Halving: 8 KiB -> 4 KiB; 5 entries -> 2.
  EXPECT_EQ(ListNodeLimit::FromFill(-2).Halved().max_bytes, 4096u);
  EXPECT_EQ(ListNodeLimit::FromFill(5).Halved().max_count, 2u);
}

// ---- Conversions ----

TEST(ListValueTest, SmallListIsOneListpack) {
  ListValue list;
  const ListNodeLimit limit = ListNodeLimit::FromFill(-2);
  for (const char* value : {"a", "b", "12345"}) {
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
  }
  EXPECT_EQ(list.encoding(), Encoding::kListpack);
  EXPECT_EQ(list.Length(), 3u);
  EXPECT_EQ(Elements(list), (std::vector<std::string>{"a", "b", "12345"}));
}

// The listpack becomes a quicklist exactly when its bytes plus the raw length of the
// value to add pass the size limit (Redis 7.2's listTypeTryConversionAppend).
TEST(ListValueTest, ConvertsToQuicklistAtTheByteLimit) {
  for (int64_t fill : {-1, -2, -3}) {
    const ListNodeLimit limit = ListNodeLimit::FromFill(fill);
    ListValue list;
    const std::string value = Value(10, 'v');
    size_t pushes = 0;
    while (true) {
      const bool should_convert = list.packed().bytes_size() + value.size() > limit.max_bytes;
      list.PrepareToAdd(value, limit);
      ASSERT_EQ(list.is_listpack(), !should_convert) << "fill " << fill << " push " << pushes;
      list.Push(ListEnd::kTail, value, limit);
      ++pushes;
      if (should_convert) break;
    }
    // 10-byte strings take 12 bytes each: (limit - 7 header bytes) / 12 fit.
    EXPECT_EQ(pushes - 1, (limit.max_bytes - 10 - 7) / 12 + 1) << fill;
    EXPECT_EQ(list.encoding(), Encoding::kQuicklist);
    ExpectValidNodes(list, limit);
  }
}

TEST(ListValueTest, ConvertsToQuicklistPastTheEntryCount) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(5);
  ListValue list;
  for (int i = 0; i < 5; ++i) {
    list.PrepareToAdd("x", limit);
    list.Push(ListEnd::kTail, "x", limit);
  }
  EXPECT_EQ(list.encoding(), Encoding::kListpack);
  list.PrepareToAdd("x", limit);
  EXPECT_EQ(list.encoding(), Encoding::kQuicklist);
  list.Push(ListEnd::kTail, "x", limit);
  ASSERT_EQ(list.quicklist()->node_count(), 2u);
  EXPECT_EQ(list.quicklist()->node(0).count, 5u);
  EXPECT_EQ(list.quicklist()->node(1).count, 1u);
  // Many values in one push convert before any is added.
  ListValue batch;
  std::vector<std::string_view> six(6, "y");
  batch.PrepareToAdd(six, limit);
  EXPECT_EQ(batch.encoding(), Encoding::kQuicklist);
}

// Back to a listpack only with one packed node at half the limit (Redis 7.2's shrinking
// rule), so a list on the boundary does not flip with every push and pop.
TEST(ListValueTest, ConvertsBackToListpackAtHalfTheLimit) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-2);
  ListValue list;
  const std::string value = Value(10, 'v');
  for (int i = 0; i < 2000; ++i) {
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
  }
  ASSERT_GT(list.quicklist()->node_count(), 2u);
  while (list.quicklist() != nullptr) {
    const Quicklist& nodes = *list.quicklist();
    const bool should_convert = nodes.node_count() == 1 && nodes.size() > 1 &&
                                nodes.node(0).entries.bytes_size() - 12 <= limit.max_bytes / 2;
    list.Pop(ListEnd::kHead);
    list.ShrinkIfSmall(limit);
    ASSERT_EQ(list.is_listpack(), should_convert) << list.Length();
  }
  // 4096 bytes hold (4096 - 7) / 12 = 340 of these.
  EXPECT_EQ(list.Length(), 340u);
  // Growing again: no conversion until the full limit.
  for (int i = 0; i < 300; ++i) {
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
  }
  EXPECT_TRUE(list.is_listpack());
}

TEST(ListValueTest, CountLimitConvertsBackAtHalfTheCount) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(4);
  ListValue list;
  for (int i = 0; i < 5; ++i) {
    list.PrepareToAdd("x", limit);
    list.Push(ListEnd::kTail, "x", limit);
  }
  ASSERT_EQ(list.quicklist()->node_count(), 2u);  // 4 + 1
  list.Pop(ListEnd::kTail);                       // one node of 4: above half
  list.ShrinkIfSmall(limit);
  EXPECT_FALSE(list.is_listpack());
  list.Pop(ListEnd::kTail);  // 3
  list.ShrinkIfSmall(limit);
  EXPECT_FALSE(list.is_listpack());
  list.Pop(ListEnd::kTail);  // 2 = half
  list.ShrinkIfSmall(limit);
  EXPECT_TRUE(list.is_listpack());
}

// A listpack that outgrew the limit in one push of many tiny values (Redis counts raw
// lengths) is dealt into nodes within the limit when it converts.
TEST(ListValueTest, OversizedListpackIsSplitWhenItConverts) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-1);
  ListValue list;
  std::vector<std::string_view> tiny(3000, "a");  // 3000 raw bytes, 9000 encoded
  list.PrepareToAdd(tiny, limit);
  for (std::string_view value : tiny) list.Push(ListEnd::kTail, value, limit);
  ASSERT_TRUE(list.is_listpack());
  EXPECT_GT(list.packed().bytes_size(), limit.max_bytes);
  list.PrepareToAdd("b", limit);
  ASSERT_FALSE(list.is_listpack());
  ExpectValidNodes(list, limit);
  EXPECT_EQ(list.Length(), 3000u);
}

TEST(ListValueTest, FitLimitsPicksTheEncodingOnLoad) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-2);
  // One small node: a listpack (at the full limit, not half).
  auto one = std::make_unique<Quicklist>();
  Listpack packed;
  for (int i = 0; i < 500; ++i) packed.Append("0123456789");  // ~6 KB
  one->AppendPackedNode(packed);
  ListValue loaded(std::move(one));
  loaded.FitLimits(limit);
  EXPECT_TRUE(loaded.is_listpack());
  // Two nodes stay a quicklist.
  auto two = std::make_unique<Quicklist>();
  two->AppendPackedNode(packed);
  two->AppendPackedNode(packed);
  ListValue big(std::move(two));
  big.FitLimits(limit);
  EXPECT_FALSE(big.is_listpack());
  EXPECT_EQ(big.Length(), 1000u);
  // A lone plain node stays a quicklist.
  auto plain = std::make_unique<Quicklist>();
  plain->AppendPlainNode("small");
  ListValue plain_list(std::move(plain));
  plain_list.FitLimits(limit);
  EXPECT_FALSE(plain_list.is_listpack());
}

// ---- Node filling and plain nodes ----

TEST(QuicklistTest, EndPushesFillNodesUpToTheLimit) {
  for (int64_t fill : {-1, -2, -5}) {
    const ListNodeLimit limit = ListNodeLimit::FromFill(fill);
    Quicklist nodes;
    for (int i = 0; i < 20000; ++i) nodes.Push(i % 2 ? ListEnd::kHead : ListEnd::kTail, "value-" + std::to_string(i), limit);
    ListValue list(std::make_unique<Quicklist>(nodes));
    ExpectValidNodes(list, limit);
    // Interior nodes are full: adding one more element (+ Redis's 8-byte estimate) would
    // pass the limit.
    for (size_t i = 1; i + 1 < nodes.node_count(); ++i) {
      EXPECT_GT(nodes.node(i).entries.bytes_size() + 11 + 8, limit.max_bytes) << fill << " node " << i;
    }
  }
}

TEST(QuicklistTest, CountFillPutsThatManyPerNode) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(3);
  Quicklist nodes;
  for (int i = 0; i < 10; ++i) nodes.Push(ListEnd::kTail, std::to_string(i), limit);
  ASSERT_EQ(nodes.node_count(), 4u);
  EXPECT_EQ(nodes.node(0).count, 3u);
  EXPECT_EQ(nodes.node(3).count, 1u);
  // fill 1: one element per node.
  Quicklist singles;
  for (int i = 0; i < 4; ++i) singles.Push(ListEnd::kHead, "x", ListNodeLimit::FromFill(1));
  EXPECT_EQ(singles.node_count(), 4u);
}

TEST(QuicklistTest, LargeElementsGetPlainNodes) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-1);  // 4 KiB
  Quicklist nodes;
  nodes.Push(ListEnd::kTail, "a", limit);
  nodes.Push(ListEnd::kTail, Value(4097, 'L'), limit);
  nodes.Push(ListEnd::kTail, "b", limit);
  nodes.Push(ListEnd::kHead, Value(5000, 'H'), limit);
  ASSERT_EQ(nodes.node_count(), 4u);
  EXPECT_TRUE(nodes.node(0).plain);
  EXPECT_FALSE(nodes.node(1).plain);
  EXPECT_TRUE(nodes.node(2).plain);
  EXPECT_FALSE(nodes.node(3).plain);  // "b" did not join the plain node
  // Exactly the limit is not large.
  nodes.Push(ListEnd::kTail, Value(4096, 'E'), limit);
  EXPECT_FALSE(nodes.node(nodes.node_count() - 1).plain);
  // A large element inserted inside a packed node splits it around a plain node.
  Quicklist middle;
  for (int i = 0; i < 10; ++i) middle.Push(ListEnd::kTail, std::to_string(i), limit);
  middle.Insert(middle.Seek(4), Value(6000, 'M'), /*after=*/true, limit);
  ASSERT_EQ(middle.node_count(), 3u);
  EXPECT_EQ(middle.node(0).count, 5u);
  EXPECT_TRUE(middle.node(1).plain);
  EXPECT_EQ(middle.node(2).count, 5u);
  Listpack::IntBuffer scratch;
  EXPECT_EQ(middle.Get(middle.Seek(5), scratch), Value(6000, 'M'));
  EXPECT_EQ(middle.Get(middle.Seek(6), scratch), "5");
}

TEST(QuicklistTest, ReplacingAcrossThePlainBoundary) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-1);
  Quicklist nodes;
  for (int i = 0; i < 6; ++i) nodes.Push(ListEnd::kTail, std::to_string(i), limit);
  Listpack::IntBuffer scratch;
  // Small -> large: the element leaves its packed node for a plain one.
  nodes.Replace(nodes.Seek(2), Value(5000, 'x'), limit);
  ASSERT_EQ(nodes.size(), 6u);
  EXPECT_EQ(nodes.Get(nodes.Seek(2), scratch), Value(5000, 'x'));
  bool has_plain = false;
  for (size_t i = 0; i < nodes.node_count(); ++i) has_plain |= nodes.node(i).plain;
  EXPECT_TRUE(has_plain);
  // Large -> large stays plain; large -> small goes back into a packed node.
  nodes.Replace(nodes.Seek(2), Value(6000, 'y'), limit);
  EXPECT_EQ(nodes.Get(nodes.Seek(2), scratch), Value(6000, 'y'));
  nodes.Replace(nodes.Seek(2), "two", limit);
  EXPECT_EQ(nodes.Get(nodes.Seek(2), scratch), "two");
  for (size_t i = 0; i < nodes.node_count(); ++i) EXPECT_FALSE(nodes.node(i).plain);
  const std::vector<std::string> expected = {"0", "1", "two", "3", "4", "5"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(nodes.Get(nodes.Seek(i), scratch), expected[static_cast<size_t>(i)]);
}

TEST(QuicklistTest, InsertIntoAFullNodeSplitsIt) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(4);
  Quicklist nodes;
  for (int i = 0; i < 4; ++i) nodes.Push(ListEnd::kTail, std::to_string(i), limit);
  ASSERT_EQ(nodes.node_count(), 1u);
  nodes.Insert(nodes.Seek(1), "new", /*after=*/true, limit);
  Listpack::IntBuffer scratch;
  const std::vector<std::string> expected = {"0", "1", "new", "2", "3"};
  ASSERT_EQ(nodes.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(nodes.Get(nodes.Seek(i), scratch), expected[static_cast<size_t>(i)]);
  EXPECT_EQ(nodes.node_count(), 2u);
  // At a full node's edge, the value goes to the neighbour or a new node, never over 4.
  nodes.Insert(nodes.Seek(0), "first", /*after=*/false, limit);
  ListValue list(std::make_unique<Quicklist>(nodes));
  ExpectValidNodes(list, limit);
  EXPECT_EQ(Elements(list), (std::vector<std::string>{"first", "0", "1", "new", "2", "3"}));
}

// ---- Index walks ----

TEST(ListValueTest, SeekWalksFromEitherEnd) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(7);
  ListValue list;
  std::vector<std::string> model;
  for (int i = 0; i < 1000; ++i) {
    const std::string value = "e" + std::to_string(i);
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
    model.push_back(value);
  }
  Listpack::IntBuffer scratch;
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(list.Get(list.Seek(i), scratch), model[static_cast<size_t>(i)]) << i;
    ASSERT_EQ(list.Get(list.Seek(i - 1000), scratch), model[static_cast<size_t>(i)]) << i - 1000;
  }
  EXPECT_FALSE(list.Seek(1000).valid());
  EXPECT_FALSE(list.Seek(-1001).valid());
  EXPECT_FALSE(ListValue().Seek(0).valid());
}

TEST(ListValueTest, CloneIsDeepAndKeepsTheEncoding) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(2);
  ListValue list;
  for (const char* value : {"a", "b", "c"}) {
    list.PrepareToAdd(value, limit);
    list.Push(ListEnd::kTail, value, limit);
  }
  auto copy = list.Clone();
  list.Pop(ListEnd::kHead);
  auto& cloned = static_cast<ListValue&>(*copy);
  EXPECT_EQ(cloned.encoding(), Encoding::kQuicklist);
  EXPECT_EQ(Elements(cloned), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Elements(list), (std::vector<std::string>{"b", "c"}));
}

TEST(ListValueTest, MemoryUsageFollowsTheContents) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(-2);
  ListValue list;
  const size_t empty = list.MemoryUsage();
  for (int i = 0; i < 10000; ++i) {
    list.PrepareToAdd("1234567890", limit);
    list.Push(ListEnd::kTail, "1234567890", limit);
  }
  // 10,000 integers of 10 digits: 6 bytes each in listpacks (32-bit int encoding).
  EXPECT_GT(list.MemoryUsage(), empty + 60000);
  EXPECT_LT(list.MemoryUsage(), empty + 70000);
}

// ---- Everything against a model ----

class ListModelTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(ListModelTest, RandomOperationsMatchADeque) {
  const ListNodeLimit limit = ListNodeLimit::FromFill(GetParam());
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()) * 7919 + 1);
  auto random_value = [&]() -> std::string {
    switch (rng() % 6) {
      case 0: return std::to_string(static_cast<int64_t>(rng() % 2000000) - 1000000);  // integers
      case 1: return "";
      case 2: return Value(rng() % 9000 + 1, static_cast<char>('a' + rng() % 26));  // up to large
      default: return "v" + std::to_string(rng() % 50);  // repeats, for LREM/LINSERT
    }
  };
  ListValue list;
  std::deque<std::string> model;
  Listpack::IntBuffer scratch;
  for (int step = 0; step < 6000; ++step) {
    const auto op = rng() % 10;
    if (op <= 2 || model.empty()) {  // push
      const std::string value = random_value();
      const ListEnd end = rng() % 2 ? ListEnd::kHead : ListEnd::kTail;
      list.PrepareToAdd(value, limit);
      list.Push(end, value, limit);
      end == ListEnd::kHead ? model.push_front(value) : model.push_back(value);
    } else if (op == 3) {  // pop
      const ListEnd end = rng() % 2 ? ListEnd::kHead : ListEnd::kTail;
      const std::string expected = end == ListEnd::kHead ? model.front() : model.back();
      ASSERT_EQ(list.Pop(end), expected);
      end == ListEnd::kHead ? model.pop_front() : model.pop_back();
      list.ShrinkIfSmall(limit);
    } else if (op == 4) {  // insert before/after a random element
      const size_t index = rng() % model.size();
      const bool after = rng() % 2;
      const std::string value = random_value();
      list.PrepareToAdd(value, limit);
      list.Insert(list.Seek(static_cast<int64_t>(index)), value, after, limit);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(index + (after ? 1 : 0)), value);
    } else if (op == 5) {  // replace
      const size_t index = rng() % model.size();
      const std::string value = random_value();
      list.PrepareToAdd(value, limit);
      list.Replace(list.Seek(static_cast<int64_t>(index)), value, limit);
      model[index] = value;
      list.ShrinkIfSmall(limit);
    } else if (op == 6) {  // erase one
      const size_t index = rng() % model.size();
      ListCursor next = list.Erase(list.Seek(static_cast<int64_t>(index)));
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(index));
      if (index < model.size()) {
        ASSERT_TRUE(next.valid());
        ASSERT_EQ(list.Get(next, scratch), model[index]);
      } else {
        ASSERT_FALSE(next.valid());
      }
      list.ShrinkIfSmall(limit);
    } else if (op == 7) {  // trim both ends
      const size_t front = rng() % (model.size() / 4 + 1);
      const size_t back = rng() % ((model.size() - front) / 4 + 1);
      list.EraseEnds(front, back);
      model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(front));
      model.erase(model.end() - static_cast<std::ptrdiff_t>(back), model.end());
      list.ShrinkIfSmall(limit);
    } else {  // read at random indexes
      for (int k = 0; k < 5; ++k) {
        const auto index = static_cast<int64_t>(rng() % model.size());
        ASSERT_EQ(list.Get(list.Seek(index), scratch), model[static_cast<size_t>(index)]) << "step " << step;
      }
    }
    ASSERT_EQ(list.Length(), model.size()) << "step " << step;
    ASSERT_NO_FATAL_FAILURE(ExpectValidNodes(list, limit)) << "step " << step;
    if (step % 250 == 0 || model.size() < 3) {
      ASSERT_EQ(Elements(list), std::vector<std::string>(model.begin(), model.end())) << "step " << step;
      ASSERT_EQ(Reversed(list), std::vector<std::string>(model.rbegin(), model.rend())) << "step " << step;
    }
  }
  EXPECT_EQ(Elements(list), std::vector<std::string>(model.begin(), model.end()));
}

INSTANTIATE_TEST_SUITE_P(Fills, ListModelTest, ::testing::Values(-1, -2, -5, 1, 2, 16, 128));

}  // namespace
}  // namespace tierkv
