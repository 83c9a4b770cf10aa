// Operations on list values (the Op* half of the list commands, server/commands/
// list_commands.cc). They take parsed arguments, change the Shard, report every key they
// change, and return values; they never see RESP.
//
// Journaling: every write reports its key with an effect that redoes the change from the
// key's previous state (engine/change_log.h):
//   pushes         LPUSH|RPUSH key value...        (LPUSHX/RPUSHX too: the key existed)
//   pops           LPOP|RPOP key <count popped>
//   LSET           LSET key <index from the head> value
//   LINSERT        LINSERT key BEFORE|AFTER pivot value
//   LREM           LREM key <+-count removed> value  (same sign as asked: same direction)
//   LTRIM          LTRIM key <start> <-(trimmed at the tail + 1)>, or DEL key if emptied
//   LMOVE          a pop effect on the source, then a push effect on the destination;
//                  with source == destination, LMOVE key key FROM TO itself (popping the
//                  last element and pushing it back would delete and recreate the key,
//                  losing its TTL on replay)
// An operation that empties a list deletes the key, as Redis never keeps empty lists.
//
// Encodings follow Redis 7.2 (list_value.h): growing commands convert a listpack before
// adding, shrinking ones try to convert back after removing, with the limit from
// list-max-listpack-size (shard.options().limits).
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
#include "engine/types/list/list_value.h"

namespace tierkv {

// LPUSH/RPUSH, and LPUSHX/RPUSHX with `only_if_exists`: the length after pushing every
// value in order (0, and nothing pushed, when only_if_exists and the key is missing).
Result<int64_t> OpListPush(Shard& shard, int db, std::string_view key, ListEnd end,
                           std::span<const std::string_view> values, bool only_if_exists);

// Pops up to `count` elements from `end` of the list at `key` and returns them in pop
// order (the end element first); nullopt if the key is missing; an empty vector, and
// nothing changed, for count 0 on an existing list. Journals LPOP|RPOP key <n popped>
// and deletes the key when it empties.
//
// For the blocking commands too (BLPOP, BRPOP, BLMPOP): a blocked client being served
// calls this with count 1 (BLPOP/BRPOP) or its COUNT (BLMPOP) on the key that became
// ready; everything it needs (journaling, WATCH, deleting an emptied key) happens here.
Result<std::optional<std::vector<std::string>>> OpListPop(Shard& shard, int db, std::string_view key, ListEnd end,
                                                           size_t count);

// LMPOP: pops from the first key in `keys` holding a non-empty list (as OpListPop);
// nullopt if none does. Stops at the first key of another type with WrongType, as Redis
// (keys before it that are missing are skipped, keys after it are not looked at).
// Also what BLPOP/BRPOP (count 1, reply key + value) and BLMPOP need over their keys.
struct ListMultiPop {
  std::string key;
  std::vector<std::string> values;
};
Result<std::optional<ListMultiPop>> OpListMultiPop(Shard& shard, int db, std::span<const std::string_view> keys,
                                                  ListEnd end, size_t count);

// LMOVE / RPOPLPUSH: pops from `from` of `source`, pushes onto `to` of `destination`
// (created if missing) and returns the element; nullopt if the source is missing.
// WrongType if either key holds another type (checked before anything changes). The
// source is deleted if it empties (unless it is the destination).
//
// For BLMOVE/BRPOPLPUSH too: a blocked client is served by calling this once its source
// has an element; the destination's type is checked again here, at serving time.
Result<std::optional<std::string>> OpListMove(Shard& shard, int db, std::string_view source,
                                              std::string_view destination, ListEnd from, ListEnd to);

// LLEN (0 for a missing key).
Result<int64_t> OpListLength(Shard& shard, int db, std::string_view key);

// LRANGE with Redis's index rules (negative from the tail, clamped): calls `count` once
// with the number of elements in range, then `element` for each, head to tail. A missing
// key is an empty range.
Status OpListRange(Shard& shard, int db, std::string_view key, int64_t start, int64_t end,
                   const std::function<void(size_t)>& count,
                   const std::function<void(std::string_view)>& element);

// LINDEX: nullopt for a missing key or an index out of range.
Result<std::optional<std::string>> OpListIndex(Shard& shard, int db, std::string_view key, int64_t index);

// LSET: NoSuchKey for a missing key, OutOfRange for a bad index.
Status OpListSet(Shard& shard, int db, std::string_view key, int64_t index, std::string_view value);

// LINSERT: the length after inserting; 0 if the key is missing, -1 if `pivot` is not in
// the list.
Result<int64_t> OpListInsert(Shard& shard, int db, std::string_view key, bool after, std::string_view pivot,
                             std::string_view value);

// LREM: removes the first `count` occurrences of `value` from the head (count > 0), from
// the tail (count < 0), or all of them (0); returns how many went.
Result<int64_t> OpListRemove(Shard& shard, int db, std::string_view key, int64_t count, std::string_view value);

// LTRIM: keeps the elements in [start, end] (Redis's index rules); an empty range deletes
// the key.
Status OpListTrim(Shard& shard, int db, std::string_view key, int64_t start, int64_t end);

// LPOS: the indexes (from the head) of the matches of `element`, skipping the first
// |rank| - 1 matches, searching from the tail when rank < 0, returning at most
// `max_matches` (0: all) and looking at no more than `max_len` elements (0: all).
// Empty for a missing key.
struct ListPosOptions {
  int64_t rank = 1;       // non-zero; |rank| <= INT64_MAX
  size_t max_matches = 1;
  size_t max_len = 0;
};
Result<std::vector<int64_t>> OpListPos(Shard& shard, int db, std::string_view key, std::string_view element,
                                       const ListPosOptions& options);

}  // namespace tierkv
