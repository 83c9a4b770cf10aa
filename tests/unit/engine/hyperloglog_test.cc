// HyperLogLog values: the register packing, the hash, the sparse opcodes and their
// updates, the promotion to dense, and the estimator on values Redis 7.0 computed for the
// same inputs. Engine library only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/types/hyperloglog/hll_buffer.h"
#include "engine/types/hyperloglog/hll_estimate.h"
#include "engine/types/hyperloglog/hll_format.h"
#include "engine/types/hyperloglog/hll_hash.h"
#include "engine/types/hyperloglog/hll_selftest.h"
#include "engine/types/hyperloglog/hll_sparse.h"

namespace tierkv::testing {
namespace {

using namespace tierkv::hll;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

const std::string kSparseHeader = Bytes({'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});

// A sparse value after SparseSet calls, with the slack SparseSet needs.
struct Sparse {
  std::string bytes = NewSparse();

  SparseSetResult Set(uint32_t index, uint8_t count, size_t max_bytes = 3000) {
    size_t size = bytes.size();
    bytes.resize(size + kSparseSetSlack);
    const SparseSetResult result = SparseSet(reinterpret_cast<uint8_t*>(bytes.data()), &size, max_bytes, index, count);
    bytes.resize(size);
    return result;
  }
  std::string Decode() const { return SparseDecode(bytes); }
};

// --- Dense registers ------------------------------------------------------------------

TEST(HllDense, EveryRegisterRoundTripsWithoutDisturbingItsNeighbours) {
  std::vector<uint8_t> registers(kDenseSize - kHeaderSize, 0);
  for (uint32_t i = 0; i < kRegisters; ++i) DenseSet(registers.data(), i, static_cast<uint8_t>((i * 7 + 3) % 64));
  for (uint32_t i = 0; i < kRegisters; ++i) ASSERT_EQ(DenseGet(registers.data(), i), (i * 7 + 3) % 64) << i;
  // Lowering and raising one register keeps both neighbours.
  DenseSet(registers.data(), 5, 0);
  EXPECT_EQ(DenseGet(registers.data(), 4), (4 * 7 + 3) % 64);
  EXPECT_EQ(DenseGet(registers.data(), 6), (6 * 7 + 3) % 64);
  EXPECT_EQ(DenseGet(registers.data(), 5), 0);
}

TEST(HllDense, PackingIsLeastSignificantBitFirst) {
  std::vector<uint8_t> registers(kDenseSize - kHeaderSize, 0);
  DenseSet(registers.data(), 0, 63);
  EXPECT_EQ(registers[0], 0x3f);
  DenseSet(registers.data(), 1, 63);  // bits 6..11: the top of byte 0, the bottom of byte 1
  EXPECT_EQ(registers[0], 0xff);
  EXPECT_EQ(registers[1], 0x0f);
  DenseSet(registers.data(), kRegisters - 1, 63);  // bits 98298..98303: the top of the last byte
  EXPECT_EQ(registers.back(), 0xfc);
  EXPECT_TRUE(DenseRaise(registers.data(), 2, 5));
  EXPECT_FALSE(DenseRaise(registers.data(), 2, 5));
  EXPECT_FALSE(DenseRaise(registers.data(), 2, 4));
}

// --- Hash -----------------------------------------------------------------------------

TEST(HllHash, ElementsLandWhereRedisPutsThem) {
  // (register, value) that PFDEBUG GETREG shows in redis-server 7.0 after one PFADD.
  const struct {
    std::string element;
    uint32_t index;
    uint8_t count;
  } cases[] = {{"a", 12711, 2},       {"foo", 7348, 5},      {"hello", 9216, 1},
               {"", 5938, 2},         {"12345678", 10579, 3}, {"123456789abcdef", 1977, 3}};
  for (const auto& c : cases) {
    const Pattern pattern = PatternOf(c.element);
    EXPECT_EQ(pattern.index, c.index) << c.element;
    EXPECT_EQ(pattern.count, c.count) << c.element;
  }
}

// --- Header and classification --------------------------------------------------------

TEST(HllHeader, NewValueIsOneXZeroWithAValidZeroCache) {
  const std::string empty = NewSparse();
  EXPECT_EQ(empty, kSparseHeader + Bytes({0x7f, 0xff}));
  EXPECT_EQ(Classify(empty), HllKind::kSparse);
  EXPECT_TRUE(CacheValid(reinterpret_cast<const uint8_t*>(empty.data())));
  EXPECT_EQ(CountValue(empty), 0u);
  EXPECT_EQ(SparseDecode(empty), "Z:16384");
}

TEST(HllHeader, ClassifyFollowsRedisChecks) {
  EXPECT_EQ(Classify("HYLL"), HllKind::kInvalid);                      // shorter than a header
  EXPECT_EQ(Classify(std::string(16, 'x')), HllKind::kInvalid);         // no magic
  std::string dense(kDenseSize, '\0');
  dense.replace(0, 4, "HYLL");
  EXPECT_EQ(Classify(dense), HllKind::kDense);
  EXPECT_EQ(Classify(dense + "x"), HllKind::kInvalid);                 // dense of the wrong size
  dense[kEncodingOffset] = 2;
  EXPECT_EQ(Classify(dense), HllKind::kInvalid);                       // unknown encoding
  EXPECT_EQ(Classify(kSparseHeader), HllKind::kSparse);                // opcodes are checked later
}

TEST(HllHeader, CardinalityCacheIsLittleEndianWithAStaleBit) {
  std::string value = NewSparse();
  auto* hll = reinterpret_cast<uint8_t*>(value.data());
  SetCachedCardinality(hll, 0x0102030405060708ULL);
  EXPECT_EQ(value.substr(8, 8), Bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_TRUE(CacheValid(hll));
  EXPECT_EQ(CachedCardinality(hll), 0x0102030405060708ULL);
  InvalidateCache(hll);
  EXPECT_FALSE(CacheValid(hll));
  EXPECT_EQ(static_cast<uint8_t>(value[15]), 0x81);
}

// --- Sparse opcodes -------------------------------------------------------------------

TEST(HllSparse, SplittingTheInitialXZeroAtTheStart) {
  Sparse s;
  EXPECT_EQ(s.Set(0, 3), SparseSetResult::kUpdated);
  // VAL value 3 run 1 = 1 00010 00; XZERO 16383 = 01 111111 11111110.
  EXPECT_EQ(s.bytes, kSparseHeader.substr(0, 15) + Bytes({0x80}) + Bytes({0x88, 0x7f, 0xfe}));
  EXPECT_EQ(s.Decode(), "v:3,1 Z:16383");
}

TEST(HllSparse, ShortZeroRunsUseZeroAndLongOnesXZero) {
  Sparse s;
  EXPECT_EQ(s.Set(64, 1), SparseSetResult::kUpdated);
  EXPECT_EQ(s.Decode(), "z:64 v:1,1 Z:16319");
  EXPECT_EQ(s.Set(200, 2), SparseSetResult::kUpdated);
  EXPECT_EQ(s.Decode(), "z:64 v:1,1 Z:135 v:2,1 Z:16183");
  EXPECT_EQ(s.Set(65, 2), SparseSetResult::kUpdated);  // splits the XZERO into VAL + XZERO
  EXPECT_EQ(s.Decode(), "z:64 v:1,1 v:2,1 Z:134 v:2,1 Z:16183");
  EXPECT_EQ(s.bytes.size(), kHeaderSize + 1 + 1 + 1 + 2 + 1 + 2);
  EXPECT_EQ(s.Set(0, 1), SparseSetResult::kUpdated);  // ZERO split at its start
  EXPECT_EQ(s.Decode(), "v:1,1 z:63 v:1,1 v:2,1 Z:134 v:2,1 Z:16183");
}

TEST(HllSparse, AdjacentEqualValuesMergeUpToFourRegisters) {
  Sparse s;
  for (uint32_t i = 10; i < 14; ++i) EXPECT_EQ(s.Set(i, 7), SparseSetResult::kUpdated);
  EXPECT_EQ(s.Decode(), "z:10 v:7,4 Z:16370");
  EXPECT_EQ(s.Set(14, 7), SparseSetResult::kUpdated);  // a fifth does not fit one VAL
  EXPECT_EQ(s.Decode(), "z:10 v:7,4 v:7,1 Z:16369");
}

TEST(HllSparse, RaisingInsideAValRunSplitsIt) {
  Sparse s;
  for (uint32_t i = 10; i < 13; ++i) s.Set(i, 2);
  ASSERT_EQ(s.Decode(), "z:10 v:2,3 Z:16371");
  EXPECT_EQ(s.Set(11, 5), SparseSetResult::kUpdated);
  EXPECT_EQ(s.Decode(), "z:10 v:2,1 v:5,1 v:2,1 Z:16371");
  const std::string before = s.bytes;
  EXPECT_EQ(s.Set(11, 5), SparseSetResult::kUnchanged);
  EXPECT_EQ(s.Set(12, 1), SparseSetResult::kUnchanged);
  EXPECT_EQ(s.bytes, before);
  EXPECT_EQ(s.Set(11, 6), SparseSetResult::kUpdated);  // a run of one is rewritten in place
  EXPECT_EQ(s.Decode(), "z:10 v:2,1 v:6,1 v:2,1 Z:16371");
}

TEST(HllSparse, UpdatesInvalidateTheCachedCardinality) {
  Sparse s;
  ASSERT_TRUE(CacheValid(reinterpret_cast<const uint8_t*>(s.bytes.data())));
  s.Set(3, 1);
  EXPECT_FALSE(CacheValid(reinterpret_cast<const uint8_t*>(s.bytes.data())));
}

TEST(HllSparse, ValuesAbove32AndGrowthPastTheLimitAskForDense) {
  Sparse s;
  EXPECT_EQ(s.Set(5, 33), SparseSetResult::kPromote);
  EXPECT_EQ(s.Set(5, 20), SparseSetResult::kUpdated);
  const std::string grown = s.bytes;
  // Splitting the XZERO after it would add bytes; a limit of the current size refuses,
  // leaving the value as it was.
  EXPECT_EQ(s.Set(100, 1, grown.size()), SparseSetResult::kPromote);
  EXPECT_EQ(s.Set(6, 1, grown.size()), SparseSetResult::kPromote);
  EXPECT_EQ(s.bytes, grown);
  // Rewriting a run of one in place needs no room.
  EXPECT_EQ(s.Set(5, 32, grown.size()), SparseSetResult::kUpdated);
  EXPECT_EQ(s.Decode(), "z:5 v:32,1 Z:16378");
}

TEST(HllSparse, DamagedValuesAreReportedNotTrusted) {
  // An XZERO cut in half: its missing byte reads as zero, covering 16129 registers.
  const std::string cut = kSparseHeader + Bytes({0x7f});
  Sparse s{cut};
  EXPECT_EQ(s.Set(16383, 1), SparseSetResult::kInvalid);
  EXPECT_EQ(s.bytes, cut);
  std::vector<uint8_t> dense(kDenseSize);
  EXPECT_FALSE(SparseToDense(cut, dense.data()));
  RawRegisters max{};
  EXPECT_FALSE(SparseMergeInto(cut, max));
  Histogram histogram{};
  EXPECT_FALSE(SparseHistogram(cut, histogram));
  EXPECT_EQ(CountValue(cut), std::nullopt);
  EXPECT_EQ(SparseDecode(cut), "Z:16129");
  // Too many registers.
  const std::string overlong = NewSparse() + Bytes({0x00});
  EXPECT_FALSE(SparseToDense(overlong, dense.data()));
  EXPECT_FALSE(SparseMergeInto(overlong, max));
  EXPECT_EQ(CountValue(overlong), std::nullopt);
  // A VAL run past the last register is never written; like Redis, conversion and
  // merging stop before it and accept the value, counting refuses it.
  const std::string trailing_val = NewSparse() + Bytes({0x80});
  EXPECT_TRUE(SparseToDense(trailing_val, dense.data()));
  EXPECT_TRUE(SparseMergeInto(trailing_val, max));
  EXPECT_EQ(CountValue(trailing_val), std::nullopt);
  EXPECT_EQ(CountValue(kSparseHeader), std::nullopt);  // no opcodes at all
}

TEST(HllSparse, ToDenseKeepsTheHeaderAndRegisters) {
  Sparse s;
  s.Set(0, 3);
  s.Set(16383, 32);
  s.Set(777, 9);
  SetCachedCardinality(reinterpret_cast<uint8_t*>(s.bytes.data()), 3);
  std::vector<uint8_t> dense(kDenseSize);
  ASSERT_TRUE(SparseToDense(s.bytes, dense.data()));
  EXPECT_EQ(std::string(dense.begin(), dense.begin() + 4), "HYLL");
  EXPECT_EQ(dense[kEncodingOffset], kEncodingDense);
  EXPECT_EQ(CachedCardinality(dense.data()), 3u);
  const uint8_t* registers = dense.data() + kHeaderSize;
  EXPECT_EQ(DenseGet(registers, 0), 3);
  EXPECT_EQ(DenseGet(registers, 777), 9);
  EXPECT_EQ(DenseGet(registers, 16383), 32);
  int nonzero = 0;
  for (uint32_t i = 0; i < kRegisters; ++i) nonzero += DenseGet(registers, i) != 0;
  EXPECT_EQ(nonzero, 3);
}

// --- Buffer updates and promotion -----------------------------------------------------

TEST(HllBuffer, PromotionToDenseKeepsEveryRegister) {
  StringHllBuffer sparse(NewSparse());
  StringHllBuffer reference(NewSparse());
  for (int i = 0; i < 400; ++i) {
    const std::string element = "p" + std::to_string(i);
    AddElement(sparse, element, 3000);
    AddElement(reference, element, 1 << 20);  // never promoted by size
  }
  ASSERT_EQ(sparse.data()[kEncodingOffset], kEncodingSparse);
  ASSERT_TRUE(ConvertToDense(reference));
  // A value above 32 forces promotion whatever the size.
  EXPECT_EQ(RaiseRegister(sparse, 42, 40, 3000), UpdateResult::kUpdated);
  EXPECT_EQ(RaiseRegister(reference, 42, 40, 3000), UpdateResult::kUpdated);
  EXPECT_EQ(sparse.size(), kDenseSize);
  EXPECT_EQ(sparse.value().substr(kHeaderSize), reference.value().substr(kHeaderSize));
  EXPECT_EQ(RaiseRegister(sparse, 42, 40, 3000), UpdateResult::kUnchanged);
}

TEST(HllBuffer, GrowingPastSparseMaxBytesPromotes) {
  StringHllBuffer hll(NewSparse());
  int added = 0;
  while (hll.data()[kEncodingOffset] == kEncodingSparse) {
    AddElement(hll, "g" + std::to_string(added++), 200);
    ASSERT_TRUE(hll.size() <= 200 || hll.size() == kDenseSize) << hll.size();
  }
  EXPECT_EQ(hll.size(), kDenseSize);
  EXPECT_GT(added, 20);
  EXPECT_EQ(SparseCapacityFor(100, 3000), 200u);
  EXPECT_EQ(SparseCapacityFor(1000, 3000), 1300u);
  EXPECT_EQ(SparseCapacityFor(2900, 3000), 3000u);
  EXPECT_EQ(SparseCapacityFor(3004, 3000), 3004u);
}

// --- Estimator ------------------------------------------------------------------------

// Elements "e0".."e<n-1>": the counts, encodings and value sizes redis-server 7.0 reports.
TEST(HllEstimate, CountsEqualRedisForTheSameElements) {
  const struct {
    int n;
    uint64_t count;
    size_t size;
  } cases[] = {{1, 1, 21},        {10, 10, 48},          {100, 100, 285},
               {1000, 1008, 1906}, {10000, 9973, kDenseSize}, {100000, 100853, kDenseSize}};
  for (const auto& c : cases) {
    StringHllBuffer hll(NewSparse());
    for (int i = 0; i < c.n; ++i) AddElement(hll, "e" + std::to_string(i), 3000);
    EXPECT_EQ(CountValue(hll.view()), c.count) << c.n;
    EXPECT_EQ(hll.size(), c.size) << c.n;
  }
}

TEST(HllEstimate, HistogramEdges) {
  Histogram histogram{};
  histogram[0] = kRegisters;
  EXPECT_EQ(EstimateCardinality(histogram), 0u);
  histogram = {};
  histogram[1] = kRegisters;  // every register saw a one at once
  const uint64_t all_ones = EstimateCardinality(histogram);
  EXPECT_GT(all_ones, 10000u);
  EXPECT_LT(all_ones, 40000u);
}

TEST(HllEstimate, RawAndDenseHistogramsAgree) {
  std::vector<uint8_t> dense(kDenseSize - kHeaderSize, 0);
  RawRegisters raw{};
  for (uint32_t i = 0; i < kRegisters; i += 3) {
    DenseSet(dense.data(), i, static_cast<uint8_t>(i % 60));
    raw[i] = static_cast<uint8_t>(i % 60);
  }
  Histogram from_dense{};
  Histogram from_raw{};
  DenseHistogram(dense.data(), from_dense);
  RawHistogram(raw, from_raw);
  EXPECT_EQ(from_dense, from_raw);
  RawRegisters merged{};
  DenseMergeInto(dense.data(), merged);
  EXPECT_EQ(merged, raw);
}

TEST(HllSelfTest, Passes) {
  std::mt19937_64 rng(7);
  const Status status = SelfTest(rng, 3000);
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace tierkv::testing
