// Bit operations on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP
// BITFIELD (the Op* half; the handlers are in server/commands/bit_commands.cc).
//
// Bits are numbered as Redis numbers them: bit 0 is the most significant bit
// of byte 0. Bytes past the end of a string read as zero. Writes grow the
// string with zero bytes, in place when the entry has room, and leave it raw.
// The pure helpers (BitCount, BitPos, bitfield access and arithmetic) are
// public so that their edge cases can be tested without a keyspace.
//
// Thread-safety: engine thread only (the pure helpers are thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/shard.h"
#include "engine/status.h"

namespace tierkv {

// Whether range arguments count bytes (the default) or bits (BITCOUNT/BITPOS ... BIT).
enum class BitUnit { kByte, kBit };

struct BitRange {
  int64_t start = 0;
  int64_t end = -1;
  BitUnit unit = BitUnit::kByte;
};

enum class BitOpKind { kAnd, kOr, kXor, kNot };

enum class BitfieldOverflow { kWrap, kSat, kFail };

// A bitfield type: i1..i64 or u1..u63 (Redis has no u64: replies are signed).
struct BitfieldType {
  bool is_signed = false;
  uint8_t bits = 0;
};

struct BitfieldOp {
  enum class Kind { kGet, kSet, kIncrBy };
  Kind kind = Kind::kGet;
  BitfieldType type;
  uint64_t offset = 0;  // in bits; '#N' offsets are already multiplied by the width
  int64_t operand = 0;  // SET value or INCRBY increment
  BitfieldOverflow overflow = BitfieldOverflow::kWrap;
};

// --- Pure helpers -----------------------------------------------------------

// Set bits in `data`, or in its [start, end] range with Redis's index rules
// (negative from the end, clamped; both negative and reversed is empty).
int64_t BitCount(std::string_view data, const std::optional<BitRange>& range);

// Position of the first `bit` in `data`, or -1. Without `start` the whole
// string is searched; `end` defaults to the end of the string. When looking
// for a 0 and no `end` was given, a string of ones answers the first bit past
// its end (the string is seen as zero-padded), as Redis does.
int64_t BitPos(std::string_view data, bool bit, std::optional<int64_t> start, std::optional<int64_t> end,
               BitUnit unit);

// The `bits`-wide field at bit `offset`, most significant bit first, bytes
// past the end reading as zero; sign-extended for signed types.
int64_t ReadBitfield(std::string_view data, uint64_t offset, BitfieldType type);
// Stores the low `type.bits` bits of `value` at bit `offset`; `data` must
// cover the field.
void WriteBitfield(char* data, uint64_t offset, BitfieldType type, int64_t value);

// The value a field ends up holding after SET (`operand` replaces `old_value`)
// or INCRBY (`old_value` + `operand`), under `overflow`: wrapped to the width,
// saturated at the type's limits, or nullopt when FAIL refuses the write. For
// unsigned SET the operand is taken as a 64-bit unsigned number, as Redis does
// (so SET u8 with -1 is an overflow past the maximum).
std::optional<int64_t> BitfieldArithmetic(BitfieldType type, BitfieldOverflow overflow, int64_t old_value,
                                          int64_t operand, bool increment);

// --- Operations on the keyspace --------------------------------------------

// SETBIT: the previous bit. Grows the string to cover `offset`.
Result<int64_t> OpSetBit(Shard& shard, int db, std::string_view key, uint64_t offset, bool on);
// GETBIT: 0 past the end or for a missing key.
Result<int64_t> OpGetBit(Shard& shard, int db, std::string_view key, uint64_t offset);
// BITCOUNT: 0 for a missing key.
Result<int64_t> OpBitCount(Shard& shard, int db, std::string_view key, const std::optional<BitRange>& range);
// BITPOS: a missing key is an infinite run of zeros (0 for a clear bit, -1 for a set one).
Result<int64_t> OpBitPos(Shard& shard, int db, std::string_view key, bool bit, std::optional<int64_t> start,
                         std::optional<int64_t> end, BitUnit unit);
// BITOP: stores the result at `dest` (deleting it when every source is empty)
// and returns its length. Missing sources read as empty strings.
Result<int64_t> OpBitOp(Shard& shard, int db, BitOpKind kind, std::string_view dest,
                        std::span<const std::string_view> sources);
// BITFIELD / BITFIELD_RO: one reply per op, nullopt where OVERFLOW FAIL
// refused a write. Only GETs: the key is read and never created. Any SET or
// INCRBY: the string is created or grown to cover every written field first.
Result<std::vector<std::optional<int64_t>>> OpBitfield(Shard& shard, int db, std::string_view key,
                                                       std::span<const BitfieldOp> ops);

}  // namespace tierkv
