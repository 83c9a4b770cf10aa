// Histogram: a log-linear (HDR-style) latency histogram in nanoseconds.
//
// Bucketing, exactly: with S = kSubBits = 7, a value v (clamped to kMaxValue) goes to
//   shift = max(0, bit_width(v) - (S + 1))
//   index = (shift << S) + (v >> shift)
// so values below 2^(S+1) = 256 ns each have a bucket of their own, and above that every
// power-of-two range [2^e, 2^(e+1)) is cut into 2^S = 128 equal buckets of width
// 2^shift. A bucket's lowest value is (v >> shift) << shift, its highest that plus
// 2^shift - 1; every value in it is within 1/128 (0.78%) of both. Percentiles report
// the highest value of the bucket the rank falls in (never below the true value),
// capped by the exact maximum; min, max, count and sum are exact.
//
// 4,352 counters (34 KiB) while recording. Compact() keeps only the non-empty buckets
// (a few KiB for one second of a run), so an hour's per-second series does not hold
// 3,600 full arrays; recording into a compacted histogram expands it again. Not
// thread-safe: each thread records into its own and the report merges them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tierkv::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kMaxValue = (uint64_t{1} << 40) - 1;  // ~18 minutes in ns
  static constexpr size_t kBuckets = ((40 - (kSubBits + 1)) << kSubBits) + (uint64_t{1} << (kSubBits + 1));

  Histogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t value);
  void Merge(const Histogram& other);
  void Reset();
  void Compact();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }

  // The value at percentile p (0 < p <= 100): the highest value of the bucket holding
  // the ceil(p/100 * count)-th smallest recorded value, at most max(). 0 when empty.
  uint64_t Percentile(double p) const;

  // Bucket arithmetic, public for the tests and the report's distribution chart.
  static size_t IndexOf(uint64_t value);
  static uint64_t LowestOf(size_t index);
  static uint64_t HighestOf(size_t index);

  // (highest value of bucket, cumulative count) for each non-empty bucket, ascending.
  std::vector<std::pair<uint64_t, uint64_t>> Cumulative() const;

 private:
  void Expand();
  // Calls fn(index, count) for each non-empty bucket, ascending.
  template <typename Fn>
  void ForEachBucket(Fn fn) const {
    if (compact_) {
      for (const auto& [index, n] : sparse_) fn(static_cast<size_t>(index), n);
      return;
    }
    for (size_t i = 0; i < kBuckets; ++i) {
      if (counts_[i]) fn(i, counts_[i]);
    }
  }

  std::vector<uint64_t> counts_;                      // all buckets, unless compact_
  std::vector<std::pair<uint32_t, uint64_t>> sparse_;  // the non-empty ones, if compact_
  bool compact_ = false;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace tierkv::bench
