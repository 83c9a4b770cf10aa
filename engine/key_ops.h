// Operations of the generic key commands (the Op* half of DEL EXISTS TYPE
// RENAME COPY MOVE KEYS SCAN RANDOMKEY TOUCH OBJECT RESTORE). They follow
// Redis's lookup rules: an expired key is deleted when looked up (lazy expiry)
// and reads as missing; "read" lookups count keyspace hits and misses;
// lookups update the access statistics as Redis's do (Shard::TouchAccess,
// which the dispatcher mutes for CLIENT NO-TOUCH clients). Every key a write
// changes is reported with Shard::KeyModified, or with its journal effect where
// one needs no other key (DEL as `DEL key`); RENAME, COPY, MOVE and RESTORE
// journal the resulting state (docs/ARCHITECTURE.md, "Effects and LSNs").
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/entry.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// Redis's lookupKeyRead: the live entry or nullptr; counts a hit or a miss;
// touches unless `touch` is false (Redis's LOOKUP_NOTOUCH). The entry is
// valid until the next call that may change the keyspace.
Entry* OpLookupRead(Shard& shard, int db, std::string_view key, bool touch = true);
// Redis's lookupKeyWrite: the live entry or nullptr, no hit/miss statistics.
Entry* OpLookupWrite(Shard& shard, int db, std::string_view key);
// OpLookupRead for what needs the key's metadata only (type, expiry, access data): a cold
// value stays in the tier (engine/cold_values.h).
Entry* OpLookupMetadata(Shard& shard, int db, std::string_view key, bool touch = true);

// DEL / UNLINK: deletes the keys that exist; a key named twice counts once.
// `reason` (kUserDel or kUnlink) decides whether large values are freed in the background.
int64_t OpDel(Shard& shard, int db, std::span<const std::string_view> keys, FreeReason reason);
// EXISTS: how many of `keys` exist (repeats count again). Never touches.
int64_t OpExists(Shard& shard, int db, std::span<const std::string_view> keys);
// TOUCH: like EXISTS, but updates the access statistics of the keys found.
int64_t OpTouch(Shard& shard, int db, std::span<const std::string_view> keys);
// TYPE: the type name, or "none" for a missing key. Never touches.
std::string_view OpType(Shard& shard, int db, std::string_view key);

// RENAME (nx = false) and RENAMENX (nx = true). NoSuchKey if `src` is missing.
// Returns whether the key was renamed: RENAMENX onto an existing key, or onto
// itself, is not; RENAME onto itself "succeeds" without changing anything.
// The TTL moves with the value; a destination's own TTL is discarded.
Result<bool> OpRename(Shard& shard, int db, std::string_view src, std::string_view dst, bool nx);

// COPY: a deep copy of `src` (db `src_db`) to `dst` in `dst_db`, with its TTL.
// False when `src` is missing, or `dst` exists and !replace. The caller has
// rejected copying a key onto itself.
Result<bool> OpCopy(Shard& shard, int src_db, std::string_view src, int dst_db, std::string_view dst, bool replace);

// MOVE: moves `key` with its TTL from `src_db` to `dst_db` (distinct). False
// when the key is missing or already exists in the target db.
bool OpMove(Shard& shard, int src_db, int dst_db, std::string_view key);

// KEYS: the names of the live keys matching a glob `pattern` ("*" matches
// every key, the empty key included, as in Redis). Expired keys are skipped
// but not deleted. The views point into the entries: use them before the
// next call that may change the keyspace.
std::vector<std::string_view> OpKeys(Shard& shard, int db, std::string_view pattern);

struct ScanOptions {
  uint64_t count = 10;                   // COUNT: buckets' worth of keys to aim for
  std::optional<std::string> pattern;    // MATCH
  std::optional<std::string> type_name;  // TYPE, compared case-insensitively
};

struct ScanPage {
  uint64_t cursor = 0;  // 0 when the iteration is complete
  std::vector<std::string> keys;
};

// One SCAN step from `cursor`. Every key present for the whole iteration is
// returned at least once, even if the table grows or shrinks in between (the
// reverse-binary cursor of Dict::Scan); a key may be returned more than once.
// Expired keys met on the way are deleted and not returned.
ScanPage OpScan(Shard& shard, int db, uint64_t cursor, const ScanOptions& options);

// RANDOMKEY: a random live key (expired keys drawn are deleted), nullopt if
// the db is empty.
std::optional<std::string> OpRandomKey(Shard& shard, int db);

// What OBJECT reports about a key's value.
struct ObjectInfo {
  Encoding encoding;
  int64_t refcount;       // INT_MAX for the values Redis shares (small integers)
  uint32_t idle_seconds;  // meaningful under an LRU (non-LFU) policy
  uint8_t frequency;      // meaningful under an LFU policy
};
// OBJECT <subcommand> <key>: nullopt for a missing key. Never touches.
std::optional<ObjectInfo> OpObject(Shard& shard, int db, std::string_view key);
// OBJECT IDLETIME is refused under an LFU policy, OBJECT FREQ under any other,
// with Redis's error texts.
Status IdleTimeTracked(const Shard& shard);
Status FrequencyTracked(const Shard& shard);

struct RestoreOptions {
  int64_t ttl_ms = 0;         // 0: no TTL; else relative, or absolute with ABSTTL
  bool absolute_ttl = false;  // ABSTTL
  bool replace = false;       // REPLACE
  int64_t idle_seconds = -1;  // IDLETIME, -1 when not given (applies under LRU)
  int frequency = -1;         // FREQ, -1 when not given (applies under LFU)
};

// RESTORE: stores `fresh` (a new entry for `key`, without expiry; ownership passes)
// with the options' TTL and access data. BusyKey if the key exists and !replace. A TTL
// already in the past stores nothing (but REPLACE still deletes the old key), except
// while the journal is replayed (ExpiresOnWrite).
Status OpRestore(Shard& shard, int db, std::string_view key, Entry* fresh, const RestoreOptions& options);

}  // namespace tierkv
