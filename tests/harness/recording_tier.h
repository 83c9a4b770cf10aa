// RecordingTier: a Tier that forwards to another (normally a FakeTier, which keeps its
// failure and stall injection) and remembers every batch that was applied and where each
// successful Commit fell among them.
//
// Two uses:
//   - tests look at what a checkpoint round wrote, batch by batch (sizes, keys, order,
//     the LSNs inside);
//   - crash tests build the tier a crash would leave behind: CrashImage(kept) is a fresh
//     FakeTier holding everything up to the last successful Commit plus the first `kept`
//     batches written after it. kept = 0 is FakeTier::CrashAndLoseUncommitted; keeping
//     some or all of them is what RocksDB without its WAL may do (memtables flushed in
//     order, a WriteBatch all or nothing). A staged batch (WriteStaged) and every batch
//     after it up to the commit are never kept: the stage is all or nothing.
//
// Hooks (set before the tier is in use) run on the calling thread (the tier I/O pool)
// at the entry of Write and Commit and after a successful Commit: a test takes crash
// images at exactly those points, or wakes its engine loop there.
//
// Thread-safety: every method may be called from any thread; one mutex guards the log.
// The forwarded call runs outside it, so a stalled inner Write does not block readers.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "harness/fake_tier.h"
#include "tiering/tier.h"

namespace tierkv::testing {

class RecordingTier final : public Tier {
 public:
  explicit RecordingTier(Tier& inner) : inner_(inner) {}

  // Called with the number of batches applied so far.
  std::function<void(size_t batches_applied)> before_write;
  std::function<void(uint64_t checkpoint_lsn)> before_commit;
  std::function<void(uint64_t checkpoint_lsn)> after_commit;

  Status Write(const TierBatch& batch) override { return Forward(batch, /*staged=*/false); }
  Status WriteStaged(const TierBatch& batch) override { return Forward(batch, /*staged=*/true); }

  Status Commit(uint64_t checkpoint_lsn) override {
    if (before_commit) before_commit(checkpoint_lsn);
    Status status;
    {
      std::lock_guard write_lock(write_mu_);
      status = inner_.Commit(checkpoint_lsn);
      if (status.ok()) {
        std::lock_guard lock(mu_);
        committed_batches_ = batches_.size();
        first_staged_ = kNoStage;
        committed_lsn_ = checkpoint_lsn;
        commit_lsns_.push_back(checkpoint_lsn);
      }
    }
    if (status.ok() && after_commit) after_commit(checkpoint_lsn);
    return status;
  }

  Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) override { return inner_.Get(db, key); }
  Status ForEach(const std::function<Status(TierEntry&&)>& visit) override { return inner_.ForEach(visit); }
  Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) override {
    return inner_.ForEachKey(visit);
  }
  Result<TierMetadata> ReadMetadata() override { return inner_.ReadMetadata(); }
  TierStats stats() const override { return inner_.stats(); }

  // --- What was recorded ---

  std::vector<TierBatch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  size_t batch_count() const {
    std::lock_guard lock(mu_);
    return batches_.size();
  }
  // Batches applied since the last successful Commit.
  size_t uncommitted_batches() const {
    std::lock_guard lock(mu_);
    return batches_.size() - committed_batches_;
  }
  // The checkpoint LSN of the last successful Commit (0 before any).
  uint64_t committed_lsn() const {
    std::lock_guard lock(mu_);
    return committed_lsn_;
  }
  std::vector<uint64_t> commit_lsns() const {
    std::lock_guard lock(mu_);
    return commit_lsns_;
  }

  // The tier a crash at this moment leaves: the committed state plus the key writes of
  // the first `kept` uncommitted batches (clamped to those that exist), their db erases
  // and swaps forgotten as RocksTier forgets them. Its metadata is the last commit's.
  std::unique_ptr<FakeTier> CrashImage(size_t kept) const {
    std::lock_guard lock(mu_);
    auto image = std::make_unique<FakeTier>();
    for (size_t i = 0; i < committed_batches_; ++i) Must(image->Write(batches_[i]));
    Must(image->Commit(committed_lsn_));
    const size_t end = std::min({batches_.size(), committed_batches_ + kept, first_staged_});
    for (size_t i = committed_batches_; i < end; ++i) Must(image->Write(batches_[i]));
    image->ForgetDbChangesSinceCommit();
    return image;
  }

 private:
  static constexpr size_t kNoStage = static_cast<size_t>(-1);

  Status Forward(const TierBatch& batch, bool staged) {
    if (before_write) before_write(batch_count());
    // Logged under the lock together with the forwarded call, so that the log order is
    // the order the inner tier applied the batches in.
    std::lock_guard write_lock(write_mu_);
    Status status = staged ? inner_.WriteStaged(batch) : inner_.Write(batch);
    if (status.ok()) {
      std::lock_guard lock(mu_);
      if (staged && first_staged_ == kNoStage) first_staged_ = batches_.size();
      batches_.push_back(batch);
    }
    return status;
  }

  static void Must(const Status& status) {
    if (!status.ok()) throw std::runtime_error("RecordingTier image: " + status.message());
  }

  Tier& inner_;
  std::mutex write_mu_;  // serialises forwarded writes and commits with their logging
  mutable std::mutex mu_;
  std::vector<TierBatch> batches_;
  size_t committed_batches_ = 0;
  size_t first_staged_ = kNoStage;  // index of the first staged batch since the last commit
  uint64_t committed_lsn_ = 0;
  std::vector<uint64_t> commit_lsns_;
};

}  // namespace tierkv::testing
