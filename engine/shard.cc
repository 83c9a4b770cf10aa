#include "engine/shard.h"

#include <chrono>
#include <limits>

#include "engine/memory.h"

namespace tierkv {
namespace {

constexpr uint32_t kLruClockMax = (1u << 24) - 1;  // 24-bit, seconds, as Redis's LRU clock
constexpr uint8_t kLfuInitialCounter = 5;          // Redis's LFU_INIT_VAL
constexpr size_t kExpireKeysPerLoop = 20;          // Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP
constexpr size_t kAcceptableStalePercent = 10;     // keep sampling while more are stale
constexpr size_t kRehashBucketsPerHousekeeping = 1000;

uint32_t LruClock(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 1000) & kLruClockMax; }
uint32_t LfuMinutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 1000 / 60) & 0xFFFF; }

}  // namespace

Shard::Shard(EngineOptions options) : options_(options), rng_(std::random_device{}()) {
  for (int i = 0; i < options_.databases; ++i) dbs_.push_back(std::make_unique<Db>(this, i));
  now_ms_ = WallClockMs();
}

Shard::~Shard() = default;

int64_t Shard::WallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void Shard::KeyModified(int db, std::string_view key) {
  ++stats_.dirty;
  changes_.NoteKey(db, key);
  for (KeyspaceObserver* observer : observers_) observer->OnKeyModified(db, key);
}

void Shard::DbChanged(int db) {
  for (KeyspaceObserver* observer : observers_) observer->OnDbChanged(db);
}

void Shard::NoteExpired(int db, std::string_view key) {
  ++stats_.expired_keys;
  for (KeyspaceObserver* observer : observers_) observer->OnKeyRemoved(db, key, RemovalCause::kExpired);
  KeyModified(db, key);
}

bool Shard::lfu_mode() const {
  return options_.policy == EvictionPolicy::kAllKeysLfu || options_.policy == EvictionPolicy::kVolatileLfu;
}

void Shard::InitAccess(Entry* entry) {
  entry->access = lfu_mode() ? (LfuMinutes(now_ms_) << 8) | kLfuInitialCounter : LruClock(now_ms_);
}

uint8_t Shard::LfuCounter(const Entry* entry) const {
  // Decay by one per lfu-decay-time minutes since the last access, as Redis does.
  const uint32_t last = entry->access >> 8;
  const uint32_t now = LfuMinutes(now_ms_);
  const uint32_t elapsed = now >= last ? now - last : 65535 - last + now;
  uint32_t counter = entry->access & 0xFF;
  const uint32_t periods = options_.lfu_decay_time > 0 ? elapsed / static_cast<uint32_t>(options_.lfu_decay_time) : 0;
  counter = periods > counter ? 0 : counter - periods;
  return static_cast<uint8_t>(counter);
}

void Shard::TouchAccess(Entry* entry) {
  if (!touch_enabled_) return;
  if (!lfu_mode()) {
    entry->access = LruClock(now_ms_);
    return;
  }
  uint32_t counter = LfuCounter(entry);
  // Logarithmic increment: the higher the counter, the less likely it grows.
  if (counter < 255) {
    const double base = counter > kLfuInitialCounter ? counter - kLfuInitialCounter : 0;
    const double probability = 1.0 / (base * options_.lfu_log_factor + 1);
    const double roll = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    if (roll < probability) ++counter;
  }
  entry->access = (LfuMinutes(now_ms_) << 8) | counter;
}

void Shard::RestoreAccess(Entry* entry, int64_t idle_seconds, int64_t frequency) const {
  if (lfu_mode()) {
    // Keep the access-time half (minutes), replace the counter byte.
    if (frequency >= 0) entry->access = (LfuMinutes(now_ms_) << 8) | static_cast<uint32_t>(frequency & 0xFF);
    return;
  }
  if (idle_seconds < 0) return;
  const int64_t clock = LruClock(now_ms_);
  int64_t last_access = clock - idle_seconds;
  // An idle time longer than the clock's history: Redis parks the access time
  // half a clock cycle back, the oldest it can express.
  if (last_access < 0) last_access = (clock + kLruClockMax / 2) % kLruClockMax;
  entry->access = static_cast<uint32_t>(last_access);
}

uint32_t Shard::IdleSeconds(const Entry* entry) const {
  const uint32_t now = LruClock(now_ms_);
  const uint32_t last = entry->access & kLruClockMax;
  return now >= last ? now - last : (kLruClockMax - last) + now;
}

void Shard::ActiveExpireCycle(int64_t budget_us) {
  if (!active_expire_enabled_) return;
  const auto start = std::chrono::steady_clock::now();
  const size_t keys_per_loop = kExpireKeysPerLoop + kExpireKeysPerLoop / 4 * static_cast<size_t>(options_.active_expire_effort - 1);
  size_t total_checked = 0;
  size_t total_expired = 0;
  for (int visited = 0; visited < db_count(); ++visited) {
    Db& current = db(expire_db_cursor_);
    expire_db_cursor_ = (expire_db_cursor_ + 1) % db_count();
    while (current.expires_count() > 0) {
      auto [checked, expired] = current.ExpireSample(keys_per_loop, now_ms_, rng_);
      total_checked += checked;
      total_expired += expired;
      const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
      if (elapsed.count() > budget_us) {
        stats_.expire_cycle_cpu_ms += static_cast<uint64_t>(elapsed.count() / 1000);
        return;
      }
      if (checked == 0 || expired * 100 / checked <= kAcceptableStalePercent) break;
    }
  }
  if (total_checked > 0) stats_.expired_stale_perc_x100 = total_expired * 10000 / total_checked;
}

void Shard::HousekeepingStep() {
  // What NoteValuesClean is not told about (a CONFIG SET of tier-min-value-size, say) is
  // found by the cron's next pass.
  NoteValuesClean();
  lazy_free_.ReclaimSlots();
  for (auto& current : dbs_) {
    current->ShrinkIfSparse();
    current->RehashStep(kRehashBucketsPerHousekeeping);
  }
}

bool Shard::OverMaxmemory() const {
  if (options_.maxmemory == 0) return false;
  if (UsedMemory() <= options_.maxmemory) return false;
  return BudgetedMemory() > options_.maxmemory;
}

size_t Shard::BudgetedMemory() const {
  const size_t used = UsedMemory();
  return used - std::min(used, MemoryNotCountedForEvict());
}

double Shard::EvictionScore(const Entry* entry) const {
  switch (options_.policy) {
    case EvictionPolicy::kAllKeysLru:
    case EvictionPolicy::kVolatileLru:
      return IdleSeconds(entry);
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255.0 - LfuCounter(entry);
    case EvictionPolicy::kVolatileTtl:
      return -static_cast<double>(entry->expire_at());
    default:
      return 0;
  }
}

bool Shard::volatile_policy() const {
  return options_.policy == EvictionPolicy::kVolatileLru || options_.policy == EvictionPolicy::kVolatileLfu ||
         options_.policy == EvictionPolicy::kVolatileRandom || options_.policy == EvictionPolicy::kVolatileTtl;
}

bool Shard::PickEvictionVictim(int* db_index, std::string* key) {
  const bool only_volatile = volatile_policy();
  auto sample = [&](Db& current) -> Entry* {
    return only_volatile ? current.RandomVolatileEntry(rng_) : current.RandomEntry(rng_);
  };
  if (options_.policy == EvictionPolicy::kAllKeysRandom || options_.policy == EvictionPolicy::kVolatileRandom) {
    // Random policies: any key of the next non-empty database, round robin.
    for (int visited = 0; visited < db_count(); ++visited) {
      const int index = (eviction_db_cursor_ + visited) % db_count();
      if (Entry* victim = sample(db(index))) {
        eviction_db_cursor_ = (index + 1) % db_count();
        *db_index = index;
        *key = std::string(victim->key());
        return true;
      }
    }
    return false;
  }
  // LRU/LFU/TTL: offer maxmemory-samples keys of every database to the pool,
  // then take the best candidate that still exists (and still has a TTL when
  // the policy is volatile-*).
  for (int index = 0; index < db_count(); ++index) {
    Db& current = db(index);
    if ((only_volatile ? current.expires_count() : current.size()) == 0) continue;
    for (int s = 0; s < options_.maxmemory_samples; ++s) {
      if (Entry* candidate = sample(current)) eviction_pool_.Offer(index, candidate->key(), EvictionScore(candidate));
    }
  }
  while (eviction_pool_.PopBest(db_index, key)) {
    const Entry* entry = db(*db_index).Peek(*key);
    if (entry != nullptr && (!only_volatile || entry->has_expire())) return true;
  }
  return false;
}

Status Shard::EnforceMaxmemory() {
  if (!OverMaxmemory()) return Status::Ok();
  if (demoting()) {
    // Bounded like eviction below; a value is freed at once, so a few usually do.
    constexpr size_t kMaxDemotionsPerCall = 4096;
    if (!demotion_exhausted_ && DemoteColdest(kMaxDemotionsPerCall, options_.maxmemory) > 0) return Status::Ok();
    if (!OverMaxmemory()) return Status::Ok();
    if (!demotion_exhausted_) ++tiering_stats_.demotion_starved;
    demotion_exhausted_ = true;
    demotion_starved_ = true;
    return Status::Ok();
  }
  if (options_.policy == EvictionPolicy::kNoEviction) return Status::OutOfMemory();
  // Bounded so one command never spends unbounded time evicting.
  constexpr int kMaxEvictionsPerCall = 10000;
  std::string key;
  for (int i = 0; i < kMaxEvictionsPerCall && OverMaxmemory(); ++i) {
    int db_index = 0;
    if (!PickEvictionVictim(&db_index, &key)) return Status::OutOfMemory();
    db(db_index).Delete(key, FreeReason::kEviction);
    ++stats_.evicted_keys;
    for (KeyspaceObserver* observer : observers_) observer->OnKeyRemoved(db_index, key, RemovalCause::kEvicted);
    KeyModified(db_index, key);
  }
  // As Redis: only a keyspace with nothing left to evict refuses the command. One that
  // evicted its share and is still over (background threads free memory concurrently,
  // so a second look may differ from the loop's last) lets it run; the next command
  // evicts again.
  return Status::Ok();
}

void Shard::BeforeDbChange(int index) {
  if (pre_change_hook_ == nullptr) return;
  db(index).MakeResidentWhere([&](const Entry& entry) { return ChangeKeepsState(index, entry); });
  pre_change_hook_->BeforeDbChange(index);
}

void Shard::FlushDb(int index, bool lazy) {
  demotion_fence_lsn_ = last_lsn_ + 1;  // see NoteCheckpointCommitted
  BeforeDbChange(index);
  DbChanged(index);
  eviction_pool_.Clear();
  stats_.dirty += db(index).size();
  db(index).Clear(lazy);
  changes_.NoteEmptied(index);
}

void Shard::FlushAll(bool lazy) {
  demotion_fence_lsn_ = last_lsn_ + 1;  // see NoteCheckpointCommitted
  DbChanged(-1);
  eviction_pool_.Clear();
  for (int i = 0; i < db_count(); ++i) {
    BeforeDbChange(i);
    stats_.dirty += db(i).size();
    db(i).Clear(lazy);
  }
  changes_.NoteEmptied(-1);
}

void Shard::SwapDb(int a, int b) {
  // The tier holds cold values under their db's number until a checkpoint round writes
  // the swap, so they are read back before it and no value leaves DRAM until that round
  // has committed.
  auto every = [](const Entry&) { return true; };
  db(a).MakeResidentWhere(every);
  db(b).MakeResidentWhere(every);
  demotion_fence_lsn_ = last_lsn_ + 1;  // see NoteCheckpointCommitted
  BeforeDbChange(a);
  BeforeDbChange(b);
  for (KeyspaceObserver* observer : observers_) observer->OnDbsSwapped(a, b);
  eviction_pool_.Clear();
  db(a).Swap(db(b));
  ++stats_.dirty;
  // One effect, whatever the dbs hold: the tier exchanges them in O(1) as well.
  changes_.NoteSwapped(a, b);
}

size_t Shard::KeyCount() const {
  size_t keys = 0;
  for (const auto& current : dbs_) keys += current->size();
  return keys;
}

size_t Shard::OverheadBytes() const {
  size_t bytes = 0;
  for (const auto& current : dbs_) bytes += current->OverheadBytes();
  return bytes;
}

Status Shard::OlderThanDemoted() { return Status::Corruption("the tier holds an older value than the one that left DRAM"); }

Entry* Shard::LoadColdValue(int db_index, const Entry& cold) {
  ++tiering_stats_.sync_loads;
  Result<Entry*> loaded = cold_loader_ ? cold_loader_(db_index, cold) : Status::Error("no tier to read from");
  if (loaded.ok() && (*loaded)->lsn < cold.cold_locator().value_lsn) {
    Entry::Free(*loaded);
    loaded = OlderThanDemoted();
  }
  if (!loaded.ok()) {
    ++tiering_stats_.load_failures;
    last_load_error_ = loaded.status().message();
    return nullptr;
  }
  ++tiering_stats_.promotions;
  return *loaded;
}

bool Shard::InstallLoadedValue(int db_index, std::string_view key, uint64_t value_lsn, Entry* loaded) {
  Entry* cold = db(db_index).Peek(key);
  // The tier's copy must be at least the state the cold entry left DRAM with: a read that
  // raced a rewrite of the key may have found an older one.
  if (cold == nullptr || !cold->is_cold() || cold->cold_locator().value_lsn != value_lsn || loaded->lsn < value_lsn) {
    Entry::Free(loaded);
    return false;
  }
  db(db_index).Install(cold, loaded);
  ++tiering_stats_.promotions;
  NoteValuesClean();
  return true;
}

size_t Shard::DemoteColdest(size_t max_values, size_t target_bytes) {
  if (!demotion_allowed()) return 0;
  const TieringOptions& tiering = options_.tiering;
  const bool lfu = lfu_mode();
  auto score = [&](const Entry* entry) {
    return lfu ? 255.0 - LfuCounter(entry) : static_cast<double>(IdleSeconds(entry));
  };
  size_t demoted = 0;
  // Sampling rounds with nothing demotable end the call: the rest is dirty or small.
  constexpr int kFruitlessRounds = 8;
  for (int idle_rounds = 0; demoted < max_values && idle_rounds < kFruitlessRounds;) {
    if (target_bytes != 0 && BudgetedMemory() <= target_bytes) break;
    for (int index = 0; index < db_count(); ++index) {
      Db& current = db(index);
      if (current.size() == current.cold_count()) continue;
      // Random draws land on cold entries too: draw more as fewer stay resident, so
      // that each round still sees about maxmemory-samples resident ones.
      constexpr size_t kMaxDraws = 64;
      const size_t resident = current.size() - current.cold_count();
      const size_t draws = std::min(kMaxDraws, static_cast<size_t>(options_.maxmemory_samples) * current.size() / resident);
      for (size_t s = 0; s < draws; ++s) {
        Entry* candidate = current.RandomEntry(rng_);
        if (candidate != nullptr && IsDemotable(*candidate, tiering, now_ms_)) {
          demotion_pool_.Offer(index, candidate->key(), score(candidate));
        }
      }
    }
    int db_index = 0;
    std::string key;
    bool any = false;
    while (demoted < max_values && demotion_pool_.PopBest(&db_index, &key)) {
      Entry* entry = db(db_index).Peek(key);
      if (entry == nullptr || !IsDemotable(*entry, tiering, now_ms_)) continue;
      if (!pinned_.empty() && pinned_.count({db_index, key}) != 0) continue;
      Demote(db_index, entry);
      ++demoted;
      any = true;
      if (target_bytes != 0 && BudgetedMemory() <= target_bytes) break;
    }
    idle_rounds = any ? 0 : idle_rounds + 1;
  }
  return demoted;
}

bool Shard::DemoteUnlessRoom(int db_index, std::string_view key) {
  if (!demotion_allowed()) return false;
  Entry* entry = db(db_index).Peek(key);
  if (entry == nullptr || !IsDemotable(*entry, options_.tiering, now_ms_)) return false;
  // Demotion after the command has already brought memory back under the budget, maybe
  // by dropping others: the question is whether the value fitted in the room left.
  if (BudgetedMemory() + entry->MemoryUsage() <= options_.maxmemory) return false;
  Demote(db_index, entry);
  return true;
}

void Shard::Demote(int db_index, Entry* entry) {
  const size_t bytes = entry->MemoryUsage();
  db(db_index).Demote(entry, bytes);
  ++tiering_stats_.demotions;
  tiering_stats_.demoted_bytes += bytes;
}

size_t Shard::ColdKeyCount() const {
  size_t cold = 0;
  for (const auto& db : dbs_) cold += db->cold_count();
  return cold;
}

}  // namespace tierkv
