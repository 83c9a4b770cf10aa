// FakeTier: the Tier (tiering/tier.h) in memory, for tests of what sits above a tier
// (checkpoints, recovery, tiering) without a disk.
//
// What a test can do with it besides the Tier calls:
//   - crash: CrashAndLoseUncommitted() drops every Write() since the last successful
//     Commit(), as a process crash would with RocksTier; ForgetDbChangesSinceCommit()
//     keeps the key writes and drops the erases and swaps of dbs since then, which is
//     what RocksTier shows after a crash that kept some of its uncommitted writes; both
//     drop the stage (WriteStaged), which no crash keeps in part;
//   - fail on demand: FailNextWrites / FailNextCommits / FailNextReads make the next n
//     calls return the given Status and change nothing (a failed Write applies nothing,
//     like a failed atomic batch);
//   - stall on demand: StallWrites() / StallCommits() close a gate that blocks those calls
//     on entry until Release...(); WaitUntilStalled...(n) returns once n calls are held,
//     so a test knows a batch is in flight and can check the engine keeps serving;
//   - count: counters() reports calls, ops and bytes (value bytes read included, so a
//     test can tell that a pass read no value).
// Tombstones are stored without expire or value, as RocksTier stores them, so both
// backends answer alike. Like RocksTier, keys live under a generation per db: EraseDb
// and SwapDb change the db -> generation map, which a Commit records, and a dead
// generation's keys are dropped by the Commit that records it dead.
//
// Thread-safety: every method may be called from any thread; one mutex guards the state.
// A stalled call waits without holding it, so reads go on while writes are held. ForEach
// and ForEachKey visit a copy taken under the mutex, so `visit` may call back into the
// tier.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tiering/tier.h"

namespace tierkv::testing {

struct FakeTierCounters {
  uint64_t writes = 0;         // successful Write() calls
  uint64_t ops = 0;            // batch ops they applied
  uint64_t bytes_written = 0;  // key + value bytes of the entries they put
  uint64_t commits = 0;        // successful Commit() calls
  uint64_t gets = 0;           // Get() calls that reached the data
  uint64_t value_bytes_read = 0;  // value bytes Get() and ForEach() returned
};

class FakeTier final : public Tier {
 public:
  // --- Tier ---
  Status Write(const TierBatch& batch) override { return WriteTo(batch, /*stage=*/false); }

  // The stage is a copy of the live state that the staged writes change; reads keep
  // seeing the live state until a Commit takes the stage as it.
  Status WriteStaged(const TierBatch& batch) override { return WriteTo(batch, /*stage=*/true); }

  Status Commit(uint64_t checkpoint_lsn) override {
    std::unique_lock lock(mu_);
    commit_gate_.PassWhenOpen(lock, cv_);
    if (Status failure = commit_failures_.Take(); !failure.ok()) return failure;
    if (staged_) {
      live_ = std::move(*staged_);
      staged_.reset();
    }
    std::erase_if(live_.entries, [&](const auto& item) { return !live_.Maps(item.first.first); });
    committed_ = live_;
    committed_metadata_.checkpoint_lsn = checkpoint_lsn;
    if (server_state_.has_value()) committed_metadata_.server_state = *server_state_;
    ++counters_.commits;
    return Status::Ok();
  }

  Result<std::optional<TierEntry>> Get(uint32_t db, std::string_view key) override {
    std::lock_guard lock(mu_);
    if (Status failure = read_failures_.Take(); !failure.ok()) return failure;
    ++counters_.gets;
    auto generation = live_.of_db.find(db);
    if (generation == live_.of_db.end()) return std::optional<TierEntry>();
    auto it = live_.entries.find({generation->second, std::string(key)});
    if (it == live_.entries.end()) return std::optional<TierEntry>();
    counters_.value_bytes_read += it->second.value.size();
    TierEntry found = it->second;
    found.db = db;
    return std::optional<TierEntry>(std::move(found));
  }

  Status ForEach(const std::function<Status(TierEntry&&)>& visit) override {
    std::vector<TierEntry> snapshot;
    {
      std::lock_guard lock(mu_);
      if (Status failure = read_failures_.Take(); !failure.ok()) return failure;
      snapshot = live_.Visible();
      for (const TierEntry& entry : snapshot) counters_.value_bytes_read += entry.value.size();
    }
    for (TierEntry& entry : snapshot) {
      if (Status visited = visit(std::move(entry)); !visited.ok()) return visited;
    }
    return Status::Ok();
  }

  Status ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) override {
    std::vector<TierKeyMetadata> snapshot;
    {
      std::lock_guard lock(mu_);
      if (Status failure = read_failures_.Take(); !failure.ok()) return failure;
      for (const TierEntry& entry : live_.Visible()) snapshot.push_back(KeyMetadataOf(entry));
    }
    for (TierKeyMetadata& metadata : snapshot) {
      if (Status visited = visit(std::move(metadata)); !visited.ok()) return visited;
    }
    return Status::Ok();
  }

  void SetServerState(std::string state) override {
    std::lock_guard lock(mu_);
    server_state_ = std::move(state);
  }

  Result<TierMetadata> ReadMetadata() override {
    std::lock_guard lock(mu_);
    if (Status failure = read_failures_.Take(); !failure.ok()) return failure;
    return committed_metadata_;
  }

  TierStats stats() const override {
    std::lock_guard lock(mu_);
    TierStats stats;
    stats.keys = live_.entries.size();
    for (const auto& [where, entry] : live_.entries) stats.memory_bytes += entry.key.size() + entry.value.size();
    for (const auto& [where, entry] : committed_.entries) stats.disk_bytes += entry.key.size() + entry.value.size();
    return stats;
  }

  // --- Test controls ---

  // Reverts to the state of the last successful Commit() (empty if none).
  void CrashAndLoseUncommitted() {
    std::lock_guard lock(mu_);
    live_ = committed_;
    staged_.reset();
  }

  // Reverts the db -> generation map to the last successful Commit() and drops the
  // generations first used since, keeping every other key written since.
  void ForgetDbChangesSinceCommit() {
    std::lock_guard lock(mu_);
    live_.of_db = committed_.of_db;
    staged_.reset();
    std::erase_if(live_.entries, [&](const auto& item) { return item.first.first >= committed_.next; });
  }

  void FailNextWrites(int count, Status status) { Arm(write_failures_, count, std::move(status)); }
  void FailNextCommits(int count, Status status) { Arm(commit_failures_, count, std::move(status)); }
  // Get, ForEach and ReadMetadata.
  void FailNextReads(int count, Status status) { Arm(read_failures_, count, std::move(status)); }

  void StallWrites() { SetGate(write_gate_, true); }
  void ReleaseWrites() { SetGate(write_gate_, false); }
  void StallCommits() { SetGate(commit_gate_, true); }
  void ReleaseCommits() { SetGate(commit_gate_, false); }
  // True once `count` calls wait at the gate; false after `timeout` (so a bug fails the
  // test instead of hanging it).
  bool WaitUntilWritesStalled(int count, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return WaitForGate(write_gate_, count, timeout);
  }
  bool WaitUntilCommitsStalled(int count, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return WaitForGate(commit_gate_, count, timeout);
  }

  FakeTierCounters counters() const {
    std::lock_guard lock(mu_);
    return counters_;
  }

  // Whether staged writes wait for a Commit.
  bool has_stage() const {
    std::lock_guard lock(mu_);
    return staged_.has_value();
  }

 private:
  // By (generation, key); an entry's own db field is set when it is read.
  using Entries = std::map<std::pair<uint32_t, std::string>, TierEntry>;
  struct State {
    Entries entries;
    std::map<uint32_t, uint32_t> of_db;  // db -> generation
    uint32_t next = 0;                   // the next generation to hand out

    bool Maps(uint32_t generation) const {
      return std::any_of(of_db.begin(), of_db.end(), [&](const auto& item) { return item.second == generation; });
    }
    std::optional<uint32_t> GenerationOf(uint32_t db) const {
      auto found = of_db.find(db);
      return found == of_db.end() ? std::nullopt : std::optional<uint32_t>(found->second);
    }
    uint32_t GenerationForWrite(uint32_t db) {
      if (auto found = of_db.find(db); found != of_db.end()) return found->second;
      return of_db[db] = next++;
    }
    // The entries of mapped generations, each with its db.
    std::vector<TierEntry> Visible() const {
      std::vector<TierEntry> visible;
      for (const auto& [db, generation] : of_db) {
        for (auto it = entries.lower_bound({generation, std::string()});
             it != entries.end() && it->first.first == generation; ++it) {
          visible.push_back(it->second);
          visible.back().db = db;
        }
      }
      return visible;
    }
  };

  struct Failures {
    int remaining = 0;
    Status status;
    Status Take() {
      if (remaining == 0) return Status::Ok();
      --remaining;
      return status;
    }
  };

  struct Gate {
    bool closed = false;
    int waiting = 0;
    void PassWhenOpen(std::unique_lock<std::mutex>& lock, std::condition_variable& cv) {
      if (!closed) return;
      ++waiting;
      cv.notify_all();  // WaitForGate counts the waiters
      cv.wait(lock, [this] { return !closed; });
      --waiting;
    }
  };

  Status WriteTo(const TierBatch& batch, bool stage) {
    std::unique_lock lock(mu_);
    write_gate_.PassWhenOpen(lock, cv_);
    if (Status failure = write_failures_.Take(); !failure.ok()) return failure;
    if (stage && !staged_) staged_ = live_;  // (an empty stage if the batch is refused: harmless)
    State& target = staged_ ? *staged_ : live_;  // once staged, every write joins the stage
    // Only SetMetadata can be refused half-way (a key without a value); a batch holding
    // one is applied to a copy, so that a refusal leaves the tier as it was.
    const bool refusable = std::any_of(batch.ops().begin(), batch.ops().end(), [](const TierBatch::Op& op) {
      return op.kind == TierBatch::Kind::kSetMetadata;
    });
    if (refusable) {
      State applied = target;
      if (Status status = ApplyAll(batch, applied); !status.ok()) return status;
      target = std::move(applied);
    } else if (Status status = ApplyAll(batch, target); !status.ok()) {
      return status;
    }
    ++counters_.writes;
    counters_.ops += batch.size();
    return Status::Ok();
  }

  Status ApplyAll(const TierBatch& batch, State& live) {
    for (const TierBatch::Op& op : batch.ops()) {
      if (Status status = Apply(op, live); !status.ok()) return status;
    }
    return Status::Ok();
  }

  Status Apply(const TierBatch::Op& op, State& live) {
    const TierEntry& entry = op.entry;
    switch (op.kind) {
      case TierBatch::Kind::kPut: {
        TierEntry stored = entry;
        if (stored.tombstone) {
          stored.expire_at_ms = kNoExpire;
          stored.value.clear();
        }
        counters_.bytes_written += stored.key.size() + stored.value.size();
        live.entries[{live.GenerationForWrite(entry.db), entry.key}] = std::move(stored);
        break;
      }
      case TierBatch::Kind::kErase:
        if (auto generation = live.GenerationOf(entry.db)) live.entries.erase({*generation, entry.key});
        break;
      case TierBatch::Kind::kEraseDb:
        live.of_db.erase(entry.db);
        break;
      case TierBatch::Kind::kSwapDb: {
        const std::optional<uint32_t> first = live.GenerationOf(entry.db);
        const std::optional<uint32_t> second = live.GenerationOf(op.other_db);
        live.of_db.erase(entry.db);
        live.of_db.erase(op.other_db);
        if (second) live.of_db[entry.db] = *second;
        if (first) live.of_db[op.other_db] = *first;
        break;
      }
      case TierBatch::Kind::kSetMetadata: {
        const std::optional<uint32_t> generation = live.GenerationOf(entry.db);
        auto it = generation ? live.entries.find({*generation, entry.key}) : live.entries.end();
        if (it == live.entries.end() || it->second.tombstone) {
          return Status::Error("ERR fake tier: metadata-only write of db " + std::to_string(entry.db) + " key '" +
                               entry.key + "', which holds no value");
        }
        counters_.bytes_written += entry.key.size();
        it->second.lsn = entry.lsn;
        it->second.expire_at_ms = entry.expire_at_ms;
        break;
      }
    }
    return Status::Ok();
  }

  void Arm(Failures& failures, int count, Status status) {
    std::lock_guard lock(mu_);
    failures = {count, std::move(status)};
  }

  void SetGate(Gate& gate, bool closed) {
    {
      std::lock_guard lock(mu_);
      gate.closed = closed;
    }
    cv_.notify_all();
  }

  bool WaitForGate(Gate& gate, int count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return gate.waiting >= count; });
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  State live_;
  std::optional<State> staged_;  // set from the first WriteStaged to the next Commit
  State committed_;
  TierMetadata committed_metadata_;
  std::optional<std::string> server_state_;  // for the next Commit
  FakeTierCounters counters_;
  Failures write_failures_, commit_failures_, read_failures_;
  Gate write_gate_, commit_gate_;
};

}  // namespace tierkv::testing
