// Keyspace hashing. One seeded 64-bit hash (XXH3) for every table in the engine.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace tierkv {

uint64_t HashKey(std::string_view key);

}  // namespace tierkv
