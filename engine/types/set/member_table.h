// MemberTable: the hashtable encoding of a set — distinct byte strings in an
// open-addressing table (Robin Hood linear probing, backward-shift deletion, no
// tombstones), built to cost as little DRAM per member as a hash set can.
//
// Memory. Each member is one allocation: a varint length and the bytes (a 13-byte member
// is a 16-byte allocation). The table is one allocation of 10 bytes per slot: a 2-byte
// metadata pair per slot, then an 8-byte pointer per slot. The metadata holds the
// member's probe distance + 1 (0 = empty slot; 255 = "254 or more, rehash the member to
// know") and 8 bits of its hash, so a probe rejects non-matching members without
// touching them. The slot count is not a power of two: it is whatever fills the
// allocator size class the table needs (jemalloc's classes are 25% apart), so the table
// grows in steps of about 1.25-1.5x, stays between 1/10 and 7/8 full (shrinking after
// deletions as Redis's dict does), and no allocated byte is slack. A member then costs its
// allocation plus ~14 bytes of table on average, against Redis 7.0's 32-byte dictEntry,
// bucket pointer and sds header.
//
// Homes. A member's home slot is its hash scaled to the slot count (hash * slots >> 64),
// so homes follow hash order and every slot owns one contiguous range of hash values.
//
// Scan. A cursor is a hash value: one step visits the members whose home is the slot
// owning the cursor, from the cursor on (Robin Hood keeps them together, found by probing
// from that slot as a lookup does), and returns the first hash value of the next slot.
// Every member with a hash below the cursor has therefore been returned, however the
// table was resized in between: a member present for a whole scan is returned exactly
// once (Redis promises at least once).
//
// Resizes rehash every member at once (Redis's dict spreads that over later calls); a
// member's hash is recomputed from its bytes then, which is what keeps it off the table.
// A table holds at most 2^32 - 1 slots (Redis's documented limit for a set's size is
// 2^32 - 1 members); growing past that throws std::bad_alloc.
//
// Slot indexes (for iteration and random picks) stay valid until the next insert or
// erase, either of which may move members or resize the table.
//
// Thread-safety: a plain value; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

#include "engine/hash.h"

namespace tierkv {

class MemberTable {
 public:
  static constexpr size_t kNoSlot = SIZE_MAX;

  MemberTable() = default;  // allocates nothing until the first insert
  MemberTable(const MemberTable& other);
  MemberTable& operator=(const MemberTable& other);
  MemberTable(MemberTable&& other) noexcept;
  MemberTable& operator=(MemberTable&& other) noexcept;
  ~MemberTable();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Heap bytes: the table and every member allocation, as the allocator sized them.
  // Walks the members (O(size), as MEMORY USAGE ... SAMPLES 0 is in Redis); with
  // `samples` > 0, measures that many members and scales their mean to size().
  size_t MemoryUsage(size_t samples = 0) const;

  bool Contains(std::string_view member) const { return Find(member) != kNoSlot; }
  // False when already present.
  bool Insert(std::string_view member);
  // False when absent.
  bool Erase(std::string_view member);
  // Sizes the table for `expected` members, so that adding them does not resize.
  void Reserve(size_t expected);

  // Slot-level access: slots run from 0 to slot_count() - 1, some empty.
  size_t slot_count() const { return capacity_; }
  bool occupied(size_t slot) const { return Metas()[slot].dist != 0; }
  std::string_view MemberAt(size_t slot) const;
  // The slot holding `member`, or kNoSlot.
  size_t Find(std::string_view member) const;
  // A uniformly random occupied slot; the table must not be empty.
  size_t RandomSlot(std::mt19937_64& rng) const;
  // Removes the member in `slot` (then slot indexes are stale, as after any erase).
  void EraseAt(size_t slot);

  // Calls visit(std::string_view) for every member, in slot order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (size_t slot = 0; slot < capacity_; ++slot) {
      if (occupied(slot)) visit(MemberAt(slot));
    }
  }

  // One SSCAN step: visits the members of one home slot whose hash is at least `cursor`,
  // and returns the next cursor (0 when the scan is complete).
  template <typename Visit>
  uint64_t Scan(uint64_t cursor, Visit&& visit) const {
    if (empty()) return 0;
    const size_t home = HomeOf(cursor);
    // A cursor from before a resize may fall inside this slot's range: the members
    // hashed below it were returned already.
    const bool partial = cursor != RangeStart(home);
    size_t slot = home;
    for (size_t distance = 0; occupied(slot); ++distance, slot = NextSlot(slot)) {
      const size_t found = Distance(slot);
      if (found < distance) break;  // members from here on have later homes
      if (found == distance && (!partial || HashKey(MemberAt(slot)) >= cursor)) visit(MemberAt(slot));
    }
    return home + 1 < capacity_ ? RangeStart(home + 1) : 0;
  }

 private:
  struct Meta {
    uint8_t dist;  // probe distance + 1; 0 = empty; kFarDist = look it up
    uint8_t tag;   // hash bits 0..7 (the home comes from the high bits)
  };
  static constexpr uint8_t kFarDist = 255;
  static_assert(sizeof(Meta) == 2);

  // The slot whose hash range holds `hash`.
  size_t HomeOf(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity_) >> 64);
  }
  // The smallest hash whose home is `slot`.
  uint64_t RangeStart(size_t slot) const {
    return static_cast<uint64_t>(((static_cast<unsigned __int128>(slot) << 64) + capacity_ - 1) / capacity_);
  }
  size_t NextSlot(size_t slot) const { return slot + 1 == capacity_ ? 0 : slot + 1; }
  Meta* Metas() const { return reinterpret_cast<Meta*>(block_); }
  char** Slots() const;
  // The probe distance of the member in an occupied slot.
  size_t Distance(size_t slot) const;
  // Robin Hood placement of a member known to be absent; the table has room.
  void Place(char* blob, uint64_t hash);
  void Rehash(size_t slots);
  void ShrinkIfSparse();
  void FreeAll();

  // slot_count() Metas, padded to 8 bytes, then slot_count() member pointers; nullptr
  // until the first insert.
  unsigned char* block_ = nullptr;
  uint32_t size_ = 0;      // members
  uint32_t capacity_ = 0;  // slots
};

}  // namespace tierkv
