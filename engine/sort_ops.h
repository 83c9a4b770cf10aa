// SORT and SORT_RO: the Op* half (server/commands/sort_commands.cc parses and replies).
// Semantics are Redis 7's sort.c:
//   - lists, sets and sorted sets are sorted; a missing key sorts as an empty list; any
//     other type is WrongType;
//   - numeric by default (strtod of the element or its BY value; a value that does not
//     convert is "ERR One or more scores can't be converted into double", a missing BY
//     value scores 0; equal scores are ordered by the element's bytes), ALPHA compares
//     bytes (Redis uses strcoll; tierkv runs in the C locale, where that is strcmp);
//   - BY pattern: the first '*' is replaced by the element, and "->field" after it reads
//     a hash field; a pattern with no '*' means "do not sort": lists and sorted sets
//     keep their own order (DESC walks it backwards), sets keep their iteration order,
//     except with STORE, where a set is sorted ALPHA so the stored list is deterministic;
//   - LIMIT offset count with Redis's clamping; GET patterns (GET # is the element, a
//     missing key or field is nil, or "" when stored).
// SORT ... STORE replaces the destination with a list (TTL dropped) or deletes it when
// the result is empty, and journals the destination's resulting state (KeyModified).
//
// Thread-safety: engine thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

struct SortOptions {
  std::optional<std::string> by;  // BY pattern (the last one given)
  bool dont_sort = false;         // some BY pattern had no '*' (sticky, as in Redis)
  int64_t limit_offset = 0;       // LIMIT offset count; count < 0: no limit
  int64_t limit_count = -1;
  std::vector<std::string> gets;  // GET patterns in order
  bool desc = false;
  bool alpha = false;
  std::optional<std::string> store;  // STORE destination (the last one given)
};

// "ERR One or more scores can't be converted into double"
Status SortScoreNotDouble();

// SORT without STORE: the reply's items in order (one per element without GET, else one
// per GET pattern per element); nullopt items are nil.
Result<std::vector<std::optional<std::string>>> OpSort(Shard& shard, int db, std::string_view key,
                                                      const SortOptions& options);

// SORT ... STORE options.store: the number of items stored.
Result<int64_t> OpSortStore(Shard& shard, int db, std::string_view key, const SortOptions& options);

// Redis's lookupKeyByPattern: "#" is `element` itself; otherwise the first '*' of
// `pattern` is replaced by `element` and the key read as a string, or, with "->field"
// after the '*', as a hash field. nullopt when the pattern has no '*', the key is
// missing or of another type, or the field is missing.
std::optional<std::string> SortLookupByPattern(Shard& shard, int db, std::string_view pattern,
                                               std::string_view element);

}  // namespace tierkv
