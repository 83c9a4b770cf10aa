#include "engine/types/zset/member_table.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "engine/hash.h"

namespace tierkv {
namespace {

constexpr size_t kMinCapacity = 8;

// Capacity that holds `count` members at a load factor of 5/8 after a rehash.
size_t CapacityFor(size_t count) {
  const size_t wanted = count + (count * 3 + 4) / 5;  // about count * 8 / 5
  return wanted < kMinCapacity ? kMinCapacity : wanted;
}

// The smallest hash whose home slot is `slot` or later: ceil(slot * 2^64 / capacity).
uint64_t LowestHashOf(size_t slot, size_t capacity) {
  const unsigned __int128 scaled = static_cast<unsigned __int128>(slot) << 64;
  return static_cast<uint64_t>((scaled + capacity - 1) / capacity);
}

}  // namespace

ZSetMemberTable::~ZSetMemberTable() { std::free(slots_); }

uint64_t ZSetMemberTable::Hash(std::string_view member) { return HashKey(member); }

size_t ZSetMemberTable::MemoryUsage() const { return slots_ == nullptr ? 0 : malloc_usable_size(slots_); }

void ZSetMemberTable::Reserve(size_t count) {
  if (count * 8 <= capacity_ * 7) return;
  Rehash(CapacityFor(count));
}

MemberRecord* ZSetMemberTable::Find(std::string_view member, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  const unsigned char tag = TagOf(hash);
  const unsigned char* ctrl = control();
  for (size_t slot = HomeOf(hash);; slot = NextSlot(slot)) {
    if (ctrl[slot] == kEmpty) return nullptr;
    if (ctrl[slot] == tag && slots_[slot]->member() == member) return slots_[slot];
  }
}

void ZSetMemberTable::PlaceFresh(MemberRecord* record, uint64_t hash) {
  unsigned char* ctrl = control();
  size_t slot = HomeOf(hash);
  while (ctrl[slot] >= 0x80) slot = NextSlot(slot);
  if (ctrl[slot] == kDeleted) --tombstones_;
  ctrl[slot] = TagOf(hash);
  slots_[slot] = record;
  ++size_;
}

void ZSetMemberTable::Insert(MemberRecord* record, uint64_t hash) {
  // Tombstones count as used: probes only stop at empty slots, so some must remain.
  if ((size_ + tombstones_ + 1) * 8 > capacity_ * 7) Rehash(CapacityFor(size_ + 1));
  PlaceFresh(record, hash);
}

MemberRecord* ZSetMemberTable::Remove(std::string_view member, uint64_t hash) {
  if (size_ == 0) return nullptr;
  const unsigned char tag = TagOf(hash);
  unsigned char* ctrl = control();
  for (size_t slot = HomeOf(hash);; slot = NextSlot(slot)) {
    if (ctrl[slot] == kEmpty) return nullptr;
    if (ctrl[slot] != tag || slots_[slot]->member() != member) continue;
    MemberRecord* record = slots_[slot];
    // A slot followed by an empty one ends no probe chain: it can become empty itself.
    if (ctrl[NextSlot(slot)] == kEmpty) {
      ctrl[slot] = kEmpty;
    } else {
      ctrl[slot] = kDeleted;
      ++tombstones_;
    }
    slots_[slot] = nullptr;
    --size_;
    if (capacity_ > kMinCapacity && size_ * 5 < capacity_) Rehash(CapacityFor(size_));
    return record;
  }
}

void ZSetMemberTable::Rehash(size_t capacity) {
  MemberRecord** old_slots = slots_;
  const size_t old_capacity = capacity_;
  const unsigned char* old_ctrl = old_slots == nullptr ? nullptr : control();

  const size_t bytes = capacity * (sizeof(MemberRecord*) + 1);
  auto* fresh = static_cast<MemberRecord**>(std::malloc(bytes));
  if (fresh == nullptr) throw std::bad_alloc();
  std::memset(fresh + capacity, kEmpty, capacity);
  slots_ = fresh;
  capacity_ = capacity;
  size_ = 0;
  tombstones_ = 0;
  for (size_t slot = 0; slot < old_capacity; ++slot) {
    if (old_ctrl[slot] >= 0x80) PlaceFresh(old_slots[slot], Hash(old_slots[slot]->member()));
  }
  std::free(old_slots);
}

void ZSetMemberTable::ForEach(const std::function<void(MemberRecord*)>& visit) const {
  const unsigned char* ctrl = control();
  for (size_t slot = 0; slot < capacity_; ++slot) {
    if (ctrl[slot] >= 0x80) visit(slots_[slot]);
  }
}

uint64_t ZSetMemberTable::Scan(uint64_t cursor, size_t count,
                           const std::function<void(const MemberRecord*)>& visit) const {
  if (size_ == 0) return 0;
  if (count == 0) count = 1;
  const size_t first = HomeOf(cursor);
  const size_t end = capacity_ - first <= count ? capacity_ : first + count;
  const bool to_the_end = end == capacity_;
  const uint64_t next = to_the_end ? 0 : LowestHashOf(end, capacity_);
  // Members whose home slot is in [first, end) sit from their home slot up to the end
  // of its run of non-empty slots: walk past `end` until an empty slot (wrapping).
  const unsigned char* ctrl = control();
  size_t slot = first;
  for (size_t walked = 0; walked < capacity_; ++walked, slot = NextSlot(slot)) {
    if (walked >= end - first && ctrl[slot] == kEmpty) break;
    if (ctrl[slot] < 0x80) continue;
    const uint64_t hash = Hash(slots_[slot]->member());
    if (hash >= cursor && (to_the_end || hash < next)) visit(slots_[slot]);
  }
  return next;
}

bool ZSetMemberTable::CheckInvariants(std::string* why) const {
  size_t full = 0;
  size_t deleted = 0;
  const unsigned char* ctrl = slots_ == nullptr ? nullptr : control();
  for (size_t slot = 0; slot < capacity_; ++slot) {
    if (ctrl[slot] == kDeleted) ++deleted;
    if (ctrl[slot] < 0x80) continue;
    ++full;
    const uint64_t hash = Hash(slots_[slot]->member());
    if (ctrl[slot] != TagOf(hash)) {
      *why = "slot " + std::to_string(slot) + " has the wrong tag";
      return false;
    }
    // Every slot from the home slot up to this one must be non-empty.
    for (size_t probe = HomeOf(hash); probe != slot; probe = NextSlot(probe)) {
      if (ctrl[probe] == kEmpty) {
        *why = "slot " + std::to_string(slot) + " is unreachable from its home slot";
        return false;
      }
    }
    if (Find(slots_[slot]->member(), hash) != slots_[slot]) {
      *why = "slot " + std::to_string(slot) + " is shadowed by a duplicate";
      return false;
    }
  }
  if (full != size_ || deleted != tombstones_) {
    *why = "counts disagree: size " + std::to_string(size_) + " vs " + std::to_string(full) + " full slots";
    return false;
  }
  if (capacity_ > 0 && (size_ + tombstones_) * 8 > capacity_ * 7) {
    *why = "load factor above 7/8";
    return false;
  }
  return true;
}

}  // namespace tierkv
