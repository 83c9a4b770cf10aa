// Key and value-size distributions of a workload (docs/OPERATIONS.md, "tierkv-bench").
//
// A key is an index into a KeyRange [first, first + count); the connection turns it into
// the key name. KeyPicker is shared by every connection of a run and is thread-safe: its
// tables are immutable and the sequential cursor is atomic; each connection brings its
// own Rng. ValueSizes is immutable after parsing and thread-safe too.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/bench/rng.h"

namespace tierkv::bench {

struct KeyRange {
  uint64_t first = 0;
  uint64_t count = 1;
};

// How keys are drawn, as given on the command line:
//   uniform | sequential | zipf[:THETA] | gaussian[:MEAN,STDDEV]
// THETA > 0 (at most 10), default 0.99: key offset k is drawn with probability
// proportional to (k + 1)^-THETA, so offset 0 is the most frequent key. MEAN and STDDEV are
// key offsets within the range, default its middle and a sixth of its size.
struct KeySpec {
  enum class Kind { kUniform, kSequential, kZipf, kGaussian };
  Kind kind = Kind::kUniform;
  double theta = 0.99;
  std::optional<double> mean;
  std::optional<double> stddev;
};
std::optional<KeySpec> ParseKeySpec(std::string_view text, std::string* error);
std::string Describe(const KeySpec& spec);

class KeyPicker {
 public:
  KeyPicker(const KeySpec& spec, KeyRange range);

  // A key index in the range.
  uint64_t Next(Rng& rng);

  const KeyRange& range() const { return range_; }

 private:
  uint64_t NextZipf(Rng& rng) const;
  uint64_t NextGaussian(Rng& rng) const;

  KeySpec spec_;
  KeyRange range_;
  std::atomic<uint64_t> cursor_{0};
  // Zipf by rejection-inversion (Hoermann and Derflinger, "Rejection-inversion to
  // generate variates from monotone discrete distributions", 1996): exact for any
  // theta, O(1) per draw with no table, unlike the approximate inverse YCSB uses
  // (which is off by 18% at rank 3 for theta 0.99).
  double ZipfH(double x) const;
  double ZipfHInverse(double x) const;
  double h_x1_ = 0, h_n_ = 0, s_ = 0;
  double mean_ = 0, stddev_ = 0;
};

// Value sizes, as given on the command line:
//   N (fixed) | MIN-MAX (uniform, inclusive) | SIZE:WEIGHT,SIZE:WEIGHT,... (weighted list)
class ValueSizes {
 public:
  static std::optional<ValueSizes> Parse(std::string_view text, std::string* error);
  static ValueSizes Fixed(size_t size);

  size_t Next(Rng& rng) const;
  size_t max() const;
  double mean() const;
  std::string Describe() const;

 private:
  enum class Kind { kFixed, kUniform, kWeighted };
  Kind kind_ = Kind::kFixed;
  size_t min_ = 0, max_ = 0;
  std::vector<std::pair<size_t, uint64_t>> weighted_;  // size, cumulative weight
};

}  // namespace tierkv::bench
