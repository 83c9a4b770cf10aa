// ZSetMemberTable: a large sorted set's member -> record index (ZSCORE, ZADD's "is it
// there", ZREM's lookup), an open-addressing hash table of MemberRecord pointers.
//
// Why not a chained dict as Redis: a chained entry costs a 24-byte node (32 with
// jemalloc) plus its bucket slot per member; here a member costs its 8-byte slot and a
// 1-byte tag at a load factor kept between 5/8 and 7/8, about 12 bytes. The table does
// not own the records (the ScoreIndex does).
//
// Layout: one allocation of `capacity` record pointers followed by `capacity` control
// bytes (0 empty, 1 deleted, 0x80 | 7 hash bits for a full slot: most mismatches are
// rejected without touching the record). Linear probing from the slot
// (hash * capacity) >> 64, which keeps the home slot monotonic in the hash for any
// capacity: that is what lets SCAN use positions in hash space as cursors, which stay
// valid across resizes. Deletions leave tombstones; a rehash drops them.
//
// Thread-safety: a plain value; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "engine/types/zset/member_record.h"

namespace tierkv {

class ZSetMemberTable {
 public:
  ZSetMemberTable() = default;
  ~ZSetMemberTable();
  ZSetMemberTable(const ZSetMemberTable&) = delete;
  ZSetMemberTable& operator=(const ZSetMemberTable&) = delete;

  static uint64_t Hash(std::string_view member);

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t MemoryUsage() const;

  // Room for `count` members without growing.
  void Reserve(size_t count);
  MemberRecord* Find(std::string_view member, uint64_t hash) const;
  MemberRecord* Find(std::string_view member) const { return Find(member, Hash(member)); }
  // Adds a record whose member is not present.
  void Insert(MemberRecord* record, uint64_t hash);
  // Unlinks and returns the record for `member`, or nullptr. May shrink the table.
  MemberRecord* Remove(std::string_view member, uint64_t hash);

  // Calls `visit` for every record (any order).
  void ForEach(const std::function<void(MemberRecord*)>& visit) const;

  // One ZSCAN step: visits the records whose hash lies in [cursor, next) for a `next`
  // about `count` home slots further, and returns next (0 when the end of the hash space
  // was reached). A record present for the whole scan is visited at least once whatever
  // resizes happen between steps; one may be visited twice only if the table wrapped.
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(const MemberRecord*)>& visit) const;

  // Checks the table's invariants (every record reachable from its home slot, counts);
  // false and a reason if broken. For tests.
  bool CheckInvariants(std::string* why) const;

 private:
  static constexpr unsigned char kEmpty = 0;
  static constexpr unsigned char kDeleted = 1;
  static unsigned char TagOf(uint64_t hash) { return static_cast<unsigned char>(0x80 | (hash & 0x7f)); }
  size_t HomeOf(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * capacity_) >> 64);
  }
  size_t NextSlot(size_t slot) const { return slot + 1 == capacity_ ? 0 : slot + 1; }
  unsigned char* control() const { return reinterpret_cast<unsigned char*>(slots_ + capacity_); }
  // Rebuilds into `capacity` slots (dropping tombstones).
  void Rehash(size_t capacity);
  void PlaceFresh(MemberRecord* record, uint64_t hash);

  MemberRecord** slots_ = nullptr;  // capacity_ pointers, then capacity_ control bytes
  size_t capacity_ = 0;
  size_t size_ = 0;
  size_t tombstones_ = 0;
};

}  // namespace tierkv
