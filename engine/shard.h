// Shard: the whole keyspace that one engine thread owns (16 Dbs), its clock,
// statistics, expiry and eviction. A later shared-nothing mode runs N of these.
//
// Thread-safety: engine thread only. Nothing here locks: a command runs to
// completion before the next starts, which is what makes every command atomic.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/change_log.h"
#include "engine/cold_values.h"
#include "engine/db.h"
#include "engine/eviction_pool.h"
#include "engine/lazy_free.h"
#include "engine/pre_change_hook.h"
#include "engine/types/encoding_limits.h"
#include "engine/status.h"

namespace tierkv {

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

// Engine-level settings; the server's config table writes them.
struct EngineOptions {
  int databases = 16;                  // databases (start-up only)
  size_t maxmemory = 0;                // maxmemory: 0 = unlimited (runtime)
  EvictionPolicy policy = EvictionPolicy::kNoEviction;  // maxmemory-policy (runtime)
  int maxmemory_samples = 5;           // maxmemory-samples (runtime)
  int lfu_log_factor = 10;             // lfu-log-factor (runtime)
  int lfu_decay_time = 1;              // lfu-decay-time, minutes (runtime)
  int active_expire_effort = 1;        // active-expire-effort 1..10 (runtime)
  EncodingLimits limits;               // collection encoding thresholds (runtime)
  LazyFreeOptions lazy_free;           // lazyfree-lazy-* (runtime)
  TieringOptions tiering;              // tiering, tier-min-value-size (engine/cold_values.h)
};

// Why a key left the keyspace other than by a command: Redis's "expired" and "evicted".
enum class RemovalCause : uint8_t { kExpired, kEvicted };

// Told about every key change; the server uses it for WATCH, for waking clients
// blocked on a key and for keyspace notifications (and later client tracking).
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  virtual void OnKeyModified(int db, std::string_view key) = 0;
  // Called just before the OnKeyModified of a key that expired or was evicted.
  virtual void OnKeyRemoved(int /*db*/, std::string_view /*key*/, RemovalCause /*cause*/) {}
  // A read command looked `key` up and found nothing.
  virtual void OnKeyMiss(int /*db*/, std::string_view /*key*/) {}
  // Called just before a whole database is emptied (FLUSHDB/FLUSHALL, db == -1 for all).
  virtual void OnDbChanged(int db) = 0;
  // Called just before SWAPDB exchanges two databases.
  virtual void OnDbsSwapped(int a, int b) = 0;
};

struct KeyspaceStats {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_stale_perc_x100 = 0;  // last active cycle's stale estimate
  uint64_t expire_cycle_cpu_ms = 0;
  uint64_t dirty = 0;                   // changes since the last save
};

class Shard {
 public:
  explicit Shard(EngineOptions options);
  ~Shard();

  EngineOptions& options() { return options_; }
  const EngineOptions& options() const { return options_; }
  void add_observer(KeyspaceObserver* observer) { observers_.push_back(observer); }

  int db_count() const { return static_cast<int>(dbs_.size()); }
  Db& db(int index) { return *dbs_[static_cast<size_t>(index)]; }

  // The command clock: set once per command (as Redis caches mstime per
  // command) so a command sees one consistent "now".
  int64_t now_ms() const { return now_ms_; }
  void set_now_ms(int64_t now) { now_ms_ = now; }
  static int64_t WallClockMs();

  // DEBUG SET-ACTIVE-EXPIRE toggles the active cycle only. Lazy expiry applies except
  // while journal effects are replayed: an effect recorded before its key expired (HSET
  // on a hash with a TTL) must apply to that key, not to a new one; the key expires
  // afterwards, as it would have.
  bool expiry_enabled() const { return expiry_enabled_; }
  void set_expiry_enabled(bool enabled) { expiry_enabled_ = enabled; }
  // While clients are paused (CLIENT PAUSE), as in Redis, an expired key reads as
  // missing but is not deleted, so that the dataset does not change under the pause.
  bool expired_deletion_paused() const { return expired_deletion_paused_; }
  void set_expired_deletion_paused(bool paused) { expired_deletion_paused_ = paused; }
  bool active_expire_enabled() const { return active_expire_enabled_; }
  void set_active_expire_enabled(bool enabled) { active_expire_enabled_ = enabled; }

  // Key change notifications; every write op calls KeyModified for each key it changes.
  void KeyModified(int db, std::string_view key);
  // The same, for a write that journals its own effect (engine/change_log.h): a
  // deterministic command naming `key` first, e.g. {"HSET", key, field, value}.
  // `make_effect` runs only while journaling is on.
  template <typename MakeEffect>
  void KeyModifiedBy(int db, std::string_view key, MakeEffect&& make_effect) {
    ++stats_.dirty;
    if (changes_.enabled()) changes_.NoteEffect(db, key, make_effect());
    for (KeyspaceObserver* observer : observers_) observer->OnKeyModified(db, key);
  }
  void DbChanged(int db);
  // Point-in-time checkpoint rounds (engine/pre_change_hook.h); unset, a change costs one
  // test. Db calls BeforeEntryChange itself.
  void set_pre_change_hook(PreChangeHook* hook) { pre_change_hook_ = hook; }
  void BeforeEntryChange(int db, const Entry& entry) {
    if (pre_change_hook_ != nullptr) [[unlikely]] pre_change_hook_->BeforeEntryChange(db, entry);
  }
  void NoteExpired(int db, std::string_view key);
  void NoteHit(bool hit) { hit ? ++stats_.keyspace_hits : ++stats_.keyspace_misses; }
  // A read lookup of `key`: counted as NoteHit, and a miss told to the observers (Redis
  // sends its `keymiss` event from the same place it counts the miss).
  void NoteLookup(int db, std::string_view key, bool hit) {
    NoteHit(hit);
    if (!hit) {
      for (KeyspaceObserver* observer : observers_) observer->OnKeyMiss(db, key);
    }
  }

  // Access statistics (LRU clock or LFU counter, depending on the policy).
  // TouchAccess does nothing while touches are disabled: the dispatcher
  // disables them for the commands of a CLIENT NO-TOUCH client, so no lookup
  // has to be told about that client.
  void TouchAccess(Entry* entry);
  bool touch_enabled() const { return touch_enabled_; }
  void set_touch_enabled(bool enabled) { touch_enabled_ = enabled; }
  void InitAccess(Entry* entry);
  uint32_t IdleSeconds(const Entry* entry) const;
  uint8_t LfuCounter(const Entry* entry) const;
  // RESTORE's IDLETIME / FREQ: only the figure the current policy tracks is set
  // (Redis's objectSetLRUOrLFU); a negative argument leaves it alone.
  void RestoreAccess(Entry* entry, int64_t idle_seconds, int64_t frequency) const;
  bool lfu_mode() const;

  // Expiry and housekeeping, driven by the server's cron. `budget_us` bounds the
  // active expire work per call, as Redis's slow cycle does.
  void ActiveExpireCycle(int64_t budget_us);
  void HousekeepingStep();

  // Evicts under the configured policy until used memory is under maxmemory.
  // Returns OutOfMemory if that is impossible (noeviction or nothing evictable).
  // With tiering on it demotes values instead and never refuses: keys stay, and what
  // cannot be demoted yet (dirty values) waits for the next checkpoint round
  // (demotion_starved() tells the server to start one).
  Status EnforceMaxmemory();
  bool OverMaxmemory() const;
  // Memory that used_memory counts but eviction does not, as Redis's
  // mem_not_counted_for_evict: buffers of the durability layer that evicting keys
  // would not shrink (the journal's queued and unsynced records, the tier's write
  // buffers), each bounded by its owner. Called only when used memory is over
  // maxmemory, so it must be cheap. Unset: nothing is set apart.
  void set_memory_not_counted_for_evict(std::function<size_t()> measure) {
    memory_not_counted_for_evict_ = std::move(measure);
  }
  // used_memory less what is not counted for eviction: what maxmemory bounds.
  size_t BudgetedMemory() const;
  size_t MemoryNotCountedForEvict() const {
    return memory_not_counted_for_evict_ ? memory_not_counted_for_evict_() : 0;
  }

  // Tiering (engine/cold_values.h). The loader reads a cold value back (set by the
  // durability layer, which owns the tier); LoadColdValue counts a synchronous load and
  // returns nullptr if it failed, keeping why for last_load_error().
  void set_cold_loader(ColdLoader loader) { cold_loader_ = std::move(loader); }
  Entry* LoadColdValue(int db, const Entry& cold);
  const std::string& last_load_error() const { return last_load_error_; }
  // A value read back by the server ahead of a command: installed if `key` is still the
  // cold entry whose value was read (locator value_lsn) and `loaded` (stamped with the
  // tier's LSN for it) is not older than that value, else dropped. Returns whether it was
  // installed. Both this and LoadColdValue refuse a tier copy older than the locator's
  // value LSN (OlderThanDemoted): the tier's metadata LSN only ever grows past it (an
  // expiry changed while cold), so an older one is a value from before the demotion.
  bool InstallLoadedValue(int db, std::string_view key, uint64_t value_lsn, Entry* loaded);
  static Status OlderThanDemoted();
  // Demotes up to `max_values` values chosen as eviction would choose keys (LRU or LFU
  // by maxmemory-policy; LRU for the other policies); returns how many. Stops early once
  // BudgetedMemory() is under `target_bytes` (0: no target).
  size_t DemoteColdest(size_t max_values, size_t target_bytes);
  // Demotes `key`'s value now unless the budget had room for it (memory is under
  // maxmemory by at least its size) and if it may leave (IsDemotable): a value read from
  // the tier and not admitted (server/cold_reads.h) goes back once its command has run,
  // rather than pushing out a value used more. Returns whether it left.
  bool DemoteUnlessRoom(int db, std::string_view key);
  // A value read back for clients that have yet to run their commands: demotion leaves it
  // in DRAM until unpinned (server/cold_reads.h). Pins are few: the keys of commands waiting
  // to run.
  void PinResident(int db, std::string_view key) { pinned_.emplace(db, std::string(key)); }
  void UnpinResident(int db, std::string_view key) {
    if (pinned_.erase({db, std::string(key)}) != 0) NoteValuesClean();
  }
  // Demotion is held back from a FLUSHDB, FLUSHALL or SWAPDB until a checkpoint round
  // covering it has committed (the fence is the LSN the change commits with): until then
  // the tier holds the swapped dbs' values under their old numbers, and a round still to
  // write an erase rewrites every key of that db from DRAM, which a cold entry could not.
  void NoteCheckpointCommitted(uint64_t checkpoint_lsn) {
    checkpointed_lsn_ = checkpoint_lsn;
    NoteValuesClean();
  }
  // Tiering is on, with a tier to read cold values back from, and a budget.
  bool demotion_possible() const { return options_.tiering.enabled && cold_loader_ && options_.maxmemory > 0; }
  // The tier has reached tier-max-size (set by the durability layer from the tier's
  // size): values stop leaving DRAM, and maxmemory-policy decides past the budget as
  // without tiering (evict, or answer OOM), until the tier has room again.
  void set_tier_full(bool full) {
    if (tier_full_ && !full) NoteValuesClean();
    tier_full_ = full;
  }
  bool tier_full() const { return tier_full_; }
  // Past the budget, values leave DRAM (rather than keys being evicted).
  bool demoting() const { return demotion_possible() && !tier_full_; }
  bool demotion_allowed() const { return demoting() && checkpointed_lsn_ >= demotion_fence_lsn_; }
  // Set when EnforceMaxmemory found nothing clean to demote; the server reads and clears it.
  bool TakeDemotionStarved() { return std::exchange(demotion_starved_, false); }
  // Values may have become demotable: a checkpoint batch carrying them landed, a stage
  // was committed, a value was read back. A demotion pass that found nothing clean is not
  // repeated before this (or the cron's housekeeping step) says something may have changed:
  // while writers outrun checkpoint rounds, every command would otherwise sample the
  // keyspace for values that cannot be there (a load spent most of its CPU doing so).
  void NoteValuesClean() { demotion_exhausted_ = false; }
  size_t ColdKeyCount() const;
  // Tiering on and memory over maxmemory by more than an eighth: the server makes
  // writers wait (Server::WritersMustWait) rather than answer OOM.
  bool OverTieringHardLimit() const {
    return demoting() && BudgetedMemory() > options_.maxmemory + options_.maxmemory / 8;
  }
  TieringStats& tiering_stats() { return tiering_stats_; }
  const TieringStats& tiering_stats() const { return tiering_stats_; }
  // Whether a point-in-time round would keep `entry`'s state before it changes (a cold
  // entry is then loaded first: engine/pre_change_hook.h).
  bool ChangeKeepsState(int db, const Entry& entry) const {
    return pre_change_hook_ != nullptr && pre_change_hook_->KeepsState(db, entry);
  }

  // `lazy`: the emptied tables are freed on the lazy-freeing thread (ASYNC).
  void FlushDb(int db, bool lazy = false);
  void FlushAll(bool lazy = false);
  // Large values and emptied databases freed in the background (engine/lazy_free.h).
  LazyFreer& lazy_free() { return lazy_free_; }
  const LazyFreer& lazy_free() const { return lazy_free_; }
  void SwapDb(int a, int b);

  // Journal and checkpoint bookkeeping (engine/change_log.h). The server commits after
  // every top-level command and housekeeping step; a record, if any, gets the next LSN.
  ChangeLog& changes() { return changes_; }
  std::optional<EffectRecord> CommitChanges() {
    if (!changes_.has_pending() && server_effects_.empty()) return std::nullopt;
    std::optional<EffectRecord> record = changes_.has_pending() ? changes_.Commit(*this, ++last_lsn_) : std::nullopt;
    if (!record.has_value()) {
      record.emplace();
      record->lsn = ++last_lsn_;
    }
    for (Effect& effect : server_effects_) record->effects.push_back(std::move(effect));
    server_effects_.clear();
    return record;
  }
  // Server-wide state that is not a key (the function libraries, as a FUNCTION DUMP
  // payload): checkpoint rounds record it as of their LSN, and a change journals
  // `effect` (its resulting state) in the record of the command that made it. Without a
  // journal nothing commits, so no effect is noted.
  const std::string& server_state() const { return server_state_; }
  void SetServerState(std::string state, std::optional<Effect> effect) {
    server_state_ = std::move(state);
    if (effect.has_value()) server_effects_.push_back(std::move(*effect));
  }
  // Replay of a journal record: stamps what it changed with the record's own LSN.
  void CommitReplayed(uint64_t lsn) {
    changes_.CommitReplayed(*this, lsn);
    if (lsn > last_lsn_) last_lsn_ = lsn;
  }
  // The LSN of the last committed change (recovery sets where numbering resumes).
  uint64_t last_lsn() const { return last_lsn_; }
  void set_last_lsn(uint64_t lsn) { last_lsn_ = lsn; }

  size_t KeyCount() const;
  size_t OverheadBytes() const;
  KeyspaceStats& stats() { return stats_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  // Chooses the next key to evict; false when nothing is evictable.
  bool PickEvictionVictim(int* db_index, std::string* key);
  double EvictionScore(const Entry* entry) const;
  // Drops a resident entry's value to the tier, counted in the tiering stats.
  void Demote(int db_index, Entry* entry);
  bool volatile_policy() const;
  void BeforeDbChange(int db);

  EngineOptions options_;
  LazyFreer lazy_free_;  // before dbs_: outlives them
  std::vector<std::unique_ptr<Db>> dbs_;
  std::vector<KeyspaceObserver*> observers_;
  std::function<size_t()> memory_not_counted_for_evict_;
  PreChangeHook* pre_change_hook_ = nullptr;
  ChangeLog changes_;
  uint64_t last_lsn_ = 0;
  std::string server_state_;
  std::vector<Effect> server_effects_;
  KeyspaceStats stats_;
  int64_t now_ms_ = 0;
  bool active_expire_enabled_ = true;
  bool expired_deletion_paused_ = false;
  bool expiry_enabled_ = true;
  bool touch_enabled_ = true;
  int expire_db_cursor_ = 0;
  int eviction_db_cursor_ = 0;
  std::mt19937_64 rng_;
  EvictionPool eviction_pool_;
  EvictionPool demotion_pool_;  // apart from eviction's: other candidates, other scores
  ColdLoader cold_loader_;
  std::string last_load_error_;
  bool tier_full_ = false;
  std::set<std::pair<int, std::string>> pinned_;
  TieringStats tiering_stats_;
  uint64_t checkpointed_lsn_ = 0;
  uint64_t demotion_fence_lsn_ = 0;
  bool demotion_starved_ = false;
  bool demotion_exhausted_ = false;  // see NoteValuesClean
};

}  // namespace tierkv
