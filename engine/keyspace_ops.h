// Lookups shared by every command family: find a key of an expected type,
// count a hit or a miss, and record a modification.
// Thread-safety: engine thread only.
#pragma once

#include <string_view>

#include "engine/db.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// The live entry for `key` if it holds `type`; nullptr if the key is missing;
// WrongType if it holds another type. Counts keyspace hits and misses.
Result<Entry*> FindTyped(Shard& shard, Db& db, std::string_view key, ValueType type, bool touch = true);

}  // namespace tierkv
