// Histogram: the documented bucketing, exact on known inputs.
#include "tools/bench/histogram.h"

#include <gtest/gtest.h>

namespace tierkv::bench {
namespace {

TEST(HistogramTest, ValuesBelow256HaveBucketsOfTheirOwn) {
  for (uint64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(Histogram::IndexOf(v), v);
    EXPECT_EQ(Histogram::LowestOf(v), v);
    EXPECT_EQ(Histogram::HighestOf(v), v);
  }
}

TEST(HistogramTest, EachPowerOfTwoIsCutInto128Buckets) {
  // [256, 512): width 2; [512, 1024): width 4; [2^20, 2^21): width 2^13.
  EXPECT_EQ(Histogram::IndexOf(256), 256u);
  EXPECT_EQ(Histogram::IndexOf(257), 256u);
  EXPECT_EQ(Histogram::IndexOf(258), 257u);
  EXPECT_EQ(Histogram::IndexOf(511), 383u);
  EXPECT_EQ(Histogram::IndexOf(512), 384u);
  EXPECT_EQ(Histogram::IndexOf(515), 384u);
  EXPECT_EQ(Histogram::IndexOf(516), 385u);
  EXPECT_EQ(Histogram::LowestOf(385), 516u);
  EXPECT_EQ(Histogram::HighestOf(385), 519u);
  const size_t index = Histogram::IndexOf(1u << 20);
  EXPECT_EQ(Histogram::LowestOf(index), 1u << 20);
  EXPECT_EQ(Histogram::HighestOf(index), (1u << 20) + (1u << 13) - 1);
}

TEST(HistogramTest, EveryValueLiesInItsBucketWithin1In128) {
  for (uint64_t v = 1; v < Histogram::kMaxValue; v = v * 3 / 2 + 7) {
    const size_t i = Histogram::IndexOf(v);
    ASSERT_LT(i, Histogram::kBuckets);
    EXPECT_LE(Histogram::LowestOf(i), v);
    EXPECT_GE(Histogram::HighestOf(i), v);
    EXPECT_LE(static_cast<double>(Histogram::HighestOf(i) - Histogram::LowestOf(i)), static_cast<double>(v) / 128.0);
    if (i + 1 < Histogram::kBuckets) {
      EXPECT_EQ(Histogram::LowestOf(i + 1), Histogram::HighestOf(i) + 1);
    }
  }
  EXPECT_EQ(Histogram::IndexOf(Histogram::kMaxValue), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::IndexOf(UINT64_MAX), Histogram::kBuckets - 1);  // clamped
}

TEST(HistogramTest, PercentilesOfOneToThousandAreTheirBucketsTops) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
  // The rank-th value's bucket, reported by its highest value: [256, 512) has buckets
  // of width 2, [512, 1024) of width 4.
  EXPECT_EQ(h.Percentile(50), 501u);    // rank 500 in [500, 501]
  EXPECT_EQ(h.Percentile(90), 903u);    // rank 900 in [900, 903]
  EXPECT_EQ(h.Percentile(99), 991u);    // rank 990 in [988, 991]
  EXPECT_EQ(h.Percentile(99.9), 999u);  // rank 999 (not 1000: 99.9% of 1000 in floating point) in [996, 999]
  EXPECT_EQ(h.Percentile(100), 1000u);
  EXPECT_EQ(h.Percentile(0.1), 1u);
}

TEST(HistogramTest, OneOutlierShowsInTheTopPercentileOnly) {
  Histogram h;
  for (int i = 0; i < 999; ++i) h.Record(100);
  h.Record(100'000'000);
  EXPECT_EQ(h.Percentile(99.9), 100u);   // rank 999 is the last 100
  EXPECT_EQ(h.Percentile(99.95), 100'000'000u);  // rank 1000: the outlier, capped by the exact max
  EXPECT_EQ(h.max(), 100'000'000u);
}

TEST(HistogramTest, MergeAddsCountsAndKeepsExtremes) {
  Histogram a, b;
  a.Record(10);
  a.Record(20);
  b.Record(5);
  b.Record(3000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 3000u);
  EXPECT_EQ(a.Percentile(50), 10u);
  EXPECT_EQ(a.Percentile(75), 20u);
  auto cumulative = a.Cumulative();
  ASSERT_EQ(cumulative.size(), 4u);
  EXPECT_EQ(cumulative.back().second, 4u);
  EXPECT_EQ(cumulative.back().first, 3000u);
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(99), 0u);
}

TEST(HistogramTest, ACompactHistogramAnswersAsTheFullOne) {
  Histogram full;
  for (uint64_t v = 1; v <= 100'000; v += 7) full.Record(v * 13);
  Histogram compact = full;
  compact.Compact();
  for (double p : {0.1, 50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(compact.Percentile(p), full.Percentile(p)) << p;
  EXPECT_EQ(compact.Cumulative(), full.Cumulative());
  EXPECT_EQ(compact.count(), full.count());
  // Merging from and into a compact one, and recording into it, expand as needed.
  Histogram sum;
  sum.Compact();
  sum.Merge(compact);
  sum.Merge(full);
  sum.Record(5);
  EXPECT_EQ(sum.count(), 2 * full.count() + 1);
  EXPECT_EQ(sum.min(), 5u);
  EXPECT_EQ(sum.Percentile(50), full.Percentile(50));
  compact.Record(1);
  EXPECT_EQ(compact.min(), 1u);
  EXPECT_EQ(compact.count(), full.count() + 1);
}

}  // namespace
}  // namespace tierkv::bench
