// Geohash bit math with Redis's exact conventions (geohash.c), so that GEOADD stores the
// same sorted-set scores as Redis and every decoded position prints the same digits.
//
// A position is quantised to `step` bits per axis over a range (latitude
// -85.05112878..85.05112878 and longitude -180..180 for stored points, the limits of
// EPSG:900913) and the two integers are interleaved: latitude bits in the even positions,
// longitude bits in the odd ones. Stored points use step 26, a 52-bit integer that a
// double holds exactly: the sorted-set score. Nearby cells share prefixes, so a cell of
// any coarser step is one contiguous score range (GeoHashScoreRange), which is how the
// searches read a sorted set.
//
// Redis's quirks are kept on purpose because they show in replies: a coordinate exactly
// at a range's maximum quantises to 2^step (a bit past the cell grid), decoding clamps the
// cell centre back into the limits, and a score that no GEOADD produced (ZADD with any
// double) is turned into bits with the x86-64 conversion Redis's C cast compiles to
// (GeoScoreBits).
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tierkv {

inline constexpr uint8_t kGeoStepMax = 26;  // bits per axis of a stored point
inline constexpr double kGeoLatMin = -85.05112878;
inline constexpr double kGeoLatMax = 85.05112878;
inline constexpr double kGeoLongMin = -180;
inline constexpr double kGeoLongMax = 180;

struct GeoRange {
  double min = 0;
  double max = 0;
};

// Interleaved cell bits and the number of bits per axis. All zero marks "no cell" (a
// neighbour the area search dropped), as Redis's HASHISZERO.
struct GeoHashBits {
  uint64_t bits = 0;
  uint8_t step = 0;

  bool IsZero() const { return bits == 0 && step == 0; }
  bool operator==(const GeoHashBits&) const = default;
};

// A cell's extent.
struct GeoArea {
  GeoRange longitude;
  GeoRange latitude;
};

struct GeoCoordinates {
  double longitude = 0;
  double latitude = 0;
};

// The eight cells around a cell of the same step (wrapping around at the range edges).
struct GeoNeighbors {
  GeoHashBits north, south, east, west;
  GeoHashBits north_east, north_west, south_east, south_west;
};

// The ranges of stored points (Redis's geohashGetCoordRange).
inline constexpr GeoRange kGeoLongRange{kGeoLongMin, kGeoLongMax};
inline constexpr GeoRange kGeoLatRange{kGeoLatMin, kGeoLatMax};

// x's bits to the even positions, y's to the odd ones.
uint64_t GeoInterleave(uint32_t x, uint32_t y);
// The inverse: even-position bits in the low 32 bits, odd ones in the high 32.
uint64_t GeoDeinterleave(uint64_t interleaved);

// The cell of `step` bits per axis (1..32) holding the position within the given
// ranges; nullopt outside the ranges or outside the stored-point limits (Redis refuses
// both), or for a bad step.
std::optional<GeoHashBits> GeoHashEncode(GeoRange long_range, GeoRange lat_range, double longitude, double latitude,
                                         uint8_t step);
inline std::optional<GeoHashBits> GeoHashEncodeWgs84(double longitude, double latitude, uint8_t step) {
  return GeoHashEncode(kGeoLongRange, kGeoLatRange, longitude, latitude, step);
}

// A cell's extent within the ranges (no clamping: a cell past the grid decodes past the
// ranges, as in Redis).
GeoArea GeoHashDecode(GeoRange long_range, GeoRange lat_range, GeoHashBits hash);
// The cell's centre, clamped into the stored-point limits.
GeoCoordinates GeoAreaCenter(const GeoArea& area);

GeoNeighbors GeoHashNeighbors(GeoHashBits hash);

// The cell's bits as a 52-bit score prefix (shifted left to step 26; step <= 26).
uint64_t GeoHashAlign52Bits(GeoHashBits hash);
// The scores of every point inside the cell: [min, max).
void GeoHashScoreRange(GeoHashBits hash, uint64_t* min, uint64_t* max);

// What C's (uint64_t) cast of a double gives on x86-64, as Redis's decodeGeohash does it
// for any score (negative, fractional, past 2^64, infinite), without the C++ undefined
// behaviour: truncation for 0..2^64, two's complement for negative values down to -2^63,
// and the CPU's "integer indefinite" rules beyond.
uint64_t GeoScoreBits(double score);

// The score GEOADD stores for a valid position (within the stored-point limits).
uint64_t GeoScoreOf(double longitude, double latitude);
// The position a score stands for (any score decodes, as in Redis).
GeoCoordinates GeoDecodeScore(double score);
// GEOHASH's 11-character standard geohash of a score: the position re-encoded over
// latitude -90..90, 10 base32 characters from its 52 bits and a final '0'.
std::string GeoHashString(double score);

}  // namespace tierkv
