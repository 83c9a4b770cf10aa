// FieldTable: the scalable ("hashtable") encoding of a hash, built for low DRAM per field.
//
// Each field and its value live together in one malloc'd node: [varint field length]
// [varint value length][field bytes][value bytes]. A 8-byte field with a 15-byte value
// costs one 32-byte allocation, where Redis pays a dictEntry, two sds strings and their
// headers (~80 bytes). The table is open-addressed with linear probing: a slot is the
// node's address with the top 16 bits of the field's hash as a tag (user-space addresses
// fit 48 bits), so a probe rejects most non-matching slots without touching their node.
// No per-node links, no tombstones: Erase shifts the following entries back.
//
// Resizing is incremental. Growing (load above 0.8) or shrinking (load under 1/8) starts a
// second slot array; every later write (and lookup) moves a few whole probe clusters from
// the old array to the new one, so no command pays for more than a few clusters. Lookups
// look in both arrays meanwhile; new entries go to the new one only.
//
// Scan uses Redis's reverse-binary cursor over "home" slots (hash & mask): a step returns
// every entry whose home is the cursor's slot, wherever probing placed it (it lies between
// its home and the next empty slot). Since an entry's home in a table twice the size is
// its old home or that plus the old size, the cursor keeps Redis's SCAN guarantees: an
// entry present for the whole scan is returned at least once even across resizes, and
// entries may repeat.
//
// Views returned by Find/ForEach/Scan/Random point into nodes, which never move while the
// table is resized: they stay valid until the field is overwritten or erased.
//
// Thread-safety: a plain value; not thread-safe. Lookups may advance a pending resize
// (as Redis's dictFind does), so even const use is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>
#include <utility>

namespace tierkv {

class FieldTable {
 public:
  using Visitor = std::function<void(std::string_view field, std::string_view value)>;

  FieldTable() = default;
  ~FieldTable();
  FieldTable(const FieldTable& other);
  FieldTable& operator=(const FieldTable&) = delete;
  FieldTable(FieldTable&& other) noexcept;
  FieldTable& operator=(FieldTable&& other) noexcept;

  size_t size() const { return size_; }
  bool rehashing() const { return old_.slots != nullptr; }
  // Slots of the array new entries go to (tests and MEMORY USAGE).
  size_t capacity() const { return current_.slots ? current_.mask + 1 : 0; }

  // Makes room for `count` entries in total without further growth (a pre-sized
  // conversion from a listpack, or a large HSET).
  void Reserve(size_t count);

  std::optional<std::string_view> Find(std::string_view field) const;
  // Sets `field` to `value`; true if the field was added, false if it was overwritten.
  bool Set(std::string_view field, std::string_view value);
  // Adds a field known to be absent (bulk loads; duplicate fields must be checked by
  // the caller, e.g. with Find).
  void Add(std::string_view field, std::string_view value);
  bool Erase(std::string_view field);

  // Every entry once, in table order; `visit` must not modify the table.
  void ForEach(const Visitor& visit) const;
  // ForEach a position at a time (a cursor that resumes later, while the table does not
  // change): positions run from 0 to positions() - 1 in ForEach's order, and EntryAt
  // gives the entry at one, if that slot holds one.
  size_t positions() const { return SlotCount(current_) + SlotCount(old_); }
  std::optional<std::pair<std::string_view, std::string_view>> EntryAt(size_t position) const;
  // One SCAN step: visits the entries whose home is the cursor's slot and returns the
  // next cursor (0 when the scan is complete).
  uint64_t Scan(uint64_t cursor, const Visitor& visit) const;
  // A uniformly chosen entry; the table must not be empty.
  std::pair<std::string_view, std::string_view> Random(std::mt19937_64& rng) const;

  // Heap bytes: slot arrays plus the nodes as the allocator sized them.
  size_t MemoryUsage() const;

  // Advances a pending resize by about `clusters` probe clusters; true while one is left.
  bool RehashStep(size_t clusters) const;

 private:
  struct Slots {
    uint64_t* slots = nullptr;
    uint64_t mask = 0;  // slot count - 1 (a power of two) when slots != nullptr
    size_t used = 0;
  };

  static size_t SlotCount(const Slots& table) { return table.slots != nullptr ? table.mask + 1 : 0; }
  static void InsertInto(Slots& table, uint64_t slot, uint64_t hash);
  // The position of `field` in `table`, or -1.
  static int64_t Locate(const Slots& table, std::string_view field, uint64_t hash);
  static void EraseAt(Slots& table, uint64_t position);
  void StartResize(size_t new_capacity) const;
  void FinishResize() const;
  void MaybeGrowForInsert();
  void MaybeShrink();
  void FreeAll();

  // Mutable so that lookups can help a resize along, as Redis's dicts do; a resize
  // moves slots only, never nodes, so views handed out stay valid.
  mutable Slots current_;      // where new entries go
  mutable Slots old_;          // draining while a resize is in progress
  mutable uint64_t rehash_position_ = 0;  // next slot of old_ to drain
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

}  // namespace tierkv
