// PFSELFTEST: Redis's built-in check of the HyperLogLog code, run against ours: the
// 6-bit register packing round-trips random values, and adding 1..10,000,000 distinct
// elements to a dense HLL and to one that starts sparse gives equal counts within six
// standard errors at every power of ten (and stays sparse while it is small).
//
// Thread-safety: pure apart from `rng`; takes about a second.
#pragma once

#include <cstddef>
#include <random>

#include "engine/status.h"

namespace tierkv::hll {

// OK, or Redis's "ERR TESTFAILED ..." text.
Status SelfTest(std::mt19937_64& rng, size_t sparse_max_bytes);

}  // namespace tierkv::hll
