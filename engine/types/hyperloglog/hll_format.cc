#include "engine/types/hyperloglog/hll_format.h"

namespace tierkv::hll {

HllKind Classify(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return HllKind::kInvalid;
  const auto encoding = static_cast<uint8_t>(value[kEncodingOffset]);
  if (encoding == kEncodingSparse) return HllKind::kSparse;
  if (encoding == kEncodingDense && value.size() == kDenseSize) return HllKind::kDense;
  return HllKind::kInvalid;
}

uint64_t CachedCardinality(const uint8_t* hll) {
  uint64_t cardinality = 0;
  for (int i = 7; i >= 0; --i) cardinality = (cardinality << 8) | hll[kCardinalityOffset + static_cast<size_t>(i)];
  return cardinality;
}

void SetCachedCardinality(uint8_t* hll, uint64_t cardinality) {
  for (size_t i = 0; i < 8; ++i) hll[kCardinalityOffset + i] = static_cast<uint8_t>(cardinality >> (8 * i));
}

void DenseHistogram(const uint8_t* registers, Histogram& histogram) {
  // Four registers fill three bytes exactly; unpack them a group at a time.
  for (size_t byte = 0; byte < kRegisters * kRegisterBits / 8; byte += 3) {
    const uint32_t group = registers[byte] | (uint32_t{registers[byte + 1]} << 8) |
                           (uint32_t{registers[byte + 2]} << 16);
    ++histogram[group & kRegisterMax];
    ++histogram[(group >> 6) & kRegisterMax];
    ++histogram[(group >> 12) & kRegisterMax];
    ++histogram[(group >> 18) & kRegisterMax];
  }
}

void RawHistogram(const RawRegisters& registers, Histogram& histogram) {
  // Raw registers come from merges of valid values: at most kRegisterMax.
  for (uint8_t value : registers) ++histogram[value & kRegisterMax];
}

void DenseMergeInto(const uint8_t* registers, RawRegisters& max) {
  for (uint32_t i = 0; i < kRegisters; ++i) {
    const uint8_t value = DenseGet(registers, i);
    if (value > max[i]) max[i] = value;
  }
}

}  // namespace tierkv::hll
