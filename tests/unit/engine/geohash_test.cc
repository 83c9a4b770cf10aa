// Geohash math against values redis-server 7.0 gives for the same inputs: the scores
// GEOADD stores, decoded positions (GEOPOS digits), GEOHASH strings, distances (GEODIST
// digits), the x86 conversion of arbitrary scores; neighbours and their wrap-around; the
// step estimate; that the nine search cells cover every point of a shape; and the
// partial quicksort Redis orders COUNT results with.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/number.h"
#include "engine/types/geo/geo_area.h"
#include "engine/types/geo/geo_sort.h"
#include "engine/types/geo/geohash.h"

namespace tierkv {
namespace {

std::string Fixed4(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.4f", value);
  return text;
}

// GEOPOS's digits for a coordinate.
std::string Human(double value) { return FormatLongDouble(value); }

// Redis's documentation example: Palermo and Catania.
constexpr double kPalermoLon = 13.361389;
constexpr double kPalermoLat = 38.115556;
constexpr double kCataniaLon = 15.087269;
constexpr double kCataniaLat = 37.502669;

TEST(GeoHash, InterleaveRoundTrips) {
  EXPECT_EQ(GeoInterleave(0, 0), 0u);
  EXPECT_EQ(GeoInterleave(1, 0), 1u);  // x to the even positions
  EXPECT_EQ(GeoInterleave(0, 1), 2u);  // y to the odd ones
  EXPECT_EQ(GeoInterleave(0xFFFFFFFFu, 0), 0x5555555555555555ULL);
  EXPECT_EQ(GeoInterleave(0, 0xFFFFFFFFu), 0xAAAAAAAAAAAAAAAAULL);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t x = static_cast<uint32_t>(rng());
    const uint32_t y = static_cast<uint32_t>(rng());
    const uint64_t separated = GeoDeinterleave(GeoInterleave(x, y));
    EXPECT_EQ(static_cast<uint32_t>(separated), x);
    EXPECT_EQ(static_cast<uint32_t>(separated >> 32), y);
  }
}

TEST(GeoHash, ScoresMatchRedis) {
  // ZSCORE after GEOADD on redis-server.
  EXPECT_EQ(GeoScoreOf(kPalermoLon, kPalermoLat), 3479099956230698u);
  EXPECT_EQ(GeoScoreOf(kCataniaLon, kCataniaLat), 3479447370796909u);
  EXPECT_EQ(GeoScoreOf(-180, -85.05112878), 0u);
  // The maximum of both ranges quantises one past the grid (bits 52 and 53).
  EXPECT_EQ(GeoScoreOf(180, 85.05112878), 3ULL << 52);
  EXPECT_FALSE(GeoHashEncodeWgs84(180.0001, 0, kGeoStepMax).has_value());
  EXPECT_FALSE(GeoHashEncodeWgs84(0, 85.06, kGeoStepMax).has_value());
  EXPECT_FALSE(GeoHashEncodeWgs84(0, 0, 0).has_value());
  EXPECT_FALSE(GeoHashEncodeWgs84(0, 0, 33).has_value());
}

TEST(GeoHash, DecodedPositionsPrintLikeGeopos) {
  const GeoCoordinates palermo = GeoDecodeScore(3479099956230698.0);
  EXPECT_EQ(Human(palermo.longitude), "13.36138933897018433");
  EXPECT_EQ(Human(palermo.latitude), "38.11555639549629859");
  const GeoCoordinates catania = GeoDecodeScore(3479447370796909.0);
  EXPECT_EQ(Human(catania.longitude), "15.08726745843887329");
  EXPECT_EQ(Human(catania.latitude), "37.50266842333162032");
  // Decoding clamps the centre of a cell past the grid back into the limits.
  const GeoCoordinates top = GeoDecodeScore(static_cast<double>(3ULL << 52));
  EXPECT_EQ(top.longitude, 180);
  EXPECT_EQ(top.latitude, kGeoLatMax);
  EXPECT_EQ(Human(top.latitude), "85.0511287799999991");
  const GeoCoordinates bottom = GeoDecodeScore(0);
  EXPECT_EQ(Human(bottom.longitude), "-179.99999731779098511");
  EXPECT_EQ(Human(bottom.latitude), "-85.05112751263942528");
}

TEST(GeoHash, ArbitraryScoresConvertAsX86Does) {
  EXPECT_EQ(GeoScoreBits(3.5), 3u);
  EXPECT_EQ(GeoScoreBits(-0.5), 0u);
  EXPECT_EQ(GeoScoreBits(-1), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(GeoScoreBits(-2.5), std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(GeoScoreBits(9223372036854775808.0), 0x8000000000000000ULL);  // 2^63
  EXPECT_EQ(GeoScoreBits(18446744073709549568.0), 18446744073709549568ULL);  // largest below 2^64
  EXPECT_EQ(GeoScoreBits(1.9e19), 0u);  // 2^64 and above: indefinite, flipped back to 0
  EXPECT_EQ(GeoScoreBits(1e300), 0u);
  EXPECT_EQ(GeoScoreBits(std::numeric_limits<double>::infinity()), 0u);
  EXPECT_EQ(GeoScoreBits(-1e300), 0x8000000000000000ULL);
  EXPECT_EQ(GeoScoreBits(-std::numeric_limits<double>::infinity()), 0x8000000000000000ULL);
  // GEOPOS of such members on redis-server (ZADD mixed -1 a 1e300 b -1e300 c).
  const GeoCoordinates minus_one = GeoDecodeScore(-1);
  EXPECT_EQ(Human(minus_one.longitude), "180");
  EXPECT_EQ(Human(minus_one.latitude), "85.0511287799999991");
  const GeoCoordinates huge = GeoDecodeScore(1e300);
  EXPECT_EQ(Human(huge.longitude), "-179.99999731779098511");
  EXPECT_EQ(Human(huge.latitude), "-85.05112751263942528");
  const GeoCoordinates negative_huge = GeoDecodeScore(-1e300);
  EXPECT_EQ(Human(negative_huge.longitude), "180");
  EXPECT_EQ(Human(negative_huge.latitude), "-85.05112751263942528");
}

TEST(GeoHash, GeohashStrings) {
  EXPECT_EQ(GeoHashString(3479099956230698.0), "sqc8b49rny0");  // Palermo
  EXPECT_EQ(GeoHashString(3479447370796909.0), "sqdtr74hyu0");  // Catania
  EXPECT_EQ(GeoHashString(static_cast<double>(3ULL << 52)), "bp05b5048p0");
  EXPECT_EQ(GeoHashString(0), "00bh0hbj200");
  EXPECT_EQ(GeoHashString(-1), "bp05b5048p0");
}

TEST(GeoHash, NeighboursMoveOneCellAndWrap) {
  // Step 2: 4x4 cells. x (longitude) in the odd bits, y (latitude) in the even ones.
  const auto cell = [](uint32_t x, uint32_t y) { return GeoHashBits{GeoInterleave(y, x), 2}; };
  const GeoNeighbors n = GeoHashNeighbors(cell(1, 2));
  EXPECT_EQ(n.east, cell(2, 2));
  EXPECT_EQ(n.west, cell(0, 2));
  EXPECT_EQ(n.north, cell(1, 3));
  EXPECT_EQ(n.south, cell(1, 1));
  EXPECT_EQ(n.north_east, cell(2, 3));
  EXPECT_EQ(n.north_west, cell(0, 3));
  EXPECT_EQ(n.south_east, cell(2, 1));
  EXPECT_EQ(n.south_west, cell(0, 1));
  const GeoNeighbors corner = GeoHashNeighbors(cell(3, 0));
  EXPECT_EQ(corner.east, cell(0, 0));   // wraps around the antimeridian
  EXPECT_EQ(corner.south, cell(3, 3));  // and from south to north
  EXPECT_EQ(corner.south_east, cell(0, 3));
  // At full precision, moving east then west returns to the cell; a neighbour is never
  // the cell itself (so the search never reads the centre twice).
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const uint8_t step = static_cast<uint8_t>(1 + rng() % 26);
    const GeoHashBits hash{rng() & ((uint64_t{1} << (2 * step)) - 1), step};
    const GeoNeighbors around = GeoHashNeighbors(hash);
    EXPECT_EQ(GeoHashNeighbors(around.east).west, hash);
    EXPECT_EQ(GeoHashNeighbors(around.north).south, hash);
    for (const GeoHashBits& other : {around.north, around.south, around.east, around.west, around.north_east,
                                     around.north_west, around.south_east, around.south_west}) {
      EXPECT_NE(other, hash);
    }
  }
}

TEST(GeoHash, DecodeGivesTheCellAroundTheEncodedPoint) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> lon(kGeoLongMin, kGeoLongMax);
  std::uniform_real_distribution<double> lat(kGeoLatMin, kGeoLatMax);
  for (int i = 0; i < 2000; ++i) {
    const double x = lon(rng);
    const double y = lat(rng);
    const uint8_t step = static_cast<uint8_t>(1 + rng() % 26);
    const auto hash = GeoHashEncodeWgs84(x, y, step);
    ASSERT_TRUE(hash.has_value());
    const GeoArea area = GeoHashDecode(kGeoLongRange, kGeoLatRange, *hash);
    EXPECT_LE(area.longitude.min, x);
    EXPECT_GE(area.longitude.max, x);
    EXPECT_LE(area.latitude.min, y);
    EXPECT_GE(area.latitude.max, y);
    // The cell's score range holds the point's full-precision score.
    uint64_t min = 0;
    uint64_t max = 0;
    GeoHashScoreRange(*hash, &min, &max);
    const uint64_t score = GeoScoreOf(x, y);
    EXPECT_LE(min, score);
    EXPECT_LT(score, max);
  }
}

TEST(GeoDistance, MatchesGeodist) {
  const GeoCoordinates palermo = GeoDecodeScore(3479099956230698.0);
  const GeoCoordinates catania = GeoDecodeScore(3479447370796909.0);
  const double meters = GeoDistance(palermo.longitude, palermo.latitude, catania.longitude, catania.latitude);
  EXPECT_EQ(Fixed4(meters), "166274.1516");
  EXPECT_EQ(Fixed4(meters / 1000), "166.2742");
  EXPECT_EQ(Fixed4(meters / 1609.34), "103.3182");
  EXPECT_EQ(Fixed4(meters / 0.3048), "545518.8700");
  EXPECT_EQ(GeoDistance(10, 20, 10, 20), 0);
  // Half the circumference between antipodes on the equator.
  EXPECT_NEAR(GeoDistance(0, 0, 180, 0), kEarthRadiusMeters * M_PI, 1e-6);
}

TEST(GeoArea, StepEstimate) {
  EXPECT_EQ(GeoEstimateSteps(0, 0), 26);
  EXPECT_EQ(GeoEstimateSteps(1000, 0), 14);  // 1000 * 2^15 passes the Mercator width
  EXPECT_EQ(GeoEstimateSteps(1000, 70), 13);
  EXPECT_EQ(GeoEstimateSteps(1000, -81), 12);
  EXPECT_EQ(GeoEstimateSteps(0.001, 0), 26);  // 34 before the clamp
  EXPECT_EQ(GeoEstimateSteps(1, 0), 24);
  EXPECT_EQ(GeoEstimateSteps(1e-9, 0), 26);
  EXPECT_EQ(GeoEstimateSteps(5e7, 0), 1);
  EXPECT_EQ(GeoEstimateSteps(std::numeric_limits<double>::infinity(), 0), 1);
}

TEST(GeoArea, BoundingBoxIsWiderOnThePolewardEdge) {
  GeoShape north;
  north.center = {10, 60};
  north.radius = 100;
  north.to_meters = 1000;
  const std::array<double, 4> b = GeoBoundingBox(north);
  EXPECT_NEAR(b[1], 60 - 100000 / kEarthRadiusMeters * 180 / M_PI, 1e-12);
  EXPECT_NEAR(b[3], 60 + 100000 / kEarthRadiusMeters * 180 / M_PI, 1e-12);
  EXPECT_NEAR(10 - b[0], b[2] - 10, 1e-12);
  const double top_delta = 100000 / kEarthRadiusMeters / std::cos(b[3] * M_PI / 180) * 180 / M_PI;
  EXPECT_NEAR(b[2] - 10, top_delta, 1e-9);
  GeoShape south = north;
  south.center = {10, -60};
  const std::array<double, 4> s = GeoBoundingBox(south);
  EXPECT_NEAR(s[2] - 10, top_delta, 1e-9);  // mirrored: the southern edge is poleward
}

// The property the search relies on: every point inside a shape lies in one of the
// non-zero cells GeoCellsForShape returns.
TEST(GeoArea, CellsCoverEveryPointOfTheShape) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0, 1);
  int inside = 0;
  for (int round = 0; round < 3000; ++round) {
    GeoShape shape;
    shape.center = {-180 + 360 * unit(rng), kGeoLatMin + (kGeoLatMax - kGeoLatMin) * unit(rng)};
    shape.to_meters = 1;
    const double scale = std::pow(10, 1 + 6 * unit(rng));  // 10 m .. 10,000 km
    if (rng() % 2 == 0) {
      shape.kind = GeoShape::Kind::kRadius;
      shape.radius = scale * unit(rng);
    } else {
      shape.kind = GeoShape::Kind::kBox;
      shape.width = scale * unit(rng);
      shape.height = scale * unit(rng);
    }
    const GeoSearchCells search = GeoCellsForShape(shape);
    EXPECT_FALSE(search.cells[0].IsZero());
    for (int probe = 0; probe < 20; ++probe) {
      // A point near the centre, within a few shape sizes.
      const double dlat = (unit(rng) - 0.5) * 4 * scale / kEarthRadiusMeters * 180 / M_PI;
      const double dlon = dlat * (unit(rng) * 2 - 1) / std::max(0.05, std::cos(shape.center.latitude * M_PI / 180));
      // Longitudes wrap around the antimeridian. Points beyond the latitude limits cannot
      // be stored; points exactly on a range's maximum quantise one cell past the grid
      // and only a search from that edge finds them, in Redis too.
      double x = shape.center.longitude + dlon;
      if (x >= kGeoLongMax) x -= 360;
      if (x < kGeoLongMin) x += 360;
      const double y = shape.center.latitude + dlat;
      if (y <= kGeoLatMin || y >= kGeoLatMax || x <= kGeoLongMin || x >= kGeoLongMax) continue;
      const uint64_t score = GeoScoreOf(x, y);
      double distance = 0;
      if (!GeoWithinShape(shape, GeoDecodeScore(static_cast<double>(score)), &distance)) continue;
      ++inside;
      bool covered = false;
      for (const GeoHashBits& cell : search.cells) {
        if (cell.IsZero()) continue;
        uint64_t min = 0;
        uint64_t max = 0;
        GeoHashScoreRange(cell, &min, &max);
        covered = covered || (min <= score && score < max);
      }
      EXPECT_TRUE(covered) << "point " << x << "," << y << " around " << shape.center.longitude << ","
                           << shape.center.latitude;
    }
  }
  EXPECT_GT(inside, 5000);  // the probes did land inside shapes
}

TEST(GeoArea, ShapesIncludeTheirBoundaryAndExcludeBeyond) {
  GeoShape circle;
  circle.center = {0, 0};
  circle.radius = GeoDistance(0, 0, 1, 0);
  double distance = 0;
  EXPECT_TRUE(GeoWithinShape(circle, {1, 0}, &distance));
  EXPECT_EQ(distance, circle.radius);
  EXPECT_FALSE(GeoWithinShape(circle, {1.0001, 0}, &distance));

  GeoShape box;
  box.kind = GeoShape::Kind::kBox;
  box.center = {0, 0};
  box.width = 2 * GeoDistance(0, 0, 1, 0);
  box.height = 2 * GeoDistance(0, 0, 0, 0.5);
  box.to_meters = 1;
  EXPECT_TRUE(GeoWithinShape(box, {0.9, 0.4}, &distance));  // a corner region a circle would miss
  EXPECT_EQ(distance, GeoDistance(0, 0, 0.9, 0.4));
  EXPECT_FALSE(GeoWithinShape(box, {0.5, 0.6}, &distance));
  EXPECT_FALSE(GeoWithinShape(box, {1.1, 0}, &distance));
}

// --- ordering ---------------------------------------------------------------------------

int CompareInts(const std::pair<int, int>& a, const std::pair<int, int>& b) {
  return a.first < b.first ? -1 : (a.first > b.first ? 1 : 0);
}

TEST(GeoSort, PartialQuickSortPutsTheSmallestFirstInOrder) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 2000; ++round) {
    const size_t n = 1 + rng() % 200;
    std::vector<std::pair<int, int>> items(n);
    for (size_t i = 0; i < n; ++i) items[i] = {static_cast<int>(rng() % (round % 2 ? 5 : 1000)), static_cast<int>(i)};
    std::vector<std::pair<int, int>> sorted = items;
    std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
    const size_t keep = 1 + rng() % n;
    PartialQuickSort(std::span<std::pair<int, int>>(items), CompareInts, 0, keep - 1);
    for (size_t i = 0; i < keep; ++i) ASSERT_EQ(items[i].first, sorted[i].first) << "n=" << n << " keep=" << keep;
    // Nothing lost or duplicated.
    std::vector<int> ids;
    for (const auto& item : items) ids.push_back(item.second);
    std::sort(ids.begin(), ids.end());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(ids[i], static_cast<int>(i));
  }
}

TEST(GeoSort, PartialQuickSortIsTheBentleyMcIlroyOrderForTies) {
  // Eight equal keys: the median of three (first, middle, last) of equal keys is the last,
  // which is swapped to the front as the pivot; every other key equals it and stays put.
  // A stable sort would keep 0..7.
  std::vector<std::pair<int, int>> items;
  for (int i = 0; i < 8; ++i) items.push_back({1, i});
  PartialQuickSort(std::span<std::pair<int, int>>(items), CompareInts, 0, 2);
  std::vector<int> order;
  for (const auto& item : items) order.push_back(item.second);
  EXPECT_EQ(order, (std::vector<int>{7, 1, 2, 3, 4, 5, 6, 0}));
}

TEST(GeoSort, FullSortIsStableAndDescendingReverses) {
  std::vector<GeoMatch> matches;
  for (int i = 0; i < 10; ++i) matches.push_back({"m" + std::to_string(i), 0, static_cast<double>(i % 3), {}});
  std::vector<GeoMatch> ascending = matches;
  SortGeoMatches(ascending, GeoOrder::kAscending, ascending.size());
  std::vector<std::string> names;
  for (const GeoMatch& m : ascending) names.push_back(m.member);
  EXPECT_EQ(names, (std::vector<std::string>{"m0", "m3", "m6", "m9", "m1", "m4", "m7", "m2", "m5", "m8"}));
  std::vector<GeoMatch> descending = matches;
  SortGeoMatches(descending, GeoOrder::kDescending, descending.size());
  names.clear();
  for (const GeoMatch& m : descending) names.push_back(m.member);
  EXPECT_EQ(names, (std::vector<std::string>{"m2", "m5", "m8", "m1", "m4", "m7", "m0", "m3", "m6", "m9"}));
  std::vector<GeoMatch> unsorted = matches;
  SortGeoMatches(unsorted, GeoOrder::kNone, 3);
  EXPECT_EQ(unsorted.front().member, "m0");
  EXPECT_EQ(unsorted.back().member, "m9");
}

}  // namespace
}  // namespace tierkv
