#include "tools/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tierkv::bench {

size_t Histogram::IndexOf(uint64_t value) {
  value = std::min(value, kMaxValue);
  const int width = std::bit_width(value);
  const int shift = std::max(0, width - (kSubBits + 1));
  return (static_cast<size_t>(shift) << kSubBits) + static_cast<size_t>(value >> shift);
}

uint64_t Histogram::LowestOf(size_t index) {
  // Indexes below 2^(S+1) are shift 0; above, each shift owns 2^S indexes.
  const size_t sub = size_t{1} << kSubBits;
  if (index < 2 * sub) return index;
  const size_t shift = index / sub - 1;
  const uint64_t top = index - (shift << kSubBits);  // v >> shift, in [2^S, 2^(S+1))
  return top << shift;
}

uint64_t Histogram::HighestOf(size_t index) {
  const size_t sub = size_t{1} << kSubBits;
  if (index < 2 * sub) return index;
  const size_t shift = index / sub - 1;
  return LowestOf(index) + (uint64_t{1} << shift) - 1;
}

void Histogram::Record(uint64_t value) {
  if (compact_) Expand();
  value = std::min(value, kMaxValue);
  ++counts_[IndexOf(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  if (compact_) Expand();
  other.ForEachBucket([this](size_t index, uint64_t n) { counts_[index] += n; });
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Reset() {
  counts_.assign(kBuckets, 0);
  sparse_.clear();
  compact_ = false;
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

void Histogram::Compact() {
  if (compact_) return;
  sparse_.clear();
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i]) sparse_.emplace_back(static_cast<uint32_t>(i), counts_[i]);
  }
  sparse_.shrink_to_fit();
  std::vector<uint64_t>().swap(counts_);
  compact_ = true;
}

void Histogram::Expand() {
  counts_.assign(kBuckets, 0);
  for (const auto& [index, n] : sparse_) counts_[index] = n;
  std::vector<std::pair<uint32_t, uint64_t>>().swap(sparse_);
  compact_ = false;
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The epsilon keeps a rank that is an integer on paper (99.9% of 1000) from rounding
  // up to the next one through floating-point error.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-6));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  uint64_t result = max_;
  bool found = false;
  ForEachBucket([&](size_t index, uint64_t n) {
    if (found) return;
    seen += n;
    if (seen >= rank) {
      result = std::min(HighestOf(index), max_);
      found = true;
    }
  });
  return result;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::Cumulative() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t seen = 0;
  ForEachBucket([&](size_t index, uint64_t n) {
    seen += n;
    out.emplace_back(std::min(HighestOf(index), max_), seen);
  });
  return out;
}

}  // namespace tierkv::bench
