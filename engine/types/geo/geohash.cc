#include "engine/types/geo/geohash.h"

namespace tierkv {
namespace {

constexpr uint64_t kEvenBits = 0x5555555555555555ULL;  // latitude (y) positions
constexpr uint64_t kOddBits = 0xaaaaaaaaaaaaaaaaULL;   // longitude (x) positions

// Spreads the 32 bits of `value` to the even bit positions of a 64-bit word.
uint64_t SpreadToEvenBits(uint32_t value) {
  uint64_t v = value;
  v = (v | (v << 16)) & 0x0000FFFF0000FFFFULL;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FFULL;
  v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  v = (v | (v << 2)) & 0x3333333333333333ULL;
  v = (v | (v << 1)) & 0x5555555555555555ULL;
  return v;
}

// Gathers the even bit positions of `value` into 32 bits (SpreadToEvenBits's inverse).
uint32_t GatherEvenBits(uint64_t value) {
  uint64_t v = value & 0x5555555555555555ULL;
  v = (v | (v >> 1)) & 0x3333333333333333ULL;
  v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  v = (v | (v >> 4)) & 0x00FF00FF00FF00FFULL;
  v = (v | (v >> 8)) & 0x0000FFFF0000FFFFULL;
  v = (v | (v >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(v);
}

// A fraction of the range in [0, 2^step] to its cell index. C converts the double to
// uint32_t directly; for the values that can occur (0..2^32) truncating through 64
// bits gives the same result without undefined behaviour at 2^32.
uint32_t CellIndex(double scaled) { return static_cast<uint32_t>(static_cast<uint64_t>(scaled)); }

// Moves a cell one step along one axis (`axis_bits` selects the axis, `other_bits` the
// other): adds or subtracts one in the interleaved representation by filling the other
// axis's positions with ones so the carry or borrow ripples through them, then masks the
// result back to the cell's width (so it wraps around at the range edges).
uint64_t MoveAlongAxis(uint64_t bits, uint8_t step, int direction, uint64_t axis_bits, uint64_t other_bits) {
  if (direction == 0 || step == 0) return bits;
  const int unused = 64 - step * 2;
  uint64_t axis = bits & axis_bits;
  const uint64_t other = bits & other_bits;
  const uint64_t filler = other_bits >> unused;
  if (direction > 0) {
    axis = axis + (filler + 1);
  } else {
    axis = (axis | filler) - (filler + 1);
  }
  axis &= axis_bits >> unused;
  return axis | other;
}

GeoHashBits Moved(GeoHashBits hash, int east, int north) {
  hash.bits = MoveAlongAxis(hash.bits, hash.step, east, kOddBits, kEvenBits);
  hash.bits = MoveAlongAxis(hash.bits, hash.step, north, kEvenBits, kOddBits);
  return hash;
}

constexpr char kBase32[] = "0123456789bcdefghjkmnpqrstuvwxyz";

}  // namespace

uint64_t GeoInterleave(uint32_t x, uint32_t y) { return SpreadToEvenBits(x) | (SpreadToEvenBits(y) << 1); }

uint64_t GeoDeinterleave(uint64_t interleaved) {
  return static_cast<uint64_t>(GatherEvenBits(interleaved)) |
         (static_cast<uint64_t>(GatherEvenBits(interleaved >> 1)) << 32);
}

std::optional<GeoHashBits> GeoHashEncode(GeoRange long_range, GeoRange lat_range, double longitude, double latitude,
                                         uint8_t step) {
  if (step == 0 || step > 32) return std::nullopt;
  if (longitude > kGeoLongMax || longitude < kGeoLongMin || latitude > kGeoLatMax || latitude < kGeoLatMin) {
    return std::nullopt;
  }
  if (latitude < lat_range.min || latitude > lat_range.max || longitude < long_range.min ||
      longitude > long_range.max) {
    return std::nullopt;
  }
  const double cells = static_cast<double>(uint64_t{1} << step);
  const double lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min) * cells;
  const double long_offset = (longitude - long_range.min) / (long_range.max - long_range.min) * cells;
  return GeoHashBits{GeoInterleave(CellIndex(lat_offset), CellIndex(long_offset)), step};
}

GeoArea GeoHashDecode(GeoRange long_range, GeoRange lat_range, GeoHashBits hash) {
  const uint64_t separated = GeoDeinterleave(hash.bits);
  const uint32_t lat_index = static_cast<uint32_t>(separated);
  const uint32_t long_index = static_cast<uint32_t>(separated >> 32);
  const double cells = static_cast<double>(uint64_t{1} << hash.step);
  const double lat_scale = lat_range.max - lat_range.min;
  const double long_scale = long_range.max - long_range.min;
  // The index after the last wraps to 0 in 32 bits, as Redis's uint32_t arithmetic.
  const uint32_t lat_next = lat_index + 1u;
  const uint32_t long_next = long_index + 1u;
  GeoArea area;
  area.latitude.min = lat_range.min + (lat_index * 1.0 / cells) * lat_scale;
  area.latitude.max = lat_range.min + (lat_next * 1.0 / cells) * lat_scale;
  area.longitude.min = long_range.min + (long_index * 1.0 / cells) * long_scale;
  area.longitude.max = long_range.min + (long_next * 1.0 / cells) * long_scale;
  return area;
}

GeoCoordinates GeoAreaCenter(const GeoArea& area) {
  GeoCoordinates center;
  center.longitude = (area.longitude.min + area.longitude.max) / 2;
  if (center.longitude > kGeoLongMax) center.longitude = kGeoLongMax;
  if (center.longitude < kGeoLongMin) center.longitude = kGeoLongMin;
  center.latitude = (area.latitude.min + area.latitude.max) / 2;
  if (center.latitude > kGeoLatMax) center.latitude = kGeoLatMax;
  if (center.latitude < kGeoLatMin) center.latitude = kGeoLatMin;
  return center;
}

GeoNeighbors GeoHashNeighbors(GeoHashBits hash) {
  GeoNeighbors n;
  n.east = Moved(hash, 1, 0);
  n.west = Moved(hash, -1, 0);
  n.south = Moved(hash, 0, -1);
  n.north = Moved(hash, 0, 1);
  n.north_west = Moved(hash, -1, 1);
  n.north_east = Moved(hash, 1, 1);
  n.south_east = Moved(hash, 1, -1);
  n.south_west = Moved(hash, -1, -1);
  return n;
}

uint64_t GeoHashAlign52Bits(GeoHashBits hash) { return hash.bits << (52 - hash.step * 2); }

void GeoHashScoreRange(GeoHashBits hash, uint64_t* min, uint64_t* max) {
  *min = GeoHashAlign52Bits(hash);
  ++hash.bits;
  *max = GeoHashAlign52Bits(hash);
}

uint64_t GeoScoreBits(double score) {
  // x86-64 converts with cvttsd2si (signed 64-bit truncation, 0x8000000000000000 when the
  // result does not fit, NaN included); values from 2^63 up are converted as score - 2^63
  // with the top bit flipped back.
  constexpr double kTwo63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = 0x8000000000000000ULL;
  if (!(score >= kTwo63)) {
    if (score >= -kTwo63) return static_cast<uint64_t>(static_cast<int64_t>(score));
    return kIndefinite;
  }
  const double high = score - kTwo63;
  const uint64_t converted = high < kTwo63 ? static_cast<uint64_t>(static_cast<int64_t>(high)) : kIndefinite;
  return converted ^ kIndefinite;
}

uint64_t GeoScoreOf(double longitude, double latitude) {
  const std::optional<GeoHashBits> hash = GeoHashEncodeWgs84(longitude, latitude, kGeoStepMax);
  return hash ? GeoHashAlign52Bits(*hash) : 0;
}

GeoCoordinates GeoDecodeScore(double score) {
  const GeoHashBits hash{GeoScoreBits(score), kGeoStepMax};
  return GeoAreaCenter(GeoHashDecode(kGeoLongRange, kGeoLatRange, hash));
}

std::string GeoHashString(double score) {
  const GeoCoordinates position = GeoDecodeScore(score);
  // The standard geohash covers latitudes -90..90 where stored points use the Mercator
  // limits, so the position is re-encoded (always possible: decoding clamps).
  const std::optional<GeoHashBits> hash =
      GeoHashEncode(GeoRange{-180, 180}, GeoRange{-90, 90}, position.longitude, position.latitude, kGeoStepMax);
  const uint64_t bits = hash ? hash->bits : 0;
  std::string text(11, '0');
  // 52 bits make 10 full characters; the 11th (Redis's compatibility padding) stays '0'.
  for (int i = 0; i < 10; ++i) text[i] = kBase32[(bits >> (52 - (i + 1) * 5)) & 0x1f];
  return text;
}

}  // namespace tierkv
