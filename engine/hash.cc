#include "engine/hash.h"

#include <xxhash.h>

namespace tierkv {

// A fixed seed keeps SCAN cursors meaningful across runs of the same binary;
// hash flooding is not a concern on a loopback-bound cache server of this kind,
// and a per-process random seed can be added here without touching callers.
constexpr uint64_t kHashSeed = 0x9e3779b97f4a7c15ULL;

uint64_t HashKey(std::string_view key) { return XXH3_64bits_withSeed(key.data(), key.size(), kHashSeed); }

}  // namespace tierkv
