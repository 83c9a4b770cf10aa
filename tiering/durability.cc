#include "tiering/durability.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "tiering/dump_payload.h"
#include "tiering/journal_segment.h"

namespace tierkv {
namespace {

constexpr int64_t kRetryIntervalMs = 1000;     // journal Retry() after an error
constexpr int64_t kFailedRoundDelayMs = 5000;  // Redis's CONFIG_BGSAVE_RETRY_DELAY

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

// 0 if the file cannot be examined (it only feeds the journal-size trigger).
uint64_t FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
}

}  // namespace

Durability::Durability(Shard& shard, std::unique_ptr<Tier> tier, DurabilityOptions options)
    : shard_(shard), tier_(std::move(tier)), options_(std::move(options)), pool_(std::make_unique<TierIoPool>()) {
  // Completions posted to the engine thread run only while this object lives.
  std::weak_ptr<bool> alive = alive_;
  auto outer_post = options_.post_to_engine;
  options_.post_to_engine = [alive, outer_post](std::function<void()> task) {
    outer_post([alive, task = std::move(task)] {
      if (auto still = alive.lock(); still && *still) task();
    });
  };
}

Result<std::unique_ptr<Durability>> Durability::Open(Shard& shard, std::unique_ptr<Tier> tier,
                                                     DurabilityOptions options) {
  std::unique_ptr<Durability> durability(new Durability(shard, std::move(tier), std::move(options)));
  Durability& self = *durability;
  shard.changes().set_enabled(true);
  shard.changes().set_state_encoder([](const Entry& entry) { return DumpEntry(entry); });

  RecoveryOptions recovery;
  recovery.journal_dir = self.JournalDir();
  recovery.apply = self.options_.apply;
  recovery.log = self.options_.log;
  auto report = Recover(shard, *self.tier_, recovery);
  if (!report.ok()) return report.status();
  self.recovery_ = std::move(*report);
  self.history_.checkpoint_lsn = self.recovery_.checkpoint_lsn;
  self.history_.loaded_keys = self.recovery_.keys_loaded;

  CheckpointerOptions checkpoints;
  checkpoints.post_to_engine = self.options_.post_to_engine;
  // Records up to `lsn` may still be pending on the engine thread: Flush(lsn) waits for
  // them to arrive and be synced.
  checkpoints.make_journal_durable = [&self](uint64_t lsn) {
    return self.journal_ != nullptr ? self.journal_->Flush(lsn) : Status::Ok();
  };
  checkpoints.drop_journal_below = [&self](uint64_t lsn) { self.DropJournalBelow(lsn); };
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
    Status opened = self.OpenJournal(shard.last_lsn());
    if (!opened.ok()) return opened;
  }
  self.last_save_ms_ = NowMs();
  shard.set_memory_not_counted_for_evict([&self] { return self.MemoryNotCountedForEvict(); });
  return durability;
}

Status Durability::OpenJournal(uint64_t last_lsn) {
  JournalWriterOptions journal;
  journal.dir = JournalDir();
  journal.rotate_size = options_.journal_segment_size;
  journal.fsync = options_.fsync;
  journal.last_lsn = last_lsn;
  // Only errors, and syncs that matter, cross to the engine thread: under everysec and no
  // nothing waits for the sync, so one report per second is plenty.
  auto post = options_.post_to_engine;
  const bool every_report = options_.fsync == FsyncPolicy::kAlways;
  journal.on_progress = [this, post, every_report, reported_synced = uint64_t{0}, failed = false](
                            JournalProgress progress, const Status& status) mutable {
    if (!every_report && status.ok() && !failed && progress.synced_lsn <= reported_synced) return;
    reported_synced = progress.synced_lsn;
    failed = !status.ok();
    post([this, progress, status] { OnJournalProgress(progress, status); });
  };
  auto writer = JournalWriter::Open(std::move(journal));
  if (!writer.ok()) return writer.status();
  journal_ = std::move(*writer);
  return Status::Ok();
}

Durability::~Durability() {
  shard_.set_memory_not_counted_for_evict(nullptr);
  SubmitPending();
  *alive_ = false;
  pool_->Drain();
  if (journal_ != nullptr) journal_->Close();
}

uint64_t Durability::CommitChanges() {
  auto record = shard_.CommitChanges();
  if (!record.has_value()) return 0;
  const uint64_t lsn = record->lsn;
  journal_lsn_ = lsn;
  if (journal_ == nullptr) {
    synced_lsn_ = lsn;
    return lsn;
  }
  const uint64_t bytes = RecordBytes(*record);
  journal_bytes_ += bytes;
  pending_bytes_ += bytes;
  pending_.push_back(std::move(*record));
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
  if (pending_.empty() || journal_ == nullptr) return;
  std::vector<EffectRecord> records;
  records.swap(pending_);
  pending_bytes_ = 0;
  Status submitted = journal_->SubmitBatch(std::move(records));
  if (!submitted.ok() && options_.warn) {
    // Only after Close() or for an LSN out of order (a bug): the change stands in DRAM but
    // cannot be journaled.
    options_.warn("The journal refused a record: " + submitted.message());
  }
}

uint64_t Durability::durable_lsn() const { return holds_replies() ? synced_lsn_ : journal_lsn_; }

void Durability::OnJournalProgress(JournalProgress progress, const Status& status) {
  if (!status.ok()) {
    if (write_error_.empty() && options_.warn) options_.warn("Error writing the journal: " + status.message());
    write_error_ = "Errors writing to the AOF file: " + ReasonOf(status);
    return;
  }
  if (!write_error_.empty()) {
    if (options_.log) options_.log("Journal writes resumed after the error was cleared");
    write_error_.clear();
  }
  if (progress.synced_lsn > synced_lsn_) {
    synced_lsn_ = progress.synced_lsn;
    if (holds_replies() && options_.on_durable) options_.on_durable(synced_lsn_);
  }
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
  return checkpointer_->Start([this](const CheckpointResult& result) { OnRoundDone(result); });
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
  history_.last_round_seconds = seconds;
  history_.last_checkpoint_keys = result.keys;
  history_.last_checkpoint_bytes = result.bytes;
  history_.last_checkpoint_ms = result.duration_ms;
  if (round_is_rewrite_) {
    ++history_.rewrites;
    history_.last_rewrite_ok = result.status.ok();
    history_.last_rewrite_seconds = seconds;
    history_.consecutive_rewrite_failures = result.status.ok() ? 0 : history_.consecutive_rewrite_failures + 1;
  }
  if (result.status.ok()) {
    ++history_.rounds;
    history_.checkpoint_lsn = result.lsn;
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
  std::vector<RoundDone> waiters;
  waiters.swap(round_waiters_);
  for (RoundDone& waiter : waiters) waiter(result.status);
  if (round_scheduled_ && !checkpointer_->in_progress()) {
    round_scheduled_ = false;
    StartRound(nullptr, scheduled_is_rewrite_);
  }
}

void Durability::ScheduleRound(bool rewrite) {
  round_scheduled_ = true;
  scheduled_is_rewrite_ = rewrite;
}

Status Durability::SetJournal(bool enabled, FsyncPolicy fsync) {
  const bool was_enabled = journal_ != nullptr;
  if (enabled == was_enabled && fsync == options_.fsync) return Status::Ok();
  SubmitPending();
  if (journal_ != nullptr) {
    journal_->Close();
    journal_.reset();
    write_error_.clear();
    synced_lsn_ = journal_lsn_;
    if (options_.on_durable) options_.on_durable(synced_lsn_);
  }
  options_.journal = enabled;
  options_.fsync = fsync;
  if (!enabled) return Status::Ok();
  Status opened = OpenJournal(shard_.last_lsn());
  if (!opened.ok()) return opened;
  if (!was_enabled && !checkpointer_->in_progress()) StartRound(nullptr, true);
  return Status::Ok();
}

void Durability::DropJournalBelow(uint64_t lsn) {
  // Runs on the I/O pool. A segment holds only records <= lsn when the next segment
  // starts at or below lsn + 1; the newest segment is the writer's and always stays.
  const std::string dir = JournalDir();
  auto segments = ListJournalSegments(dir);
  if (!segments.ok()) return;
  uint64_t dropped = 0;
  for (size_t i = 0; i + 1 < segments->size(); ++i) {
    if ((*segments)[i + 1].first_lsn > lsn + 1) break;
    const uint64_t size = FileSize((*segments)[i].path);
    if (::unlink((*segments)[i].path.c_str()) == 0) dropped += size;
  }
  if (dropped == 0) return;
  (void)SyncDirectory(dir);
  options_.post_to_engine([this, dropped] { journal_bytes_ = journal_bytes_ > dropped ? journal_bytes_ - dropped : 0; });
}

void Durability::Cron(int64_t now_ms) {
  tier_write_buffer_bytes_ = tier_->stats().write_buffer_bytes;
  if (journal_ != nullptr && !write_error_.empty() && now_ms - last_retry_ms_ >= kRetryIntervalMs) {
    last_retry_ms_ = now_ms;
    journal_->Retry();
  }
  if (checkpointer_->in_progress()) return;
  // After a failed round, wait before trying again, as Redis does after a failed BGSAVE.
  if (!history_.last_round_ok && now_ms - last_failed_round_ms_ < kFailedRoundDelayMs) return;
  const uint64_t dirty = shard_.stats().dirty;
  bool start = false;
  for (const SaveRule& rule : options_.save_rules) {
    if (dirty >= rule.changes && now_ms - last_save_ms_ >= rule.seconds * 1000) start = true;
  }
  if (shard_.changes().dirty_bytes() >= DirtyListBound(shard_.options().maxmemory)) start = true;
  if (journal_ != nullptr && options_.journal_max_size > 0 &&
      journal_bytes_ - std::min(journal_bytes_, journal_bytes_at_round_start_) >= options_.journal_max_size) {
    start = true;
  }
  if (start) StartRound(nullptr);
}

Status Durability::SyncJournal() {
  SubmitPending();
  return journal_ != nullptr ? journal_->Flush() : Status::Ok();
}

DurabilityInfo Durability::info() const {
  DurabilityInfo info = history_;
  info.round_in_progress = checkpointer_->in_progress();
  info.round_scheduled = round_scheduled_;
  info.round_is_rewrite = round_is_rewrite_;
  info.round_started_ms = round_started_ms_;
  info.last_save_unix = last_save_ms_ / 1000;
  info.journal_lsn = journal_lsn_;
  info.durable_lsn = synced_lsn_;
  info.journal_bytes = journal_bytes_;
  info.journal_write_ok = write_error_.empty();
  info.tier = tier_->stats();
  return info;
}

}  // namespace tierkv
