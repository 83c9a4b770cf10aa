// JournalWriter: the journal writer thread. The engine thread hands it records; it writes
// them to segment files in batches and fsyncs per `appendfsync`, with group commit.
//
// Why a thread: the engine thread must never wait for the disk (design brief,
// "Threading"). Submit() only moves the record into an in-memory queue under a mutex.
// The thread takes everything queued at once (a batch), encodes it, appends it with one
// write, and for appendfsync always syncs once for the whole batch: every record
// submitted while the previous fsync ran shares the next one (group commit).
//
// Progress is reported through a callback, called FROM THE WRITER THREAD, with two LSNs:
//   written_lsn  every record up to it has been written to the OS (page cache);
//   synced_lsn   every record up to it has been fdatasync'ed: it survives a power loss.
// With appendfsync always, a reply to a write is released once synced_lsn covers its LSN.
// With everysec, synced_lsn trails by at most about `sync_interval`; with no, it moves
// only at rotation, Flush(), Close() and when the unsynced copy reaches
// `max_unsynced_bytes` (under everysec too).
//
// Under everysec the periodic fdatasync runs on a second thread (the syncer, started
// whatever the policy, since the policy can change), on a duplicate of the segment's
// descriptor, so records keep reaching the OS while it runs: a crash of the process (not
// of the machine) then loses only what was still queued in memory. Its outcome is booked by the writer thread, which alone reports progress. The
// duplicate shares the open file description, and Linux reports a writeback error once
// per description: whichever fdatasync comes first consumes it. So the writer thread
// never syncs the segment itself (its own sync, or rotation's) while a background sync
// is outstanding: it books that one first, and an error there fails the writer before
// a later, successful sync could be taken as covering the lost pages.
//
// The policy can change while the writer runs (SetFsyncPolicy): nothing queued or written
// is dropped, and what was submitted before the change is synced at once, so replies
// held under always are released by a real sync, whatever the new policy.
//
// Errors: a failed write or fsync is reported through the callback with a non-OK Status
// and the writer stays failed: it does not retry fsync on the same file (after a failed
// fsync the kernel may have dropped the dirty pages and a second fsync can succeed
// without them). Submit() keeps queueing records in memory meanwhile. Retry() makes the
// writer thread start from what is known durable:
//   - segments created after the last successful sync are deleted, the last synced
//     segment is cut back to its synced size (and synced), and the segment writer is
//     reopened on a fresh file descriptor. If a checkpoint round has dropped that segment
//     meanwhile (its records are in the tier), there is nothing to cut back;
//   - every record not yet synced (kept in memory since the last sync, which is at most
//     one segment plus one batch, because rotation syncs) is written again, then synced,
//     then the queue resumes.
// The unsynced copy is kept one batch per chunk, each freed once a sync covers it, so the
// writer holds no more memory than what is queued or unsynced (stats().memory_bytes).
// Guaranteed after a successful Retry: the journal holds every submitted record exactly
// once, in LSN order, and synced_lsn covers all records written so far. Not guaranteed:
// if the process dies while the writer is failed, records above synced_lsn may be lost
// (they may also be present; recovery cuts a torn tail).
//
// Gathering under always (options.gather_released): with a disk whose fsync is long next to
// a client's round trip, a batch taken the moment the previous sync ends holds only the
// records queued during that sync; the clients that sync released come back a moment
// later and wait for a whole fsync before theirs starts, so the clients split into two
// groups that take turns at the disk, each sync covering half of them. So after each sync
// the writer presumes more records are coming (the clients it released) and holds the next
// batch until the engine says they are in (SubmitBatch without more_coming, or
// ExpectNoMore()), for at most AlwaysGatherBound(): then the clients share one sync. A lone
// client is not slowed: its next record comes with "no more coming" and goes at once.
// Only with a slow disk: holding pays when an fsync outlasts the clients' way back (50
// clients took 0.3-0.65 ms to return here), since the two groups then wait for the disk in
// turn; with a fast disk they keep it busy between them, and a hold would leave it idle
// (measured at 0.2 ms: 80k SET/s in two groups, 65k holding).
//
// LSN reservation (lsn_reservation.h): the writer keeps `lsn-reserved` in its directory
// ahead of every LSN handed out. Open() extends it to last_lsn + one step (options) when
// less than half a step is left; Reserve(up_to) asks the writer thread to extend it (the
// engine asks before it runs short); and no batch is written above it without extending it
// first. Its progress is reported as JournalProgress::reserved_lsn; a failure to write it
// fails the writer like any journal write (Retry() then extends it again).
//
// Thread-safety: every public method may be called from any thread, but the callback
// runs on the writer thread without the writer's lock held, so it must be cheap (post
// to an io_context and return) and thread-safe; it may call Submit() and Retry(), never
// Flush() or Close() (they wait for the writer thread, which is running the callback).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/status.h"
#include "tiering/journal_record.h"
#include "tiering/journal_segment.h"
#include "tiering/lsn_reservation.h"

namespace tierkv {

enum class FsyncPolicy {
  kAlways,    // fdatasync after every batch (group commit)
  kEverySec,  // fdatasync at most once per sync_interval
  kNo,        // never on its own (only at rotation, Flush() and Close())
};

struct JournalProgress {
  uint64_t written_lsn = 0;  // records up to here are written to the OS
  uint64_t synced_lsn = 0;   // records up to here are durable (synced_lsn <= written_lsn)
  uint64_t reserved_lsn = 0;  // LSNs up to here may be handed out (durably reserved)
};

// Called on the writer thread after a batch is written, after a sync, when a write or
// sync fails (status non-OK, progress unchanged) and when Retry() ends (OK or not).
using JournalProgressCallback = std::function<void(JournalProgress progress, const Status& status)>;

// Test hooks, called on the writer thread. A non-OK Status from a hook becomes the result
// of the operation, which is then not performed (fault injection). A hook may also block
// until the test releases it (to hold a sync in progress).
struct JournalWriterHooks {
  std::function<Status(uint64_t first_lsn)> before_write;  // before each batch's Append
  std::function<Status()> before_sync;                     // before each fdatasync
  // Replaces how long a gathering writer may hold a batch (see the header comment), so
  // that a test can make only the engine's hint end the wait. Called with the writer's
  // lock held: it must not block or call the writer.
  std::function<std::chrono::nanoseconds()> gather_bound;
};

// Under always, holding a batch for the clients a sync released (see the header comment)
// starts once an fsync takes kMinFsyncToGather and lasts at most half an fsync, and never
// more than kMaxAlwaysGather.
constexpr std::chrono::nanoseconds kMinFsyncToGather = std::chrono::milliseconds(1);
constexpr std::chrono::nanoseconds kMaxAlwaysGather = std::chrono::milliseconds(2);
// How long a batch may be held after an fsync that took `last_fsync`: zero (not held) on a
// fast disk, half the fsync up to kMaxAlwaysGather on a slow one.
std::chrono::nanoseconds AlwaysGatherBound(std::chrono::nanoseconds last_fsync);

struct JournalWriterOptions {
  // Directory of the segments; created if missing. Recovery must have scanned it and cut
  // any torn tail before the writer opens it. Fixed at Open().
  std::string dir;
  // Start a new segment once the current one holds this many bytes. Default 64 MiB.
  uint64_t rotate_size = 64u << 20;
  // appendfsync. Default everysec, as Redis. Changes at run time with SetFsyncPolicy().
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  // The everysec period. Default 1 s (tests shorten it).
  std::chrono::milliseconds sync_interval{1000};
  // Under everysec and no, a sync also starts once the copy of unsynced records that the
  // writer keeps for Retry() reaches this many bytes, so that a fast writer's copy stays
  // bounded (a second of writes could otherwise take hundreds of MiB; under no it would
  // grow to a whole segment). Default 16 MiB.
  uint64_t max_unsynced_bytes = 16u << 20;
  // Under always, hold the batch after each sync for the clients it released (see the
  // header comment, "Gathering under always"). Only for an engine that says when they are
  // in (SubmitBatch's more_coming, ExpectNoMore()): without it every batch would wait the
  // bound. Default off. Fixed at Open().
  bool gather_released = false;
  // The LSN of the last record already in the journal (0 for none): Submit() accepts only
  // LSNs above it.
  uint64_t last_lsn = 0;
  // How far ahead the LSN reservation is extended (tests shorten it).
  uint64_t lsn_reservation_step = kLsnReservationStep;
  // Progress and error reports; may be empty.
  JournalProgressCallback on_progress;
  // Durations, on the writer thread, as LATENCY events: "aof-write" (each batch's
  // write) and "aof-fsync-always" (each sync under appendfsync always). May be empty;
  // must be cheap and thread-safe, like on_progress.
  std::function<void(const char* event, uint64_t ms)> on_latency;
  JournalWriterHooks hooks;
};

// Counters for INFO and tests, read under the writer's lock.
struct JournalWriterStats {
  uint64_t submitted_lsn = 0;  // the last LSN accepted by Submit()
  uint64_t written_lsn = 0;
  uint64_t synced_lsn = 0;
  uint64_t reserved_lsn = 0;   // see the header comment: LSN reservation
  uint64_t batches = 0;        // batches written
  uint64_t syncs = 0;          // fdatasync calls made by the writer (not rotation's)
  bool failed = false;
  bool gathering = false;      // holding a batch for records said to be coming
  uint64_t gathers = 0;        // batches held so (each ended by the hint or the bound)
  // Heap bytes the writer holds for records: those queued or being written, and the
  // copy of what is written but not yet synced (kept for Retry()). Freed as syncs cover it.
  uint64_t memory_bytes = 0;
};

class JournalWriter {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens the segment writer in options.dir, syncs the newest existing segment (so that
  // what is on disk counts as durable) and starts the thread.
  static Result<std::unique_ptr<JournalWriter>> Open(JournalWriterOptions options);

  ~JournalWriter();  // Close()
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Queues `record` for writing; never waits for I/O. Refuses (and does not queue) a record
  // whose LSN does not exceed the previous one, and any record after Close(). A record of
  // any size is accepted (the segment writer cuts it into frames). Accepted while the writer is failed: it waits for Retry().
  Status Submit(JournalRecord record);
  // Submit() for several records under one lock and one wake-up of the writer thread (the
  // engine hands over what a whole event-loop turn produced). Stops at the first refused
  // record: the ones before it are queued.
  // `more_coming`: the engine expects more records very soon (see the header comment,
  // "Gathering under always"); false ends a gathering writer's wait. `records` may be empty
  // to pass only that.
  Status SubmitBatch(std::vector<JournalRecord> records, bool more_coming = false);
  // The records said to be coming are in (or will not come): a gathering writer goes on.
  // Cheap when it is not gathering.
  void ExpectNoMore();

  // Heap bytes of the records waiting for the writer thread (it takes the whole queue
  // whenever it finishes a write): what backpressure watches (Durability::journal_backlogged).
  uint64_t queued_bytes() const;

  // Waits until every record submitted before the call (or, with `up_to`, every record up
  // to that LSN, which may still be on its way) is synced, syncing now whatever the policy
  // (checkpoints, shutdown). Returns the writer's error if it is failed.
  Status Flush(uint64_t up_to = 0);

  // The next batch starts a new segment (see SegmentWriter::RotateAtNextAppend).
  void Rotate();

  // No record will be submitted any more (the journal is being turned off): Submit()
  // refuses, and Flush() waits for nothing beyond the records already submitted. The
  // writer goes on otherwise (a failed one waits for Retry()); Close() still ends it.
  void Seal();

  // appendfsync at run time. Everything submitted before the change is synced as soon as
  // it is written (also under kNo), so whatever waited for the old policy's sync gets it.
  // While the writer is failed the change waits with the queue for Retry().
  void SetFsyncPolicy(FsyncPolicy policy);

  // The first LSN of the segment holding the writer's last durable state (the one Retry()
  // cuts back to); 0 before there is one. Segments from it on must stay on disk.
  uint64_t durable_segment_first_lsn() const;

  // Asks the writer thread to reserve LSNs up to `up_to` durably (see the header comment);
  // progress reports reserved_lsn once done.
  void Reserve(uint64_t up_to);

  // Asks the writer thread to recover from a failure (see the header comment); the
  // outcome arrives through the callback. Does nothing if the writer is not failed.
  void Retry();

  // Writes what is queued (unless failed), syncs it, and joins the thread. Idempotent.
  void Close();

  JournalWriterStats stats() const;
  uint64_t reserved_lsn() const;
  // OK, or the error that made the writer fail.
  Status status() const;

 private:
  explicit JournalWriter(JournalWriterOptions options);
  void Run();
  bool WakeCondition(std::chrono::steady_clock::time_point now) const;
  bool BackgroundSyncDue(std::chrono::steady_clock::time_point now) const;
  void WriteBatch(std::vector<JournalRecord> batch);
  void SyncWritten();
  // Whether the writer should hold the queued batch for records said to be coming, and
  // the holding itself (mu_ held).
  bool ShouldGather() const;
  void GatherForSync(std::unique_lock<std::mutex>& lock);
  // Books an outstanding background sync (see the header comment); false if the writer
  // is failed afterwards.
  bool SettleBackgroundSync();
  void DoRetry();
  // everysec's background sync: started and booked on the writer thread (mu_ held on
  // entry to Start/Await, released around the bookkeeping), run on the syncer thread.
  void StartBackgroundSync(std::unique_lock<std::mutex>& lock);
  void AwaitBackgroundSync(std::unique_lock<std::mutex>& lock);
  void BookBackgroundSync(std::unique_lock<std::mutex>& lock);
  void RunSyncer();
  Status RestoreDurableState();
  Status RewriteUnsynced();
  void Fail(Status status);
  // Writes the reservation file (writer thread, or Open before it starts).
  Status ExtendReservation(uint64_t up_to);
  // Hands `took` to options_.on_latency as `event`.
  void NoteLatency(const char* event, Clock::duration took) const;
  void Report(const Status& status);
  void MarkSynced(uint64_t size);
  // The unsynced copy: keep a written batch, forget what a sync covered.
  void KeepUnsynced(uint64_t first_lsn, uint64_t last_lsn, std::string bytes);
  void DropUnsynced(size_t chunks);

  const JournalWriterOptions options_;

  // Owned by the writer thread (and by Open before it starts).
  std::unique_ptr<SegmentWriter> segments_;
  std::optional<uint64_t> synced_segment_first_lsn_;  // the segment holding synced_size_
  std::string synced_segment_path_;
  uint64_t synced_size_ = 0;        // bytes of that segment known durable
  // What follows it on disk, kept for Retry(): one chunk per batch written, oldest first,
  // so that a sync frees what it covers (a cleared std::string would keep its capacity).
  struct UnsyncedChunk {
    uint64_t first_lsn = 0;
    uint64_t last_lsn = 0;
    std::string bytes;
  };
  std::deque<UnsyncedChunk> unsynced_;
  Clock::time_point last_sync_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // wakes the writer thread
  std::condition_variable done_cv_;  // wakes Flush() waiters
  std::vector<JournalRecord> queue_;
  FsyncPolicy fsync_;               // options_.fsync until SetFsyncPolicy()
  uint64_t queued_memory_ = 0;      // heap bytes of queue_
  uint64_t batch_memory_ = 0;       // ... of the batch the writer thread is writing
  uint64_t unsynced_memory_ = 0;    // ... of unsynced_ (mirrored here for stats())
  uint64_t durable_segment_first_lsn_ = 0;  // synced_segment_first_lsn_, for other threads
  uint64_t submitted_lsn_ = 0;
  uint64_t written_lsn_ = 0;
  uint64_t synced_lsn_ = 0;
  uint64_t flush_target_ = 0;  // sync at least up to here as soon as it is written
  uint64_t reserved_lsn_ = 0;   // the reservation on disk
  uint64_t reserve_target_ = 0;  // asked for by Reserve()
  uint64_t batches_ = 0;
  uint64_t syncs_ = 0;
  Status failure_;
  bool retry_requested_ = false;
  bool closing_ = false;
  bool sealed_ = false;
  bool closed_ = false;
  bool writer_idle_ = false;  // the writer thread waits for work (Submit must wake it)
  // Gathering under always: records are said to be coming (set after each sync, cleared
  // by the engine's hint), the writer holds a batch for them, and its own count.
  bool more_coming_ = false;
  bool gathering_ = false;
  bool gathered_ = false;  // the queued batch was held once already: take it now
  uint64_t gathers_ = 0;
  Clock::duration last_sync_duration_{};  // of the writer's last own fdatasync
  bool rotate_requested_ = false;  // for the writer thread to pass to the segment writer

  // The background sync (everysec), guarded by mu_.
  struct SyncJob {
    int fd = -1;                  // dup of the segment's descriptor; the syncer closes it
    uint64_t lsn = 0;             // written_lsn when it started: synced once it succeeds
    uint64_t size = 0;            // the segment's size then
    std::string path;             // the segment it syncs
    uint64_t generation = 0;      // unsynced_generation_ then
    size_t unsynced_chunks = 0;   // chunks of unsynced_ it covers
    Clock::time_point started;    // set by the syncer: when fdatasync began
    Status status;                // set by the syncer
  };
  std::optional<SyncJob> sync_job_;  // waiting for the syncer, or running
  bool sync_running_ = false;         // the syncer holds sync_job_
  bool sync_finished_ = false;        // sync_job_ holds the outcome, to book
  bool syncer_stopping_ = false;
  std::condition_variable sync_cv_;   // wakes the syncer
  std::thread syncer_;
  uint64_t unsynced_generation_ = 0;  // bumped whenever unsynced_ restarts (writer thread)
  std::mutex close_mu_;  // serialises Close() calls
  std::thread thread_;
};

}  // namespace tierkv
