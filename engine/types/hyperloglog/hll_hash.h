// The hash HyperLogLog feeds its registers from: MurmurHash64A (Austin Appleby's 64-bit
// MurmurHash2) with Redis's seed, reading 8-byte blocks little-endian, so an element
// lands in the same register with the same run length as in Redis.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tierkv::hll {

inline constexpr uint32_t kHashSeed = 0xadc83b19u;

uint64_t MurmurHash64A(const void* data, size_t length, uint32_t seed);

// Where an element goes: the register (the hash's low 14 bits) and the value it offers,
// the length of the run of zeros in the remaining 50 bits counted with its final one
// (1..51).
struct Pattern {
  uint32_t index;
  uint8_t count;
};
Pattern PatternOf(std::string_view element);

}  // namespace tierkv::hll
