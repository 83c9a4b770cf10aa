#include "engine/types/hyperloglog/hll_sparse.h"

#include <cstring>

namespace tierkv::hll {
namespace {

constexpr uint8_t kOpcodeMask = 0xc0;
constexpr uint8_t kXZeroBit = 0x40;
constexpr uint8_t kValBit = 0x80;

struct Opcode {
  enum class Kind : uint8_t { kZero, kXZero, kVal };
  Kind kind;
  uint8_t width;  // bytes
  uint32_t run;   // registers covered
  uint8_t value;  // kVal only
};

// The opcode at p (< end). An XZERO whose second byte lies past `end` reads it as zero.
Opcode ReadOpcode(const uint8_t* p, const uint8_t* end) {
  const uint8_t byte = *p;
  if (byte & kValBit) {
    return {Opcode::Kind::kVal, 1, (byte & 0x3u) + 1, static_cast<uint8_t>(((byte >> 2) & 0x1f) + 1)};
  }
  if ((byte & kOpcodeMask) == 0) return {Opcode::Kind::kZero, 1, (byte & 0x3fu) + 1, 0};
  const uint32_t low = p + 1 < end ? p[1] : 0;
  return {Opcode::Kind::kXZero, 2, (((byte & 0x3fu) << 8) | low) + 1, 0};
}

bool IsVal(uint8_t byte) { return (byte & kValBit) != 0; }

uint8_t* WriteVal(uint8_t* p, uint32_t value, uint32_t run) {
  *p = static_cast<uint8_t>(((value - 1) << 2) | (run - 1) | kValBit);
  return p + 1;
}

// A run of zero registers as ZERO when it fits one, XZERO otherwise.
uint8_t* WriteZeros(uint8_t* p, uint32_t run) {
  if (run > kSparseZeroMaxLen) {
    p[0] = static_cast<uint8_t>(((run - 1) >> 8) | kXZeroBit);
    p[1] = static_cast<uint8_t>((run - 1) & 0xff);
    return p + 2;
  }
  p[0] = static_cast<uint8_t>(run - 1);
  return p + 1;
}

// After an update at the opcode following `from`: merges neighbouring VAL opcodes of
// equal value whose runs fit one opcode, looking at no more than five opcodes (Redis's
// bounded clean-up, which decides the exact bytes). Returns the new end.
uint8_t* MergeAdjacentVals(uint8_t* from, uint8_t* end) {
  uint8_t* p = from;
  int budget = 5;
  while (p < end && budget-- > 0) {
    if (!IsVal(*p)) {
      p += (*p & kOpcodeMask) == kXZeroBit ? 2 : 1;
      continue;
    }
    if (p + 1 < end && IsVal(p[1])) {
      const Opcode left = ReadOpcode(p, end);
      const Opcode right = ReadOpcode(p + 1, end);
      const uint32_t run = left.run + right.run;
      if (left.value == right.value && run <= kSparseValMaxLen) {
        WriteVal(p + 1, left.value, run);
        std::memmove(p, p + 1, static_cast<size_t>(end - p - 1));
        --end;
        continue;  // the merged opcode may merge with the next one too
      }
    }
    ++p;
  }
  return end;
}

}  // namespace

std::string NewSparse() {
  std::string hll(kHeaderSize, '\0');
  std::memcpy(hll.data(), "HYLL", 4);
  hll[kEncodingOffset] = static_cast<char>(kEncodingSparse);
  uint8_t xzero[2];
  WriteZeros(xzero, kRegisters);
  hll.append(reinterpret_cast<const char*>(xzero), sizeof(xzero));
  return hll;
}

SparseSetResult SparseSet(uint8_t* hll, size_t* size, size_t max_bytes, uint32_t index, uint8_t count) {
  if (count > kSparseValMaxValue) return SparseSetResult::kPromote;

  // Step 1: find the opcode covering `index`, and the one before it.
  uint8_t* const registers = hll + kHeaderSize;
  uint8_t* end = hll + *size;
  uint8_t* p = registers;
  uint8_t* prev = nullptr;
  int64_t first = 0;  // first register the opcode at p covers
  int64_t span = 0;
  while (p < end) {
    const Opcode op = ReadOpcode(p, end);
    span = op.run;
    if (index <= first + span - 1) break;
    prev = p;
    p += op.width;
    first += span;
  }
  if (span == 0 || p >= end) return SparseSetResult::kInvalid;

  const Opcode op = ReadOpcode(p, end);
  uint8_t* next = p + op.width;
  if (next >= end) next = nullptr;

  // Step 2: the cases that rewrite one byte in place.
  if (op.kind == Opcode::Kind::kVal) {
    if (op.value >= count) return SparseSetResult::kUnchanged;
    if (op.run == 1) {
      WriteVal(p, count, 1);
      end = MergeAdjacentVals(prev != nullptr ? prev : registers, end);
      *size = static_cast<size_t>(end - hll);
      InvalidateCache(hll);
      return SparseSetResult::kUpdated;
    }
  }
  if (op.kind == Opcode::Kind::kZero && op.run == 1) {
    WriteVal(p, count, 1);
    end = MergeAdjacentVals(prev != nullptr ? prev : registers, end);
    *size = static_cast<size_t>(end - hll);
    InvalidateCache(hll);
    return SparseSetResult::kUpdated;
  }

  // The general case: split the run around `index` into up to three opcodes.
  uint8_t sequence[5];
  uint8_t* n = sequence;
  const int64_t last = first + span - 1;
  if (op.kind == Opcode::Kind::kVal) {
    if (index != first) n = WriteVal(n, op.value, static_cast<uint32_t>(index - first));
    n = WriteVal(n, count, 1);
    if (index != last) n = WriteVal(n, op.value, static_cast<uint32_t>(last - index));
  } else {
    if (index != first) n = WriteZeros(n, static_cast<uint32_t>(index - first));
    n = WriteVal(n, count, 1);
    if (index != last) n = WriteZeros(n, static_cast<uint32_t>(last - index));
  }

  // Step 3: put the sequence in place of the opcode, moving the tail.
  const auto sequence_len = static_cast<int64_t>(n - sequence);
  const int64_t delta = sequence_len - op.width;
  if (delta > 0 && *size + static_cast<size_t>(delta) > max_bytes) return SparseSetResult::kPromote;
  if (delta != 0 && next != nullptr) std::memmove(next + delta, next, static_cast<size_t>(end - next));
  std::memcpy(p, sequence, static_cast<size_t>(sequence_len));
  end += delta;

  // Step 4: merge what the split made mergeable.
  end = MergeAdjacentVals(prev != nullptr ? prev : registers, end);
  *size = static_cast<size_t>(end - hll);
  InvalidateCache(hll);
  return SparseSetResult::kUpdated;
}

bool SparseToDense(std::string_view sparse, uint8_t* dense) {
  std::memset(dense, 0, kDenseSize);
  std::memcpy(dense, sparse.data(), kHeaderSize);
  dense[kEncodingOffset] = kEncodingDense;
  uint8_t* registers = dense + kHeaderSize;
  const auto* p = reinterpret_cast<const uint8_t*>(sparse.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(sparse.data()) + sparse.size();
  int64_t index = 0;
  while (p < end) {
    const Opcode op = ReadOpcode(p, end);
    if (op.kind == Opcode::Kind::kVal) {
      if (index + op.run > kRegisters) break;
      for (uint32_t i = 0; i < op.run; ++i) DenseSet(registers, static_cast<uint32_t>(index++), op.value);
    } else {
      index += op.run;
    }
    p += op.width;
  }
  return index == kRegisters;
}

bool SparseMergeInto(std::string_view sparse, RawRegisters& max) {
  const auto* p = reinterpret_cast<const uint8_t*>(sparse.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(sparse.data()) + sparse.size();
  int64_t index = 0;
  while (p < end) {
    const Opcode op = ReadOpcode(p, end);
    if (op.kind == Opcode::Kind::kVal) {
      if (index + op.run > kRegisters) break;
      for (uint32_t i = 0; i < op.run; ++i, ++index) {
        uint8_t& slot = max[static_cast<size_t>(index)];
        if (op.value > slot) slot = op.value;
      }
    } else {
      index += op.run;
    }
    p += op.width;
  }
  return index == kRegisters;
}

bool SparseHistogram(std::string_view sparse, Histogram& histogram) {
  const auto* p = reinterpret_cast<const uint8_t*>(sparse.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(sparse.data()) + sparse.size();
  int64_t index = 0;
  while (p < end) {
    const Opcode op = ReadOpcode(p, end);
    index += op.run;
    histogram[op.value] += op.run;  // value 0 for ZERO and XZERO
    p += op.width;
  }
  return index == kRegisters;
}

std::string SparseDecode(std::string_view sparse) {
  std::string text;
  const auto* p = reinterpret_cast<const uint8_t*>(sparse.data()) + kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(sparse.data()) + sparse.size();
  while (p < end) {
    const Opcode op = ReadOpcode(p, end);
    if (!text.empty()) text += ' ';
    switch (op.kind) {
      case Opcode::Kind::kZero: text += "z:" + std::to_string(op.run); break;
      case Opcode::Kind::kXZero: text += "Z:" + std::to_string(op.run); break;
      case Opcode::Kind::kVal: text += "v:" + std::to_string(op.value) + "," + std::to_string(op.run); break;
    }
    p += op.width;
  }
  return text;
}

}  // namespace tierkv::hll
