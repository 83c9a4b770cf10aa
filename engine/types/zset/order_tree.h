// OrderTree: the ordered half of a large sorted set, a B+tree of (score, member) with
// subtree counts, so that insert, delete, rank and "first element of a range" are all
// O(log N), and ranges are walked leaf by leaf.
//
// Why a B+tree and not Redis's skiplist: a skiplist node costs ~45 bytes (score, member
// pointer, back pointer, 1.33 levels of forward pointer + span) and every step of a
// search is a cache miss on another node. Here a member costs one 16-byte slot
// {score, record} in a leaf of 62 (1 KiB; ~80% full under random inserts, because a full
// leaf first hands items to a neighbour with room; full under appends, because the last
// leaf splits at its end), and a search reads ~6 contiguous scores per level; the member
// text is only read to break score ties.
//
// Structure: leaves hold sorted items and are doubly linked; an inner node holds up to
// 31 children, each with its subtree's item count and, from the second child on, a copy
// of that subtree's first item as separator. Separators are kept exact (the first item
// of their subtree, updated when it is erased), so they never point at a freed record.
// Non-root inner nodes keep at least a third of their capacity; leaves are rebalanced
// (merged or evened out with a sibling) when they fall under a third, and may be smaller
// after an append- or prepend-pattern split.
//
// The tree does not own records: callers free them after Erase.
//
// Thread-safety: a plain value; not thread-safe. Cursors are invalidated by any change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/types/zset/member_record.h"

namespace tierkv {

struct ScoredRef {
  double score;
  MemberRecord* record;
};

class OrderTree {
 public:
  static constexpr size_t kLeafCapacity = 62;   // 24 + 62 * 16 = 1016 bytes
  static constexpr size_t kInnerCapacity = 31;  // 8 + 31 * 32 = 1000 bytes

  OrderTree() = default;
  ~OrderTree();
  OrderTree(const OrderTree&) = delete;
  OrderTree& operator=(const OrderTree&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Heap bytes of the nodes (records are counted by their owner).
  size_t MemoryUsage() const { return node_bytes_; }

  // Adds an item whose (score, member) is not present.
  void Insert(ScoredRef item);
  // Removes the item (score, member); false if absent. The record is not freed.
  bool Erase(double score, std::string_view member);
  // Removes every item.
  void Clear();

  // A position in the order; invalid past either end.
  class Cursor {
   public:
    bool valid() const { return leaf_ != nullptr; }
    const ScoredRef& item() const;
    double score() const { return item().score; }
    MemberRecord* record() const { return item().record; }
    void Next();
    void Prev();

   private:
    friend class OrderTree;
    const void* leaf_ = nullptr;
    size_t index_ = 0;
  };

  Cursor First() const;
  Cursor Last() const;
  // The item at 0-based `rank`; invalid if rank >= size().
  Cursor AtRank(size_t rank) const;
  // For a predicate that holds for a prefix of the order (true ... true false ... false):
  // the first item for which it is false (invalid if none) and, in *rank, how many items
  // precede it.
  Cursor Seek(const std::function<bool(const ScoredRef&)>& before, size_t* rank) const;
  // How many items are ordered before (score, member).
  size_t RankOf(double score, std::string_view member) const;

  // Checks every structural invariant (order, counts, separators, links, fill); false
  // and a reason if one is broken. For tests.
  bool CheckInvariants(std::string* why) const;

 private:
  struct Node;
  struct Leaf;
  struct Inner;
  struct Split;
  struct Erased;

  Split InsertInto(Node* node, const ScoredRef& item);
  Split InsertIntoLeaf(Leaf* leaf, const ScoredRef& item);
  Split InsertIntoInner(Inner* inner, const ScoredRef& item);
  Erased EraseFrom(Node* node, double score, std::string_view member);
  void Rebalance(Inner* parent, size_t index);
  void MergeChildren(Inner* parent, size_t left);
  void ShiftLeft(Inner* parent, size_t left, size_t moved);
  void ShiftRight(Inner* parent, size_t left, size_t moved);
  static const ScoredRef& FirstOf(const Node* node);
  static size_t Count(const Node* node);
  Leaf* NewLeaf();
  Inner* NewInner();
  void FreeNode(Node* node);
  void FreeSubtree(Node* node);
  bool CheckNode(const Node* node, size_t depth, size_t* leaf_depth, size_t* items, std::string* why) const;

  Node* root_ = nullptr;
  Leaf* first_ = nullptr;
  Leaf* last_ = nullptr;
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

}  // namespace tierkv
