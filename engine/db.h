// Db: one of the numbered databases (SELECT 0..15): the key table plus an index
// of the keys that carry a TTL (for active expiry and the volatile-* policies).
//
// Every Entry* handed out stays valid only until the next call that can
// reallocate or delete entries (Set, Delete, SetExpire, Resize, Find of an
// expired key...). Callers finish with one entry before touching another.
// Thread-safety: engine thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

#include "engine/dict.h"
#include "engine/entry.h"
#include "engine/lazy_free.h"

namespace tierkv {

class Shard;

class Db {
 public:
  Db(Shard* shard, int index) : shard_(shard), index_(index) {}
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int index() const { return index_; }
  size_t size() const { return dict_.size(); }
  size_t expires_count() const { return volatile_.size(); }
  const Dict& keys_table() const { return dict_; }  // for DEBUG HTSTATS

  // Live entry for `key` or nullptr. An expired entry is deleted on the spot
  // (lazy expiry). Unless `touch` is false the access statistics are updated.
  // A cold entry's value is brought back first (Shard::LoadColdValue: the server has
  // normally loaded it before the command ran, see server/cold_reads.h); nullptr if
  // that fails.
  Entry* Find(std::string_view key, bool touch = true);
  // Like Find, for what needs the key and its metadata only (type, expiry, existence):
  // a cold entry stays cold.
  Entry* FindMetadata(std::string_view key, bool touch = true);
  // True when `entry` carries a TTL that has passed (the one expiry test).
  bool IsExpired(const Entry* entry) const;
  // Like Find but never deletes or touches: for checks that must not have side effects.
  Entry* Peek(std::string_view key) const;

  // Stores `fresh` under its key, replacing and freeing any existing entry.
  void Set(Entry* fresh);
  // Replaces `old` (which must be in this Db) by `fresh` and frees `old`.
  // When `keep_object` the value object moved into `fresh`.
  void Relink(Entry* old, Entry* fresh, bool keep_object);
  // Unlinks the entry for `key` without freeing it; nullptr if absent.
  Entry* Unlink(std::string_view key);
  // Removes and frees (on the lazy-freeing thread when `reason` and the
  // lazyfree-lazy-* parameters say so and the value is large); false if absent.
  bool Delete(std::string_view key, FreeReason reason = FreeReason::kServerDel);

  // Tiering (engine/cold_values.h). Demote replaces a resident entry by its cold copy
  // (the tier holds its value, which held `resident_bytes` of DRAM); Install puts `loaded`, the value
  // read back, in place of the cold entry `cold`, under the cold entry's metadata. Both
  // return the entry now in the table; neither is a change of the key's state.
  Entry* Demote(Entry* entry, uint64_t resident_bytes);
  Entry* Install(Entry* cold, Entry* loaded);
  size_t cold_count() const { return cold_count_; }
  // Reads a cold entry's value back now, blocking on the tier (Shard::LoadColdValue):
  // the entry now in the table, or nullptr if the read failed.
  Entry* Load(Entry* cold);
  // Loads the cold values `wanted` picks (SWAPDB, a point-in-time round keeping a db's
  // states before a flush); returns how many. Blocks on the tier: rare paths only.
  size_t MakeResidentWhere(const std::function<bool(const Entry&)>& wanted);

  // Sets or clears (kNoExpire) the expire time; returns the (possibly moved) entry.
  Entry* SetExpire(Entry* entry, int64_t expire_at_ms);
  // Makes room for a string value of `capacity` bytes; returns the (possibly moved) entry.
  Entry* ReserveString(Entry* entry, size_t capacity);

  uint64_t Scan(uint64_t cursor, const std::function<void(const Entry*)>& visit) const {
    return dict_.Scan(cursor, visit);
  }
  // Scan for callers that update entry metadata in place (the checkpoint round clearing
  // dirty marks); `visit` must not add, remove or reallocate entries.
  uint64_t ScanForUpdate(uint64_t cursor, const std::function<void(Entry*)>& visit) {
    return dict_.Scan(cursor, [&](const Entry* entry) { visit(const_cast<Entry*>(entry)); });
  }
  Entry* RandomEntry(std::mt19937_64& rng) const { return dict_.Random(rng); }
  Entry* RandomVolatileEntry(std::mt19937_64& rng) const;
  void ForEach(const std::function<void(Entry*)>& fn) const { dict_.ForEach(fn); }
  // Empties the database; `lazy` hands the table to the lazy-freeing thread.
  void Clear(bool lazy = false);
  // Exchanges contents with `other` (SWAPDB); indexes stay with their slots.
  void Swap(Db& other);

  // Deletes up to about `max_checks` sampled volatile keys that have expired.
  // Returns {checked, expired}.
  std::pair<size_t, size_t> ExpireSample(size_t max_checks, int64_t now_ms, std::mt19937_64& rng);

  // The LSN of the last committed change that removed a key from this db (a delete, an
  // expiry, a flush), 0 if none: a lookup that misses may be seeing that change.
  uint64_t last_removal_lsn() const { return last_removal_lsn_; }
  void NoteRemoval(uint64_t lsn) { last_removal_lsn_ = std::max(last_removal_lsn_, lsn); }

  void RehashStep(size_t buckets) { dict_.RehashStep(buckets); }
  void ShrinkIfSparse() { dict_.ShrinkIfSparse(); }
  size_t OverheadBytes() const { return MainIndexBytes() + ExpireIndexBytes(); }
  // The two parts of that overhead (MEMORY STATS db.<n>): the key table's buckets and
  // the index of keys with a TTL.
  size_t MainIndexBytes() const { return dict_.MemoryUsage(); }
  size_t ExpireIndexBytes() const { return volatile_.capacity() * sizeof(Entry*); }

 private:
  // The marks that belong to the key in this db, not to the value: they follow the key
  // when its entry is replaced and are dropped when the entry leaves it.
  static constexpr uint8_t kSlotMarks =
      Entry::kDirty | Entry::kInTier | Entry::kTierValueCurrent | Entry::kWriteInFlight;

  // `notify`: tell the pre-change hook (a point-in-time round) about the old entry;
  // false for replacements that change nothing a reader sees (demotion, a load).
  void ReplaceAt(Entry** link, Entry* fresh, bool keep_object, bool notify = true);
  // `entry`, resident if a point-in-time round may need to keep its state.
  Entry* ResidentForChange(Entry* entry);
  void TrackVolatile(Entry* entry);
  void UntrackVolatile(Entry* entry);
  void DeleteExpired(Entry* entry);
  // Frees an entry that left the table, its value in the background when that is due.
  void FreeEntry(Entry* entry, FreeReason reason);

  Shard* shard_;
  int index_;
  Dict dict_;
  std::vector<Entry*> volatile_;  // entries with a TTL; Entry::ExpireBlock holds the index
  uint64_t last_removal_lsn_ = 0;
  size_t cold_count_ = 0;  // kCold entries in dict_
};

}  // namespace tierkv
