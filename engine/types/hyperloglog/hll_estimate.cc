#include "engine/types/hyperloglog/hll_estimate.h"

#include <cmath>
#include <limits>

#include "engine/types/hyperloglog/hll_sparse.h"

namespace tierkv::hll {
namespace {

constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)

// sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), summed until it stops changing.
double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

// tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3.
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    // Redis writes pow(1 - x, 2), which compilers turn into this exact product.
    z -= (1 - x) * (1 - x) * y;
  } while (previous != z);
  return z / 3;
}

}  // namespace

uint64_t EstimateCardinality(const Histogram& histogram) {
  const double m = kRegisters;
  double z = m * Tau((m - static_cast<double>(histogram[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += static_cast<double>(histogram[static_cast<size_t>(j)]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(histogram[0]) / m);
  // llroundl as Redis calls it: out of range (a crafted value whose registers make z
  // zero) gives what the platform gives Redis too.
  const long long rounded = std::llroundl(kAlphaInf * m * m / z);
  return static_cast<uint64_t>(rounded);
}

std::optional<uint64_t> CountValue(std::string_view value) {
  Histogram histogram{};
  if (static_cast<uint8_t>(value[kEncodingOffset]) == kEncodingDense) {
    DenseHistogram(reinterpret_cast<const uint8_t*>(value.data()) + kHeaderSize, histogram);
  } else if (!SparseHistogram(value, histogram)) {
    return std::nullopt;
  }
  return EstimateCardinality(histogram);
}

}  // namespace tierkv::hll
