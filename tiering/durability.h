// Durability: the journal, the tier, checkpoint rounds and recovery, run together for one
// Shard. The server owns one and calls it at four points: start-up (Open: recover, then
// open the journal), after each write command (Append), from its cron (save rules,
// journal size, retry after disk errors) and for SAVE / BGSAVE / SHUTDOWN (StartRound).
//
// Files under `dir`:  tier/     the tier (RocksDB)
//                     journal/  journal-<first LSN>.log segments, lsn-reserved
//
// What a reply may promise: with appendfsync always a write's reply waits until
// durable_lsn() covers the LSN Append returned (the server holds it); with everysec the
// journal thread syncs once a second; with no, only at rotation, checkpoints and shutdown.
// While the journal writer is failed (ENOSPC, EIO) write_error() is set and the server
// refuses writes with -MISCONF; the cron retries once a second and writes resume by
// themselves once the journal can be written again.
//
// CONFIG SET appendfsync changes the live writer's policy (nothing is dropped, and what
// was submitted before is synced at once). CONFIG SET appendonly opens or closes the
// writer on the I/O pool, never on the engine thread: turning it off seals the writer
// (no more records), then syncs and closes it; replies held under always are released
// only once that sync has covered them. A failed writer is not closed: it stays (writes
// stay refused) and is retried until its records are durable, then closed. Turning it on
// keeps the records committed meanwhile until the writer is open, and starts a round at
// once, whose batches the I/O pool runs after the open.
//
// Thread-safety: engine thread only. Journal progress and tier I/O completions arrive
// through post_to_engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/effect_record.h"
#include "engine/shard.h"
#include "engine/status.h"
#include "tiering/checkpointer.h"
#include "tiering/journal_writer.h"
#include "tiering/recovery.h"
#include "tiering/save_rules.h"
#include "tiering/tier.h"
#include "tiering/tier_io_pool.h"
#include "tiering/tier_read_faults.h"

namespace tierkv {

struct DurabilityOptions {
  std::string dir;                     // dir: data directory (must exist)
  bool journal = true;                 // appendonly
  FsyncPolicy fsync = FsyncPolicy::kEverySec;  // appendfsync
  uint64_t journal_segment_size = 64u << 20;
  uint64_t journal_max_size = 64u << 20;       // journal-max-size: a round past this
  std::vector<SaveRule> save_rules;
  // Runs a task on the engine thread.
  std::function<void(std::function<void()>)> post_to_engine;
  std::function<void(const std::string& line)> log;
  std::function<void(const std::string& line)> warn;
  // Called on the engine thread with the duration of a slow journal write or sync, or
  // checkpoint step (LATENCY events "aof-write", "aof-fsync-always", "checkpoint-slice",
  // "checkpoint-write"), when it reached the threshold of SetLatencyThreshold().
  std::function<void(std::string_view event, uint64_t ms)> on_latency;
  // Called on the engine thread whenever durable_lsn() advances.
  std::function<void(uint64_t durable_lsn)> on_durable;
  // For tests: the journal writer's reservation step and fault-injection hooks.
  uint64_t lsn_reservation_step = kLsnReservationStep;
  JournalWriterHooks journal_hooks;
  // Under appendfsync always: whether more records are expected very soon (clients whose
  // replies the last sync released have not sent their next command yet). When set, the
  // journal writer holds a batch for them (JournalWriterOptions::gather_released), and
  // the server calls EndGather() once they are in.
  std::function<bool()> records_expected;
  // tier-read-threads: the threads that run cold reads (tiering/tier_io_pool.h).
  size_t read_threads = TierIoPool::kDefaultReadThreads;
};

// INFO persistence figures.
struct DurabilityInfo {
  bool round_in_progress = false;
  bool round_scheduled = false;
  bool round_is_rewrite = false;     // started by BGREWRITEAOF
  int64_t round_started_ms = 0;      // unix ms
  int64_t last_save_unix = 0;        // LASTSAVE
  bool last_round_ok = true;
  std::string last_round_error;      // why the last round failed; empty after a success
  int64_t last_round_seconds = -1;
  uint64_t rounds = 0;
  uint64_t rewrites = 0;
  uint64_t consecutive_rewrite_failures = 0;
  bool last_rewrite_ok = true;
  int64_t last_rewrite_seconds = -1;
  uint64_t checkpoint_lsn = 0;
  uint64_t journal_lsn = 0;          // last LSN handed to the journal
  uint64_t durable_lsn = 0;
  uint64_t journal_bytes = 0;
  uint64_t journal_memory_bytes = 0;  // what the journal writer holds (JournalWriterStats)
  uint64_t last_checkpoint_keys = 0;
  uint64_t last_checkpoint_bytes = 0;
  int64_t last_checkpoint_ms = 0;
  // States a point-in-time round keeps (its copy-on-write): now, its peak, the last round's.
  uint64_t kept_bytes = 0;
  uint64_t kept_peak_bytes = 0;
  uint64_t last_round_kept_peak_bytes = 0;
  uint64_t loaded_keys = 0;
  // The durability work a cache's churn queues in DRAM: the dirty list, the list the
  // running round took, and the tombstones written and not yet purged.
  uint64_t dirty_list_items = 0;
  uint64_t dirty_list_bytes = 0;
  uint64_t round_list_bytes = 0;
  uint64_t tombstones_pending = 0;
  uint64_t tombstone_bytes = 0;
  bool journal_write_ok = true;
  TierStats tier;
};

class Durability {
 public:
  using RoundDone = std::function<void(const Status& status)>;

  // Opens the tier, recovers the keyspace into `shard`, opens the journal.
  static Result<std::unique_ptr<Durability>> Open(Shard& shard, std::unique_ptr<Tier> tier,
                                                  DurabilityOptions options);
  ~Durability();  // waits for the I/O pool, closes the journal (syncing it)
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // Commits the shard's pending changes: the record goes to the journal. Returns its LSN,
  // 0 when the command changed nothing.
  uint64_t CommitChanges();

  // Hands the records committed so far to the journal thread now rather than at the end
  // of the event-loop turn (the server calls it before replies leave).
  void SubmitPending();
  // The records the journal writer may be holding a batch for are in (records_expected()
  // turned false): hands over what is pending, and the writer syncs without waiting more.
  void EndGather();
  // latency-monitor-threshold (ms; 0 = off): the durability threads hand durations at or
  // above it to options.on_latency.
  void SetLatencyThreshold(int64_t ms) { latency_threshold_ms_.store(ms, std::memory_order_relaxed); }

  // Every journaled LSN up to this is synced; without a journal, the last LSN committed.
  // A reply held under always waits for it, also after the policy changed.
  uint64_t durable_lsn() const { return synced_lsn_; }
  bool holds_replies() const { return options_.journal && options_.fsync == FsyncPolicy::kAlways; }
  // Non-empty while the journal cannot be written: its error.
  const std::string& write_error() const { return write_error_; }
  // Non-empty while writes must be refused (after "MISCONF "): the journal's error, or the
  // journal past journal_limit() while checkpoint rounds fail (it can only be trimmed by a
  // round that commits), whatever stop-writes-on-bgsave-error says.
  // Also while the next LSN is not durably reserved (lsn_reservation.h; only if the disk
  // stalls for half a reservation step of writes).
  const std::string& write_refusal() const;
  // Whether more records wait for the journal thread than its bound (a sixteenth of
  // maxmemory, 8 MiB..256 MiB): the disk is slower than the writes, and the server makes
  // the clients that write wait (Server::WaitForJournal) until it is not.
  bool journal_backlogged() const;
  // The journal's bound while rounds fail: 4 x journal-max-size, 256 MiB when that is 0.
  uint64_t journal_limit() const;
  // The last round failed while save rules are set (Redis refuses writes then, with
  // stop-writes-on-bgsave-error).
  bool rounds_failing() const { return !history_.last_round_ok && !options_.save_rules.empty(); }

  // Starts a checkpoint round (SAVE, BGSAVE, BGREWRITEAOF, shutdown); `done` runs when it
  // ends. False while one runs (`done` is then not called).
  bool StartRound(RoundDone done, bool rewrite = false);
  bool round_in_progress() const { return checkpointer_->in_progress(); }
  bool rewrite_in_progress() const { return round_in_progress() && round_is_rewrite_; }
  // Runs another round as soon as the current one ends (BGSAVE SCHEDULE, BGREWRITEAOF
  // during a BGSAVE).
  void ScheduleRound(bool rewrite);
  bool round_scheduled() const { return round_scheduled_; }
  // Turns the journal on or off, or changes its fsync policy (CONFIG SET appendonly /
  // appendfsync); see the header comment. Returns at once: opening and closing happen
  // on the I/O pool. Turning it on starts a round, which covers the changes made while it
  // was off.
  void SetJournal(bool enabled, FsyncPolicy fsync);
  // Calls `done` when the running round ends (or at once, OK, if none runs).
  void AfterRound(RoundDone done);

  // Once a second or so: save rules, journal size, retry after journal errors.
  void Cron(int64_t now_ms);

  // Runtime changes (CONFIG SET save / appendfsync semantics).
  void set_save_rules(std::vector<SaveRule> rules) { options_.save_rules = std::move(rules); }
  void set_journal_max_size(uint64_t bytes) { options_.journal_max_size = bytes; }

  // Makes the journal durable now, blocking this thread (shutdown only).
  Status SyncJournal();

  // INFO: the live fields, and the tier's statistics as of their last refresh (after each
  // round, and by the cron at most once a second: RocksDB's properties are read on the
  // I/O pool's read executor, never on the engine thread).
  DurabilityInfo info() const;

  // Reads the stored entries of `keys` (db, key) on a read thread (never behind a round's
  // writes), in one batched request (Tier::MultiGet); `done` runs on the engine thread
  // with the results, in order. Requests run on several threads: they may complete in
  // any order.
  using ReadDone = std::function<void(std::vector<Tier::GetResult> entries)>;
  void ReadFromTier(std::vector<std::pair<uint32_t, std::string>> keys, ReadDone done);
  // Reads a cold entry's value on this thread, blocking (the engine's ColdLoader, for what
  // the server could not load ahead of a command); an error, logged, if it fails.
  Result<Entry*> LoadColdValue(int db, const Entry& cold);
  // Requests ReadFromTier made to the tier (one MultiGet each, whatever its key count),
  // and the keys they asked for: INFO, and the tests that a command's cold keys go in one.
  uint64_t tier_read_requests() const { return tier_read_requests_.load(std::memory_order_relaxed); }
  uint64_t tier_read_keys() const { return tier_read_keys_.load(std::memory_order_relaxed); }
  // Faults injected into both kinds of read (tests, through DEBUG TIER-READS).
  TierReadFaults& read_faults() { return read_faults_; }
  // Heap bytes the journal writer holds (queued records, the unsynced copy it keeps for a
  // retry): cheap enough for every used_memory computation.
  uint64_t journal_memory_bytes() const { return journal_ != nullptr ? journal_->stats().memory_bytes : 0; }
  // What this layer holds that evicting keys would not free: records not yet handed to
  // the journal thread, what the journal writer holds, the states a point-in-time round
  // keeps, the tier's block cache and write buffers (as of its last write), each bounded
  // by its owner, and the checkpoint bookkeeping up to CheckpointBookkeepingBound(). The
  // shard sets it apart from maxmemory, as Redis does with its AOF buffer, so that a
  // cache keeps as many keys as Redis in the same budget. Cheap: called before commands.
  size_t MemoryNotCountedForEvict() const;
  // The DRAM of the keys checkpoint rounds still owe the tier: the dirty list, what is
  // left of the running round's list and the slice it is writing, the tombstones waiting
  // to be purged.
  size_t CheckpointBookkeepingBytes() const;
  const RecoveryReport& recovery() const { return recovery_; }

 private:
  Durability(Shard& shard, std::unique_ptr<Tier> tier, DurabilityOptions options);
  // Any thread: posts `ms` for `event` to options_.on_latency when it reaches the
  // threshold, so that only slow steps cross to the engine thread.
  void ReportLatency(const char* event, uint64_t ms);
  std::string JournalDir() const { return options_.dir + "/journal"; }
  // The options of a new writer; its reports carry a new generation.
  JournalWriterOptions NewJournalOptions(uint64_t last_lsn);
  // Opens or closes the writer on the I/O pool until it matches options_.journal.
  void ReconcileJournal();
  void OpenJournalInBackground();
  void CloseJournalInBackground();
  void OnJournalOpened(std::shared_ptr<JournalWriter> writer, const Status& status);
  void OnJournalClosed(const Status& status);
  void OnJournalProgress(uint64_t generation, JournalProgress progress, const Status& status);
  void NoteJournalError(const Status& status);
  void SetDurable(uint64_t lsn);
  // I/O pool: the writer as the pool's tasks see it, and the write-ahead rule for a
  // round's batch (the journal durable up to `lsn` first).
  std::shared_ptr<JournalWriter> JournalForPool() const;
  Status MakeJournalDurable(uint64_t lsn) const;
  void OnRoundDone(const CheckpointResult& result);
  // Tiering: memory is past the low watermark (three quarters of maxmemory) and values
  // are owed to the tier. A round started then has made values clean (free to leave DRAM
  // at once) by the time the budget is reached; started only once demotion finds nothing
  // clean, writers waited for a whole round there.
  bool DemotionWantsRound() const;
  void DropJournalBelow(uint64_t lsn);
  void RefreshTierStats(int64_t now_ms);
  void CheckJournalLimit();
  void CheckLsnReservation();

  Shard& shard_;
  std::unique_ptr<Tier> tier_;
  DurabilityOptions options_;
  TierReadFaults read_faults_;  // before pool_: its tasks use it until the pool is gone
  std::unique_ptr<TierIoPool> pool_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::shared_ptr<JournalWriter> journal_;  // the engine thread's
  // The writer as the I/O pool sees it, set by the pool's own open and close tasks, which
  // run in order with a round's batches: a batch queued after an open flushes the new
  // writer before the engine thread has heard of it. Guarded by journal_mu_.
  std::shared_ptr<JournalWriter> pool_journal_;
  Status pool_journal_error_;  // the open failed: batches must not outrun the journal
  mutable std::mutex journal_mu_;
  // appendonly yes after no: the LSN a round must cover before the writer opens (see
  // SetJournal); unset otherwise.
  std::optional<uint64_t> covering_round_lsn_;
  bool round_after_open_ = false;    // appendonly yes: the covering round starts with the open
  uint64_t journal_generation_ = 0;  // of the current writer; older writers' reports are stale
  bool journal_sealed_ = false;      // journal_ takes no more records: it is being closed
  bool journal_transition_ = false;  // an open or close runs on the I/O pool
  RecoveryReport recovery_;

  // Records committed during this event-loop turn, handed to the journal thread together
  // at its end (one lock and one wake-up per turn rather than per command).
  std::vector<EffectRecord> pending_;
  size_t pending_bytes_ = 0;  // EffectRecordHeapBytes of pending_
  bool submit_scheduled_ = false;
  uint64_t journal_lsn_ = 0;
  uint64_t synced_lsn_ = 0;
  uint64_t journal_bytes_ = 0;
  std::string write_error_;
  std::string journal_full_error_;  // see write_refusal()
  std::string reservation_error_;   // ditto
  uint64_t reserved_lsn_ = 0;       // the journal's LSN reservation, as last reported
  int64_t last_retry_ms_ = 0;

  std::vector<RoundDone> round_waiters_;
  bool round_is_rewrite_ = false;
  bool round_scheduled_ = false;
  bool scheduled_is_rewrite_ = false;
  int64_t round_started_ms_ = 0;
  uint64_t dirty_at_round_start_ = 0;
  uint64_t journal_bytes_at_round_start_ = 0;
  int64_t last_save_ms_ = 0;
  int64_t last_failed_round_ms_ = 0;
  // What past rounds and recovery left for INFO; info() adds the live fields.
  DurabilityInfo history_;
  TierStats tier_stats_;  // the last snapshot the read executor took
  bool tier_stats_refreshing_ = false;
  int64_t tier_stats_refreshed_ms_ = 0;
  // Cleared by the destructor: completions still queued on the engine thread then do
  // nothing.
  // latency-monitor-threshold as the durability threads read it (0 = off).
  std::atomic<int64_t> latency_threshold_ms_{0};
  // Counted by the read threads as they ask the tier.
  std::atomic<uint64_t> tier_read_requests_{0};
  std::atomic<uint64_t> tier_read_keys_{0};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tierkv
