// RocksTier: the Tier (tiering/tier.h) on RocksDB, in one directory.
//
// Layout (format version 3, tiering/rocks_tier_format.h): column family "keys" maps
// (generation, key) to the key's metadata (tombstones live there only), "objects" maps
// (generation, key) to the value's RDB object encoding, kept in blob files (compactions
// move references, not values); "meta" holds "format_version" and "checkpoint_lsn"
// (8 bytes little-endian each) and "generations", the db -> generation map and the dead
// generations; "default" is unused. EraseDb unmaps a db and SwapDb exchanges two
// entries of the map: O(1) writes. The map a Write routes by is recorded by the next
// Commit; a dead generation is dropped (range deletions, whole files) by the commits
// after the one that recorded it dead, a few ranges per commit. A fresh tier is stamped
// with the format version; version-1 (one "values" family, metadata and value together)
// and version-2 (keys prefixed by their db) tiers are converted in place at Open
// (ConvertFromV1, ConvertFromV2 in rocks_tier.cc); any other version is refused at Open,
// naming both versions.
//
// After a crash the tier shows the map of the last commit: erases and swaps written
// since are gone, and keys written since sit in the generation their db had when they
// were written, i.e. they follow their db's contents, not its number. A generation first
// used after the last commit is dead at the next Open.
//
// The stage (WriteStaged): "staged_keys" and "staged_objects" take the same records under
// the same keys (an erased key as an empty "staged_keys" record), unread until the commit.
// Commit copies a stage of at most 4 MiB into "keys" and "objects" in one WriteBatch with
// the checkpoint record, flushed in one atomic flush. A larger one it flushes with the
// data, records the checkpoint with "staged_checkpoint" in "meta" (the commit point), then
// moves into "keys" and "objects"; either way it then drops the stage. An Open that finds
// "staged_checkpoint" moves the stage again (idempotent); one that finds a stage without
// it drops it. So a crash shows all of a stage or none of it, whatever
// RocksDB flushed on its own before the commit.
//
// Tuned for point lookups of cold values: a bloom filter (10 bits/key) and an LRU block
// cache of `block_cache_bytes`. Index and filter blocks stay OUT of the block cache
// (cache_index_and_filter_blocks = false): measured on RocksDB 7.8, putting them in a small
// cache made point reads collapse from ~150k/s to ~6k/s; they are counted in memory_bytes
// through "rocksdb.estimate-table-readers-mem" instead.
//
// Durability: RocksDB's WAL is never written (the journal is the log of record), so
// Write() lands in memtables only and a crash loses it until Commit(), which flushes
// (see Commit in rocks_tier.cc for the ordering argument). RocksDB's atomic_flush is on:
// without a WAL it is what keeps a batch's "keys" and "objects" halves together when
// memtables are flushed on their own.
// After a failure (a flush that
// hit ENOSPC or EIO leaves RocksDB refusing writes) the next Write or Commit calls
// DB::Resume() first, so checkpoints work again once the cause is gone.
//
// Thread-safety: every method may be called from any thread at once; RocksDB serialises
// writes internally and a WriteBatch is applied atomically. Commit() calls are serialised
// by a mutex so that checkpoint LSNs are recorded in call order; Write() calls by another
// (a SetMetadata reads the metadata it rewrites), which Commit() also holds (a stage must
// not grow while it is moved, nor a map be recorded half staged). Get, ForEach and ForEachKey read from a
// snapshot taken together with the generation map (a third mutex, held by a Write only
// while RocksDB inserts its batch): they see each Write() entirely or not at all.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tiering/rocks_tier_format.h"
#include "tiering/tier.h"

namespace rocksdb {
class Cache;
class ColumnFamilyHandle;
struct ColumnFamilyOptions;
class DB;
class ManagedSnapshot;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace tierkv {

struct RocksTierOptions {
  // Directory of the tier; created (with parents) if missing and create_if_missing.
  std::string path;
  // LRU cache for data blocks, shared by the column families. Fixed at Open.
  size_t block_cache_bytes = 64 << 20;
  // Bound of the memtables of all column families together (RocksDB's write buffer
  // manager): checkpoint writes wait in DRAM at most this long before they are flushed
  // to files. RocksDB's own default (64 MiB per column family, two of them each) would
  // take memory the keyspace budget needs. Fixed at Open.
  size_t write_buffer_bytes = 32 << 20;
  // With false, Open fails when `path` holds no tier.
  bool create_if_missing = true;
  // Opens an existing tier for reading only (tierkv-check inspecting a data directory):
  // nothing on disk changes, Write and Commit fail, a missing format version is not
  // stamped, and RocksDB's LOCK file is not taken, so the caller must make sure no
  // server has the tier open. Implies create_if_missing = false.
  bool read_only = false;
  // The version a fresh tier is stamped with and an existing one must have. Only tests
  // change it (to write a tier "from another version").
  uint32_t format_version = kTierFormatVersion;
  // A stage up to this size commits in one WriteBatch with its checkpoint record; a larger
  // one is recorded first and then moved (rocks_tier.cc, CommitStage). Only tests change it
  // (0: every stage is moved).
  size_t one_batch_stage_bytes = 4 << 20;
  // Told what Open does that takes time (converting a version-1 tier, completing a
  // committed stage). May be empty.
  std::function<void(const std::string&)> log;
  // Test hook, called on the committing thread at points of a staged commit:
  // "stage committed" (its record is durable, nothing moved yet) and "stage moving" (the
  // first part moved); and "one batch written" when a small stage commits in one batch
  // (written, not yet flushed). Crash tests kill the process there. May be empty.
  std::function<void(std::string_view point)> at_stage_point;
  // Test hook: called by Write on its thread once the write under way is counted in
  // last_memory_bytes(), before RocksDB applies it. May be empty.
  std::function<void()> during_write;
};

class RocksTier final : public Tier {
 public:
  static Result<std::unique_ptr<RocksTier>> Open(const RocksTierOptions& options);
  // Stops background work and closes the database; unflushed writes are flushed first
  // (RocksDB does so on close when the WAL is off), which is harmless: entries carry
  // their LSNs.
  ~RocksTier() override;
  RocksTier(const RocksTier&) = delete;
  RocksTier& operator=(const RocksTier&) = delete;

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

 private:
  RocksTier(std::string path, std::shared_ptr<rocksdb::Cache> block_cache);
  Status CheckOrStampFormat(const RocksTierOptions& options);
  Status ConvertFromV1(const RocksTierOptions& options);
  Status ConvertFromV2(const RocksTierOptions& options);
  Status DropV1Values();
  Status LoadGenerations();
  // Write and WriteStaged.
  Status Apply(const TierBatch& batch, bool stage);
  // At Open: finishes moving a committed stage, or drops an uncommitted one.
  Status ResolveStage(const RocksTierOptions& options);
  Status MoveStage();
  Status ClearStage();
  Status AddStagedRecords(rocksdb::WriteBatch& batch, const std::function<Status()>& added_one);
  // Commit without a stage, and with one. write_mu_ held.
  Status CommitWrites(uint64_t checkpoint_lsn, const TierGenerations& recorded);
  Status CommitStage(uint64_t checkpoint_lsn, const TierGenerations& recorded);
  Result<bool> CommitStageInOneBatch(uint64_t checkpoint_lsn, const TierGenerations& recorded);
  // After the stage was copied into the data families: readers go back to them, and the
  // stage is dropped.
  void EndStage();
  // The "meta" records of a checkpoint (with `staged`, the mark of a stage still to move).
  Status AddCheckpointRecord(rocksdb::WriteBatch& batch, uint64_t checkpoint_lsn, const TierGenerations& recorded,
                             bool staged);
  Status WriteCheckpointRecord(uint64_t checkpoint_lsn, const TierGenerations& recorded, bool staged);
  // Maps `db` to a fresh generation in `generations`, or fails once they run out.
  Result<uint32_t> AllocateGeneration(TierGenerations& generations, uint32_t db);
  void CleanUpDeadGenerations();
  // A snapshot and the generation map it goes with.
  struct ReadView {
    std::shared_ptr<rocksdb::ManagedSnapshot> snapshot;
    std::map<uint32_t, uint32_t> of_db;
  };
  ReadView OpenReadView();
  Status FlushAndWait(rocksdb::ColumnFamilyHandle* family, const char* what);
  // Flushes `families` and checks that their memtables are empty (see rocks_tier.cc).
  Status FlushUntilEmpty(const std::vector<rocksdb::ColumnFamilyHandle*>& families, const char* what);
  Status FlushDataAndWait();
  Result<std::optional<TierKeyMetadata>> ReadKeyMetadata(uint32_t generation, uint32_t db, std::string_view key,
                                                         const rocksdb::Snapshot* snapshot);
  // The metadata a write must start from: the stage's if it holds the key. write_mu_ held.
  Result<std::optional<TierKeyMetadata>> ReadLatestKeyMetadata(uint32_t generation, uint32_t db, std::string_view key);
  // After a failed Write or Commit: asks RocksDB to clear its background error.
  Status ResumeAfterFailure();
  // Returns `status`, remembering a failure for ResumeAfterFailure().
  Status NoteFailure(Status status);

  const std::string path_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::function<void()> during_write_;  // RocksTierOptions::during_write
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;  // owned by db_, released in ~RocksTier
  rocksdb::ColumnFamilyHandle* keys_ = nullptr;
  rocksdb::ColumnFamilyHandle* objects_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  // The version-1 family, open only until a conversion drops it.
  rocksdb::ColumnFamilyHandle* v1_values_ = nullptr;
  // The stage (WriteStaged); absent only in a read-only open of a tier without them.
  rocksdb::ColumnFamilyHandle* staged_keys_ = nullptr;
  rocksdb::ColumnFamilyHandle* staged_objects_ = nullptr;
  std::unique_ptr<rocksdb::ColumnFamilyOptions> staged_family_options_;  // to create them again
  // The stage holds records a move has copied already (set by MoveStage, cleared by
  // ClearStage): they must be dropped before a new stage begins. write_mu_ held.
  bool stage_left_over_ = false;
  std::mutex commit_mu_;
  std::optional<std::string> server_state_;  // for the next commit's record; under commit_mu_
  std::mutex write_mu_;
  // What Write routes by: the last commit's map with the erases and swaps written since,
  // and the dead ranges not yet dropped. erased_since_commit_: generations those erases
  // let go, dead once a commit records the map without them.
  std::mutex generations_mu_;
  TierGenerations generations_;
  std::vector<uint32_t> erased_since_commit_;
  // From the first staged write to the end of the commit that moves the stage: readers
  // use visible_of_db_, the map from before the stage, and during the move
  // moving_snapshot_, the data from before it. Changed under write_mu_ and generations_mu_.
  bool staging_ = false;
  std::map<uint32_t, uint32_t> visible_of_db_;
  std::shared_ptr<rocksdb::ManagedSnapshot> moving_snapshot_;
  std::atomic<bool> failed_{false};
  std::function<void(std::string_view point)> at_stage_point_;  // RocksTierOptions::at_stage_point
  size_t one_batch_stage_bytes_ = 0;                              // RocksTierOptions::one_batch_stage_bytes  // a Write or Commit failed since the last Resume()
};

}  // namespace tierkv
