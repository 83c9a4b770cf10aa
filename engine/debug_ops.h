// Operations behind DEBUG subcommands that write the keyspace or read its structure.
// Thread-safety: engine thread only (they take the Shard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/shard.h"

namespace tierkv {

// DEBUG POPULATE: string keys "<prefix>:0" .. "<prefix>:<count-1>" holding "value:<n>",
// zero-padded or cut to `value_size` bytes when it is not 0. A key that exists is left
// alone. Each key is written as SET NX, so it is journaled as any write. Returns the
// number of keys created.
uint64_t OpPopulate(Shard& shard, int db, uint64_t count, std::string_view prefix, size_t value_size);

}  // namespace tierkv
