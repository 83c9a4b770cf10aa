// IntSet: the intset encoding of a set — distinct integers, sorted, in one allocation,
// byte for byte Redis's intset (intset.c), so that an RDB/DUMP intset blob (RDB type 11)
// is adopted or written by copying, not rebuilt.
//
// Layout:  <width: u32 LE = 2, 4 or 8> <count: u32 LE> <count members, width bytes each,
//          little-endian two's complement, strictly ascending>
// Every member is stored in the one width wide enough for all of them. Adding a member
// that needs more rewrites the whole array at the wider width ("upgrade"; the new member
// is then the smallest or the largest, so it goes at an end); removing never narrows, as
// in Redis. Each edit reallocates to the exact size, as Redis does: intsets are bounded
// by set-max-intset-entries, and exact sizing is what makes them compact.
//
// Thread-safety: a plain value; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

class IntSet {
 public:
  // Empty, width 2, as Redis's intsetNew; empty intsets share one static blob, so this
  // allocates nothing (nor does a move, which leaves the source empty).
  IntSet();
  IntSet(const IntSet& other);
  IntSet& operator=(const IntSet& other);
  IntSet(IntSet&& other) noexcept;
  IntSet& operator=(IntSet&& other) noexcept;
  ~IntSet();

  // Adopts an intset blob from an RDB file or DUMP payload after checking all of it
  // (width, count against the size, strictly ascending members; not empty): Corruption
  // if damaged, as Redis's intsetValidateIntegrity with deep checks.
  static Result<IntSet> FromBytes(std::string_view bytes);

  std::string_view bytes() const;  // the whole blob (what RDB stores)
  size_t size() const;
  bool empty() const { return size() == 0; }
  uint32_t width() const;  // bytes per member: 2, 4 or 8
  size_t MemoryUsage() const;

  // The member at `index` (< size()), in ascending order.
  int64_t At(size_t index) const;
  int64_t Min() const { return At(0); }
  int64_t Max() const { return At(size() - 1); }

  bool Contains(int64_t value) const;
  // False when already present.
  bool Add(int64_t value);
  // False when absent.
  bool Remove(int64_t value);

  // The narrowest width that holds `value`.
  static uint32_t WidthFor(int64_t value);

 private:
  explicit IntSet(unsigned char* data) : data_(data) {}
  // Binary search: true if found; `*index` is where `value` is or would be inserted.
  bool Search(int64_t value, size_t* index) const;
  void Resize(size_t count, uint32_t width);
  void Store(size_t index, int64_t value, uint32_t width);
  void Upgrade(int64_t value);

  unsigned char* data_;  // malloc'd blob
};

}  // namespace tierkv
