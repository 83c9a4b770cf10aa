// PmemTier: the Tier (tiering/tier.h) in one libpmemobj pool, for persistent memory (an
// NVDIMM, CXL-attached memory, a DAX file system) or a file mapped as if it were.
//
// Layout (pool layout "tierkv-tier", pool version kPmemPoolVersion, both checked at Open;
// tiering/pmem/pmem_tier.cc has the structs):
//   root: the pool version, the checkpoint LSN, the last committed stage round, and two
//         blobs: the db -> generation map (EncodeTierGenerations, as RocksTier records it)
//         and the server state.
//   key records (one object per stored key): generation, key bytes, LSN, flags
//         (tombstone; erase, a staged erase), expiry, value size and type byte, the value
//         object, and the stage round that wrote it (0 outside a stage).
//   value objects: the value's RDB object encoding, the bytes RocksTier stores.
// The index is the set of key records: Open walks them (libpmemobj's object iteration,
// no value is read) into a DRAM hash map of (generation, key) -> record, so a restart
// scans no value. Erasing or swapping dbs changes the generation map only (O(1)); the
// records of a generation the recorded map no longer names are freed after the commit
// that recorded it, and at Open.
//
// Writes (no stage) run in one libpmemobj transaction per batch: new records and values
// are allocated in it, replaced ones freed in it, a SetMetadata rewrites its record in
// place (undo-logged). An abort (the pool is full) rolls all of it back and returns the
// error; a crash rolls back the transaction under way at the next Open. So a Write is
// durable when it returns; Commit records the checkpoint LSN and the generation map.
//
// The stage (WriteStaged): staged records are written in transactions too, stamped with
// the stage's round (the last committed round + 1), and kept out of the DRAM index that
// readers use. Commit's one transaction records the checkpoint LSN, the map and the round
// as committed: the commit point. It then frees what the stage replaced, in small
// transactions. Open drops records of a round above the committed one (a crash before
// the commit: none of the stage), and where a key has two records (a crash during the
// frees) keeps the one of the higher round; a committed staged erase removes both.
//
// Thread-safety: every method may be called from any thread. Write, WriteStaged and
// Commit are serialised by a mutex. Readers share a reader-writer lock that a Write takes
// exclusively for its transaction (short: no disk I/O), a Commit only while it switches
// the index over; staged writes never block readers.
#pragma once

#include <libpmemobj.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tiering/pmem/pmem_pool.h"
#include "tiering/rocks_tier_format.h"
#include "tiering/tier.h"

namespace tierkv {

inline constexpr const char* kPmemTierLayout = "tierkv-tier";
// The pool's own format (its structs). Bumped on any incompatible change; a pool of
// another version is refused at Open, naming both.
inline constexpr uint64_t kPmemPoolVersion = 1;

struct PmemTierOptions {
  // The pool file; created with `pool_size` bytes when missing and create_if_missing.
  std::string path;
  uint64_t pool_size = 1ull << 30;
  bool create_if_missing = true;
  // The version a fresh pool is stamped with and an existing one must have. Only tests
  // change it.
  uint64_t pool_version = kPmemPoolVersion;
  // Told what Open does that takes time or drops something. May be empty.
  std::function<void(const std::string&)> log;
};

// Bytes of the pool: its size, and what its objects take (headers and rounding included).
struct PmemPoolBytes {
  uint64_t capacity = 0;
  uint64_t used = 0;
};

class PmemTier final : public Tier {
 public:
  static Result<std::unique_ptr<PmemTier>> Open(const PmemTierOptions& options);
  ~PmemTier() override;
  PmemTier(const PmemTier&) = delete;
  PmemTier& operator=(const PmemTier&) = delete;

  Status Write(const TierBatch& batch) override;
  Status WriteStaged(const TierBatch& batch) override;
  Status Commit(uint64_t checkpoint_lsn) override;
  Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) override;
  std::vector<GetResult> MultiGet(std::span<const TierKeyName> keys) override;
  Status ForEach(const std::function<Status(TierEntry&&)>& visit) override;
  Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) override;
  Status ForEachKeyWithSmallValues(
      uint64_t small_value_bytes,
      const std::function<Status(TierKeyMetadata&&, std::string_view value)>& visit) override;
  Result<TierMetadata> ReadMetadata() override;
  void SetServerState(std::string state) override;
  TierStats stats() const override;

  PmemPoolBytes pool_bytes() const;

 private:
  // (generation) -> key -> key record.
  using KeyIndex = std::unordered_map<std::string, PMEMoid>;
  using GenerationIndex = std::unordered_map<uint32_t, KeyIndex>;
  struct Pending;

  explicit PmemTier(std::unique_ptr<PmemPool> pool);
  Status Load(const PmemTierOptions& options);
  Status Apply(const TierBatch& batch, bool stage);
  // Begins `tx` with the reserve as its intent log (write_mu_ held, or in Load).
  Status BeginTransaction(PmemTransaction& tx);
  Status ApplyOps(const TierBatch& batch, bool stage, PmemTransaction& tx, Pending& pending);
  // Frees `records` (and their values) in transactions of bounded size.
  Status FreeRecords(const std::vector<PMEMoid>& records);
  Status RecordCheckpoint(uint64_t checkpoint_lsn);
  // The read view: readers_mu_ held.
  std::optional<PMEMoid> Find(uint32_t db, std::string_view key) const;
  void ForEachVisibleRecord(const std::function<bool(uint32_t db, PMEMoid record)>& visit) const;
  void Count(PMEMoid record, int sign);
  void PublishMemory();

  std::unique_ptr<PmemPool> pool_;
  PMEMoid root_ = OID_NULL;

  std::mutex write_mu_;  // Write, WriteStaged, Commit
  // What readers see (live_, visible_of_db_, the root's fields), switched under it.
  mutable std::shared_mutex readers_mu_;
  GenerationIndex live_;
  std::map<uint32_t, uint32_t> visible_of_db_;
  // What writes route by: the map with every erase and swap written since (the stage's
  // too). write_mu_ held.
  TierGenerations generations_;
  // The stage: its records by generation and key (erase records included), its round.
  bool staging_ = false;
  uint64_t stage_round_ = 0;
  GenerationIndex stage_;
  uint64_t committed_round_ = 0;
  std::optional<std::string> server_state_;  // for the next commit; under write_mu_

  // Figures for stats(): written under write_mu_, read from any thread.
  std::atomic<uint64_t> keys_{0};        // live keys, tombstones included
  std::atomic<uint64_t> key_bytes_{0};   // their key bytes
  std::atomic<uint64_t> object_bytes_{0};  // what every record and value takes in the pool
  std::function<void(const std::string&)> log_;
  // The intent (redo) log space of our transactions, allocated once: a transaction that frees
  // more than its lane's own log holds would otherwise extend the log by allocating, which a
  // full pool refuses, and a full pool must still let keys go. 64 KiB in pools under 64 MiB,
  // 1 MiB in larger ones: about 16 bytes per free or allocation. Used by one transaction at a time.
  PMEMoid reserve_ = OID_NULL;
  uint64_t reserve_bytes_ = 0;
};

}  // namespace tierkv
