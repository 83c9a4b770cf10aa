#include "engine/types/zset/order_tree.h"

#include <malloc.h>

#include <cassert>
#include <cstring>

namespace tierkv {

struct OrderTree::Node {
  uint16_t count;  // items (leaf) or children (inner)
  bool leaf;
};

struct OrderTree::Leaf : Node {
  Leaf* prev;
  Leaf* next;
  ScoredRef items[kLeafCapacity];
};

struct OrderTree::Inner : Node {
  uint64_t counts[kInnerCapacity];  // items under each child
  Node* children[kInnerCapacity];
  ScoredRef seps[kInnerCapacity];   // seps[i] = first item under children[i], i >= 1
};

// A node split in two: `right` (nullptr if no split) follows the node that was written
// to, holds `right_count` items, and starts with `first`.
struct OrderTree::Split {
  Node* right = nullptr;
  uint64_t right_count = 0;
  ScoredRef first{};
};

struct OrderTree::Erased {
  bool found = false;
  bool first_changed = false;  // the subtree's first item was the one erased
};

namespace {

constexpr size_t kLeafMinimum = OrderTree::kLeafCapacity / 3;
constexpr size_t kInnerMinimum = OrderTree::kInnerCapacity / 3;

// (a.score, a.member) < (score, member)
bool ItemLess(const ScoredRef& a, double score, std::string_view member) {
  if (a.score != score) return a.score < score;
  return a.record->member() < member;
}

bool ItemLessOrEqual(const ScoredRef& a, double score, std::string_view member) {
  if (a.score != score) return a.score < score;
  return a.record->member() <= member;
}

// Number of items in items[from, to) satisfying a prefix predicate.
template <typename Pred>
size_t PartitionPoint(const ScoredRef* items, size_t from, size_t to, Pred pred) {
  size_t low = from;
  size_t high = to;
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    if (pred(items[mid])) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

}  // namespace

// ---- Cursor ----

const ScoredRef& OrderTree::Cursor::item() const {
  return static_cast<const Leaf*>(leaf_)->items[index_];
}

void OrderTree::Cursor::Next() {
  const auto* leaf = static_cast<const Leaf*>(leaf_);
  if (++index_ < leaf->count) return;
  leaf_ = leaf->next;
  index_ = 0;
}

void OrderTree::Cursor::Prev() {
  if (index_ > 0) {
    --index_;
    return;
  }
  const Leaf* prev = static_cast<const Leaf*>(leaf_)->prev;
  leaf_ = prev;
  index_ = prev == nullptr ? 0 : prev->count - 1u;
}

// ---- Nodes ----

OrderTree::~OrderTree() { Clear(); }

OrderTree::Leaf* OrderTree::NewLeaf() {
  auto* leaf = new Leaf;
  leaf->count = 0;
  leaf->leaf = true;
  leaf->prev = nullptr;
  leaf->next = nullptr;
  node_bytes_ += malloc_usable_size(leaf);
  return leaf;
}

OrderTree::Inner* OrderTree::NewInner() {
  auto* inner = new Inner;
  inner->count = 0;
  inner->leaf = false;
  node_bytes_ += malloc_usable_size(inner);
  return inner;
}

void OrderTree::FreeNode(Node* node) {
  node_bytes_ -= malloc_usable_size(node);
  if (node->leaf) {
    delete static_cast<Leaf*>(node);
  } else {
    delete static_cast<Inner*>(node);
  }
}

void OrderTree::FreeSubtree(Node* node) {
  if (!node->leaf) {
    auto* inner = static_cast<Inner*>(node);
    for (size_t i = 0; i < inner->count; ++i) FreeSubtree(inner->children[i]);
  }
  FreeNode(node);
}

void OrderTree::Clear() {
  if (root_ != nullptr) FreeSubtree(root_);
  root_ = nullptr;
  first_ = last_ = nullptr;
  size_ = 0;
}

const ScoredRef& OrderTree::FirstOf(const Node* node) {
  while (!node->leaf) node = static_cast<const Inner*>(node)->children[0];
  return static_cast<const Leaf*>(node)->items[0];
}

size_t OrderTree::Count(const Node* node) {
  if (node->leaf) return node->count;
  const auto* inner = static_cast<const Inner*>(node);
  size_t total = 0;
  for (size_t i = 0; i < inner->count; ++i) total += inner->counts[i];
  return total;
}

// ---- Insert ----

void OrderTree::Insert(ScoredRef item) {
  if (root_ == nullptr) {
    Leaf* leaf = NewLeaf();
    root_ = first_ = last_ = leaf;
  }
  const size_t old_size = size_;
  Split split = InsertInto(root_, item);
  ++size_;
  if (split.right == nullptr) return;
  // The root split: a new root above the two halves.
  Inner* root = NewInner();
  root->count = 2;
  root->children[0] = root_;
  root->counts[0] = old_size + 1 - split.right_count;
  root->children[1] = split.right;
  root->counts[1] = split.right_count;
  root->seps[1] = split.first;
  root_ = root;
}

OrderTree::Split OrderTree::InsertInto(Node* node, const ScoredRef& item) {
  return node->leaf ? InsertIntoLeaf(static_cast<Leaf*>(node), item)
                    : InsertIntoInner(static_cast<Inner*>(node), item);
}

OrderTree::Split OrderTree::InsertIntoLeaf(Leaf* leaf, const ScoredRef& item) {
  const std::string_view member = item.record->member();
  size_t pos = PartitionPoint(leaf->items, 0, leaf->count,
                              [&](const ScoredRef& x) { return ItemLess(x, item.score, member); });
  Split split;
  Leaf* target = leaf;
  if (leaf->count == kLeafCapacity) {
    // Appending at the very end (or prepending at the very start) splits off a leaf for
    // the new item alone, so sorted inserts leave full leaves behind.
    size_t keep = kLeafCapacity / 2;
    if (pos == leaf->count && leaf->next == nullptr) keep = leaf->count;
    if (pos == 0 && leaf->prev == nullptr) keep = 0;
    Leaf* right = NewLeaf();
    right->count = static_cast<uint16_t>(leaf->count - keep);
    std::memcpy(right->items, leaf->items + keep, right->count * sizeof(ScoredRef));
    leaf->count = static_cast<uint16_t>(keep);
    right->prev = leaf;
    right->next = leaf->next;
    if (leaf->next != nullptr) {
      leaf->next->prev = right;
    } else {
      last_ = right;
    }
    leaf->next = right;
    if (pos > keep || (pos == keep && keep == kLeafCapacity)) {
      target = right;
      pos -= keep;
    }
    split.right = right;
  }
  std::memmove(target->items + pos + 1, target->items + pos, (target->count - pos) * sizeof(ScoredRef));
  target->items[pos] = item;
  ++target->count;
  if (split.right != nullptr) {
    auto* right = static_cast<Leaf*>(split.right);
    split.right_count = right->count;
    split.first = right->items[0];
  }
  return split;
}

OrderTree::Split OrderTree::InsertIntoInner(Inner* inner, const ScoredRef& item) {
  const std::string_view member = item.record->member();
  auto route = [&] {
    return PartitionPoint(inner->seps, 1, inner->count,
                          [&](const ScoredRef& x) { return ItemLess(x, item.score, member); }) -
           1;
  };
  size_t index = route();
  // A full leaf first hands part of its items to a neighbour with room, so that leaves
  // split only when their neighbours are full too: random inserts then leave leaves
  // ~80% full instead of ~70%, which is most of the tree's memory.
  Node* child = inner->children[index];
  if (child->leaf && child->count == kLeafCapacity) {
    constexpr size_t kRoomWorthMoving = 8;
    if (index + 1 < inner->count && inner->children[index + 1]->count + kRoomWorthMoving <= kLeafCapacity) {
      ShiftRight(inner, index, (child->count - inner->children[index + 1]->count) / 2u);
      index = route();
    } else if (index > 0 && inner->children[index - 1]->count + kRoomWorthMoving <= kLeafCapacity) {
      ShiftLeft(inner, index - 1, (child->count - inner->children[index - 1]->count) / 2u);
      index = route();
    }
  }
  Split child_split = InsertInto(inner->children[index], item);
  ++inner->counts[index];
  if (child_split.right == nullptr) return {};

  inner->counts[index] -= child_split.right_count;
  Split split;
  Inner* target = inner;
  size_t pos = index + 1;  // where the new child goes
  if (inner->count == kInnerCapacity) {
    // Inner nodes always split in half, so every non-root inner node stays at least a
    // third full (leaves may not, which is why a leaf always has a sibling to merge with).
    const size_t keep = kInnerCapacity / 2 + 1;
    Inner* right = NewInner();
    right->count = static_cast<uint16_t>(inner->count - keep);
    std::memcpy(right->children, inner->children + keep, right->count * sizeof(Node*));
    std::memcpy(right->counts, inner->counts + keep, right->count * sizeof(uint64_t));
    std::memcpy(right->seps, inner->seps + keep, right->count * sizeof(ScoredRef));
    inner->count = static_cast<uint16_t>(keep);
    if (pos > keep) {
      target = right;
      pos -= keep;
    }
    split.right = right;
  }
  std::memmove(target->children + pos + 1, target->children + pos, (target->count - pos) * sizeof(Node*));
  std::memmove(target->counts + pos + 1, target->counts + pos, (target->count - pos) * sizeof(uint64_t));
  std::memmove(target->seps + pos + 1, target->seps + pos, (target->count - pos) * sizeof(ScoredRef));
  target->children[pos] = child_split.right;
  target->counts[pos] = child_split.right_count;
  target->seps[pos] = child_split.first;
  ++target->count;
  if (split.right != nullptr) {
    auto* right = static_cast<Inner*>(split.right);
    split.right_count = Count(right);
    split.first = right->seps[0];
  }
  return split;
}

// ---- Erase ----

bool OrderTree::Erase(double score, std::string_view member) {
  if (root_ == nullptr) return false;
  const Erased erased = EraseFrom(root_, score, member);
  if (!erased.found) return false;
  --size_;
  if (root_->leaf) {
    if (root_->count == 0) {
      FreeNode(root_);
      root_ = first_ = last_ = nullptr;
    }
  } else if (root_->count == 1) {
    Node* only = static_cast<Inner*>(root_)->children[0];
    FreeNode(root_);
    root_ = only;
  }
  return true;
}

OrderTree::Erased OrderTree::EraseFrom(Node* node, double score, std::string_view member) {
  Erased erased;
  if (node->leaf) {
    auto* leaf = static_cast<Leaf*>(node);
    const size_t pos = PartitionPoint(leaf->items, 0, leaf->count,
                                      [&](const ScoredRef& x) { return ItemLess(x, score, member); });
    if (pos == leaf->count || leaf->items[pos].score != score || leaf->items[pos].record->member() != member) {
      return erased;
    }
    std::memmove(leaf->items + pos, leaf->items + pos + 1, (leaf->count - pos - 1) * sizeof(ScoredRef));
    --leaf->count;
    erased.found = true;
    erased.first_changed = pos == 0;
    return erased;
  }
  auto* inner = static_cast<Inner*>(node);
  const size_t index = PartitionPoint(inner->seps, 1, inner->count,
                                      [&](const ScoredRef& x) { return ItemLessOrEqual(x, score, member); }) -
                       1;
  Node* child = inner->children[index];
  erased = EraseFrom(child, score, member);
  if (!erased.found) return erased;
  --inner->counts[index];
  if (index > 0) {
    // The separator must not keep pointing at the erased item's record.
    if (erased.first_changed && child->count > 0) inner->seps[index] = FirstOf(child);
    erased.first_changed = false;
  }
  const size_t minimum = child->leaf ? kLeafMinimum : kInnerMinimum;
  if (child->count < minimum) Rebalance(inner, index);
  return erased;
}

void OrderTree::Rebalance(Inner* parent, size_t index) {
  if (parent->count < 2) return;  // only a root on its way out has a single child
  const size_t left = index > 0 ? index - 1 : 0;
  Node* a = parent->children[left];
  Node* b = parent->children[left + 1];
  const size_t capacity = a->leaf ? kLeafCapacity : kInnerCapacity;
  if (a->count + b->count <= capacity) return MergeChildren(parent, left);
  // Even the two out: move half the difference from the fuller one.
  if (a->count > b->count) {
    ShiftRight(parent, left, (a->count - b->count) / 2u);
  } else {
    ShiftLeft(parent, left, (b->count - a->count) / 2u);
  }
}

void OrderTree::MergeChildren(Inner* parent, size_t left) {
  const size_t right = left + 1;
  Node* a = parent->children[left];
  Node* b = parent->children[right];
  if (a->leaf) {
    auto* la = static_cast<Leaf*>(a);
    auto* lb = static_cast<Leaf*>(b);
    std::memcpy(la->items + la->count, lb->items, lb->count * sizeof(ScoredRef));
    la->count = static_cast<uint16_t>(la->count + lb->count);
    la->next = lb->next;
    if (lb->next != nullptr) {
      lb->next->prev = la;
    } else {
      last_ = la;
    }
  } else {
    auto* ia = static_cast<Inner*>(a);
    auto* ib = static_cast<Inner*>(b);
    std::memcpy(ia->children + ia->count, ib->children, ib->count * sizeof(Node*));
    std::memcpy(ia->counts + ia->count, ib->counts, ib->count * sizeof(uint64_t));
    std::memcpy(ia->seps + ia->count, ib->seps, ib->count * sizeof(ScoredRef));
    ia->seps[ia->count] = parent->seps[right];  // the first item under b
    ia->count = static_cast<uint16_t>(ia->count + ib->count);
  }
  parent->counts[left] += parent->counts[right];
  const size_t tail = parent->count - right - 1u;
  std::memmove(parent->children + right, parent->children + right + 1, tail * sizeof(Node*));
  std::memmove(parent->counts + right, parent->counts + right + 1, tail * sizeof(uint64_t));
  std::memmove(parent->seps + right, parent->seps + right + 1, tail * sizeof(ScoredRef));
  --parent->count;
  // An empty left leaf took b's items: the parent's first item changed with it, which
  // only matters when left > 0 (the caller propagates a change of child 0).
  if (left > 0) parent->seps[left] = FirstOf(a);
  FreeNode(b);
}

// Moves `moved` items (or children) from the right child into the left one.
void OrderTree::ShiftLeft(Inner* parent, size_t left, size_t moved) {
  const size_t right = left + 1;
  Node* a = parent->children[left];
  Node* b = parent->children[right];
  uint64_t moved_items = moved;
  if (a->leaf) {
    auto* la = static_cast<Leaf*>(a);
    auto* lb = static_cast<Leaf*>(b);
    std::memcpy(la->items + la->count, lb->items, moved * sizeof(ScoredRef));
    std::memmove(lb->items, lb->items + moved, (lb->count - moved) * sizeof(ScoredRef));
  } else {
    auto* ia = static_cast<Inner*>(a);
    auto* ib = static_cast<Inner*>(b);
    moved_items = 0;
    for (size_t j = 0; j < moved; ++j) {
      ia->children[ia->count + j] = ib->children[j];
      ia->counts[ia->count + j] = ib->counts[j];
      ia->seps[ia->count + j] = j == 0 ? parent->seps[right] : ib->seps[j];
      moved_items += ib->counts[j];
    }
    const size_t rest = ib->count - moved;
    std::memmove(ib->children, ib->children + moved, rest * sizeof(Node*));
    std::memmove(ib->counts, ib->counts + moved, rest * sizeof(uint64_t));
    std::memmove(ib->seps, ib->seps + moved, rest * sizeof(ScoredRef));
  }
  a->count = static_cast<uint16_t>(a->count + moved);
  b->count = static_cast<uint16_t>(b->count - moved);
  parent->counts[left] += moved_items;
  parent->counts[right] -= moved_items;
  parent->seps[right] = FirstOf(b);
}

// Moves `moved` items (or children) from the left child into the right one.
void OrderTree::ShiftRight(Inner* parent, size_t left, size_t moved) {
  const size_t right = left + 1;
  Node* a = parent->children[left];
  Node* b = parent->children[right];
  uint64_t moved_items = moved;
  if (a->leaf) {
    auto* la = static_cast<Leaf*>(a);
    auto* lb = static_cast<Leaf*>(b);
    std::memmove(lb->items + moved, lb->items, lb->count * sizeof(ScoredRef));
    std::memcpy(lb->items, la->items + la->count - moved, moved * sizeof(ScoredRef));
  } else {
    auto* ia = static_cast<Inner*>(a);
    auto* ib = static_cast<Inner*>(b);
    std::memmove(ib->children + moved, ib->children, ib->count * sizeof(Node*));
    std::memmove(ib->counts + moved, ib->counts, ib->count * sizeof(uint64_t));
    std::memmove(ib->seps + moved, ib->seps, ib->count * sizeof(ScoredRef));
    ib->seps[moved] = parent->seps[right];  // b's old first child now sits at `moved`
    const size_t from = ia->count - moved;
    moved_items = 0;
    for (size_t j = 0; j < moved; ++j) {
      ib->children[j] = ia->children[from + j];
      ib->counts[j] = ia->counts[from + j];
      ib->seps[j] = ia->seps[from + j];
      moved_items += ia->counts[from + j];
    }
  }
  a->count = static_cast<uint16_t>(a->count - moved);
  b->count = static_cast<uint16_t>(b->count + moved);
  parent->counts[left] -= moved_items;
  parent->counts[right] += moved_items;
  parent->seps[right] = FirstOf(b);
}

// ---- Lookups ----

OrderTree::Cursor OrderTree::First() const {
  Cursor cursor;
  if (first_ != nullptr) cursor.leaf_ = first_;
  return cursor;
}

OrderTree::Cursor OrderTree::Last() const {
  Cursor cursor;
  if (last_ != nullptr) {
    cursor.leaf_ = last_;
    cursor.index_ = last_->count - 1u;
  }
  return cursor;
}

OrderTree::Cursor OrderTree::AtRank(size_t rank) const {
  Cursor cursor;
  if (rank >= size_) return cursor;
  const Node* node = root_;
  while (!node->leaf) {
    const auto* inner = static_cast<const Inner*>(node);
    size_t child = 0;
    while (rank >= inner->counts[child]) rank -= inner->counts[child++];
    node = inner->children[child];
  }
  cursor.leaf_ = node;
  cursor.index_ = rank;
  return cursor;
}

OrderTree::Cursor OrderTree::Seek(const std::function<bool(const ScoredRef&)>& before, size_t* rank) const {
  Cursor cursor;
  size_t skipped = 0;
  const Node* node = root_;
  if (node == nullptr) {
    *rank = 0;
    return cursor;
  }
  while (!node->leaf) {
    const auto* inner = static_cast<const Inner*>(node);
    const size_t child = PartitionPoint(inner->seps, 1, inner->count, before) - 1;
    for (size_t i = 0; i < child; ++i) skipped += inner->counts[i];
    node = inner->children[child];
  }
  const auto* leaf = static_cast<const Leaf*>(node);
  const size_t pos = PartitionPoint(leaf->items, 0, leaf->count, before);
  *rank = skipped + pos;
  if (pos < leaf->count) {
    cursor.leaf_ = leaf;
    cursor.index_ = pos;
  } else if (leaf->next != nullptr) {
    cursor.leaf_ = leaf->next;
    cursor.index_ = 0;
  }
  return cursor;
}

size_t OrderTree::RankOf(double score, std::string_view member) const {
  size_t rank = 0;
  Seek([&](const ScoredRef& x) { return ItemLess(x, score, member); }, &rank);
  return rank;
}

// ---- Invariants ----

bool OrderTree::CheckInvariants(std::string* why) const {
  if (root_ == nullptr) {
    if (size_ != 0 || first_ != nullptr || last_ != nullptr) {
      *why = "empty tree with a size or leaves";
      return false;
    }
    return true;
  }
  size_t leaf_depth = SIZE_MAX;
  size_t items = 0;
  if (!CheckNode(root_, 0, &leaf_depth, &items, why)) return false;
  if (items != size_) {
    *why = "size " + std::to_string(size_) + " but " + std::to_string(items) + " items";
    return false;
  }
  // The leaf chain: linked both ways, in order, covering every item.
  size_t chained = 0;
  const Leaf* prev = nullptr;
  const ScoredRef* last_item = nullptr;
  for (const Leaf* leaf = first_; leaf != nullptr; leaf = leaf->next) {
    if (leaf->prev != prev) {
      *why = "broken prev link";
      return false;
    }
    for (size_t i = 0; i < leaf->count; ++i) {
      const ScoredRef& item = leaf->items[i];
      if (item.record->score() != item.score) {
        *why = "item score differs from its record";
        return false;
      }
      if (last_item != nullptr && !ItemLess(*last_item, item.score, item.record->member())) {
        *why = "items out of order at " + std::to_string(chained);
        return false;
      }
      last_item = &item;
      ++chained;
    }
    prev = leaf;
  }
  if (prev != last_ || chained != size_) {
    *why = "leaf chain does not end at the last leaf or misses items";
    return false;
  }
  return true;
}

bool OrderTree::CheckNode(const Node* node, size_t depth, size_t* leaf_depth, size_t* items,
                          std::string* why) const {
  if (node->leaf) {
    if (*leaf_depth == SIZE_MAX) *leaf_depth = depth;
    if (*leaf_depth != depth) {
      *why = "leaves at different depths";
      return false;
    }
    if (node->count == 0 || node->count > kLeafCapacity) {
      *why = "leaf with " + std::to_string(node->count) + " items";
      return false;
    }
    *items += node->count;
    return true;
  }
  const auto* inner = static_cast<const Inner*>(node);
  const size_t minimum = node == root_ ? 2 : kInnerMinimum;
  if (inner->count < minimum || inner->count > kInnerCapacity) {
    *why = "inner node with " + std::to_string(inner->count) + " children";
    return false;
  }
  for (size_t i = 0; i < inner->count; ++i) {
    size_t below = 0;
    if (!CheckNode(inner->children[i], depth + 1, leaf_depth, &below, why)) return false;
    if (below != inner->counts[i]) {
      *why = "count " + std::to_string(inner->counts[i]) + " for a subtree of " + std::to_string(below);
      return false;
    }
    if (i > 0) {
      const ScoredRef& first = FirstOf(inner->children[i]);
      if (inner->seps[i].record != first.record || inner->seps[i].score != first.score) {
        *why = "separator is not the first item of its subtree";
        return false;
      }
    }
    *items += below;
  }
  return true;
}

}  // namespace tierkv
