// Operations on sorted sets (the Op* half of server/commands/sorted_set_commands.cc).
// They take parsed arguments, change the Shard, report every key they change and return
// values; they never see RESP. Semantics are Redis 7.2's t_zset.c: which lookups count as
// keyspace hits (reads) and which do not (writes), when a key is created or deleted, and
// how the encoding evolves (engine/types/zset/zset.h).
//
// Journaling (engine/change_log.h): each write reports its key with an effect that
// replays it deterministically from the key's previous state:
//   ZADD / ZINCRBY / ZADD INCR|GT|LT  ->  ZADD k <resulting score> m ...  (only the
//                                        members it added or changed; scores in
//                                        FormatDouble text, which reads back exactly)
//   ZREM, ZPOPMIN/ZPOPMAX/ZMPOP       ->  ZREM k <removed members>
//   ZREMRANGEBYRANK|SCORE|LEX         ->  the command with its range resolved (ranks made
//                                        absolute), which removes the same members
//   ZRANGESTORE, Z*STORE, OpZStore    ->  the destination's resulting state
// A write that empties a sorted set deletes its key, and so does its effect.
//
// Thread-safety: engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"
#include "engine/types/zset/zset.h"
#include "engine/types/zset/zset_range.h"

namespace tierkv {

// "ERR resulting score is not a number (NaN)"
Status ZScoreNaN();

// ---- Adding and removing members ----

// One element of ZADD: its score (the increment with INCR) and member.
struct ZAddElement {
  double score = 0;
  std::string_view member;
};

struct ZAddResult {
  size_t added = 0;    // new members
  size_t updated = 0;  // existing members whose score changed
  // With flags.incr: the member's resulting score, or nullopt when NX/XX/GT/LT kept the
  // element from being processed (ZADD ... INCR then answers nil).
  std::optional<double> score;
};

// ZADD / ZINCRBY with Redis's zsetAdd rules for each element (see ZAddFlags; the caller
// has rejected the incompatible combinations). Creates the key unless XX; converts to
// the index encoding as limits require. ZScoreNaN() when an increment gives NaN (the set
// is then unchanged). Also the GEOADD primitive: NX/XX as flags, CH = added + updated.
Result<ZAddResult> OpZAdd(Shard& shard, int db, std::string_view key, const ZAddFlags& flags,
                          std::span<const ZAddElement> elements);
// ZREM: how many of `members` were removed.
Result<size_t> OpZRem(Shard& shard, int db, std::string_view key, std::span<const std::string_view> members);

// ZPOPMIN / ZPOPMAX / ZMPOP and the lead's BZPOPMIN / BZPOPMAX / BZMPOP: removes and
// returns up to `count` members from the low end (from_max false) or the high end, in
// that order (lowest first, or highest first). Empty for a missing key; WrongType for
// another type. Journals ZREM k <popped members> and deletes the key when it empties.
Result<std::vector<ScoredMember>> OpZPop(Shard& shard, int db, std::string_view key, bool from_max, size_t count);

// ZMPOP / BZMPOP over several keys: pops from the first of `keys` that exists (all of
// them missing: nullopt), as Redis's genericZpopCommand; a key of another type met
// before that one is WrongType. Returns that key and what was popped.
struct ZMPopResult {
  std::string_view key;
  std::vector<ScoredMember> popped;
};
Result<std::optional<ZMPopResult>> OpZMPop(Shard& shard, int db, std::span<const std::string_view> keys,
                                           bool from_max, size_t count);

// ZREMRANGEBYRANK (start/stop may be negative, as the command takes them),
// ZREMRANGEBYSCORE, ZREMRANGEBYLEX: how many members were removed.
Result<size_t> OpZRemRangeByRank(Shard& shard, int db, std::string_view key, int64_t start, int64_t stop);
Result<size_t> OpZRemRangeByScore(Shard& shard, int db, std::string_view key, const ScoreRange& range);
Result<size_t> OpZRemRangeByLex(Shard& shard, int db, std::string_view key, const LexRange& range);

// ---- Reads ----

// ZCARD: 0 for a missing key. Also the blocking pops' "is there anything to pop" probe.
Result<size_t> OpZCard(Shard& shard, int db, std::string_view key);
// ZSCORE (and GEOPOS/GEODIST's lookup): nullopt for a missing key or member.
Result<std::optional<double>> OpZScore(Shard& shard, int db, std::string_view key, std::string_view member);
// ZMSCORE: one answer per member (all nullopt for a missing key).
Result<std::vector<std::optional<double>>> OpZMScore(Shard& shard, int db, std::string_view key,
                                                     std::span<const std::string_view> members);

struct ZRankResult {
  size_t rank = 0;
  double score = 0;
};
// ZRANK / ZREVRANK (reverse: rank 0 is the highest score).
Result<std::optional<ZRankResult>> OpZRank(Shard& shard, int db, std::string_view key, std::string_view member,
                                           bool reverse);
// ZCOUNT / ZLEXCOUNT.
Result<size_t> OpZCount(Shard& shard, int db, std::string_view key, const ScoreRange& range);
Result<size_t> OpZLexCount(Shard& shard, int db, std::string_view key, const LexRange& range);

// What ZRANGE and its older forms select.
struct ZRangeSpec {
  enum class By { kRank, kScore, kLex };
  By by = By::kRank;
  bool reverse = false;  // REV / the ZREV* commands: highest first
  int64_t start = 0;     // kRank: indexes as given (negative from the end)
  int64_t stop = -1;
  ScoreRange score;      // kScore
  LexRange lex;          // kLex
  int64_t offset = 0;    // LIMIT offset count (kScore, kLex); count < 0: no limit
  int64_t limit = -1;
};

// ZRANGE / ZREVRANGE / ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZRANGEBYLEX / ZREVRANGEBYLEX:
// the selected members in reply order. Empty for a missing key.
Result<std::vector<ScoredMember>> OpZRange(Shard& shard, int db, std::string_view key, const ZRangeSpec& spec);
// ZRANGESTORE: stores the selection under `destination` (replacing whatever it held,
// deleting it when the selection is empty) and returns its size.
Result<size_t> OpZRangeStore(Shard& shard, int db, std::string_view destination, std::string_view source,
                             const ZRangeSpec& spec);

// ZRANDMEMBER key: nullopt for a missing key.
Result<std::optional<ScoredMember>> OpZRandMember(Shard& shard, int db, std::string_view key);
// ZRANDMEMBER key count, count >= 0: min(count, size) distinct members (all of them,
// highest score first, when count >= size, as Redis).
Result<std::vector<ScoredMember>> OpZRandMemberDistinct(Shard& shard, int db, std::string_view key, uint64_t count);
// ZRANDMEMBER key -count: `count` independent picks handed to `emit` as drawn (so the
// reply can be written without holding them all). False, and no call, for a missing key.
Result<bool> OpZRandMemberRepeated(Shard& shard, int db, std::string_view key, uint64_t count,
                                   const std::function<void(std::string_view member, double score)>& emit);

// ---- ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD ----

enum class ZSetOperation { kUnion, kInter, kDiff };
enum class ZAggregate { kSum, kMin, kMax };

struct ZSetOperationSpec {
  ZSetOperation operation = ZSetOperation::kUnion;
  std::vector<double> weights;  // one per key, or empty for all 1
  ZAggregate aggregate = ZAggregate::kSum;
};

// Checks that every existing key among `keys` holds a sorted set or a set (sets count
// as members with score 1): WrongType otherwise. Redis reports this before option
// errors, so handlers call it when their options failed to parse.
Status OpZCheckSources(Shard& shard, int db, std::span<const std::string_view> keys);
// The result in order (score, then member).
Result<std::vector<ScoredMember>> OpZSetOperation(Shard& shard, int db, std::span<const std::string_view> keys,
                                                  const ZSetOperationSpec& spec);
// The STORE forms: the result's size; the destination is replaced, or deleted when empty.
Result<size_t> OpZSetOperationStore(Shard& shard, int db, std::string_view destination,
                                    std::span<const std::string_view> keys, const ZSetOperationSpec& spec);
// ZINTERCARD: the intersection's size, counting stops at `limit` (0: no limit).
Result<size_t> OpZInterCard(Shard& shard, int db, std::span<const std::string_view> keys, size_t limit);

// ---- ZSCAN ----

struct ZScanPage {
  uint64_t cursor = 0;
  // member, score text (a listpack set's score text as stored, as Redis returns it).
  std::vector<std::pair<std::string, std::string>> items;
};
// A missing key is an empty, finished page.
Result<ZScanPage> OpZScan(Shard& shard, int db, std::string_view key, uint64_t cursor, uint64_t count,
                          std::string_view pattern);

// ---- Helpers for the geo commands ----

// Calls visit(member, score) for every member whose score is in `range`, in ascending
// order, until visit returns false. Nothing for a missing key; WrongType for another
// type. `visit` must not change the keyspace.
Status OpZVisitScoreRange(Shard& shard, int db, std::string_view key, const ScoreRange& range,
                          const std::function<bool(std::string_view member, double score)>& visit);
// Replaces `destination` with a sorted set of `members` (a member named twice keeps the
// last score), in the encoding its size calls for, or deletes it when `members` is
// empty. Returns the stored size. Journals the destination's resulting state.
size_t OpZStore(Shard& shard, int db, std::string_view destination, std::span<const ScoredMember> members);

}  // namespace tierkv
