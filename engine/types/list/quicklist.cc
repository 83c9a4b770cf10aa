#include "engine/types/list/quicklist.h"

#include <malloc.h>

#include <cassert>
#include <memory>
#include <new>
#include <utility>

namespace tierkv {
namespace {

// Redis's SIZE_ESTIMATE_OVERHEAD: what an element adds beyond its length (encoding and
// backlen bytes), overestimated so a node never passes its limit by an estimate's error.
constexpr size_t kSizeEstimateOverhead = 8;
// Bytes of the listpack header and terminator, which a merge of two nodes saves once.
constexpr size_t kListpackFraming = 7;
// Node byte limits of fills -1..-5 (Redis's optimization_level).
constexpr size_t kFillLevels[] = {4096, 8192, 16384, 32768, 65536};

ListNode* AllocateRing(size_t capacity) {
  auto* ring = static_cast<ListNode*>(::operator new(sizeof(ListNode) * capacity));
  std::uninitialized_default_construct_n(ring, capacity);
  return ring;
}

void FreeRing(ListNode* ring, size_t capacity) {
  if (ring == nullptr) return;
  std::destroy_n(ring, capacity);
  ::operator delete(ring);
}

// The 0-based offset of the element at `pos` inside its node.
size_t OffsetOf(const Listpack& entries, Listpack::Pos pos) {
  size_t offset = 0;
  for (Listpack::Pos p = entries.First(); p != pos; p = entries.Next(p)) ++offset;
  return offset;
}

}  // namespace

// ---- ListNodeLimit ----

ListNodeLimit ListNodeLimit::FromFill(int64_t fill, size_t packed_threshold) {
  ListNodeLimit limit;
  limit.packed_threshold = packed_threshold;
  if (fill >= 0) {
    limit.max_count = fill == 0 ? 1 : static_cast<size_t>(fill);  // every node holds one at least
  } else {
    const size_t level = fill < -5 ? 4 : static_cast<size_t>(-fill - 1);
    limit.max_bytes = kFillLevels[level];
  }
  return limit;
}

bool ListNodeLimit::Exceeds(size_t bytes, size_t count) const {
  if (max_bytes != kUnlimited) return bytes > max_bytes;
  // Counting entries, a node still stays within the safety size.
  return bytes > kSafetyBytes || count > max_count;
}

bool ListNodeLimit::IsLargeElement(size_t size) const {
  if (packed_threshold != 0) return size >= packed_threshold;
  return size > (max_bytes != kUnlimited ? max_bytes : kSafetyBytes);
}

ListNodeLimit ListNodeLimit::Halved() const {
  ListNodeLimit half;
  half.max_bytes = max_bytes == kUnlimited ? kUnlimited : max_bytes / 2;
  half.max_count = max_count == kUnlimited ? kUnlimited : max_count / 2;
  half.packed_threshold = packed_threshold;
  return half;
}

// ---- Quicklist ----

Quicklist::Quicklist(const Quicklist& other)
    : capacity_(other.capacity_), nodes_(other.nodes_), count_(other.count_) {
  if (capacity_ == 0) return;
  ring_ = AllocateRing(capacity_);
  for (size_t i = 0; i < nodes_; ++i) ring_[i] = other.Slot(i);
}

Quicklist::~Quicklist() { FreeRing(ring_, capacity_); }

size_t Quicklist::MemoryUsage() const {
  size_t bytes = ring_ != nullptr ? malloc_usable_size(ring_) : 0;
  for (size_t i = 0; i < nodes_; ++i) bytes += Slot(i).entries.MemoryUsage();
  return bytes;
}

void Quicklist::Grow() {
  const uint32_t capacity = capacity_ == 0 ? 2 : capacity_ * 2;
  ListNode* ring = AllocateRing(capacity);
  for (size_t i = 0; i < nodes_; ++i) ring[i] = std::move(Slot(i));
  FreeRing(ring_, capacity_);
  ring_ = ring;
  capacity_ = capacity;
  head_ = 0;
}

ListNode& Quicklist::InsertNode(size_t index) {
  assert(index <= nodes_);
  if (nodes_ == capacity_) Grow();
  // Shift whichever side of `index` is shorter.
  if (index < nodes_ - index) {
    head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
    ++nodes_;
    for (size_t k = 0; k < index; ++k) Slot(k) = std::move(Slot(k + 1));
  } else {
    ++nodes_;
    for (size_t k = nodes_ - 1; k > index; --k) Slot(k) = std::move(Slot(k - 1));
  }
  ListNode& fresh = Slot(index);
  fresh = ListNode{};
  return fresh;
}

void Quicklist::RemoveNode(size_t index) {
  assert(index < nodes_);
  if (index < nodes_ / 2) {
    for (size_t k = index; k > 0; --k) Slot(k) = std::move(Slot(k - 1));
    Slot(0) = ListNode{};
    head_ = (head_ + 1) & (capacity_ - 1);
  } else {
    for (size_t k = index; k + 1 < nodes_; ++k) Slot(k) = std::move(Slot(k + 1));
    Slot(nodes_ - 1) = ListNode{};
  }
  --nodes_;
  // Give back a node array that shrank to a quarter of its capacity.
  if (capacity_ > 4 && nodes_ <= capacity_ / 4) {
    const uint32_t capacity = capacity_ / 2;
    ListNode* ring = AllocateRing(capacity);
    for (size_t i = 0; i < nodes_; ++i) ring[i] = std::move(Slot(i));
    FreeRing(ring_, capacity_);
    ring_ = ring;
    capacity_ = capacity;
    head_ = 0;
  }
}

ListNode& Quicklist::NewNodeWith(size_t index, std::string_view value, bool plain) {
  ListNode& node = InsertNode(index);
  node.entries.Append(value);
  node.count = 1;
  node.plain = plain;
  return node;
}

bool Quicklist::AllowsInsert(const ListNode& node, std::string_view value, const ListNodeLimit& limit) {
  if (node.plain || limit.IsLargeElement(value.size())) return false;
  return !limit.Exceeds(node.entries.bytes_size() + value.size() + kSizeEstimateOverhead, node.count + 1);
}

void Quicklist::AppendPackedNode(Listpack entries) {
  if (entries.empty()) return;
  ListNode& node = InsertNode(nodes_);
  node.count = static_cast<uint32_t>(entries.size());
  node.entries = std::move(entries);
  count_ += node.count;
}

void Quicklist::AppendPlainNode(std::string_view value) {
  NewNodeWith(nodes_, value, true);
  ++count_;
}

Listpack Quicklist::TakeOnlyNode() {
  assert(nodes_ == 1);
  Listpack entries = std::move(Slot(0).entries);
  RemoveNode(0);
  count_ = 0;
  return entries;
}

void Quicklist::Push(ListEnd end, std::string_view value, const ListNodeLimit& limit) {
  const bool head = end == ListEnd::kHead;
  ++count_;
  if (nodes_ > 0) {
    ListNode& edge = head ? Slot(0) : Slot(nodes_ - 1);
    if (AllowsInsert(edge, value, limit)) {
      head ? edge.entries.Prepend(value) : edge.entries.Append(value);
      ++edge.count;
      return;
    }
  }
  NewNodeWith(head ? 0 : nodes_, value, limit.IsLargeElement(value.size()));
}

std::string Quicklist::Pop(ListEnd end) {
  assert(count_ > 0);
  const size_t index = end == ListEnd::kHead ? 0 : nodes_ - 1;
  ListNode& node = Slot(index);
  const Listpack::Pos pos = end == ListEnd::kHead ? node.entries.First() : node.entries.Last();
  Listpack::IntBuffer scratch;
  std::string value(node.entries.Get(pos, scratch));
  --count_;
  if (node.count == 1) {
    RemoveNode(index);
  } else {
    node.entries.Erase(pos);
    --node.count;
  }
  return value;
}

void Quicklist::EraseEnds(size_t front, size_t back) {
  assert(front + back <= count_);
  while (front > 0) {
    ListNode& node = Slot(0);
    if (front >= node.count) {
      front -= node.count;
      count_ -= node.count;
      RemoveNode(0);
    } else {
      node.entries.Erase(node.entries.First(), front);
      node.count -= static_cast<uint32_t>(front);
      count_ -= front;
      front = 0;
    }
  }
  while (back > 0) {
    ListNode& node = Slot(nodes_ - 1);
    if (back >= node.count) {
      back -= node.count;
      count_ -= node.count;
      RemoveNode(nodes_ - 1);
    } else {
      node.entries.Erase(node.entries.Seek(-static_cast<int64_t>(back)), back);
      node.count -= static_cast<uint32_t>(back);
      count_ -= back;
      back = 0;
    }
  }
}

ListCursor Quicklist::Seek(int64_t index) const {
  const auto count = static_cast<int64_t>(count_);
  if (index < 0) index += count;
  if (index < 0 || index >= count) return {};
  if (index < count / 2) {
    auto offset = static_cast<size_t>(index);
    for (size_t i = 0; i < nodes_; ++i) {
      const ListNode& node = Slot(i);
      if (offset < node.count) return {i, node.entries.Seek(static_cast<int64_t>(offset))};
      offset -= node.count;
    }
  } else {
    auto from_tail = static_cast<size_t>(count - 1 - index);
    for (size_t i = nodes_; i-- > 0;) {
      const ListNode& node = Slot(i);
      if (from_tail < node.count) return {i, node.entries.Seek(-static_cast<int64_t>(from_tail) - 1)};
      from_tail -= node.count;
    }
  }
  return {};
}

ListCursor Quicklist::First() const { return nodes_ == 0 ? ListCursor{} : ListCursor{0, Slot(0).entries.First()}; }

ListCursor Quicklist::Last() const {
  return nodes_ == 0 ? ListCursor{} : ListCursor{nodes_ - 1, Slot(nodes_ - 1).entries.Last()};
}

ListCursor Quicklist::Next(ListCursor at) const {
  const Listpack::Pos next = Slot(at.node).entries.Next(at.pos);
  if (next != Listpack::kEnd) return {at.node, next};
  if (at.node + 1 < nodes_) return {at.node + 1, Slot(at.node + 1).entries.First()};
  return {};
}

ListCursor Quicklist::Prev(ListCursor at) const {
  const Listpack::Pos prev = Slot(at.node).entries.Prev(at.pos);
  if (prev != Listpack::kEnd) return {at.node, prev};
  if (at.node > 0) return {at.node - 1, Slot(at.node - 1).entries.Last()};
  return {};
}

std::string_view Quicklist::Get(ListCursor at, Listpack::IntBuffer& scratch) const {
  return Slot(at.node).entries.Get(at.pos, scratch);
}

bool Quicklist::Equals(ListCursor at, std::string_view value) const {
  return Slot(at.node).entries.Equals(at.pos, value);
}

void Quicklist::SplitAfter(size_t index, size_t offset) {
  // The tail part starts as a copy of the whole node, then each side drops the other's
  // elements (Redis's _quicklistSplitNode).
  Listpack tail = Slot(index).entries;
  ListNode& head = Slot(index);
  const size_t kept = offset + 1;
  const size_t moved = head.count - kept;
  head.entries.Erase(head.entries.Seek(static_cast<int64_t>(kept)), moved);
  head.count = static_cast<uint32_t>(kept);
  tail.Erase(tail.First(), kept);
  ListNode& fresh = InsertNode(index + 1);
  fresh.entries = std::move(tail);
  fresh.count = static_cast<uint32_t>(moved);
}

bool Quicklist::MergeWithNext(size_t index, const ListNodeLimit& limit) {
  if (index + 1 >= nodes_) return false;
  ListNode& a = Slot(index);
  const ListNode& b = Slot(index + 1);
  if (a.plain || b.plain) return false;
  if (limit.Exceeds(a.entries.bytes_size() + b.entries.bytes_size() - kListpackFraming, a.count + b.count)) {
    return false;
  }
  Listpack::IntBuffer scratch;
  for (Listpack::Pos p = b.entries.First(); p != Listpack::kEnd; p = b.entries.Next(p)) {
    a.entries.Append(b.entries.Get(p, scratch));
  }
  a.count += b.count;
  RemoveNode(index + 1);
  return true;
}

void Quicklist::MergeAround(size_t index, const ListNodeLimit& limit) {
  MergeWithNext(index, limit);
  if (index > 0) MergeWithNext(index - 1, limit);
}

void Quicklist::Insert(ListCursor at, std::string_view value, bool after, const ListNodeLimit& limit) {
  ListNode& node = Slot(at.node);
  const bool at_head = node.entries.Prev(at.pos) == Listpack::kEnd;
  const bool at_tail = node.entries.Next(at.pos) == Listpack::kEnd;
  const bool at_edge = after ? at_tail : at_head;
  ++count_;

  if (limit.IsLargeElement(value.size())) {
    if (!node.plain && !at_edge) {
      const size_t offset = OffsetOf(node.entries, at.pos);
      SplitAfter(at.node, after ? offset : offset - 1);
      NewNodeWith(at.node + 1, value, true);
    } else {
      NewNodeWith(after ? at.node + 1 : at.node, value, true);
    }
    return;
  }

  if (AllowsInsert(node, value, limit)) {
    node.entries.Insert(after ? node.entries.Next(at.pos) : at.pos, value);
    ++node.count;
    return;
  }

  if (at_edge) {
    // The node is full: the neighbour on that side takes it if it can, else a new node.
    const bool has_neighbour = after ? at.node + 1 < nodes_ : at.node > 0;
    if (has_neighbour) {
      ListNode& neighbour = Slot(after ? at.node + 1 : at.node - 1);
      if (AllowsInsert(neighbour, value, limit)) {
        after ? neighbour.entries.Prepend(value) : neighbour.entries.Append(value);
        ++neighbour.count;
        return;
      }
    }
    NewNodeWith(after ? at.node + 1 : at.node, value, false);
    return;
  }

  // Inside a full node: split it where the value goes and give the value to the half
  // that ends (or starts) there, then merge what became small.
  const size_t offset = OffsetOf(node.entries, at.pos);
  SplitAfter(at.node, after ? offset : offset - 1);
  const size_t target = after ? at.node + 1 : at.node;
  ListNode& half = Slot(target);
  if (AllowsInsert(half, value, limit)) {
    after ? half.entries.Prepend(value) : half.entries.Append(value);
    ++half.count;
    MergeAround(target, limit);
  } else {
    NewNodeWith(at.node + 1, value, false);
  }
}

void Quicklist::Replace(ListCursor at, std::string_view value, const ListNodeLimit& limit) {
  ListNode& node = Slot(at.node);
  Listpack::IntBuffer scratch;
  const std::string_view old = node.entries.Get(at.pos, scratch);
  if (!node.plain && !limit.IsLargeElement(value.size())) {
    const size_t bytes = node.entries.bytes_size() - Listpack::EncodedSize(old) + Listpack::EncodedSize(value);
    if (!limit.Exceeds(bytes, node.count)) {
      node.entries.Replace(at.pos, value);
      return;
    }
  } else if (node.plain && limit.IsLargeElement(value.size())) {
    node.entries.Replace(at.pos, value);
    return;
  }
  // The value does not fit where the old one was: remove the old element and insert the
  // new one at its index, which places it by the insertion rules.
  size_t index = OffsetOf(node.entries, at.pos);
  for (size_t i = 0; i < at.node; ++i) index += Slot(i).count;
  Erase(at);
  if (index == count_) {
    Push(ListEnd::kTail, value, limit);
  } else {
    Insert(Seek(static_cast<int64_t>(index)), value, /*after=*/false, limit);
  }
}

ListCursor Quicklist::Erase(ListCursor at) {
  ListNode& node = Slot(at.node);
  --count_;
  if (node.count == 1) {
    RemoveNode(at.node);
    return at.node < nodes_ ? ListCursor{at.node, Slot(at.node).entries.First()} : ListCursor{};
  }
  const Listpack::Pos next = node.entries.Erase(at.pos);
  --node.count;
  if (next != Listpack::kEnd) return {at.node, next};
  return at.node + 1 < nodes_ ? ListCursor{at.node + 1, Slot(at.node + 1).entries.First()} : ListCursor{};
}

}  // namespace tierkv
