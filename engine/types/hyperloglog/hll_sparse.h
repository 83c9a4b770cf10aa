// The sparse HyperLogLog encoding: a run-length code of the 16384 registers after the
// header, made of three opcodes (Redis's exact format):
//   ZERO   00xxxxxx            xxxxxx + 1 (1..64) registers at zero
//   XZERO  01xxxxxx yyyyyyyy   the 14-bit xxxxxxyyyyyyyy + 1 (1..16384) registers at zero
//   VAL    1vvvvvxx            xx + 1 (1..4) registers at vvvvv + 1 (1..32)
// A new HLL is one XZERO covering everything (18 bytes). A value is valid when its runs
// cover exactly 16384 registers. It turns dense when a register needs more than 32, or
// when an update would grow it past hll-sparse-max-bytes (header included).
//
// Updates edit the bytes in place and produce, byte for byte, what Redis's hllSparseSet
// produces (the same splits and the same limited merge of neighbouring VAL runs), which
// is what makes DUMP payloads equal. Damaged values are reported, never trusted: every
// reader stops at the value's end (an XZERO cut in half reads its missing byte as zero,
// as Redis reads its string's terminating zero).
//
// Thread-safety: pure functions over caller-owned bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types/hyperloglog/hll_format.h"

namespace tierkv::hll {

inline constexpr uint8_t kSparseValMaxValue = 32;
inline constexpr uint8_t kSparseValMaxLen = 4;
inline constexpr uint32_t kSparseZeroMaxLen = 64;
inline constexpr uint32_t kSparseXZeroMaxLen = 16384;
// Bytes past the value's length SparseSet may write: an XZERO split into XZERO-VAL-XZERO
// grows by 3, and a split of a final XZERO cut in half writes one byte further.
inline constexpr size_t kSparseSetSlack = 4;

// An empty HLL (sparse, cached cardinality 0).
std::string NewSparse();

enum class SparseSetResult {
  kUnchanged,  // the register already held `count` or more
  kUpdated,    // changed in place; the cached cardinality is invalidated
  kPromote,    // needs the dense encoding (count > 32, or it would outgrow max_bytes); nothing changed
  kInvalid,    // the opcodes do not cover `index`: a damaged value; nothing changed
};

// Raises register `index` (< 16384) to `count` in the sparse value hll[0..*size).
// The buffer must have room for *size + kSparseSetSlack bytes; *size is updated.
SparseSetResult SparseSet(uint8_t* hll, size_t* size, size_t max_bytes, uint32_t index, uint8_t count);

// Writes the dense form of a sparse value into `dense` (kDenseSize bytes): the header
// copied with the encoding changed (the cached cardinality kept), then the registers.
// False, with `dense` unspecified, if the opcodes do not cover exactly 16384 registers.
bool SparseToDense(std::string_view sparse, uint8_t* dense);

// Raises each max[i] to register i of a sparse value; false if it is damaged.
bool SparseMergeInto(std::string_view sparse, RawRegisters& max);

// Adds the sparse value's registers to `histogram`; false if the runs do not add up to
// 16384 registers (the histogram is then filled anyway, as Redis fills it).
bool SparseHistogram(std::string_view sparse, Histogram& histogram);

// PFDEBUG DECODE: "z:<len>", "Z:<len>", "v:<value>,<len>" separated by spaces.
std::string SparseDecode(std::string_view sparse);

}  // namespace tierkv::hll
