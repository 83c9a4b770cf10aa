#include "tiering/pmem/pmem_tier.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

namespace tierkv {
namespace {

// libpmemobj type numbers of our objects (the root has its own).
constexpr uint64_t kKeyRecordType = 1;
constexpr uint64_t kValueType = 2;
constexpr uint64_t kBlobType = 3;
constexpr uint64_t kReserveType = 4;

struct PmemTierRoot {
  uint64_t pool_version;     // 0 until the pool is stamped
  uint64_t checkpoint_lsn;
  uint64_t committed_round;  // the last stage round whose commit completed
  uint64_t reserved;
  PMEMoid generations;       // blob: EncodeTierGenerations; OID_NULL: none yet
  PMEMoid server_state;      // blob; OID_NULL: empty
};

constexpr uint8_t kTombstoneFlag = 1;
constexpr uint8_t kEraseFlag = 2;  // a staged erase: once committed, the key is gone

// A key record; the key bytes follow it.
struct PmemKeyRecord {
  uint64_t round;  // the stage round that wrote it, 0 outside a stage
  uint64_t lsn;
  int64_t expire_at_ms;
  uint64_t value_size;
  PMEMoid value;  // value_size bytes; OID_NULL when there are none
  uint32_t generation;
  uint32_t key_size;
  uint8_t flags;
  uint8_t value_type;
  uint8_t reserved[6];
};
static_assert(sizeof(PmemKeyRecord) == 64);

struct PmemBlob {
  uint64_t size;  // the bytes follow
};

PmemTierRoot* RootOf(PMEMoid root) { return static_cast<PmemTierRoot*>(pmemobj_direct(root)); }
PmemKeyRecord* RecordOf(PMEMoid record) { return static_cast<PmemKeyRecord*>(pmemobj_direct(record)); }
std::string_view KeyOf(const PmemKeyRecord* record) {
  return {reinterpret_cast<const char*>(record + 1), record->key_size};
}
std::string_view ValueOf(const PmemKeyRecord* record) {
  if (record->value_size == 0) return {};
  return {static_cast<const char*>(pmemobj_direct(record->value)), record->value_size};
}
bool IsErase(const PmemKeyRecord* record) { return (record->flags & kEraseFlag) != 0; }

TierKeyMetadata MetadataOf(uint32_t db, const PmemKeyRecord* record) {
  TierKeyMetadata metadata;
  metadata.db = db;
  metadata.key = std::string(KeyOf(record));
  metadata.lsn = record->lsn;
  metadata.tombstone = (record->flags & kTombstoneFlag) != 0;
  if (!metadata.tombstone) {
    metadata.expire_at_ms = record->expire_at_ms;
    metadata.value_size = record->value_size;
    metadata.value_type = record->value_type;
  }
  return metadata;
}

Result<TierEntry> EntryOf(uint32_t db, const PmemKeyRecord* record) {
  return JoinTierEntry(MetadataOf(db, record), ValueOf(record));
}

// Bytes the pool gives a record and its value.
uint64_t ObjectBytes(PMEMoid record) {
  const PmemKeyRecord* header = RecordOf(record);
  uint64_t bytes = pmemobj_alloc_usable_size(record);
  if (!OID_IS_NULL(header->value)) bytes += pmemobj_alloc_usable_size(header->value);
  return bytes;
}

// DRAM per indexed key besides its bytes: the hash node, the string, the record handle.
constexpr uint64_t kIndexBytesPerKey = 96;

Result<std::string> ReadBlob(PMEMoid blob, const char* what) {
  if (OID_IS_NULL(blob)) return std::string();
  if (pmemobj_type_num(blob) != kBlobType) return Status::Corruption(std::string("pool ") + what + " has a wrong type");
  const auto* header = static_cast<const PmemBlob*>(pmemobj_direct(blob));
  if (pmemobj_alloc_usable_size(blob) < sizeof(PmemBlob) + header->size) {
    return Status::Corruption(std::string("pool ") + what + " is longer than its object");
  }
  return std::string(reinterpret_cast<const char*>(header + 1), header->size);
}

// Replaces the blob at `slot` (in the root: snapshotted by the caller) with `bytes`.
Status WriteBlob(PmemTransaction& tx, PMEMoid* slot, std::string_view bytes) {
  if (Status freed = tx.Free(*slot); !freed.ok()) return freed;
  *slot = OID_NULL;
  if (bytes.empty()) return Status::Ok();
  auto blob = tx.Alloc(sizeof(PmemBlob) + bytes.size(), kBlobType);
  if (!blob.ok()) return blob.status();
  auto* header = static_cast<PmemBlob*>(pmemobj_direct(*blob));
  header->size = bytes.size();
  std::memcpy(header + 1, bytes.data(), bytes.size());
  *slot = *blob;
  return Status::Ok();
}

// A new record (and value object) in `tx`.
struct RecordFields {
  uint64_t round = 0;
  uint32_t generation = 0;
  std::string_view key;
  uint64_t lsn = 0;
  uint8_t flags = 0;
  int64_t expire_at_ms = kNoExpire;
  std::string_view value;
};
Result<PMEMoid> NewRecord(PmemTransaction& tx, const RecordFields& fields) {
  if (fields.key.size() > std::numeric_limits<uint32_t>::max()) return Status::Error("key too long for the tier");
  PMEMoid value = OID_NULL;
  if (!fields.value.empty()) {
    auto allocated = tx.Alloc(fields.value.size(), kValueType);
    if (!allocated.ok()) return allocated.status();
    value = *allocated;
    std::memcpy(pmemobj_direct(value), fields.value.data(), fields.value.size());
  }
  auto allocated = tx.Alloc(sizeof(PmemKeyRecord) + fields.key.size(), kKeyRecordType);
  if (!allocated.ok()) return allocated.status();
  PmemKeyRecord* record = RecordOf(*allocated);
  record->round = fields.round;
  record->lsn = fields.lsn;
  record->expire_at_ms = fields.expire_at_ms;
  record->value_size = fields.value.size();
  record->value = value;
  record->generation = fields.generation;
  record->key_size = static_cast<uint32_t>(fields.key.size());
  record->flags = fields.flags;
  record->value_type = fields.value.empty() ? 0 : static_cast<uint8_t>(fields.value[0]);
  std::memset(record->reserved, 0, sizeof(record->reserved));
  std::memcpy(record + 1, fields.key.data(), fields.key.size());
  return *allocated;
}

Status FreeRecord(PmemTransaction& tx, PMEMoid record) {
  if (Status freed = tx.Free(RecordOf(record)->value); !freed.ok()) return freed;
  return tx.Free(record);
}

// Records freed per transaction when cleaning up (bounds the undo log).
constexpr size_t kFreesPerTransaction = 512;

}  // namespace

// What one batch changes, applied to the DRAM index once its transaction committed.
struct PmemTier::Pending {
  TierGenerations generations;
  // generation -> key -> the new record, or OID_NULL: the key left the index written to.
  GenerationIndex changes;
  std::vector<PMEMoid> freed;  // records freed in the transaction (for the figures)
};

PmemTier::PmemTier(std::unique_ptr<PmemPool> pool) : pool_(std::move(pool)) {}

PmemTier::~PmemTier() = default;

Result<std::unique_ptr<PmemTier>> PmemTier::Open(const PmemTierOptions& options) {
  auto pool = PmemPool::OpenOrCreate(options.path, kPmemTierLayout, options.create_if_missing ? options.pool_size : 0);
  if (!pool.ok()) return pool.status();
  std::unique_ptr<PmemTier> tier(new PmemTier(std::move(*pool)));
  if (Status loaded = tier->Load(options); !loaded.ok()) return loaded;
  return tier;
}

Status PmemTier::Load(const PmemTierOptions& options) {
  auto root = pool_->Root(sizeof(PmemTierRoot));
  if (!root.ok()) return root.status();
  root_ = *root;
  log_ = options.log;
  // (Sizes between a run and a chunk behave badly in small pools: measured on 1.12, a 128 KiB
  // object in an 8 MiB pool left no room for 64 KiB ones.)
  reserve_bytes_ = pool_->size() < (64u << 20) ? 64u << 10 : 1u << 20;
  PmemTierRoot* fields = RootOf(root_);
  if (fields->pool_version == 0) {
    // A new pool (or one whose creation a crash cut short, holding nothing yet).
    PmemTransaction tx(pool_->get());
    if (Status begun = tx.Begin(); !begun.ok()) return begun;
    if (Status logged = tx.Snapshot(fields, sizeof(*fields)); !logged.ok()) return logged;
    fields->pool_version = options.pool_version;
    if (Status done = tx.Commit(); !done.ok()) return done;
  } else if (fields->pool_version != options.pool_version) {
    return Status::Corruption("persistent-memory pool " + pool_->path() + " has pool version " +
                              std::to_string(fields->pool_version) + "; this server reads version " +
                              std::to_string(options.pool_version));
  }
  auto encoded = ReadBlob(fields->generations, "generation map");
  if (!encoded.ok()) return encoded.status();
  if (!encoded->empty()) {
    auto decoded = DecodeTierGenerations(*encoded);
    if (!decoded.ok()) return decoded.status();
    generations_ = std::move(*decoded);
  }
  committed_round_ = fields->committed_round;

  // The index: every key record, resolved against the last commit.
  std::set<uint32_t> mapped;
  for (const auto& [db, generation] : generations_.of_db) mapped.insert(generation);
  std::vector<PMEMoid> drop;
  uint64_t uncommitted = 0;
  std::vector<PMEMoid> extra_reserves;
  for (PMEMoid oid = pmemobj_first(pool_->get()); !OID_IS_NULL(oid); oid = pmemobj_next(oid)) {
    if (pmemobj_type_num(oid) == kReserveType) {
      (OID_IS_NULL(reserve_) ? reserve_ : extra_reserves.emplace_back()) = oid;
      continue;
    }
    if (pmemobj_type_num(oid) != kKeyRecordType) continue;
    const PmemKeyRecord* record = RecordOf(oid);
    if (pmemobj_alloc_usable_size(oid) < sizeof(PmemKeyRecord) + record->key_size ||
        (record->value_size > 0 &&
         (OID_IS_NULL(record->value) || pmemobj_alloc_usable_size(record->value) < record->value_size))) {
      return Status::Corruption("persistent-memory pool " + pool_->path() + " holds a damaged key record");
    }
    if (record->round > committed_round_) {  // a stage whose commit never came
      ++uncommitted;
      drop.push_back(oid);
      continue;
    }
    if (!mapped.contains(record->generation)) {  // a db erased, or first used after the last commit
      drop.push_back(oid);
      continue;
    }
    auto [it, inserted] = live_[record->generation].try_emplace(std::string(KeyOf(record)), oid);
    if (inserted) continue;
    // Two records of a key: a commit's clean-up was cut short. The stage's (higher round) wins.
    const PmemKeyRecord* other = RecordOf(it->second);
    if (record->round > other->round || (record->round == other->round && record->lsn > other->lsn)) {
      drop.push_back(it->second);
      it->second = oid;
    } else {
      drop.push_back(oid);
    }
  }
  for (auto& [generation, keys] : live_) {
    std::erase_if(keys, [&](const auto& item) {
      if (!IsErase(RecordOf(item.second))) return false;
      drop.push_back(item.second);
      return true;
    });
  }
  std::erase_if(live_, [](const auto& item) { return item.second.empty(); });
  if (!drop.empty() && options.log) {
    options.log("persistent-memory tier: dropping " + std::to_string(drop.size()) + " records at open (" +
                std::to_string(uncommitted) + " of an uncommitted stage)");
  }
  for (const auto& [generation, keys] : live_) {
    for (const auto& [key, record] : keys) {
      Count(record, +1);
      object_bytes_ += ObjectBytes(record);
    }
  }
  for (PMEMoid record : drop) object_bytes_ += ObjectBytes(record);  // until FreeRecords takes them off
  for (PMEMoid& reserve : extra_reserves) pmemobj_free(&reserve);
  if (OID_IS_NULL(reserve_) &&
      pmemobj_alloc(pool_->get(), &reserve_, reserve_bytes_, kReserveType, nullptr, nullptr) != 0 && log_) {
    log_("persistent-memory tier: no room for the log reserve in " + pool_->path() +
         ": deletes may fail while the pool is full");
  }
  if (Status freed = FreeRecords(drop); !freed.ok()) return freed;
  visible_of_db_ = generations_.of_db;
  PublishMemory();
  return Status::Ok();
}

void PmemTier::Count(PMEMoid record, int sign) {
  const uint64_t key = RecordOf(record)->key_size;
  if (sign > 0) {
    key_bytes_ += key;
    ++keys_;
  } else {
    key_bytes_ -= std::min<uint64_t>(key_bytes_, key);
    if (keys_ > 0) --keys_;
  }
}

Status PmemTier::BeginTransaction(PmemTransaction& tx) {
  if (Status begun = tx.Begin(); !begun.ok()) return begun;
  if (OID_IS_NULL(reserve_)) return Status::Ok();
  return tx.AppendIntentLog(pmemobj_direct(reserve_), pmemobj_alloc_usable_size(reserve_));
}

void PmemTier::PublishMemory() { set_last_memory_bytes(keys_ * kIndexBytesPerKey + key_bytes_); }

Status PmemTier::FreeRecords(const std::vector<PMEMoid>& records) {
  for (size_t start = 0; start < records.size(); start += kFreesPerTransaction) {
    const size_t end = std::min(records.size(), start + kFreesPerTransaction);
    uint64_t bytes = 0;
    PmemTransaction tx(pool_->get());
    if (Status begun = BeginTransaction(tx); !begun.ok()) return begun;
    for (size_t i = start; i < end; ++i) {
      bytes += ObjectBytes(records[i]);
      if (Status freed = FreeRecord(tx, records[i]); !freed.ok()) return freed;
    }
    if (Status done = tx.Commit(); !done.ok()) return done;
    object_bytes_ -= std::min<uint64_t>(object_bytes_, bytes);
  }
  return Status::Ok();
}

Status PmemTier::Write(const TierBatch& batch) {
  std::lock_guard lock(write_mu_);
  return Apply(batch, staging_);
}

Status PmemTier::WriteStaged(const TierBatch& batch) {
  std::lock_guard lock(write_mu_);
  if (!staging_) {
    staging_ = true;
    stage_round_ = committed_round_ + 1;
  }
  return Apply(batch, /*stage=*/true);
}

Status PmemTier::Apply(const TierBatch& batch, bool stage) {
  if (batch.empty()) return Status::Ok();
  Pending pending;
  pending.generations = generations_;
  // A batch outside a stage changes what readers see: they wait for its transaction.
  std::unique_lock<std::shared_mutex> readers(readers_mu_, std::defer_lock);
  if (!stage) readers.lock();
  PmemTransaction tx(pool_->get());
  if (Status begun = BeginTransaction(tx); !begun.ok()) return begun;
  if (Status applied = ApplyOps(batch, stage, tx, pending); !applied.ok()) return applied;  // tx aborts
  std::vector<uint64_t> freed_bytes;
  freed_bytes.reserve(pending.freed.size());
  for (PMEMoid record : pending.freed) freed_bytes.push_back(ObjectBytes(record));
  if (Status done = tx.Commit(); !done.ok()) return done;

  // The transaction is durable: the DRAM side follows.
  for (uint64_t bytes : freed_bytes) object_bytes_ -= std::min<uint64_t>(object_bytes_, bytes);
  GenerationIndex& index = stage ? stage_ : live_;
  for (auto& [generation, changes] : pending.changes) {
    for (auto& [key, record] : changes) {
      KeyIndex& keys = index[generation];
      if (OID_IS_NULL(record)) {
        if (keys.erase(key) > 0 && !stage) {
          key_bytes_ -= std::min<uint64_t>(key_bytes_, key.size());
          if (keys_ > 0) --keys_;
        }
      } else {
        const bool inserted = keys.insert_or_assign(key, record).second;
        object_bytes_ += ObjectBytes(record);
        if (inserted && !stage) {
          key_bytes_ += key.size();
          ++keys_;
        }
      }
      if (keys.empty()) index.erase(generation);
    }
  }
  generations_ = std::move(pending.generations);
  if (!stage) visible_of_db_ = generations_.of_db;
  PublishMemory();
  return Status::Ok();
}

Status PmemTier::ApplyOps(const TierBatch& batch, bool stage, PmemTransaction& tx, Pending& pending) {
  TierGenerations& generations = pending.generations;
  const uint64_t round = stage ? stage_round_ : 0;
  struct Current {
    PMEMoid record = OID_NULL;  // the key's latest record (an erase record too), or none
    bool owned = false;         // replacing it frees it (it is not the readers')
    bool fresh = false;         // allocated by this batch
  };
  const auto live = [&](uint32_t generation, const std::string& key) -> Current {
    if (auto gen = live_.find(generation); gen != live_.end()) {
      if (auto it = gen->second.find(key); it != gen->second.end()) return {it->second, !stage, false};
    }
    return {};
  };
  const auto current = [&](uint32_t generation, const std::string& key) -> Current {
    if (auto gen = pending.changes.find(generation); gen != pending.changes.end()) {
      if (auto it = gen->second.find(key); it != gen->second.end()) {
        if (!OID_IS_NULL(it->second)) return {it->second, true, true};
        // Erased by this batch: in a stage, what lies under it is the readers' (or nothing).
        return stage ? live(generation, key) : Current{};
      }
    }
    if (stage) {
      if (auto gen = stage_.find(generation); gen != stage_.end()) {
        if (auto it = gen->second.find(key); it != gen->second.end()) return {it->second, true, false};
      }
    }
    return live(generation, key);
  };
  const auto replace = [&](const Current& old) -> Status {
    if (OID_IS_NULL(old.record) || !old.owned) return Status::Ok();
    if (!old.fresh) pending.freed.push_back(old.record);
    return FreeRecord(tx, old.record);
  };
  const auto route = [&](uint32_t db) -> Result<uint32_t> {
    if (auto it = generations.of_db.find(db); it != generations.of_db.end()) return it->second;
    if (generations.next == std::numeric_limits<uint32_t>::max()) {
      return Status::Error("the tier has used up its db generations");
    }
    const uint32_t generation = generations.next++;
    generations.of_db[db] = generation;
    return generation;
  };

  for (const TierBatch::Op& op : batch.ops()) {
    const TierEntry& entry = op.entry;
    switch (op.kind) {
      case TierBatch::Kind::kPut: {
        auto generation = route(entry.db);
        if (!generation.ok()) return generation.status();
        const Current old = current(*generation, entry.key);
        if (Status replaced = replace(old); !replaced.ok()) return replaced;
        RecordFields fields;
        fields.round = round;
        fields.generation = *generation;
        fields.key = entry.key;
        fields.lsn = entry.lsn;
        if (entry.tombstone) {
          fields.flags = kTombstoneFlag;
        } else {
          fields.expire_at_ms = entry.expire_at_ms;
          fields.value = entry.value;
        }
        auto record = NewRecord(tx, fields);
        if (!record.ok()) return record.status();
        pending.changes[*generation][entry.key] = *record;
        break;
      }
      case TierBatch::Kind::kErase: {
        auto found = generations.of_db.find(entry.db);
        if (found == generations.of_db.end()) break;
        const uint32_t generation = found->second;
        const Current old = current(generation, entry.key);
        if (OID_IS_NULL(old.record)) break;
        if (Status replaced = replace(old); !replaced.ok()) return replaced;
        PMEMoid erased = OID_NULL;
        if (stage && !OID_IS_NULL(live(generation, entry.key).record)) {
          // The readers' record stays until the commit; this one removes it then.
          RecordFields fields;
          fields.round = round;
          fields.generation = generation;
          fields.key = entry.key;
          fields.lsn = entry.lsn;
          fields.flags = kEraseFlag;
          auto record = NewRecord(tx, fields);
          if (!record.ok()) return record.status();
          erased = *record;
        }
        pending.changes[generation][entry.key] = erased;
        break;
      }
      case TierBatch::Kind::kEraseDb:
        generations.of_db.erase(entry.db);
        break;
      case TierBatch::Kind::kSwapDb: {
        if (entry.db == op.other_db) break;
        auto a = generations.of_db.extract(entry.db);
        auto b = generations.of_db.extract(op.other_db);
        if (a) generations.of_db.emplace(op.other_db, a.mapped());
        if (b) generations.of_db.emplace(entry.db, b.mapped());
        break;
      }
      case TierBatch::Kind::kSetMetadata: {
        auto found = generations.of_db.find(entry.db);
        const Current old = found == generations.of_db.end() ? Current{} : current(found->second, entry.key);
        if (OID_IS_NULL(old.record) || (RecordOf(old.record)->flags & (kTombstoneFlag | kEraseFlag)) != 0) {
          return Status::Error("tier: SetMetadata of db " + std::to_string(entry.db) + " key '" +
                               PrintableKey(entry.key) + "', which holds no value");
        }
        PmemKeyRecord* record = RecordOf(old.record);
        if (old.owned) {
          // Ours to change in place (readers wait for this transaction, or never see it).
          if (Status logged = tx.Snapshot(&record->lsn, sizeof(record->lsn) + sizeof(record->expire_at_ms));
              !logged.ok()) {
            return logged;
          }
          record->lsn = entry.lsn;
          record->expire_at_ms = entry.expire_at_ms;
          break;
        }
        // The readers' record, in a stage: a staged copy with the new metadata.
        RecordFields fields;
        fields.round = round;
        fields.generation = found->second;
        fields.key = entry.key;
        fields.lsn = entry.lsn;
        fields.expire_at_ms = entry.expire_at_ms;
        fields.value = ValueOf(record);
        auto copy = NewRecord(tx, fields);
        if (!copy.ok()) return copy.status();
        pending.changes[found->second][entry.key] = *copy;
        break;
      }
    }
  }
  return Status::Ok();
}

Status PmemTier::RecordCheckpoint(uint64_t checkpoint_lsn) {
  PmemTierRoot* root = RootOf(root_);
  PmemTransaction tx(pool_->get());
  if (Status begun = BeginTransaction(tx); !begun.ok()) return begun;
  if (Status logged = tx.Snapshot(root, sizeof(*root)); !logged.ok()) return logged;
  root->checkpoint_lsn = checkpoint_lsn;
  if (staging_) root->committed_round = stage_round_;
  TierGenerations recorded;
  recorded.of_db = generations_.of_db;
  recorded.next = generations_.next;
  if (Status written = WriteBlob(tx, &root->generations, EncodeTierGenerations(recorded)); !written.ok()) {
    return written;
  }
  if (server_state_.has_value()) {
    if (Status written = WriteBlob(tx, &root->server_state, *server_state_); !written.ok()) return written;
  }
  return tx.Commit();
}

Status PmemTier::Commit(uint64_t checkpoint_lsn) {
  std::lock_guard lock(write_mu_);
  std::vector<PMEMoid> garbage;
  {
    std::unique_lock readers(readers_mu_);
    if (Status recorded = RecordCheckpoint(checkpoint_lsn); !recorded.ok()) return recorded;  // the stage stays
    server_state_.reset();
    std::set<uint32_t> mapped;
    for (const auto& [db, generation] : generations_.of_db) mapped.insert(generation);
    if (staging_) {
      committed_round_ = stage_round_;
      for (auto& [generation, keys] : stage_) {
        const bool dead = !mapped.contains(generation);
        for (auto& [key, record] : keys) {
          if (dead) {
            garbage.push_back(record);
            continue;
          }
          KeyIndex& live = live_[generation];
          auto it = live.find(key);
          if (it != live.end()) {
            garbage.push_back(it->second);
            Count(it->second, -1);
            live.erase(it);
          }
          if (IsErase(RecordOf(record))) {
            garbage.push_back(record);
          } else {
            live.emplace(key, record);
            Count(record, +1);
          }
        }
      }
      stage_.clear();
      staging_ = false;
    }
    // Generations the recorded map no longer names: their keys are unreachable.
    for (auto it = live_.begin(); it != live_.end();) {
      if (mapped.contains(it->first) && !it->second.empty()) {
        ++it;
        continue;
      }
      for (const auto& [key, record] : it->second) {
        garbage.push_back(record);
        Count(record, -1);
      }
      it = live_.erase(it);
    }
    visible_of_db_ = generations_.of_db;
  }
  // Past the commit point: what is left is clean-up, which the next Open redoes if cut short.
  Status freed = FreeRecords(garbage);
  if (!freed.ok() && log_) log_("persistent-memory tier: clean-up after a commit failed: " + freed.message());
  PublishMemory();
  return Status::Ok();
}

std::optional<PMEMoid> PmemTier::Find(uint32_t db, std::string_view key) const {
  auto generation = visible_of_db_.find(db);
  if (generation == visible_of_db_.end()) return std::nullopt;
  auto keys = live_.find(generation->second);
  if (keys == live_.end()) return std::nullopt;
  auto it = keys->second.find(std::string(key));
  if (it == keys->second.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<TierEntry>> PmemTier::Get(uint32_t db, std::string_view key) {
  std::shared_lock lock(readers_mu_);
  std::optional<PMEMoid> record = Find(db, key);
  if (!record) return std::optional<TierEntry>();
  auto entry = EntryOf(db, RecordOf(*record));
  if (!entry.ok()) return entry.status();
  return std::optional<TierEntry>(std::move(*entry));
}

std::vector<Tier::GetResult> PmemTier::MultiGet(std::span<const TierKeyName> keys) {
  std::vector<GetResult> results;
  results.reserve(keys.size());
  std::shared_lock lock(readers_mu_);  // one view for all of them
  for (const TierKeyName& name : keys) {
    std::optional<PMEMoid> record = Find(name.db, name.key);
    if (!record) {
      results.emplace_back(std::optional<TierEntry>());
      continue;
    }
    auto entry = EntryOf(name.db, RecordOf(*record));
    if (entry.ok()) {
      results.emplace_back(std::optional<TierEntry>(std::move(*entry)));
    } else {
      results.emplace_back(entry.status());
    }
  }
  return results;
}

void PmemTier::ForEachVisibleRecord(const std::function<bool(uint32_t db, PMEMoid record)>& visit) const {
  for (const auto& [db, generation] : visible_of_db_) {
    auto keys = live_.find(generation);
    if (keys == live_.end()) continue;
    for (const auto& [key, record] : keys->second) {
      if (!visit(db, record)) return;
    }
  }
}

Status PmemTier::ForEach(const std::function<Status(TierEntry&&)>& visit) {
  std::shared_lock lock(readers_mu_);
  Status status = Status::Ok();
  ForEachVisibleRecord([&](uint32_t db, PMEMoid record) {
    auto entry = EntryOf(db, RecordOf(record));
    status = entry.ok() ? visit(std::move(*entry)) : entry.status();
    return status.ok();
  });
  return status;
}

Status PmemTier::ForEachKey(const std::function<Status(TierKeyMetadata&&)>& visit) {
  std::shared_lock lock(readers_mu_);
  Status status = Status::Ok();
  ForEachVisibleRecord([&](uint32_t db, PMEMoid record) {
    status = visit(MetadataOf(db, RecordOf(record)));
    return status.ok();
  });
  return status;
}

Status PmemTier::ForEachKeyWithSmallValues(
    uint64_t small_value_bytes, const std::function<Status(TierKeyMetadata&&, std::string_view value)>& visit) {
  std::shared_lock lock(readers_mu_);
  Status status = Status::Ok();
  ForEachVisibleRecord([&](uint32_t db, PMEMoid record) {
    const PmemKeyRecord* header = RecordOf(record);
    TierKeyMetadata metadata = MetadataOf(db, header);
    std::string_view value;
    if (!metadata.tombstone && metadata.value_size < small_value_bytes) {
      value = ValueOf(header);
      status = CheckObjectAgainstMetadata(metadata, value);
      if (!status.ok()) return false;
    }
    status = visit(std::move(metadata), value);
    return status.ok();
  });
  return status;
}

Result<TierMetadata> PmemTier::ReadMetadata() {
  std::shared_lock lock(readers_mu_);
  const PmemTierRoot* root = RootOf(root_);
  TierMetadata metadata;
  metadata.checkpoint_lsn = root->checkpoint_lsn;
  metadata.format_version = kTierFormatVersion;
  auto state = ReadBlob(root->server_state, "server state");
  if (!state.ok()) return state.status();
  metadata.server_state = std::move(*state);
  return metadata;
}

void PmemTier::SetServerState(std::string state) {
  std::lock_guard lock(write_mu_);
  server_state_ = std::move(state);
}

TierStats PmemTier::stats() const {
  TierStats stats;
  stats.disk_bytes = object_bytes_;
  stats.memory_bytes = keys_ * kIndexBytesPerKey + key_bytes_;
  stats.keys = keys_;
  return stats;
}

PmemPoolBytes PmemTier::pool_bytes() const { return {pool_->size(), object_bytes_}; }

}  // namespace tierkv
