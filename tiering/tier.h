// Tier: the durable map below DRAM, (db, key) -> serialized entry, plus a small metadata
// area (the checkpoint LSN and the format version). Checkpoints write changed entries into
// it and recovery loads it back; later, cold values spill into the same map (design brief,
// "The tier").
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
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/status.h"

namespace tierkv {

// The format of what a tier stores. Bumped on any incompatible change; a tier written
// with another version is refused at open, with both versions in the message.
inline constexpr uint32_t kTierFormatVersion = 1;

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

// An ordered group of changes applied atomically by Tier::Write.
class TierBatch {
 public:
  enum class Kind : uint8_t {
    kPut,      // store `entry` (a value or a tombstone), replacing what the key had
    kErase,    // remove (db, key) outright, leaving nothing behind (purges a tombstone)
    kEraseDb,  // remove every key of db `entry.db` (FLUSHDB / FLUSHALL / SWAPDB)
  };
  struct Op {
    Kind kind;
    TierEntry entry;  // kErase uses db and key; kEraseDb uses db
  };

  void Put(TierEntry entry) { ops_.push_back({Kind::kPut, std::move(entry)}); }
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

  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

struct TierMetadata {
  uint64_t checkpoint_lsn = 0;  // every journal record <= this is reflected in the tier
  uint32_t format_version = kTierFormatVersion;
};

struct TierStats {
  uint64_t disk_bytes = 0;    // bytes of the tier's files on disk (INFO tier_bytes)
  uint64_t memory_bytes = 0;  // caches and buffers it holds in DRAM (counted in used_memory)
  uint64_t write_buffer_bytes = 0;  // the part of memory_bytes waiting to be written out
  uint64_t keys = 0;          // estimated number of stored entries, tombstones included
};

class Tier {
 public:
  virtual ~Tier() = default;

  // Applies the batch atomically, in order. Not necessarily durable until Commit().
  virtual Status Write(const TierBatch& batch) = 0;

  // Makes every Write() so far durable, then durably records `checkpoint_lsn` in the
  // metadata. After it returns OK a crash loses nothing written before the call.
  virtual Status Commit(uint64_t checkpoint_lsn) = 0;

  // The entry stored for (db, key), tombstones included; nullopt if none.
  virtual Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) = 0;

  // Visits every stored entry, tombstones included, in (db, key) order. Stops at the
  // first non-OK Status `visit` returns and returns it.
  virtual Status ForEach(const std::function<Status(TierEntry&&)>& visit) = 0;

  virtual Result<TierMetadata> ReadMetadata() = 0;

  virtual TierStats stats() const = 0;
};

}  // namespace tierkv
