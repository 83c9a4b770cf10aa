// ChangeLog: turns the key changes a command makes into its effect record and into the
// list of keys a checkpoint must write.
//
// Write operations report each key they touch (Shard::KeyModified), each database they
// empty (Shard::FlushDb/FlushAll) and each pair they swap (Shard::SwapDb). When the
// command ends, Commit() reads the final state of every touched key and writes one effect
// per key: SET with the resulting value and absolute expiry for a string, DEL for a key
// that is gone, FLUSHDB / FLUSHALL where a database was emptied, SWAPDB a b where two were
// exchanged (one effect, whatever they hold: the tier swaps them in O(1) too). Emitting resulting states rather than the commands themselves is
// what makes effects deterministic and self-contained per key for every command at once
// (INCRBYFLOAT's result, RENAME's two keys, expiry as an absolute time), and what makes a
// MULTI/EXEC one record.
//
// Collections would make resulting states costly (one HSET on a 1,000-field hash would
// journal all of it), so an operation may report its change together with its own effect
// (NoteEffect): a deterministic command that names the key first and rebuilds the change
// from the key's previous state (HSET k f v, LPOP k 2, ZADD k <resolved score> m...).
// Strings do the same (APPEND k suffix, SETRANGE, SETBIT, BITFIELD SET with resolved
// values, SET k <result> [PXAT t] for INCR & co.), and so do TTL changes on any type
// (PEXPIREAT k <abs ms>, PERSIST k) and deletions (DEL k): none of these needs the value.
// A key's changes within one record are journaled as those effects, in order, when every
// change to it since its db was last emptied, or since its last whole-state effect (SET or
// DEL, which rebuild the key whatever it was), brought one; otherwise as its resulting
// state (RESTORE of its DUMP payload for a collection). Replay applies a key's effects
// only on top of an older copy of that key (the per-key LSN rule), so a chain of own
// effects always starts from the state the previous record left. The same Commit stamps
// every touched entry with the record's LSN and queues it for the next checkpoint round
// (the dirty list).
//
// Thread-safety: engine thread only (owned by the Shard).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/effect_record.h"
#include "engine/entry.h"

namespace tierkv {

class Shard;

// A change a checkpoint round must carry into the tier. Each names its db as it was
// when the change was queued: a later kSwapDb moves what it names.
struct DirtyItem {
  enum class Kind : uint8_t {
    kKey,      // write the key's current state; if it is gone, a tombstone when one is owed
    kEraseDb,  // db was emptied here: erase the whole db in the tier before what follows
    kSwapDb,   // db and other_db were exchanged here
  };
  Kind kind = Kind::kKey;
  int db = 0;
  std::string key;
  int other_db = -1;  // kSwapDb only
  // The key left DRAM while the tier held a state of it (Entry::kInTier): if it is still
  // gone when a round reaches the item, the tier gets a tombstone. An item without it
  // for a key that is gone is skipped: the tier never held that key.
  bool owes_tombstone = false;
};

// Rewrites `items` (in change order) into the same changes with the swaps first: their
// combined exchange as at most one kSwapDb per db, then every other item in order, naming
// its db as it is after all the swaps. Both lists give a tier the same contents; in the
// second, items name dbs as the keyspace has them when the list ends. Returns where each
// db's contents went (index: db at the start of the list; shorter than the db count when
// the dbs past its end stayed in place).
std::vector<int> PutSwapsFirst(std::vector<DirtyItem>& items);

// Effects that set a key's whole state, whatever it was before; a chain of own effects
// for the key restarts at them. SET key value [PXAT abs ms] (a string with its expiry) and
// DEL key.
Effect StringStateEffect(std::string_view key, std::string_view value, int64_t expire_at_ms);
Effect DeletionEffect(std::string_view key);

class ChangeLog {
 public:
  // Tracking is off for a server without a tier (a pure cache): Note* calls cost nothing
  // and Commit never produces a record.
  bool enabled() const { return enabled_; }
  void set_enabled(bool enabled) { enabled_ = enabled; }

  void NoteKey(int db, std::string_view key);
  // A change to `key` described by `effect` (see the top of this file).
  void NoteEffect(int db, std::string_view key, Effect effect);
  // db == -1: every database.
  void NoteEmptied(int db);
  // An entry marked Entry::kInTier left `key` (Db::Unlink): the command's commit queues a
  // tombstone for the key if it is still gone then, or marks the entry that took its
  // place, whose removal will owe one.
  void NoteTierCopyLeft(int db, std::string_view key);
  // SWAPDB a b: keys this command changed before it are journaled after it, under their
  // new db, so that a record's effects always name the db that holds the key.
  void NoteSwapped(int a, int b);
  // Where the contents of `db` at the last TakeDirty() are now (a checkpoint round reads
  // the keys it took in the dbs that hold them since).
  int CurrentDbOf(int db_at_take) const {
    return static_cast<size_t>(db_at_take) < moved_since_take_.size() ? moved_since_take_[db_at_take] : db_at_take;
  }
  bool has_pending() const { return !events_.empty(); }

  // Builds the record of everything noted since the last Commit under `lsn`, stamps the
  // touched entries with it and queues them as dirty. nullopt if nothing was noted.
  std::optional<EffectRecord> Commit(Shard& shard, uint64_t lsn);
  // The same stamping and dirty-queueing, without building a record: for replay, whose
  // record is already in the journal.
  void CommitReplayed(Shard& shard, uint64_t lsn);

  // The dirty list, in change order. A round takes it whole; a failed round gives its
  // unwritten part back in front of what accumulated meanwhile.
  //
  // When the list would name more present keys than max(max_key_items, keys / 16), it
  // stops naming them (a list of every key would cost more DRAM than the keys' own
  // entries): their kDirty marks stay, and the next round finds them by scanning the
  // keyspace (scan_needed). Deleted keys that owe the tier a tombstone and emptied dbs
  // are always listed.
  std::vector<DirtyItem> TakeDirty();
  bool scan_needed() const { return scan_needed_; }
  // Taken by the round together with the list; a failed round asks for a scan again.
  bool TakeScanNeeded() { return std::exchange(scan_needed_, false); }
  void RequestScan() { scan_needed_ = true; }
  void set_max_key_items(size_t items) { max_key_items_ = items; }
  // Queues an item directly (recovery's replayed FLUSHDB, which has no effects to commit).
  void QueueDirty(DirtyItem item) { Queue(std::move(item)); }
  // Entries the round had already marked written are marked dirty again.
  void GiveBackDirty(Shard& shard, std::vector<DirtyItem> items);
  size_t dirty_count() const { return dirty_.size(); }
  // Something is owed to the tier: listed, or marked dirty for the next round's scan.
  bool has_dirty() const { return !dirty_.empty() || scan_needed_; }
  // DRAM the dirty list takes (items and key bytes, roughly). Deleted keys are always
  // listed, so a cache evicting between rounds grows it with every eviction: the
  // durability layer starts a round when it passes a bound.
  size_t dirty_bytes() const { return dirty_.capacity() * sizeof(DirtyItem) + dirty_key_bytes_; }

 private:
  struct Event {
    int db;          // -1 with emptied: every db
    bool emptied;    // a FLUSHDB/FLUSHALL point rather than a key
    std::string key;
    Effect effect;   // the operation's own effect; empty: journal the resulting state
    int other_db = -1;  // >= 0: a SWAPDB of db and other_db rather than a key

    bool swapped() const { return other_db >= 0; }
    bool keyless() const { return emptied || swapped(); }
  };
  std::vector<std::vector<size_t>> OwnEffectsAtFinalMention() const;
  // Calls `visit` for every event that decides final state: db-emptying events, and each
  // key at its last mention (where its final state belongs in the order).
  template <typename Visit>
  void ForEachFinalEvent(Visit&& visit) const;
  void StampAndQueue(Shard& shard, uint64_t lsn);
  void Queue(DirtyItem item);
  void StopListingKeys(Shard& shard);
  void Compact(Shard& shard);
  void CountKeyBytes();

  bool enabled_ = false;
  std::vector<Event> events_;
  std::set<std::pair<int, std::string>> tier_copies_left_;  // (db, key), until the next commit
  std::vector<DirtyItem> dirty_;
  // Deleted keys and emptied dbs are queued without dedupe; when no round runs for a
  // long time (no save rules, no journal) or a cache evicts faster than rounds drain the
  // list, Compact() keeps it within the number of distinct keys it still needs once it
  // doubles past this.
  size_t compact_at_ = 1024;
  size_t key_items_ = 0;  // kKey items queued for keys present when queued
  size_t dirty_key_bytes_ = 0;  // sum of the key sizes in dirty_
  size_t max_key_items_ = 65536;
  bool scan_needed_ = false;
  std::vector<int> moved_since_take_;  // CurrentDbOf; empty: no swap since the take
};

}  // namespace tierkv
