// HyperLogLog value layout: Redis's exact bytes, so that counts, DUMP payloads and RDB
// files interoperate with Redis (hyperloglog.c describes the format; this is our code).
//
// An HLL is an ordinary string value:
//   +------+---+-----+----------+------------------------------+
//   | HYLL | E | N/U | Cardin.  | registers (dense or sparse)  |
//   +------+---+-----+----------+------------------------------+
//   magic "HYLL", E = encoding (0 dense, 1 sparse), three unused bytes, then the cached
//   cardinality as a little-endian 64-bit integer whose top bit (bit 7 of byte 15) set
//   means "stale, recompute". 16 bytes of header in all.
// Dense: 16384 registers of 6 bits each, packed from the least significant bit of each
//   byte up (register i occupies bits 6i..6i+5 of the register area): 12288 bytes, so a
//   dense value is exactly 12304 bytes.
// Sparse: a run-length code of the registers (engine/types/hyperloglog/hll_sparse.h).
//
// Thread-safety: pure functions over caller-owned bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tierkv::hll {

inline constexpr size_t kHeaderSize = 16;
inline constexpr int kP = 14;                                    // index bits
inline constexpr int kQ = 64 - kP;                               // bits left for the run of zeros
inline constexpr uint32_t kRegisters = 1u << kP;                 // 16384
inline constexpr int kRegisterBits = 6;
inline constexpr uint8_t kRegisterMax = (1u << kRegisterBits) - 1;  // 63
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kRegisterBits + 7) / 8;  // 12304

inline constexpr uint8_t kEncodingDense = 0;
inline constexpr uint8_t kEncodingSparse = 1;
inline constexpr size_t kEncodingOffset = 4;
inline constexpr size_t kCardinalityOffset = 8;

// What a string value is, as Redis's isHLLObjectOrReply decides: at least a header,
// the magic, a known encoding, and for dense exactly kDenseSize bytes. A sparse value
// is not checked further here: its opcodes are validated while they are read.
enum class HllKind { kInvalid, kDense, kSparse };
HllKind Classify(std::string_view value);

// The cached cardinality (header bytes 8..15).
inline bool CacheValid(const uint8_t* hll) { return (hll[kCardinalityOffset + 7] & 0x80) == 0; }
uint64_t CachedCardinality(const uint8_t* hll);
void SetCachedCardinality(uint8_t* hll, uint64_t cardinality);
inline void InvalidateCache(uint8_t* hll) { hll[kCardinalityOffset + 7] |= 0x80; }

// Dense registers; `registers` points just past the header. Register 16383 ends inside
// the last byte, so no access reaches past the 12288 bytes.
inline uint8_t DenseGet(const uint8_t* registers, uint32_t index) {
  const size_t bit = size_t{index} * kRegisterBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  unsigned value = registers[byte] >> shift;
  if (shift > 8 - kRegisterBits) value |= unsigned{registers[byte + 1]} << (8 - shift);
  return static_cast<uint8_t>(value & kRegisterMax);
}

// `value` <= kRegisterMax.
inline void DenseSet(uint8_t* registers, uint32_t index, uint8_t value) {
  const size_t bit = size_t{index} * kRegisterBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  registers[byte] = static_cast<uint8_t>((registers[byte] & ~(kRegisterMax << shift)) | (value << shift));
  if (shift > 8 - kRegisterBits) {
    const unsigned high = 8 - shift;
    registers[byte + 1] =
        static_cast<uint8_t>((registers[byte + 1] & ~(kRegisterMax >> high)) | (value >> high));
  }
}

// Raises register `index` to `count` if it is lower; true if it changed.
inline bool DenseRaise(uint8_t* registers, uint32_t index, uint8_t count) {
  if (count <= DenseGet(registers, index)) return false;
  DenseSet(registers, index, count);
  return true;
}

// Registers one byte each: the form PFCOUNT of several keys and PFMERGE merge into.
using RawRegisters = std::array<uint8_t, kRegisters>;

// How many registers hold each value. Dense registers reach 63, so 64 slots.
using Histogram = std::array<int64_t, 64>;

void DenseHistogram(const uint8_t* registers, Histogram& histogram);
void RawHistogram(const RawRegisters& registers, Histogram& histogram);
// Raises each max[i] to the dense register i.
void DenseMergeInto(const uint8_t* registers, RawRegisters& max);

}  // namespace tierkv::hll
