// Slicing-by-8 table-driven CRC-32C (Castagnoli, reflected). See crc32c.h.
//
// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of byte b
// followed by k zero bytes, so eight table lookups advance the CRC over eight bytes at once.
#include "tiering/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tierkv {
namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78u;  // 0x1EDC6F41 bit-reversed

using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables MakeTables() {
  CrcTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ kReflectedPolynomial : crc >> 1;
    }
    tables[0][byte] = crc;
  }
  for (size_t k = 1; k < tables.size(); ++k) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xff];
    }
  }
  return tables;
}

constexpr CrcTables kTables = MakeTables();

// Little-endian load assembled from bytes: correct on any host, and compilers turn it
// into one load on little-endian machines.
inline uint32_t LoadLittleEndian32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t state = ~crc;
  while (len >= 8) {
    const uint32_t low = state ^ LoadLittleEndian32(p);
    const uint32_t high = LoadLittleEndian32(p + 4);
    state = kTables[7][low & 0xff] ^ kTables[6][(low >> 8) & 0xff] ^
            kTables[5][(low >> 16) & 0xff] ^ kTables[4][low >> 24] ^
            kTables[3][high & 0xff] ^ kTables[2][(high >> 8) & 0xff] ^
            kTables[1][(high >> 16) & 0xff] ^ kTables[0][high >> 24];
    p += 8;
    len -= 8;
  }
  while (len > 0) {
    state = kTables[0][(state ^ *p) & 0xff] ^ (state >> 8);
    ++p;
    --len;
  }
  return ~state;
}

#if defined(__x86_64__)
// The SSE4.2 `crc32` instruction computes this very CRC, eight bytes per instruction:
// several times the table version's speed, which matters when recovery checks every
// journal record.
__attribute__((target("sse4.2"))) static uint32_t Crc32cHardware(uint32_t crc, const void* data, size_t len) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t state = ~crc;
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    state = _mm_crc32_u64(state, word);
    p += 8;
    len -= 8;
  }
  auto state32 = static_cast<uint32_t>(state);
  while (len > 0) {
    state32 = _mm_crc32_u8(state32, *p);
    ++p;
    --len;
  }
  return ~state32;
}
#endif

uint32_t Crc32c(uint32_t crc, const void* data, size_t len) {
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return Crc32cHardware(crc, data, len);
#endif
  return Crc32cPortable(crc, data, len);
}

}  // namespace tierkv
