// Key and value-size distributions: statistical checks with fixed seeds, and parsing.
#include "tools/bench/distributions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace tierkv::bench {
namespace {

KeySpec Spec(const std::string& text) {
  std::string error;
  auto spec = ParseKeySpec(text, &error);
  EXPECT_TRUE(spec.has_value()) << error;
  return spec.value_or(KeySpec{});
}

TEST(DistributionsTest, UniformFillsItsRangeEvenly) {
  // 100 bins, 200,000 draws: chi-square with 99 degrees of freedom; 99.9% quantile 148.2.
  KeyPicker picker(Spec("uniform"), KeyRange{1000, 100});
  Rng rng(7);
  std::vector<uint64_t> bins(100);
  constexpr int kDraws = 200'000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t key = picker.Next(rng);
    ASSERT_GE(key, 1000u);
    ASSERT_LT(key, 1100u);
    ++bins[key - 1000];
  }
  double chi2 = 0;
  const double expected = kDraws / 100.0;
  for (uint64_t count : bins) chi2 += (count - expected) * (count - expected) / expected;
  EXPECT_LT(chi2, 148.2);
}

TEST(DistributionsTest, SequentialWalksTheRangeAndWraps) {
  KeyPicker picker(Spec("sequential"), KeyRange{10, 3});
  Rng rng(1);
  std::vector<uint64_t> keys;
  for (int i = 0; i < 7; ++i) keys.push_back(picker.Next(rng));
  EXPECT_EQ(keys, (std::vector<uint64_t>{10, 11, 12, 10, 11, 12, 10}));
}

double Zeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = n; i >= 1; --i) sum += std::pow(static_cast<double>(i), -theta);
  return sum;
}

// P(offset k) = (k + 1)^-theta / zeta(n, theta): the first ranks one by one (5%, about
// ten standard errors at rank 10), the 100 most frequent together, and a chi-square
// over the first 1,000 offsets.
void ExpectZipf(const std::string& spec, double theta, uint64_t n, uint64_t seed) {
  KeyPicker picker(Spec(spec), KeyRange{0, n});
  Rng rng(seed);
  constexpr int kDraws = 1'000'000;
  std::vector<uint64_t> counts(n);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t key = picker.Next(rng);
    ASSERT_LT(key, n);
    ++counts[key];
  }
  const double zeta = Zeta(n, theta);
  auto expected = [&](uint64_t rank) { return kDraws * std::pow(static_cast<double>(rank), -theta) / zeta; };
  for (uint64_t rank : {1, 2, 3, 10}) {
    EXPECT_NEAR(static_cast<double>(counts[rank - 1]), expected(rank), 0.05 * expected(rank)) << spec << " rank " << rank;
  }
  uint64_t top = 0;
  double top_expected = 0;
  for (uint64_t rank = 1; rank <= 100; ++rank) {
    top += counts[rank - 1];
    top_expected += expected(rank);
  }
  EXPECT_NEAR(static_cast<double>(top), top_expected, 0.01 * top_expected) << spec;
  // Chi-square over offsets 0..999 plus the rest as one bin: 1,000 degrees of freedom,
  // 99.9% quantile about 1,143.
  double chi2 = 0, rest_expected = kDraws;
  uint64_t rest = kDraws;
  for (uint64_t rank = 1; rank <= 1000; ++rank) {
    const double e = expected(rank);
    chi2 += (counts[rank - 1] - e) * (counts[rank - 1] - e) / e;
    rest -= counts[rank - 1];
    rest_expected -= e;
  }
  chi2 += (rest - rest_expected) * (rest - rest_expected) / rest_expected;
  EXPECT_LT(chi2, 1143) << spec;
}

TEST(DistributionsTest, ZipfRankFrequenciesFollowThePowerLaw) {
  ExpectZipf("zipf", 0.99, 10'000, 42);
  ExpectZipf("zipf:0.5", 0.5, 100'000, 43);
  ExpectZipf("zipf:1.2", 1.2, 5'000, 44);
  ExpectZipf("zipf:1", 1.0, 20'000, 45);
}

TEST(DistributionsTest, GaussianHasItsMeanAndStddev) {
  KeyPicker picker(Spec("gaussian:5000,500"), KeyRange{0, 10'000});
  Rng rng(3);
  constexpr int kDraws = 200'000;
  double sum = 0, squares = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double key = static_cast<double>(picker.Next(rng)) + 0.5;  // the middle of the key's unit
    sum += key;
    squares += key * key;
  }
  const double mean = sum / kDraws;
  const double stddev = std::sqrt(squares / kDraws - mean * mean);
  EXPECT_NEAR(mean, 5000, 5);      // standard error 500 / sqrt(200,000) = 1.1
  EXPECT_NEAR(stddev, 500, 5);     // plus the 1/12 of flooring to an integer, negligible
}

TEST(DistributionsTest, GaussianDefaultsToTheMiddleAndStaysInItsRange) {
  KeyPicker picker(Spec("gaussian"), KeyRange{100, 60});
  Rng rng(9);
  double sum = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t key = picker.Next(rng);
    ASSERT_GE(key, 100u);
    ASSERT_LT(key, 160u);
    sum += static_cast<double>(key);
  }
  EXPECT_NEAR(sum / 100'000, 129.5, 0.2);
}

TEST(DistributionsTest, ParseRejectsBadSpecs) {
  std::string error;
  EXPECT_FALSE(ParseKeySpec("zipf:0", &error));
  EXPECT_FALSE(ParseKeySpec("zipf:11", &error));
  EXPECT_FALSE(ParseKeySpec("zipf:abc", &error));
  EXPECT_FALSE(ParseKeySpec("gaussian:1", &error));
  EXPECT_FALSE(ParseKeySpec("gaussian:1,0", &error));
  EXPECT_FALSE(ParseKeySpec("uniform:3", &error));
  EXPECT_FALSE(ParseKeySpec("pareto", &error));
  EXPECT_NE(error.find("unknown key distribution"), std::string::npos);
  EXPECT_EQ(Describe(Spec("zipf:0.5")), "zipf:0.5");
}

TEST(DistributionsTest, ValueSizesFixedUniformAndWeighted) {
  std::string error;
  Rng rng(11);
  auto fixed = ValueSizes::Parse("100", &error);
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->Next(rng), 100u);
  EXPECT_EQ(fixed->max(), 100u);

  auto uniform = ValueSizes::Parse("10-20", &error);
  ASSERT_TRUE(uniform);
  std::map<size_t, int> seen;
  for (int i = 0; i < 11'000; ++i) ++seen[uniform->Next(rng)];
  ASSERT_EQ(seen.size(), 11u);  // every size from 10 to 20, inclusive
  EXPECT_EQ(seen.begin()->first, 10u);
  EXPECT_EQ(seen.rbegin()->first, 20u);
  EXPECT_DOUBLE_EQ(uniform->mean(), 15);

  auto weighted = ValueSizes::Parse("100:70,1000:25,10000:5", &error);
  ASSERT_TRUE(weighted);
  std::map<size_t, int> counts;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) ++counts[weighted->Next(rng)];
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_NEAR(counts[100], 0.70 * kDraws, 700);  // ~5 standard errors
  EXPECT_NEAR(counts[1000], 0.25 * kDraws, 700);
  EXPECT_NEAR(counts[10000], 0.05 * kDraws, 350);
  EXPECT_EQ(weighted->max(), 10000u);
  EXPECT_DOUBLE_EQ(weighted->mean(), 100 * 0.70 + 1000 * 0.25 + 10000 * 0.05);
  EXPECT_EQ(weighted->Describe(), "100:70,1000:25,10000:5");

  EXPECT_FALSE(ValueSizes::Parse("20-10", &error));
  EXPECT_FALSE(ValueSizes::Parse("100:0", &error));
  EXPECT_FALSE(ValueSizes::Parse("x", &error));
}

}  // namespace
}  // namespace tierkv::bench
