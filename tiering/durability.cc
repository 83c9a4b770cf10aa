#include "tiering/durability.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "engine/heap_bytes.h"
#include "tiering/elapsed.h"
#include "tiering/entry_codec.h"
#include "tiering/journal_segment.h"
#include "tiering/lsn_reservation.h"

namespace tierkv {
namespace {

constexpr int64_t kRetryIntervalMs = 1000;     // journal Retry() after an error
constexpr int64_t kFailedRoundDelayMs = 5000;  // Redis's CONFIG_BGSAVE_RETRY_DELAY
constexpr int64_t kTierStatsIntervalMs = 1000;  // INFO's tier figures are at most this old
// Tiering: rounds start once memory is within a fourth of maxmemory of it (see
// DemotionWantsRound), at most this often unless demotion finds nothing clean.
constexpr size_t kDemotionRoundShare = 4;
constexpr int64_t kDemotionRoundIntervalMs = 1000;
// The journal's bound while rounds fail, in journal-max-size units (see journal_limit()).
constexpr uint64_t kJournalLimitFactor = 4;
constexpr uint64_t kJournalLimitWithoutMaxSize = 256u << 20;

// Rough encoded size of a record, for the journal-size trigger (exact bytes are known
// only to the writer thread, and the trigger needs no precision).
uint64_t RecordBytes(const EffectRecord& record) {
  uint64_t bytes = kFrameHeaderSize + 12;
  for (const Effect& effect : record.effects) {
    bytes += 2;
    for (const std::string& arg : effect) bytes += arg.size() + 2;
  }
  return bytes;
}

// "path: write: No space left on device" -> "No space left on device".
std::string ReasonOf(const Status& status) {
  const std::string& message = status.message();
  const size_t colon = message.rfind(": ");
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

int64_t NowMs() { return Shard::WallClockMs(); }

// The dirty list's DRAM past which a round starts: a sixty-fourth of maxmemory within
// [4 MiB, 256 MiB], 64 MiB when memory is unlimited. A cache that evicts lists every
// evicted key until a round writes its tombstone, so without this bound the list would
// grow with the evictions and take the memory they freed.
uint64_t DirtyListBound(uint64_t maxmemory) {
  if (maxmemory == 0) return 64u << 20;
  return std::clamp<uint64_t>(maxmemory / 64, 4u << 20, 256u << 20);
}

// How much of the checkpoint bookkeeping (the dirty list, a round's list and the slice
// it writes, tombstones to purge) is set apart from eviction: a sixteenth of maxmemory
// within [8 MiB, 1 GiB], as the tier's caches. A
// cache that evicts keys the tier holds owes a tombstone per eviction, and counted, that
// bookkeeping (a few dozen bytes per evicted key, a round's length of evictions) made it
// evict a quarter of the keys Redis keeps. Past the bound it counts again, so it cannot
// grow unseen while rounds lag.
uint64_t CheckpointBookkeepingBound(uint64_t maxmemory) {
  if (maxmemory == 0) return 64u << 20;
  return std::clamp<uint64_t>(maxmemory / 16, 8u << 20, 1u << 30);
}

// Backpressure: records waiting for the journal writer past which the clients that write
// wait for it (journal_backlogged), a sixteenth of maxmemory within [8 MiB, 256 MiB]. A
// disk slower than the writes (write() throttled by writeback while RocksDB flushes)
// otherwise let the queue grow by the second's worth of writes: 50 MiB at a 32 MiB budget,
// set apart from eviction, until writes failed with OOM. Redis gets backpressure by writing
// its AOF buffer on its only thread, which stops everyone; here only writers wait.
uint64_t JournalQueueBound(uint64_t maxmemory) {
  if (maxmemory == 0) return 64u << 20;
  return std::clamp<uint64_t>(maxmemory / 16, 8u << 20, 256u << 20);
}

// How many present keys the dirty list names before rounds find them by scanning for their
// marks instead (ChangeLog::set_max_key_items): a quarter of the bookkeeping bound at
// about 80 bytes an item, within [1024, 65536]. Up to 128 MiB that is about 26,000 items.
size_t DirtyListKeyItems(uint64_t maxmemory) {
  constexpr uint64_t kItemBytes = 80;  // DirtyItem and a 16-byte key's heap copy
  return std::clamp<uint64_t>(CheckpointBookkeepingBound(maxmemory) / 4 / kItemBytes, 1024, 65536);
}

// 0 if the file cannot be examined (it only feeds the journal-size trigger).
uint64_t FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

}  // namespace

Durability::Durability(Shard& shard, std::unique_ptr<Tier> tier, DurabilityOptions options)
    : shard_(shard), tier_(std::move(tier)), options_(std::move(options)), pool_(std::make_unique<TierIoPool>(options_.read_threads)) {
  // Completions posted to the engine thread run only while this object lives.
  std::weak_ptr<bool> alive = alive_;
  auto outer_post = options_.post_to_engine;
  options_.post_to_engine = [alive, outer_post](std::function<void()> task) {
    outer_post([alive, task = std::move(task)] {
      if (auto still = alive.lock(); still && *still) task();
    });
  };
}

void Durability::ReportLatency(const char* event, uint64_t ms) {
  const int64_t threshold = latency_threshold_ms_.load(std::memory_order_relaxed);
  if (threshold <= 0 || ms < static_cast<uint64_t>(threshold) || !options_.on_latency) return;
  // `event` is a literal: it outlives the task.
  options_.post_to_engine([this, event, ms] { options_.on_latency(event, ms); });
}

Result<std::unique_ptr<Durability>> Durability::Open(Shard& shard, std::unique_ptr<Tier> tier,
                                                     DurabilityOptions options) {
  std::unique_ptr<Durability> durability(new Durability(shard, std::move(tier), std::move(options)));
  Durability& self = *durability;
  shard.changes().set_enabled(true);
  shard.set_cold_loader([&self](int db, const Entry& cold) { return self.LoadColdValue(db, cold); });

  RecoveryOptions recovery;
  recovery.journal_dir = self.JournalDir();
  recovery.log = self.options_.log;
  recovery.leave_values_cold = shard.demotion_possible();
  auto report = Recover(shard, *self.tier_, recovery);
  if (!report.ok()) return report.status();
  self.recovery_ = std::move(*report);
  shard.SetServerState(self.recovery_.server_state, std::nullopt);
  if (Status status = StartSegmentForSkippedLsns(self.JournalDir(), self.recovery_); !status.ok()) return status;
  self.history_.checkpoint_lsn = self.recovery_.checkpoint_lsn;
  shard.NoteCheckpointCommitted(self.recovery_.checkpoint_lsn);
  self.history_.loaded_keys = self.recovery_.keys_loaded;

  CheckpointerOptions checkpoints;
  checkpoints.post_to_engine = self.options_.post_to_engine;
  checkpoints.make_journal_durable = [&self](uint64_t lsn) { return self.MakeJournalDurable(lsn); };
  checkpoints.drop_journal_below = [&self](uint64_t lsn) { self.DropJournalBelow(lsn); };
  checkpoints.on_latency = [&self](const char* event, uint64_t ms) { self.ReportLatency(event, ms); };
  self.checkpointer_ = std::make_unique<Checkpointer>(shard, *self.tier_, *self.pool_, std::move(checkpoints));
  self.checkpointer_->AddTombstones(std::move(self.recovery_.tombstones));
  self.recovery_.tombstones.clear();

  // Journal segments left from before count toward the size trigger.
  auto segments = ListJournalSegments(recovery.journal_dir);
  if (segments.ok()) {
    for (const JournalSegmentFile& segment : *segments) self.journal_bytes_ += FileSize(segment.path);
  }
  self.journal_lsn_ = self.synced_lsn_ = shard.last_lsn();
  if (self.options_.journal) {
    const int64_t journal_started = SteadyMs();
    // At start-up the engine thread may wait for the disk (the writer syncs the newest
    // segment); at run time the I/O pool opens it.
    auto writer = JournalWriter::Open(self.NewJournalOptions(shard.last_lsn()));
    if (!writer.ok()) return writer.status();
    self.journal_ = self.pool_journal_ = std::move(*writer);
    self.reserved_lsn_ = self.journal_->reserved_lsn();
    if (self.options_.log) {
      self.options_.log("Opened the journal for writing in " + SecondsSince(journal_started) + " s");
    }
  }
  self.last_save_ms_ = NowMs();
  self.tier_stats_ = self.tier_->stats();  // start-up may wait for the disk
  self.tier_stats_refreshed_ms_ = self.last_save_ms_;
  shard.set_memory_not_counted_for_evict([&self] { return self.MemoryNotCountedForEvict(); });
  shard.changes().set_max_key_items(DirtyListKeyItems(shard.options().maxmemory));
  return durability;
}

size_t Durability::CheckpointBookkeepingBytes() const {
  return shard_.changes().dirty_bytes() + checkpointer_->list_bytes() + checkpointer_->in_flight_bytes() +
         checkpointer_->tombstone_bytes();
}

size_t Durability::MemoryNotCountedForEvict() const {
  const size_t bookkeeping =
      std::min<size_t>(CheckpointBookkeepingBytes(), CheckpointBookkeepingBound(shard_.options().maxmemory));
  return pending_bytes_ + journal_memory_bytes() + checkpointer_->held_bytes() + tier_->last_memory_bytes() +
         bookkeeping;
}

JournalWriterOptions Durability::NewJournalOptions(uint64_t last_lsn) {
  JournalWriterOptions journal;
  journal.dir = JournalDir();
  journal.rotate_size = options_.journal_segment_size;
  journal.fsync = options_.fsync;
  journal.last_lsn = last_lsn;
  journal.lsn_reservation_step = options_.lsn_reservation_step;
  journal.hooks = options_.journal_hooks;
  journal.gather_released = static_cast<bool>(options_.records_expected);
  journal.on_latency = [this](const char* event, uint64_t ms) { ReportLatency(event, ms); };
  // Only errors, and syncs that matter, cross to the engine thread: under everysec and no
  // nothing waits for the sync, so one report per second is plenty (under always every
  // report is a sync).
  auto post = options_.post_to_engine;
  const uint64_t generation = ++journal_generation_;
  journal.on_progress = [this, post, generation, reported_synced = uint64_t{0}, reported_reserved = uint64_t{0},
                         failed = false](
                            JournalProgress progress, const Status& status) mutable {
    if (status.ok() && !failed && progress.synced_lsn <= reported_synced && progress.reserved_lsn <= reported_reserved) {
      return;
    }
    reported_synced = progress.synced_lsn;
    reported_reserved = progress.reserved_lsn;
    failed = !status.ok();
    post([this, generation, progress, status] { OnJournalProgress(generation, progress, status); });
  };
  return journal;
}

std::shared_ptr<JournalWriter> Durability::JournalForPool() const {
  std::lock_guard lock(journal_mu_);
  return pool_journal_;
}

Status Durability::MakeJournalDurable(uint64_t lsn) const {
  std::shared_ptr<JournalWriter> journal;
  {
    std::lock_guard lock(journal_mu_);
    if (!pool_journal_error_.ok()) return pool_journal_error_;
    journal = pool_journal_;
  }
  // Records up to `lsn` may still be on their way from the engine thread: Flush waits.
  return journal != nullptr ? journal->Flush(lsn) : Status::Ok();
}

Durability::~Durability() {
  shard_.set_memory_not_counted_for_evict(nullptr);
  SubmitPending();
  *alive_ = false;
  read_faults_.Release();  // a paused read must not hold up the drain
  pool_->Drain();  // an open or close in flight ends; its completion will not run
  if (journal_ != nullptr) journal_->Close();
  const bool old_writer_clean = journal_ == nullptr || journal_->status().ok();
  // Records still waiting for a covering round cannot be journaled: a segment of them
  // would not continue the checkpoint. Their replies were never released.
  if (!pending_.empty() && covering_round_lsn_.has_value() && options_.warn) {
    options_.warn("Dropping " + std::to_string(pending_.size()) +
                  " records committed since appendonly was turned on: the round that covers the "
                  "changes made without the journal has not finished");
  }
  if (!pending_.empty() && old_writer_clean && !covering_round_lsn_.has_value()) {
    // Records that waited for a writer being opened (or for the one after a writer being
    // closed). At shutdown the engine thread may wait for the disk: write them here.
    auto writer = JournalWriter::Open(NewJournalOptions(pending_.front().lsn - 1));
    Status written = writer.ok() ? (*writer)->SubmitBatch(std::move(pending_)) : writer.status();
    if (writer.ok()) (*writer)->Close();
    if (!written.ok() && options_.warn) options_.warn("Could not journal the last records: " + written.message());
  }
}

uint64_t Durability::CommitChanges() {
  auto record = shard_.CommitChanges();
  if (!record.has_value()) return 0;
  const uint64_t lsn = record->lsn;
  journal_lsn_ = lsn;
  if (!options_.journal) {
    // Not journaled. A writer still being closed holds records that replies may wait
    // for: durable_lsn() moves on when it is closed.
    if (journal_ == nullptr) synced_lsn_ = lsn;
    return lsn;
  }
  journal_bytes_ += RecordBytes(*record);
  pending_bytes_ += EffectRecordHeapBytes(*record);
  CheckJournalLimit();
  pending_.push_back(std::move(*record));
  CheckLsnReservation();
  if (!submit_scheduled_) {
    submit_scheduled_ = true;
    options_.post_to_engine([this] {
      submit_scheduled_ = false;
      SubmitPending();
    });
  }
  return lsn;
}

void Durability::SubmitPending() {
  // While a writer opens, or a sealed one closes, records wait for the next writer.
  if (pending_.empty() || journal_ == nullptr || journal_sealed_) return;
  std::vector<EffectRecord> records;
  records.swap(pending_);
  pending_bytes_ = 0;
  const bool more_coming = options_.records_expected && options_.records_expected();
  Status submitted = journal_->SubmitBatch(std::move(records), more_coming);
  if (!submitted.ok() && options_.warn) {
    // Only after Close() or for an LSN out of order (a bug): the change stands in DRAM but
    // cannot be journaled.
    options_.warn("The journal refused a record: " + submitted.message());
  }
}

void Durability::EndGather() {
  if (!pending_.empty()) {
    SubmitPending();  // with "no more coming"
  } else if (journal_ != nullptr && !journal_sealed_) {
    journal_->ExpectNoMore();
  }
}

void Durability::OnJournalProgress(uint64_t generation, JournalProgress progress, const Status& status) {
  if (generation != journal_generation_ || journal_ == nullptr) return;  // a closed writer's
  if (!status.ok()) {
    NoteJournalError(status);
    return;
  }
  if (!write_error_.empty()) {
    if (options_.log) options_.log("Journal writes resumed after the error was cleared");
    write_error_.clear();
  }
  if (progress.synced_lsn > synced_lsn_) SetDurable(progress.synced_lsn);
  reserved_lsn_ = std::max(reserved_lsn_, progress.reserved_lsn);
  CheckLsnReservation();
  ReconcileJournal();  // a writer kept open by its error may be closed now
}

void Durability::NoteJournalError(const Status& status) {
  if (write_error_.empty() && options_.warn) options_.warn("Error writing the journal: " + status.message());
  write_error_ = "Errors writing to the AOF file: " + ReasonOf(status);
}

// Replies held under always wait for this, whatever the policy is now.
void Durability::SetDurable(uint64_t lsn) {
  synced_lsn_ = lsn;
  if (options_.on_durable) options_.on_durable(synced_lsn_);
}

bool Durability::StartRound(RoundDone done, bool rewrite) {
  if (checkpointer_->in_progress()) return false;
  CommitChanges();  // what is pending belongs before S (nothing is, between commands)
  // Records after S start a new segment, so that the round can drop the one before.
  SubmitPending();
  if (journal_ != nullptr) journal_->Rotate();
  if (done) round_waiters_.push_back(std::move(done));
  round_is_rewrite_ = rewrite;
  round_started_ms_ = NowMs();
  dirty_at_round_start_ = shard_.stats().dirty;
  journal_bytes_at_round_start_ = journal_bytes_;
  // A round may write states newer than S only when a journal takes every record from S
  // on: recovery replays them onto those states. Without one (appendonly no, or a writer
  // still to open or being closed) the tier is all there is, so the round writes the
  // keyspace as of S.
  const bool point_in_time = journal_ == nullptr || journal_sealed_;
  return checkpointer_->Start([this](const CheckpointResult& result) { OnRoundDone(result); }, point_in_time);
}

void Durability::AfterRound(RoundDone done) {
  if (!checkpointer_->in_progress()) {
    done(Status::Ok());
    return;
  }
  round_waiters_.push_back(std::move(done));
}

void Durability::OnRoundDone(const CheckpointResult& result) {
  const int64_t now = NowMs();
  const int64_t seconds = (now - round_started_ms_) / 1000;
  history_.last_round_ok = result.status.ok();
  history_.last_round_error = result.status.ok() ? std::string() : result.status.message();
  history_.last_round_seconds = seconds;
  history_.last_checkpoint_keys = result.keys;
  history_.last_checkpoint_bytes = result.bytes;
  history_.last_checkpoint_ms = result.duration_ms;
  history_.last_round_kept_peak_bytes = result.kept_peak_bytes;
  if (round_is_rewrite_) {
    ++history_.rewrites;
    history_.last_rewrite_ok = result.status.ok();
    history_.last_rewrite_seconds = seconds;
    history_.consecutive_rewrite_failures = result.status.ok() ? 0 : history_.consecutive_rewrite_failures + 1;
  }
  if (result.status.ok()) {
    ++history_.rounds;
    history_.checkpoint_lsn = result.lsn;
    shard_.NoteCheckpointCommitted(result.lsn);
    last_save_ms_ = round_started_ms_;
    KeyspaceStats& stats = shard_.stats();
    stats.dirty = stats.dirty >= dirty_at_round_start_ ? stats.dirty - dirty_at_round_start_ : 0;
    if (options_.log) {
      options_.log("Checkpoint at LSN " + std::to_string(result.lsn) + ": " + std::to_string(result.keys) +
                   " keys, " + std::to_string(result.bytes) + " bytes in " + std::to_string(result.duration_ms) + " ms");
    }
  } else {
    last_failed_round_ms_ = now;
    if (options_.warn) options_.warn("Checkpoint failed: " + result.status.message());
  }
  if (result.status.ok() && covering_round_lsn_.has_value() && result.lsn >= *covering_round_lsn_) {
    covering_round_lsn_.reset();
    ReconcileJournal();  // the journal now continues this checkpoint
  }
  RefreshTierStats(now);  // the round changed what the tier holds
  CheckJournalLimit();
  std::vector<RoundDone> waiters;
  waiters.swap(round_waiters_);
  for (RoundDone& waiter : waiters) waiter(result.status);
  if (round_scheduled_ && !checkpointer_->in_progress()) {
    round_scheduled_ = false;
    StartRound(nullptr, scheduled_is_rewrite_);
  }
  // Back to back while demotion waits for dirty values to be written (writes outrun the
  // rounds): they become clean as soon as possible. Not with nothing dirty: writers waiting
  // over a budget that no round can reach (below the base memory) wait only while one runs,
  // and must not see one after the other forever. Not after a failure: the cron waits
  // before trying again.
  if (result.status.ok() && !checkpointer_->in_progress() && shard_.changes().has_dirty() &&
      shard_.TakeDemotionStarved()) {
    StartRound(nullptr);
  }
}

bool Durability::DemotionWantsRound() const {
  if (!shard_.demoting() || !shard_.changes().has_dirty()) return false;
  const size_t maxmemory = shard_.options().maxmemory;
  return shard_.BudgetedMemory() >= maxmemory - maxmemory / kDemotionRoundShare;
}

void Durability::ScheduleRound(bool rewrite) {
  round_scheduled_ = true;
  scheduled_is_rewrite_ = rewrite;
}

void Durability::SetJournal(bool enabled, FsyncPolicy fsync) {
  SubmitPending();  // what was committed so far goes to the writer in place
  options_.fsync = fsync;
  if (journal_ != nullptr && !journal_sealed_) journal_->SetFsyncPolicy(fsync);
  if (enabled && !options_.journal) {
    // The changes made while the journal was off are in neither the journal nor the tier,
    // so a writer opened now would start a segment above LSNs that no segment holds: a
    // crash before a round covered them would leave a journal that does not continue the
    // checkpoint, and recovery cannot replay across that gap. The covering round runs
    // first, and the writer opens once it has committed; records committed meanwhile wait
    // for it (with their replies, under always), as Redis's AOF serves once its first
    // rewrite ends.
    covering_round_lsn_ = shard_.last_lsn();
    if (checkpointer_->in_progress()) {
      ScheduleRound(true);
    } else {
      StartRound(nullptr, true);
    }
  }
  if (!enabled && options_.journal) {
    // Records after this point are not journaled: a round running now must not write
    // states that only they could complete.
    checkpointer_->KeepStatesFrom(shard_.last_lsn());
  }
  options_.journal = enabled;
  ReconcileJournal();
}

void Durability::ReconcileJournal() {
  if (journal_ != nullptr && !options_.journal && !journal_sealed_) {
    journal_->Seal();  // at once: a round's Flush must not wait for records never submitted
    journal_sealed_ = true;
  }
  if (journal_transition_) return;  // runs again when it ends
  if (journal_ != nullptr && journal_sealed_) {
    // Closing a failed writer would drop what it has not synced: it is retried first.
    if (write_error_.empty()) CloseJournalInBackground();
    return;
  }
  if (journal_ != nullptr) return;
  if (covering_round_lsn_.has_value()) return;  // opens when the covering round commits
  // Records committed for a writer that could not be opened still need one, even if the
  // journal has been turned off since (their replies may be held).
  if (options_.journal || !pending_.empty()) {
    OpenJournalInBackground();
  } else {
    // No journal, nothing for one: no journal error stands (a failed open's included).
    write_error_.clear();
    std::lock_guard lock(journal_mu_);
    pool_journal_error_ = Status::Ok();
  }
}

void Durability::OpenJournalInBackground() {
  journal_transition_ = true;
  auto post = options_.post_to_engine;
  // Records committed for the journal since it was turned on wait in pending_: the new
  // writer must accept them.
  const uint64_t last_lsn = pending_.empty() ? shard_.last_lsn() : pending_.front().lsn - 1;
  auto options = std::make_shared<JournalWriterOptions>(NewJournalOptions(last_lsn));
  pool_->Submit([this, post, options] {
    auto opened = JournalWriter::Open(std::move(*options));
    std::shared_ptr<JournalWriter> writer;
    if (opened.ok()) writer = std::move(*opened);
    {
      std::lock_guard lock(journal_mu_);
      pool_journal_ = writer;
      pool_journal_error_ = opened.status();
    }
    post([this, writer, status = opened.status()] { OnJournalOpened(writer, status); });
  });
  // Started at once, as Redis starts its rewrite (INFO shows it): its batches are queued
  // after the open, so they flush the new writer (or fail if it could not be opened, and
  // the next open starts another round).
  if (round_after_open_) {
    round_after_open_ = false;
    if (checkpointer_->in_progress()) {
      ScheduleRound(true);
    } else {
      StartRound(nullptr, true);
    }
  }
}

void Durability::OnJournalOpened(std::shared_ptr<JournalWriter> writer, const Status& status) {
  journal_transition_ = false;
  if (!status.ok()) {
    // As a journal that cannot be written: writes are refused, the records committed for
    // it wait (and so do their replies), and the cron tries again, with another round
    // (this one fails without its journal).
    NoteJournalError(status);
    round_after_open_ = options_.journal;
    return;
  }
  write_error_.clear();
  journal_ = std::move(writer);
  journal_sealed_ = false;
  reserved_lsn_ = std::max(reserved_lsn_, journal_->reserved_lsn());
  CheckLsnReservation();
  journal_->SetFsyncPolicy(options_.fsync);  // it may have changed while the writer opened
  SubmitPending();
  ReconcileJournal();
}

void Durability::CloseJournalInBackground() {
  journal_transition_ = true;
  auto post = options_.post_to_engine;
  std::shared_ptr<JournalWriter> writer = journal_;
  pool_->Submit([this, post, writer] {
    // Sealed: Flush() syncs every record the writer was given. Close() then has nothing
    // left to write; a failed writer is not closed, so that Retry() can still save it.
    Status status = writer->Flush();
    if (status.ok()) {
      writer->Close();
      std::lock_guard lock(journal_mu_);
      pool_journal_.reset();
    }
    post([this, status] { OnJournalClosed(status); });
  });
}

void Durability::OnJournalClosed(const Status& status) {
  journal_transition_ = false;
  if (!status.ok()) {
    NoteJournalError(status);  // the cron retries it; the close is tried again after
    return;
  }
  journal_.reset();
  journal_sealed_ = false;
  write_error_.clear();
  // The closed writer's records are synced; later ones were not journaled, except those
  // waiting for the next writer if the journal was turned on again meanwhile.
  SetDurable(std::max(synced_lsn_, pending_.empty() ? journal_lsn_ : pending_.front().lsn - 1));
  ReconcileJournal();
}

void Durability::DropJournalBelow(uint64_t lsn) {
  // Runs on the I/O pool. A segment holds only records <= lsn when the next segment
  // starts at or below lsn + 1; the newest segment is the writer's and always stays.
  const std::string dir = JournalDir();
  auto segments = ListJournalSegments(dir);
  if (!segments.ok()) return;
  // Nor the segment the writer's durable state is in: a failed writer's Retry() cuts it
  // back to its synced size and writes what follows again.
  std::shared_ptr<JournalWriter> journal = JournalForPool();
  const uint64_t keep_from = journal != nullptr ? journal->durable_segment_first_lsn() : 0;
  uint64_t dropped = 0;
  for (size_t i = 0; i + 1 < segments->size(); ++i) {
    if ((*segments)[i + 1].first_lsn > lsn + 1) break;
    if (keep_from != 0 && (*segments)[i].first_lsn >= keep_from) break;
    const uint64_t size = FileSize((*segments)[i].path);
    if (::unlink((*segments)[i].path.c_str()) == 0) dropped += size;
  }
  if (dropped == 0) return;
  (void)SyncDirectory(dir);
  options_.post_to_engine([this, dropped] {
    journal_bytes_ = journal_bytes_ > dropped ? journal_bytes_ - dropped : 0;
    CheckJournalLimit();
  });
}

bool Durability::journal_backlogged() const {
  // A failed, sealed or closing writer takes nothing: its queue must not stop anyone (the
  // failure refuses writes instead).
  if (journal_ == nullptr || journal_sealed_ || !write_error_.empty()) return false;
  return pending_bytes_ + journal_->queued_bytes() > JournalQueueBound(shard_.options().maxmemory);
}

const std::string& Durability::write_refusal() const {
  if (!write_error_.empty()) return write_error_;
  if (!journal_full_error_.empty()) return journal_full_error_;
  return reservation_error_;
}

// An LSN is handed out only below the journal's durable reservation (lsn_reservation.h):
// ask the writer to extend it half a step ahead of need, and refuse writes if the engine
// caught up with it (the disk stalled for half a step of writes).
void Durability::CheckLsnReservation() {
  if (journal_ == nullptr || journal_sealed_) {
    reservation_error_.clear();  // no journal: nothing is numbered for it
    return;
  }
  const uint64_t step = options_.lsn_reservation_step;
  if (journal_lsn_ + step / 2 > reserved_lsn_) journal_->Reserve(journal_lsn_ + step);
  if (journal_lsn_ < reserved_lsn_) {
    reservation_error_.clear();
  } else {
    reservation_error_ = "Errors writing to the AOF file: the journal's LSN reservation has not reached the disk";
  }
}

uint64_t Durability::journal_limit() const {
  return options_.journal_max_size > 0 ? options_.journal_max_size * kJournalLimitFactor : kJournalLimitWithoutMaxSize;
}

// Segments are deleted only once a round commits: while rounds fail (a full tier disk,
// RocksDB's background error) the journal would grow until its own disk is full too. Past
// the limit, writes are refused until a round succeeds, as Redis refuses them when it
// cannot persist; reads go on, and the cron keeps retrying rounds.
void Durability::CheckJournalLimit() {
  if (history_.last_round_ok || journal_bytes_ < journal_limit()) {
    if (!journal_full_error_.empty() && options_.log) options_.log("Writes accepted again: a checkpoint round succeeded");
    journal_full_error_.clear();
    return;
  }
  if (journal_full_error_.empty() && options_.warn) {
    options_.warn("The journal reached " + std::to_string(journal_bytes_) + " bytes while checkpoints fail: refusing writes until one succeeds");
  }
  // (The reply writer keeps an error reply on one line.)
  journal_full_error_ = "Errors writing to the AOF file: the journal reached its limit of " +
                        std::to_string(journal_limit()) + " bytes while checkpoints fail (" +
                        history_.last_round_error +
                        "); writes resume once a checkpoint succeeds";
}

void Durability::Cron(int64_t now_ms) {
  if (!write_error_.empty() && now_ms - last_retry_ms_ >= kRetryIntervalMs) {
    last_retry_ms_ = now_ms;
    if (journal_ != nullptr) {
      journal_->Retry();
    } else {
      ReconcileJournal();  // the writer could not be opened: open it again
    }
  }
  if (now_ms - tier_stats_refreshed_ms_ >= kTierStatsIntervalMs) RefreshTierStats(now_ms);
  // tier-max-size against the tier's files as of the last refresh (a CONFIG SET applies at
  // once; deleted values give their space back as the tier compacts).
  const uint64_t max_size = shard_.options().tiering.max_size;
  shard_.set_tier_full(max_size > 0 && tier_stats_.disk_bytes >= max_size);
  shard_.changes().set_max_key_items(DirtyListKeyItems(shard_.options().maxmemory));  // CONFIG SET maxmemory
  if (checkpointer_->in_progress()) return;
  // After a failed round, wait before trying again, as Redis does after a failed BGSAVE.
  if (!history_.last_round_ok && now_ms - last_failed_round_ms_ < kFailedRoundDelayMs) return;
  const uint64_t dirty = shard_.stats().dirty;
  bool start = false;
  for (const SaveRule& rule : options_.save_rules) {
    if (dirty >= rule.changes && now_ms - last_save_ms_ >= rule.seconds * 1000) start = true;
  }
  if (shard_.changes().dirty_bytes() >= DirtyListBound(shard_.options().maxmemory)) start = true;
  if (covering_round_lsn_.has_value()) start = true;  // the journal waits for it
  // DRAM waits for dirty values to be written. With nothing dirty a round writes nothing
  // and frees nothing (what holds the memory is no value a round could make clean: keys,
  // small values, the tier's own index): starting one every cron tick would only log.
  if (shard_.TakeDemotionStarved() && shard_.changes().has_dirty()) start = true;
  // ... or soon will (at most once a second: a trickle of writes near the budget would
  // otherwise flush the tier's memtables after every few keys)
  if (DemotionWantsRound() && now_ms - round_started_ms_ >= kDemotionRoundIntervalMs) start = true;
  if (!journal_full_error_.empty()) start = true;      // only a round frees the journal
  if (journal_ != nullptr && options_.journal_max_size > 0 &&
      journal_bytes_ - std::min(journal_bytes_, journal_bytes_at_round_start_) >= options_.journal_max_size) {
    start = true;
  }
  if (start) StartRound(nullptr);
}

Result<Entry*> Durability::LoadColdValue(int db, const Entry& cold) {
  // On the engine thread: only for what the server could not load ahead of the command
  // (engine/cold_values.h), counted there as a sync load.
  Status injected = read_faults_.BeforeSyncRead();
  auto stored = injected.ok() ? tier_->Get(static_cast<uint32_t>(db), cold.key()) : injected;
  Result<Entry*> loaded = Status::Error("the tier holds no value for this key");
  if (!stored.ok()) {
    loaded = stored.status();
  } else if (stored->has_value() && !(*stored)->tombstone) {
    loaded = EntryFromTier(**stored, shard_.options().limits);
  }
  if (!loaded.ok() && options_.warn) {
    options_.warn("Cold read of a key in db " + std::to_string(db) + " failed: " + loaded.status().message());
  }
  return loaded;
}

Status Durability::SyncJournal() {
  SubmitPending();
  return journal_ != nullptr ? journal_->Flush() : Status::Ok();
}

DurabilityInfo Durability::info() const {
  DurabilityInfo info = history_;
  info.round_in_progress = checkpointer_->in_progress();
  // A round waiting for the journal to open (appendonly yes while the old writer closes)
  // is scheduled too, as Redis reports a rewrite it cannot start yet.
  info.round_scheduled = round_scheduled_ || round_after_open_;
  info.round_is_rewrite = round_is_rewrite_;
  info.round_started_ms = round_started_ms_;
  info.last_save_unix = last_save_ms_ / 1000;
  info.journal_lsn = journal_lsn_;
  info.durable_lsn = synced_lsn_;
  info.journal_bytes = journal_bytes_;
  info.journal_memory_bytes = journal_memory_bytes();
  info.kept_bytes = checkpointer_->held_bytes();
  info.kept_peak_bytes = checkpointer_->held_peak_bytes();
  info.journal_write_ok = write_error_.empty();
  info.dirty_list_items = shard_.changes().dirty_count();
  info.dirty_list_bytes = shard_.changes().dirty_bytes();
  info.round_list_bytes = checkpointer_->list_bytes();
  info.tombstones_pending = checkpointer_->pending_tombstones();
  info.tombstone_bytes = checkpointer_->tombstone_bytes();
  info.tier = tier_stats_;
  return info;
}

void Durability::RefreshTierStats(int64_t now_ms) {
  if (tier_stats_refreshing_) return;  // one in flight is enough
  tier_stats_refreshing_ = true;
  tier_stats_refreshed_ms_ = now_ms;
  auto post = options_.post_to_engine;
  pool_->SubmitRead([this, post] {
    TierStats stats = tier_->stats();
    post([this, stats] {
      tier_stats_ = stats;
      tier_stats_refreshing_ = false;
    });
  });
}

void Durability::ReadFromTier(std::vector<std::pair<uint32_t, std::string>> keys, ReadDone done) {
  auto post = options_.post_to_engine;
  pool_->SubmitRead([this, post, keys = std::move(keys), done = std::move(done)] {
    std::vector<Tier::GetResult> entries;
    if (Status injected = read_faults_.BeforeBackgroundRead(); !injected.ok()) {
      entries.assign(keys.size(), injected);
    } else {
      std::vector<TierKeyName> refs;
      for (const auto& [db, key] : keys) refs.push_back({db, key});
      tier_read_requests_.fetch_add(1, std::memory_order_relaxed);
      tier_read_keys_.fetch_add(refs.size(), std::memory_order_relaxed);
      entries = tier_->MultiGet(refs);
    }
    post([done, entries = std::move(entries)]() mutable { done(std::move(entries)); });
  });
}

}  // namespace tierkv
