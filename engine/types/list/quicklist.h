// Quicklist: the scalable encoding of a list (OBJECT ENCODING "quicklist"), as Redis's
// quicklist.c: a sequence of listpack nodes, each kept within the node limit that
// list-max-listpack-size sets, so that a push or pop at either end edits one small node
// (O(1)) while the elements stay packed at listpack density.
//
// A "plain" node holds one element too large for any node (Redis's
// QUICKLIST_NODE_CONTAINER_PLAIN); it is stored as a one-element listpack flagged plain
// and never takes a second element, and the RDB writes it as a raw string.
//
// The nodes live in a ring buffer (power-of-two capacity), not a linked list: pushing or
// popping a node at either end is O(1) amortized, a node costs 16 bytes with no
// per-node allocation besides its listpack, and an index walk reads the cached node
// counts from the nearer end without touching the listpacks it skips. Inserting a node in
// the middle (a split) moves the node records after it, which is O(nodes), within the
// O(N) of the commands that do it (LINSERT, LSET).
//
// Node-filling rules follow Redis 7.2 (quicklist.c): an element goes into an end node when
// node bytes + element length + 8 stay within the limit; an element larger than the limit
// gets a plain node (so every node of two or more elements is within the limit, and a
// node of one element passes it at most by that element's framing); an insert into a full node lands in a neighbour at the edge, or in a
// new node, or splits the node. Redis never merges nodes after deletions, and neither do
// we (node shape decides when a list converts back to a listpack, so it stays Redis's).
//
// Thread-safety: a plain value; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types/listpack.h"

namespace tierkv {

enum class ListEnd : uint8_t { kHead, kTail };

// The node limit list-max-listpack-size expresses (Redis's quicklistNodeLimit): a
// positive fill caps entries per node (nodes also stay within 8 KiB, Redis's
// SIZE_SAFETY_LIMIT); -1..-5 cap node bytes at 4, 8, 16, 32, 64 KiB (below -5: 64 KiB).
// The same limit decides when a listpack-encoded list becomes a quicklist.
struct ListNodeLimit {
  static constexpr size_t kSafetyBytes = 8192;  // SIZE_SAFETY_LIMIT
  static constexpr size_t kUnlimited = SIZE_MAX;

  size_t max_bytes = kUnlimited;  // size-based fill
  size_t max_count = kUnlimited;  // count-based fill
  // DEBUG QUICKLIST-PACKED-THRESHOLD: elements of at least this many bytes get a plain
  // node whatever the fill; 0 = Redis's default (the fill decides).
  size_t packed_threshold = 0;

  static ListNodeLimit FromFill(int64_t fill, size_t packed_threshold = 0);
  // Redis's quicklistNodeExceedsLimit: would a node of `bytes` holding `count` pass it?
  bool Exceeds(size_t bytes, size_t count) const;
  // Redis 7.2's isLargeElement: an element of `size` bytes gets a plain node.
  bool IsLargeElement(size_t size) const;
  // Half of each limit: a quicklist shrinking to one node converts back to a listpack
  // only at half the limit, so a list on the boundary does not flip at every push/pop.
  ListNodeLimit Halved() const;
};

struct ListNode {
  Listpack entries;    // packed: the node's elements; plain: exactly one element
  uint32_t count = 0;  // entries.size(), cached so index walks read only the node array
  bool plain = false;
};

// A position in a list: node index and the element's byte offset in that node's
// listpack. Invalid (pos == kEnd) past either end. Any edit invalidates cursors except
// the one an editing call returns.
struct ListCursor {
  size_t node = 0;
  Listpack::Pos pos = Listpack::kEnd;
  bool valid() const { return pos != Listpack::kEnd; }
};

class Quicklist {
 public:
  Quicklist() = default;
  Quicklist(const Quicklist& other);
  Quicklist& operator=(const Quicklist&) = delete;
  ~Quicklist();

  size_t size() const { return count_; }  // elements
  bool empty() const { return count_ == 0; }
  size_t node_count() const { return nodes_; }
  const ListNode& node(size_t index) const { return Slot(index); }
  size_t MemoryUsage() const;  // heap bytes: the node array and every listpack

  // Whole nodes, in order (conversion from a listpack, RDB load). An empty listpack is
  // dropped. Nodes keep the shape they arrive in even when over the limit (as Redis loads
  // them); they just take no further elements.
  void AppendPackedNode(Listpack entries);
  void AppendPlainNode(std::string_view value);
  // Removes the only node and returns its listpack (conversion back to a listpack).
  Listpack TakeOnlyNode();

  void Push(ListEnd end, std::string_view value, const ListNodeLimit& limit);
  // Removes and returns the element at `end`; the list must not be empty.
  std::string Pop(ListEnd end);
  // Removes `front` elements from the head and `back` from the tail (their sum must not
  // exceed size()).
  void EraseEnds(size_t front, size_t back);

  // The element at `index` (negative: from the tail), walking from the nearer end.
  ListCursor Seek(int64_t index) const;
  ListCursor First() const;
  ListCursor Last() const;
  ListCursor Next(ListCursor at) const;
  ListCursor Prev(ListCursor at) const;
  std::string_view Get(ListCursor at, Listpack::IntBuffer& scratch) const;
  bool Equals(ListCursor at, std::string_view value) const;

  // LINSERT: puts `value` before (or after) the element at `at`.
  void Insert(ListCursor at, std::string_view value, bool after, const ListNodeLimit& limit);
  // LSET: replaces the element at `at`.
  void Replace(ListCursor at, std::string_view value, const ListNodeLimit& limit);
  // Removes the element at `at`; returns the cursor of the element that followed it.
  ListCursor Erase(ListCursor at);

 private:
  ListNode& Slot(size_t index) { return ring_[(head_ + index) & (capacity_ - 1)]; }
  const ListNode& Slot(size_t index) const { return ring_[(head_ + index) & (capacity_ - 1)]; }
  // Node array edits: the new node is default (empty) and at `index`.
  ListNode& InsertNode(size_t index);
  void RemoveNode(size_t index);
  void Grow();
  ListNode& NewNodeWith(size_t index, std::string_view value, bool plain);
  // Splits node `index` after its element at `offset` (0-based): elements past it move to
  // a new node at index + 1.
  void SplitAfter(size_t index, size_t offset);
  // Merges node `index` with its successor when the result fits the limit.
  bool MergeWithNext(size_t index, const ListNodeLimit& limit);
  void MergeAround(size_t index, const ListNodeLimit& limit);
  static bool AllowsInsert(const ListNode& node, std::string_view value, const ListNodeLimit& limit);
  static ListNode MakeNode(std::string_view value, bool plain);

  ListNode* ring_ = nullptr;  // capacity_ slots; unused slots hold empty nodes
  uint32_t capacity_ = 0;     // 0 or a power of two
  uint32_t head_ = 0;         // slot of node 0
  uint32_t nodes_ = 0;
  size_t count_ = 0;          // elements in all nodes
};

}  // namespace tierkv
