#include "engine/types/hyperloglog/hll_hash.h"

#include <bit>

#include "engine/types/hyperloglog/hll_format.h"

namespace tierkv::hll {

uint64_t MurmurHash64A(const void* data, size_t length, uint32_t seed) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  constexpr int kShift = 47;
  const auto* bytes = static_cast<const uint8_t*>(data);
  uint64_t h = seed ^ (length * kMul);

  const size_t blocks = length / 8;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; --b) k = (k << 8) | bytes[i * 8 + static_cast<size_t>(b)];
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }

  const uint8_t* tail = bytes + blocks * 8;
  const size_t rest = length & 7;
  if (rest != 0) {
    for (size_t b = rest; b-- > 0;) h ^= uint64_t{tail[b]} << (8 * b);
    h *= kMul;
  }

  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

Pattern PatternOf(std::string_view element) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kHashSeed);
  const auto index = static_cast<uint32_t>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // bounds the run: at most kQ zeros before a one
  return {index, static_cast<uint8_t>(std::countr_zero(hash) + 1)};
}

}  // namespace tierkv::hll
