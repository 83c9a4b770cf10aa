#include "engine/types/string/bit_ops.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/keyspace_ops.h"
#include "engine/types/string/string_ops.h"

namespace tierkv {
namespace {

using Int128 = __int128;
using UInt128 = unsigned __int128;

uint8_t ByteAt(std::string_view data, uint64_t index) {
  return index < data.size() ? static_cast<uint8_t>(data[index]) : 0;
}

int64_t Popcount(const char* data, size_t length) {
  int64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof(word));
    count += std::popcount(word);
  }
  for (; i < length; ++i) count += std::popcount(static_cast<uint8_t>(data[i]));
  return count;
}

// Redis's range rules shared by BITCOUNT and BITPOS: negative indexes count
// from the end, then both are clamped to [0, total-1]. Returns false when the
// range is empty.
bool ResolveRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
  return *start <= *end;
}

// First bit equal to `bit` in bits [first_bit, last_bit] of `data` (both
// inside the string), or -1.
int64_t FindBit(std::string_view data, bool bit, int64_t first_bit, int64_t last_bit) {
  const uint64_t first_byte = static_cast<uint64_t>(first_bit) >> 3;
  const uint64_t last_byte = static_cast<uint64_t>(last_bit) >> 3;
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};  // a word with no match
  for (uint64_t byte = first_byte; byte <= last_byte;) {
    // Whole words strictly inside the range are skipped eight bytes at a time.
    if (byte != first_byte && byte + 8 <= last_byte) {
      uint64_t word;
      std::memcpy(&word, data.data() + byte, sizeof(word));
      if (word == skip_word) {
        byte += 8;
        continue;
      }
    }
    uint8_t value = static_cast<uint8_t>(data[byte]);
    if (!bit) value = static_cast<uint8_t>(~value);  // now look for a set bit
    uint8_t mask = 0xFF;
    if (byte == first_byte) mask &= static_cast<uint8_t>(0xFF >> (first_bit & 7));
    if (byte == last_byte) mask &= static_cast<uint8_t>(0xFF << (7 - (last_bit & 7)));
    value &= mask;
    if (value != 0) return static_cast<int64_t>(byte * 8) + std::countl_zero(value);
    ++byte;
  }
  return -1;
}

// BITFIELD's journal effect: each SET or INCRBY of `ops` as a SET of the value the field
// holds after it (`results`, one per write, in order). A resolved value always fits its
// field, so the effect needs no OVERFLOW mode and gives the same bits whatever mode the
// command used; a write that OVERFLOW FAIL refused becomes a SET of the field's current
// value, which still grows the string to cover the field, as the refused write did.
Effect BitfieldEffect(std::string_view key, std::span<const BitfieldOp> ops, std::span<const int64_t> results) {
  Effect effect = MakeEffect({"BITFIELD", key});
  size_t next = 0;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    std::string type(1, op.type.is_signed ? 'i' : 'u');
    type += std::to_string(op.type.bits);
    effect.insert(effect.end(), {"SET", std::move(type), std::to_string(op.offset), std::to_string(results[next++])});
  }
  return effect;
}

uint64_t WidthMask(uint8_t bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

// Sign-extends the low `bits` bits of `raw` for signed types.
int64_t FromRaw(uint64_t raw, BitfieldType type) {
  raw &= WidthMask(type.bits);
  if (type.is_signed && type.bits < 64 && (raw >> (type.bits - 1)) & 1) raw |= ~WidthMask(type.bits);
  return static_cast<int64_t>(raw);
}

}  // namespace

int64_t BitCount(std::string_view data, const std::optional<BitRange>& range) {
  if (!range) return Popcount(data.data(), data.size());
  int64_t start = range->start;
  int64_t end = range->end;
  // Both negative and reversed is empty before clamping could make them meet.
  if (start < 0 && end < 0 && start > end) return 0;
  const bool in_bits = range->unit == BitUnit::kBit;
  const int64_t total = static_cast<int64_t>(data.size()) * (in_bits ? 8 : 1);
  if (!ResolveRange(total, &start, &end)) return 0;
  if (!in_bits) return Popcount(data.data() + start, static_cast<size_t>(end - start + 1));
  // Count the whole bytes, then take away the bits of the edge bytes outside the range.
  const int64_t first_byte = start >> 3;
  const int64_t last_byte = end >> 3;
  int64_t count = Popcount(data.data() + first_byte, static_cast<size_t>(last_byte - first_byte + 1));
  const uint8_t before = static_cast<uint8_t>(~(0xFF >> (start & 7)));
  const uint8_t after = static_cast<uint8_t>(0xFF >> ((end & 7) + 1));
  count -= std::popcount(static_cast<uint8_t>(data[first_byte] & before));
  count -= std::popcount(static_cast<uint8_t>(data[last_byte] & after));
  return count;
}

int64_t BitPos(std::string_view data, bool bit, std::optional<int64_t> start, std::optional<int64_t> end,
               BitUnit unit) {
  const int64_t length = static_cast<int64_t>(data.size());
  int64_t first_bit = 0;
  int64_t last_bit = length * 8 - 1;
  if (start) {
    const bool in_bits = unit == BitUnit::kBit;
    const int64_t total = length * (in_bits ? 8 : 1);
    int64_t from = *start;
    int64_t to = end ? *end : total - 1;
    if (!ResolveRange(total, &from, &to)) return -1;
    first_bit = in_bits ? from : from * 8;
    last_bit = in_bits ? to : to * 8 + 7;
  }
  if (first_bit > last_bit) return -1;  // empty string
  const int64_t found = FindBit(data, bit, first_bit, last_bit);
  if (found >= 0) return found;
  // A clear bit is found right after the string when the caller did not
  // bound the range: the string is seen as padded with zeros.
  if (!bit && !end) return last_bit + 1;
  return -1;
}

int64_t ReadBitfield(std::string_view data, uint64_t offset, BitfieldType type) {
  const uint64_t first_byte = offset >> 3;
  const uint64_t last_byte = (offset + type.bits - 1) >> 3;  // at most 9 bytes
  UInt128 window = 0;
  for (uint64_t byte = first_byte; byte <= last_byte; ++byte) window = (window << 8) | ByteAt(data, byte);
  const unsigned shift = static_cast<unsigned>((last_byte - first_byte + 1) * 8 - (offset & 7) - type.bits);
  return FromRaw(static_cast<uint64_t>(window >> shift), type);
}

void WriteBitfield(char* data, uint64_t offset, BitfieldType type, int64_t value) {
  const uint64_t first_byte = offset >> 3;
  const uint64_t last_byte = (offset + type.bits - 1) >> 3;
  const size_t count = static_cast<size_t>(last_byte - first_byte + 1);
  UInt128 window = 0;
  for (size_t i = 0; i < count; ++i) window = (window << 8) | static_cast<uint8_t>(data[first_byte + i]);
  const unsigned shift = static_cast<unsigned>(count * 8 - (offset & 7) - type.bits);
  const UInt128 field_mask = static_cast<UInt128>(WidthMask(type.bits)) << shift;
  const UInt128 field = static_cast<UInt128>(static_cast<uint64_t>(value) & WidthMask(type.bits)) << shift;
  window = (window & ~field_mask) | field;
  for (size_t i = count; i-- > 0;) {
    data[first_byte + i] = static_cast<char>(static_cast<uint8_t>(window));
    window >>= 8;
  }
}

std::optional<int64_t> BitfieldArithmetic(BitfieldType type, BitfieldOverflow overflow, int64_t old_value,
                                          int64_t operand, bool increment) {
  // The exact result in 128 bits, then fitted to the field.
  const Int128 max = type.is_signed ? (Int128{1} << (type.bits - 1)) - 1 : (Int128{1} << type.bits) - 1;
  const Int128 min = type.is_signed ? -max - 1 : 0;
  Int128 exact;
  if (increment) {
    exact = Int128{old_value} + operand;
  } else {
    exact = type.is_signed ? Int128{operand} : Int128{static_cast<uint64_t>(operand)};
  }
  if (exact >= min && exact <= max) return static_cast<int64_t>(exact);
  switch (overflow) {
    case BitfieldOverflow::kFail:
      return std::nullopt;
    case BitfieldOverflow::kSat:
      // Redis quirk, kept for compatibility: its signed overflow check
      // computes max - value in 64 bits, which wraps for a SET operand below
      // max - INT64_MAX, and then saturates such an operand at the maximum.
      if (type.is_signed && type.bits < 64 && !increment && exact < max - INT64_MAX) {
        return static_cast<int64_t>(max);
      }
      return static_cast<int64_t>(exact > max ? max : min);
    case BitfieldOverflow::kWrap:
      break;
  }
  return FromRaw(static_cast<uint64_t>(static_cast<UInt128>(exact)), type);
}

Result<int64_t> OpSetBit(Shard& shard, int db, std::string_view key, uint64_t offset, bool on) {
  size_t old_len;
  auto found = LookupStringForWrite(shard, db, key, static_cast<size_t>(offset >> 3) + 1, &old_len);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  uint8_t* byte = reinterpret_cast<uint8_t*>(entry->value_data()) + (offset >> 3);
  const unsigned shift = 7 - static_cast<unsigned>(offset & 7);
  const bool previous = (*byte >> shift) & 1;
  if (previous != on) *byte = static_cast<uint8_t>((*byte & ~(1u << shift)) | (unsigned{on} << shift));
  // Only a real change is a modification (Redis 7.2).
  if (previous != on || entry->value_len != old_len) {
    shard.KeyModifiedBy(db, key, [&] { return MakeEffect({"SETBIT", key, std::to_string(offset), on ? "1" : "0"}); });
  }
  return int64_t{previous};
}

Result<int64_t> OpGetBit(Shard& shard, int db, std::string_view key, uint64_t offset) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  const uint8_t byte = ByteAt((*found)->string_value(), offset >> 3);
  return int64_t{(byte >> (7 - (offset & 7))) & 1};
}

Result<int64_t> OpBitCount(Shard& shard, int db, std::string_view key, const std::optional<BitRange>& range) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{0};
  return BitCount((*found)->string_value(), range);
}

Result<int64_t> OpBitPos(Shard& shard, int db, std::string_view key, bool bit, std::optional<int64_t> start,
                         std::optional<int64_t> end, BitUnit unit) {
  auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
  if (!found.ok()) return found.status();
  if (*found == nullptr) return int64_t{bit ? -1 : 0};
  return BitPos((*found)->string_value(), bit, start, end, unit);
}

Result<int64_t> OpBitOp(Shard& shard, int db_index, BitOpKind kind, std::string_view dest,
                        std::span<const std::string_view> sources) {
  Db& db = shard.db(db_index);
  // First pass: type checks, lazy expiry and the result length. After it the
  // sources are stable, so the second pass reads them with Peek, without copies.
  size_t max_len = 0;
  for (std::string_view source : sources) {
    auto found = FindTyped(shard, db, source, ValueType::kString);
    if (!found.ok()) return found.status();
    if (*found != nullptr) max_len = std::max<size_t>(max_len, (*found)->value_len);
  }
  if (max_len == 0) {
    if (db.Delete(dest)) shard.KeyModified(db_index, dest);
    return int64_t{0};
  }

  // The result is built directly in the new entry for `dest`.
  Entry* fresh = Entry::NewString(dest, {}, kNoExpire, max_len);
  fresh->value_len = static_cast<uint32_t>(max_len);
  fresh->encoding = Encoding::kRaw;
  uint8_t* out = reinterpret_cast<uint8_t*>(fresh->value_data());
  for (size_t k = 0; k < sources.size(); ++k) {
    const Entry* entry = db.Peek(sources[k]);
    const std::string_view value = entry != nullptr ? entry->string_value() : std::string_view();
    const uint8_t* in = reinterpret_cast<const uint8_t*>(value.data());
    const size_t len = value.size();
    if (k == 0) {
      // Missing bytes of any source read as zero.
      if (len > 0) std::memcpy(out, in, len);
      std::memset(out + len, 0, max_len - len);
      if (kind == BitOpKind::kNot) {
        for (size_t i = 0; i < max_len; ++i) out[i] = static_cast<uint8_t>(~out[i]);
      }
      continue;
    }
    switch (kind) {
      case BitOpKind::kAnd:
        for (size_t i = 0; i < len; ++i) out[i] &= in[i];
        std::memset(out + len, 0, max_len - len);
        break;
      case BitOpKind::kOr:
        for (size_t i = 0; i < len; ++i) out[i] |= in[i];
        break;
      case BitOpKind::kXor:
        for (size_t i = 0; i < len; ++i) out[i] ^= in[i];
        break;
      case BitOpKind::kNot:
        break;  // single source, handled above
    }
  }
  shard.InitAccess(fresh);
  db.Set(fresh);  // replaces any value of any type, TTL included (Redis's setKey)
  shard.KeyModified(db_index, dest);
  return static_cast<int64_t>(max_len);
}

Result<std::vector<std::optional<int64_t>>> OpBitfield(Shard& shard, int db, std::string_view key,
                                                       std::span<const BitfieldOp> ops) {
  std::vector<std::optional<int64_t>> replies;
  replies.reserve(ops.size());
  uint64_t highest_bit = 0;
  bool writes = false;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    writes = true;
    highest_bit = std::max(highest_bit, op.offset + op.type.bits - 1);
  }

  if (!writes) {
    auto found = FindTyped(shard, shard.db(db), key, ValueType::kString);
    if (!found.ok()) return found.status();
    const std::string_view data = *found != nullptr ? (*found)->string_value() : std::string_view();
    for (const BitfieldOp& op : ops) replies.emplace_back(ReadBitfield(data, op.offset, op.type));
    return replies;
  }

  const uint64_t min_len = (highest_bit >> 3) + 1;
  if (min_len > kMaxStringBytes) return StringTooLong();
  size_t old_len;
  auto found = LookupStringForWrite(shard, db, key, static_cast<size_t>(min_len), &old_len);
  if (!found.ok()) return found.status();
  Entry* entry = *found;
  std::vector<int64_t> results;  // each write's resulting field value, for the journal
  // Only a real change is a modification (Redis 7.2, as SETBIT): a grown or created
  // string, or a SET/INCRBY that wrote another value.
  bool changed = entry->value_len != old_len;
  for (const BitfieldOp& op : ops) {
    const int64_t old_value = ReadBitfield(entry->string_value(), op.offset, op.type);
    if (op.kind == BitfieldOp::Kind::kGet) {
      replies.emplace_back(old_value);
      continue;
    }
    const bool increment = op.kind == BitfieldOp::Kind::kIncrBy;
    const std::optional<int64_t> stored = BitfieldArithmetic(op.type, op.overflow, old_value, op.operand, increment);
    results.push_back(stored.value_or(old_value));
    if (!stored) {
      replies.emplace_back(std::nullopt);  // OVERFLOW FAIL: nothing written
      continue;
    }
    if (*stored != old_value) {
      WriteBitfield(entry->value_data(), op.offset, op.type, *stored);
      changed = true;
    }
    replies.emplace_back(increment ? *stored : old_value);
  }
  // Only a real change is a modification (Redis 7.2, as SETBIT). Its effect names every
  // SET/INCRBY's resulting value, which also reproduces a string it grew.
  if (changed) shard.KeyModifiedBy(db, key, [&] { return BitfieldEffect(key, ops, results); });
  return replies;
}

}  // namespace tierkv
