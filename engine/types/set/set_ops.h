// Operations on set values (the Op* half of the set commands, server/commands/
// set_commands.cc). They take parsed arguments, change the Shard, report every key they
// change, and return values; they never see RESP. Semantics are Redis 7.2's (t_set.c):
// which lookups count as keyspace hits, which key's type is checked first, when a result
// is empty, and how encodings evolve.
//
// Journaling (engine/change_log.h): each write reports its keys with its own effect where
// one replays cheaply — SADD k m... as called; SREM k <removed members>; SPOP as SREM k
// <popped members> (DEL k when it pops everything); SMOVE as SREM on the source and
// SADD on the destination — and otherwise (the *STORE destinations, an SPOP that rebuilt
// the set) as the key's resulting state. A write that empties a set deletes its key.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// SADD: the number of members added; creates the key.
Result<int64_t> OpSAdd(Shard& shard, int db, std::string_view key, std::span<const std::string_view> members);
// SREM: the number of members removed; deletes the key when it empties.
Result<int64_t> OpSRem(Shard& shard, int db, std::string_view key, std::span<const std::string_view> members);
// SCARD: 0 for a missing key.
Result<int64_t> OpSCard(Shard& shard, int db, std::string_view key);
// SISMEMBER.
Result<bool> OpSIsMember(Shard& shard, int db, std::string_view key, std::string_view member);
// SMISMEMBER: one answer per member (all false for a missing key).
Result<std::vector<bool>> OpSMIsMember(Shard& shard, int db, std::string_view key,
                                       std::span<const std::string_view> members);
// SMEMBERS: every member (none for a missing key). Also what SORT reads from a set.
Result<std::vector<std::string>> OpSMembers(Shard& shard, int db, std::string_view key);

// SPOP key: a random member removed, nullopt for a missing key.
Result<std::optional<std::string>> OpSPop(Shard& shard, int db, std::string_view key);
// SPOP key count: `count` distinct random members removed (all when count >= size).
Result<std::vector<std::string>> OpSPopCount(Shard& shard, int db, std::string_view key, uint64_t count);
// SRANDMEMBER key: a random member, nullopt for a missing key.
Result<std::optional<std::string>> OpSRandMember(Shard& shard, int db, std::string_view key);
// SRANDMEMBER key count (count >= 0): min(count, size) distinct random members.
Result<std::vector<std::string>> OpSRandMemberDistinct(Shard& shard, int db, std::string_view key, uint64_t count);
// SRANDMEMBER key -count: `count` independent random members, each handed to `emit` as
// drawn (repeats possible). False, and no call, for a missing key.
Result<bool> OpSRandMemberRepeated(Shard& shard, int db, std::string_view key, uint64_t count,
                                   const std::function<void(std::string_view)>& emit);

// SMOVE: true if `member` was in `source` (and now is in `destination`).
Result<bool> OpSMove(Shard& shard, int db, std::string_view source, std::string_view destination,
                     std::string_view member);

// SINTER / SUNION / SDIFF over `keys` (missing keys are empty sets).
Result<std::vector<std::string>> OpSInter(Shard& shard, int db, std::span<const std::string_view> keys);
Result<std::vector<std::string>> OpSUnion(Shard& shard, int db, std::span<const std::string_view> keys);
Result<std::vector<std::string>> OpSDiff(Shard& shard, int db, std::span<const std::string_view> keys);
// SINTERCARD: the size of the intersection, counting stops at `limit` (0 = no limit).
Result<int64_t> OpSInterCard(Shard& shard, int db, std::span<const std::string_view> keys, uint64_t limit);
// SINTERSTORE / SUNIONSTORE / SDIFFSTORE: the result's size; the result replaces
// `destination` (whatever it held, TTL dropped), or deletes it when empty.
Result<int64_t> OpSInterStore(Shard& shard, int db, std::string_view destination,
                              std::span<const std::string_view> keys);
Result<int64_t> OpSUnionStore(Shard& shard, int db, std::string_view destination,
                              std::span<const std::string_view> keys);
Result<int64_t> OpSDiffStore(Shard& shard, int db, std::string_view destination,
                             std::span<const std::string_view> keys);

struct SetScanOptions {
  uint64_t count = 10;   // COUNT: buckets' worth of members to aim for per call
  std::string pattern;   // MATCH; empty = every member
};
struct SetScanPage {
  uint64_t cursor = 0;   // 0 when the scan is complete
  std::vector<std::string> members;
};
// SSCAN: a missing key is an empty, complete scan. Intsets and listpacks answer whole
// in one call, as in Redis; a hashtable's cursor returns every member present for the
// whole scan, exactly once, across resizes (engine/types/set/member_table.h).
Result<SetScanPage> OpSScan(Shard& shard, int db, std::string_view key, uint64_t cursor,
                            const SetScanOptions& options);

}  // namespace tierkv
