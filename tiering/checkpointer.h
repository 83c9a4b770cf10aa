// Checkpointer: incremental, forkless checkpoint rounds into the tier (design brief,
// "Checkpoints").
//
// A round:
//  1. notes S, the last LSN committed, and takes the ChangeLog's dirty list (every key
//     changed since the previous round, in change order, plus the points where a db was
//     emptied);
//  2. on the engine thread, serializes a slice of it (up to batch_bytes / batch_keys) into
//     a TierBatch: a changed key's current state with its LSN, a tombstone for a key that
//     is gone, an erase-db where a db was emptied, a swap where two were exchanged (all
//     the round's swaps first, combined, in its first batch; every other item then names
//     its db as of S, and the key is read from the db that holds it now, which a SWAPDB
//     during the round may have changed). Entries written lose their dirty mark;
//     entries changed again later are queued again. Only one batch is in flight, so the
//     memory a round holds beyond the dataset is one batch;
//  3. on the tier I/O pool, makes the journal durable up to everything committed (the
//     write-ahead rule: the tier never holds a state whose journal record could still be
//     lost, so a crash cannot leave half a transaction in the tier), then writes the
//     batch; back on the engine thread, the next slice;
//  4. when the list is done, Tier::Commit(S) makes it all durable and records S as the
//     checkpoint LSN; journal segments wholly at or below S are then dropped, and
//     tombstones at or below S (which no journal record can need any more) are purged.
// When the ChangeLog stopped listing present keys (too many), step 2 continues after the
// list with a scan of the keyspace (Db::Scan, in slices, its cursor kept between them)
// that writes every entry still marked dirty, and every entry of a db the round erases.
//
// Writes that happen during a round go to the next dirty list; an entry written by the
// round with a state newer than S is safe because recovery applies a journal record to a
// key only when the record is newer than the key's LSN in the tier.
//
// Without a journal nothing would complete such a state, so a round started with
// `point_in_time` writes the keyspace exactly as it was at S: an owed key about to
// change keeps its state at S for the round (tiering/round_snapshot.h), the round writes
// those kept states (with every slice, so that they do not pile up), and a key changed
// since S stays dirty for the next round. Its batches go to the tier staged
// (Tier::WriteStaged), so that the commit makes the whole image current at once: a crash
// before it leaves the previous image, however much of the round RocksDB had flushed.
//
// A failed batch or commit ends the round with its error and gives the unwritten part of
// the list back to the ChangeLog, so the next round writes it.
//
// Thread-safety: engine thread only, except the hooks, which run on the I/O pool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"
#include "tiering/round_snapshot.h"
#include "tiering/sliced_values.h"
#include "tiering/tier.h"
#include "tiering/tier_io_pool.h"
#include "tiering/tombstone_list.h"

namespace tierkv {

struct CheckpointResult {
  Status status;
  uint64_t lsn = 0;          // S: the checkpoint LSN recorded (if status is OK)
  uint64_t keys = 0;         // values and tombstones written
  uint64_t bytes = 0;        // key + value bytes written
  int64_t duration_ms = 0;
  uint64_t kept_peak_bytes = 0;  // the most DRAM states kept for the round took
};

struct CheckpointerOptions {
  size_t batch_bytes = 4u << 20;  // a slice ends past this many serialized bytes
  size_t batch_keys = 1024;       // ... or this many keys
  // A value is serialized this many bytes of work at a time, other commands running in
  // between (tiering/sliced_values.h): what bounds the engine thread's pause on a huge value.
  size_t value_step_bytes = 512u << 10;
  // Runs `task` on the engine thread (the server posts it to its io_context).
  std::function<void(std::function<void()>)> post_to_engine;
  // I/O pool: makes the journal durable up to `lsn` (a no-op without a journal).
  std::function<Status(uint64_t lsn)> make_journal_durable;
  // I/O pool: removes journal segments that hold only records <= `lsn`.
  std::function<void(uint64_t lsn)> drop_journal_below;
  // Durations as LATENCY events: "checkpoint-slice" (engine thread: one step serializing
  // a slice, the pause other clients see) and "checkpoint-write" (I/O pool: making the
  // journal durable and writing one slice to the tier). May be empty; thread-safe.
  std::function<void(const char* event, uint64_t ms)> on_latency;
  // Test hook, engine thread: called before each slice is serialized with the number of
  // items done so far; tests stop a round at a chosen point by holding it.
  std::function<void(size_t items_done)> before_slice;
};

class Checkpointer {
 public:
  using Done = std::function<void(const CheckpointResult&)>;

  Checkpointer(Shard& shard, Tier& tier, TierIoPool& pool, CheckpointerOptions options);
  ~Checkpointer();

  bool in_progress() const { return in_progress_; }
  // A value is being serialized in steps (the round waits for it before its slice goes on).
  bool serializing_value() const { return values_.busy(); }
  // Starts a round; `done` runs on the engine thread when it ends. Refused (false) while a
  // round runs. Commit pending changes (Shard::CommitChanges) before calling.
  // `point_in_time`: the tier receives the keyspace as of the start (no journal).
  bool Start(Done done, bool point_in_time = false);
  // The journal stops at `lsn` (appendonly no) while this round runs: from now on the round
  // writes each key it still owes as it was at `lsn`. Recovery replays the journal from S
  // to `lsn` onto those states, so the tier then holds the keyspace at `lsn`. Nothing if
  // the round keeps states already (or none runs).
  void KeepStatesFrom(uint64_t lsn);
  // DRAM a point-in-time round holds in states kept for it (see RoundSnapshot).
  size_t held_bytes() const { return snapshot_ != nullptr ? snapshot_->held_bytes() : 0; }
  size_t held_peak_bytes() const { return snapshot_ != nullptr ? snapshot_->peak_bytes() : 0; }

  // Tombstones found in the tier at recovery, to purge once a checkpoint covers them.
  void AddTombstones(std::vector<TombstoneRef> tombstones);
  size_t pending_tombstones() const { return tombstones_.size(); }
  // DRAM of those tombstones' references, and of what is left of the list the running
  // round took (its items are freed as their slices are written).
  size_t tombstone_bytes() const { return tombstones_.memory_bytes() + purging_bytes_; }
  size_t list_bytes() const { return list_bytes_ + staged_values_bytes_; }
  // The slice being written (serialized states and their keys): at most about one batch.
  size_t in_flight_bytes() const { return in_flight_ != nullptr ? in_flight_bytes_ : 0; }

 private:
  // Starts the next slice: fills a batch from the list (then the scan) and writes it.
  void NextSlice();
  // Goes on filling the slice (after a value serialized in steps is done).
  void FillSlice();
  // One more step of the values being serialized; the slice goes on once they are done.
  void ContinueValues();
  // Moves the values serialized since the last call to the slice; returns their bytes.
  size_t CollectEncoded();
  // Hands the filled slice to the I/O pool.
  void WriteSlice();
  // `staged`: the slice went to the tier's stage (see staged_values_).
  void OnSliceWritten(const Status& status, size_t slice_end, uint64_t keys, uint64_t bytes, bool staged);
  void NoteStagedValue(int db, std::string_view key);
  // A commit took the stage: its values may leave DRAM.
  void StagedValuesReadable();
  // Hands the time since `started_ms` (SteadyMs) to options_.on_latency as `event` (any
  // thread).
  void NoteLatency(const char* event, int64_t started_ms) const;
  void Finish();
  void End(CheckpointResult result);
  bool Superseded(const DirtyItem& item, size_t index) const;
  DirtyItem& Item(size_t index) { return items_[index - items_dropped_]; }
  size_t ItemsEnd() const { return items_dropped_ + items_.size(); }
  // Frees the items before next_item_ once they are half of what items_ holds.
  void DropWrittenItems();
  void CountListBytes();
  // The db that now holds what `db_at_start` held when the round took its list (a SWAPDB
  // since may have moved it).
  int CurrentDb(uint32_t db_at_start) const { return shard_.changes().CurrentDbOf(static_cast<int>(db_at_start)); }
  bool Full(const TierBatch& batch, size_t bytes) const {
    return bytes >= options_.batch_bytes || batch.size() >= options_.batch_keys;
  }
  // Adds what the round owes for `key` (`entry`: its current entry or nullptr) to the
  // batch, adding its bytes; false if it owes nothing (written already, clean, or gone
  // without `owes_tombstone`: the tier never held it).
  bool AddOwed(uint32_t db, std::string_view key, Entry* entry, bool owes_tombstone, TierBatch& batch,
               size_t& bytes);
  // Adds the entry's current state to the batch (its metadata alone when the tier holds
  // its value already, Entry::kTierValueCurrent, and `db_erased`, this round erasing the
  // db first, is false), clears its mark; returns its bytes.
  size_t AddEntry(uint32_t db, Entry* entry, bool db_erased, TierBatch& batch);
  // Point-in-time rounds: a state kept for the round (`current`: the key's entry now).
  size_t AddKept(TierEntry state, Entry* current, TierBatch& batch);
  // Adds the kept states whose db has no erase left to write before them.
  void AddPendingKept(TierBatch& batch, size_t& bytes, uint64_t& keys);
  void StopKeeping();
  // Fills `batch` from the keyspace scan; false once every db has been scanned.
  bool ScanInto(TierBatch& batch, size_t& bytes, uint64_t& keys);

  Shard& shard_;
  Tier& tier_;
  TierIoPool& pool_;
  CheckpointerOptions options_;

  bool in_progress_ = false;
  Done done_;
  uint64_t round_lsn_ = 0;                 // S
  std::string round_server_state_;         // the shard's server state at S
  // The dirty list taken at S. Indexes into it (next_item_, last_erase_of_db_) count from
  // its start; the written front is dropped as the round goes (items_dropped_ of them),
  // so that a long list does not stay in DRAM until the round ends.
  std::vector<DirtyItem> items_;
  size_t items_dropped_ = 0;
  size_t list_bytes_ = 0;  // items_'s DRAM: its capacity and its keys' heap bytes
  std::vector<size_t> last_erase_of_db_;   // index of the last kEraseDb per db, or npos
  size_t next_item_ = 0;
  bool round_scans_ = false;     // this round scans the keyspace after its list
  bool scanning_ = false;        // ... and has not finished the scan
  std::shared_ptr<TierBatch> in_flight_;  // the slice being written
  // The slice being filled: its batch, bytes and keys so far, the item it has reached,
  // and the values serialized for its Puts (their bytes go in on the I/O pool).
  std::shared_ptr<TierBatch> batch_;
  size_t slice_bytes_ = 0;
  uint64_t slice_keys_ = 0;
  size_t slice_end_ = 0;
  std::vector<SlicedValues::Encoded> encoded_;
  SlicedValues values_;  // also the round's pre-change hook, passing calls on to snapshot_
  size_t in_flight_bytes_ = 0;
  int scan_db_ = 0;
  uint64_t scan_cursor_ = 0;
  CheckpointResult result_;
  int64_t started_ms_ = 0;
  TombstoneList tombstones_;   // written, not yet purged
  size_t purging_bytes_ = 0;   // of the tombstones the I/O pool is purging
  std::unique_ptr<RoundSnapshot> snapshot_;  // a point-in-time round's kept states
  // Values written to the tier's stage are not readable (Tier::Get reads the last commit)
  // until a commit makes the stage current: their entries keep Entry::kWriteInFlight, so
  // they stay in DRAM, until then. A failed commit keeps the stage for the next one, so
  // these carry over to the next round. Keys by the db that held them when written.
  bool stage_open_ = false;  // a staged write since the last successful commit
  std::vector<std::pair<int, std::string>> staged_values_;
  size_t staged_values_bytes_ = 0;
};

}  // namespace tierkv
