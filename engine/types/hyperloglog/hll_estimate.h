// The cardinality estimate from a register histogram: Otmar Ertl's improved estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284),
// which Redis uses since 5.0, with the same floating-point operations in the same order
// so that the rounded result equals Redis's for the same registers.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/types/hyperloglog/hll_format.h"

namespace tierkv::hll {

uint64_t EstimateCardinality(const Histogram& histogram);

// The cardinality of a dense or sparse value (Classify accepts it); nullopt if a sparse
// value is damaged.
std::optional<uint64_t> CountValue(std::string_view value);

}  // namespace tierkv::hll
