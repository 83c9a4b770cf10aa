// Dict: the keyspace hash table. Chained through Entry::next, power-of-two
// bucket arrays, and incremental rehashing: while the table grows or shrinks two
// arrays coexist and buckets move a few at a time (on writes and in the cron), so
// no single command ever pays for a whole rehash. SCAN uses Redis's reverse-binary
// cursor, which guarantees that an entry present for the whole scan is returned
// even if the table is resized in between.
//
// The Dict links entries but does not own them: Db allocates and frees.
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "engine/entry.h"

namespace tierkv {

class Dict {
 public:
  Dict() = default;
  ~Dict();
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  Dict(Dict&& other) noexcept;
  Dict& operator=(Dict&& other) noexcept;

  size_t size() const { return size_; }
  bool rehashing() const { return rehash_index_ >= 0; }

  Entry* Find(std::string_view key, uint64_t hash) const;
  // The slot that points at the entry for `key` (so it can be replaced in place),
  // or nullptr. Valid until the next Insert, Remove or rehash step.
  Entry** FindLink(std::string_view key, uint64_t hash);
  // Adds an entry whose key is not present. May start a resize.
  void Insert(Entry* entry, uint64_t hash);
  // Unlinks and returns the entry for `key`, or nullptr.
  Entry* Remove(std::string_view key, uint64_t hash);

  // Moves up to `buckets` buckets to the new table. Returns true if more remain.
  bool RehashStep(size_t buckets);
  // Starts shrinking when the table is mostly empty (called from the cron).
  void ShrinkIfSparse();

  // One SCAN step: calls `visit` for every entry of the buckets under `cursor`
  // and returns the next cursor (0 when the scan is complete).
  uint64_t Scan(uint64_t cursor, const std::function<void(const Entry*)>& visit) const;
  // A random entry, or nullptr when empty.
  Entry* Random(std::mt19937_64& rng) const;
  // Calls `fn` for every entry; `fn` must not modify the dict.
  void ForEach(const std::function<void(Entry*)>& fn) const;
  // Unlinks everything and hands each entry to `dispose`.
  void Clear(const std::function<void(Entry*)>& dispose);

  // Buckets and entries of table 0 (the main one) and 1 (the one being rehashed into;
  // 0 buckets when not rehashing), for DEBUG HTSTATS.
  size_t table_buckets(int index) const { return table_[index].buckets ? table_[index].mask + 1 : 0; }
  size_t table_used(int index) const { return table_[index].used; }

  // Bytes used by the bucket arrays.
  size_t MemoryUsage() const { return (table_[0].mask + 1 + (table_[1].buckets ? table_[1].mask + 1 : 0)) * sizeof(Entry*); }

 private:
  struct Table {
    Entry** buckets = nullptr;
    uint64_t mask = 0;  // buckets - 1; meaningful only when buckets != nullptr
    size_t used = 0;
  };

  void StartResize(size_t new_bucket_count);
  void FinishRehashIfDone();
  Entry** Bucket(const Table& t, uint64_t hash) const { return &t.buckets[hash & t.mask]; }

  Table table_[2];
  int64_t rehash_index_ = -1;  // next bucket of table_[0] to move, or -1
  size_t size_ = 0;
};

}  // namespace tierkv
