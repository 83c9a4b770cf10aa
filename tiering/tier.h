// Tier: the durable map below DRAM, (db, key) -> serialized entry, plus a small metadata
// area (the checkpoint LSN and the format version). Checkpoints write changed entries into
// it and recovery loads it back; later, cold values spill into the same map (design brief,
// "The tier").
//
// A key's metadata (LSN, tombstone, expiry, value type and size) is kept apart from its
// value bytes: ForEachKey visits every key without reading a value (a restart that keeps
// values cold), and a metadata-only change (an EXPIRE) is a TierBatch::SetMetadata that
// writes no value.
//
// No visit promises an order: a backend may return keys in (db, key) order (RocksTier
// does) or in any other (a persistent hash index cannot sort cheaply). Callers that need
// an order sort what they collect.
//
// The interface is synchronous on purpose: every call may block on the disk, so callers
// run it on the tier I/O pool (tiering/tier_io_pool.h), never on the engine thread. Tests
// drive it directly, and FakeTier (tests/harness/fake_tier.h) implements it in memory
// with failures and stalls on demand.
//
// Values are stored in Redis's RDB object encoding (a type byte, then the value: what a
// DUMP payload holds before its footer), so DUMP/RESTORE and RDB import/export share the
// serialization code.
//
// Thread-safety: every method may be called from any thread; implementations serialise
// what needs it. A batch is applied atomically: after a crash, all of it or none of it.
// Reads (Get above all: a cold read a client waits for) never wait for a Write or Commit
// in progress, so they can run on an executor of their own, apart from checkpoint writes.
//
// Erasing a db (TierBatch::EraseDb) and exchanging two (TierBatch::SwapDb) cost O(1)
// writes whatever the dbs hold: RocksTier keeps each db's keys under a generation number
// and the db -> generation map in its metadata (an erase unmaps the db, whose next key
// gets a fresh generation; a swap exchanges two entries; dead generations are cleaned
// after the commit that made them dead). FakeTier, a test double, models the same map and drops a
// dead generation's keys at Commit by walking its map.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace tierkv {

// The format of what a tier stores. Bumped on any incompatible change; a tier written
// with another version is refused at open, with both versions in the message.
// Version 1 kept metadata and value in one record; version 2 prefixed keys with their db
// instead of a generation. RocksTier converts both at Open.
inline constexpr uint32_t kTierFormatVersion = 3;

// One key as the tier holds it.
struct TierEntry {
  uint32_t db = 0;
  std::string key;
  uint64_t lsn = 0;        // LSN of the key's last modification that this state includes
  bool tombstone = false;  // the key was deleted at `lsn`; expire_at and value are unused
  int64_t expire_at_ms = kNoExpire;  // absolute unix ms, or kNoExpire
  std::string value;       // RDB object encoding: type byte + value

  bool operator==(const TierEntry&) const = default;
};

// A key to read: (db, key).
struct TierKeyName {
  uint32_t db = 0;
  std::string_view key;
};

// What the tier holds about a key besides its value bytes.
struct TierKeyMetadata {
  uint32_t db = 0;
  std::string key;
  uint64_t lsn = 0;
  bool tombstone = false;            // value_size, value_type and expire_at_ms are unused
  int64_t expire_at_ms = kNoExpire;  // absolute unix ms, or kNoExpire
  uint64_t value_size = 0;           // bytes of the stored value (its RDB object encoding)
  uint8_t value_type = 0;            // the value's RDB type byte (type and encoding); 0 if empty

  bool operator==(const TierKeyMetadata&) const = default;
};

// The metadata a tier stores for `entry` (a tombstone's unused fields dropped).
inline TierKeyMetadata KeyMetadataOf(const TierEntry& entry) {
  TierKeyMetadata metadata;
  metadata.db = entry.db;
  metadata.key = entry.key;
  metadata.lsn = entry.lsn;
  metadata.tombstone = entry.tombstone;
  if (!entry.tombstone) {
    metadata.expire_at_ms = entry.expire_at_ms;
    metadata.value_size = entry.value.size();
    metadata.value_type = entry.value.empty() ? 0 : static_cast<uint8_t>(entry.value[0]);
  }
  return metadata;
}

// An ordered group of changes applied atomically by Tier::Write.
class TierBatch {
 public:
  enum class Kind : uint8_t {
    kPut,      // store `entry` (a value or a tombstone), replacing what the key had
    kErase,    // remove (db, key) outright, leaving nothing behind (purges a tombstone)
    kEraseDb,  // remove every key of db `entry.db` (FLUSHDB / FLUSHALL)
    // Exchange every key of db `entry.db` with every key of db `other_db` (SWAPDB): what
    // follows in the batch and later batches sees the dbs exchanged.
    kSwapDb,
    // Set the lsn and expire_at_ms of a key that holds a value, leaving the value bytes as
    // they are stored. The key must hold a value when the op applies (stored before, or
    // put earlier in the same batch): on an absent key or a tombstone the whole Write
    // fails with Status::Error and applies nothing.
    kSetMetadata,
  };
  struct Op {
    Kind kind;
    TierEntry entry;  // kErase uses db and key; kEraseDb and kSwapDb use db; kSetMetadata no value
    uint32_t other_db = 0;  // kSwapDb only
  };

  void Put(TierEntry entry) { ops_.push_back({Kind::kPut, std::move(entry)}); }
  void SetMetadata(uint32_t db, std::string key, uint64_t lsn, int64_t expire_at_ms) {
    TierEntry target;
    target.db = db;
    target.key = std::move(key);
    target.lsn = lsn;
    target.expire_at_ms = expire_at_ms;
    ops_.push_back({Kind::kSetMetadata, std::move(target)});
  }
  void Erase(uint32_t db, std::string key) {
    TierEntry target;
    target.db = db;
    target.key = std::move(key);
    ops_.push_back({Kind::kErase, std::move(target)});
  }
  void EraseDb(uint32_t db) {
    TierEntry target;
    target.db = db;
    ops_.push_back({Kind::kEraseDb, std::move(target)});
  }
  void SwapDb(uint32_t db, uint32_t other_db) {
    TierEntry target;
    target.db = db;
    ops_.push_back({Kind::kSwapDb, std::move(target), other_db});
  }

  const std::vector<Op>& ops() const { return ops_; }
  // The entry of the kPut at `index` of ops(), to fill in its value after the fact (a value
  // serialized in steps).
  TierEntry& put_entry(size_t index) { return ops_[index].entry; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

struct TierMetadata {
  uint64_t checkpoint_lsn = 0;  // every journal record <= this is reflected in the tier
  uint32_t format_version = kTierFormatVersion;
  // Server-wide state that is not a key: the function libraries as a FUNCTION DUMP
  // payload (empty: none), as of checkpoint_lsn.
  std::string server_state;
};

struct TierStats {
  uint64_t disk_bytes = 0;    // bytes of the tier's files on disk (INFO tier_bytes)
  uint64_t memory_bytes = 0;  // caches and buffers it holds in DRAM (counted in used_memory)
  uint64_t keys = 0;          // estimated number of stored entries, tombstones included
};

class Tier {
 public:
  virtual ~Tier() = default;

  // TierStats::memory_bytes as of the backend's last Write or Commit: a relaxed atomic
  // load, cheap enough for the maxmemory check before each command and safe from any
  // thread (the figure itself is computed on the thread that wrote).
  uint64_t last_memory_bytes() const { return last_memory_bytes_.load(std::memory_order_relaxed); }

  // Applies the batch atomically, in order. Not necessarily durable until Commit().
  virtual Status Write(const TierBatch& batch) = 0;

  // Applies the batch in order after every earlier write, but staged: reads do not see it,
  // and every write from here to the next successful Commit() (Write calls too) joins the
  // stage. That Commit makes the whole stage visible and durable with its checkpoint LSN
  // at once: after a crash the tier shows all of the stage or none of it, however large
  // it grew (a point-in-time checkpoint round without a journal, which nothing would
  // complete or undo after a crash). A failed Commit keeps the stage for the next one.
  virtual Status WriteStaged(const TierBatch& batch) = 0;

  // Makes every Write() so far durable, then durably records `checkpoint_lsn` in the
  // metadata, together with the staged writes (WriteStaged) if any. After it returns OK a
  // crash loses nothing written before the call.
  virtual Status Commit(uint64_t checkpoint_lsn) = 0;

  // The entry stored for (db, key), value included, tombstones too; nullopt if none.
  virtual Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) = 0;

  // Get for several keys at once (a command's cold keys), each answered as Get would, in
  // order, from one consistent view. RocksTier batches the lookups; the default reads the
  // keys one by one.
  using GetResult = Result<std::optional<TierEntry>>;
  virtual std::vector<GetResult> MultiGet(std::span<const TierKeyName> keys) {
    std::vector<GetResult> results;
    results.reserve(keys.size());
    for (const TierKeyName& key : keys) results.push_back(Get(key.db, key.key));
    return results;
  }

  // Visits every stored entry with its value, tombstones included, in no promised order.
  // Stops at the first non-OK Status `visit` returns and returns it.
  virtual Status ForEach(const std::function<Status(TierEntry&&)>& visit) = 0;

  // Visits every stored key's metadata, tombstones included, reading no value bytes; in
  // no promised order. Stops at the first non-OK Status `visit` returns and returns it.
  virtual Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) = 0;

  // Visits every stored key's metadata, tombstones included, with the value bytes of
  // those stored in fewer than `small_value_bytes` bytes (an empty view for the others;
  // a value that disagrees with its metadata's size or type is reported as Corruption):
  // a start-up that leaves large values in the tier loads the small ones in the same
  // pass. In no promised order; stops at the first non-OK Status `visit` returns. This
  // default reads every value through ForEach; a backend that keeps metadata apart
  // reads only the small ones.
  virtual Status ForEachKeyWithSmallValues(
      uint64_t small_value_bytes, const std::function<Status(TierKeyMetadata&&, std::string_view value)>& visit) {
    return ForEach([&](TierEntry&& entry) {
      TierKeyMetadata metadata = KeyMetadataOf(entry);
      const bool small = !entry.tombstone && entry.value.size() < small_value_bytes;
      return visit(std::move(metadata), small ? std::string_view(entry.value) : std::string_view());
    });
  }

  virtual Result<TierMetadata> ReadMetadata() = 0;

  // The server state (TierMetadata::server_state) the next Commit records with its
  // checkpoint LSN. Backends that keep none (test doubles) ignore it.
  virtual void SetServerState(std::string state) { (void)state; }

  virtual TierStats stats() const = 0;

 protected:
  void set_last_memory_bytes(uint64_t bytes) { last_memory_bytes_.store(bytes, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> last_memory_bytes_{0};
};

}  // namespace tierkv
