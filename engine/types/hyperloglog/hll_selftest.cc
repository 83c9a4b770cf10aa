#include "engine/types/hyperloglog/hll_selftest.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/types/hyperloglog/hll_buffer.h"
#include "engine/types/hyperloglog/hll_estimate.h"
#include "engine/types/hyperloglog/hll_format.h"
#include "engine/types/hyperloglog/hll_hash.h"
#include "engine/types/hyperloglog/hll_sparse.h"

namespace tierkv::hll {
namespace {

Status Failed(const std::string& what) { return Status::Error("ERR TESTFAILED " + what); }

Status CheckRegisterPacking(std::mt19937_64& rng) {
  std::vector<uint8_t> packed(kDenseSize - kHeaderSize);
  std::vector<uint8_t> expected(kRegisters);
  for (int round = 0; round < 1000; ++round) {
    for (uint32_t i = 0; i < kRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rng() & kRegisterMax);
      DenseSet(packed.data(), i, expected[i]);
    }
    for (uint32_t i = 0; i < kRegisters; ++i) {
      const uint8_t value = DenseGet(packed.data(), i);
      if (value != expected[i]) {
        return Failed("Register " + std::to_string(i) + " should be " + std::to_string(expected[i]) + " but is " +
                      std::to_string(value));
      }
    }
  }
  return Status::Ok();
}

Status CheckApproximation(std::mt19937_64& rng, size_t sparse_max_bytes) {
  std::string dense(kDenseSize, '\0');
  dense.replace(0, 4, "HYLL");
  auto* dense_registers = reinterpret_cast<uint8_t*>(dense.data()) + kHeaderSize;
  StringHllBuffer sparse(NewSparse());
  const double relative_error = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  const uint64_t seed = rng();
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 10'000'000; ++j) {
    const uint64_t element = j ^ seed;
    char bytes[8];
    for (size_t b = 0; b < 8; ++b) bytes[b] = static_cast<char>(element >> (8 * b));
    const std::string_view view(bytes, sizeof(bytes));
    const Pattern pattern = PatternOf(view);
    DenseRaise(dense_registers, pattern.index, pattern.count);
    (void)AddElement(sparse, view, sparse_max_bytes);
    if (j != checkpoint) continue;

    if (j < sparse_max_bytes / 2 && sparse.data()[kEncodingOffset] != kEncodingSparse) {
      return Failed("sparse encoding not used");
    }
    const uint64_t dense_count = *CountValue(dense);
    if (dense_count != CountValue(sparse.view())) return Failed("dense/sparse disagree");
    int64_t error = static_cast<int64_t>(checkpoint) - static_cast<int64_t>(dense_count);
    if (error < 0) error = -error;
    // At 10 a collision is likely enough to allow one off.
    const auto max_error =
        j == 10 ? int64_t{1} : static_cast<int64_t>(std::ceil(relative_error * 6 * static_cast<double>(checkpoint)));
    if (error > max_error) {
      return Failed("Too big error. card:" + std::to_string(checkpoint) + " abserr:" + std::to_string(error));
    }
    checkpoint *= 10;
  }
  return Status::Ok();
}

}  // namespace

Status SelfTest(std::mt19937_64& rng, size_t sparse_max_bytes) {
  if (Status status = CheckRegisterPacking(rng); !status.ok()) return status;
  return CheckApproximation(rng, sparse_max_bytes);
}

}  // namespace tierkv::hll
