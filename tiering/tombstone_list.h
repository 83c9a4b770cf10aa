// TombstoneList: the tombstones a checkpoint round wrote, remembered until a checkpoint at
// or above their LSN lets them be purged from the tier.
//
// A cache that evicts keys the tier holds writes a tombstone per eviction, so this list
// grows with the eviction rate times a round's length. It is kept packed in one buffer
// (db, LSN, key length, key bytes: 16 bytes plus the key) rather than as a vector of
// structs with a heap string each (about 80 bytes for a 16-byte key).
//
// Thread-safety: none; one owner at a time (the engine thread, or the I/O pool's purge
// task once handed over).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

// A tombstone in the tier, remembered until a checkpoint at or above its LSN lets it go.
struct TombstoneRef {
  uint32_t db = 0;
  std::string key;
  uint64_t lsn = 0;
};

class TombstoneList {
 public:
  void Add(uint32_t db, std::string_view key, uint64_t lsn);
  void Add(const TombstoneRef& tombstone) { Add(tombstone.db, tombstone.key, tombstone.lsn); }
  void Append(const TombstoneList& other);
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // DRAM the list holds.
  size_t memory_bytes() const { return buffer_.capacity(); }

  // Moves out the tombstones with an LSN at or below `lsn`; the others stay, in order.
  TombstoneList TakeUpTo(uint64_t lsn);
  // Renames every db d to moved[d] (a db past moved's end stays).
  void MoveDbs(const std::vector<int>& moved);

  // visit(db, key, lsn) for every tombstone, in the order added.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (size_t at = 0; at < buffer_.size();) {
      const Header header = HeaderAt(at);
      visit(header.db, std::string_view(buffer_).substr(at + kHeaderSize, header.key_size), header.lsn);
      at += kHeaderSize + header.key_size;
    }
  }

 private:
  static constexpr size_t kHeaderSize = 16;  // db (4), key size (4), LSN (8)
  struct Header {
    uint32_t db;
    uint32_t key_size;
    uint64_t lsn;
  };
  Header HeaderAt(size_t at) const;

  std::string buffer_;
  size_t count_ = 0;
};

}  // namespace tierkv
