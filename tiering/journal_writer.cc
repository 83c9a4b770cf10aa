// The journal writer thread: batching, group commit, everysec timing, failure and Retry().
// See journal_writer.h for the contract.
#include "tiering/journal_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/heap_bytes.h"
#include "engine/memory.h"
#include "tiering/lsn_reservation.h"

namespace tierkv {
namespace {

using Clock = JournalWriter::Clock;

// Under everysec and no, how long the writer gathers submissions after a write before
// writing again (a SIGKILL may lose about this much acknowledged work), and the queue
// length that wakes it early.
constexpr auto kGatherWindow = std::chrono::milliseconds(1);
constexpr size_t kWakeQueueRecords = 8192;

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0 || errno != ENOENT; }

// The first LSN in a segment path's file name, 0 if it is not one.
uint64_t SegmentFirstLsn(const std::string& path) {
  const size_t slash = path.rfind('/');
  uint64_t first_lsn = 0;
  if (!ParseJournalSegmentFileName(slash == std::string::npos ? path : path.substr(slash + 1),
                                   &first_lsn)) {
    return 0;
  }
  return first_lsn;
}

}  // namespace

JournalWriter::JournalWriter(JournalWriterOptions options)
    : options_(std::move(options)), fsync_(options_.fsync) {}

Result<std::unique_ptr<JournalWriter>> JournalWriter::Open(JournalWriterOptions options) {
  std::unique_ptr<JournalWriter> writer(new JournalWriter(std::move(options)));
  Result<std::unique_ptr<SegmentWriter>> segments =
      SegmentWriter::Open({writer->options_.dir, writer->options_.rotate_size});
  if (!segments.ok()) return segments.status();
  writer->segments_ = std::move(segments).value();
  if (!writer->segments_->current_path().empty()) {
    // What recovery left on disk becomes the durable base that Retry() returns to.
    if (Status status = writer->segments_->Sync(); !status.ok()) return status;
    writer->MarkSynced(writer->segments_->size());
  }
  Result<uint64_t> reserved = ReadLsnReservation(writer->options_.dir);
  if (!reserved.ok()) return reserved.status();
  writer->reserved_lsn_ = *reserved;
  const uint64_t step = writer->options_.lsn_reservation_step;
  if (writer->reserved_lsn_ < writer->options_.last_lsn + step / 2) {
    if (Status status = writer->ExtendReservation(writer->options_.last_lsn + step); !status.ok()) {
      return status;
    }
  }
  writer->submitted_lsn_ = writer->options_.last_lsn;
  writer->written_lsn_ = writer->options_.last_lsn;
  writer->synced_lsn_ = writer->options_.last_lsn;
  writer->last_sync_ = Clock::now();
  writer->thread_ = std::thread(&JournalWriter::Run, writer.get());
  // Started whatever the policy: SetFsyncPolicy() may switch to everysec later.
  writer->syncer_ = std::thread(&JournalWriter::RunSyncer, writer.get());
  return writer;
}

JournalWriter::~JournalWriter() { Close(); }

Status JournalWriter::Submit(JournalRecord record) {
  std::vector<JournalRecord> one;
  one.push_back(std::move(record));
  return SubmitBatch(std::move(one));
}

Status JournalWriter::SubmitBatch(std::vector<JournalRecord> records, bool more_coming) {
  Status status;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    for (JournalRecord& record : records) {
      if (closing_ || sealed_) {
        status = Status::Error("ERR journal writer is closed");
        break;
      }
      if (record.lsn <= submitted_lsn_) {
        status = Status::Error("ERR journal LSN " + std::to_string(record.lsn) +
                               " does not exceed the last submitted LSN " +
                               std::to_string(submitted_lsn_));
        break;
      }
      submitted_lsn_ = record.lsn;
      queued_memory_ += EffectRecordHeapBytes(record);
      queue_.push_back(std::move(record));
    }
    if (options_.gather_released) more_coming_ = more_coming;
    // Waking the writer costs a context switch on each side. Under always a reply waits
    // for the batch, so wake it at once, unless it holds the batch for more records still
    // to come; otherwise only an idle writer needs waking (a busy one gathers what arrives
    // for kGatherWindow and comes back for it).
    if (records.empty()) {
      wake = gathering_ && !more_coming_;
    } else if (queue_.size() >= kWakeQueueRecords) {
      wake = true;
    } else if (fsync_ == FsyncPolicy::kAlways) {
      wake = !(gathering_ && more_coming_);
    } else {
      wake = writer_idle_;
    }
  }
  if (wake) work_cv_.notify_one();
  return status;
}

uint64_t JournalWriter::queued_bytes() const {
  std::lock_guard lock(mu_);
  return queued_memory_;
}

void JournalWriter::ExpectNoMore() {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (!more_coming_) return;
    more_coming_ = false;
    wake = gathering_;
  }
  if (wake) work_cv_.notify_one();
}

Status JournalWriter::Flush(uint64_t up_to) {
  std::unique_lock lock(mu_);
  // Once sealed or closing, no record beyond submitted_lsn_ will come: LSNs above it are
  // not the journal's (a checkpoint round may ask for them after appendonly was turned
  // off) and must not be waited for.
  const auto target = [&] {
    const uint64_t wanted = up_to != 0 ? up_to : submitted_lsn_;
    return sealed_ || closing_ ? std::min(wanted, submitted_lsn_) : wanted;
  };
  if (synced_lsn_ >= target()) return Status::Ok();
  if (!failure_.ok()) return failure_;
  if (closed_) return Status::Error("ERR journal writer is closed");
  flush_target_ = std::max(flush_target_, target());
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return synced_lsn_ >= target() || !failure_.ok() || closed_; });
  if (synced_lsn_ >= target()) return Status::Ok();
  if (!failure_.ok()) return failure_;
  return Status::Error("ERR journal writer is closed");
}

void JournalWriter::Rotate() {
  std::lock_guard lock(mu_);
  rotate_requested_ = true;
}

void JournalWriter::Seal() {
  {
    std::lock_guard lock(mu_);
    sealed_ = true;
  }
  done_cv_.notify_all();  // Flush() waiters may be waiting for LSNs that will not come
}

void JournalWriter::SetFsyncPolicy(FsyncPolicy policy) {
  {
    std::lock_guard lock(mu_);
    if (fsync_ == policy) return;
    fsync_ = policy;
    // Replies held under always, or everysec's promise of a sync within the interval,
    // must not wait on the new policy's timing (under no: forever).
    flush_target_ = std::max(flush_target_, submitted_lsn_);
  }
  work_cv_.notify_one();
}

uint64_t JournalWriter::durable_segment_first_lsn() const {
  std::lock_guard lock(mu_);
  return durable_segment_first_lsn_;
}

void JournalWriter::Reserve(uint64_t up_to) {
  {
    std::lock_guard lock(mu_);
    if (up_to <= std::max(reserve_target_, reserved_lsn_)) return;
    reserve_target_ = up_to;
  }
  work_cv_.notify_one();
}

void JournalWriter::Retry() {
  {
    std::lock_guard lock(mu_);
    if (failure_.ok() || closed_) return;
    retry_requested_ = true;
  }
  work_cv_.notify_one();
}

void JournalWriter::Close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closing_ = true;
  }
  work_cv_.notify_one();
  done_cv_.notify_all();  // as for Seal()
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(mu_);
    syncer_stopping_ = true;
  }
  sync_cv_.notify_one();
  if (syncer_.joinable()) syncer_.join();
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  done_cv_.notify_all();
}

JournalWriterStats JournalWriter::stats() const {
  std::lock_guard lock(mu_);
  return {submitted_lsn_, written_lsn_, synced_lsn_, reserved_lsn_, batches_, syncs_, !failure_.ok(),
          gathering_, gathers_, queued_memory_ + batch_memory_ + unsynced_memory_};
}

Status JournalWriter::status() const {
  std::lock_guard lock(mu_);
  return failure_;
}

// ---------------------------------------------------------------------------------------
// The writer thread. Everything below runs on it; mu_ guards only the shared fields.

// True when written records should be synced now, short of appendfsync always (which
// syncs inside WriteBatch). Called with mu_ held.
bool JournalWriter::WakeCondition(Clock::time_point now) const {
  if (retry_requested_ || sync_finished_) return true;
  if (!failure_.ok()) return closing_;
  if (!queue_.empty() || closing_ || reserve_target_ > reserved_lsn_) return true;
  if (written_lsn_ <= synced_lsn_) return false;
  return flush_target_ > synced_lsn_ || BackgroundSyncDue(now);
}

// Whether the background sync should start: everysec's timer, or (everysec and no) the
// unsynced copy at its bound. Called with mu_ held.
bool JournalWriter::BackgroundSyncDue(Clock::time_point now) const {
  if (fsync_ == FsyncPolicy::kAlways || sync_job_.has_value() || written_lsn_ <= synced_lsn_) return false;
  if (unsynced_memory_ >= options_.max_unsynced_bytes) return true;
  return fsync_ == FsyncPolicy::kEverySec && now >= last_sync_ + options_.sync_interval;
}

void JournalWriter::Run() {
  const MemoryAccountedThread accounted;  // it frees the records the engine thread built
  std::unique_lock lock(mu_);
  for (;;) {
    while (!WakeCondition(Clock::now())) {
      const bool timer = fsync_ == FsyncPolicy::kEverySec && failure_.ok() &&
                         written_lsn_ > synced_lsn_ && !sync_job_.has_value();
      writer_idle_ = true;
      if (timer) {
        work_cv_.wait_until(lock, last_sync_ + options_.sync_interval);
      } else {
        work_cv_.wait(lock);
      }
      writer_idle_ = false;
    }
    if (sync_finished_) {
      BookBackgroundSync(lock);
      continue;
    }
    if (retry_requested_) {
      retry_requested_ = false;
      AwaitBackgroundSync(lock);  // Retry rewrites from the last booked sync
      lock.unlock();
      DoRetry();
      lock.lock();
      continue;
    }
    if (!failure_.ok()) break;  // closing while failed: what is queued stays unwritten
    if (reserve_target_ > reserved_lsn_) {
      const uint64_t target = reserve_target_;
      lock.unlock();
      if (Status status = ExtendReservation(target); status.ok()) {
        Report(Status::Ok());
      } else {
        Fail(status);
      }
      lock.lock();
      continue;
    }
    // Start a due sync even while batches keep coming.
    if (!closing_ && BackgroundSyncDue(Clock::now())) StartBackgroundSync(lock);
    if (!queue_.empty()) {
      if (ShouldGather()) {
        GatherForSync(lock);
        continue;  // whatever ended the wait is dealt with first
      }
      gathered_ = false;
      std::vector<JournalRecord> batch;
      batch.swap(queue_);  // queue_ starts again with no capacity
      batch_memory_ = std::exchange(queued_memory_, 0);
      const bool rotate = std::exchange(rotate_requested_, false);
      lock.unlock();
      if (rotate) segments_->RotateAtNextAppend();
      WriteBatch(std::move(batch));
      lock.lock();
      batch_memory_ = 0;
      if (fsync_ != FsyncPolicy::kAlways) {
        // Gather: one write per window under load instead of one per submission.
        work_cv_.wait_for(lock, kGatherWindow, [this] {
          return closing_ || retry_requested_ || sync_finished_ || flush_target_ > synced_lsn_ ||
                 queue_.size() >= kWakeQueueRecords;
        });
      }
      continue;
    }
    if (written_lsn_ > synced_lsn_) {  // a due sync, Flush() or Close()
      if (fsync_ != FsyncPolicy::kAlways && !closing_ && flush_target_ <= synced_lsn_) {
        StartBackgroundSync(lock);
        continue;
      }
      AwaitBackgroundSync(lock);
      if (written_lsn_ <= synced_lsn_) continue;
      lock.unlock();
      SyncWritten();
      lock.lock();
      continue;
    }
    if (closing_) {
      AwaitBackgroundSync(lock);
      break;
    }
  }
}

std::chrono::nanoseconds AlwaysGatherBound(std::chrono::nanoseconds last_fsync) {
  if (last_fsync < kMinFsyncToGather) return std::chrono::nanoseconds::zero();
  return std::min<std::chrono::nanoseconds>(last_fsync / 2, kMaxAlwaysGather);
}

bool JournalWriter::ShouldGather() const {
  return options_.gather_released && fsync_ == FsyncPolicy::kAlways && more_coming_ && !gathered_ &&
         !closing_ && flush_target_ <= synced_lsn_ && queue_.size() < kWakeQueueRecords;
}

void JournalWriter::GatherForSync(std::unique_lock<std::mutex>& lock) {
  gathered_ = true;  // once per batch: the next pass takes it, whatever the hint says
  const Clock::duration bound = options_.hooks.gather_bound ? Clock::duration(options_.hooks.gather_bound())
                                                            : AlwaysGatherBound(last_sync_duration_);
  if (bound <= Clock::duration::zero()) return;
  ++gathers_;
  gathering_ = true;
  work_cv_.wait_until(lock, Clock::now() + bound, [this] {
    return !more_coming_ || closing_ || retry_requested_ || sync_finished_ || flush_target_ > synced_lsn_ ||
           reserve_target_ > reserved_lsn_ || fsync_ != FsyncPolicy::kAlways || queue_.size() >= kWakeQueueRecords;
  });
  gathering_ = false;
}

void JournalWriter::StartBackgroundSync(std::unique_lock<std::mutex>& lock) {
  if (sync_job_.has_value()) return;
  SyncJob job;
  job.fd = ::dup(segments_->fd());
  if (job.fd < 0) {
    lock.unlock();
    SyncWritten();  // no descriptor to spare: sync here instead
    lock.lock();
    return;
  }
  job.lsn = written_lsn_;
  job.size = segments_->size();
  job.path = segments_->current_path();
  job.generation = unsynced_generation_;
  job.unsynced_chunks = unsynced_.size();
  sync_job_ = std::move(job);
  sync_cv_.notify_one();
}

void JournalWriter::AwaitBackgroundSync(std::unique_lock<std::mutex>& lock) {
  if (!sync_job_.has_value()) return;
  work_cv_.wait(lock, [this] { return sync_finished_; });
  BookBackgroundSync(lock);
}

// The writer thread's bookkeeping of a finished background sync: what it covered is
// durable (unless a rotation already made it so), or the writer fails.
void JournalWriter::BookBackgroundSync(std::unique_lock<std::mutex>& lock) {
  SyncJob job = std::move(*sync_job_);
  sync_job_.reset();
  sync_finished_ = false;
  lock.unlock();
  if (!job.status.ok()) {
    Fail(job.status);
    lock.lock();
    return;
  }
  if (job.generation == unsynced_generation_) {
    DropUnsynced(job.unsynced_chunks);
    if (segments_ != nullptr && segments_->current_path() == job.path) MarkSynced(job.size);
  }
  {
    std::lock_guard guard(mu_);
    ++syncs_;
    synced_lsn_ = std::max(synced_lsn_, job.lsn);
    last_sync_ = job.started;
  }
  done_cv_.notify_all();
  Report(Status::Ok());
  lock.lock();
}

void JournalWriter::RunSyncer() {
  const MemoryAccountedThread accounted;
  std::unique_lock lock(mu_);
  for (;;) {
    sync_cv_.wait(lock, [this] { return syncer_stopping_ || (sync_job_.has_value() && !sync_running_ && !sync_finished_); });
    if (!sync_job_.has_value() || sync_finished_) return;  // stopping with nothing to do
    sync_running_ = true;
    const int fd = sync_job_->fd;
    const std::string path = sync_job_->path;
    lock.unlock();
    Status status;
    if (options_.hooks.before_sync) status = options_.hooks.before_sync();
    // The interval counts from when the sync really starts.
    const Clock::time_point started = Clock::now();
    if (status.ok() && ::fdatasync(fd) != 0) status = OsError(path, "fdatasync", errno);
    ::close(fd);
    lock.lock();
    sync_job_->started = started;
    sync_job_->status = status;
    sync_running_ = false;
    sync_finished_ = true;
    work_cv_.notify_one();
  }
}

void JournalWriter::WriteBatch(std::vector<JournalRecord> batch) {
  std::string bytes;
  for (const JournalRecord& record : batch) EncodeRecord(record, &bytes);
  const uint64_t first_lsn = batch.front().lsn;
  const uint64_t last_lsn = batch.back().lsn;
  batch = {};  // the encoded copy is what is kept from here on
  const std::string path_before = segments_->current_path();

  Status status;
  // Rotation fdatasyncs the finished segment: an outstanding background sync of it goes
  // first (see the header comment). If that sync failed, the batch is not written, only
  // kept for Retry().
  if (segments_->RotatesAtNextAppend() && !SettleBackgroundSync()) status = this->status();
  // No record reaches the disk above the reservation (normally the engine asked ahead).
  if (status.ok() && last_lsn > reserved_lsn()) status = ExtendReservation(last_lsn + options_.lsn_reservation_step);
  // Timed with the test hook, which stands for a slow disk.
  const Clock::time_point write_started = Clock::now();
  if (status.ok() && options_.hooks.before_write) status = options_.hooks.before_write(first_lsn);
  if (status.ok()) status = segments_->Append(first_lsn, bytes);
  if (status.ok()) NoteLatency("aof-write", Clock::now() - write_started);

  const bool rotated = status.ok() && segments_->current_path() != path_before;
  if (rotated) {
    // Append synced and closed the previous segment: all before this batch is durable.
    MarkSynced(0);
    DropUnsynced(unsynced_.size());
  }
  // Kept until synced, also when the write failed, so that Retry() can write it again.
  KeepUnsynced(first_lsn, last_lsn, std::move(bytes));
  if (!status.ok()) {
    Fail(status);
    return;
  }

  bool sync_now = false;
  {
    std::lock_guard lock(mu_);
    ++batches_;
    written_lsn_ = last_lsn;
    if (rotated) synced_lsn_ = std::max(synced_lsn_, first_lsn - 1);
    // everysec's timed sync is started by Run() on the syncer thread.
    sync_now = fsync_ == FsyncPolicy::kAlways || flush_target_ > synced_lsn_;
  }
  if (rotated) done_cv_.notify_all();
  if (sync_now) {
    SyncWritten();  // reports
  } else {
    Report(Status::Ok());
  }
}

bool JournalWriter::SettleBackgroundSync() {
  std::unique_lock lock(mu_);
  AwaitBackgroundSync(lock);
  return failure_.ok();
}

void JournalWriter::SyncWritten() {
  if (!SettleBackgroundSync()) return;  // its error is reported; never sync after it
  uint64_t target = 0;
  {
    std::lock_guard lock(mu_);
    target = written_lsn_;  // only this thread changes it
  }
  Status status;
  const Clock::time_point hook_started = Clock::now();  // the latency event counts the hook (a slow disk)
  if (options_.hooks.before_sync) status = options_.hooks.before_sync();
  const Clock::time_point started = Clock::now();
  if (status.ok()) status = segments_->Sync();
  if (!status.ok()) {
    Fail(status);
    return;
  }
  const Clock::time_point ended = Clock::now();
  MarkSynced(segments_->size());
  DropUnsynced(unsynced_.size());
  bool always = false;
  {
    std::lock_guard lock(mu_);
    always = fsync_ == FsyncPolicy::kAlways;
    ++syncs_;
    synced_lsn_ = std::max(synced_lsn_, target);
    last_sync_ = ended;
    last_sync_duration_ = ended - started;
    // The clients this sync releases will be back (see "Gathering under always").
    more_coming_ = options_.gather_released;
  }
  done_cv_.notify_all();
  if (always) NoteLatency("aof-fsync-always", ended - hook_started);
  Report(Status::Ok());
}

void JournalWriter::NoteLatency(const char* event, Clock::duration took) const {
  if (!options_.on_latency) return;
  options_.on_latency(event, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

void JournalWriter::DoRetry() {
  Status status = RestoreDurableState();
  if (!status.ok()) {
    {
      std::lock_guard lock(mu_);
      failure_ = status;
    }
    done_cv_.notify_all();
    Report(status);
    return;
  }
  const bool rewrote = !unsynced_.empty();
  const uint64_t rewritten_last_lsn = rewrote ? unsynced_.back().last_lsn : 0;
  DropUnsynced(unsynced_.size());
  {
    std::lock_guard lock(mu_);
    if (rewrote) {
      written_lsn_ = std::max(written_lsn_, rewritten_last_lsn);
      ++syncs_;
    }
    synced_lsn_ = written_lsn_;
    last_sync_ = Clock::now();
    failure_ = Status::Ok();
  }
  done_cv_.notify_all();
  Report(Status::Ok());
}

// Back to the last durable state on a fresh file descriptor, then the unsynced records
// written again and synced. See the header comment for why and what it guarantees.
Status JournalWriter::RestoreDurableState() {
  segments_.reset();  // never fsync the failed descriptor again
  Result<std::vector<JournalSegmentFile>> listed = ListJournalSegments(options_.dir);
  if (!listed.ok()) return listed.status();
  bool removed = false;
  for (const JournalSegmentFile& segment : *listed) {
    // Segments begun after the last sync hold only unsynced records, which we still have.
    const bool newer = !synced_segment_first_lsn_.has_value() ||
                       segment.first_lsn > *synced_segment_first_lsn_;
    if (!newer) continue;
    if (::unlink(segment.path.c_str()) != 0) return OsError(segment.path, "unlink", errno);
    removed = true;
  }
  if (removed) {
    if (Status status = SyncDirectory(options_.dir); !status.ok()) return status;
  }
  // A round's commit may have dropped the synced segment since it was synced (what it
  // held is in the tier): there is nothing left to cut back then, and the unsynced
  // records go to a segment of their own.
  if (synced_segment_first_lsn_.has_value() && Exists(synced_segment_path_)) {
    if (Status status = JournalScanner::TruncateAt(synced_segment_path_, synced_size_);
        !status.ok()) {
      return status;
    }
  }
  Result<std::unique_ptr<SegmentWriter>> reopened =
      SegmentWriter::Open({options_.dir, options_.rotate_size});
  if (!reopened.ok()) return reopened.status();
  segments_ = std::move(reopened).value();
  return RewriteUnsynced();
}

Status JournalWriter::RewriteUnsynced() {
  if (unsynced_.empty()) return Status::Ok();
  for (const UnsyncedChunk& chunk : unsynced_) {
    Status status;
    if (options_.hooks.before_write) status = options_.hooks.before_write(chunk.first_lsn);
    if (status.ok()) status = segments_->Append(chunk.first_lsn, chunk.bytes);
    if (!status.ok()) return status;
  }
  Status status;
  if (options_.hooks.before_sync) status = options_.hooks.before_sync();
  if (status.ok()) status = segments_->Sync();
  if (!status.ok()) return status;
  MarkSynced(segments_->size());
  return Status::Ok();
}

void JournalWriter::MarkSynced(uint64_t size) {
  synced_segment_path_ = segments_->current_path();
  synced_segment_first_lsn_ = SegmentFirstLsn(synced_segment_path_);
  synced_size_ = size;
  std::lock_guard lock(mu_);
  durable_segment_first_lsn_ = *synced_segment_first_lsn_;
}

void JournalWriter::KeepUnsynced(uint64_t first_lsn, uint64_t last_lsn, std::string bytes) {
  const uint64_t memory = StringHeapBytes(bytes);
  unsynced_.push_back({first_lsn, last_lsn, std::move(bytes)});
  std::lock_guard lock(mu_);
  unsynced_memory_ += memory;
  batch_memory_ = 0;  // the records it was encoded from are gone
}

void JournalWriter::DropUnsynced(size_t chunks) {
  uint64_t freed = 0;
  for (size_t i = 0; i < chunks && !unsynced_.empty(); ++i) {
    freed += StringHeapBytes(unsynced_.front().bytes);
    unsynced_.pop_front();
  }
  if (unsynced_.empty()) {
    std::deque<UnsyncedChunk>().swap(unsynced_);  // the deque's own blocks too
    ++unsynced_generation_;
  }
  std::lock_guard lock(mu_);
  unsynced_memory_ -= std::min(unsynced_memory_, freed);
}

Status JournalWriter::ExtendReservation(uint64_t up_to) {
  if (Status status = WriteLsnReservation(options_.dir, up_to); !status.ok()) return status;
  std::lock_guard lock(mu_);
  reserved_lsn_ = std::max(reserved_lsn_, up_to);
  return Status::Ok();
}

uint64_t JournalWriter::reserved_lsn() const {
  std::lock_guard lock(mu_);
  return reserved_lsn_;
}

void JournalWriter::Fail(Status status) {
  {
    std::lock_guard lock(mu_);
    failure_ = status;
  }
  done_cv_.notify_all();
  Report(status);
}

void JournalWriter::Report(const Status& status) {
  if (!options_.on_progress) return;
  JournalProgress progress;
  {
    std::lock_guard lock(mu_);
    progress = {written_lsn_, synced_lsn_, reserved_lsn_};
  }
  options_.on_progress(progress, status);
}

}  // namespace tierkv
