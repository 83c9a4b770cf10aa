#include "engine/types/set/member_table.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "engine/hash.h"
#include "engine/heap_bytes.h"

namespace tierkv {
namespace {

// --- member allocations: <length: LEB128 varint><bytes> ------------------------------

size_t VarintSize(size_t value) {
  size_t bytes = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++bytes;
  }
  return bytes;
}

char* NewBlob(std::string_view member) {
  const size_t header = VarintSize(member.size());
  char* blob = static_cast<char*>(std::malloc(header + member.size()));
  if (blob == nullptr) throw std::bad_alloc();
  auto* out = reinterpret_cast<unsigned char*>(blob);
  size_t value = member.size();
  while (value >= 0x80) {
    *out++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<unsigned char>(value);
  if (!member.empty()) std::memcpy(out, member.data(), member.size());
  return blob;
}

std::string_view BlobView(const char* blob) {
  const auto* in = reinterpret_cast<const unsigned char*>(blob);
  size_t length = 0;
  int shift = 0;
  while (*in & 0x80) {
    length |= static_cast<size_t>(*in++ & 0x7F) << shift;
    shift += 7;
  }
  length |= static_cast<size_t>(*in++) << shift;
  return {reinterpret_cast<const char*>(in), length};
}

char* CopyBlob(const char* blob) {
  const std::string_view member = BlobView(blob);
  const size_t bytes = static_cast<size_t>(member.data() - blob) + member.size();
  char* copy = static_cast<char*>(std::malloc(bytes));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, blob, bytes);
  return copy;
}

uint8_t TagOf(uint64_t hash) { return static_cast<uint8_t>(hash); }

constexpr size_t kMinSlots = 8;
constexpr size_t kMaxSlots = UINT32_MAX;

// Bytes of a table of `slots` slots: the metadata pairs, padded to 8 bytes, then the
// member pointers.
size_t BlockBytes(size_t slots) { return (slots * 2 + 7) / 8 * 8 + slots * sizeof(char*); }

// The most slots a table of `bytes` bytes holds.
size_t SlotsIn(size_t bytes) {
  size_t slots = bytes / 10;
  while (BlockBytes(slots + 1) <= bytes) ++slots;
  while (BlockBytes(slots) > bytes) --slots;
  return slots;
}

// At least `wanted` slots, as many as fill the size class that takes.
size_t SlotsFilling(size_t wanted) {
  wanted = std::max(wanted, kMinSlots);
  if (wanted > kMaxSlots) throw std::bad_alloc();
  return std::min(SlotsIn(AllocatorSizeClass(BlockBytes(wanted))), kMaxSlots);
}

// Growth leaves the table at most 7/10 full, so it grows by a size class or two at a
// time (1.25x-1.5x) and fills to 7/8 before the next growth.
size_t SlotsToGrowTo(size_t members) { return SlotsFilling(members * 10 / 7 + 1); }
// Presized tables (Reserve: the members are known to come) may start nearly full.
size_t SlotsToReserve(size_t members) { return SlotsFilling(members * 8 / 7 + 1); }
// A table shrunk for its members is at most half full.
size_t SlotsToShrinkTo(size_t members) { return SlotsFilling(members * 2 + 1); }

bool OverMaxLoad(size_t members, size_t slots) { return members * 8 > slots * 7; }

}  // namespace

char** MemberTable::Slots() const { return reinterpret_cast<char**>(block_ + (size_t{capacity_} * 2 + 7) / 8 * 8); }

std::string_view MemberTable::MemberAt(size_t slot) const { return BlobView(Slots()[slot]); }

size_t MemberTable::Distance(size_t slot) const {
  const uint8_t dist = Metas()[slot].dist;
  if (dist != kFarDist) return dist - 1;
  const size_t home = HomeOf(HashKey(MemberAt(slot)));
  return slot >= home ? slot - home : slot + capacity_ - home;
}

MemberTable::MemberTable(const MemberTable& other) {
  if (other.block_ == nullptr) return;
  const size_t bytes = BlockBytes(other.capacity_);
  block_ = static_cast<unsigned char*>(std::malloc(bytes));
  if (block_ == nullptr) throw std::bad_alloc();
  std::memcpy(block_, other.block_, bytes);
  size_ = other.size_;
  capacity_ = other.capacity_;
  char** mine = Slots();
  size_t copied = 0;
  try {
    for (; copied < capacity_; ++copied) {
      if (occupied(copied)) mine[copied] = CopyBlob(mine[copied]);
    }
  } catch (...) {
    // Free what was copied; the rest still points at other's members.
    for (size_t slot = 0; slot < copied; ++slot) {
      if (occupied(slot)) std::free(mine[slot]);
    }
    std::free(block_);
    block_ = nullptr;
    size_ = 0;
    capacity_ = 0;
    throw;
  }
}

MemberTable& MemberTable::operator=(const MemberTable& other) {
  if (this != &other) {
    MemberTable copy(other);
    *this = std::move(copy);
  }
  return *this;
}

MemberTable::MemberTable(MemberTable&& other) noexcept
    : block_(std::exchange(other.block_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

MemberTable& MemberTable::operator=(MemberTable&& other) noexcept {
  if (this != &other) {
    FreeAll();
    block_ = std::exchange(other.block_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

MemberTable::~MemberTable() { FreeAll(); }

void MemberTable::FreeAll() {
  if (block_ == nullptr) return;
  char** blobs = Slots();
  for (size_t slot = 0; slot < capacity_; ++slot) {
    if (occupied(slot)) std::free(blobs[slot]);
  }
  std::free(block_);
  block_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

size_t MemberTable::MemoryUsage(size_t samples) const {
  if (block_ == nullptr) return 0;
  const size_t wanted = samples == 0 ? size_ : std::min<size_t>(samples, size_);
  size_t member_bytes = 0;
  size_t measured = 0;
  char* const* blobs = Slots();
  for (size_t slot = 0; slot < capacity_ && measured < wanted; ++slot) {
    if (!occupied(slot)) continue;
    member_bytes += malloc_usable_size(blobs[slot]);
    ++measured;
  }
  if (measured > 0 && measured < size_) member_bytes = member_bytes * size_ / measured;
  return malloc_usable_size(block_) + member_bytes;
}

size_t MemberTable::Find(std::string_view member) const {
  if (empty()) return kNoSlot;
  const uint64_t hash = HashKey(member);
  const uint8_t tag = TagOf(hash);
  const Meta* metas = Metas();
  char* const* blobs = Slots();
  size_t slot = HomeOf(hash);
  // The table always has an empty slot, so the probe ends.
  for (size_t distance = 0;; ++distance, slot = NextSlot(slot)) {
    const Meta meta = metas[slot];
    if (meta.dist == 0) return kNoSlot;
    // Robin Hood: a member closer to its home than we are to ours means ours is absent.
    if (meta.dist != kFarDist ? size_t{meta.dist} - 1 < distance : Distance(slot) < distance) return kNoSlot;
    if (meta.tag == tag && BlobView(blobs[slot]) == member) return slot;
  }
}

void MemberTable::Place(char* blob, uint64_t hash) {
  Meta* metas = Metas();
  char** blobs = Slots();
  size_t slot = HomeOf(hash);
  uint8_t tag = TagOf(hash);
  for (size_t distance = 0;; ++distance, slot = NextSlot(slot)) {
    if (metas[slot].dist == 0) {
      metas[slot] = {static_cast<uint8_t>(std::min<size_t>(distance + 1, kFarDist)), tag};
      blobs[slot] = blob;
      return;
    }
    const size_t resident = Distance(slot);
    if (resident < distance) {
      // Take the slot from the member nearer its home and carry that one on.
      const uint8_t resident_tag = metas[slot].tag;
      metas[slot] = {static_cast<uint8_t>(std::min<size_t>(distance + 1, kFarDist)), tag};
      std::swap(blobs[slot], blob);
      tag = resident_tag;
      distance = resident;
    }
  }
}

void MemberTable::Rehash(size_t slots) {
  unsigned char* old = block_;
  const size_t old_slots = capacity_;
  const size_t old_pointers_at = (old_slots * 2 + 7) / 8 * 8;
  block_ = static_cast<unsigned char*>(std::calloc(1, BlockBytes(slots)));
  if (block_ == nullptr) {
    block_ = old;
    throw std::bad_alloc();
  }
  capacity_ = static_cast<uint32_t>(slots);
  if (old == nullptr) return;
  const auto* old_metas = reinterpret_cast<const Meta*>(old);
  char* const* old_blobs = reinterpret_cast<char* const*>(old + old_pointers_at);
  for (size_t slot = 0; slot < old_slots; ++slot) {
    if (old_metas[slot].dist != 0) Place(old_blobs[slot], HashKey(BlobView(old_blobs[slot])));
  }
  std::free(old);
}

void MemberTable::Reserve(size_t expected) {
  if (block_ != nullptr && !OverMaxLoad(expected, capacity_)) return;
  const size_t slots = SlotsToReserve(std::max(expected, size()));
  if (slots > capacity_) Rehash(slots);
}

bool MemberTable::Insert(std::string_view member) {
  if (Find(member) != kNoSlot) return false;
  const size_t count = size() + 1;
  if (block_ == nullptr || OverMaxLoad(count, capacity_)) Rehash(SlotsToGrowTo(count));
  Place(NewBlob(member), HashKey(member));
  ++size_;
  return true;
}

bool MemberTable::Erase(std::string_view member) {
  const size_t slot = Find(member);
  if (slot == kNoSlot) return false;
  EraseAt(slot);
  return true;
}

void MemberTable::EraseAt(size_t slot) {
  Meta* metas = Metas();
  char** blobs = Slots();
  std::free(blobs[slot]);
  --size_;
  // Backward shift: the members after the hole that are away from home move one step
  // back, which keeps every run in Robin Hood order without tombstones.
  size_t next = NextSlot(slot);
  while (metas[next].dist != 0) {
    const size_t distance = Distance(next);
    if (distance == 0) break;
    metas[slot] = {static_cast<uint8_t>(std::min<size_t>(distance, kFarDist)), metas[next].tag};
    blobs[slot] = blobs[next];
    slot = next;
    next = NextSlot(next);
  }
  metas[slot] = {0, 0};
  ShrinkIfSparse();
}

void MemberTable::ShrinkIfSparse() {
  // As Redis's htNeedsResize: under 10% full. To half full or less, so that a few
  // adds after a shrink do not grow it straight back.
  if (capacity_ <= kMinSlots || size_t{size_} * 10 >= capacity_) return;
  const size_t target = SlotsToShrinkTo(size_);
  if (target < capacity_) Rehash(target);
}

size_t MemberTable::RandomSlot(std::mt19937_64& rng) const {
  // Every slot is equally likely and the load is at least 1/10 (or the table is
  // minimal), so this draws each member with the same probability in a few tries.
  std::uniform_int_distribution<size_t> pick(0, capacity_ - 1);
  for (;;) {
    const size_t slot = pick(rng);
    if (occupied(slot)) return slot;
  }
}

}  // namespace tierkv
