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
  value = std::min(value, kMaxValue);
  ++counts_[IndexOf(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // The epsilon keeps a rank that is an integer on paper (99.9% of 1000) from rounding
  // up to the next one through floating-point error.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-6));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(HighestOf(i), max_);
  }
  return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::Cumulative() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    seen += counts_[i];
    out.emplace_back(std::min(HighestOf(i), max_), seen);
  }
  return out;
}

}  // namespace tierkv::bench
