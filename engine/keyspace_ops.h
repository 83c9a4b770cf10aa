// Lookups shared by every command family: find a key of an expected type,
// count a hit or a miss, and record a modification.
// Thread-safety: engine thread only.
#pragma once

#include <memory>
#include <string_view>

#include "engine/db.h"
#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// The live entry for `key` if it holds `type`; nullptr if the key is missing;
// WrongType if it holds another type. Counts keyspace hits and misses.
Result<Entry*> FindTyped(Shard& shard, Db& db, std::string_view key, ValueType type, bool touch = true);
// The same for a write's lookup, which Redis does not count as a hit or a miss.
Result<Entry*> FindTypedForWrite(Db& db, std::string_view key, ValueType type);

// Stores a new collection value under `key`, which must be missing, with fresh access
// data; returns its entry. The caller reports the modification.
Entry* AddCollection(Shard& shard, Db& db, std::string_view key, ValueType type, std::unique_ptr<ValueObject> value);

// The collection held by a (non-string) entry, as its concrete type.
template <typename T>
T& ValueOf(const Entry* entry) {
  return *static_cast<T*>(entry->object());
}

}  // namespace tierkv
