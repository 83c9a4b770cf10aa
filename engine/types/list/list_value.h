// ListValue: the list type's value, with Redis 7.2's two encodings and its rules for
// moving between them (t_list.c listTypeTryConversion*):
//
//   listpack   one listpack holds the whole list (small lists: no node array at all).
//   quicklist  a Quicklist of listpack nodes within the node limit (quicklist.h).
//
// A listpack list becomes a quicklist before an addition would take it past the node
// limit (list-max-listpack-size), counting its bytes plus the raw lengths of the values
// being added, as Redis does (PrepareToAdd, which every growing command calls first);
// the listpack becomes its first node, or is dealt into nodes within the limit if many
// tiny values in one push took it past (raw lengths undercount encoded sizes). A
// quicklist goes back to a listpack when a removal leaves it with a single packed node
// at no more than half the limit (ShrinkIfSmall); loading (RDB, RESTORE) picks whichever
// encoding fits, at the full limit (FitLimits).
//
// The limit is passed to each call rather than stored, so a CONFIG SET of
// list-max-listpack-size applies to existing lists from their next edit on.
//
// Cursors (ListCursor) address elements in both encodings (node 0 for a listpack); an
// edit invalidates every cursor except the one it returns.
//
// Thread-safety: a plain value; engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "engine/entry.h"
#include "engine/types/list/quicklist.h"
#include "engine/types/listpack.h"

namespace tierkv {

class ListValue final : public ValueObject {
 public:
  ListValue() = default;  // empty, listpack-encoded
  explicit ListValue(Listpack packed) : packed_(std::move(packed)) {}
  explicit ListValue(std::unique_ptr<Quicklist> nodes) : nodes_(std::move(nodes)) {}

  size_t MemoryUsage() const override;
  Encoding encoding() const override { return nodes_ ? Encoding::kQuicklist : Encoding::kListpack; }
  size_t Length() const override { return nodes_ ? nodes_->size() : packed_.size(); }
  std::unique_ptr<ValueObject> Clone() const override;

  // Encoding. The one listpack of a listpack list, or the quicklist (nullptr otherwise).
  bool is_listpack() const { return nodes_ == nullptr; }
  const Listpack& packed() const { return packed_; }
  const Quicklist* quicklist() const { return nodes_.get(); }
  // Before adding `values`: becomes a quicklist if they would not fit the limit.
  void PrepareToAdd(std::span<const std::string_view> values, const ListNodeLimit& limit);
  void PrepareToAdd(std::string_view value, const ListNodeLimit& limit) { PrepareToAdd({&value, 1}, limit); }
  // After removing elements: back to a listpack if one node at half the limit is left.
  void ShrinkIfSmall(const ListNodeLimit& limit) { MaybeToListpack(limit.Halved()); }
  // After loading: the encoding the limit gives its size, in either direction.
  void FitLimits(const ListNodeLimit& limit);

  // Ends. Push and Pop are O(1); a quicklist's limit decides where an element goes.
  void Push(ListEnd end, std::string_view value, const ListNodeLimit& limit);
  std::string Pop(ListEnd end);  // the list must not be empty
  // Removes `front` elements from the head and `back` from the tail.
  void EraseEnds(size_t front, size_t back);

  // Positions.
  ListCursor Seek(int64_t index) const;  // negative: from the tail; walks from the nearer end
  ListCursor First() const;
  ListCursor Last() const;
  ListCursor Next(ListCursor at) const;
  ListCursor Prev(ListCursor at) const;
  std::string_view Get(ListCursor at, Listpack::IntBuffer& scratch) const;
  bool Equals(ListCursor at, std::string_view value) const;

  // Edits at a position (call PrepareToAdd first for the growing ones).
  void Insert(ListCursor at, std::string_view value, bool after, const ListNodeLimit& limit);
  void Replace(ListCursor at, std::string_view value, const ListNodeLimit& limit);
  ListCursor Erase(ListCursor at);  // returns the cursor of the element that followed

  // Every element, head to tail.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    Listpack::IntBuffer scratch;
    for (ListCursor at = First(); at.valid(); at = Next(at)) visit(Get(at, scratch));
  }

 private:
  void ToQuicklist(const ListNodeLimit& limit);
  void MaybeToListpack(const ListNodeLimit& limit);

  Listpack packed_;                 // the whole list while listpack-encoded; else empty
  std::unique_ptr<Quicklist> nodes_;  // non-null while quicklist-encoded
};

}  // namespace tierkv
