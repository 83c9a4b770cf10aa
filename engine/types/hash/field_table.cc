#include "engine/types/hash/field_table.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/hash.h"
#include "engine/scan_cursor.h"

namespace tierkv {
namespace {

constexpr size_t kMinCapacity = 8;
// Probe clusters a write (or lookup) moves while a resize is pending. Every cluster holds
// at least one entry, so a growth (old array at load 0.8 into one twice its size) is
// complete long before the new array reaches that load itself.
constexpr size_t kClustersPerWrite = 2;
constexpr size_t kClustersPerRead = 1;
// Empty slots a step may pass per cluster before giving up, as Redis's empty_visits.
constexpr size_t kEmptyVisitsPerCluster = 10;

// A slot: the node address in the low 48 bits, the top 16 bits of the field's hash above.
constexpr uint64_t kTagMask = 0xFFFF000000000000ULL;

// ---- Nodes: [varint field length][varint value length][field][value] ----

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

char* PutVarint(char* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

const char* GetVarint(const char* in, uint64_t* value) {
  uint64_t result = 0;
  int shift = 0;
  while (true) {
    const auto byte = static_cast<unsigned char>(*in++);
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  *value = result;
  return in;
}

struct NodeView {
  std::string_view field;
  std::string_view value;
};

NodeView ReadNode(const char* node) {
  uint64_t field_len;
  uint64_t value_len;
  const char* p = GetVarint(node, &field_len);
  p = GetVarint(p, &value_len);
  return {{p, field_len}, {p + field_len, value_len}};
}

const char* NodeOf(uint64_t slot) { return reinterpret_cast<const char*>(slot & ~kTagMask); }

NodeView ReadSlot(uint64_t slot) { return ReadNode(NodeOf(slot)); }

uint64_t MakeSlot(const char* node, uint64_t hash) {
  const auto address = reinterpret_cast<uintptr_t>(node);
  if ((address & kTagMask) != 0) {
    // Linux user space on x86-64 and arm64 stays below 2^48 unless a mapping asks for
    // more; if that ever changes, the tag trick must go.
    std::fprintf(stderr, "FieldTable: heap address %p does not fit 48 bits\n", static_cast<const void*>(node));
    std::abort();
  }
  return address | (hash & kTagMask);
}

// Allocates a node; adds its allocated size to *bytes.
char* NewNode(std::string_view field, std::string_view value, size_t* bytes) {
  const size_t size = VarintSize(field.size()) + VarintSize(value.size()) + field.size() + value.size();
  auto* node = static_cast<char*>(std::malloc(size));
  if (node == nullptr) throw std::bad_alloc();
  char* p = PutVarint(node, field.size());
  p = PutVarint(p, value.size());
  if (!field.empty()) std::memcpy(p, field.data(), field.size());
  if (!value.empty()) std::memcpy(p + field.size(), value.data(), value.size());
  *bytes += malloc_usable_size(node);
  return node;
}

void FreeNode(const char* node, size_t* bytes) {
  char* mutable_node = const_cast<char*>(node);
  *bytes -= malloc_usable_size(mutable_node);
  std::free(mutable_node);
}

uint64_t* AllocateSlots(size_t count) {
  void* memory = std::calloc(count, sizeof(uint64_t));
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<uint64_t*>(memory);
}

uint64_t SlotHash(uint64_t slot) { return HashKey(ReadSlot(slot).field); }

// Slots for `count` entries at a load of at most 0.8.
size_t CapacityFor(size_t count) {
  return std::bit_ceil(std::max(kMinCapacity, count + count / 4 + 1));
}

bool OverLoad(size_t used, uint64_t mask) { return used * 5 > (mask + 1) * 4; }

}  // namespace

FieldTable::~FieldTable() { FreeAll(); }

FieldTable::FieldTable(const FieldTable& other) {
  Reserve(other.size_);
  other.ForEach([this](std::string_view field, std::string_view value) { Add(field, value); });
}

FieldTable::FieldTable(FieldTable&& other) noexcept { *this = std::move(other); }

FieldTable& FieldTable::operator=(FieldTable&& other) noexcept {
  if (this != &other) {
    FreeAll();
    current_ = std::exchange(other.current_, {});
    old_ = std::exchange(other.old_, {});
    rehash_position_ = std::exchange(other.rehash_position_, 0);
    size_ = std::exchange(other.size_, 0);
    node_bytes_ = std::exchange(other.node_bytes_, 0);
  }
  return *this;
}

void FieldTable::FreeAll() {
  for (Slots* table : {&current_, &old_}) {
    if (table->slots == nullptr) continue;
    for (uint64_t i = 0; i <= table->mask; ++i) {
      if (table->slots[i] != 0) FreeNode(NodeOf(table->slots[i]), &node_bytes_);
    }
    std::free(table->slots);
    *table = {};
  }
  size_ = 0;
}

void FieldTable::InsertInto(Slots& table, uint64_t slot, uint64_t hash) {
  uint64_t i = hash & table.mask;
  while (table.slots[i] != 0) i = (i + 1) & table.mask;
  table.slots[i] = slot;
  ++table.used;
}

int64_t FieldTable::Locate(const Slots& table, std::string_view field, uint64_t hash) {
  if (table.slots == nullptr) return -1;
  const uint64_t tag = hash & kTagMask;
  for (uint64_t i = hash & table.mask;; i = (i + 1) & table.mask) {
    const uint64_t slot = table.slots[i];
    if (slot == 0) return -1;
    if ((slot & kTagMask) == tag && ReadSlot(slot).field == field) return static_cast<int64_t>(i);
  }
}

// Removes the slot at `position` and shifts the rest of its cluster back, so that every
// entry stays reachable from its home without tombstones.
void FieldTable::EraseAt(Slots& table, uint64_t position) {
  uint64_t hole = position;
  for (uint64_t i = (position + 1) & table.mask;; i = (i + 1) & table.mask) {
    const uint64_t slot = table.slots[i];
    if (slot == 0) break;
    const uint64_t home = SlotHash(slot) & table.mask;
    // The entry may fill the hole if the hole lies between its home and where it is.
    if (((i - home) & table.mask) >= ((i - hole) & table.mask)) {
      table.slots[hole] = slot;
      hole = i;
    }
  }
  table.slots[hole] = 0;
  --table.used;
}

void FieldTable::StartResize(size_t new_capacity) const {
  old_ = current_;
  current_ = {AllocateSlots(new_capacity), new_capacity - 1, 0};
  if (old_.used == 0) {
    FinishResize();
    return;
  }
  // Drain from just after an empty slot, so that every occupied slot met first is the
  // start of a probe cluster and whole clusters move at a time.
  uint64_t empty = 0;
  while (old_.slots[empty] != 0) ++empty;
  rehash_position_ = empty + 1;
}

void FieldTable::FinishResize() const {
  while (RehashStep(SIZE_MAX)) {
  }
}

bool FieldTable::RehashStep(size_t clusters) const {
  if (!rehashing()) return false;
  size_t empty_visits = clusters > SIZE_MAX / kEmptyVisitsPerCluster ? SIZE_MAX : clusters * kEmptyVisitsPerCluster;
  while (clusters > 0 && old_.used > 0) {
    uint64_t i = rehash_position_ & old_.mask;
    if (old_.slots[i] == 0) {
      ++rehash_position_;
      if (--empty_visits == 0) break;
      continue;
    }
    // A whole cluster at once: entries left behind in a half-moved cluster could become
    // unreachable from their home.
    while (old_.slots[i] != 0) {
      const uint64_t slot = old_.slots[i];
      old_.slots[i] = 0;
      --old_.used;
      InsertInto(current_, slot, SlotHash(slot));
      i = (i + 1) & old_.mask;
      ++rehash_position_;
    }
    --clusters;
  }
  if (old_.used == 0) {
    std::free(old_.slots);
    old_ = {};
    rehash_position_ = 0;
  }
  return rehashing();
}

void FieldTable::Reserve(size_t count) {
  const size_t wanted = CapacityFor(count);
  if (current_.slots == nullptr) {
    current_ = {AllocateSlots(wanted), wanted - 1, 0};
    return;
  }
  // A resize already under way will be followed by a growth if still needed.
  if (rehashing() || wanted <= capacity()) return;
  StartResize(wanted);
}

void FieldTable::MaybeGrowForInsert() {
  if (current_.slots == nullptr) {
    current_ = {AllocateSlots(kMinCapacity), kMinCapacity - 1, 0};
    return;
  }
  if (!OverLoad(current_.used + 1, current_.mask)) return;
  // Steps keep a resize ahead of insertions; finishing one here is only a safety net.
  if (rehashing()) FinishResize();
  if (OverLoad(current_.used + 1, current_.mask)) StartResize(capacity() * 2);
}

void FieldTable::MaybeShrink() {
  if (rehashing() || capacity() <= kMinCapacity) return;
  // As Redis: shrink once under a tenth full (here an eighth), to a load of about a half.
  if (size_ * 8 >= capacity()) return;
  const size_t target = std::bit_ceil(std::max(kMinCapacity, size_ * 2));
  if (target < capacity()) StartResize(target);
}

std::optional<std::string_view> FieldTable::Find(std::string_view field) const {
  if (size_ == 0) return std::nullopt;
  if (rehashing()) RehashStep(kClustersPerRead);
  const uint64_t hash = HashKey(field);
  for (const Slots* table : {&current_, &old_}) {
    const int64_t position = Locate(*table, field, hash);
    if (position >= 0) return ReadSlot(table->slots[position]).value;
  }
  return std::nullopt;
}

bool FieldTable::Set(std::string_view field, std::string_view value) {
  if (rehashing()) RehashStep(kClustersPerWrite);
  const uint64_t hash = HashKey(field);
  for (Slots* table : {&current_, &old_}) {
    const int64_t position = Locate(*table, field, hash);
    if (position < 0) continue;
    // A new node for the new value; the slot keeps its place and tag.
    uint64_t& slot = table->slots[position];
    const char* node = NewNode(field, value, &node_bytes_);
    FreeNode(NodeOf(slot), &node_bytes_);
    slot = MakeSlot(node, hash);
    return false;
  }
  Add(field, value);
  return true;
}

void FieldTable::Add(std::string_view field, std::string_view value) {
  MaybeGrowForInsert();
  const uint64_t hash = HashKey(field);
  InsertInto(current_, MakeSlot(NewNode(field, value, &node_bytes_), hash), hash);
  ++size_;
}

bool FieldTable::Erase(std::string_view field) {
  if (size_ == 0) return false;
  if (rehashing()) RehashStep(kClustersPerWrite);
  const uint64_t hash = HashKey(field);
  for (Slots* table : {&current_, &old_}) {
    const int64_t position = Locate(*table, field, hash);
    if (position < 0) continue;
    FreeNode(NodeOf(table->slots[position]), &node_bytes_);
    EraseAt(*table, static_cast<uint64_t>(position));
    --size_;
    if (table == &old_ && old_.used == 0) FinishResize();
    MaybeShrink();
    return true;
  }
  return false;
}

void FieldTable::ForEach(const Visitor& visit) const {
  for (const Slots* table : {&current_, &old_}) {
    if (table->slots == nullptr) continue;
    for (uint64_t i = 0; i <= table->mask; ++i) {
      if (table->slots[i] == 0) continue;
      const NodeView node = ReadSlot(table->slots[i]);
      visit(node.field, node.value);
    }
  }
}

std::optional<std::pair<std::string_view, std::string_view>> FieldTable::EntryAt(size_t position) const {
  for (const Slots* table : {&current_, &old_}) {
    const size_t slots = SlotCount(*table);
    if (position >= slots) {
      position -= slots;
      continue;
    }
    if (table->slots[position] == 0) return std::nullopt;
    const NodeView node = ReadSlot(table->slots[position]);
    return std::make_pair(node.field, node.value);
  }
  return std::nullopt;
}

uint64_t FieldTable::Scan(uint64_t cursor, const Visitor& visit) const {
  if (size_ == 0) return 0;
  // Every entry whose home is `home`: they sit between it and the next empty slot.
  auto visit_home = [&](const Slots& table, uint64_t home) {
    home &= table.mask;
    for (uint64_t i = home; table.slots[i] != 0; i = (i + 1) & table.mask) {
      const NodeView node = ReadSlot(table.slots[i]);
      if ((HashKey(node.field) & table.mask) == home) visit(node.field, node.value);
    }
  };
  if (!rehashing()) {
    visit_home(current_, cursor);
    return NextScanCursor(cursor, current_.mask);
  }
  // Visit the home of the small array, then every home of the large array it expands to.
  const Slots* small = &current_;
  const Slots* large = &old_;
  if (small->mask > large->mask) std::swap(small, large);
  visit_home(*small, cursor);
  do {
    visit_home(*large, cursor);
    cursor = NextScanCursor(cursor, large->mask);
  } while (cursor & (small->mask ^ large->mask));
  return cursor;
}

std::pair<std::string_view, std::string_view> FieldTable::Random(std::mt19937_64& rng) const {
  // A uniformly random slot until an occupied one: every entry has exactly one slot, so
  // each is equally likely. The load stays above about 1/10, so this ends quickly; the
  // walk after it only guards against a pathological generator.
  const uint64_t current_slots = current_.slots ? current_.mask + 1 : 0;
  const uint64_t old_slots = old_.slots ? old_.mask + 1 : 0;
  const uint64_t total = current_slots + old_slots;
  auto slot_at = [&](uint64_t index) {
    return index < current_slots ? current_.slots[index] : old_.slots[index - current_slots];
  };
  constexpr int kMaxDraws = 1000;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    const uint64_t slot = slot_at(rng() % total);
    if (slot != 0) {
      const NodeView node = ReadSlot(slot);
      return {node.field, node.value};
    }
  }
  const uint64_t start = rng() % total;
  for (uint64_t k = 0; k < total; ++k) {
    const uint64_t slot = slot_at((start + k) % total);
    if (slot != 0) {
      const NodeView node = ReadSlot(slot);
      return {node.field, node.value};
    }
  }
  return {};
}

size_t FieldTable::MemoryUsage() const {
  size_t bytes = node_bytes_;
  if (current_.slots != nullptr) bytes += (current_.mask + 1) * sizeof(uint64_t);
  if (old_.slots != nullptr) bytes += (old_.mask + 1) * sizeof(uint64_t);
  return bytes;
}

}  // namespace tierkv
