#include "engine/key_ops.h"

#include <cctype>
#include <climits>

#include "engine/expire_ops.h"
#include "engine/glob.h"
#include "engine/number.h"

namespace tierkv {
namespace {

// Redis shares the string objects of the integers 0..9999 (OBJ_SHARED_INTEGERS)
// unless an LRU/LFU maxmemory policy needs per-object access data; OBJECT
// REFCOUNT then reports OBJ_SHARED_REFCOUNT (INT_MAX).
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT_MAX;
// Redis's LRU_CLOCK_MAX: the access field of an entry under an LRU policy.

bool SharesIntegers(const EngineOptions& options) {
  if (options.maxmemory == 0) return true;
  switch (options.policy) {
    case EvictionPolicy::kAllKeysLru:
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLru:
    case EvictionPolicy::kVolatileLfu:
      return false;
    default:
      return true;
  }
}

bool IsSharedInteger(const Shard& shard, const Entry* entry) {
  // A cold value is never a small integer (tier-min-value-size keeps those in DRAM).
  if (entry->type != ValueType::kString || entry->encoding != Encoding::kInt || entry->is_cold()) return false;
  int64_t value;
  return ParseInt64(entry->string_value(), &value) && value >= 0 && value < kSharedIntegers &&
         SharesIntegers(shard.options());
}

bool TypeNameMatches(std::string_view wanted, ValueType type) {
  const std::string_view name = TypeName(type);
  if (wanted.size() != name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(wanted[i])) != name[i]) return false;
  }
  return true;
}

}  // namespace

Entry* OpLookupRead(Shard& shard, int db, std::string_view key, bool touch) {
  Entry* entry = shard.db(db).Find(key, touch);
  shard.NoteLookup(db, key, entry != nullptr);
  return entry;
}

Entry* OpLookupWrite(Shard& shard, int db, std::string_view key) { return shard.db(db).Find(key); }

Entry* OpLookupMetadata(Shard& shard, int db, std::string_view key, bool touch) {
  Entry* entry = shard.db(db).FindMetadata(key, touch);
  shard.NoteLookup(db, key, entry != nullptr);
  return entry;
}

int64_t OpDel(Shard& shard, int db_index, std::span<const std::string_view> keys, FreeReason reason) {
  Db& db = shard.db(db_index);
  int64_t deleted = 0;
  for (std::string_view key : keys) {
    // Find first: an expired key is deleted as expired and does not count.
    if (db.FindMetadata(key, /*touch=*/false) == nullptr) continue;
    db.Delete(key, reason);
    shard.KeyModifiedBy(db_index, key, [&] { return DeletionEffect(key); });
    ++deleted;
  }
  return deleted;
}

int64_t OpExists(Shard& shard, int db, std::span<const std::string_view> keys) {
  int64_t found = 0;
  for (std::string_view key : keys) {
    if (OpLookupMetadata(shard, db, key, /*touch=*/false) != nullptr) ++found;
  }
  return found;
}

int64_t OpTouch(Shard& shard, int db, std::span<const std::string_view> keys) {
  int64_t found = 0;
  for (std::string_view key : keys) {
    if (OpLookupMetadata(shard, db, key, /*touch=*/true) != nullptr) ++found;
  }
  return found;
}

std::string_view OpType(Shard& shard, int db, std::string_view key) {
  const Entry* entry = OpLookupMetadata(shard, db, key, /*touch=*/false);
  return entry == nullptr ? "none" : TypeName(entry->type);
}

Result<bool> OpRename(Shard& shard, int db_index, std::string_view src, std::string_view dst, bool nx) {
  Db& db = shard.db(db_index);
  if (db.Find(src) == nullptr) return Status::NoSuchKey();
  if (src == dst) return !nx;
  if (db.FindMetadata(dst) != nullptr && nx) return false;
  // The value (and its TTL, access data and LSN) moves into an entry named
  // `dst`; an existing `dst` is replaced and freed by Set.
  Entry* old = db.Unlink(src);
  Entry* renamed = Entry::Reshape(old, dst, old->expire_at(), 0);
  Entry::Free(old, /*keep_object=*/true);
  db.Set(renamed);
  shard.KeyModified(db_index, src);
  shard.KeyModified(db_index, dst);
  return true;
}

Result<bool> OpCopy(Shard& shard, int src_db, std::string_view src, int dst_db, std::string_view dst, bool replace) {
  if (OpLookupRead(shard, src_db, src) == nullptr) return false;
  Db& target = shard.db(dst_db);
  if (target.FindMetadata(dst) != nullptr && !replace) return false;
  // Looked up again: the lookup of `dst` may have deleted an expired entry.
  const Entry* source = shard.db(src_db).Peek(src);
  Entry* copy = Entry::Reshape(source, dst, source->expire_at(), 0);
  if (source->type != ValueType::kString) copy->set_object(source->object()->Clone().release());
  shard.InitAccess(copy);  // a new object, as Redis's dup: fresh access data
  target.Set(copy);
  shard.KeyModified(dst_db, dst);
  return true;
}

bool OpMove(Shard& shard, int src_db, int dst_db, std::string_view key) {
  if (OpLookupWrite(shard, src_db, key) == nullptr) return false;
  Db& target = shard.db(dst_db);
  if (target.FindMetadata(key) != nullptr) return false;
  // The same entry changes tables: no copy, TTL and access data intact.
  target.Set(shard.db(src_db).Unlink(key));
  shard.KeyModified(src_db, key);
  shard.KeyModified(dst_db, key);
  return true;
}

std::vector<std::string_view> OpKeys(Shard& shard, int db, std::string_view pattern) {
  // Glob matching of "*" against the empty string fails (as Redis's
  // stringmatchlen), so "*" is special-cased to really mean every key.
  const bool all = pattern == "*";
  std::vector<std::string_view> keys;
  shard.db(db).ForEach([&](Entry* entry) {
    if (shard.db(db).IsExpired(entry)) return;  // KEYS must not delete while iterating
    if (all || GlobMatch(pattern, entry->key())) keys.push_back(entry->key());
  });
  return keys;
}

ScanPage OpScan(Shard& shard, int db_index, uint64_t cursor, const ScanOptions& options) {
  Db& db = shard.db(db_index);
  const bool use_pattern = options.pattern.has_value() && *options.pattern != "*";
  ScanPage page;
  std::vector<std::string> expired;
  // COUNT counts keys visited before filtering (as Redis), so a selective
  // MATCH returns few keys per call rather than scanning further.
  uint64_t visited = 0;
  auto visit = [&](const Entry* entry) {
    ++visited;
    if (use_pattern && !GlobMatch(*options.pattern, entry->key())) return;
    if (db.IsExpired(entry)) {
      expired.emplace_back(entry->key());
      return;
    }
    if (options.type_name && !TypeNameMatches(*options.type_name, entry->type)) return;
    page.keys.emplace_back(entry->key());
  };
  // Bounded, as Redis: at most COUNT*10 bucket steps, so a sparse table cannot
  // make one call walk the whole table.
  uint64_t max_steps = options.count > UINT64_MAX / 10 ? UINT64_MAX : options.count * 10;
  do {
    cursor = db.Scan(cursor, visit);
  } while (cursor != 0 && max_steps-- > 0 && visited < options.count);
  // Deleting during the walk would disturb it: expired keys go afterwards.
  for (const std::string& key : expired) (void)db.FindMetadata(key, /*touch=*/false);
  page.cursor = cursor;
  return page;
}

std::optional<std::string> OpRandomKey(Shard& shard, int db_index) {
  Db& db = shard.db(db_index);
  // Each expired key drawn is deleted, so this ends: with a live key or an empty db.
  while (Entry* entry = db.RandomEntry(shard.rng())) {
    std::string key(entry->key());
    if (db.FindMetadata(key, /*touch=*/false) != nullptr) return key;
  }
  return std::nullopt;
}

std::optional<ObjectInfo> OpObject(Shard& shard, int db, std::string_view key) {
  const Entry* entry = OpLookupMetadata(shard, db, key, /*touch=*/false);
  if (entry == nullptr) return std::nullopt;
  return ObjectInfo{
      .encoding = entry->value_encoding(),
      .refcount = IsSharedInteger(shard, entry) ? kSharedRefcount : 1,
      .idle_seconds = shard.IdleSeconds(entry),
      .frequency = shard.LfuCounter(entry),
  };
}

Status IdleTimeTracked(const Shard& shard) {
  if (!shard.lfu_mode()) return Status::Ok();
  return Status::Error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between "
      "policies at runtime LRU and LFU data will take some time to adjust.");
}

Status FrequencyTracked(const Shard& shard) {
  if (shard.lfu_mode()) return Status::Ok();
  return Status::Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching "
      "between policies at runtime LRU and LFU data will take some time to adjust.");
}

Status OpRestore(Shard& shard, int db_index, std::string_view key, Entry* fresh, const RestoreOptions& options) {
  Db& db = shard.db(db_index);
  const bool existed = db.FindMetadata(key) != nullptr;
  if (existed && !options.replace) {
    Entry::Free(fresh);
    return Status::BusyKey();
  }
  int64_t expire_at = kNoExpire;
  if (options.ttl_ms > 0) {
    const int64_t now = shard.now_ms();
    if (options.absolute_ttl) {
      expire_at = options.ttl_ms;
    } else {
      expire_at = options.ttl_ms > INT64_MAX - now ? INT64_MAX : options.ttl_ms + now;
    }
    if (ExpiresOnWrite(shard, expire_at)) {
      // Born expired: nothing is stored, but REPLACE has still deleted the old key.
      Entry::Free(fresh);
      if (existed) {
        db.Delete(key);
        shard.KeyModified(db_index, key);
      }
      return Status::Ok();
    }
  }
  if (expire_at != kNoExpire) {
    Entry* timed = Entry::Reshape(fresh, key, expire_at, 0);
    Entry::Free(fresh, /*keep_object=*/true);
    fresh = timed;
  }
  shard.InitAccess(fresh);
  shard.RestoreAccess(fresh, options.idle_seconds, options.frequency);
  db.Set(fresh);
  shard.KeyModified(db_index, key);
  return Status::Ok();
}

}  // namespace tierkv
